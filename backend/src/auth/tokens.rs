//! Access tokens (JWT, HS256 only, short-lived, carrying the session id) and refresh tokens
//! (256 opaque bits, base64url: no session id or anything else guessable in them; stored as a
//! SHA-256 hash and rotated on every use).
//!
//! A rotation's new token is derived from the presented one: `HMAC-SHA256(key, presented)`,
//! with a key derived from the token secret. Why: two tabs that refresh with the same token at
//! the same moment must both end up holding the session's current token; the one that comes
//! second (within the grace) is answered with the very token the first one got, without the
//! server keeping any token in the clear.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

use crate::error::{AppError, AppResult};

const ISSUER: &str = "confab";
const AUDIENCE: &str = "confab-api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a string (RFC 7519).
    pub sub: String,
    /// The session id: revoking the session invalidates the token.
    pub sid: i64,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Derives a rotation's next refresh token (see the module header).
    rotation_key: [u8; 32],
    pub ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_secs: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.validate_nbf = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            rotation_key: derive_key("confab refresh rotation", secret),
            ttl_secs,
        }
    }

    pub fn issue(&self, user_id: i64, session_id: i64) -> AppResult<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id,
            iat: now,
            nbf: now,
            exp: now + self.ttl_secs,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(AppError::internal)
    }

    /// The `(user id, session id)` of a valid token; `unauthenticated` otherwise.
    pub fn verify(&self, token: &str) -> AppResult<(i64, i64)> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| AppError::unauthenticated(format!("invalid access token: {}", describe(&e))))?;
        let user_id = data.claims.sub.parse().map_err(|_| AppError::unauthenticated("invalid access token"))?;
        Ok((user_id, data.claims.sid))
    }
}

fn describe(e: &jsonwebtoken::errors::Error) -> &'static str {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => "expired",
        K::ImmatureSignature => "not yet valid",
        K::InvalidSignature => "bad signature",
        K::InvalidAlgorithm => "algorithm not accepted",
        _ => "malformed or not accepted",
    }
}

/// A new random refresh token, and the hash to store.
pub fn new_refresh_token() -> (String, String) {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = URL_SAFE_NO_PAD.encode(secret);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

impl TokenKeys {
    /// The token that replaces `presented` when it is rotated, and its hash: always the same
    /// for the same presented token, unpredictable without it and the secret.
    pub fn next_refresh_token(&self, presented: &str) -> (String, String) {
        let mut mac = hmac(&self.rotation_key);
        mac.update(presented.as_bytes());
        let token = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let hash = hash_refresh_token(&token);
        (token, hash)
    }
}

/// A key for one purpose (`label`) derived from the token secret: `SHA-256(label, NUL, secret)`.
pub fn derive_key(label: &str, secret: &[u8]) -> [u8; 32] {
    Sha256::new().chain_update(label.as_bytes()).chain_update([0]).chain_update(secret).finalize().into()
}

/// HMAC-SHA256 keyed with a derived key.
pub fn hmac(key: &[u8; 32]) -> Hmac<Sha256> {
    // Any key length is valid for HMAC.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The HS256 secret: the configured one (at least 32 bytes), or one generated on first start
/// and kept in `<data_dir>/jwt_secret` (mode 0600) so restarts keep users logged in.
pub fn load_secret(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = configured.filter(|s| !s.is_empty()) {
        anyhow::ensure!(secret.len() >= 32, "CONFAB_JWT_SECRET must be at least 32 bytes");
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join("jwt_secret");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        anyhow::ensure!(existing.len() >= 32, "{} holds a secret shorter than 32 bytes", path.display());
        return Ok(existing.as_bytes().to_vec());
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("create {}", data_dir.display()))?;
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    write_private(&path, &secret).with_context(|| format!("write {}", path.display()))?;
    Ok(secret.into_bytes())
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_round_trip_and_reject_tampering() {
        let keys = TokenKeys::new(&[7u8; 32], 60);
        let token = keys.issue(5, 9).expect("issue");
        assert_eq!(keys.verify(&token).expect("verify"), (5, 9));
        let other = TokenKeys::new(&[8u8; 32], 60);
        assert!(other.verify(&token).is_err(), "another secret must not verify");
        let mut parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        parts[0] = &none_header;
        assert!(keys.verify(&format!("{}.{}.", parts[0], parts[1])).is_err(), "alg none refused");
    }

    fn forge(secret: &[u8], alg: Algorithm, aud: &str, iat_offset: i64, ttl: i64) -> String {
        let now = chrono::Utc::now().timestamp() + iat_offset;
        let claims =
            Claims { sub: "5".into(), sid: 9, iat: now, nbf: now, exp: now + ttl, iss: ISSUER.into(), aud: aud.into() };
        jsonwebtoken::encode(&Header::new(alg), &claims, &EncodingKey::from_secret(secret)).expect("encode")
    }

    #[test]
    fn only_our_audience_algorithm_and_time_window_are_accepted() {
        let secret = [7u8; 32];
        let keys = TokenKeys::new(&secret, 60);
        assert!(keys.verify(&forge(&secret, Algorithm::HS256, AUDIENCE, 0, 60)).is_ok());
        assert!(keys.verify(&forge(&secret, Algorithm::HS256, "another-service", 0, 60)).is_err(), "audience");
        assert!(keys.verify(&forge(&secret, Algorithm::HS512, AUDIENCE, 0, 60)).is_err(), "algorithm");
        assert!(keys.verify(&forge(&secret, Algorithm::HS256, AUDIENCE, -120, 60)).is_err(), "expired");
        assert!(keys.verify(&forge(&secret, Algorithm::HS256, AUDIENCE, 120, 60)).is_err(), "not yet valid");
        assert!(keys.verify(&forge(&secret, Algorithm::HS256, AUDIENCE, -3, 1)).is_ok(), "within the leeway");
    }

    #[test]
    fn weak_configured_secrets_are_refused() {
        let dir = std::env::temp_dir();
        assert!(load_secret(Some("too-short"), &dir).is_err());
        assert!(load_secret(Some(&"x".repeat(32)), &dir).is_ok());
    }

    #[test]
    fn refresh_tokens_are_opaque_and_rotate_deterministically() {
        let (token, hash) = new_refresh_token();
        assert_eq!(token.len(), 43);
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
        assert_eq!(hash_refresh_token(&token), hash);
        let keys = TokenKeys::new(&[7u8; 32], 60);
        let (next, next_hash) = keys.next_refresh_token(&token);
        assert_eq!(keys.next_refresh_token(&token), (next.clone(), next_hash), "same token, same successor");
        assert_ne!(next, token);
        assert_ne!(TokenKeys::new(&[8u8; 32], 60).next_refresh_token(&token).0, next, "depends on the secret");
        assert_ne!(keys.next_refresh_token(&next).0, next, "each rotation moves on");
    }
}
