//! `/invites` (server admins): how people get an account where registration needs an invite.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use confab_shared::{Invite, InviteList, NewInvite, User};

use crate::admin::{record, require_admin};
use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{self, models::InviteRow, models::utc};

/// A new invite code: 128 random bits, URL-safe.
pub fn new_code() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// The web app's join page for `code` on the server the request reached.
fn join_url(req: &HttpRequest, code: &str) -> String {
    format!("{}/#/join/{code}", crate::web::origin(req))
}

fn invite(req: &HttpRequest, row: InviteRow, created_by: User) -> Invite {
    Invite {
        url: join_url(req, &row.code),
        code: row.code,
        max_uses: row.max_uses,
        uses: row.uses,
        expires_at: row.expires_at.map(utc),
        created_by,
    }
}

/// Creates an invite (server admins).
#[utoipa::path(
    tag = "server",
    security(("bearer" = [])),
    request_body = NewInvite,
    responses(
        (status = 201, description = "The invite", body = Invite),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/invites")]
pub async fn create(
    req: HttpRequest,
    auth: Auth,
    state: web::Data<AppState>,
    body: ApiJson<NewInvite>,
) -> AppResult<HttpResponse> {
    let admin = require_admin(&state, auth).await?;
    let NewInvite { max_uses, expires_in } = body.0;
    if max_uses.is_some_and(|n| n < 1) {
        return Err(AppError::invalid("max_uses", "must be at least 1"));
    }
    const YEAR: i64 = 366 * 24 * 3600;
    if expires_in.is_some_and(|s| !(60..=YEAR).contains(&s)) {
        return Err(AppError::invalid("expires_in", format!("must be between 60 and {YEAR} seconds")));
    }
    let expires_at = expires_in.map(|s| store::now() + chrono::Duration::seconds(s));
    let row = store::invites::create(&state.store, &new_code(), admin.id, max_uses, expires_at).await?;
    record(&state, invite_action(Some(admin.id), "invite.created", &row.code)).await;
    Ok(HttpResponse::Created().json(invite(&req, row, admin)))
}

/// The live invites (server admins).
#[utoipa::path(
    tag = "server",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Live invites, newest first", body = InviteList),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/invites")]
pub async fn list(req: HttpRequest, auth: Auth, state: web::Data<AppState>) -> AppResult<web::Json<InviteList>> {
    require_admin(&state, auth).await?;
    let rows = store::invites::live_with_creators(&state.store).await?;
    Ok(web::Json(InviteList { invites: rows.into_iter().map(|(row, user)| invite(&req, row, user.into())).collect() }))
}

/// Revokes an invite (server admins): it creates no more accounts.
#[utoipa::path(
    tag = "server",
    security(("bearer" = [])),
    params(("code" = String, Path, description = "Invite code")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/invites/{code}")]
pub async fn revoke(auth: Auth, state: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let admin = require_admin(&state, auth).await?;
    let code = path.into_inner();
    if !store::invites::revoke(&state.store, &code).await? {
        return Err(AppError::not_found("invite"));
    }
    record(&state, invite_action(Some(admin.id), "invite.revoked", &code)).await;
    Ok(HttpResponse::NoContent().finish())
}

/// An invite's audit entry: its code's first characters (enough to tell it, not to use it).
pub fn invite_action<'a>(actor: Option<i64>, action: &'a str, code: &str) -> store::admin::Action<'a> {
    let detail = Some(code.chars().take(6).collect::<String>() + "…");
    store::admin::Action { actor, action, target: None, room_id: None, detail }
}
