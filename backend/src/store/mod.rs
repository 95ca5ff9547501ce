//! The store: diesel query code written once, run on PostgreSQL (`AsyncPgConnection`, pooled)
//! or on SQLite (`SyncConnectionWrapper<SqliteConnection>`, the embedded default).
//!
//! Query functions take a [`Db`]: the store (they check a connection out of its pools) or a
//! connection the caller already holds, so that checks and writes share one transaction
//! ([`transaction!`]). They run their diesel code with [`read!`] (a plain query) or
//! [`write_tx!`] (a transaction, a savepoint inside one); both macros expand the same code once
//! per backend. They fail with [`StoreError`], never with an HTTP error.

pub mod admin;
pub mod bans;
pub mod drafts;
pub mod error;
pub mod files;
pub mod invites;
pub mod messages;
pub mod models;
pub mod push;
pub mod reactions;
pub mod rooms;
pub mod schema;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod user_stream;
pub mod users;
pub mod webhooks;

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

pub use error::{Conflict, StoreError, StoreResult};

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

/// Where a query runs: on a connection of its own from the store's pools, or on one its caller
/// holds (inside [`transaction!`]). Store functions take `impl Into<Db>`: `&state.store`, or
/// the transaction's connection (`&mut *c`).
pub enum Db<'a> {
    Store(&'a Store),
    Conn(Conn<'a>),
}

/// A borrowed connection of either backend.
pub enum Conn<'a> {
    Postgres(&'a mut AsyncPgConnection),
    Sqlite(&'a mut SqliteConn),
}

impl Db<'_> {
    /// The same place for one more query.
    pub fn reborrow(&mut self) -> Db<'_> {
        match self {
            Db::Store(store) => Db::Store(store),
            Db::Conn(Conn::Postgres(c)) => Db::Conn(Conn::Postgres(c)),
            Db::Conn(Conn::Sqlite(c)) => Db::Conn(Conn::Sqlite(c)),
        }
    }
}

impl<'a> From<&'a Store> for Db<'a> {
    fn from(store: &'a Store) -> Self {
        Db::Store(store)
    }
}

impl<'a> From<&'a mut AsyncPgConnection> for Db<'a> {
    fn from(conn: &'a mut AsyncPgConnection) -> Self {
        Db::Conn(Conn::Postgres(conn))
    }
}

impl<'a> From<&'a mut SqliteConn> for Db<'a> {
    fn from(conn: &'a mut SqliteConn) -> Self {
        Db::Conn(Conn::Sqlite(conn))
    }
}

type PgManager = AsyncDieselConnectionManager<AsyncPgConnection>;
type SqliteManager = AsyncDieselConnectionManager<SqliteConn>;

/// The connection a query checked out for itself, if it did; see [`Checkout`] for why one
/// whose work was cancelled is thrown away.
#[derive(Default)]
pub struct Held {
    postgres: Option<Checkout<PgManager>>,
    sqlite: Option<Checkout<SqliteManager>>,
}

impl Held {
    /// The connection to run on: the one `db` holds, or one checked out from the store (for a
    /// write on SQLite, its single writer connection).
    pub async fn conn<'h>(&'h mut self, db: Db<'h>, write: bool) -> StoreResult<Conn<'h>> {
        Ok(match db {
            Db::Conn(conn) => conn,
            Db::Store(Store::Postgres(pool)) => {
                Conn::Postgres(self.postgres.insert(Checkout::new(pool.get().await?)).conn())
            }
            Db::Store(Store::Sqlite { read, write: writer }) => {
                let pool = if write { writer } else { read };
                Conn::Sqlite(self.sqlite.insert(Checkout::new(pool.get().await?)).conn())
            }
        })
    }

    /// The work is done: a checked-out connection goes back to the pool.
    pub fn finish(self) {
        if let Some(checkout) = self.postgres {
            checkout.finish();
        }
        if let Some(checkout) = self.sqlite {
            checkout.finish();
        }
    }
}

/// Runs `$body` (a `StoreResult`) with `$c: &mut Connection` of either backend: the one
/// `$db` holds, or one from the read pool.
macro_rules! read {
    ($db:expr, |$c:ident| $body:expr) => {{
        let db: $crate::store::Db<'_> = ::core::convert::Into::into($db);
        let mut held = $crate::store::Held::default();
        let result: $crate::store::StoreResult<_> = match held.conn(db, false).await {
            Ok($crate::store::Conn::Postgres($c)) => async { $body }.await,
            Ok($crate::store::Conn::Sqlite($c)) => async { $body }.await,
            Err(err) => Err(err),
        };
        held.finish();
        result
    }};
}

/// Runs `$body` (a `StoreResult`) in one write transaction of either backend, or in a
/// savepoint of the transaction `$db` is in. On SQLite it runs on the single writer connection.
macro_rules! write_tx {
    ($db:expr, |$c:ident| $body:expr) => {
        $crate::store::write_tx!(@as $crate::store::StoreError, $db, |$c| $body)
    };
    (@as $err:ty, $db:expr, |$c:ident| $body:expr) => {{
        let db: $crate::store::Db<'_> = ::core::convert::Into::into($db);
        let mut held = $crate::store::Held::default();
        let result: Result<_, $err> = match held.conn(db, true).await {
            // The SQLite pool's single connection is the only writer, so a deferred
            // transaction cannot meet SQLITE_BUSY from another writer.
            Ok($crate::store::Conn::Postgres(conn)) => {
                diesel_async::AsyncConnection::transaction::<_, $err, _>(conn, async |$c| $body).await
            }
            Ok($crate::store::Conn::Sqlite(conn)) => {
                diesel_async::AsyncConnection::transaction::<_, $err, _>(conn, async |$c| $body).await
            }
            Err(err) => Err(<$err>::from(err)),
        };
        held.finish();
        result
    }};
}

/// Runs `$body` (an `AppResult`) in one write transaction: checks and writes of a service
/// share it by passing `&mut *$c` to the store functions they call. Rolled back on `Err`.
macro_rules! transaction {
    ($store:expr, |$c:ident| $body:expr) => {
        $crate::store::write_tx!(@as $crate::error::AppError, $store, |$c| $body)
    };
}

pub(crate) use {read, transaction, write_tx};
