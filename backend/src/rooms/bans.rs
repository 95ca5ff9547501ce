//! `/rooms/{room_id}/bans`: room owners and admins, and server admins (in any room, joined or
//! not), ban people from a room: they are removed at once and may not join, be added, or read
//! it until unbanned.

use actix_web::{HttpResponse, delete, get, put, web};
use confab_shared::{BanList, Role, RoomKind, ServerEvent};

use super::access;
use crate::admin::record;
use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{self, admin::Action, models::RoomRow};

/// The room, if the caller may moderate it, and the caller's role in it: a room owner or admin
/// (`Some` role), or a server admin (`None`, whether in the room or not). Others get what a read
/// would give them (404 for a private room they are not in), or `forbidden`. (A deactivated
/// account has no session, so it never gets here.)
async fn moderated(state: &AppState, room_id: i64, user_id: i64) -> AppResult<(RoomRow, Option<Role>)> {
    let (room, role) = access::moderated(state, room_id, user_id, Role::Admin, "ban people").await?;
    if room.kind() == RoomKind::Direct {
        return Err(AppError::forbidden("nobody can be banned from a direct room"));
    }
    Ok((room, role))
}

/// Bans a user from the room: their membership ends (the room and they are told, as for a
/// removal) and joining or being added answers 403 `banned` until the ban is lifted. Room
/// admins cannot ban owners or other admins; server admins can ban anyone but the last owner.
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), ("user_id" = i64, Path, description = "User to ban")),
    responses(
        (status = 204, description = "Banned (or was already)"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[put("/rooms/{room_id}/bans/{user_id}")]
pub async fn ban(auth: Auth, state: web::Data<AppState>, path: web::Path<(i64, i64)>) -> AppResult<HttpResponse> {
    let (room_id, user_id) = path.into_inner();
    let (room, mine) = moderated(&state, room_id, auth.user_id).await?;
    if user_id == auth.user_id {
        return Err(AppError::forbidden("you cannot ban yourself"));
    }
    let user = store::users::by_id(&state.store, user_id).await?.ok_or_else(|| AppError::not_found("user"))?;
    if mine.is_some_and(|r| r != Role::Owner) {
        let theirs = store::rooms::membership(&state.store, room_id, user_id).await?.map(|m| m.role());
        if theirs.is_some_and(|r| r >= Role::Admin) {
            return Err(AppError::forbidden("only an owner may ban an owner or admin"));
        }
    }
    let event = ServerEvent::MemberLeft { room_id, user: user.into(), user_seq: None };
    let (new, left) = store::transaction!(&state.store, |c| {
        let (new, was_member) = store::bans::ban(&mut *c, room_id, user_id, auth.user_id).await?;
        let left = match was_member {
            true => Some(store::user_stream::append(&mut *c, [user_id], &event).await?),
            false => None,
        };
        Ok((new, left))
    })?;
    if let Some(entries) = left {
        state.realtime.to_room(room_id, &event);
        state.realtime.to_streams(entries);
    }
    state.realtime.evict(room_id, user_id);
    if new {
        let action = Action {
            actor: Some(auth.user_id),
            action: "room.ban",
            target: Some(user_id),
            room_id: Some(room.id),
            detail: None,
        };
        record(&state, action).await;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Lifts a ban: the user may join (or be added) again.
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), ("user_id" = i64, Path, description = "Banned user")),
    responses(
        (status = 204, description = "Not banned (any more)"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/rooms/{room_id}/bans/{user_id}")]
pub async fn unban(auth: Auth, state: web::Data<AppState>, path: web::Path<(i64, i64)>) -> AppResult<HttpResponse> {
    let (room_id, user_id) = path.into_inner();
    moderated(&state, room_id, auth.user_id).await?;
    if store::bans::unban(&state.store, room_id, user_id).await? {
        let action = Action {
            actor: Some(auth.user_id),
            action: "room.unban",
            target: Some(user_id),
            room_id: Some(room_id),
            detail: None,
        };
        record(&state, action).await;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Who is banned from the room (its moderators).
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, description = "The banned, by name", body = BanList),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/rooms/{room_id}/bans")]
pub async fn list(auth: Auth, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<web::Json<BanList>> {
    let (room, _) = moderated(&state, path.into_inner(), auth.user_id).await?;
    let users = store::bans::banned(&state.store, room.id).await?;
    Ok(web::Json(BanList { users: users.into_iter().map(Into::into).collect() }))
}
