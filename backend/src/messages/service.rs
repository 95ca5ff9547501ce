//! The write path of messages, shared by REST and the WebSocket gateway: check, then queue
//! for the group-commit writer, which stores and then publishes. Publishing happens only after
//! the commit, and a repeated send publishes the original again (hubs drop what they already
//! delivered), so a node dying between commit and publish loses nothing once the client retries.
//! Reactions go through the writer too; edits and deletes check and write in one transaction.

use confab_shared::{Message, NotificationReason, Role, ServerEvent};
use std::collections::BTreeSet;

use super::mentions;

use super::writer::{Queued, Sent};
use crate::auth::Auth;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::rooms::access;
use crate::state::AppState;
use crate::store::models::{MessageRow, mentioned_ids};
use crate::store::reactions::{Toggle, Toggled};
use crate::store::{self, StoreError, messages::NewMessage};
use crate::validate;

/// Who sends: an account, and whether it is a bot's (a webhook's account is one).
#[derive(Debug, Clone, Copy)]
pub struct Sender {
    pub user_id: i64,
    pub bot: bool,
}

impl From<Auth> for Sender {
    fn from(auth: Auth) -> Self {
        Sender { user_id: auth.user_id, bot: auth.bot }
    }
}

/// The send limit the sender draws from: a bot's own, or the people's.
fn send_limit(state: &AppState, sender: impl Into<Sender>) -> &crate::limits::Limiter {
    if sender.into().bot { &state.limits.bot_send } else { &state.limits.send }
}

/// Sends a message and waits for its commit.
pub async fn send(state: &AppState, sender: impl Into<Sender>, room_id: i64, draft: Draft) -> AppResult<Sent> {
    submit(state, sender, room_id, draft).await?.sent(&state.store).await
}

/// What a sender wrote: REST's `SendMessage`, or the fields of a WebSocket `send`.
pub struct Draft {
    pub body: String,
    pub client_id: Option<String>,
    pub attachments: Vec<i64>,
    pub reply_to: Option<i64>,
    /// A reply also shown in the room's timeline.
    pub also_to_room: bool,
    /// A webhook post's name to show (checked by the webhook).
    pub posted_as: Option<String>,
}

/// Checks a send and queues it for the group-commit writer (see [`super::writer`]). Sends
/// queued in turn by one caller take the room's seqs in that order.
pub async fn submit(state: &AppState, sender: impl Into<Sender>, room_id: i64, draft: Draft) -> AppResult<Queued> {
    let sender = sender.into();
    let Draft { body, client_id, attachments, reply_to, also_to_room, posted_as } = draft;
    let attachments = validate::attachments(attachments)?;
    // Text is optional when files are attached.
    if !body.is_empty() || attachments.is_empty() {
        validate::message_body(&body)?;
    }
    if let Some(id) = &client_id {
        validate::client_id(id)?;
    }
    send_limit(state, sender).take(sender.user_id).await?;
    // The names are found here, off the writer's task; the writer resolves them.
    let mentioned = mentions::find(&body);
    let also_to_room = also_to_room && reply_to.is_some();
    let message = NewMessage {
        room_id,
        author_id: sender.user_id,
        body,
        client_id,
        attachments,
        reply_to,
        also_to_room,
        mentioned,
        posted_as,
    };
    state.writer.submit(message).await
}

/// Edits the caller's own message (its text: attachments stay; the text of a message with
/// attachments may be emptied). Who it mentions is found again; members it mentions now and
/// did not before get a `notification` (unless their level is `none`), by Web Push when offline.
pub async fn edit(state: &AppState, auth: Auth, room_id: i64, message_id: i64, body: &str) -> AppResult<Message> {
    if !body.is_empty() {
        validate::message_body(body)?;
    }
    send_limit(state, auth).take(auth.user_id).await?;
    let mentioned = mentions::find(body);
    let names: BTreeSet<&str> = mentioned.candidates().collect();
    let (seq, message, newly) = store::transaction!(&state.store, |c| {
        access::member(&mut *c, room_id, auth.user_id).await?;
        let current = store::messages::by_id(&mut *c, room_id, message_id)
            .await?
            .ok_or_else(|| AppError::not_found("message"))?;
        if current.author_id != auth.user_id {
            return Err(AppError::forbidden("only the author may edit a message"));
        }
        if body.is_empty() && current.attachments.is_none() {
            validate::message_body(body)?; // blank text alone is no message
        }
        let named = if names.is_empty() {
            Vec::new()
        } else {
            store::messages::named_members(&mut *c, &BTreeSet::from([room_id]), &names).await?
        };
        let ids = mentioned.resolve(|name| named.iter().find(|m| m.1 == name).map(|m| m.2));
        let before = mentioned_ids(current.mentions.as_deref());
        let newly: Vec<i64> = named
            .iter()
            .filter(|m| ids.contains(&m.2) && !before.contains(&m.2) && m.2 != auth.user_id && m.3 != "none")
            .map(|m| m.2)
            .collect();
        let row = store::messages::edit(&mut *c, room_id, message_id, body, &ids, mentioned.room).await?;
        let (seq, message) = changed(&mut *c, row).await?;
        Ok((seq, message, newly))
    })?;
    state.realtime.to_room(room_id, &ServerEvent::MessageUpdated { room_id, seq, message: message.clone() });
    if !newly.is_empty() {
        let reason = NotificationReason::Mention;
        state.push.notify(&message, &newly.iter().map(|&user| (user, reason)).collect::<Vec<_>>());
        state.realtime.to_users(newly, &ServerEvent::Notification { room_id, message: message.clone(), reason });
    }
    Ok(message)
}

/// Adds (`on`) or removes the caller's reaction to a message (members), through the writer: a
/// change is a `message_updated` of it with the room's next seq, one for all of the toggles of
/// that message in one batch. Idempotent: nothing changes, nothing is sent.
pub async fn react(
    state: &AppState,
    auth: Auth,
    room_id: i64,
    message_id: i64,
    emoji: &str,
    on: bool,
) -> AppResult<()> {
    validate::emoji(emoji)?;
    state.limits.actions_by_user.take(auth.user_id).await?;
    let toggle = Toggle { room_id, message_id, user_id: auth.user_id, emoji: emoji.to_owned(), on };
    match state.writer.toggle(toggle).await? {
        Toggled::Done => Ok(()),
        Toggled::NoMessage => Err(AppError::not_found("message")),
        Toggled::Refused(conflict) => Err(StoreError::Conflict(conflict).into()),
        // Not a member when the batch was written: 404 or not_a_member, as for reads.
        Toggled::NotAMember => {
            access::member(&state.store, room_id, auth.user_id).await?;
            Err(AppError::new(ErrorKind::NotAMember, "join the room first"))
        }
    }
}

/// A message just changed, as clients get it, with the seq of the change.
async fn changed(db: impl Into<store::Db<'_>>, row: MessageRow) -> AppResult<(i64, Message)> {
    let author = store::users::by_id(db, row.author_id).await?.ok_or_else(|| AppError::not_found("user"))?;
    Ok((row.updated_seq, row.into_message(author)))
}

/// Deletes a message (its author, or a room owner or admin), leaving a tombstone; its files are
/// discarded with it and removed from storage right after; a reply's root counts one less.
/// Deleting a tombstone again succeeds and changes nothing (DELETE is idempotent).
pub async fn delete(state: &AppState, auth: Auth, room_id: i64, message_id: i64) -> AppResult<()> {
    send_limit(state, auth).take(auth.user_id).await?;
    let seq = store::transaction!(&state.store, |c| {
        let access = access::member(&mut *c, room_id, auth.user_id).await?;
        let current = store::messages::by_id(&mut *c, room_id, message_id)
            .await?
            .ok_or_else(|| AppError::not_found("message"))?;
        if current.author_id != auth.user_id {
            access.require(Role::Admin, "delete other people's messages")?;
        }
        if current.deleted {
            return Ok(None); // already a tombstone: deleting again changes nothing
        }
        let files = store::files::discard_of_message(&mut *c, message_id).await?;
        let (row, root) = store::messages::delete(&mut *c, room_id, message_id).await?;
        let root = match root {
            Some(root) => Some(changed(&mut *c, root).await?),
            None => None,
        };
        Ok(Some((row.updated_seq, files > 0, root)))
    })?;
    if let Some((seq, had_files, root)) = seq {
        if had_files {
            state.files.purge_soon(&state.store);
        }
        state.realtime.to_room(room_id, &ServerEvent::MessageDeleted { room_id, seq, message_id });
        if let Some((seq, message)) = root {
            state.realtime.to_room(room_id, &ServerEvent::MessageUpdated { room_id, seq, message });
        }
    }
    Ok(())
}
