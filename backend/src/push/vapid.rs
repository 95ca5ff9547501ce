//! The server's VAPID identity (RFC 8292): a P-256 key pair whose public half browsers bind
//! their subscriptions to, and the short-lived ES256 token that signs every push request.
//!
//! The private key is the configured one (`--vapid-key`: 32 bytes, base64url), or derived from
//! the token secret, which is itself configured or generated into the data dir: so every node
//! of a cluster has the same key without a setting of its own, and a restart keeps it (a new
//! key would orphan every subscription).

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use serde::Serialize;

/// How long a push request's signature holds (RFC 8292 allows up to 24 hours).
const TOKEN_TTL_SECS: i64 = 12 * 60 * 60;

pub struct Vapid {
    signing: EncodingKey,
    /// The uncompressed public point, base64url without padding.
    public_key: String,
    /// Who the push service may contact (`sub`): a `mailto:` or `https:` URL.
    contact: String,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    exp: i64,
    sub: &'a str,
}

impl Vapid {
    /// The configured key, or one derived from the token secret.
    pub fn load(configured: Option<&str>, token_secret: &[u8], contact: &str) -> anyhow::Result<Self> {
        let secret = match configured.filter(|k| !k.is_empty()) {
            Some(key) => {
                let bytes = URL_SAFE_NO_PAD.decode(key.trim()).context("CONFAB_VAPID_KEY is not base64url")?;
                SecretKey::from_slice(&bytes).context("CONFAB_VAPID_KEY is not a P-256 private key (32 bytes)")?
            }
            None => derived(token_secret),
        };
        let der = secret.to_pkcs8_der().context("encode the VAPID key")?;
        let public_key = URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes());
        Ok(Self { signing: EncodingKey::from_ec_der(der.as_bytes()), public_key, contact: contact.to_owned() })
    }

    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The `Authorization` header of a push request to `origin` (the endpoint's scheme, host and
    /// port): `vapid t=<ES256 JWT>, k=<public key>`.
    pub fn authorization(&self, origin: &str) -> anyhow::Result<String> {
        let exp = chrono::Utc::now().timestamp() + TOKEN_TTL_SECS;
        let claims = Claims { aud: origin, exp, sub: &self.contact };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.signing)?;
        Ok(format!("vapid t={token}, k={}", self.public_key))
    }
}

/// A P-256 scalar from the token secret: SHA-256 of a label and the secret, hashed again in the
/// (astronomically rare) case it is not a valid scalar.
fn derived(token_secret: &[u8]) -> SecretKey {
    let mut bytes = crate::auth::tokens::derive_key("confab vapid", token_secret);
    loop {
        if let Ok(key) = SecretKey::from_slice(&bytes) {
            return key;
        }
        bytes = crate::auth::tokens::derive_key("confab vapid again", &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derived_key_is_the_same_for_the_same_secret_and_differs_otherwise() {
        let a = Vapid::load(None, b"0123456789abcdef0123456789abcdef", "mailto:a@b").unwrap();
        let b = Vapid::load(None, b"0123456789abcdef0123456789abcdef", "mailto:a@b").unwrap();
        let c = Vapid::load(None, b"another secret of 32 bytes or more", "mailto:a@b").unwrap();
        assert_eq!(a.public_key(), b.public_key());
        assert_ne!(a.public_key(), c.public_key());
        assert_eq!(URL_SAFE_NO_PAD.decode(a.public_key()).unwrap().len(), 65);
    }

    #[test]
    fn a_configured_key_must_be_a_p256_scalar() {
        assert!(Vapid::load(Some("not base64!"), b"x", "mailto:a@b").is_err());
        assert!(Vapid::load(Some(&URL_SAFE_NO_PAD.encode([0u8; 32])), b"x", "mailto:a@b").is_err());
        let key = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let vapid = Vapid::load(Some(&key), b"ignored", "mailto:a@b").unwrap();
        let header = vapid.authorization("https://push.example").unwrap();
        assert!(header.starts_with("vapid t=") && header.ends_with(&format!(", k={}", vapid.public_key())));
    }
}
