//! `/sessions`: the current user's logins, and logging them out one by one or everywhere.

use actix_web::{HttpResponse, delete, get, web};
use confab_shared::{SessionInfo, SessionList};

use super::Auth;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::{self, models::utc};

/// My live sessions, newest first.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "Live sessions", body = SessionList), (status = 401, response = crate::openapi::Unauthorized))
)]
#[get("/sessions")]
pub async fn list(auth: Auth, state: web::Data<AppState>) -> AppResult<web::Json<SessionList>> {
    let sessions = store::sessions::active(&state.store, auth.user_id)
        .await?
        .into_iter()
        .map(|s| SessionInfo {
            id: s.id,
            created_at: utc(s.created_at),
            last_used_at: utc(s.last_used_at),
            expires_at: utc(s.expires_at),
            user_agent: s.user_agent,
            current: s.id == auth.session_id,
        })
        .collect();
    Ok(web::Json(SessionList { sessions }))
}

/// Ends one of my sessions and closes its WebSockets.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    params(("session_id" = i64, Path, description = "Session id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/sessions/{session_id}")]
pub async fn end(auth: Auth, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let session = store::sessions::by_id(&state.store, id).await?;
    if !session.is_some_and(|s| s.user_id == auth.user_id && s.revoked_at.is_none()) {
        return Err(AppError::not_found("session"));
    }
    store::sessions::revoke(&state.store, id).await?;
    state.realtime.close_sessions(auth.user_id, &[id]);
    Ok(HttpResponse::NoContent().finish())
}

/// Logs out everywhere: ends every session of mine, this one included.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Every session ended"), (status = 401, response = crate::openapi::Unauthorized), (status = 429, response = crate::openapi::TooMany))
)]
#[delete("/sessions")]
pub async fn end_all(auth: Auth, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let ended = store::sessions::revoke_all_but(&state.store, auth.user_id, None).await?;
    state.realtime.close_sessions(auth.user_id, &ended);
    Ok(HttpResponse::NoContent().finish())
}
