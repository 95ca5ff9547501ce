//! A minimal, fast Confab client for load: its REST setup calls go through `confab-client`;
//! its WebSocket connections are its own, their hot path scanning frames instead of parsing them
//! (a load generator must not be slower than the server it measures).

use confab_client::types::{ClientEvent, SearchResults, TokenPair, Visibility};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, WsMessage>;
pub type Stream = SplitStream<WebSocketStream<MaybeTlsStream<TcpStream>>>;

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub addr: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(addr: &str) -> Api {
        Api { base: format!("http://{addr}"), addr: addr.to_owned(), http: reqwest::Client::new() }
    }

    /// The account of `token`, for the REST calls of `confab-client` (sharing one pool).
    fn account(&self, token: &str) -> confab_client::Client {
        confab_client::Client::with_token(&self.base, token).with_http(self.http.clone())
    }

    pub async fn register(&self, name: &str) -> anyhow::Result<TokenPair> {
        let client = confab_client::Client::new(&self.base).with_http(self.http.clone());
        client.register(name, "bench-password").await?;
        client.tokens().ok_or_else(|| anyhow::anyhow!("register {name}: no session"))
    }

    pub async fn create_room(&self, token: &str, name: &str) -> anyhow::Result<i64> {
        Ok(self.account(token).create_room(name, Visibility::Public).await?.id)
    }

    pub async fn join(&self, token: &str, room: i64) -> anyhow::Result<()> {
        self.account(token).join(room).await?;
        Ok(())
    }

    /// Sets my notification level for the room (one entry of my user stream).
    pub async fn set_notify(&self, token: &str, room: i64, level: &str) -> anyhow::Result<()> {
        let path = format!("/rooms/{room}/notifications");
        self.account(token).call::<_, ()>(Method::PUT, &path, Some(&json!({"level": level}))).await?;
        Ok(())
    }

    /// An authenticated WebSocket (the `ready` frame consumed).
    /// Whether `/readyz` answers 200.
    pub async fn ready(&self) -> bool {
        let res = self.http.get(format!("{}/readyz", self.base)).send().await;
        res.is_ok_and(|r| r.status().is_success())
    }

    /// The mean of a Prometheus histogram the server exports (`<name>_sum / <name>_count`).
    pub async fn histogram_mean(&self, name: &str) -> anyhow::Result<f64> {
        let text = self.http.get(format!("{}/metrics", self.base)).send().await?.text().await?;
        let value = |suffix: &str| {
            let key = format!("{name}_{suffix} ");
            text.lines().find_map(|l| l.strip_prefix(key.as_str())).and_then(|v| v.trim().parse::<f64>().ok())
        };
        match (value("sum"), value("count")) {
            (Some(sum), Some(count)) if count > 0.0 => Ok(sum / count),
            _ => anyhow::bail!("no samples of {name} in /metrics"),
        }
    }

    /// The value of an unlabelled counter the server exports.
    pub async fn counter(&self, name: &str) -> anyhow::Result<f64> {
        let text = self.http.get(format!("{}/metrics", self.base)).send().await?.text().await?;
        let key = format!("{name} ");
        text.lines()
            .find_map(|l| l.strip_prefix(key.as_str()))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no {name} in /metrics"))
    }

    /// Whether the server has `GET /api/v1/search` (builds before it answer 404).
    pub async fn search_exists(&self, token: &str) -> anyhow::Result<bool> {
        match self.account(token).get::<SearchResults>("/search?q=x").await {
            Err(e) if e.status() == Some(404) => Ok(false),
            other => other.map(|_| true).map_err(Into::into),
        }
    }

    /// Runs a search; returns the number of results (of the first page).
    pub async fn search(&self, token: &str, q: &str) -> anyhow::Result<usize> {
        Ok(self.account(token).search(q).await?.results.len())
    }

    /// Uploads `bytes` to a room; returns the file's id.
    pub async fn upload(&self, token: &str, room: i64, name: &str, bytes: bytes::Bytes) -> anyhow::Result<i64> {
        let url = format!("{}/api/v1/rooms/{room}/files", self.base);
        let res = self.http.post(url).query(&[("name", name)]).bearer_auth(token).body(bytes).send().await?;
        anyhow::ensure!(res.status() == 201, "upload {name}: {}", res.status());
        Ok(res.json::<confab_shared::File>().await?.id)
    }

    /// Downloads a file, reading it as it arrives; returns its length.
    pub async fn download(&self, token: &str, id: i64) -> anyhow::Result<usize> {
        let mut res = self.http.get(format!("{}/api/v1/files/{id}", self.base)).bearer_auth(token).send().await?;
        anyhow::ensure!(res.status() == 200, "download {id}: {}", res.status());
        let mut len = 0;
        while let Some(chunk) = res.chunk().await? {
            len += chunk.len();
        }
        Ok(len)
    }

    /// Fetches a file's thumbnail.
    pub async fn thumbnail(&self, token: &str, id: i64) -> anyhow::Result<()> {
        let url = format!("{}/api/v1/files/{id}/thumbnail", self.base);
        let res = self.http.get(url).bearer_auth(token).send().await?;
        anyhow::ensure!(res.status() == 200, "thumbnail {id}: {}", res.status());
        res.bytes().await?;
        Ok(())
    }

    /// Sends a message over REST; returns its id.
    pub async fn send_message(&self, token: &str, room: i64, body: &str) -> anyhow::Result<i64> {
        Ok(self.account(token).send(room, body, None).await?.id)
    }

    /// Sends a message over REST; returns its seq.
    pub async fn send_message_seq(&self, token: &str, room: i64, body: &str) -> anyhow::Result<i64> {
        Ok(self.account(token).send(room, body, None).await?.seq)
    }

    /// Adds (`on`) or takes back a reaction.
    pub async fn react(&self, token: &str, room: i64, message: i64, emoji: &str, on: bool) -> anyhow::Result<()> {
        let path = format!("/rooms/{room}/messages/{message}/reactions/{emoji}");
        let method = if on { Method::PUT } else { Method::DELETE };
        self.account(token).call::<(), ()>(method, &path, None).await?;
        Ok(())
    }

    pub async fn connect(&self, token: &str) -> anyhow::Result<(Sink, Stream)> {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/api/v1/ws", self.addr)).await?;
        let (mut sink, mut stream) = ws.split();
        send(&mut sink, &ClientEvent::Auth { token: token.to_owned() }).await?;
        wait_for(&mut stream, "\"type\":\"ready\"").await?;
        Ok((sink, stream))
    }
}

pub async fn send(sink: &mut Sink, event: &ClientEvent) -> anyhow::Result<()> {
    sink.send(WsMessage::Text(serde_json::to_string(event)?.into())).await?;
    Ok(())
}

/// Reads frames until one contains `needle`.
pub async fn wait_for(stream: &mut Stream, needle: &str) -> anyhow::Result<String> {
    while let Some(msg) = stream.next().await {
        if let WsMessage::Text(text) = msg?
            && text.contains(needle)
        {
            return Ok(text.to_string());
        }
    }
    anyhow::bail!("connection closed while waiting for {needle}")
}

/// The integer after `key` in a JSON text (a scan, not a parse: the hot path of receivers).
pub fn int_after(text: &str, key: &str) -> Option<i64> {
    let start = text.find(key)? + key.len();
    let digits: String = text[start..].chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().ok()
}

pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
