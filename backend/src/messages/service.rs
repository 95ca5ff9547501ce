//! The write path of messages, shared by REST and the WebSocket gateway: check, then queue
//! for the group-commit writer, which stores and then publishes. Publishing happens only after
//! the commit, and a repeated send publishes the original again (hubs drop what they already
//! delivered), so a node dying between commit and publish loses nothing once the client retries.

use confab_shared::{Message, Role, ServerEvent};

use super::writer::Queued;
use crate::auth::Auth;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::rooms::access;
use crate::state::AppState;
use crate::store::{self, messages::NewMessage};
use crate::validate;

/// Sends a message; returns it and whether it is new (false: a repeat of `client_id`).
pub async fn send(
    state: &AppState,
    auth: Auth,
    room_id: i64,
    body: String,
    client_id: Option<String>,
) -> AppResult<(Message, bool)> {
    submit(state, auth, room_id, body, client_id).await?.sent(state).await
}

/// Checks a send and queues it for the group-commit writer (see [`super::writer`]). Sends
/// queued in turn by one caller take the room's seqs in that order.
pub async fn submit(
    state: &AppState,
    auth: Auth,
    room_id: i64,
    body: String,
    client_id: Option<String>,
) -> AppResult<Pending> {
    validate::message_body(&body)?;
    if let Some(id) = &client_id {
        validate::client_id(id)?;
    }
    state.limits.send.take(auth.user_id).await?;
    let queued = state.writer.submit(NewMessage { room_id, author_id: auth.user_id, body, client_id }).await?;
    Ok(Pending { queued, auth, room_id })
}

/// A send in the writer's queue.
pub struct Pending {
    queued: Queued,
    auth: Auth,
    room_id: i64,
}

impl Pending {
    /// Waits for the commit: the stored message (published already) and whether it is new.
    pub async fn sent(self, state: &AppState) -> AppResult<(Message, bool)> {
        match self.queued.outcome().await? {
            Some(sent) => Ok(sent),
            // Not a member when the batch was written: 404 or not_a_member, as for reads.
            None => {
                access::member(state, self.room_id, self.auth.user_id).await?;
                Err(AppError::new(ErrorKind::NotAMember, "join the room first"))
            }
        }
    }
}

/// Edits the caller's own message.
pub async fn edit(state: &AppState, auth: Auth, room_id: i64, message_id: i64, body: &str) -> AppResult<Message> {
    validate::message_body(body)?;
    state.limits.send.take(auth.user_id).await?;
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
    state.limits.send.take(auth.user_id).await?;
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
