//! In-memory token-bucket rate limits (login, registration, sends), keyed by a string.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{AppError, AppResult};

/// Buckets per key. The mutex guards a short, non-async critical section; the map is pruned
/// of full (idle) buckets when it grows, so memory stays bounded by the active keys.
pub struct RateLimiter {
    pub rate_per_sec: f64,
    pub burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

const PRUNE_AT: usize = 10_000;

impl RateLimiter {
    pub fn new(rate_per_sec: f64, burst: f64) -> Self {
        Self {
            rate_per_sec: rate_per_sec.max(f64::MIN_POSITIVE),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn per_minute(n: f64) -> Self {
        Self::new(n / 60.0, n)
    }

    pub fn per_hour(n: f64) -> Self {
        Self::new(n / 3600.0, n)
    }

    /// Takes one token for `key`; `Err(wait)` says how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_AT {
            let (rate, burst) = (self.rate_per_sec, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate_per_sec).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / self.rate_per_sec))
        }
    }
}

/// A limit shared by every node through Redis when scale-out is configured (a GCRA bucket
/// per key, computed atomically in a script on Redis's clock), else the local buckets.
/// If Redis cannot answer, the node falls back to its local buckets rather than refusing.
pub struct Limiter {
    local: RateLimiter,
    shared: Option<(deadpool_redis::Pool, String)>,
}

/// GCRA: KEYS[1] holds the theoretical arrival time (ms). ARGV: interval ms, burst.
/// Returns 0 when allowed, else the milliseconds to wait.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local next_tat = tat + interval
local excess = next_tat - now - interval * tonumber(ARGV[2])
if excess > 0 then return math.ceil(excess) end
redis.call('SET', KEYS[1], next_tat, 'PX', math.ceil(next_tat - now) + 1000)
return 0
";

impl Limiter {
    /// `name` keeps different limits apart in Redis (`<prefix>:limit:<name>:<key>`).
    pub fn new(local: RateLimiter, redis: Option<(&deadpool_redis::Pool, &str)>, name: &str) -> Self {
        let shared = redis.map(|(pool, prefix)| (pool.clone(), format!("{prefix}:limit:{name}:")));
        Self { local, shared }
    }

    /// Takes one token for `key`, or answers `rate_limited` with the wait.
    pub async fn take(&self, key: impl std::fmt::Display) -> AppResult<()> {
        self.check(&key.to_string()).await.map_err(|wait| AppError::rate_limited(wait.as_secs() + 1))
    }

    pub async fn check(&self, key: &str) -> Result<(), Duration> {
        let Some((pool, prefix)) = &self.shared else { return self.local.check(key) };
        let interval_ms = (1000.0 / self.local.rate_per_sec).max(1.0);
        let result: anyhow::Result<u64> = async {
            let mut conn = pool.get().await?;
            Ok(deadpool_redis::redis::cmd("EVAL")
                .arg(GCRA)
                .arg(1)
                .arg(format!("{prefix}{key}"))
                .arg(interval_ms)
                .arg(self.local.burst)
                .query_async(&mut *conn)
                .await?)
        }
        .await;
        match result {
            Ok(0) => Ok(()),
            Ok(wait_ms) => Err(Duration::from_millis(wait_ms)),
            Err(err) => {
                tracing::warn!(error = %err, "shared rate limit unavailable: using this node's");
                self.local.check(key)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_a_burst_then_refuses() {
        let limiter = RateLimiter::new(1.0, 3.0);
        for _ in 0..3 {
            assert!(limiter.check("a").is_ok());
        }
        let wait = limiter.check("a").expect_err("fourth in a burst of three");
        assert!(wait > Duration::from_millis(500) && wait <= Duration::from_secs(1));
        assert!(limiter.check("b").is_ok(), "keys are independent");
    }
}
