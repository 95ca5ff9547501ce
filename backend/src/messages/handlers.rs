//! `/rooms/{room_id}/messages` and `/rooms/{room_id}/read`.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use confab_shared::{EditMessage, Message, MessageList, ReadMarker, SendMessage};
use serde::Deserialize;
use utoipa::IntoParams;

use super::service;
use super::writer::Sent;
use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::json::ApiJson;
use crate::rooms::{self, access};
use crate::state::AppState;
use crate::store::{self, messages::Scope, models::MessageRow};

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Only messages with a smaller `seq`.
    #[param(minimum = 0)]
    pub before_seq: Option<i64>,
    /// Only messages with a larger `seq` (pages forward from here, oldest first).
    #[param(minimum = 0)]
    pub after_seq: Option<i64>,
    /// The messages around this `seq` (it included, if it exists): half the page up to it, the
    /// rest after it (to jump to a message, e.g. a search result). `before_seq` and `after_seq`
    /// are ignored with it.
    #[param(minimum = 0)]
    pub around_seq: Option<i64>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// One thread only: its root (first) and its replies. A reply's id names its root's thread.
    #[param(minimum = 0)]
    pub thread: Option<i64>,
    /// `true`: the room's timeline: no replies but those also sent to the room (ignored with
    /// `thread`).
    pub top_level: Option<bool>,
}

/// History in ascending `seq`: the newest page by default, older with `before_seq`, newer
/// with `after_seq`, or the page around one message with `around_seq`; of the whole room, of
/// its timeline without replies (`top_level`), or of one thread (`thread`).
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), HistoryQuery),
    responses(
        (status = 200, description = "A page of messages", body = MessageList),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/rooms/{room_id}/messages")]
pub async fn history(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<HistoryQuery>,
) -> AppResult<web::Json<MessageList>> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(AppError::invalid("limit", format!("must be between 1 and {MAX_PAGE}")));
    }
    let bounds = [
        ("before_seq", query.before_seq),
        ("after_seq", query.after_seq),
        ("around_seq", query.around_seq),
        ("thread", query.thread),
    ];
    for (name, value) in bounds {
        if value.is_some_and(|v| v < 0) {
            return Err(AppError::invalid(name, "must not be negative"));
        }
    }
    let access = access::readable(&state.store, path.into_inner(), auth.user_id).await?;
    let room_id = access.room.id;
    let scope = match query.thread {
        Some(id) => {
            let message = store::messages::by_id(&state.store, room_id, id)
                .await?
                .ok_or_else(|| AppError::not_found("thread"))?;
            Scope::Thread(message.reply_to.unwrap_or(message.id))
        }
        None if query.top_level == Some(true) => Scope::TopLevel,
        None => Scope::Room,
    };
    let page = |before, after, limit| store::messages::history(&state.store, room_id, scope, before, after, limit);
    let into_messages = |rows: Vec<_>| rows.into_iter().map(|(m, author): (MessageRow, _)| m.into_message(author));
    let Some(around) = query.around_seq else {
        let (rows, has_more) = page(query.before_seq, query.after_seq, limit).await?;
        return Ok(web::Json(MessageList { messages: into_messages(rows).collect(), has_more, has_more_after: None }));
    };
    let (older, has_more) = page(Some(around.saturating_add(1)), None, (limit + 1) / 2).await?;
    let rest = limit - older.len() as i64;
    let (newer, has_more_after) = page(None, Some(around), rest).await?;
    let messages = into_messages(older).chain(into_messages(newer)).collect();
    Ok(web::Json(MessageList { messages, has_more, has_more_after: Some(has_more_after) }))
}

/// Sends a message. A repeated `client_id` of the same author returns the original (200)
/// and writes nothing; the same `client_id` in another room is a 409.
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    request_body = SendMessage,
    responses(
        (status = 201, description = "Sent", body = Message),
        (status = 200, description = "A repeat of an earlier send: the original message", body = Message),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/rooms/{room_id}/messages")]
pub async fn send(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<SendMessage>,
) -> AppResult<HttpResponse> {
    let SendMessage { body, client_id, attachments, reply_to, also_to_room } = body.0;
    let draft = service::Draft { body, client_id, attachments, reply_to, also_to_room, posted_as: None };
    Ok(match service::send(&state, auth, path.into_inner(), draft).await? {
        Sent::New(message) => HttpResponse::Created().json(message),
        Sent::Repeat(message) => HttpResponse::Ok().json(message),
    })
}

/// Edits one of the caller's messages.
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), ("message_id" = i64, Path, description = "Message id")),
    request_body = EditMessage,
    responses(
        (status = 200, description = "The edited message", body = Message),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[patch("/rooms/{room_id}/messages/{message_id}")]
pub async fn edit(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: ApiJson<EditMessage>,
) -> AppResult<web::Json<Message>> {
    let (room_id, message_id) = path.into_inner();
    Ok(web::Json(service::edit(&state, auth, room_id, message_id, &body.0.body).await?))
}

/// Deletes a message (own; owners and admins: any), leaving a tombstone.
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), ("message_id" = i64, Path, description = "Message id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/rooms/{room_id}/messages/{message_id}")]
pub async fn delete_message(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (room_id, message_id) = path.into_inner();
    service::delete(&state, auth, room_id, message_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The path of one emoji's reactions to a message.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ReactionPath {
    /// Room id.
    pub room_id: i64,
    /// Message id.
    pub message_id: i64,
    /// The emoji (URL-encoded): 1–32 characters, no whitespace or control characters.
    #[param(min_length = 1, max_length = 32, pattern = r"^[^\s\x00-\x1F\x7F-\x9F]{1,32}$")]
    pub emoji: String,
}

/// Reacts to a message with an emoji (members); idempotent. Everyone subscribed gets a
/// `message_updated` with the message's new `reactions`.
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    params(ReactionPath),
    responses(
        (status = 204, description = "Reacted (or had already)"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, description = "The message has as many different emoji as it may (20)", body = confab_shared::Problem,
            content_type = "application/problem+json"),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[put("/rooms/{room_id}/messages/{message_id}/reactions/{emoji}")]
pub async fn react(auth: Auth, state: web::Data<AppState>, path: web::Path<ReactionPath>) -> AppResult<HttpResponse> {
    let ReactionPath { room_id, message_id, emoji } = path.into_inner();
    service::react(&state, auth, room_id, message_id, &emoji, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Takes the caller's reaction back; idempotent.
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    params(ReactionPath),
    responses(
        (status = 204, description = "Removed (or was not there)"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/rooms/{room_id}/messages/{message_id}/reactions/{emoji}")]
pub async fn unreact(auth: Auth, state: web::Data<AppState>, path: web::Path<ReactionPath>) -> AppResult<HttpResponse> {
    let ReactionPath { room_id, message_id, emoji } = path.into_inner();
    service::react(&state, auth, room_id, message_id, &emoji, false).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Moves the caller's read marker (never backwards); their other connections are told.
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    request_body = ReadMarker,
    responses(
        (status = 204, description = "Marker moved (or already further)"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[put("/rooms/{room_id}/read")]
pub async fn read(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<ReadMarker>,
) -> AppResult<HttpResponse> {
    rooms::service::mark_read(&state, auth, path.into_inner(), body.0.seq).await?;
    Ok(HttpResponse::NoContent().finish())
}
