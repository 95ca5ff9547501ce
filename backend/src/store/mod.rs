//! The store: diesel query code written once, run on PostgreSQL (`AsyncPgConnection`, pooled)
//! or on SQLite (`SyncConnectionWrapper<SqliteConnection>`, the embedded default).
//!
//! Query functions take a `&Store` and pick a connection with [`read!`] (a plain query) or
//! [`write_tx!`] (a transaction); both macros expand the same diesel code once per backend.

pub mod messages;
pub mod models;
pub mod rooms;
pub mod schema;
pub mod sessions;
pub mod users;

use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::{Connection, SqliteConnection};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SpawnBlocking;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::{FutureExt, TryFutureExt};
use std::path::Path;
use std::time::Duration;

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// SQLite connections run their queries on tokio's blocking pool through [`Detached`].
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, Detached>;

/// Runs SQLite work on the blocking pool and lets a cancelled caller go without waiting.
/// diesel-async's default blocks the executor until the cancelled task finishes, which
/// panics on actix's single-threaded workers (a client hanging up, or one failing extractor
/// cancelling another, is enough). Letting go is safe: the task owns its connection through
/// a mutex, and [`Checkout`] discards a connection whose work was cancelled.
pub struct Detached;

impl SpawnBlocking for Detached {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> futures_util::future::BoxFuture<'a, Result<R, Box<dyn std::error::Error + Send + Sync + 'static>>>
    where
        R: Send + 'static,
    {
        tokio::task::spawn_blocking(task).map_err(Box::from).boxed()
    }

    fn get_runtime() -> Self {
        Detached
    }
}

/// Per-connection SQLite settings: WAL so readers never block the writer; `synchronous = FULL`
/// so a commit is on disk (WAL fsynced) before it returns, since a message is acknowledged
/// only once stored: with NORMAL, power loss or an OS crash could lose acknowledged messages
/// (group commit shares the one fsync among a whole batch); a busy timeout for checkpoints;
/// and foreign keys (off by default in SQLite).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

/// A handle to the database; cheap to clone (pools are reference-counted).
#[derive(Clone)]
pub enum Store {
    Postgres(Pool<AsyncPgConnection>),
    /// SQLite allows one writer at a time: every write goes through the single connection
    /// of `write`, so write transactions never meet SQLITE_BUSY; reads use `read` in parallel.
    Sqlite {
        read: Pool<SqliteConn>,
        write: Pool<SqliteConn>,
    },
}

impl Store {
    /// Opens the store `url` names (`postgres://…`, or a SQLite file path), runs pending
    /// migrations, and builds the pools.
    pub async fn open(url: &str, pool_size: usize) -> anyhow::Result<Self> {
        if is_postgres(url) {
            migrate_postgres(url.to_owned()).await?;
            let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
            let pool = Pool::builder(manager)
                .max_size(pool_size)
                .wait_timeout(Some(Duration::from_secs(5)))
                .create_timeout(Some(Duration::from_secs(5)))
                .runtime(deadpool::Runtime::Tokio1)
                .build()
                .context("build PostgreSQL pool")?;
            Ok(Store::Postgres(pool))
        } else {
            migrate_sqlite(url.to_owned()).await?;
            let read = sqlite_pool(url, pool_size.clamp(1, 8))?;
            let write = sqlite_pool(url, 1)?;
            Ok(Store::Sqlite { read, write })
        }
    }

    /// `(open, idle)` connections of the pool reads use.
    pub fn pool_status(&self) -> (usize, usize) {
        let status = match self {
            Store::Postgres(pool) => pool.status(),
            Store::Sqlite { read, .. } => read.status(),
        };
        (status.size, status.available)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Postgres(_) => "postgres",
            Store::Sqlite { .. } => "sqlite",
        }
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> anyhow::Result<()> {
        match self {
            Store::Postgres(pool) => pool.get().await?.batch_execute("SELECT 1").await?,
            Store::Sqlite { read, .. } => read.get().await?.batch_execute("SELECT 1").await?,
        }
        Ok(())
    }
}

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn sqlite_pool(path: &str, size: usize) -> anyhow::Result<Pool<SqliteConn>> {
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(|url| {
        async move {
            let mut conn = <SqliteConn as diesel_async::AsyncConnection>::establish(url).await?;
            conn.batch_execute(SQLITE_PRAGMAS).await.map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, config);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(Duration::from_secs(10)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("build SQLite pool")
}

/// Applies pending PostgreSQL migrations on a blocking thread (diesel's harness is sync).
pub async fn migrate_postgres(url: String) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || {
        use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url).context("connect to PostgreSQL")?;
        conn.run_pending_migrations(PG_MIGRATIONS).map_err(|e| anyhow::anyhow!("PostgreSQL migrations: {e}"))?;
        Ok(())
    })
    .await?
}

/// Applies pending SQLite migrations, creating the file (and its folder) if needed.
pub async fn migrate_sqlite(path: String) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = Path::new(&path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        }
        let mut conn = SqliteConnection::establish(&path).with_context(|| format!("open SQLite file {path}"))?;
        diesel::connection::SimpleConnection::batch_execute(&mut conn, SQLITE_PRAGMAS)?;
        conn.run_pending_migrations(SQLITE_MIGRATIONS).map_err(|e| anyhow::anyhow!("SQLite migrations: {e}"))?;
        Ok(())
    })
    .await?
}

/// The current time as stored: UTC, microsecond precision on both backends.
pub fn now() -> NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    now.with_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now)
}

use chrono::Timelike;

/// A pooled connection that is thrown away instead of going back to the pool when the work
/// using it is cancelled (its future dropped) before it finished. Why: a cancelled SQLite query
/// keeps running on the blocking pool and still holds the connection (checked out again, it
/// makes diesel-async panic: "Cannot access shared transaction state"); a cancelled PostgreSQL
/// call may leave a transaction open. Cancellation is ordinary: a client hangs up, or one
/// failing extractor drops another's query.
pub struct Checkout<M: deadpool::managed::Manager>(Option<deadpool::managed::Object<M>>);

impl<M: deadpool::managed::Manager> Checkout<M> {
    pub fn new(conn: deadpool::managed::Object<M>) -> Self {
        Self(Some(conn))
    }

    pub fn conn(&mut self) -> &mut M::Type {
        match self.0.as_mut() {
            Some(conn) => conn,
            None => unreachable!("a checkout holds its connection until finished"),
        }
    }

    /// The work is done: the connection goes back to the pool.
    pub fn finish(mut self) {
        drop(self.0.take());
    }
}

impl<M: deadpool::managed::Manager> Drop for Checkout<M> {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(deadpool::managed::Object::take(conn));
        }
    }
}

/// Runs `$body` with `$c: &mut Connection` from the read pool of either backend.
macro_rules! read {
    ($store:expr, |$c:ident| $body:expr) => {{
        match $store {
            $crate::store::Store::Postgres(pool) => {
                let mut checkout = $crate::store::Checkout::new(pool.get().await?);
                let result: $crate::error::AppResult<_> = async {
                    let $c = checkout.conn();
                    $body
                }
                .await;
                checkout.finish();
                result
            }
            $crate::store::Store::Sqlite { read, .. } => {
                let mut checkout = $crate::store::Checkout::new(read.get().await?);
                let result: $crate::error::AppResult<_> = async {
                    let $c = checkout.conn();
                    $body
                }
                .await;
                checkout.finish();
                result
            }
        }
    }};
}

/// Runs `$body` (an expression of type `AppResult<T>`) in one write transaction of either
/// backend. On SQLite it runs on the single writer connection.
macro_rules! write_tx {
    ($store:expr, |$c:ident| $body:expr) => {{
        match $store {
            $crate::store::Store::Postgres(pool) => {
                let mut checkout = $crate::store::Checkout::new(pool.get().await?);
                let result = diesel_async::AsyncConnection::transaction::<_, $crate::error::AppError, _>(
                    checkout.conn(),
                    async |$c| $body,
                )
                .await;
                checkout.finish();
                result
            }
            $crate::store::Store::Sqlite { write, .. } => {
                // The pool's single connection is the only writer, so a deferred
                // transaction cannot meet SQLITE_BUSY from another writer.
                let mut checkout = $crate::store::Checkout::new(write.get().await?);
                let result = diesel_async::AsyncConnection::transaction::<_, $crate::error::AppError, _>(
                    checkout.conn(),
                    async |$c| $body,
                )
                .await;
                checkout.finish();
                result
            }
        }
    }};
}

pub(crate) use {read, write_tx};
