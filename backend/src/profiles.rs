//! Profiles: what people show of themselves besides their username (`PATCH /me`: a display
//! name and a status line; `PUT`/`DELETE /me/avatar`: a picture, cropped square and resized
//! with the files machinery), served at `GET /users/{user_id}/avatar`. Each change reaches the
//! user's other devices and everyone who shares a room with them as `user_updated`.

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, put, web};
use bytes::{Bytes, BytesMut};
use confab_shared::{ServerEvent, UpdateProfile, User};
use futures_util::StreamExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use crate::auth::Auth;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::files::{handlers::FILE_CSP, images, sniff};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::user_stream::Entry;
use crate::store::{self, Db, StoreResult, models::UserRow};
use crate::validate;

/// The largest image `PUT /me/avatar` takes, in bytes.
pub const MAX_AVATAR_BYTES: usize = 5 * 1024 * 1024;

/// Where an account's avatar is served; `key` is its storage key, whose name part changes with
/// the image, so the URL does too.
pub fn avatar_url(user_id: i64, key: &str) -> String {
    let version = key.rsplit('/').next().and_then(|name| name.split('.').next()).unwrap_or_default();
    format!("/api/v1/users/{user_id}/avatar?v={version}")
}

/// Changes the caller's display name and status (an empty string clears one).
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = UpdateProfile,
    responses(
        (status = 200, description = "The account as it is now", body = User),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
#[patch("/me")]
pub async fn update(
    auth: Auth,
    state: web::Data<AppState>,
    body: ApiJson<UpdateProfile>,
) -> AppResult<web::Json<User>> {
    let UpdateProfile { display_name, status } = body.0;
    let display_name = display_name.as_deref().map(validate::display_name).transpose()?;
    let status = status.as_deref().map(validate::status).transpose()?;
    let (user, entries) = store::transaction!(&state.store, |c| {
        let row =
            store::users::update_profile(&mut *c, auth.user_id, display_name.as_deref(), status.as_deref()).await?;
        Ok(announced(&mut *c, row).await?)
    })?;
    state.realtime.to_streams(entries);
    Ok(web::Json(user))
}

/// Sets the caller's avatar from an image (PNG, JPEG, GIF or WebP, at most 5 MiB): its middle
/// square, at most 256 pixels a side.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body(content = crate::openapi::Bytes, content_type = "image/*", description = "The image's bytes"),
    responses(
        (status = 200, description = "The account with its new `avatar_url`", body = User),
        (status = 400, description = "Not an image that can be read (`validation_failed`, field `avatar`), or one too large to decode (`image_too_large`)",
            body = confab_shared::Problem, content_type = "application/problem+json"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 429, response = crate::openapi::TooMany),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
#[put("/me/avatar")]
pub async fn set_avatar(auth: Auth, state: web::Data<AppState>, body: web::Payload) -> AppResult<web::Json<User>> {
    state.limits.uploads_by_user.take(auth.user_id).await?;
    let original = receive(body).await?;
    if !sniff::is_image(sniff::content_type(&original)) {
        return Err(AppError::invalid("avatar", "must be a PNG, JPEG, GIF or WebP image"));
    }
    let resized = state.files.resize(original, images::avatar, "avatar").await?;
    let digest = hex::encode(&Sha256::digest(&resized)[..8]);
    let extension = if sniff::content_type(&resized) == "image/png" { "png" } else { "jpg" };
    let key = format!("avatars/{}/{digest}.{extension}", auth.user_id);
    state.files.storage.put(&key, resized).await.map_err(AppError::storage_unavailable)?;
    let (user, replaced) = avatar_changed(&state, auth.user_id, Some(&key)).await?;
    forget(&state, replaced.filter(|old| *old != key)).await;
    Ok(web::Json(user))
}

/// Removes the caller's avatar.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account without an avatar", body = User),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 429, response = crate::openapi::TooMany),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
#[delete("/me/avatar")]
pub async fn remove_avatar(auth: Auth, state: web::Data<AppState>) -> AppResult<web::Json<User>> {
    let (user, replaced) = avatar_changed(&state, auth.user_id, None).await?;
    forget(&state, replaced).await;
    Ok(web::Json(user))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AvatarQuery {
    /// The version `avatar_url` names; any value serves the current image.
    #[param(max_length = 64)]
    pub v: Option<String>,
}

/// An account's avatar (any signed-in user may see it). Cacheable for a year: a new image has a
/// new `avatar_url`.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "Account id"), AvatarQuery),
    responses(
        (status = 200, description = "The image: JPEG, or PNG for one with transparency", content_type = "image/*", body = crate::openapi::Bytes),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
#[get("/users/{user_id}/avatar")]
pub async fn avatar(
    _auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<AvatarQuery>,
) -> AppResult<HttpResponse> {
    if query.v.as_ref().is_some_and(|v| v.chars().count() > 64) {
        return Err(AppError::invalid("v", "must be at most 64 characters"));
    }
    let user = store::users::by_id(&state.store, path.into_inner()).await?;
    let key = user.and_then(|u| u.avatar_key).ok_or_else(|| AppError::not_found("avatar"))?;
    let bytes = match state.files.storage.read_all(&key).await {
        Ok(bytes) => bytes,
        Err(object_store::Error::NotFound { .. }) => return Err(AppError::not_found("avatar")),
        Err(err) => return Err(AppError::storage_unavailable(err)),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, sniff::content_type(&bytes)))
        .insert_header((header::CACHE_CONTROL, "private, max-age=31536000, immutable"))
        .insert_header((header::CONTENT_SECURITY_POLICY, FILE_CSP))
        .insert_header(("Cross-Origin-Resource-Policy", "same-origin"))
        .body(bytes))
}

/// The request body, refused past [`MAX_AVATAR_BYTES`].
async fn receive(mut body: web::Payload) -> AppResult<Bytes> {
    let mut bytes = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| AppError::invalid("avatar", format!("the upload was cut off: {e}")))?;
        if bytes.len() + chunk.len() > MAX_AVATAR_BYTES {
            return Err(AppError::new(
                ErrorKind::PayloadTooLarge,
                format!("an avatar may be at most {MAX_AVATAR_BYTES} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

/// Deletes a replaced avatar's object; one left behind costs only its bytes.
async fn forget(state: &AppState, replaced: Option<String>) {
    if let Some(key) = replaced
        && let Err(err) = state.files.storage.delete(&key).await
    {
        tracing::warn!(key, "could not delete a replaced avatar: {err}");
    }
}

/// Sets (or removes) the avatar and announces it; returns the user and the replaced key.
async fn avatar_changed(state: &AppState, user_id: i64, key: Option<&str>) -> AppResult<(User, Option<String>)> {
    let (user, entries, replaced) = store::transaction!(&state.store, |c| {
        let (row, replaced) = store::users::set_avatar(&mut *c, user_id, key).await?;
        let (user, entries) = announced(&mut *c, row).await?;
        Ok((user, entries, replaced))
    })?;
    state.realtime.to_streams(entries);
    Ok((user, replaced))
}

/// Records the changed profile as a `user_updated` entry in the streams of the user and of
/// everyone sharing a room with them, in the change's transaction; returns the user and the
/// entries to send once it commits.
async fn announced(db: impl Into<Db<'_>>, row: UserRow) -> StoreResult<(User, Vec<Entry>)> {
    let mut db = db.into();
    let user = User::from(row);
    let receivers = store::rooms::co_member_ids(db.reborrow(), user.id).await?.into_iter().chain([user.id]);
    let event = ServerEvent::UserUpdated { user: user.clone(), user_seq: None };
    let entries = store::user_stream::append(db.reborrow(), receivers, &event).await?;
    Ok((user, entries))
}
