//! Webhook scenarios: posts to one incoming webhook from concurrent posters (acked posts/s), and
//! the lag of an outgoing webhook's deliveries, from a send's commit to the receiver's answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::client::Api;
use crate::scenarios::percentile;

/// The server options of both: no send limit in the way, receivers on loopback allowed.
pub const OPTIONS: &[&str] = &["--bot-send-rate", "1000000", "--bot-send-burst", "1000000", "--webhook-allow-private"];

async fn create_webhook(api: &Api, token: &str, room: i64, body: Value) -> anyhow::Result<Value> {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/rooms/{room}/webhooks", api.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(res.status() == 201, "create webhook: {}", res.status());
    Ok(res.json().await?)
}

/// `posters` tasks post `total` messages to one incoming webhook (Confab's payload, each with a
/// `client_id`), each waiting for its answer before the next.
pub async fn incoming(api: &Api, posters: usize, total: usize) -> anyhow::Result<Value> {
    let owner = api.register("hook-owner").await?.access_token;
    let room = api.create_room(&owner, "hooked").await?;
    let hook = create_webhook(api, &owner, room, json!({"name": "Bench"})).await?;
    let url = hook["url"].as_str().ok_or_else(|| anyhow::anyhow!("no url"))?.to_owned();
    let each = total / posters;
    let started = Instant::now();
    let tasks: Vec<_> = (0..posters)
        .map(|p| {
            let url = url.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut latencies = Vec::with_capacity(each);
                for i in 0..each {
                    let body = json!({"body": format!("build {p}-{i} passed"), "client_id": format!("b-{p}-{i}")});
                    let sent = Instant::now();
                    let res = http.post(&url).json(&body).send().await?;
                    anyhow::ensure!(res.status() == 200, "post: {}", res.status());
                    latencies.push(sent.elapsed().as_micros() as i64);
                }
                Ok::<_, anyhow::Error>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    for task in futures_util::future::join_all(tasks).await {
        latencies.extend(task??);
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    Ok(json!({"posters": posters, "posts": latencies.len(), "posts_per_sec": latencies.len() as f64 / secs,
               "latency_ms": {"p50": percentile(&latencies, 0.5), "p99": percentile(&latencies, 0.99)}}))
}

/// A receiver on loopback that answers 200 at once and notes when each delivery (by seq) came.
async fn receiver() -> anyhow::Result<(String, Arc<Mutex<HashMap<i64, Instant>>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://localhost:{}/hook", listener.local_addr()?.port());
    let arrived: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let noted = arrived.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let noted = noted.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut read = BufReader::new(read);
                loop {
                    let mut len = 0;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line.trim_end().is_empty() {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    if read.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    let at = Instant::now();
                    if let Some(seq) = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["seq"].as_i64()) {
                        noted.lock().unwrap_or_else(|e| e.into_inner()).entry(seq).or_insert(at);
                    }
                    if write.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok((url, arrived))
}

/// Sends `count` messages over REST at `rate` per second to a room with an outgoing webhook;
/// the lag of each is from its send's answer (after the commit) to its delivery's arrival.
pub async fn outgoing(api: &Api, rate: f64, count: usize) -> anyhow::Result<Value> {
    let owner = api.register("hook-owner").await?.access_token;
    let room = api.create_room(&owner, "relayed").await?;
    let (url, arrived) = receiver().await?;
    create_webhook(api, &owner, room, json!({"name": "Relay", "target_url": url, "events": ["message"]})).await?;
    // Steady state: the webhook's task starts within the supervisor's round (2 s) of its making.
    let first = api.send_message_seq(&owner, room, "warm-up").await?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !arrived.lock().unwrap_or_else(|e| e.into_inner()).contains_key(&first) {
        anyhow::ensure!(Instant::now() < deadline, "the warm-up message was not delivered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    arrived.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let acked: Arc<Mutex<HashMap<i64, Instant>>> = Arc::default();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut sends = Vec::with_capacity(count);
    for i in 0..count {
        ticks.tick().await;
        let (api, owner, acked) = (api.clone(), owner.clone(), acked.clone());
        sends.push(tokio::spawn(async move {
            let seq = api.send_message_seq(&owner, room, &format!("deploy step {i}")).await?;
            acked.lock().unwrap_or_else(|e| e.into_inner()).insert(seq, Instant::now());
            Ok::<_, anyhow::Error>(())
        }));
    }
    for send in futures_util::future::join_all(sends).await {
        send??;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrived.lock().unwrap_or_else(|e| e.into_inner()).len() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let acked = acked.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let arrived = arrived.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut lags: Vec<i64> = acked
        .iter()
        .filter_map(|(seq, at)| arrived.get(seq).map(|got| got.saturating_duration_since(*at).as_micros() as i64))
        .collect();
    lags.sort_unstable();
    Ok(json!({"rate": rate, "sent": count, "delivered": arrived.len(),
               "lag_ms": {"p50": percentile(&lags, 0.5), "p99": percentile(&lags, 0.99), "max": percentile(&lags, 1.0)}}))
}
