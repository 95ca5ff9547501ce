//! `/auth/*` and `/me`: register, login, refresh, logout, current user, password change and
//! reset.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use confab_shared::{ChangePassword, Credentials, RefreshRequest, ResetPassword, TokenPair, User};

use super::{Auth, admission, password, tokens};
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

/// Opens a session for `user` and returns its token pair.
async fn open_session(state: &AppState, user: UserRow, req: &HttpRequest) -> AppResult<TokenPair> {
    let expires = store::now() + chrono::Duration::days(state.config.session_ttl_days);
    let (refresh_token, hash) = tokens::new_refresh_token();
    let session_id = store::sessions::create(&state.store, user.id, &hash, user_agent(req).as_deref(), expires).await?;
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
        (status = 403, description = "The registration policy refuses it (`invite_required`, `registration_closed`)", body = confab_shared::Problem, content_type = "application/problem+json"),
        (status = 409, response = crate::openapi::Conflict),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
#[post("/auth/register")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<Credentials>,
) -> AppResult<HttpResponse> {
    let Credentials { username, password, invite } = body.0;
    validate::username(&username)?;
    validate::password("password", &password)?;
    validate::invite(invite.as_deref())?;
    state.limits.register_by_addr.take(client_addr(&req)).await?;
    admission::precheck(&state, invite.as_deref()).await?;
    let hash = password::hash(password).await?;
    let user = admission::register(&state, &username, &hash, invite.as_deref()).await?;
    // The account exists now: a failure to put it in the default room must not fail the sign-up.
    if let Err(err) = crate::rooms::service::welcome(&state, user.id).await {
        tracing::warn!(error = %err, "joining the default room failed");
    }
    let pair = open_session(&state, user, &req).await?;
    Ok(HttpResponse::Created().json(pair))
}

/// Opens a new session. Unknown user and wrong password get the same answer; a deactivated
/// account with the right password gets `account_deactivated`.
#[utoipa::path(
    tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, description = "A new session", body = TokenPair),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, description = "The account is deactivated (`account_deactivated`)", body = confab_shared::Problem,
            content_type = "application/problem+json"),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<Credentials>,
) -> AppResult<web::Json<TokenPair>> {
    let Credentials { username, password, invite } = body.0;
    validate::invite(invite.as_deref())?;
    // Names are ASCII (see `validate::username`), compared ignoring ASCII case. A name that is
    // not a valid username matches no account: Unicode case mapping or compatibility forms
    // ("\u{212A}ate", KELVIN SIGN) must never reach another account.
    let valid_name = validate::username(&username).is_ok();
    let key = if valid_name { username.to_ascii_lowercase() } else { String::new() };
    // Throttled attempts are refused before any argon2 work is done.
    let addr = client_addr(&req);
    state.limits.login_by_addr.take(&addr).await?;
    if valid_name {
        state.limits.login_by_account_addr.take(format!("{key}|{addr}")).await?;
        state.limits.login_by_account.take(&key).await?;
    }
    let found = if valid_name { store::users::by_name(&state.store, &key).await? } else { None };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let password = password.chars().take(128).collect();
    match (password::verify(password, hash).await?, user) {
        (true, Some(user)) if user.deactivated_at.is_some() => {
            Err(AppError::new(ErrorKind::AccountDeactivated, "this account is deactivated; ask an admin"))
        }
        (true, Some(user)) => Ok(web::Json(open_session(&state, user, &req).await?)),
        _ => Err(AppError::new(ErrorKind::InvalidCredentials, "wrong username or password")),
    }
}

/// Exchanges a refresh token for a new pair. Each refresh token works once: presenting the
/// one a rotation replaced revokes its session (it was probably stolen), except within a
/// short grace after that rotation, when it is answered with the same pair of tokens the
/// rotation gave (two tabs refreshing at once). Any other token is a plain 401 that touches
/// nothing.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> AppResult<web::Json<TokenPair>> {
    state.limits.refresh_by_addr.take(client_addr(&req)).await?;
    let token = body.0.refresh_token;
    let invalid = || AppError::unauthenticated("invalid or expired refresh token");
    if token.len() > 128 {
        return Err(invalid());
    }
    let presented = tokens::hash_refresh_token(&token);
    let (next_token, next_hash) = state.tokens.next_refresh_token(&token);
    let expires = store::now() + chrono::Duration::days(state.config.session_ttl_days);
    let mut session = store::sessions::by_refresh_hash(&state.store, &presented).await?.ok_or_else(invalid)?;
    if session.revoked_at.is_some() || session.expires_at <= store::now() {
        return Err(invalid());
    }
    if session.refresh_hash == presented {
        if store::sessions::rotate(&state.store, session.id, &presented, &next_hash, expires).await? {
            return Ok(web::Json(pair_for_session(&state, &session, next_token).await?));
        }
        // Another request rotated this token a moment ago: answer as its duplicate.
        session = store::sessions::by_id(&state.store, session.id).await?.ok_or_else(invalid)?;
    }
    let grace = chrono::Duration::seconds(state.config.refresh_grace_secs);
    let within_grace = session.rotated_at.is_some_and(|at| store::now() - at <= grace);
    let just_rotated =
        session.previous_hash.as_deref() == Some(presented.as_str()) && session.refresh_hash == next_hash;
    if session.revoked_at.is_none() && just_rotated && within_grace {
        return Ok(web::Json(pair_for_session(&state, &session, next_token).await?));
    }
    if session.previous_hash.as_deref() != Some(presented.as_str()) {
        return Err(invalid());
    }
    tracing::warn!(session_id = session.id, "refresh token reused: revoking the session");
    store::sessions::revoke(&state.store, session.id).await?;
    state.realtime.close_sessions(session.user_id, &[session.id]);
    Err(AppError::new(ErrorKind::SessionRevoked, "refresh token already used; the session was revoked"))
}

async fn pair_for_session(
    state: &AppState,
    session: &store::models::SessionRow,
    refresh_token: String,
) -> AppResult<TokenPair> {
    let user = store::users::by_id(&state.store, session.user_id)
        .await?
        .ok_or_else(|| AppError::unauthenticated("invalid or expired refresh token"))?;
    token_pair(state, user, session.id, refresh_token)
}

/// Ends this session and closes its WebSockets.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Logged out"), (status = 401, response = crate::openapi::Unauthorized), (status = 429, response = crate::openapi::TooMany))
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
        (status = 429, response = crate::openapi::TooMany),
        (status = 503, response = crate::openapi::Unavailable),
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
    state.limits.password_by_user.take(auth.user_id).await?;
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

/// Sets a new password with the token of a reset link an admin made (once, within 24 hours),
/// and ends every session of the account.
#[utoipa::path(
    tag = "auth",
    request_body = ResetPassword,
    responses(
        (status = 204, description = "The password is set; log in with it"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 404, description = "The link is unknown, used or expired (`not_found`, field `token`)", body = confab_shared::Problem,
            content_type = "application/problem+json"),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/auth/password-reset")]
pub async fn reset_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<ResetPassword>,
) -> AppResult<HttpResponse> {
    let ResetPassword { token, password } = body.0;
    validate::password("password", &password)?;
    state.limits.login_by_addr.take(client_addr(&req)).await?;
    // 404 naming the field: the request is well-formed, the link it names is not there (any more).
    let invalid = || {
        let message = "this link is unknown, used or expired: ask an admin for a new one";
        let mut err = AppError::new(ErrorKind::NotFound, format!("token: {message}"));
        err.errors.push(confab_shared::FieldError { field: "token".into(), message: message.into() });
        err
    };
    if token.chars().count() > 64 {
        return Err(AppError::invalid("token", "must be at most 64 characters"));
    }
    let hash = password::hash(password).await?;
    let user_id =
        store::admin::use_reset(&state.store, &tokens::hash_refresh_token(&token), &hash).await?.ok_or_else(invalid)?;
    let revoked = store::sessions::revoke_all_but(&state.store, user_id, None).await?;
    state.realtime.close_sessions(user_id, &revoked);
    let action = store::admin::Action {
        actor: Some(user_id),
        action: "user.password_reset_used",
        target: Some(user_id),
        room_id: None,
        detail: None,
    };
    crate::admin::record(&state, action).await;
    Ok(HttpResponse::NoContent().finish())
}
