//! `/admin/*` (server admins): accounts (role, deactivation, password reset links) and the audit
//! log; [`record`] writes to it for every admin and moderation action, here and elsewhere.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use confab_shared::{AdminUser, AdminUserList, AuditEntry, AuditLog, PasswordResetLink, ServerRole, UpdateUser, User};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;

use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{self, admin::Action, models::UserRow, models::utc};
use crate::validate;

/// How long a password reset link works.
pub const RESET_TTL_HOURS: i64 = 24;

/// The caller, if they are a server admin; `forbidden` otherwise.
pub async fn require_admin(state: &AppState, auth: Auth) -> AppResult<User> {
    server_admin(state, auth.user_id).await?.ok_or_else(|| AppError::forbidden("only a server admin may do this"))
}

/// The account, if it is a server admin.
pub async fn server_admin(state: &AppState, user_id: i64) -> AppResult<Option<User>> {
    let user: User =
        store::users::by_id(&state.store, user_id).await?.ok_or_else(|| AppError::not_found("user"))?.into();
    Ok((user.role == ServerRole::Admin).then_some(user))
}

/// Writes an audit entry; a failure is logged, not returned (the action itself is done).
pub async fn record(state: &AppState, action: Action<'_>) {
    let what = action.action.to_owned();
    if let Err(err) = store::admin::record(&state.store, action).await {
        tracing::error!(error = %err, action = %what, "the audit log missed an entry");
    }
}

fn admin_user(row: UserRow, last_seen: Option<chrono::NaiveDateTime>) -> AdminUser {
    let deactivated = row.deactivated_at.is_some();
    let user: User = row.into();
    AdminUser {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        bot: user.bot,
        created_at: user.created_at,
        role: user.role,
        deactivated,
        last_seen_at: last_seen.map(utc),
    }
}

fn role_name(role: ServerRole) -> &'static str {
    match role {
        ServerRole::Admin => "admin",
        ServerRole::Member => "member",
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserQuery {
    /// Names starting with this (ignoring case).
    #[param(max_length = 32, pattern = r"^[A-Za-z0-9_.-]*$")]
    pub q: Option<String>,
    /// Accounts after this id (the last of the previous page).
    pub after_id: Option<i64>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Accounts in id order, with whether each is deactivated and when it was last seen.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(UserQuery),
    responses(
        (status = 200, description = "A page of accounts", body = AdminUserList),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/admin/users")]
pub async fn users(
    auth: Auth,
    state: web::Data<AppState>,
    query: web::Query<UserQuery>,
) -> AppResult<web::Json<AdminUserList>> {
    require_admin(&state, auth).await?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid("limit", "must be 1 to 200"));
    }
    let q = query.q.as_deref().filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.len() > 32 || !q.chars().all(validate::is_username_char)) {
        return Err(AppError::invalid("q", "must be the start of a username"));
    }
    let (rows, has_more) = store::admin::users(&state.store, q, query.after_id.unwrap_or(0), limit).await?;
    Ok(web::Json(AdminUserList {
        users: rows.into_iter().map(|(row, seen)| admin_user(row, seen)).collect(),
        has_more,
    }))
}

/// Changes an account's server role, or deactivates it (every session ends at once and its
/// sockets close with 4003 on every node; logins answer `account_deactivated`; its messages
/// stay) or reactivates it. The server keeps at least one active admin.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "Account id")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The account now", body = AdminUser),
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
#[patch("/admin/users/{user_id}")]
pub async fn update_user(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<UpdateUser>,
) -> AppResult<web::Json<AdminUser>> {
    let admin = require_admin(&state, auth).await?;
    let user_id = path.into_inner();
    let UpdateUser { role, deactivated } = body.0;
    if user_id == admin.id && deactivated == Some(true) {
        return Err(AppError::forbidden("you cannot deactivate your own account"));
    }
    let (before, row) = store::admin::update_user(&state.store, user_id, role.map(role_name), deactivated).await?;
    let entry = |action, detail| Action { actor: Some(admin.id), action, target: Some(user_id), room_id: None, detail };
    if row.role != before.role {
        record(&state, entry("user.role", Some(row.role.clone()))).await;
    }
    match (before.deactivated_at.is_some(), row.deactivated_at.is_some()) {
        (false, true) => {
            let revoked = store::sessions::revoke_all_but(&state.store, user_id, None).await?;
            state.realtime.close_sessions(user_id, &revoked);
            record(&state, entry("user.deactivated", None)).await;
        }
        (true, false) => record(&state, entry("user.reactivated", None)).await,
        _ => {}
    }
    let seen = store::admin::last_seen(&state.store, &[user_id]).await?.remove(&user_id);
    Ok(web::Json(admin_user(row, seen)))
}

/// A new one-time password reset link for an account, valid for 24 hours. Using it sets a
/// new password and ends the account's sessions.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "Account id")),
    responses(
        (status = 201, description = "The link", body = PasswordResetLink),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/admin/users/{user_id}/password-reset")]
pub async fn password_reset(
    req: HttpRequest,
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let admin = require_admin(&state, auth).await?;
    let user_id = path.into_inner();
    store::users::by_id(&state.store, user_id).await?.ok_or_else(|| AppError::not_found("user"))?;
    let (token, expires_at) = new_reset(&state.store, user_id).await?;
    let action = Action {
        actor: Some(admin.id),
        action: "user.password_reset",
        target: Some(user_id),
        room_id: None,
        detail: None,
    };
    record(&state, action).await;
    let url = format!("{}/#/reset/{token}", crate::web::origin(&req));
    Ok(HttpResponse::Created().json(PasswordResetLink { url, expires_at: utc(expires_at) }))
}

/// Stores a new reset of `user_id`; returns its token (only its hash is kept) and expiry.
pub async fn new_reset(store: &store::Store, user_id: i64) -> AppResult<(String, chrono::NaiveDateTime)> {
    let token = crate::invites::new_code();
    let expires_at = store::now() + chrono::Duration::hours(RESET_TTL_HOURS);
    store::admin::create_reset(store, user_id, &crate::auth::tokens::hash_refresh_token(&token), expires_at).await?;
    Ok((token, expires_at))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Entries before this id (the last of the previous page).
    pub before_id: Option<i64>,
    /// 1–200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The audit log, newest first: every admin and moderation action.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of entries", body = AuditLog),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/admin/audit")]
pub async fn audit(
    auth: Auth,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> AppResult<web::Json<AuditLog>> {
    require_admin(&state, auth).await?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid("limit", "must be 1 to 200"));
    }
    let (rows, has_more) = store::admin::audit(&state.store, query.before_id, limit).await?;
    let ids: Vec<i64> = rows.iter().flat_map(|r| [r.1, r.3]).flatten().collect();
    let people: HashMap<i64, User> =
        store::users::by_ids(&state.store, &ids).await?.into_iter().map(|u| (u.id, User::from(u))).collect();
    let entries = rows
        .into_iter()
        .map(|(id, actor, action, target, room_id, detail, at)| AuditEntry {
            id,
            actor: actor.and_then(|a| people.get(&a).cloned()),
            action,
            target: target.and_then(|t| people.get(&t).cloned()),
            room_id,
            detail,
            created_at: utc(at),
        })
        .collect();
    Ok(web::Json(AuditLog { entries, has_more }))
}
