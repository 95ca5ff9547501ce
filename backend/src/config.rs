//! Command line and environment configuration (`confab --help` lists every option).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "confab", version, about = "Confab: a self-hostable real-time chat server", args_override_self = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (YAML) and exit.
    Openapi,
    /// Rebuild the full-text search index from every message (after an upgrade or a restore).
    Reindex,
    /// Manage accounts and invites on the configured store.
    Admin {
        #[command(subcommand)]
        command: crate::admin_cli::AdminCommand,
    },
    /// Back up the store and the files into DIR (new or empty), also while the server runs:
    /// on SQLite a consistent snapshot; on PostgreSQL it prints the pg_dump command to run.
    Backup { dir: PathBuf },
    /// Print a room's messages as JSON lines, oldest first, with their files' metadata.
    Export {
        /// The room's id.
        #[arg(long)]
        room: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "CONFAB_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: String,
    /// Where the SQLite database and generated secrets live.
    #[arg(long, env = "CONFAB_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; default: the SQLite file `<data-dir>/confab.db`.
    #[arg(long, env = "CONFAB_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// `redis://…` for cross-node fan-out and presence (scale-out).
    #[arg(long, env = "CONFAB_REDIS_URL", global = true)]
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and channel (several deployments may share one Redis).
    #[arg(long, env = "CONFAB_REDIS_PREFIX", default_value = "confab", global = true)]
    pub redis_prefix: String,
    /// HS256 secret for access tokens (at least 32 bytes); generated and kept in the data
    /// directory when unset.
    #[arg(long, env = "CONFAB_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,
    /// The built web app (trunk's output) served at `/`.
    #[arg(long, env = "CONFAB_WEB_DIR", default_value = "frontend/dist", global = true)]
    pub web_dir: PathBuf,
    #[arg(long, env = "CONFAB_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,
    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "CONFAB_ACCESS_TOKEN_TTL", default_value_t = 900, global = true)]
    pub access_token_ttl: i64,
    /// Lifetime of a login session without a refresh, in days.
    #[arg(long, env = "CONFAB_SESSION_TTL_DAYS", default_value_t = 30, global = true)]
    pub session_ttl_days: i64,
    /// Database connections per pool.
    #[arg(long, env = "CONFAB_DB_POOL_SIZE", default_value_t = 16, global = true)]
    pub db_pool_size: usize,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "CONFAB_WORKERS", global = true)]
    pub workers: Option<usize>,
    /// Messages a user may send per second (sustained), over REST and WebSocket together.
    #[arg(long, env = "CONFAB_SEND_RATE", default_value_t = 10.0, global = true)]
    pub send_rate: f64,
    /// Messages a user may send in a burst.
    #[arg(long, env = "CONFAB_SEND_BURST", default_value_t = 30.0, global = true)]
    pub send_burst: f64,
    /// Messages a bot may send per second (sustained), with its API token.
    #[arg(long, env = "CONFAB_BOT_SEND_RATE", default_value_t = 10.0, global = true)]
    pub bot_send_rate: f64,
    /// Messages a bot may send in a burst (a CI run's results at once, say).
    #[arg(long, env = "CONFAB_BOT_SEND_BURST", default_value_t = 100.0, global = true)]
    pub bot_send_burst: f64,
    /// Login attempts per minute for one account from one client address (an address gets three
    /// times as many over all accounts, an account ten times as many over all addresses); also
    /// the limit of password changes per account.
    #[arg(long, env = "CONFAB_LOGIN_RATE_PER_MINUTE", default_value_t = 10.0, global = true)]
    pub login_rate_per_minute: f64,
    /// Token refreshes per client address per minute.
    #[arg(long, env = "CONFAB_REFRESH_RATE_PER_MINUTE", default_value_t = 120.0, global = true)]
    pub refresh_rate_per_minute: f64,
    /// Seconds after a rotation during which the replaced refresh token is answered with the
    /// rotation's own new tokens (two tabs refreshing at once) instead of revoking the session.
    #[arg(long, env = "CONFAB_REFRESH_GRACE_SECS", default_value_t = 30, global = true)]
    pub refresh_grace_secs: i64,
    /// Who may create an account: `open`, `invite` (with an admin's invite) or `closed`. The
    /// first account may always register, and becomes the server's admin.
    #[arg(long, env = "CONFAB_REGISTRATION", default_value = "invite", global = true)]
    pub registration: confab_shared::Registration,
    /// The server's name, shown on the sign-in page.
    #[arg(long, env = "CONFAB_SERVER_NAME", default_value = "Confab", global = true)]
    pub server_name: String,
    /// The public room every new account joins; the first account creates it. Empty: none.
    #[arg(long, env = "CONFAB_DEFAULT_ROOM", default_value = "general", global = true)]
    pub default_room: String,
    /// Rooms a user may create per hour (DMs included).
    #[arg(long, env = "CONFAB_ROOM_RATE_PER_HOUR", default_value_t = 60.0, global = true)]
    pub room_rate_per_hour: f64,
    /// Other writes a user may make per second (sustained): joins, leaves, member and room
    /// changes, read markers, session changes, and WebSocket subscribes.
    #[arg(long, env = "CONFAB_ACTION_RATE", default_value_t = 10.0, global = true)]
    pub action_rate: f64,
    /// Such writes a user may make in a burst.
    #[arg(long, env = "CONFAB_ACTION_BURST", default_value_t = 60.0, global = true)]
    pub action_burst: f64,
    /// Registrations per client address per hour.
    #[arg(long, env = "CONFAB_REGISTER_RATE_PER_HOUR", default_value_t = 30.0, global = true)]
    pub register_rate_per_hour: f64,
    /// Open WebSocket connections per user on one node.
    #[arg(long, env = "CONFAB_MAX_CONNECTIONS_PER_USER", default_value_t = 16, global = true)]
    pub max_connections_per_user: usize,
    /// Events queued for one WebSocket. When it is full the connection falls behind: live
    /// message events are dropped and read back from the store, and it catches up.
    #[arg(long, env = "CONFAB_OUTBOUND_QUEUE", default_value_t = 1024, global = true)]
    pub outbound_queue: usize,
    /// Seconds a WebSocket write may wait for the client to read before the connection is
    /// closed as too slow (4008).
    #[arg(long, env = "CONFAB_STALL_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub stall_timeout_secs: u64,
    /// WebSockets one client address may hold open before they authenticate.
    #[arg(long, env = "CONFAB_MAX_PENDING_SOCKETS_PER_ADDR", default_value_t = 64, global = true)]
    pub max_pending_sockets_per_addr: usize,
    /// Origins (e.g. `https://chat.example.com`) allowed besides the server's own, comma-separated:
    /// they may open WebSockets and call the API from a browser (CORS). None by default: CORS off.
    #[arg(long, env = "CONFAB_ALLOWED_ORIGINS", value_delimiter = ',', global = true)]
    pub allowed_origins: Vec<String>,
    /// Where uploaded files are kept: `s3://bucket/prefix` for an S3-compatible store (the
    /// endpoint, region and credentials come from the usual `AWS_*` variables, e.g.
    /// `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    /// `AWS_ALLOW_HTTP`); default: the directory `<data-dir>/files`. Several nodes need S3.
    #[arg(long, env = "CONFAB_FILES_URL", default_value = "", global = true)]
    pub files_url: String,
    /// The largest file one may upload, in bytes (default 25 MiB).
    #[arg(long, env = "CONFAB_MAX_UPLOAD_BYTES", default_value_t = 25 * 1024 * 1024, global = true)]
    pub max_upload_bytes: u64,
    /// Uploads a user may make per minute.
    #[arg(long, env = "CONFAB_UPLOAD_RATE_PER_MINUTE", default_value_t = 30.0, global = true)]
    pub upload_rate_per_minute: f64,
    /// Seconds an upload may stay unattached to any message before it is removed.
    #[arg(long, env = "CONFAB_UNATTACHED_FILE_TTL_SECS", default_value_t = 86_400, global = true)]
    pub unattached_file_ttl_secs: u64,
    /// Most changes a `subscribe` replays before answering `replay_truncated`.
    #[arg(long, env = "CONFAB_MAX_REPLAY", default_value_t = 5000, global = true)]
    pub max_replay: i64,
    /// Most entries of a user's stream a `sync` (or `GET /sync`) replays before answering
    /// `replay_truncated`; each user's older entries are deleted hourly.
    #[arg(long, env = "CONFAB_MAX_USER_REPLAY", default_value_t = 10_000, global = true)]
    pub max_user_replay: i64,
    /// The VAPID private key of Web Push (a P-256 scalar, 32 bytes base64url); derived from the
    /// token secret when unset, so the nodes of a cluster agree with no setting of their own.
    #[arg(long, env = "CONFAB_VAPID_KEY", hide_env_values = true, global = true)]
    pub vapid_key: Option<String>,
    /// Who push services may contact about this server's pushes (`mailto:` or `https:`).
    #[arg(long, env = "CONFAB_PUSH_CONTACT", default_value = "mailto:postmaster@localhost", global = true)]
    pub push_contact: String,
    /// Accept `http:` push endpoints and local hosts (a local push service, in development and
    /// tests); off in production, where every push service is https.
    #[arg(long, env = "CONFAB_PUSH_ALLOW_HTTP", default_value_t = false, global = true)]
    pub push_allow_http: bool,
    /// Let outgoing webhooks reach private, loopback and link-local addresses (a receiver on the
    /// same host or network); off by default, so a room admin cannot make the server call into
    /// its own network (SSRF).
    #[arg(long, env = "CONFAB_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, global = true)]
    pub webhook_allow_private: bool,
    /// Failed deliveries in a row after which an outgoing webhook is disabled (until its secret
    /// is replaced).
    #[arg(long, env = "CONFAB_WEBHOOK_MAX_FAILURES", default_value_t = 50, global = true)]
    pub webhook_max_failures: i64,
    /// Seconds an outgoing webhook's receiver has to answer a delivery.
    #[arg(long, env = "CONFAB_WEBHOOK_TIMEOUT_SECS", default_value_t = 10, global = true)]
    pub webhook_timeout_secs: u64,
}

impl Config {
    /// Refuses settings that cannot work, before anything starts.
    pub fn check(&self) -> anyhow::Result<()> {
        for origin in &self.allowed_origins {
            let url = url::Url::parse(origin).map_err(|e| anyhow::anyhow!("allowed origin {origin:?}: {e}"))?;
            let bare = matches!(url.scheme(), "http" | "https") && url.host().is_some() && url.path() == "/";
            anyhow::ensure!(
                bare && url.query().is_none() && url.fragment().is_none() && url.username().is_empty(),
                "allowed origin {origin:?}: expected scheme://host[:port], like https://chat.example.com"
            );
        }
        Ok(())
    }

    /// The database URL in effect: the configured one, or the SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => self.data_dir.join("confab.db").to_string_lossy().into_owned(),
        }
    }
}
