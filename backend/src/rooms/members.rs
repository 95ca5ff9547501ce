//! `/rooms/{room_id}/members`: joining, leaving, listing, adding, removing, roles.

use actix_web::{HttpResponse, delete, get, put, web};
use confab_shared::{Member, MemberList, Role, Room, RoomKind, ServerEvent, SetRole, User};

use super::{access, view};
use crate::admin::record;
use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{self, admin::Action, models::parse_role};

/// Joins a public room (a no-op for a member).
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, description = "The joined room", body = Room),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[put("/rooms/{room_id}/members/me")]
pub async fn join(auth: Auth, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<web::Json<Room>> {
    let access = access::readable(&state.store, path.into_inner(), auth.user_id).await?;
    let room_id = access.room.id;
    if access.membership.is_none() {
        add_member(&state, room_id, auth.user_id, Role::Member).await?;
    }
    Ok(web::Json(view::for_viewer(&state, access.room, auth.user_id).await?))
}

/// Leaves a room. The last owner must hand ownership over or delete the room first.
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    responses(
        (status = 204, description = "Left"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/rooms/{room_id}/members/me")]
pub async fn leave(auth: Auth, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let access = access::member(&state.store, path.into_inner(), auth.user_id).await?;
    if access.room.kind() == RoomKind::Direct {
        return Err(AppError::forbidden("direct rooms cannot be left"));
    }
    remove(&state, access.room.id, auth.user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Members with their role and whether they are online.
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, description = "The members, by name", body = MemberList),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/rooms/{room_id}/members")]
pub async fn list(auth: Auth, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<web::Json<MemberList>> {
    let access = access::readable(&state.store, path.into_inner(), auth.user_id).await?;
    let members = store::rooms::members(&state.store, access.room.id).await?;
    let online = state.realtime.online_ids().await;
    let members = members
        .into_iter()
        .map(|(user, role)| Member { online: online.contains(&user.id), user: user.into(), role: parse_role(&role) })
        .collect();
    Ok(web::Json(MemberList { members }))
}

/// Adds a user to the room (owners and admins; the way into a private room).
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), ("user_id" = i64, Path, description = "User to add")),
    responses(
        (status = 200, description = "The member", body = Member),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[put("/rooms/{room_id}/members/{user_id}")]
pub async fn add(auth: Auth, state: web::Data<AppState>, path: web::Path<(i64, i64)>) -> AppResult<web::Json<Member>> {
    let (room_id, user_id) = path.into_inner();
    let access = access::readable(&state.store, room_id, auth.user_id).await?;
    access.require(Role::Admin, "add members")?;
    if access.room.kind() == RoomKind::Direct {
        return Err(AppError::forbidden("direct rooms have exactly two members"));
    }
    let user = store::users::by_id(&state.store, user_id).await?.ok_or_else(|| AppError::not_found("user"))?;
    add_member(&state, room_id, user_id, Role::Member).await?;
    member(&state, room_id, user.into()).await.map(web::Json)
}

/// Removes a member (owners and admins, of members with a lower role than theirs).
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), ("user_id" = i64, Path, description = "Member to remove")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 409, response = crate::openapi::Conflict),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/rooms/{room_id}/members/{user_id}")]
pub async fn remove_member(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (room_id, user_id) = path.into_inner();
    let access = access::readable(&state.store, room_id, auth.user_id).await?;
    if user_id != auth.user_id {
        access.require(Role::Admin, "remove members")?;
        let target = store::rooms::membership(&state.store, room_id, user_id)
            .await?
            .ok_or_else(|| AppError::not_found("member"))?;
        let mine = access.role().unwrap_or(Role::Member);
        if mine != Role::Owner && target.role() >= mine {
            return Err(AppError::forbidden("you may only remove members with a lower role than yours"));
        }
    } else if access.membership.is_none() {
        return Err(AppError::not_found("member"));
    }
    if access.room.kind() == RoomKind::Direct {
        return Err(AppError::forbidden("direct rooms have exactly two members"));
    }
    remove(&state, room_id, user_id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets a member's role (owners only). Several owners may share a room.
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), ("user_id" = i64, Path, description = "Member")),
    request_body = SetRole,
    responses(
        (status = 200, description = "The member with the new role", body = Member),
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
#[put("/rooms/{room_id}/members/{user_id}/role")]
pub async fn set_role(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: ApiJson<SetRole>,
) -> AppResult<web::Json<Member>> {
    let (room_id, user_id) = path.into_inner();
    access::moderated(&state, room_id, auth.user_id, Role::Owner, "change roles").await?;
    let role = body.0.role;
    let user: User =
        store::users::by_id(&state.store, user_id).await?.ok_or_else(|| AppError::not_found("user"))?.into();
    let event = ServerEvent::MemberUpdated { room_id, user: user.clone(), role, user_seq: None };
    let entries = store::transaction!(&state.store, |c| {
        let before = store::rooms::membership(&mut *c, room_id, user_id).await?.map(|m| m.role());
        store::rooms::set_role(&mut *c, room_id, user_id, role).await?;
        Ok(match before == Some(role) {
            true => None,
            false => Some(store::user_stream::append(&mut *c, [user_id], &event).await?),
        })
    })?;
    let member = member(&state, room_id, user).await?;
    if let Some(entries) = entries {
        state.realtime.to_room(room_id, &event);
        state.realtime.to_streams(entries);
        let detail = Some(store::models::role_str(role).to_owned());
        let entry = Action {
            actor: Some(auth.user_id),
            action: "room.role",
            target: Some(user_id),
            room_id: Some(room_id),
            detail,
        };
        record(&state, entry).await;
    }
    Ok(web::Json(member))
}

async fn member(state: &AppState, room_id: i64, user: User) -> AppResult<Member> {
    let membership =
        store::rooms::membership(&state.store, room_id, user.id).await?.ok_or_else(|| AppError::not_found("member"))?;
    Ok(Member { online: state.realtime.is_online(user.id).await, role: membership.role(), user })
}

/// Adds a member, with a `member_joined` entry in their user stream in the same transaction,
/// and tells the room and the member's devices. False when they already were one.
pub(crate) async fn add_member(state: &AppState, room_id: i64, user_id: i64, role: Role) -> AppResult<bool> {
    let joined = store::transaction!(&state.store, |c| Ok(join_in(&mut *c, room_id, user_id, role).await?))?;
    let Some(joined) = joined else { return Ok(false) };
    joined.announce(state, room_id);
    Ok(true)
}

/// A membership just stored: the room's `member_joined` and the member's user-stream entry.
pub(crate) struct Joined(ServerEvent, Vec<store::user_stream::Entry>);

impl Joined {
    /// Tells the room and the member's devices (after the commit).
    pub(crate) fn announce(self, state: &AppState, room_id: i64) {
        state.realtime.to_room(room_id, &self.0);
        state.realtime.to_streams(self.1);
    }
}

/// Adds a member in the caller's transaction, with its `member_joined` entry; `None` when they
/// already were one.
pub(crate) async fn join_in(
    db: impl Into<store::Db<'_>>,
    room_id: i64,
    user_id: i64,
    role: Role,
) -> store::StoreResult<Option<Joined>> {
    let mut db = db.into();
    let Some(user) = store::users::by_id(db.reborrow(), user_id).await? else { return Ok(None) };
    if !store::rooms::add_member(db.reborrow(), room_id, user_id, role).await? {
        return Ok(None);
    }
    let event = ServerEvent::MemberJoined { room_id, user: user.into(), user_seq: None };
    let entries = store::user_stream::append(db, [user_id], &event).await?;
    Ok(Some(Joined(event, entries)))
}

/// Removes a membership, with a `member_left` entry in the user's stream in the same
/// transaction; tells the room and the user's devices, and stops the user's subscriptions at
/// once (in a public room they may subscribe again as a reader).
pub(crate) async fn remove(state: &AppState, room_id: i64, user_id: i64) -> AppResult<()> {
    let left = store::transaction!(&state.store, |c| {
        if !store::rooms::remove_member(&mut *c, room_id, user_id).await? {
            return Err(AppError::not_found("member"));
        }
        let Some(user) = store::users::by_id(&mut *c, user_id).await? else { return Ok(None) };
        let event = ServerEvent::MemberLeft { room_id, user: user.into(), user_seq: None };
        let entries = store::user_stream::append(&mut *c, [user_id], &event).await?;
        Ok(Some((event, entries)))
    })?;
    if let Some((event, entries)) = left {
        state.realtime.to_room(room_id, &event);
        state.realtime.to_streams(entries);
    }
    state.realtime.evict(room_id, user_id);
    Ok(())
}
