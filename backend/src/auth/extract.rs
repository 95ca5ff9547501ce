//! The `Auth` extractor: a valid bearer access token (or bot token, see `bots`) of a live session. It also takes one token
//! of the caller's action bucket for every write (any method but GET and HEAD), so no write a
//! user can repeat goes unthrottled; message writes draw from their own bucket instead
//! (`Limits::send`, taken by the message service).

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, web};
use std::future::Future;
use std::pin::Pin;

use crate::error::{AppError, AppResult, ErrorKind};
use crate::state::AppState;
use crate::store;

/// The authenticated caller.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    pub user_id: i64,
    pub session_id: i64,
    /// Came with a bot's API token (bots have their own send limit).
    pub bot: bool,
}

impl Auth {
    /// Checks an access token (or a bot's API token) and that its session is still live.
    pub async fn from_token(state: &AppState, token: &str) -> AppResult<Self> {
        if token.starts_with(crate::bots::TOKEN_PREFIX) {
            return crate::bots::authenticate(state, token).await;
        }
        let (user_id, session_id) = state.tokens.verify(token)?;
        if !store::sessions::is_active(&state.store, session_id).await? {
            return Err(AppError::new(ErrorKind::SessionRevoked, "this session has ended; log in again"));
        }
        Ok(Auth { user_id, session_id, bot: false })
    }
}

pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req).map(str::to_owned);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let charge = is_throttled_write(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("app state missing")))?;
            let token = token.ok_or_else(|| AppError::unauthenticated("missing bearer token"))?;
            let auth = Auth::from_token(&state, &token).await?;
            if charge {
                state.limits.actions_by_user.take(auth.user_id).await?;
            }
            Ok(auth)
        })
    }
}

/// A write that draws from the action bucket: not a read, not a message write.
fn is_throttled_write(req: &HttpRequest) -> bool {
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    let message_write = req.match_pattern().is_some_and(|p| p.contains("/messages"));
    !read && !message_write
}
