//! `/rooms` and `/dms`: listing, creating, reading, updating and deleting rooms.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use confab_shared::{
    CreateDm, CreateRoom, Role, Room, RoomKind, RoomList, ServerEvent, SetNotifications, UpdateRoom, User, Visibility,
};
use serde::Deserialize;
use std::collections::BTreeSet;
use utoipa::IntoParams;

use super::{access, view};
use crate::admin::record;
use crate::auth::Auth;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{self, admin::Action, models::notify_str, models::visibility_str};
use crate::validate;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RoomListQuery {
    /// Only rooms with a larger id: pass the last id of the previous page.
    #[param(minimum = 0)]
    pub after_id: Option<i64>,
    /// Page size, 1–200 (default 100).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// `true`: only rooms I belong to (DMs included); `false`: only public rooms I have not joined.
    pub joined: Option<bool>,
}

/// Public rooms and mine, with my role and unread counts, by id, one page at a time.
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(RoomListQuery),
    responses(
        (status = 200, description = "A page of the public rooms and the caller's rooms", body = RoomList),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
    )
)]
#[get("/rooms")]
pub async fn list(
    auth: Auth,
    state: web::Data<AppState>,
    query: web::Query<RoomListQuery>,
) -> AppResult<web::Json<RoomList>> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid("limit", "must be 1 to 200"));
    }
    if query.after_id.is_some_and(|v| v < 0) {
        return Err(AppError::invalid("after_id", "must not be negative"));
    }
    let page = store::rooms::Page { after_id: query.after_id.unwrap_or(0), limit, joined: query.joined };
    let (rows, has_more) = store::rooms::visible_to(&state.store, auth.user_id, page).await?;
    let rooms = store::rooms::with_viewer_data(&state.store, auth.user_id, rows).await?;
    Ok(web::Json(RoomList { rooms: rooms.into_iter().map(view::room).collect(), has_more }))
}

/// Creates a room; the caller becomes its owner.
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    request_body = CreateRoom,
    responses(
        (status = 201, description = "The new room", body = Room),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/rooms")]
pub async fn create(auth: Auth, state: web::Data<AppState>, body: ApiJson<CreateRoom>) -> AppResult<HttpResponse> {
    let body = body.0;
    let name = validate::room_name(&body.name)?;
    let topic = validate::topic(body.topic.as_deref().unwrap_or(""))?;
    let visibility = body.visibility.unwrap_or(Visibility::Public);
    state.limits.rooms_by_user.take(auth.user_id).await?;
    let me: User =
        store::users::by_id(&state.store, auth.user_id).await?.ok_or_else(|| AppError::not_found("user"))?.into();
    let (row, entries) = store::transaction!(&state.store, |c| {
        let row = store::rooms::create(&mut *c, &name, &topic, visibility_str(visibility), auth.user_id).await?;
        let event = ServerEvent::MemberJoined { room_id: row.id, user: me.clone(), user_seq: None };
        Ok((row, store::user_stream::append(&mut *c, [auth.user_id], &event).await?))
    })?;
    state.realtime.to_streams(entries);
    let room = view::for_viewer(&state, row, auth.user_id).await?;
    Ok(HttpResponse::Created().json(room))
}

/// A room the caller can see.
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, description = "The room", body = Room),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/rooms/{room_id}")]
pub async fn get_room(auth: Auth, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<web::Json<Room>> {
    let access = access::readable(&state.store, path.into_inner(), auth.user_id).await?;
    Ok(web::Json(view::for_viewer(&state, access.room, auth.user_id).await?))
}

/// Renames the room or sets its topic (owners and admins).
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    request_body = UpdateRoom,
    responses(
        (status = 200, description = "The updated room", body = Room),
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
#[patch("/rooms/{room_id}")]
pub async fn update(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<UpdateRoom>,
) -> AppResult<web::Json<Room>> {
    let (room, _) = access::moderated(&state, path.into_inner(), auth.user_id, Role::Admin, "change the room").await?;
    if room.kind() == RoomKind::Direct {
        return Err(AppError::forbidden("direct rooms have no name or topic to change"));
    }
    let name = body.0.name.as_deref().map(validate::room_name).transpose()?;
    let topic = body.0.topic.as_deref().map(validate::topic).transpose()?;
    let (row, entries) = store::transaction!(&state.store, |c| {
        let row = store::rooms::update(&mut *c, room.id, name.as_deref(), topic.as_deref()).await?;
        if row.name == room.name && row.topic == room.topic {
            return Ok((row, None));
        }
        let event = ServerEvent::RoomUpdated { room: view::neutral(&state, row.clone()).await?, user_seq: None };
        let members = store::rooms::member_ids(&mut *c, room.id).await?;
        let entries = store::user_stream::append(&mut *c, members, &event).await?;
        Ok((row, Some((event, entries))))
    })?;
    if let Some((event, entries)) = entries {
        state.realtime.to_room(row.id, &event);
        state.realtime.to_streams(entries);
    }
    let changes = [("name", &room.name, &row.name), ("topic", &room.topic, &row.topic)];
    let detail: Vec<String> = changes
        .iter()
        .filter(|(_, before, after)| before != after)
        .map(|(field, _, after)| format!("{field}={after}"))
        .collect();
    if !detail.is_empty() {
        let entry = Action {
            actor: Some(auth.user_id),
            action: "room.updated",
            target: None,
            room_id: Some(room.id),
            detail: Some(detail.join(", ")),
        };
        record(&state, entry).await;
    }
    Ok(web::Json(view::for_viewer(&state, row, auth.user_id).await?))
}

/// Deletes the room with its history and files (owners).
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/rooms/{room_id}")]
pub async fn delete_room(auth: Auth, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let access = access::readable(&state.store, path.into_inner(), auth.user_id).await?;
    access.require(Role::Owner, "delete the room")?;
    let room_id = access.room.id;
    let event = ServerEvent::RoomDeleted { room_id, user_seq: None };
    let entries = store::transaction!(&state.store, |c| {
        let members = store::rooms::member_ids(&mut *c, room_id).await?;
        let entries = store::user_stream::append(&mut *c, members, &event).await?;
        store::rooms::delete(&mut *c, room_id).await?;
        Ok(entries)
    })?;
    state.files.purge_soon(&state.store);
    state.realtime.to_room(room_id, &event);
    state.realtime.evict_all(room_id);
    state.realtime.to_streams(entries);
    Ok(HttpResponse::NoContent().finish())
}

/// The direct room of the caller and another user (`user_id`), or of a group (`user_ids`: 1–8
/// others), created the first time (201) and the same room on every later call with the same
/// people (200). With only the caller's own id: their notes-to-self room.
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    request_body = CreateDm,
    responses(
        (status = 200, description = "The existing direct room", body = Room),
        (status = 201, description = "The direct room, just created", body = Room),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/dms")]
pub async fn create_dm(auth: Auth, state: web::Data<AppState>, body: ApiJson<CreateDm>) -> AppResult<HttpResponse> {
    let me = auth.user_id;
    let mut others: BTreeSet<i64> = match body.0 {
        CreateDm { user_id: Some(id), user_ids: None } => BTreeSet::from([id]),
        CreateDm { user_id: None, user_ids: Some(ids) } if !ids.is_empty() => ids.into_iter().collect(),
        CreateDm { user_id: None, user_ids: Some(_) } => {
            return Err(AppError::invalid("user_ids", "name at least one person"));
        }
        _ => return Err(AppError::invalid("user_ids", "give either user_id or user_ids")),
    };
    others.remove(&me);
    if others.len() > MAX_DM_OTHERS {
        return Err(AppError::invalid("user_ids", format!("at most {MAX_DM_OTHERS} other people")));
    }
    let ids: Vec<i64> = others.iter().copied().collect();
    let peers = store::users::by_ids(&state.store, &ids).await?;
    if peers.len() != others.len() {
        return Err(AppError::not_found("user"));
    }
    let creator = store::users::by_id(&state.store, me).await?.ok_or_else(|| AppError::not_found("user"))?;
    let name = match peers.is_empty() {
        true => creator.username.clone(),
        false => peers.iter().map(|p| p.username.as_str()).collect::<Vec<_>>().join(", "),
    };
    let mut people = others;
    people.insert(me);
    let (row, created) = store::rooms::direct(&state.store, &people, &name, &creator.into()).await?;
    let created = created.map(|entries| state.realtime.to_streams(entries)).is_some();
    let room = view::for_viewer(&state, row, auth.user_id).await?;
    Ok(if created { HttpResponse::Created().json(room) } else { HttpResponse::Ok().json(room) })
}

/// The most people a direct room has besides its creator.
const MAX_DM_OTHERS: usize = 8;

/// Sets when I am notified of the room's messages (members); my other connections get a
/// `notification_level` event.
#[utoipa::path(
    tag = "rooms",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    request_body = SetNotifications,
    responses(
        (status = 204, description = "Set"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[put("/rooms/{room_id}/notifications")]
pub async fn set_notifications(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<SetNotifications>,
) -> AppResult<HttpResponse> {
    let access = access::member(&state.store, path.into_inner(), auth.user_id).await?;
    let (room_id, level) = (access.room.id, body.0.level);
    let entries = store::transaction!(&state.store, |c| {
        if !store::rooms::set_notify(&mut *c, room_id, auth.user_id, notify_str(level)).await? {
            return Err(AppError::new(ErrorKind::NotAMember, "join the room first"));
        }
        let event = ServerEvent::NotificationLevel { room_id, level, user_seq: None };
        Ok(store::user_stream::append(&mut *c, [auth.user_id], &event).await?)
    })?;
    state.realtime.to_streams(entries);
    Ok(HttpResponse::NoContent().finish())
}
