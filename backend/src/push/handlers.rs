//! `/push`: the VAPID key, and the browsers a user subscribes to notifications.

use actix_web::{HttpResponse, delete, get, post, web};
use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
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
    // Whether the key is a point of the curve is found when a push is encrypted for it (a
    // browser's always is); one that is not makes the server forget the subscription then.
    let p256dh = key(&keys.p256dh, "keys.p256dh", 65)?;
    let auth_secret = key(&keys.auth, "keys.auth", 16)?;
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
    store::push::unsubscribe(&state.store, auth.user_id, &query.endpoint).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A push service's URL: https (http only when allowed, for a local service), a host name
/// rather than an address (unless http is allowed), at most 2048 characters. Every real push
/// service is a named https host; refusing addresses keeps a subscriber from pointing the
/// server at one of its network's machines by number (a name that resolves inside the network
/// is not caught: see docs/deploy.md).
fn endpoint_url(endpoint: &str, allow_http: bool) -> AppResult<url::Url> {
    const FIELD: &str = "endpoint";
    if endpoint.chars().count() > 2048 {
        return Err(AppError::invalid(FIELD, "must be at most 2048 characters"));
    }
    if !allow_http && !crate::validate::url_shape(endpoint, &["https"], false) {
        return Err(AppError::invalid(
            FIELD,
            "must be https://host[:port][/path], the host a name of letters, digits and hyphens",
        ));
    }
    let url = url::Url::parse(endpoint).map_err(|_| AppError::invalid(FIELD, "must be a URL"))?;
    let scheme_ok = url.scheme() == "https" || (allow_http && url.scheme() == "http");
    if !scheme_ok || !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::invalid(FIELD, "must be an https URL of a push service"));
    }
    match url.host() {
        Some(url::Host::Domain(_)) => Ok(url),
        Some(_) if allow_http => Ok(url),
        _ => Err(AppError::invalid(FIELD, "must name a push service's host")),
    }
}

/// Base64url as browsers write it: padding optional, unused trailing bits tolerated.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A base64url key of `bytes` bytes, returned in canonical form (no padding).
fn key(value: &str, field: &str, bytes: usize) -> AppResult<String> {
    match LENIENT.decode(value) {
        Ok(decoded) if decoded.len() == bytes => Ok(URL_SAFE_NO_PAD.encode(decoded)),
        _ => Err(AppError::invalid(field, format!("must be {bytes} bytes, base64url"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_https_push_services_unless_http_is_allowed() {
        assert!(endpoint_url("https://push.example/send/abc", false).is_ok());
        assert!(endpoint_url("https://fcm.googleapis.com:443/fcm/send/x-y?z#w", false).is_ok());
        assert!(endpoint_url("https://push.example/a\u{85}b", false).is_ok(), "not white space to the schema");
        for bad in [
            "http://push.example/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://user:pw@push.example/x",
            "not a url",
            "file:///etc/passwd",
            "https://push*.example/x",
            "https://1push.example/x",
            "https://push.example:12345/x",
            "https://push.example?x",
            "https://push.example/a b",
            "https://push.example/a\u{FEFF}b",
            "https://push..example/x",
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
        let loose = format!("{}B", &auth[..21]); // the last character's unused bits set
        assert_eq!(key(&loose, "keys.auth", 16).unwrap().len(), 22);
        assert!(key(&URL_SAFE_NO_PAD.encode([1u8; 15]), "keys.auth", 16).is_err());
        assert!(key("!!!", "keys.auth", 16).is_err());
    }
}
