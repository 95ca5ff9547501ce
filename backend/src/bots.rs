//! `/bots` (server admins): accounts for integrations (CI notifiers, alerting, deploy bots), each
//! with a long-lived API token used as `Authorization: Bearer` on REST and in the WebSocket's
//! `auth`, so an integration never logs in as a person or refreshes a 15-minute token.
//!
//! A bot token is a session of the bot's account: the session's key is the token's SHA-256
//! under a label of its own ([`session_key`]), so it cannot be used at `/auth/refresh` (nor a
//! refresh token as a bot token), and everything that ends sessions works on it unchanged:
//! rotating the token or deleting the bot revokes the session, and every node closes the
//! bot's sockets. Bots join rooms and send as people do; their messages draw from a send limit
//! of their own (`--bot-send-rate`, `--bot-send-burst`).

use actix_web::{HttpResponse, delete, get, post, web};
use base64::Engine;
use confab_shared::{BotList, BotToken, NewBot, User};

use crate::admin::{record, require_admin};
use crate::auth::{Auth, password, tokens};
use crate::error::{AppError, AppResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{self, admin::Action, models::UserRow};
use crate::validate;

/// What every bot token starts with, telling it from an access token (a JWT).
pub const TOKEN_PREFIX: &str = "cfb_";
/// A bot token works until it is rotated or the bot deleted.
const TOKEN_DAYS: i64 = 100 * 365;

/// The session key of a bot token.
pub fn session_key(token: &str) -> String {
    tokens::hash_refresh_token(&format!("bot:{token}"))
}

/// The caller of a bot token: its live session's account.
pub async fn authenticate(state: &AppState, token: &str) -> AppResult<Auth> {
    let session = store::sessions::by_refresh_hash(&state.store, &session_key(token)).await?;
    match session {
        Some(s) if s.revoked_at.is_none() && s.expires_at > store::now() => {
            Ok(Auth { user_id: s.user_id, session_id: s.id, bot: true })
        }
        _ => Err(AppError::unauthenticated("invalid or revoked bot token")),
    }
}

/// A new token for the bot, as a new session of its account.
async fn issue(state: &AppState, user_id: i64) -> AppResult<String> {
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let token = format!("{TOKEN_PREFIX}{secret}");
    let expires = store::now() + chrono::Duration::days(TOKEN_DAYS);
    store::sessions::create(&state.store, user_id, &session_key(&token), Some("bot token"), expires).await?;
    Ok(token)
}

/// A password hash nobody knows the password of: a bot never logs in, it has its token.
pub(crate) async fn unknown_password() -> AppResult<String> {
    password::hash(base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())).await
}

/// The bot `user_id` names, not deleted; `not_found` for anyone else.
async fn bot(state: &AppState, user_id: i64) -> AppResult<UserRow> {
    store::users::bot(&state.store, user_id).await?.ok_or_else(|| AppError::not_found("bot"))
}

/// Ends every token of the bot; its open sockets close on every node.
async fn revoke(state: &AppState, user_id: i64) -> AppResult<()> {
    let revoked = store::sessions::revoke_all_but(&state.store, user_id, None).await?;
    state.realtime.close_sessions(user_id, &revoked);
    Ok(())
}

async fn audit(state: &AppState, admin: &User, action: &'static str, bot_id: i64) {
    record(state, Action { actor: Some(admin.id), action, target: Some(bot_id), room_id: None, detail: None }).await;
}

/// Creates a bot and its API token (server admins). The token is shown only here.
#[utoipa::path(
    tag = "bots",
    security(("bearer" = [])),
    request_body = NewBot,
    responses(
        (status = 201, description = "The bot and its token", body = BotToken),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/bots")]
pub async fn create(auth: Auth, state: web::Data<AppState>, body: ApiJson<NewBot>) -> AppResult<HttpResponse> {
    let admin = require_admin(&state, auth).await?;
    let NewBot { username, display_name } = body.0;
    validate::username(&username)?;
    let display_name = display_name.as_deref().map(validate::display_name).transpose()?.filter(|n| !n.is_empty());
    let row =
        store::users::create_bot(&state.store, &username, &unknown_password().await?, display_name.as_deref()).await?;
    let token = issue(&state, row.id).await?;
    audit(&state, &admin, "bot.created", row.id).await;
    Ok(HttpResponse::Created().json(BotToken { user: Some(row.into()), token }))
}

/// The server's bots (server admins).
#[utoipa::path(
    tag = "bots",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The bots that are not deleted, by name", body = BotList),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
    )
)]
#[get("/bots")]
pub async fn list(auth: Auth, state: web::Data<AppState>) -> AppResult<web::Json<BotList>> {
    require_admin(&state, auth).await?;
    let bots = store::users::bots(&state.store).await?;
    Ok(web::Json(BotList { bots: bots.into_iter().map(User::from).collect() }))
}

/// Replaces the bot's token (server admins): the old one stops working at once and the bot's
/// open sockets close.
#[utoipa::path(
    tag = "bots",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The bot's account id")),
    responses(
        (status = 200, description = "The new token", body = BotToken),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/bots/{user_id}/token")]
pub async fn rotate(auth: Auth, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<web::Json<BotToken>> {
    let admin = require_admin(&state, auth).await?;
    let bot = bot(&state, path.into_inner()).await?;
    revoke(&state, bot.id).await?;
    let token = issue(&state, bot.id).await?;
    audit(&state, &admin, "bot.token", bot.id).await;
    Ok(web::Json(BotToken { user: None, token }))
}

/// Deletes the bot (server admins): its account is deactivated (its messages stay), its token
/// stops working and its sockets close.
#[utoipa::path(
    tag = "bots",
    security(("bearer" = [])),
    params(("user_id" = i64, Path, description = "The bot's account id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/bots/{user_id}")]
pub async fn remove(auth: Auth, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let admin = require_admin(&state, auth).await?;
    let bot = bot(&state, path.into_inner()).await?;
    store::admin::update_user(&state.store, bot.id, None, Some(true)).await?;
    revoke(&state, bot.id).await?;
    audit(&state, &admin, "bot.deleted", bot.id).await;
    Ok(HttpResponse::NoContent().finish())
}
