//! Room actions shared by REST and the WebSocket gateway: read markers and typing.

use confab_shared::ServerEvent;

use super::access;
use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store;

/// Moves the caller's read marker forward and tells their connections with a `read` event
/// (but `except`, the connection that moved it). Returns the marker now in force.
pub async fn mark_read(state: &AppState, auth: Auth, room_id: i64, seq: i64, except: Option<u64>) -> AppResult<i64> {
    if seq < 0 {
        return Err(AppError::invalid("seq", "must not be negative"));
    }
    let marker = store::transaction!(&state.store, |c| {
        access::member(&mut *c, room_id, auth.user_id).await?;
        Ok(store::rooms::mark_read(&mut *c, room_id, auth.user_id, seq).await?)
    })?;
    state.realtime.to_user(auth.user_id, &ServerEvent::Read { room_id, seq: marker }, except);
    Ok(marker)
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
