//! `/push`: the VAPID key, and the browsers a user subscribes to notifications.

use actix_web::{HttpResponse, delete, get, post, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use confab_shared::{PushSubscription, VapidKey};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::json::ApiJson;
use crate::state::AppState;
use crate::store;

/// The server's VAPID public key, for `pushManager.subscribe`.
#[utoipa::path(
    tag = "push",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The key", body = VapidKey),
        (status = 401, response = crate::openapi::Unauthorized),
    )
)]
#[get("/push/vapid-key")]
pub async fn vapid_key(_auth: Auth, state: web::Data<AppState>) -> web::Json<VapidKey> {
    web::Json(VapidKey { public_key: state.push.public_key().to_owned() })
}

/// Subscribes this browser: while the caller has no open connection, the messages that would
/// notify them are pushed to it. Subscribing an endpoint again replaces it; a user keeps their
/// ten newest.
#[utoipa::path(
    tag = "push",
    security(("bearer" = [])),
    request_body = PushSubscription,
    responses(
        (status = 201, description = "Subscribed"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 415, response = crate::openapi::Unsupported),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[post("/push/subscriptions")]
pub async fn subscribe(
    auth: Auth,
    state: web::Data<AppState>,
    body: ApiJson<PushSubscription>,
) -> AppResult<HttpResponse> {
    let PushSubscription { endpoint, keys } = body.0;
    endpoint_url(&endpoint, state.push.allow_http)?;
    let p256dh = key(&keys.p256dh, "keys.p256dh", 65)?;
    web_push_native::p256::PublicKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(&p256dh).unwrap_or_default())
        .map_err(|_| AppError::invalid("keys.p256dh", "must be a P-256 public key"))?;
    let auth_secret = key(&keys.auth, "keys.auth", 16)?;
    state.limits.actions_by_user.take(auth.user_id).await?;
    store::push::subscribe(&state.store, auth.user_id, &endpoint, &p256dh, &auth_secret).await?;
    Ok(HttpResponse::Created().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct EndpointQuery {
    /// The subscription's endpoint, as it was subscribed.
    pub endpoint: String,
}

/// Unsubscribes a browser of the caller's; idempotent.
#[utoipa::path(
    tag = "push",
    security(("bearer" = [])),
    params(EndpointQuery),
    responses(
        (status = 204, description = "Unsubscribed (or was not subscribed)"),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 429, response = crate::openapi::TooMany),
    )
)]
#[delete("/push/subscriptions")]
pub async fn unsubscribe(
    auth: Auth,
    state: web::Data<AppState>,
    query: web::Query<EndpointQuery>,
) -> AppResult<HttpResponse> {
    state.limits.actions_by_user.take(auth.user_id).await?;
    store::push::unsubscribe(&state.store, auth.user_id, &query.endpoint).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A push service's URL: https (http only when allowed, for a local service), a host name
/// (not an address, nor `localhost`, unless http is allowed: the server must not be made to
/// post to its own network), at most 2048 characters.
fn endpoint_url(endpoint: &str, allow_http: bool) -> AppResult<url::Url> {
    const FIELD: &str = "endpoint";
    if endpoint.len() > 2048 {
        return Err(AppError::invalid(FIELD, "must be at most 2048 characters"));
    }
    let url = url::Url::parse(endpoint).map_err(|_| AppError::invalid(FIELD, "must be a URL"))?;
    let scheme_ok = url.scheme() == "https" || (allow_http && url.scheme() == "http");
    if !scheme_ok || !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::invalid(FIELD, "must be an https URL of a push service"));
    }
    match url.host() {
        Some(url::Host::Domain(name)) if allow_http || !name.eq_ignore_ascii_case("localhost") => Ok(url),
        Some(_) if allow_http => Ok(url),
        _ => Err(AppError::invalid(FIELD, "must name a push service's host")),
    }
}

/// A base64url key of `bytes` bytes (padding tolerated), returned without padding.
fn key(value: &str, field: &str, bytes: usize) -> AppResult<String> {
    let bare = value.trim_end_matches('=');
    match URL_SAFE_NO_PAD.decode(bare) {
        Ok(decoded) if decoded.len() == bytes => Ok(bare.to_owned()),
        _ => Err(AppError::invalid(field, format!("must be {bytes} bytes, base64url"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_https_push_services_unless_http_is_allowed() {
        assert!(endpoint_url("https://push.example/send/abc", false).is_ok());
        for bad in [
            "http://push.example/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://localhost/x",
            "https://user:pw@push.example/x",
            "not a url",
            "file:///etc/passwd",
        ] {
            assert!(endpoint_url(bad, false).is_err(), "{bad} must be refused");
        }
        assert!(endpoint_url("http://127.0.0.1:9000/x", true).is_ok());
        assert!(endpoint_url(&format!("https://push.example/{}", "a".repeat(2048)), false).is_err());
    }

    #[test]
    fn keys_must_have_their_length() {
        let auth = URL_SAFE_NO_PAD.encode([1u8; 16]);
        assert_eq!(key(&auth, "keys.auth", 16).unwrap(), auth);
        assert_eq!(key(&format!("{auth}=="), "keys.auth", 16).unwrap(), auth);
        assert!(key(&URL_SAFE_NO_PAD.encode([1u8; 15]), "keys.auth", 16).is_err());
        assert!(key("!!!", "keys.auth", 16).is_err());
    }
}
