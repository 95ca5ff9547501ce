//! `GET /server` (anyone) and `PATCH /admin/server` (server admins): the server's name and
//! registration policy, from `--server-name` and `--registration` until an admin changes them
//! (kept in the store, read by every node on each use).

use actix_web::{get, patch, web};
use confab_shared::{Registration, ServerInfo, UpdateServer};

use crate::admin::{record, require_admin};
use crate::auth::Auth;
use crate::error::AppResult;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{self, Db, admin::Action, settings};
use crate::validate;

/// The registration policy in force.
pub async fn registration(state: &AppState, db: impl Into<Db<'_>>) -> AppResult<Registration> {
    let stored = settings::get(db, settings::REGISTRATION).await?;
    Ok(policy(state, stored.as_deref()))
}

fn policy(state: &AppState, stored: Option<&str>) -> Registration {
    stored.and_then(|value| value.parse().ok()).unwrap_or(state.config.registration)
}

async fn info(state: &AppState) -> AppResult<ServerInfo> {
    let stored = settings::all(&state.store).await?;
    Ok(ServerInfo {
        name: stored.get(settings::NAME).cloned().unwrap_or_else(|| state.config.server_name.clone()),
        registration: policy(state, stored.get(settings::REGISTRATION).map(String::as_str)),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        setup: store::users::count(&state.store).await? == 0,
        max_upload_bytes: state.files.max_upload_bytes,
    })
}

/// What a client shows before anyone signs in.
#[utoipa::path(tag = "server", responses((status = 200, description = "The server's name and registration policy", body = ServerInfo)))]
#[get("/server")]
pub async fn server(state: web::Data<AppState>) -> AppResult<web::Json<ServerInfo>> {
    Ok(web::Json(info(&state).await?))
}

/// Changes the server's name or registration policy (server admins); from then on they win
/// over the command-line flags.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = [])),
    request_body = UpdateServer,
    responses(
        (status = 200, description = "The server as it is now", body = ServerInfo),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[patch("/admin/server")]
pub async fn update(
    auth: Auth,
    state: web::Data<AppState>,
    body: ApiJson<UpdateServer>,
) -> AppResult<web::Json<ServerInfo>> {
    let admin = require_admin(&state, auth).await?;
    let UpdateServer { name, registration } = body.0;
    let mut changes = Vec::new();
    if let Some(name) = name {
        changes.push((settings::NAME, validate::server_name(&name)?));
    }
    if let Some(registration) = registration {
        changes.push((settings::REGISTRATION, registration.as_str().to_owned()));
    }
    if !changes.is_empty() {
        settings::set(&state.store, &changes).await?;
        let detail = changes.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join(", ");
        let entry = Action {
            actor: Some(admin.id),
            action: "server.updated",
            target: None,
            room_id: None,
            detail: Some(detail),
        };
        record(&state, entry).await;
    }
    Ok(web::Json(info(&state).await?))
}
