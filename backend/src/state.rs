//! `AppState`: what every handler and connection shares, built once at start-up, and the
//! [`Background`] tasks that `startup::Application` spawns beside it. No task holds the state:
//! each is given the parts it uses.

use std::sync::Arc;

use crate::auth::tokens::TokenKeys;
use crate::config::Config;
use crate::files::{Files, Storage};
use crate::limits::{Limiter, RateLimiter};
use crate::messages::writer::{Writer, WriterTask};
use crate::metrics::Metrics;
use crate::push::{Push, PushTask};
use crate::realtime::Realtime;
use crate::realtime::broker::{Broker, LocalBroker};
use crate::realtime::cluster::ClusterPresence;
use crate::realtime::redis_broker::{BrokerTasks, RedisBroker, Signer};
use crate::store::Store;

pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub tokens: TokenKeys,
    pub realtime: Arc<Realtime>,
    pub limits: Limits,
    /// Redis connections (scale-out only): presence and readiness.
    pub redis: Option<deadpool_redis::Pool>,
    pub metrics: Arc<Metrics>,
    /// The group-commit writer of new messages and reactions.
    pub writer: Writer,
    pub files: Arc<Files>,
    /// Web Push to people with no open connection.
    pub push: Arc<Push>,
}

/// The tasks that run beside the handlers, not yet spawned.
pub struct Background {
    writer: WriterTask,
    push: PushTask,
    /// The Redis broker's publisher and listener (scale-out only).
    broker: Option<BrokerTasks>,
    realtime: Arc<Realtime>,
    files: Arc<Files>,
    store: Store,
    /// Entries of each user's stream kept (`--max-user-replay`).
    max_user_replay: i64,
    /// Changes after each commit of the writer (outgoing webhooks wake on it).
    commits: tokio::sync::watch::Receiver<u64>,
}

impl Background {
    /// Spawns every task, each with only what it uses (the outgoing webhooks post replies back
    /// as sends, so they hold the state, weakly).
    pub fn spawn(self, state: &Arc<AppState>) {
        crate::webhooks::outgoing::spawn(Arc::downgrade(state), self.commits);
        self.writer.spawn();
        self.push.spawn();
        crate::sync::spawn_pruner(self.store.clone(), self.max_user_replay);
        self.files.spawn_sweeper(self.store);
        if let Some(broker) = self.broker {
            let hub: std::sync::Weak<dyn crate::realtime::broker::Inbox> = Arc::downgrade(&self.realtime.hub) as _;
            broker.spawn(hub);
        }
        crate::realtime::revocations::spawn(Arc::downgrade(&self.realtime));
        if self.realtime.cluster.is_some() {
            ClusterPresence::spawn_heartbeat(Arc::downgrade(&self.realtime));
        }
    }
}

/// The abuse limits, each configurable (see `Config`).
pub struct Limits {
    /// Keyed by account and address: an attacker at one address cannot lock the owner out.
    pub login_by_account_addr: Limiter,
    pub login_by_account: Limiter,
    pub login_by_addr: Limiter,
    pub register_by_addr: Limiter,
    pub refresh_by_addr: Limiter,
    /// Current-password guesses of `PUT /me/password`, per user.
    pub password_by_user: Limiter,
    /// Message writes per user: sends, edits and deletes.
    pub send: Limiter,
    /// The same for bots, with their API tokens.
    pub bot_send: Limiter,
    pub rooms_by_user: Limiter,
    pub uploads_by_user: Limiter,
    /// Every other repeatable write per user (see `Config::action_rate`).
    pub actions_by_user: Limiter,
}

impl AppState {
    pub async fn build(config: Config) -> anyhow::Result<(Arc<Self>, Background)> {
        let secret = crate::auth::tokens::load_secret(config.jwt_secret.as_deref(), &config.data_dir)?;
        let store = Store::open(&config.database_url(), config.db_pool_size).await?;
        let files = Arc::new(Files::new(
            Storage::open(&config.files_url, &config.data_dir)?,
            config.max_upload_bytes,
            std::time::Duration::from_secs(config.unattached_file_ttl_secs),
        ));
        let node: u64 = rand::random();
        let (broker, broker_tasks, cluster, redis): (Arc<dyn Broker>, _, _, _) =
            match config.redis_url.as_deref().filter(|u| !u.is_empty()) {
                Some(url) => {
                    let pool =
                        deadpool_redis::Config::from_url(url).create_pool(Some(deadpool_redis::Runtime::Tokio1))?;
                    let (broker, tasks) =
                        RedisBroker::new(url, &config.redis_prefix, node, pool.clone(), Signer::from_secret(&secret))?;
                    let cluster = ClusterPresence::new(pool.clone(), &config.redis_prefix, node);
                    (Arc::new(broker), Some(tasks), Some(cluster), Some(pool))
                }
                None => (Arc::new(LocalBroker), None, None, None),
            };
        let shared = redis.as_ref().map(|pool| (pool, config.redis_prefix.as_str()));
        let limits = Limits {
            login_by_account_addr: Limiter::new(
                RateLimiter::per_minute(config.login_rate_per_minute),
                shared,
                "login-account-addr",
            ),
            login_by_account: Limiter::new(
                RateLimiter::per_minute(config.login_rate_per_minute * 10.0),
                shared,
                "login-account",
            ),
            // An address may hold several accounts (NAT, offices): allow it three times more.
            login_by_addr: Limiter::new(
                RateLimiter::per_minute(config.login_rate_per_minute * 3.0),
                shared,
                "login-addr",
            ),
            register_by_addr: Limiter::new(RateLimiter::per_hour(config.register_rate_per_hour), shared, "register"),
            refresh_by_addr: Limiter::new(RateLimiter::per_minute(config.refresh_rate_per_minute), shared, "refresh"),
            password_by_user: Limiter::new(RateLimiter::per_minute(config.login_rate_per_minute), shared, "password"),
            send: Limiter::new(RateLimiter::new(config.send_rate, config.send_burst), shared, "send"),
            bot_send: Limiter::new(RateLimiter::new(config.bot_send_rate, config.bot_send_burst), shared, "bot-send"),
            rooms_by_user: Limiter::new(RateLimiter::per_hour(config.room_rate_per_hour), shared, "rooms"),
            uploads_by_user: Limiter::new(RateLimiter::per_minute(config.upload_rate_per_minute), shared, "uploads"),
            actions_by_user: Limiter::new(RateLimiter::new(config.action_rate, config.action_burst), shared, "actions"),
        };
        let realtime = Arc::new(Realtime::new(store.clone(), broker, cluster));
        let metrics = Arc::new(Metrics::default());
        let (push, push_task) = Push::new(&config, &secret, store.clone(), realtime.clone())?;
        let push = Arc::new(push);
        let (writer, writer_task, commits) =
            Writer::new(store.clone(), realtime.clone(), push.clone(), metrics.clone());
        let state = Arc::new(AppState {
            tokens: TokenKeys::new(&secret, config.access_token_ttl),
            realtime: realtime.clone(),
            store,
            limits,
            config,
            redis,
            metrics,
            writer,
            files: files.clone(),
            push,
        });
        let (store, max_user_replay) = (state.store.clone(), state.config.max_user_replay);
        let background = Background {
            writer: writer_task,
            push: push_task,
            broker: broker_tasks,
            realtime,
            files,
            store,
            max_user_replay,
            commits,
        };
        Ok((state, background))
    }
}
