//! `GET /api/v1/ws`: one task per WebSocket connection.
//!
//! The task authenticates (header or first `auth` frame), registers with the hub, then
//! serves its sources in one `select!`: frames from the client, events from its bounded
//! outbound queue (and, after them, what fell behind when it was full), and a heartbeat. Per subscribed
//! room it keeps the highest `seq` sent (its cursor), which makes every switch between the
//! store and live delivery exact: a queued live event at or below the cursor was already sent
//! and is dropped; one beyond `cursor + 1` means changes were left out of a full queue, and
//! they are read from the store first (replay, falling behind and catching up are one rule).
//!
//! Every write races the close signal (logout, revocation) and shutdown, and a write that the
//! client does not take within the stall timeout closes the connection with 4008; replay and
//! catch-up read the store a page at a time, so memory stays bounded however far behind.

use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_ws::{AggregatedMessage, CloseReason, Session};
use confab_shared::{ClientEvent, CloseCode, Message, ServerEvent};
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::envelope::{Frame, change_event, frame};
use super::hub::{ConnHandle, Outbound};
use super::registration::Registration;
use crate::auth::Auth;
use crate::auth::extract::bearer_token;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::messages::writer::Sent;
use crate::state::AppState;
use crate::store::StoreError;
use crate::{messages, rooms, store};

/// Largest WebSocket frame (and reassembled message) accepted.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const HEARTBEAT_EVERY: Duration = Duration::from_secs(20);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);
/// Changes read per replay (or catch-up) query: at most ~1.6 MB of frames held at once.
const REPLAY_PAGE: i64 = 100;

const FIRST_FRAME: &str = "the first frame must be {\"type\":\"auth\",\"token\":…}";

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
    // A socket that has not authenticated yet holds a place of its client address.
    let pending = match pre_auth {
        Some(_) => None,
        None => {
            let addr = req.peer_addr().map(|a| a.ip());
            let place = state.realtime.pending.enter(addr, state.config.max_pending_sockets_per_addr);
            Some(place.ok_or_else(|| AppError::rate_limited(1))?)
        }
    };
    let (response, session, stream) = actix_ws::handle(&req, body)
        .map_err(|e| AppError::new(ErrorKind::UpgradeRequired, format!("this endpoint speaks WebSocket only: {e}")))?;
    let stream =
        stream.max_frame_size(MAX_FRAME_BYTES).aggregate_continuations().max_continuation_size(MAX_FRAME_BYTES);
    actix_web::rt::spawn(run(state.into_inner(), session, stream, pre_auth, pending));
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

async fn run(
    state: Arc<AppState>,
    mut session: Session,
    mut stream: Stream,
    pre_auth: Option<Auth>,
    pending: Option<super::pending::Place>,
) {
    let auth = match pre_auth {
        Some(auth) => auth,
        // Boxed here and below: these futures are large and needed once; inline, every
        // connection's task would be as large as the largest of them for its whole life.
        None => match Box::pin(first_frame_auth(&state, &mut session, &mut stream)).await {
            Ok(auth) => auth,
            Err(HandleError::App(err)) => {
                if let Some(frame) = frame(&error_event(err.kind.code(), &err.detail, None)) {
                    let _ = session.text(frame).await;
                }
                // A database that cannot answer is not a bad token: the client must not
                // refresh it (4001) but come back shortly (1013).
                let code =
                    if err.kind.status().is_server_error() { CloseCode::TryAgain } else { CloseCode::Unauthenticated };
                return close(session, code, &err.detail).await;
            }
            Err(HandleError::End(End::Close(code, text))) => return close(session, code, &text).await,
            Err(HandleError::End(End::Gone)) => return,
        },
    };
    drop(pending);
    let user = match Box::pin(store::users::by_id(&state.store, auth.user_id)).await {
        Ok(Some(user)) => confab_shared::User::from(user),
        Ok(None) => return close(session, CloseCode::Unauthenticated, "unknown user").await,
        Err(err) => {
            tracing::warn!(error = %err, "websocket start-up failed");
            return close(session, CloseCode::ServerError, CloseCode::ServerError.reason()).await;
        }
    };
    let (handle, outbound) =
        ConnHandle::new(rand::random(), auth.user_id, auth.session_id, state.config.outbound_queue);
    let registration = Registration::new(
        state.realtime.clone(),
        state.metrics.clone(),
        user.clone(),
        handle.clone(),
        state.config.max_connections_per_user,
    );
    let Some(registration) = registration else {
        return close(session, CloseCode::TooMany, CloseCode::TooMany.reason()).await;
    };
    // A logout between the token check and the subscription above sent its close to nobody:
    // look again now that a close would reach this connection.
    if !matches!(Box::pin(store::sessions::is_active(&state.store, auth.session_id)).await, Ok(true)) {
        handle.close(CloseCode::Revoked);
    }
    // Read once registered: an entry committed after this read reaches the queue.
    let user_cursor = match Box::pin(store::user_stream::head(&state.store, auth.user_id)).await {
        Ok(head) => head,
        Err(err) => {
            tracing::warn!(error = %err, "websocket start-up failed");
            drop(registration);
            return close(session, CloseCode::ServerError, CloseCode::ServerError.reason()).await;
        }
    };
    let mut conn = Connection {
        state: state.clone(),
        auth,
        handle,
        registration,
        cursors: HashMap::new(),
        user_cursor,
        sends: FuturesUnordered::new(),
        session,
        shutdown: state.realtime.shutdown_signal(),
        stall: Duration::from_secs(state.config.stall_timeout_secs.max(1)),
        last_heard: Instant::now(),
    };
    let end = conn.serve(&user, stream, outbound).await;
    if matches!(end, End::Close(CloseCode::TooSlow, _)) {
        state.metrics.slow_consumers_closed.fetch_add(1, Ordering::Relaxed);
    }
    let Connection { session, registration, .. } = conn;
    drop(registration);
    if let End::Close(code, text) = end {
        close(session, code, &text).await;
    }
}

/// Waits for the `auth` frame: a refused one is `App` (answered with an `error` event, then
/// closed with 4001).
async fn first_frame_auth(state: &AppState, session: &mut Session, stream: &mut Stream) -> Result<Auth, HandleError> {
    let unauthenticated = |detail: &str| HandleError::App(AppError::unauthenticated(detail));
    let deadline = tokio::time::sleep(AUTH_TIMEOUT);
    tokio::pin!(deadline);
    let mut shutdown = state.realtime.shutdown_signal();
    loop {
        let msg = tokio::select! {
            _ = &mut deadline => return Err(unauthenticated("no auth frame within 10 seconds")),
            _ = shutdown.changed() => return Err(End::away().into()),
            msg = stream.next() => msg,
        };
        match msg {
            Some(Ok(AggregatedMessage::Text(text))) => {
                return match serde_json::from_str::<ClientEvent>(&text) {
                    Ok(ClientEvent::Auth { token }) => Ok(Auth::from_token(state, &token).await?),
                    _ => Err(unauthenticated(FIRST_FRAME)),
                };
            }
            Some(Ok(AggregatedMessage::Ping(bytes))) => {
                let _ = session.pong(&bytes).await;
            }
            Some(Ok(AggregatedMessage::Pong(_))) => {}
            Some(Err(err)) => return Err(End::protocol_error(&err).into()),
            Some(Ok(AggregatedMessage::Close(_))) | None => return Err(End::Gone.into()),
            _ => return Err(unauthenticated(FIRST_FRAME)),
        }
    }
}

/// Sends a close frame; gives up after a moment if the client is not reading.
async fn close(session: Session, code: CloseCode, text: &str) {
    let reason = CloseReason { code: actix_ws::CloseCode::from(code.code()), description: Some(text.to_owned()) };
    let _ = tokio::time::timeout(Duration::from_secs(2), session.close(Some(reason))).await;
}

/// Why a connection's task stops: the socket is gone, or it closes the socket with a code.
#[derive(Debug)]
enum End {
    Gone,
    Close(CloseCode, String),
}

impl End {
    /// A close with the code's usual reason.
    fn with(code: CloseCode) -> Self {
        End::Close(code, code.reason().to_owned())
    }

    fn away() -> Self {
        End::with(CloseCode::GoingAway)
    }

    /// A frame the protocol refuses (over the size limit, malformed): 1009, as RFC 6455 says
    /// for a message too big to process.
    fn protocol_error(err: &actix_ws::ProtocolError) -> Self {
        End::Close(CloseCode::TooBig, format!("protocol error: {err}"))
    }
}

/// The result of one step of a connection; `Err` ends it.
type Step = Result<(), End>;

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
    /// Subscriptions and presence, released when the connection ends.
    registration: Registration,
    /// Subscribed rooms → highest `seq` sent on this connection.
    cursors: HashMap<i64, i64>,
    /// The highest entry of the user's stream sent on this connection (or its head at `ready`).
    user_cursor: i64,
    /// Sends queued for the writer, each answered with `ack` or `error` once committed. They
    /// are queued in the order they arrive, so one connection's sends keep their order.
    sends: FuturesUnordered<BoxFuture<'static, (String, AppResult<Message>)>>,
    session: Session,
    shutdown: tokio::sync::watch::Receiver<bool>,
    /// How long one write may wait for the client to read.
    stall: Duration,
    /// When the client last sent anything (heartbeat).
    last_heard: Instant,
}

/// Sends one connection may have waiting for their commit; beyond it the connection is not
/// read until one completes (back-pressure to the client through TCP).
const SENDS_IN_FLIGHT: usize = 256;

impl Connection {
    /// Serves the connection until it ends.
    async fn serve(
        &mut self,
        user: &confab_shared::User,
        mut stream: Stream,
        mut outbound: tokio::sync::mpsc::Receiver<Outbound>,
    ) -> End {
        match self.run(user, &mut stream, &mut outbound).await {
            Ok(()) => End::Gone,
            Err(end) => end,
        }
    }

    async fn run(
        &mut self,
        user: &confab_shared::User,
        stream: &mut Stream,
        outbound: &mut tokio::sync::mpsc::Receiver<Outbound>,
    ) -> Step {
        self.send(&ServerEvent::Ready { user: user.clone(), user_seq: self.user_cursor }).await?;
        let mut heartbeat = tokio::time::interval(HEARTBEAT_EVERY);
        heartbeat.tick().await;
        let handle = self.handle.clone();
        loop {
            // Biased, in this order: a close wins; a committed send's `ack` goes out before
            // the room's copy of the same message (the writer answers before it publishes);
            // the client is read before queued events are written, so a busy room cannot
            // starve its input (a client flooding us is bounded by SENDS_IN_FLIGHT and the
            // send rate limit instead). What fell behind is taken after a queued item.
            tokio::select! {
                biased;
                code = handle.closed() => return Err(End::with(code)),
                _ = self.shutdown.changed() => return Err(End::away()),
                Some((client_id, sent)) = self.sends.next(), if !self.sends.is_empty() => {
                    self.answer(client_id, sent).await?;
                }
                msg = stream.next(), if self.sends.len() < SENDS_IN_FLIGHT => {
                    self.last_heard = Instant::now();
                    match msg {
                        // Boxed: handling a frame needs a large future (store queries) only
                        // while it runs; inline, every idle connection would carry its size.
                        Some(Ok(AggregatedMessage::Text(text))) => Box::pin(self.on_text(&text)).await?,
                        Some(Ok(AggregatedMessage::Binary(_))) => {
                            let event = error_event("unsupported_frame", "binary frames are not supported; send JSON text", None);
                            self.send(&event).await?;
                        }
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            if self.session.pong(&bytes).await.is_err() { return Err(End::Gone); }
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => {}
                        Some(Ok(AggregatedMessage::Close(_))) | None => return Err(End::Gone),
                        Some(Err(err)) => {
                            let end = End::protocol_error(&err);
                            if let End::Close(_, text) = &end {
                                let _ = self.send(&error_event("invalid_frame", text, None)).await;
                            }
                            return Err(end);
                        }
                    }
                }
                item = outbound.recv() => {
                    let Some(item) = item else { return Err(End::Gone) };
                    handle.received(&item);
                    self.on_outbound(item).await?;
                    if handle.is_behind() {
                        Box::pin(self.catch_up()).await?;
                    }
                }
                _ = heartbeat.tick() => {
                    if self.last_heard.elapsed() > CLIENT_TIMEOUT {
                        return Err(End::with(CloseCode::Policy));
                    }
                    if self.session.ping(b"").await.is_err() { return Err(End::Gone); }
                }
            }
        }
    }

    /// Writes one frame. The write races the close signal and shutdown; a client that does
    /// not take it within the stall timeout is too slow (4008).
    async fn write(&mut self, frame: Frame) -> Step {
        if let Some(code) = self.handle.close_requested() {
            return Err(End::with(code));
        }
        // Most writes find room in the socket's buffer at once: no timer for those.
        if let Some(sent) = self.session.text(frame.clone()).now_or_never() {
            return sent.map_err(|_| End::Gone);
        }
        let handle = self.handle.clone();
        tokio::select! {
            biased;
            code = handle.closed() => Err(End::with(code)),
            _ = self.shutdown.changed() => Err(End::away()),
            sent = self.session.text(frame) => sent.map_err(|_| End::Gone),
            _ = tokio::time::sleep(self.stall) => {
                tracing::info!(conn = handle.id, user_id = handle.user_id, "closing slow consumer: a write stalled");
                Err(End::Close(CloseCode::TooSlow, "too slow: the client stopped reading; reconnect and resume".to_owned()))
            }
        }
    }

    async fn send(&mut self, event: &ServerEvent) -> Step {
        match frame(event) {
            Some(frame) => self.write(frame).await,
            None => Ok(()),
        }
    }

    async fn answer(&mut self, client_id: String, sent: AppResult<Message>) -> Step {
        let reply = match sent {
            Ok(message) => ServerEvent::Ack { client_id, message },
            Err(err) => failed(err, Some(client_id)),
        };
        self.send(&reply).await
    }

    async fn on_outbound(&mut self, item: Outbound) -> Step {
        match item {
            Outbound::Change { room_id, seq, frame, published_us } => {
                let Some(&cursor) = self.cursors.get(&room_id) else { return Ok(()) };
                if seq <= cursor {
                    return Ok(()); // already sent (replayed, or read back)
                }
                if seq > cursor + 1 {
                    // Changes in between were left out of a full queue: read them first.
                    // Boxed: the common case (no gap) keeps a small future, and no allocation.
                    Box::pin(self.read_back(room_id, seq - 1)).await?;
                }
                self.cursors.insert(room_id, seq);
                self.write(frame).await?;
                let metrics = &self.state.metrics;
                metrics.frames_out.fetch_add(1, Ordering::Relaxed);
                metrics.delivery_latency.observe((crate::metrics::now_micros() - published_us) as f64 / 1e6);
                Ok(())
            }
            Outbound::UserChange { seq, frame } => {
                if seq <= self.user_cursor {
                    return Ok(()); // already sent
                }
                if seq > self.user_cursor + 1 {
                    Box::pin(self.read_back_user(seq - 1)).await?;
                }
                self.user_cursor = seq;
                self.state.metrics.frames_out.fetch_add(1, Ordering::Relaxed);
                self.write(frame).await
            }
            Outbound::Event { room_id, frame, .. } => {
                if room_id.is_some_and(|id| !self.cursors.contains_key(&id)) {
                    return Ok(()); // a room this connection does not follow (any more)
                }
                self.state.metrics.frames_out.fetch_add(1, Ordering::Relaxed);
                self.write(frame).await
            }
            Outbound::Evicted { room_id } => {
                self.cursors.remove(&room_id);
                self.registration.evicted(room_id);
                Ok(())
            }
        }
    }

    /// Catches up with what did not fit the queue: each room's left-out changes from the
    /// store, then the events that waited (once the queue holds none older).
    async fn catch_up(&mut self) -> Step {
        let behind = self.handle.take_behind();
        for (room_id, highest) in behind.rooms {
            self.read_back(room_id, highest).await?;
        }
        if let Some(highest) = behind.user_seq {
            self.read_back_user(highest).await?;
        }
        for item in behind.events {
            self.on_outbound(item).await?;
        }
        Ok(())
    }

    /// Sends the room's changes after its cursor up to `up_to`, from the hub's recent changes
    /// while it holds them, else from the store, and moves the cursor there. Acks that are
    /// ready go first, so an `ack` still precedes the room's copy.
    async fn read_back(&mut self, room_id: i64, up_to: i64) -> Step {
        while let Some(Some((client_id, sent))) = self.sends.next().now_or_never() {
            self.answer(client_id, sent).await?;
        }
        let Some(&(mut cursor)) = self.cursors.get(&room_id) else { return Ok(()) };
        let hub = self.state.realtime.hub.clone();
        while let Some(frames) = hub.recent(room_id, cursor, up_to, REPLAY_PAGE as usize) {
            let count = frames.len() as u64;
            for (seq, frame) in frames {
                self.write(frame).await?;
                cursor = seq;
            }
            self.cursors.insert(room_id, cursor);
            self.state.metrics.changes_from_memory.fetch_add(count, Ordering::Relaxed);
        }
        if up_to <= cursor {
            return Ok(());
        }
        let sent = match self.stream_changes(room_id, cursor, up_to).await {
            Ok(sent) => sent,
            Err(StreamError::End(end)) => return Err(end),
            Err(StreamError::Store(err)) => {
                // Without the store the gap cannot be filled: the client resumes from its cursor.
                tracing::warn!(room_id, error = %err, "reading back missed changes failed");
                return Err(End::with(CloseCode::TryAgain));
            }
        };
        self.state.metrics.changes_read_back.fetch_add(sent, Ordering::Relaxed);
        self.cursors.insert(room_id, up_to);
        Ok(())
    }

    /// Sends the user's stream after the cursor up to `up_to` from the store, and moves the
    /// cursor there.
    async fn read_back_user(&mut self, up_to: i64) -> Step {
        match self.stream_user(self.user_cursor, up_to).await {
            Ok(_) => {
                self.user_cursor = self.user_cursor.max(up_to);
                Ok(())
            }
            Err(StreamError::End(end)) => Err(end),
            Err(StreamError::Store(err)) => {
                tracing::warn!(error = %err, "reading back the user stream failed");
                Err(End::with(CloseCode::TryAgain))
            }
        }
    }

    /// Writes every entry of the user's stream with `after < seq <= up_to`, oldest first, a
    /// page at a time; returns how many.
    async fn stream_user(&mut self, after: i64, up_to: i64) -> Result<u64, StreamError> {
        let (user_id, mut cursor, mut sent) = (self.auth.user_id, after, 0);
        while cursor < up_to {
            let entries = store::user_stream::between(&self.state.store, user_id, cursor, up_to, REPLAY_PAGE)
                .await
                .map_err(StreamError::Store)?;
            let Some(&(last, _)) = entries.last() else { break };
            for (_, frame) in entries {
                self.write(Frame::from(frame)).await.map_err(StreamError::End)?;
                sent += 1;
            }
            cursor = last;
        }
        Ok(sent)
    }

    /// Writes every change of the room with `after < seq <= up_to`, oldest first, a page at a
    /// time; returns how many.
    async fn stream_changes(&mut self, room_id: i64, after: i64, up_to: i64) -> Result<u64, StreamError> {
        let mut cursor = after;
        let mut sent = 0;
        while cursor < up_to {
            let changes = store::messages::changes_between(&self.state.store, room_id, cursor, up_to, REPLAY_PAGE)
                .await
                .map_err(StreamError::Store)?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            for change in changes {
                if let Some(frame) = frame(&change_event(room_id, change)) {
                    self.write(frame).await.map_err(StreamError::End)?;
                    sent += 1;
                }
            }
            cursor = last;
        }
        Ok(sent)
    }

    /// Handles one client frame. Bad input gets an `error` event; only a dead socket or a
    /// close ends the connection.
    async fn on_text(&mut self, text: &str) -> Step {
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
            Err(HandleError::App(err)) => self.send(&failed(err, client_id)).await,
            Err(HandleError::End(end)) => Err(end),
        }
    }

    async fn handle_event(&mut self, event: ClientEvent) -> Result<(), HandleError> {
        let state = self.state.clone();
        match event {
            ClientEvent::Auth { .. } => Err(AppError::new(ErrorKind::Validation, "already authenticated").into()),
            ClientEvent::Ping => Ok(self.send(&ServerEvent::Pong).await?),
            ClientEvent::Subscribe { room_id, after_seq } => {
                state.limits.actions_by_user.take(self.auth.user_id).await?;
                self.subscribe(room_id, after_seq).await
            }
            ClientEvent::Sync { after_user_seq } => {
                state.limits.actions_by_user.take(self.auth.user_id).await?;
                self.sync(after_user_seq).await
            }
            ClientEvent::Unsubscribe { room_id } => {
                self.cursors.remove(&room_id);
                self.registration.unsubscribe(room_id);
                Ok(self.send(&ServerEvent::Unsubscribed { room_id }).await?)
            }
            ClientEvent::Send { room_id, client_id, body, attachments, reply_to, also_to_room } => {
                let draft = messages::service::Draft {
                    body,
                    client_id: Some(client_id.clone()),
                    attachments,
                    reply_to,
                    also_to_room,
                    posted_as: None,
                };
                let queued = messages::service::submit(&state, self.auth, room_id, draft).await?;
                self.sends.push(Box::pin(async move {
                    (client_id, queued.sent(&state.store).await.map(Sent::into_message))
                }));
                Ok(())
            }
            ClientEvent::Typing { room_id } => Ok(rooms::service::typing(&state, self.auth, room_id).await?),
            ClientEvent::Read { room_id, seq } => {
                state.limits.actions_by_user.take(self.auth.user_id).await?;
                rooms::service::mark_read(&state, self.auth, room_id, seq).await?;
                Ok(())
            }
        }
    }

    /// Registers for live events first, then replays the store up to its head, then says
    /// `subscribed`: nothing committed in between can be missed, and the cursor drops what
    /// the replay already sent.
    async fn subscribe(&mut self, room_id: i64, after_seq: Option<i64>) -> Result<(), HandleError> {
        let state = self.state.clone();
        rooms::access::readable(&state.store, room_id, self.auth.user_id).await?;
        let hub = &state.realtime.hub;
        self.cursors.remove(&room_id);
        self.registration.subscribe(room_id);
        let head = match store::messages::head(&state.store, room_id).await {
            Ok(Some(head)) => head,
            Ok(None) => {
                self.registration.unsubscribe(room_id);
                return Err(AppError::not_found("room").into());
            }
            Err(err) => {
                self.registration.unsubscribe(room_id);
                return Err(err.into());
            }
        };
        hub.set_base(room_id, head);
        let after = after_seq.unwrap_or(head).clamp(0, head);
        let truncated = head - after > state.config.max_replay;
        if !truncated {
            match self.stream_changes(room_id, after, head).await {
                Ok(_) => {}
                Err(StreamError::End(end)) => return Err(HandleError::End(end)),
                Err(StreamError::Store(err)) => {
                    self.registration.unsubscribe(room_id);
                    return Err(err.into());
                }
            }
        }
        state.metrics.replay_size.observe(if truncated { 0.0 } else { (head - after) as f64 });
        self.cursors.insert(room_id, head);
        Ok(self.send(&ServerEvent::Subscribed { room_id, head_seq: head, replay_truncated: truncated }).await?)
    }
}

impl Connection {
    /// Replays the user's stream after `after` up to its head (unless the gap is past the
    /// replay bound), then says `synced`. Live entries up to the head that are queued
    /// meanwhile are dropped by the cursor; later ones follow.
    async fn sync(&mut self, after: i64) -> Result<(), HandleError> {
        let head = store::user_stream::head(&self.state.store, self.auth.user_id).await?;
        let after = after.clamp(0, head);
        let truncated = head - after > self.state.config.max_user_replay;
        if !truncated {
            match self.stream_user(after, head).await {
                Ok(_) => {}
                Err(StreamError::End(end)) => return Err(HandleError::End(end)),
                Err(StreamError::Store(err)) => return Err(err.into()),
            }
        }
        self.user_cursor = self.user_cursor.max(head);
        let synced = ServerEvent::Synced { head_user_seq: head, replay_truncated: truncated };
        Ok(self.send(&synced).await?)
    }
}

/// A client request failed (answered with an `error` event), or the connection ended.
enum HandleError {
    App(AppError),
    End(End),
}

impl From<AppError> for HandleError {
    fn from(err: AppError) -> Self {
        HandleError::App(err)
    }
}

impl From<StoreError> for HandleError {
    fn from(err: StoreError) -> Self {
        HandleError::App(err.into())
    }
}

impl From<End> for HandleError {
    fn from(end: End) -> Self {
        HandleError::End(end)
    }
}

/// Reading changes from the store for a client failed, or the connection ended meanwhile.
enum StreamError {
    Store(StoreError),
    End(End),
}

/// Parses a client frame: `malformed_json` for bad JSON, `unknown_type` for a `type` we do
/// not know, `validation_failed` (naming the field) for a known type with bad fields.
fn parse_client_event(text: &str) -> AppResult<ClientEvent> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| AppError::new(ErrorKind::MalformedJson, format!("invalid JSON: {e}")))?;
    let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
    const KNOWN: [&str; 8] = ["auth", "subscribe", "unsubscribe", "send", "typing", "read", "sync", "ping"];
    if !KNOWN.contains(&kind.as_str()) {
        let detail = format!("unknown event type {kind:?}; expected one of {}", KNOWN.join(", "));
        return Err(AppError::new(ErrorKind::UnknownType, detail));
    }
    crate::json::parse(text.as_bytes())
}
