//! `GET /api/v1/ws`: one task per WebSocket connection.
//!
//! The task authenticates (header or first `auth` frame), registers with the hub, then
//! serves three sources in one `select!`: frames from the client, events from its bounded
//! outbound queue, and a heartbeat. Per subscribed room it keeps the highest `seq` sent
//! (its cursor), which makes the switch from replay to live exact: queued live events at or
//! below the cursor were already replayed and are dropped.

use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Session};
use confab_shared::{ClientEvent, Message, ServerEvent};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::events::{change_event, frame};
use super::hub::{ConnHandle, Envelope, Outbound, Topic};
use crate::auth::Auth;
use crate::auth::extract::bearer_token;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::state::AppState;
use crate::{messages, rooms, store};

/// Largest WebSocket frame (and reassembled message) accepted.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(20);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// Changes read per replay query.
const REPLAY_PAGE: i64 = 500;

pub const CLOSE_UNAUTHENTICATED: u16 = 4001;
const FIRST_FRAME: &str = "the first frame must be {\"type\":\"auth\",\"token\":…}";
pub const CLOSE_TOO_MANY: u16 = 4009;

/// The event stream. Authenticate with `Authorization: Bearer` or a first `auth` frame.
#[utoipa::path(
    tag = "realtime",
    responses(
        (status = 101, description = "Switching to the WebSocket protocol: see docs/protocol.md"),
        (status = 403, description = "The request's Origin is neither this server nor an allowed origin", body = confab_shared::Problem, content_type = "application/problem+json"),
        (status = 426, description = "Not a WebSocket upgrade request", body = confab_shared::Problem, content_type = "application/problem+json"),
        (status = 401, description = "The bearer token given is invalid", body = confab_shared::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ws")]
pub async fn connect(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    check_origin(&req, &state.config.allowed_origins)?;
    let pre_auth = match bearer_token(&req) {
        Some(token) => Some(Auth::from_token(&state, token).await?),
        None => None,
    };
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| AppError::new(ErrorKind::UpgradeRequired, format!("this endpoint speaks WebSocket only: {e}")))?;
    let stream =
        stream.max_frame_size(MAX_FRAME_BYTES).aggregate_continuations().max_continuation_size(MAX_FRAME_BYTES);
    actix_web::rt::spawn(run(state.into_inner(), session, stream, pre_auth));
    Ok(response)
}

type Stream = actix_ws::AggregatedMessageStream;

/// Refuses cross-site WebSocket upgrades: a browser sends `Origin`, which must be this server
/// (same host) or one of the configured origins. Non-browser clients send none.
fn check_origin(req: &HttpRequest, allowed: &[String]) -> AppResult<()> {
    let Some(origin) = req.headers().get(actix_web::http::header::ORIGIN) else { return Ok(()) };
    let origin = origin.to_str().unwrap_or("");
    let host = req.connection_info().host().to_owned();
    let same_host = origin.split_once("://").is_some_and(|(_, rest)| rest.trim_end_matches('/') == host);
    if same_host || allowed.iter().any(|a| a.trim_end_matches('/') == origin.trim_end_matches('/')) {
        return Ok(());
    }
    Err(AppError::forbidden(format!("WebSocket connections from {origin} are not allowed")))
}

async fn run(state: Arc<AppState>, mut session: Session, mut stream: Stream, pre_auth: Option<Auth>) {
    let auth = match pre_auth {
        Some(auth) => auth,
        // Boxed here and below: these futures are large and needed once; inline, every
        // connection's task would be as large as the largest of them for its whole life.
        None => match Box::pin(first_frame_auth(&state, &mut session, &mut stream)).await {
            Ok(auth) => auth,
            Err(err) => {
                let _ = session.text(frame(&error_event(err.kind.code(), &err.detail, None))).await;
                close(session, CLOSE_UNAUTHENTICATED, &err.detail).await;
                return;
            }
        },
    };
    let user = match Box::pin(store::users::by_id(&state.store, auth.user_id)).await {
        Ok(Some(user)) => confab_shared::User::from(user),
        _ => return close(session, CLOSE_UNAUTHENTICATED, "unknown user").await,
    };
    let Some(came_online) = state.realtime.presence.connect(auth.user_id, state.config.max_connections_per_user) else {
        return close(session, CLOSE_TOO_MANY, "too many connections").await;
    };
    let (handle, outbound) =
        ConnHandle::new(rand::random(), auth.user_id, auth.session_id, state.config.outbound_queue);
    state.realtime.hub.subscribe(Topic::User(auth.user_id), handle.clone());
    if came_online {
        crate::users::presence_changed(&state, user.clone(), true);
    }
    let mut conn = Connection {
        state: state.clone(),
        auth,
        handle: handle.clone(),
        cursors: HashMap::new(),
        sends: FuturesUnordered::new(),
        session,
    };
    state.metrics.connections.fetch_add(1, Ordering::Relaxed);
    let reason = conn.serve(&user, stream, outbound).await;
    state.metrics.connections.fetch_sub(1, Ordering::Relaxed);
    if reason.as_ref().is_some_and(|(code, _)| *code == super::hub::CLOSE_TOO_SLOW) {
        state.metrics.slow_consumers_closed.fetch_add(1, Ordering::Relaxed);
    }

    for room_id in conn.cursors.keys() {
        state.realtime.hub.unsubscribe(Topic::Room(*room_id), handle.id);
    }
    state.realtime.hub.unsubscribe(Topic::User(auth.user_id), handle.id);
    if state.realtime.presence.disconnect(auth.user_id) {
        crate::users::presence_changed(&state, user, false);
    }
    if let Some((code, text)) = reason {
        close(conn.session, code, &text).await;
    }
}

async fn first_frame_auth(state: &AppState, session: &mut Session, stream: &mut Stream) -> AppResult<Auth> {
    let unauthenticated = |detail: &str| AppError::unauthenticated(detail);
    let deadline = tokio::time::sleep(AUTH_TIMEOUT);
    tokio::pin!(deadline);
    loop {
        let msg = tokio::select! {
            _ = &mut deadline => return Err(unauthenticated("no auth frame within 10 seconds")),
            msg = stream.next() => msg,
        };
        match msg {
            Some(Ok(AggregatedMessage::Text(text))) => {
                return match serde_json::from_str::<ClientEvent>(&text) {
                    Ok(ClientEvent::Auth { token }) => Auth::from_token(state, &token).await,
                    _ => Err(unauthenticated(FIRST_FRAME)),
                };
            }
            Some(Ok(AggregatedMessage::Ping(bytes))) => {
                let _ = session.pong(&bytes).await;
            }
            Some(Ok(AggregatedMessage::Pong(_))) => {}
            _ => return Err(unauthenticated(FIRST_FRAME)),
        }
    }
}

/// Sends a close frame; gives up after a moment if the client is not reading.
async fn close(session: Session, code: u16, text: &str) {
    let reason = CloseReason { code: CloseCode::from(code), description: Some(text.to_owned()) };
    let _ = tokio::time::timeout(Duration::from_secs(2), session.close(Some(reason))).await;
}

fn close_reason(code: u16) -> (u16, String) {
    let text = match code {
        super::hub::CLOSE_REVOKED => "session revoked",
        super::hub::CLOSE_TOO_SLOW => "too slow: the outbound queue is full; reconnect and resume",
        _ => "closed",
    };
    (code, text.to_owned())
}

/// The `error` event answering a request that failed.
fn failed(err: AppError, client_id: Option<String>) -> ServerEvent {
    if err.kind.status().is_server_error() {
        tracing::error!(error = %err, "websocket request failed");
    }
    error_event(err.kind.code(), &err.detail, client_id)
}

fn error_event(code: &str, message: &str, client_id: Option<String>) -> ServerEvent {
    ServerEvent::Error { code: code.to_owned(), message: message.to_owned(), client_id }
}

struct Connection {
    state: Arc<AppState>,
    auth: Auth,
    handle: Arc<ConnHandle>,
    /// Subscribed rooms → highest `seq` sent on this connection.
    cursors: HashMap<i64, i64>,
    /// Sends queued for the writer, each answered with `ack` or `error` once committed. They
    /// are queued in the order they arrive, so one connection's sends keep their order.
    sends: FuturesUnordered<BoxFuture<'static, (String, AppResult<Message>)>>,
    session: Session,
}

/// Sends one connection may have waiting for their commit; beyond it the connection is not
/// read until one completes (back-pressure to the client through TCP).
const SENDS_IN_FLIGHT: usize = 256;

type Closing = Option<(u16, String)>;

impl Connection {
    /// Serves the connection until it ends; returns the close to send, if any.
    async fn serve(
        &mut self,
        user: &confab_shared::User,
        mut stream: Stream,
        mut outbound: tokio::sync::mpsc::Receiver<Outbound>,
    ) -> Closing {
        if self.send(&ServerEvent::Ready { user: user.clone() }).await.is_err() {
            return None;
        }
        let mut shutdown = self.state.realtime.shutdown_signal();
        let mut heartbeat = tokio::time::interval(HEARTBEAT_EVERY);
        heartbeat.tick().await;
        let mut last_heard = Instant::now();
        let handle = self.handle.clone();
        loop {
            // Biased, in this order: a close wins; a committed send's `ack` goes out before
            // the room's copy of the same message (the writer answers before it publishes);
            // the client is read before queued events are written, so a busy room cannot
            // starve its input (a client flooding us is bounded by SENDS_IN_FLIGHT and the
            // send rate limit instead).
            tokio::select! {
                biased;
                code = handle.closed() => return Some(close_reason(code)),
                _ = shutdown.changed() => {
                    return Some((u16::from(CloseCode::Away), "server shutting down".to_owned()));
                }
                Some((client_id, sent)) = self.sends.next(), if !self.sends.is_empty() => {
                    let reply = match sent {
                        Ok(message) => ServerEvent::Ack { client_id, message },
                        Err(err) => failed(err, Some(client_id)),
                    };
                    if self.send(&reply).await.is_err() { return None; }
                }
                msg = stream.next(), if self.sends.len() < SENDS_IN_FLIGHT => {
                    last_heard = Instant::now();
                    match msg {
                        Some(Ok(AggregatedMessage::Text(text))) => {
                            // Boxed: handling a frame needs a large future (store queries) only
                            // while it runs; inline, every idle connection would carry its size.
                            if Box::pin(self.on_text(&text)).await.is_err() { return None; }
                        }
                        Some(Ok(AggregatedMessage::Binary(_))) => {
                            let event = error_event("unsupported_frame", "binary frames are not supported; send JSON text", None);
                            if self.send(&event).await.is_err() { return None; }
                        }
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            if self.session.pong(&bytes).await.is_err() { return None; }
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => {}
                        Some(Ok(AggregatedMessage::Close(_))) | None => return None,
                        Some(Err(err)) => {
                            let text = format!("protocol error: {err}");
                            let _ = self.send(&error_event("invalid_frame", &text, None)).await;
                            return Some((u16::from(CloseCode::Size), text));
                        }
                    }
                }
                item = outbound.recv() => {
                    let item = item?;
                    // A client that stops reading blocks this write: let a close request win.
                    tokio::select! {
                        sent = self.on_outbound(item) => if sent.is_err() { return None; },
                        code = handle.closed() => return Some(close_reason(code)),
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > CLIENT_TIMEOUT {
                        return Some((u16::from(CloseCode::Policy), "heartbeat timeout".to_owned()));
                    }
                    if self.session.ping(b"").await.is_err() { return None; }
                }
            }
        }
    }

    async fn send(&mut self, event: &ServerEvent) -> Result<(), actix_ws::Closed> {
        self.session.text(frame(event)).await
    }

    async fn on_outbound(&mut self, item: Outbound) -> Result<(), actix_ws::Closed> {
        match item {
            Outbound::Frame { room_id: Some(room_id), seq, frame, published_us } => {
                let Some(cursor) = self.cursors.get_mut(&room_id) else { return Ok(()) };
                if let Some(seq) = seq {
                    if seq <= *cursor {
                        return Ok(()); // already sent by the replay
                    }
                    *cursor = seq;
                }
                self.session.text(frame).await?;
                let metrics = &self.state.metrics;
                metrics.frames_out.fetch_add(1, Ordering::Relaxed);
                if seq.is_some() {
                    metrics.delivery_latency.observe((crate::metrics::now_micros() - published_us) as f64 / 1e6);
                }
                Ok(())
            }
            Outbound::Frame { room_id: None, frame, .. } => {
                self.state.metrics.frames_out.fetch_add(1, Ordering::Relaxed);
                self.session.text(frame).await
            }
            Outbound::Evicted { room_id } => {
                self.cursors.remove(&room_id);
                Ok(())
            }
        }
    }

    /// Handles one client frame. Bad input gets an `error` event; only a dead socket is `Err`.
    async fn on_text(&mut self, text: &str) -> Result<(), actix_ws::Closed> {
        let event = match parse_client_event(text) {
            Ok(event) => event,
            Err(err) => {
                return self.send(&error_event(err.kind.code(), &err.detail, None)).await;
            }
        };
        let client_id = match &event {
            ClientEvent::Send { client_id, .. } => Some(client_id.clone()),
            _ => None,
        };
        match self.handle_event(event).await {
            Ok(()) => Ok(()),
            Err(err) => self.send(&failed(err, client_id)).await,
        }
    }

    async fn handle_event(&mut self, event: ClientEvent) -> AppResult<()> {
        let state = self.state.clone();
        match event {
            ClientEvent::Auth { .. } => Err(AppError::new(ErrorKind::Validation, "already authenticated")),
            ClientEvent::Ping => self.reply(&ServerEvent::Pong).await,
            ClientEvent::Subscribe { room_id, after_seq } => self.subscribe(room_id, after_seq).await,
            ClientEvent::Unsubscribe { room_id } => {
                if self.cursors.remove(&room_id).is_some() {
                    state.realtime.hub.unsubscribe(Topic::Room(room_id), self.handle.id);
                }
                self.reply(&ServerEvent::Unsubscribed { room_id }).await
            }
            ClientEvent::Send { room_id, client_id, body } => {
                let pending =
                    messages::service::submit(&state, self.auth, room_id, body, Some(client_id.clone())).await?;
                self.sends.push(Box::pin(async move { (client_id, pending.sent(&state).await.map(|(m, _)| m)) }));
                Ok(())
            }
            ClientEvent::Typing { room_id } => rooms::service::typing(&state, self.auth, room_id).await,
            ClientEvent::Read { room_id, seq } => {
                let marker = rooms::service::mark_read(&state, self.auth, room_id, seq).await?;
                let event = ServerEvent::Read { room_id, seq: marker };
                let mut envelope = Envelope::event(Topic::User(self.auth.user_id), None, frame(&event));
                envelope.skip_conn = Some(self.handle.id);
                state.realtime.publish(envelope);
                Ok(())
            }
        }
    }

    async fn reply(&mut self, event: &ServerEvent) -> AppResult<()> {
        // A dead socket ends the connection at the next read; nothing more to do here.
        let _ = self.send(event).await;
        Ok(())
    }

    /// Registers for live events first, then replays the store up to its head, then says
    /// `subscribed`: nothing committed in between can be missed, and the cursor drops what
    /// the replay already sent.
    async fn subscribe(&mut self, room_id: i64, after_seq: Option<i64>) -> AppResult<()> {
        let state = self.state.clone();
        rooms::access::readable(&state, room_id, self.auth.user_id).await?;
        let hub = &state.realtime.hub;
        self.cursors.remove(&room_id);
        hub.subscribe(Topic::Room(room_id), self.handle.clone());
        let head = match store::messages::head(&state.store, room_id).await {
            Ok(Some(head)) => head,
            Ok(None) => {
                hub.unsubscribe(Topic::Room(room_id), self.handle.id);
                return Err(AppError::not_found("room"));
            }
            Err(err) => {
                hub.unsubscribe(Topic::Room(room_id), self.handle.id);
                return Err(err);
            }
        };
        hub.set_base(room_id, head);
        let after = after_seq.unwrap_or(head).clamp(0, head);
        let truncated = head - after > state.config.max_replay;
        if !truncated && let Err(err) = self.replay(room_id, after, head).await {
            hub.unsubscribe(Topic::Room(room_id), self.handle.id);
            return Err(err);
        }
        state.metrics.replay_size.observe(if truncated { 0.0 } else { (head - after) as f64 });
        self.cursors.insert(room_id, head);
        self.reply(&ServerEvent::Subscribed { room_id, head_seq: head, replay_truncated: truncated }).await
    }
}

impl Connection {
    /// Sends every change of the room with `after < seq <= head`, oldest first.
    async fn replay(&mut self, room_id: i64, after: i64, head: i64) -> AppResult<()> {
        let mut cursor = after;
        while cursor < head {
            let changes =
                store::messages::changes_between(&self.state.store, room_id, cursor, head, REPLAY_PAGE).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            for change in changes {
                let _ = self.session.text(frame(&change_event(room_id, change))).await;
            }
            cursor = last;
        }
        Ok(())
    }
}

/// Parses a client frame: `malformed_json` for bad JSON, `unknown_type` for a `type` we do
/// not know, `validation_failed` (naming the field) for a known type with bad fields.
fn parse_client_event(text: &str) -> AppResult<ClientEvent> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| AppError::new(ErrorKind::MalformedJson, format!("invalid JSON: {e}")))?;
    let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
    const KNOWN: [&str; 7] = ["auth", "subscribe", "unsubscribe", "send", "typing", "read", "ping"];
    if !KNOWN.contains(&kind.as_str()) {
        let detail = format!("unknown event type {kind:?}; expected one of {}", KNOWN.join(", "));
        return Err(AppError::new(ErrorKind::UnknownType, detail));
    }
    crate::json::parse(text.as_bytes())
}
