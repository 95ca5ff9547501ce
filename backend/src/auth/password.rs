//! argon2id password hashing (OWASP parameters: m=19456 KiB, t=2, p=1), run on blocking
//! threads so a hash never stalls the async executor.

use argon2::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

use crate::error::{AppError, AppResult};

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || argon2().hash_password(password.as_bytes()).map(|h| h.to_string()))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
}

/// Verifies `password` against `hash`; with no hash (unknown user) it verifies against a
/// fixed dummy hash so the answer takes as long either way and reveals nothing.
pub async fn verify(password: String, hash: Option<String>) -> AppResult<bool> {
    let known = hash.is_some();
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok::<_, anyhow::Error>(argon2().verify_password(password.as_bytes(), &parsed).is_ok() && known)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| argon2().hash_password(b"confab-dummy-password").map(|h| h.to_string()).unwrap_or_default())
}
