//! Webhooks of a room, each posting as an account of its own: a bot named after the hook and a
//! member of its room, so its messages show under its name; deleting the hook deactivates that
//! account and takes it out of the room (its messages stay). Room owners and admins, and server
//! admins, manage them (`/rooms/{room_id}/webhooks`).
//!
//! An incoming webhook is a secret address, `POST /hooks/<token>`, that any tool able to post to
//! a Slack incoming webhook can post to ([`incoming`]); only the token's hash is kept, so the
//! address is shown once, when it is made or replaced. An outgoing webhook is a receiver every
//! new message of the room is POSTed to, signed with a secret shown once ([`outgoing`]). Both go
//! through the same writer as every send (a seq, fan-out, replay).

pub mod incoming;
pub mod outgoing;
mod slack;

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use base64::Engine;
use confab_shared::{NewWebhook, Role, RoomKind, Webhook, WebhookEvent, WebhookList};

use crate::admin::record;
use crate::auth::{Auth, tokens};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::json::ApiJson;
use crate::rooms::{access, members};
use crate::state::AppState;
use crate::store::{self, admin::Action, models::RoomRow, models::UserRow, models::utc, webhooks::WebhookRow};
use crate::validate;

/// What every incoming webhook's token starts with.
const TOKEN_PREFIX: &str = "cfh_";
/// A token's length: the prefix and 32 random bytes in unpadded base64url.
const TOKEN_LEN: usize = TOKEN_PREFIX.len() + 43;

/// How a token is kept: its SHA-256 under a label of its own.
fn token_hash(token: &str) -> String {
    tokens::hash_refresh_token(&format!("hook:{token}"))
}

/// An incoming webhook's address on the server the request reached.
fn hook_url(req: &HttpRequest, token: &str) -> String {
    format!("{}/hooks/{token}", crate::web::origin(req))
}

fn new_token() -> String {
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    format!("{TOKEN_PREFIX}{secret}")
}

/// A webhook as its managers see it; `shown` is its address (incoming) or secret (outgoing),
/// in the answer that made it only.
fn view(row: WebhookRow, user: UserRow, shown: Option<String>) -> Webhook {
    let outgoing = row.target_url.is_some();
    let (url, secret) = if outgoing { (None, shown) } else { (shown, None) };
    Webhook {
        id: row.id,
        room_id: row.room_id,
        name: row.name,
        url,
        events: vec![if outgoing { "message" } else { "incoming" }.into()],
        user: user.into(),
        created_by: row.created_by,
        created_at: utc(row.created_at),
        secret,
        delivered_seq: outgoing.then_some(row.cursor),
        failures: row.failures,
        last_error: row.last_error,
        disabled: row.disabled_at.is_some(),
        target_url: row.target_url,
    }
}

/// A new outgoing webhook's signing secret: 256 random bits.
fn new_secret() -> String {
    format!("cfs_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
}

/// The room, if the caller may manage its webhooks: a room owner or admin, or a server admin.
async fn managed(state: &AppState, room_id: i64, user_id: i64) -> AppResult<RoomRow> {
    let (room, _) = access::moderated(state, room_id, user_id, Role::Admin, "manage webhooks").await?;
    if room.kind() == RoomKind::Direct {
        return Err(AppError::forbidden("direct rooms have no webhooks"));
    }
    Ok(room)
}

/// The room's webhook `webhook_id`, if the caller may manage it.
async fn managed_hook(state: &AppState, auth: Auth, room_id: i64, webhook_id: i64) -> AppResult<(WebhookRow, UserRow)> {
    let room = managed(state, room_id, auth.user_id).await?;
    store::webhooks::by_id(&state.store, room.id, webhook_id).await?.ok_or_else(|| AppError::not_found("webhook"))
}

async fn audit(state: &AppState, auth: Auth, action: &'static str, hook: &WebhookRow) {
    let entry = Action {
        actor: Some(auth.user_id),
        action,
        target: Some(hook.user_id),
        room_id: Some(hook.room_id),
        detail: Some(hook.name.clone()),
    };
    record(state, entry).await;
}

/// Makes a webhook of the room (its owners and admins, and server admins): its account joins
/// the room. An incoming one (no `target_url`): the answer carries its secret address, shown
/// only here. An outgoing one: every message of the room from now on is POSTed to `target_url`,
/// signed with the `secret` the answer carries, shown only here.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    request_body = NewWebhook,
    responses(
        (status = 201, description = "The webhook, with its address", body = Webhook),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/rooms/{room_id}/webhooks")]
pub async fn create(
    req: HttpRequest,
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<NewWebhook>,
) -> AppResult<HttpResponse> {
    let room = managed(&state, path.into_inner(), auth.user_id).await?;
    let NewWebhook { name, target_url, events } = body.0;
    let name = validate::webhook_name(&name)?;
    if events.as_ref().is_some_and(|e| e != &[WebhookEvent::Message]) {
        return Err(AppError::invalid("events", r#"must be ["message"]"#));
    }
    let target_url = match target_url {
        Some(target) => Some(outgoing::check_target(&state, &target).await?),
        None => None,
    };
    let password = crate::bots::unknown_password().await?;
    // An incoming webhook's token, or an outgoing one's secret.
    let shown = if target_url.is_some() { new_secret() } else { new_token() };
    let username = format!("hook-{}", hex::encode(rand::random::<[u8; 6]>()));
    let (row, user, joined) = store::transaction!(&state.store, |c| {
        let user = store::users::create_bot(&mut *c, &username, &password, Some(&name)).await?;
        let head = store::messages::head(&mut *c, room.id).await?.unwrap_or(0);
        let hash = target_url.is_none().then(|| token_hash(&shown));
        let hook = store::webhooks::NewWebhook {
            room_id: room.id,
            user_id: user.id,
            name: &name,
            token_hash: hash.as_deref(),
            target_url: target_url.as_deref(),
            secret: target_url.is_some().then_some(shown.as_str()),
            cursor: head,
            created_by: auth.user_id,
        };
        let row = store::webhooks::insert(&mut *c, hook).await?;
        let joined = members::join_in(&mut *c, room.id, user.id, Role::Member).await?;
        Ok((row, user, joined))
    })?;
    if let Some(joined) = joined {
        joined.announce(&state, room.id);
    }
    audit(&state, auth, "webhook.created", &row).await;
    let shown = if row.target_url.is_some() { shown } else { hook_url(&req, &shown) };
    Ok(HttpResponse::Created().json(view(row, user, Some(shown))))
}

/// The room's webhooks, oldest first (their addresses are not shown again).
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, description = "The room's webhooks", body = WebhookList),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/rooms/{room_id}/webhooks")]
pub async fn list(auth: Auth, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<web::Json<WebhookList>> {
    let room = managed(&state, path.into_inner(), auth.user_id).await?;
    let hooks = store::webhooks::of_room(&state.store, room.id).await?;
    Ok(web::Json(WebhookList { webhooks: hooks.into_iter().map(|(row, user)| view(row, user, None)).collect() }))
}

/// Gives an incoming webhook a new address (the old one answers 404 from now on), or an
/// outgoing one a new secret, which also enables it again if failures disabled it: deliveries
/// go on from where they stopped.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), ("webhook_id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 200, description = "The webhook, with its new address or secret", body = Webhook),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/rooms/{room_id}/webhooks/{webhook_id}/token")]
pub async fn rotate(
    req: HttpRequest,
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> AppResult<web::Json<Webhook>> {
    let (room_id, webhook_id) = path.into_inner();
    let (row, user) = managed_hook(&state, auth, room_id, webhook_id).await?;
    if row.target_url.is_some() {
        let secret = new_secret();
        let row = store::webhooks::set_secret(&state.store, row.id, &secret).await?;
        audit(&state, auth, "webhook.token", &row).await;
        return Ok(web::Json(view(row, user, Some(secret))));
    }
    let token = new_token();
    store::webhooks::set_token(&state.store, row.id, &token_hash(&token)).await?;
    audit(&state, auth, "webhook.token", &row).await;
    Ok(web::Json(view(row, user, Some(hook_url(&req, &token)))))
}

/// Deletes the webhook: its address answers 404, its account is deactivated and leaves the
/// room; what it posted stays.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), ("webhook_id" = i64, Path, description = "Webhook id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/rooms/{room_id}/webhooks/{webhook_id}")]
pub async fn remove(auth: Auth, state: web::Data<AppState>, path: web::Path<(i64, i64)>) -> AppResult<HttpResponse> {
    let (room_id, webhook_id) = path.into_inner();
    let (row, _) = managed_hook(&state, auth, room_id, webhook_id).await?;
    let deleted = store::transaction!(&state.store, |c| {
        let deleted = store::webhooks::delete(&mut *c, row.id).await?;
        if deleted {
            store::admin::update_user(&mut *c, row.user_id, None, Some(true)).await?;
        }
        Ok(deleted)
    })?;
    if deleted {
        match members::remove(&state, row.room_id, row.user_id).await {
            Ok(()) => {}
            Err(e) if matches!(e.kind, ErrorKind::NotFound) => {} // taken out of the room already
            Err(e) => return Err(e),
        }
        audit(&state, auth, "webhook.deleted", &row).await;
    }
    Ok(HttpResponse::NoContent().finish())
}
