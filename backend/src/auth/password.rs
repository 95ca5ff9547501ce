//! argon2id password hashing (OWASP parameters: m=19456 KiB, t=2, p=1) on a small dedicated
//! pool of threads, so a hash never stalls the async executor.
//!
//! Each hashing thread keeps one 19 MiB work area and reuses it for every hash. Why: letting
//! argon2 allocate per hash on tokio's blocking threads left the allocator holding the freed
//! areas: about 400 MB resident after a burst of 50 registrations. Two threads bound both the
//! memory (38 MiB) and the CPU a login storm can take. At most `HASH_QUEUE` hashes wait their
//! turn; beyond that a request is answered 503 at once, so a storm of password guesses cannot
//! grow the queue or push other people's logins back by seconds.
//! Hashes are standard PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).

use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use rand::RngCore;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use subtle::ConstantTimeEq;

use crate::error::{AppError, AppResult};

const HASH_THREADS: usize = 2;
/// Hashes that may wait for a thread (about 0.4 s of work in release builds).
const HASH_QUEUE: usize = 32;
const OUTPUT_LEN: usize = 32;
const SALT_LEN: usize = 16;

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

fn phc_params() -> String {
    let p = Params::default();
    format!("m={},t={},p={}", p.m_cost(), p.t_cost(), p.p_cost())
}

thread_local! {
    /// This hashing thread's reusable argon2 work area.
    static WORK_AREA: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// The raw argon2id output for `password` and `salt`, computed in the thread's work area.
fn derive(password: &[u8], salt: &[u8]) -> anyhow::Result<[u8; OUTPUT_LEN]> {
    WORK_AREA.with(|area| {
        let mut area = area.borrow_mut();
        let blocks = Params::default().block_count();
        if area.len() != blocks {
            area.resize(blocks, Block::default());
        }
        let mut out = [0u8; OUTPUT_LEN];
        argon2()
            .hash_password_into_with_memory(password, salt, &mut out, &mut area[..])
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        Ok(out)
    })
}

fn hash_now(password: &[u8]) -> anyhow::Result<String> {
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let out = derive(password, &salt)?;
    Ok(format!("$argon2id$v=19${}${}${}", phc_params(), B64.encode(salt), B64.encode(out)))
}

/// Checks `password` against a PHC string made by `hash_now`.
fn verify_now(password: &[u8], phc: &str) -> anyhow::Result<bool> {
    let parts: Vec<&str> = phc.split('$').collect();
    let ["", "argon2id", "v=19", params, salt, expected] = parts.as_slice() else {
        anyhow::bail!("unsupported password hash format");
    };
    anyhow::ensure!(*params == phc_params(), "password hash with other parameters");
    let salt = B64.decode(salt)?;
    let expected = B64.decode(expected)?;
    let out = derive(password, &salt)?;
    Ok(bool::from(out.as_slice().ct_eq(&expected)))
}

type Job = Box<dyn FnOnce() + Send>;

fn pool() -> &'static mpsc::SyncSender<Job> {
    static POOL: OnceLock<mpsc::SyncSender<Job>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::sync_channel::<Job>(HASH_QUEUE);
        // The queue's receiver is shared by the hashing threads; the mutex hands a job to one.
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..HASH_THREADS {
            let rx = rx.clone();
            let _ = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || {
                loop {
                    let job = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
        }
        tx
    })
}

/// Runs `work` on a hashing thread and awaits its result.
async fn on_hasher<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(work());
    });
    pool().try_send(job).map_err(|e| match e {
        mpsc::TrySendError::Full(_) => AppError::busy("too many password checks at once; try again shortly"),
        mpsc::TrySendError::Disconnected(_) => AppError::internal(anyhow::anyhow!("password hashing threads are gone")),
    })?;
    rx.await.map_err(AppError::internal)
}

pub async fn hash(password: String) -> AppResult<String> {
    on_hasher(move || hash_now(password.as_bytes())).await?.map_err(AppError::internal)
}

/// Verifies `password` against `hash`; with no hash (unknown user) it verifies against a
/// fixed dummy hash so the answer takes as long either way and reveals nothing.
pub async fn verify(password: String, hash: Option<String>) -> AppResult<bool> {
    let known = hash.is_some();
    on_hasher(move || {
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        Ok::<_, anyhow::Error>(verify_now(password.as_bytes(), &hash)? && known)
    })
    .await?
    .map_err(AppError::internal)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now(b"confab-dummy-password").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_standard_phc() {
        let phc = hash_now(b"correct horse").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_now(b"correct horse", &phc).expect("verify"));
        assert!(!verify_now(b"wrong horse", &phc).expect("verify"));
        // The argon2 crate's own verifier accepts our strings.
        use argon2::password_hash::PasswordVerifier;
        let parsed = argon2::PasswordHash::new(&phc).expect("parse");
        assert!(argon2().verify_password(b"correct horse", &parsed).is_ok());
    }
}
