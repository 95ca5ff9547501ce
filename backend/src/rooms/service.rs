//! Room actions shared by REST and the WebSocket gateway (read markers, typing), and the
//! default room of new accounts.

use confab_shared::{Role, ServerEvent};

use super::access;
use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store;

/// Moves the caller's read marker forward; a move is a `read` entry of their user stream, in
/// the same transaction, sent to their connections. Returns the marker now in force.
pub async fn mark_read(state: &AppState, auth: Auth, room_id: i64, seq: i64) -> AppResult<i64> {
    if seq < 0 {
        return Err(AppError::invalid("seq", "must not be negative"));
    }
    let (marker, entries) = store::transaction!(&state.store, |c| {
        access::member(&mut *c, room_id, auth.user_id).await?;
        let (marker, moved) = store::rooms::mark_read(&mut *c, room_id, auth.user_id, seq).await?;
        let event = ServerEvent::Read { room_id, seq: marker, user_seq: None };
        let entries = match moved {
            true => store::user_stream::append(&mut *c, [auth.user_id], &event).await?,
            false => Vec::new(),
        };
        Ok((marker, entries))
    })?;
    state.realtime.to_streams(entries);
    Ok(marker)
}

/// Puts a new account in the server's default room (`--default-room`, `general`): the first
/// account creates it, as its owner; later ones join it (and the room is told). Nothing when
/// the option is empty, or when the room was deleted or renamed since.
pub async fn welcome(state: &AppState, user_id: i64) -> AppResult<()> {
    let name = state.config.default_room.trim();
    if name.is_empty() {
        return Ok(());
    }
    let room = match store::rooms::public_by_name(&state.store, name).await? {
        Some(room) => room,
        None if store::users::count(&state.store).await? == 1 => {
            match store::rooms::create(&state.store, name, "", "public", user_id).await {
                Ok(_) => return Ok(()),
                // Another first account got there first: join theirs.
                Err(crate::store::StoreError::Conflict(_)) => store::rooms::public_by_name(&state.store, name)
                    .await?
                    .ok_or_else(|| AppError::not_found("room"))?,
                Err(err) => return Err(err.into()),
            }
        }
        None => return Ok(()),
    };
    super::members::add_member(state, room.id, user_id, Role::Member).await?;
    Ok(())
}

/// Forwards a typing notice to the room (at most one per user and room every 2 seconds;
/// extra ones are dropped silently, as clients send them on every keystroke).
pub async fn typing(state: &AppState, auth: Auth, room_id: i64) -> AppResult<()> {
    if state.realtime.typing.check(&format!("{}:{room_id}", auth.user_id)).is_err() {
        return Ok(());
    }
    access::member(&state.store, room_id, auth.user_id).await?;
    let user = store::users::by_id(&state.store, auth.user_id).await?.ok_or_else(|| AppError::not_found("user"))?;
    state.realtime.to_room(room_id, &ServerEvent::Typing { room_id, user: user.into() });
    Ok(())
}
