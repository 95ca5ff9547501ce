//! `/users` (find people by name) and `/presence` (who is online).

use actix_web::{get, web};
use confab_shared::{PresenceList, User, UserList};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Auth;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store;

const SEARCH_LIMIT: i64 = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Name prefix, ignoring case.
    #[param(max_length = 32)]
    pub q: Option<String>,
}

/// Users whose name starts with `q`, by name (at most 20).
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    params(UserQuery),
    responses(
        (status = 200, description = "Matching users", body = UserList),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
    )
)]
#[get("/users")]
pub async fn search(
    _auth: Auth,
    state: web::Data<AppState>,
    query: web::Query<UserQuery>,
) -> AppResult<web::Json<UserList>> {
    let q = query.q.as_deref().unwrap_or("");
    if q.chars().count() > 32 {
        return Err(crate::error::AppError::invalid("q", "must be at most 32 characters"));
    }
    let prefix = q.trim();
    // Only username characters can match; anything else matches nobody.
    let searchable =
        prefix.len() <= 32 && prefix.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    let users =
        if searchable { store::users::search_prefix(&state.store, prefix, SEARCH_LIMIT).await? } else { Vec::new() };
    Ok(web::Json(UserList { users: users.into_iter().map(User::from).collect() }))
}

/// Who is online now among the people I share a room with (and me), by name.
#[utoipa::path(
    tag = "users",
    security(("bearer" = [])),
    responses((status = 200, description = "Online users who share a room with the caller", body = PresenceList), (status = 401, response = crate::openapi::Unauthorized))
)]
#[get("/presence")]
pub async fn presence(auth: Auth, state: web::Data<AppState>) -> AppResult<web::Json<PresenceList>> {
    let online = state.realtime.online_ids().await;
    let mut visible = store::rooms::co_member_ids(&state.store, auth.user_id).await?;
    visible.push(auth.user_id);
    let ids: Vec<i64> = visible.into_iter().filter(|id| online.contains(id)).collect();
    let users = store::users::by_ids(&state.store, &ids).await?;
    Ok(web::Json(PresenceList { online: users.into_iter().map(User::from).collect() }))
}
