//! `/auth/*` and `/me`: register, login, refresh, logout, current user, password change.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use confab_shared::{ChangePassword, Credentials, RefreshRequest, TokenPair, User};

use super::{Auth, password, tokens};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store::{self, models::UserRow};
use crate::validate;

fn client_addr(req: &HttpRequest) -> String {
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default()
}

fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers().get("user-agent").and_then(|v| v.to_str().ok()).map(|s| s.chars().take(256).collect())
}

fn throttle(result: Result<(), std::time::Duration>) -> AppResult<()> {
    result.map_err(|wait| AppError::rate_limited(wait.as_secs() + 1))
}

/// Opens a session for `user` and returns its token pair.
async fn open_session(state: &AppState, user: UserRow, req: &HttpRequest) -> AppResult<TokenPair> {
    let expires = store::now() + chrono::Duration::days(state.config.session_ttl_days);
    // The session id is part of the refresh token, so the row is created with a placeholder
    // hash and given its real one straight after.
    let placeholder = tokens::hash_refresh_token(&format!("pending-{}", rand::random::<u64>()));
    let session_id =
        store::sessions::create(&state.store, user.id, &placeholder, user_agent(req).as_deref(), expires).await?;
    let (refresh_token, hash) = tokens::new_refresh_token(session_id);
    store::sessions::rotate(&state.store, session_id, &placeholder, &hash, expires).await?;
    token_pair(state, user, session_id, refresh_token)
}

fn token_pair(state: &AppState, user: UserRow, session_id: i64, refresh_token: String) -> AppResult<TokenPair> {
    Ok(TokenPair {
        access_token: state.tokens.issue(user.id, session_id)?,
        refresh_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.tokens.ttl_secs,
        user: user.into(),
    })
}

/// Creates an account and logs it in.
#[utoipa::path(
    tag = "auth",
    request_body = Credentials,
    responses(
        (status = 201, description = "Account created; a new session", body = TokenPair),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<Credentials>,
) -> AppResult<HttpResponse> {
    let Credentials { username, password } = body.0;
    validate::username(&username)?;
    validate::password("password", &password)?;
    throttle(state.limits.register_by_addr.check(&client_addr(&req)).await)?;
    let hash = password::hash(password).await?;
    let user = store::users::create(&state.store, &username, &hash).await?;
    let pair = open_session(&state, user, &req).await?;
    Ok(HttpResponse::Created().json(pair))
}

/// Opens a new session. Unknown user and wrong password get the same answer.
#[utoipa::path(
    tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, description = "A new session", body = TokenPair),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<Credentials>,
) -> AppResult<web::Json<TokenPair>> {
    let Credentials { username, password } = body.0;
    // Throttled attempts are refused before any argon2 work is done.
    throttle(state.limits.login_by_addr.check(&client_addr(&req)).await)?;
    throttle(state.limits.login_by_account.check(&username.to_lowercase()).await)?;
    let found = if username.len() <= 64 { store::users::by_name(&state.store, &username).await? } else { None };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let password = password.chars().take(128).collect();
    match (password::verify(password, hash).await?, user) {
        (true, Some(user)) => Ok(web::Json(open_session(&state, user, &req).await?)),
        _ => Err(AppError::new(ErrorKind::InvalidCredentials, "wrong username or password")),
    }
}

/// Exchanges a refresh token for a new pair. Each refresh token works once: presenting one
/// that was already used revokes its session (it was probably stolen).
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(state: web::Data<AppState>, body: ApiJson<RefreshRequest>) -> AppResult<web::Json<TokenPair>> {
    let token = body.0.refresh_token;
    let invalid = || AppError::unauthenticated("invalid or expired refresh token");
    let session_id = tokens::refresh_token_session(&token).ok_or_else(invalid)?;
    let session = store::sessions::by_id(&state.store, session_id).await?.ok_or_else(invalid)?;
    if session.revoked_at.is_some() || session.expires_at <= store::now() {
        return Err(invalid());
    }
    let presented = tokens::hash_refresh_token(&token);
    let (new_token, new_hash) = tokens::new_refresh_token(session_id);
    let expires = store::now() + chrono::Duration::days(state.config.session_ttl_days);
    let matches: bool = subtle::ConstantTimeEq::ct_eq(presented.as_bytes(), session.refresh_hash.as_bytes()).into();
    if !matches || !store::sessions::rotate(&state.store, session_id, &presented, &new_hash, expires).await? {
        tracing::warn!(session_id, "refresh token reused: revoking the session");
        store::sessions::revoke(&state.store, session_id).await?;
        state.realtime.close_sessions(session.user_id, &[session_id]);
        return Err(AppError::new(ErrorKind::SessionRevoked, "refresh token already used; the session was revoked"));
    }
    let user = store::users::by_id(&state.store, session.user_id).await?.ok_or_else(invalid)?;
    Ok(web::Json(token_pair(&state, user, session_id, new_token)?))
}

/// Ends this session and closes its WebSockets.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Logged out"), (status = 401, response = crate::openapi::Unauthorized))
)]
#[post("/auth/logout")]
pub async fn logout(auth: Auth, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    store::sessions::revoke(&state.store, auth.session_id).await?;
    state.realtime.close_sessions(auth.user_id, &[auth.session_id]);
    Ok(HttpResponse::NoContent().finish())
}

/// The current user.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The current user", body = User), (status = 401, response = crate::openapi::Unauthorized))
)]
#[get("/me")]
pub async fn me(auth: Auth, state: web::Data<AppState>) -> AppResult<web::Json<User>> {
    let user = store::users::by_id(&state.store, auth.user_id)
        .await?
        .ok_or_else(|| AppError::unauthenticated("account gone"))?;
    Ok(web::Json(user.into()))
}

/// Changes the password and ends every other session of the account.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed; other sessions revoked"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, description = "The current password is wrong", body = confab_shared::Problem, content_type = "application/problem+json"),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
    )
)]
#[put("/me/password")]
pub async fn change_password(
    auth: Auth,
    state: web::Data<AppState>,
    body: ApiJson<ChangePassword>,
) -> AppResult<HttpResponse> {
    let ChangePassword { current_password, new_password } = body.0;
    validate::password("new_password", &new_password)?;
    let hash = store::users::password_hash(&state.store, auth.user_id).await?;
    if !password::verify(current_password, Some(hash)).await? {
        // 403, not 401: the session is fine (a 401 would make clients refresh or log out).
        let mut err = AppError::forbidden("the current password is wrong");
        err.errors.push(confab_shared::FieldError {
            field: "current_password".into(),
            message: "is not the current password".into(),
        });
        return Err(err);
    }
    let new_hash = password::hash(new_password).await?;
    store::users::set_password_hash(&state.store, auth.user_id, &new_hash).await?;
    let revoked = store::sessions::revoke_all_but(&state.store, auth.user_id, Some(auth.session_id)).await?;
    state.realtime.close_sessions(auth.user_id, &revoked);
    Ok(HttpResponse::NoContent().finish())
}
