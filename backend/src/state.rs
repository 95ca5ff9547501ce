//! `AppState`: what every handler and connection shares, built once at start-up.

use std::sync::Arc;

use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::limits::RateLimiter;
use crate::realtime::Realtime;
use crate::realtime::broker::LocalBroker;
use crate::store::Store;

pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub tokens: TokenKeys,
    pub realtime: Realtime,
    pub limits: Limits,
}

/// The abuse limits, each configurable (see `Config`).
pub struct Limits {
    pub login_by_account: RateLimiter,
    pub login_by_addr: RateLimiter,
    pub register_by_addr: RateLimiter,
    pub send: RateLimiter,
}

impl AppState {
    pub async fn build(config: Config) -> anyhow::Result<Arc<Self>> {
        let secret =
            crate::auth::tokens::load_secret(config.jwt_secret.as_deref(), &config.data_dir)?;
        let store = Store::open(&config.database_url(), config.db_pool_size).await?;
        let limits = Limits {
            login_by_account: RateLimiter::per_minute(config.login_rate_per_minute),
            // An address may hold several accounts (NAT, offices): allow it three times more.
            login_by_addr: RateLimiter::per_minute(config.login_rate_per_minute * 3.0),
            register_by_addr: RateLimiter::per_hour(config.register_rate_per_hour),
            send: RateLimiter::new(config.send_rate, config.send_burst),
        };
        Ok(Arc::new(AppState {
            tokens: TokenKeys::new(&secret, config.access_token_ttl),
            realtime: Realtime::new(store.clone(), Arc::new(LocalBroker)),
            store,
            limits,
            config,
        }))
    }
}
