//! [`EventStream`]: the WebSocket event stream, kept in step across disconnects.
//!
//! It keeps a cursor per subscribed room (the last `seq` handed out) and the user stream's
//! (`user_seq`); after a disconnect it reconnects with backoff, asks for everything after its
//! cursors (`sync`, `subscribe` with `after_seq`) and sends again, in order, every send not yet
//! acknowledged, under its original `client_id` (the server stores a `client_id` once). Events
//! it already handed out are dropped, so each change reaches the caller once, in order.

use crate::error::{Error, Result};
use crate::rest::Client;
use confab_shared::{ClientEvent, CloseCode, ServerEvent, User};
use futures_util::{SinkExt, StreamExt};
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A heartbeat well inside the server's 60 s timeout.
const PING_EVERY: Duration = Duration::from_secs(20);
/// The first pause before reconnecting, doubled after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// How long a send refused as `rate_limited` waits before it is sent again.
const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);

/// The event stream of one account: open it with [`Client::connect`].
///
/// Read it with [`next`](EventStream::next): the events of the rooms it is subscribed to, of the
/// user stream (rooms joined and left, renames, read markers, profiles), acks of its sends and
/// the rest, each once, in order, across reconnects. `ready`, `subscribed` and `synced` are
/// handed out after every (re)connection; `pong` is not.
///
/// Sends ([`send`](EventStream::send)) are queued until acknowledged and arrive in the order
/// sent: a send the server answers with an `error` is handed out as that error and dropped,
/// except `rate_limited`, which is sent again after a second (after any sends that the server
/// took meanwhile: pace sends under the server's limit to keep their order). Only [`Error::Closed`] and a failed token refresh end the stream;
/// everything else is a disconnect, and the stream reconnects.
pub struct EventStream {
    client: Client,
    socket: Option<Socket>,
    /// Subscribed rooms.
    rooms: BTreeMap<i64, Subscription>,
    /// The last user-stream entry handed out.
    user_seq: Option<i64>,
    /// The connection the user stream was last resumed on.
    synced_on: u64,
    /// The current connection, counting from 1 (each one resumes everything anew).
    connection: u64,
    user: Option<User>,
    /// Sends not yet acknowledged, oldest first.
    outbox: VecDeque<Pending>,
    /// Events read but not handed out yet.
    inbox: VecDeque<ServerEvent>,
    backoff: Duration,
    next_ping: Instant,
    reconnects: u64,
    ids: IdSource,
}

struct Subscription {
    /// The last seq handed out (`None`: live only, until the first `subscribed`).
    cursor: Option<i64>,
    /// The connection it was last asked for on.
    asked_on: u64,
}

struct Pending {
    client_id: String,
    event: ClientEvent,
    /// The connection it was last written to.
    written_on: u64,
    /// Not to be sent again before this instant (after a `rate_limited`).
    not_before: Option<Instant>,
}

impl EventStream {
    pub(crate) async fn open(client: Client) -> Result<EventStream> {
        let mut stream = EventStream {
            client,
            socket: None,
            rooms: BTreeMap::new(),
            user_seq: None,
            synced_on: 0,
            connection: 0,
            user: None,
            outbox: VecDeque::new(),
            inbox: VecDeque::new(),
            backoff: FIRST_BACKOFF,
            next_ping: Instant::now() + PING_EVERY,
            reconnects: 0,
            ids: IdSource::new(),
        };
        stream.connect().await?;
        Ok(stream)
    }

    /// The next event. Waits (reconnecting as needed) until there is one; fails only when the
    /// server ends the stream for good.
    pub async fn next(&mut self) -> Result<ServerEvent> {
        loop {
            if let Some(event) = self.inbox.pop_front() {
                return Ok(event);
            }
            self.step().await?;
        }
    }

    /// The next event within `wait`, or `None`.
    pub async fn next_within(&mut self, wait: Duration) -> Result<Option<ServerEvent>> {
        match tokio::time::timeout(wait, self.next()).await {
            Ok(event) => event.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Follows a room from after `after_seq` (every later change, replayed then live), or with
    /// `None` from now on. Kept across reconnects, from the last change handed out.
    pub async fn subscribe(&mut self, room_id: i64, after_seq: Option<i64>) {
        self.rooms.insert(room_id, Subscription { cursor: after_seq, asked_on: 0 });
        self.catch_up().await;
    }

    pub async fn unsubscribe(&mut self, room_id: i64) {
        if self.rooms.remove(&room_id).is_some() {
            self.write(ClientEvent::Unsubscribe { room_id }).await;
        }
    }

    /// Sends a message with a fresh `client_id`, which it returns; its `ack` comes through
    /// [`next`](EventStream::next). Until then it is sent again after every reconnect.
    pub async fn send(&mut self, room_id: i64, body: &str) -> String {
        let client_id = self.ids.next();
        self.send_as(room_id, &client_id, body).await;
        client_id
    }

    /// Sends a message under the caller's `client_id`: the server stores it once however
    /// often it is sent (so a restarted bot that sends again with the same id posts nothing).
    pub async fn send_as(&mut self, room_id: i64, client_id: &str, body: &str) {
        let event = ClientEvent::Send {
            room_id,
            client_id: client_id.to_owned(),
            body: body.to_owned(),
            attachments: Vec::new(),
            reply_to: None,
            also_to_room: false,
        };
        self.outbox.push_back(Pending { client_id: client_id.to_owned(), event, written_on: 0, not_before: None });
        self.catch_up().await;
    }

    /// Moves my read marker in the room.
    pub async fn read(&mut self, room_id: i64, seq: i64) {
        self.write(ClientEvent::Read { room_id, seq }).await;
    }

    /// Waits until every send is acknowledged (or refused); the events read meanwhile are
    /// handed out by the next calls of [`next`](EventStream::next).
    pub async fn flush(&mut self) -> Result<()> {
        while !self.outbox.is_empty() {
            self.step().await?;
        }
        Ok(())
    }

    /// Sends not yet acknowledged.
    pub fn pending(&self) -> usize {
        self.outbox.len()
    }

    /// The last seq handed out of the room, if subscribed and any.
    pub fn cursor(&self, room_id: i64) -> Option<i64> {
        self.rooms.get(&room_id).and_then(|r| r.cursor)
    }

    /// The last user-stream entry handed out.
    pub fn user_seq(&self) -> Option<i64> {
        self.user_seq
    }

    /// The account, from the last `ready`.
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// How many times the stream reconnected.
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// Closes the connection (sends still pending are not sent).
    pub async fn close(mut self) {
        if let Some(mut socket) = self.socket.take() {
            let _ = socket.close(None).await;
        }
    }

    /// One step: reconnect if disconnected; else resume what this connection has not been
    /// asked yet, then read one frame (or ping, or send again a send whose pause is over).
    async fn step(&mut self) -> Result<()> {
        self.catch_up().await;
        let Some(socket) = self.socket.as_mut() else {
            sleep_until(Instant::now() + self.backoff).await;
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            self.connect().await?;
            self.reconnects += u64::from(self.socket.is_some());
            return Ok(());
        };
        let retry_at = self.outbox.iter().filter_map(|p| p.not_before).min();
        tokio::select! {
            frame = socket.next() => match frame {
                Some(Ok(WsMessage::Text(text))) => {
                    // A frame of a kind this client does not know (a newer server) is skipped.
                    if let Ok(event) = serde_json::from_str::<ServerEvent>(&text) {
                        self.accept(event);
                    }
                }
                Some(Ok(WsMessage::Close(frame))) => return self.closed(frame.as_ref()).await,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => self.socket = None,
            },
            () = sleep_until(self.next_ping) => {
                self.next_ping = Instant::now() + PING_EVERY;
                self.write(ClientEvent::Ping).await;
            }
            () = sleep_until(retry_at.unwrap_or_else(far_future)), if retry_at.is_some() => {
                let now = Instant::now();
                for pending in self.outbox.iter_mut().filter(|p| p.not_before.is_some_and(|t| t <= now)) {
                    (pending.not_before, pending.written_on) = (None, 0);
                }
            }
        }
        Ok(())
    }

    /// Opens a connection and resumes: the user stream after its cursor, every room after
    /// its, then the sends not acknowledged, in order. A transient failure leaves the stream
    /// disconnected (the next step retries); a token the server refuses is refreshed once.
    async fn connect(&mut self) -> Result<()> {
        // Once connected, a server that cannot be reached to refresh the session is a
        // disconnect like any other; a refresh it refuses ends the stream.
        let first = self.user.is_none();
        let retry_later = |e: Error| if e.is_transient() && !first { Ok(()) } else { Err(e) };
        let mut refreshed = false;
        loop {
            let token = match self.client.bearer().await {
                Ok(token) => token,
                Err(e) => return retry_later(e),
            };
            match self.handshake(&token).await {
                Ok(socket) => {
                    self.socket = Some(socket);
                    break;
                }
                Err(Handshake::Unauthorized) if !refreshed => match self.client.refresh_after(&token).await {
                    Ok(true) => refreshed = true,
                    Ok(false) => return Err(Error::closed(CloseCode::Unauthenticated, "the token was refused")),
                    Err(e) => return retry_later(e),
                },
                Err(Handshake::Unauthorized) => {
                    return Err(Error::closed(CloseCode::Unauthenticated, "the token was refused"));
                }
                Err(Handshake::Failed(e)) if first => return Err(Error::WebSocket(Box::new(e))),
                Err(Handshake::Failed(_)) => return Ok(()),
            }
        }
        self.next_ping = Instant::now() + PING_EVERY;
        self.catch_up().await;
        Ok(())
    }

    /// Asks the current connection for what it has not been asked yet, in order: the user
    /// stream after its cursor, each room after its, then every send not acknowledged (but
    /// those pausing after a `rate_limited`). What a cancelled call did not write is written
    /// by the next; what it wrote twice is harmless (cursors drop repeats, `client_id` sends).
    async fn catch_up(&mut self) {
        let connection = self.connection;
        if self.socket.is_none() {
            return;
        }
        if self.synced_on != connection {
            if let Some(after_user_seq) = self.user_seq {
                self.write(ClientEvent::Sync { after_user_seq }).await;
            }
            self.synced_on = connection;
        }
        let rooms: Vec<(i64, Option<i64>)> =
            self.rooms.iter().filter(|(_, r)| r.asked_on != connection).map(|(id, r)| (*id, r.cursor)).collect();
        for (room_id, after_seq) in rooms {
            if !self.write(ClientEvent::Subscribe { room_id, after_seq }).await {
                return;
            }
            if let Some(room) = self.rooms.get_mut(&room_id) {
                room.asked_on = connection;
            }
        }
        for at in 0..self.outbox.len() {
            let pending = &self.outbox[at];
            if pending.written_on == connection || pending.not_before.is_some() {
                continue;
            }
            if !self.write(pending.event.clone()).await {
                return;
            }
            self.outbox[at].written_on = connection;
        }
    }

    /// Connects and reads the `ready` frame.
    async fn handshake(&mut self, token: &str) -> Result<Socket, Handshake> {
        let mut request = self.client.ws_url().into_client_request().map_err(Handshake::Failed)?;
        let bearer = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| Handshake::Unauthorized)?;
        request.headers_mut().insert(header::AUTHORIZATION, bearer);
        let (mut socket, _) = match tokio_tungstenite::connect_async(request).await {
            Ok(connected) => connected,
            Err(tungstenite::Error::Http(res)) if res.status() == StatusCode::UNAUTHORIZED => {
                return Err(Handshake::Unauthorized);
            }
            Err(e) => return Err(Handshake::Failed(e)),
        };
        loop {
            match socket.next().await {
                Some(Ok(WsMessage::Text(text))) => {
                    if let Ok(ServerEvent::Ready { user, user_seq }) = serde_json::from_str(&text) {
                        self.connection += 1;
                        if self.user_seq.is_none() {
                            // The first connection starts at the head: nothing to resume.
                            (self.user_seq, self.synced_on) = (Some(user_seq), self.connection);
                        }
                        self.user = Some(user.clone());
                        self.inbox.push_back(ServerEvent::Ready { user, user_seq });
                        return Ok(socket);
                    }
                }
                Some(Ok(WsMessage::Close(Some(frame))))
                    if u16::from(frame.code) == CloseCode::Unauthenticated as u16 =>
                {
                    return Err(Handshake::Unauthorized);
                }
                Some(Ok(WsMessage::Close(_))) | None => {
                    return Err(Handshake::Failed(tungstenite::Error::ConnectionClosed));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(Handshake::Failed(e)),
            }
        }
    }

    /// The server closed the connection: end the stream if retrying cannot help.
    async fn closed(&mut self, frame: Option<&CloseFrame>) -> Result<()> {
        self.socket = None;
        let code = frame.map(|f| u16::from(f.code));
        let reason = frame.map(|f| f.reason.to_string()).unwrap_or_default();
        // Anything else is a reconnect; an expired access token (4001) is refreshed by the
        // next connect, and a bot's refused token ends the stream there.
        match code {
            Some(c) if c == CloseCode::Revoked as u16 || c == CloseCode::TooBig as u16 => {
                Err(Error::Closed { code: c, reason })
            }
            _ => Ok(()),
        }
    }

    /// Takes in one event: drops what was handed out already, moves the cursors, settles sends.
    fn accept(&mut self, event: ServerEvent) {
        if let (Some(seq), Some(room_id)) = (event.seq(), room_of(&event)) {
            match self.rooms.get_mut(&room_id) {
                Some(room) if room.cursor.is_some_and(|c| seq <= c) => return,
                Some(room) => room.cursor = Some(seq),
                None => {}
            }
        }
        if let Some(user_seq) = event.user_seq() {
            if self.user_seq.is_some_and(|c| user_seq <= c) {
                return;
            }
            self.user_seq = Some(user_seq);
        }
        self.backoff = FIRST_BACKOFF;
        match &event {
            ServerEvent::Pong => return,
            ServerEvent::Subscribed { room_id, head_seq, .. } => {
                if let Some(room) = self.rooms.get_mut(room_id) {
                    room.cursor = Some(room.cursor.map_or(*head_seq, |c| c.max(*head_seq)));
                }
            }
            ServerEvent::Ack { client_id, .. } => {
                let Some(at) = self.outbox.iter().position(|p| &p.client_id == client_id) else {
                    return; // the ack of a send repeated after a reconnect
                };
                self.outbox.remove(at);
            }
            ServerEvent::Error { client_id: Some(client_id), code, .. } => {
                let Some(at) = self.outbox.iter().position(|p| &p.client_id == client_id) else { return };
                if code == "rate_limited" {
                    self.outbox[at].not_before = Some(Instant::now() + RATE_LIMIT_PAUSE);
                    return;
                }
                self.outbox.remove(at);
            }
            _ => {}
        }
        self.inbox.push_back(event);
    }

    /// Writes a frame if connected; whether it was written. A failed write counts as a
    /// disconnect (what it carried is asked for again after the reconnect).
    async fn write(&mut self, event: ClientEvent) -> bool {
        let Some(socket) = self.socket.as_mut() else { return false };
        let text = serde_json::to_string(&event).unwrap_or_default();
        if socket.send(WsMessage::Text(text.into())).await.is_err() {
            self.socket = None;
            return false;
        }
        true
    }
}

enum Handshake {
    Unauthorized,
    Failed(tungstenite::Error),
}

/// The room of a message change event.
fn room_of(event: &ServerEvent) -> Option<i64> {
    match event {
        ServerEvent::Message { room_id, .. }
        | ServerEvent::MessageUpdated { room_id, .. }
        | ServerEvent::MessageDeleted { room_id, .. } => Some(*room_id),
        _ => None,
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400)
}

/// Fresh `client_id`s: a prefix unique to this stream (the time and process it started in)
/// and a counter.
struct IdSource {
    prefix: String,
    counter: u64,
}

impl IdSource {
    fn new() -> IdSource {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        IdSource { prefix: format!("cc-{:x}-{:x}", std::process::id(), nanos), counter: 0 }
    }

    fn next(&mut self) -> String {
        self.counter += 1;
        format!("{}-{}", self.prefix, self.counter)
    }
}
