//! The write path of messages, shared by REST and the WebSocket gateway: check, store,
//! then publish. Publishing happens only after the commit, and a repeated send publishes the
//! original again (hubs drop what they already delivered), so a node dying between commit
//! and publish loses nothing once the client retries.

use confab_shared::{Message, Role, ServerEvent};

use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::rooms::access;
use crate::state::AppState;
use crate::store::{self, messages::NewMessage};
use crate::validate;

/// Sends a message; returns it and whether it is new (false: a repeat of `client_id`).
pub async fn send(
    state: &AppState,
    auth: Auth,
    room_id: i64,
    body: &str,
    client_id: Option<&str>,
) -> AppResult<(Message, bool)> {
    validate::message_body(body)?;
    if let Some(id) = client_id {
        validate::client_id(id)?;
    }
    access::member(state, room_id, auth.user_id).await?;
    if let Err(wait) = state.limits.send.check(&auth.user_id.to_string()).await {
        return Err(AppError::rate_limited(wait.as_secs() + 1));
    }
    let author = store::users::by_id(&state.store, auth.user_id).await?.ok_or_else(|| AppError::not_found("user"))?;
    let new = NewMessage { room_id, author_id: auth.user_id, body, client_id };
    let (row, created) = store::messages::send(&state.store, &new).await?;
    if created {
        state.metrics.messages_in.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let message = row.into_message(author);
    state.realtime.to_room(room_id, &ServerEvent::Message { room_id, seq: message.seq, message: message.clone() });
    Ok((message, created))
}

/// Edits the caller's own message.
pub async fn edit(state: &AppState, auth: Auth, room_id: i64, message_id: i64, body: &str) -> AppResult<Message> {
    validate::message_body(body)?;
    access::member(state, room_id, auth.user_id).await?;
    let current = store::messages::by_id(&state.store, room_id, message_id)
        .await?
        .ok_or_else(|| AppError::not_found("message"))?;
    if current.author_id != auth.user_id {
        return Err(AppError::forbidden("only the author may edit a message"));
    }
    let row = store::messages::edit(&state.store, room_id, message_id, body).await?;
    let seq = row.updated_seq;
    let author = store::users::by_id(&state.store, row.author_id).await?.ok_or_else(|| AppError::not_found("user"))?;
    let message = row.into_message(author);
    state.realtime.to_room(room_id, &ServerEvent::MessageUpdated { room_id, seq, message: message.clone() });
    Ok(message)
}

/// Deletes a message (its author, or a room owner or admin), leaving a tombstone.
pub async fn delete(state: &AppState, auth: Auth, room_id: i64, message_id: i64) -> AppResult<()> {
    let access = access::member(state, room_id, auth.user_id).await?;
    let current = store::messages::by_id(&state.store, room_id, message_id)
        .await?
        .ok_or_else(|| AppError::not_found("message"))?;
    if current.author_id != auth.user_id {
        access.require(Role::Admin, "delete other people's messages")?;
    }
    let row = store::messages::delete(&state.store, room_id, message_id).await?;
    state.realtime.to_room(room_id, &ServerEvent::MessageDeleted { room_id, seq: row.updated_seq, message_id });
    Ok(())
}
