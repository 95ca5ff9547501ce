//! Test harness: starts the real `confab` binary on port 0 with a fresh database (a temp
//! SQLite file, or a PostgreSQL database cloned for the test from a migrated template and
//! dropped after), and talks to it over HTTP and WebSocket like any client. The REST calls,
//! one method per endpoint, are in `client`.

use crate::client::WS_PATH;
use confab_shared::{ClientEvent, Message, ServerEvent, TokenPair};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(Backend)` once per store: `mod name { sqlite, postgres }`.
/// PostgreSQL tests skip (loudly) only when PostgreSQL is unreachable and not required;
/// with `CI` or `CONFAB_TEST_REQUIRE_POSTGRES` set they fail instead.
macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_available() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        }
    )*};
}
pub(crate) use both_stores;

fn pg_base_url() -> String {
    std::env::var("CONFAB_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// Runs `sql` on database `db`; `Err(stderr)` when it fails.
fn psql_result(db: &str, sql: &str) -> Result<(), String> {
    let out = Command::new("psql")
        .arg(format!("{}/{db}", pg_base_url()))
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("psql: {e}"))?;
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()) }
}

fn psql(db: &str, sql: &str) -> bool {
    psql_result(db, sql).is_ok()
}

/// Whether PostgreSQL tests can run; panics when they must but cannot. PostgreSQL is asked
/// once per test process.
pub fn postgres_available() -> bool {
    static UP: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let up = *UP.get_or_init(|| psql("postgres", "SELECT 1"));
    let required = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
        || std::env::var("CONFAB_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    if !up && required {
        panic!("PostgreSQL is required (CI) but unreachable at {}", pg_base_url());
    }
    if !up {
        eprintln!("SKIPPED: PostgreSQL unreachable at {}; this test ran on SQLite only", pg_base_url());
    }
    up
}

/// The `confab` binary under test. CONFAB_TEST_BINARY runs the suite against another build
/// (say, an older one, to see a regression test fail there).
fn binary() -> String {
    std::env::var("CONFAB_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_confab").to_owned())
}

/// A hash of every file under `migrations/postgres` (names and contents) and of the binary
/// chosen by CONFAB_TEST_BINARY, so that a changed migration gets a template of its own.
fn migrations_hash() -> String {
    use sha2::{Digest, Sha256};
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let path = entry.expect("dir entry").path();
            if path.is_dir() { files(&path, out) } else { out.push(path) }
        }
    }
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/postgres"));
    let mut paths = Vec::new();
    files(root, &mut paths);
    paths.sort();
    let mut hash = Sha256::new();
    for path in paths {
        let name = path.strip_prefix(root).expect("under the root").to_string_lossy().into_owned();
        let body = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((body.len() as u64).to_le_bytes());
        hash.update(&body);
    }
    if let Ok(other) = std::env::var("CONFAB_TEST_BINARY") {
        hash.update(other.as_bytes());
    }
    hash.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn database_exists(name: &str) -> bool {
    let out = Command::new("psql")
        .arg(format!("{}/postgres", pg_base_url()))
        .args(["-v", "ON_ERROR_STOP=1", "-Atc"])
        .arg(format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"))
        .stdin(Stdio::null())
        .output()
        .expect("psql");
    assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim() == "1"
}

/// The migrated database every test database is cloned from: made once per test process
/// (the `OnceLock` makes racing threads wait for the first), and once per migration set
/// across processes. A process migrates a database of its own under a temporary name and
/// renames it into place; a rename is atomic, so when two processes race exactly one wins and
/// the other drops its copy. Nothing ever connects to the template (connections are refused),
/// which `CREATE DATABASE … TEMPLATE` needs.
fn template_database() -> &'static str {
    static TEMPLATE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("confab_template_{}", migrations_hash());
        if database_exists(&name) {
            return name;
        }
        let building = format!("{name}_build_{}", rand::random::<u32>());
        psql_result("postgres", &format!("CREATE DATABASE {building}"))
            .unwrap_or_else(|e| panic!("create database {building}: {e}"));
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new(binary())
            .args(["migrate", "--database-url", &database_url(&building)])
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("CONFAB_DATABASE_URL")
            .env("CONFAB_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .expect("run confab migrate");
        if !out.status.success() {
            drop_database(&building);
            panic!("confab migrate {building}: {}", String::from_utf8_lossy(&out.stderr));
        }
        psql_result("postgres", &format!("ALTER DATABASE {building} WITH ALLOW_CONNECTIONS false"))
            .unwrap_or_else(|e| panic!("lock {building}: {e}"));
        if let Err(e) = psql_result("postgres", &format!("ALTER DATABASE {building} RENAME TO {name}")) {
            // Another process won the race (or something else failed: then the template is
            // missing, and that is the error to report).
            drop_database(&building);
            assert!(database_exists(&name), "rename {building} to {name}: {e}");
        }
        name
    })
}

/// Creates a migrated PostgreSQL database for one test (a copy of the template); returns its
/// name.
pub fn create_database() -> String {
    let template = template_database();
    let name = format!("confab_test_{}", rand::random::<u64>());
    psql_result("postgres", &format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .unwrap_or_else(|e| panic!("create database {name} from {template}: {e}"));
    name
}

pub fn drop_database(name: &str) {
    psql("postgres", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

pub fn database_url(name: &str) -> String {
    format!("{}/{name}", pg_base_url())
}

/// Generous limits so tests are not throttled unless they mean to be.
const TEST_LIMITS: &[&str] = &[
    "--register-rate-per-hour",
    "100000",
    "--login-rate-per-minute",
    "100000",
    "--send-rate",
    "10000",
    "--send-burst",
    "10000",
    "--refresh-rate-per-minute",
    "100000",
    "--room-rate-per-hour",
    "100000",
    "--action-rate",
    "10000",
    "--action-burst",
    "10000",
    "--max-pending-sockets-per-addr",
    "10000",
];

pub struct TestApp {
    pub base: String,
    pub addr: String,
    pub http: reqwest::Client,
    child: Child,
    pub log: Arc<Mutex<String>>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    _dir: tempfile::TempDir,
    pg_db: Option<String>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, &[]).await
    }

    /// Starts the server with extra command-line options (later ones override the defaults).
    pub async fn spawn_with(backend: Backend, extra: &[&str]) -> TestApp {
        let pg_db = (backend == Backend::Postgres).then(create_database);
        let mut args: Vec<String> = Vec::new();
        if let Some(name) = &pg_db {
            args.extend(["--database-url".into(), database_url(name)]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut app = Self::spawn_args(args);
        app.pg_db = pg_db;
        app
    }

    /// Starts a server with a fresh data dir, the test limits, and `extra` options.
    pub fn spawn_args(extra: Vec<String>) -> TestApp {
        Self::spawn_args_env(extra, Vec::new())
    }

    /// The same, with `env` added to the server's environment.
    pub fn spawn_args_env(extra: Vec<String>, env: Vec<(String, String)>) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut args: Vec<String> = vec!["serve".into(), "--listen".into(), "127.0.0.1:0".into()];
        args.extend(["--data-dir".into(), dir.path().to_string_lossy().into_owned()]);
        args.extend(["--web-dir".into(), dir.path().join("web").to_string_lossy().into_owned()]);
        args.extend(TEST_LIMITS.iter().map(|s| s.to_string()));
        args.extend(extra);
        let log = Arc::new(Mutex::new(String::new()));
        let (child, addr) = launch(&args, &env, &log);
        TestApp {
            base: format!("http://{addr}"),
            addr,
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client"),
            child,
            log,
            args,
            env,
            _dir: dir,
            pg_db: None,
        }
    }

    /// Stops the server (SIGKILL) and starts it again on the same database and data dir
    /// (on a new port).
    pub fn restart(&mut self) {
        self.kill();
        let (child, addr) = launch(&self.args, &self.env, &self.log);
        self.child = child;
        self.base = format!("http://{addr}");
        self.addr = addr;
    }

    /// Runs `confab <args>` (say `admin create-user ann`) on this server's store while it runs;
    /// `stdin` is written to its standard input.
    pub fn cli(&self, args: &[&str], stdin: &str) -> std::process::Output {
        use std::io::Write;
        let store_args = self.args.windows(2).filter(|w| w[0] == "--data-dir" || w[0] == "--database-url");
        let binary = std::env::var("CONFAB_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_confab").to_owned());
        let mut child = Command::new(binary)
            .args(args)
            .args(store_args.flat_map(|w| w.iter().cloned()))
            .env_remove("CONFAB_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start confab");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
        child.wait_with_output().expect("confab output")
    }

    /// The server's data directory (its SQLite file, secrets and local file storage).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A GET of a path spelled out, for requests that are wrong on purpose (the endpoints
    /// have methods of their own in `client`).
    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.expect("GET")
    }

    /// Registers `names` (the first one owns the room) and creates a room they all belong to.
    pub async fn room_with_members(&self, names: &[&str], visibility: &str) -> (i64, Vec<TokenPair>) {
        let mut users = Vec::new();
        for name in names {
            users.push(self.register(name).await);
        }
        let room = self.create_room(&users[0].access_token, &format!("{}-room", names[0]), visibility).await.id;
        for user in &users[1..] {
            let res = self.add_member(&users[0].access_token, room, user.user.id).await;
            assert_eq!(res.status(), 200, "add {}", user.user.username);
        }
        (room, users)
    }

    pub async fn ws(&self, token: &str) -> Ws {
        let mut ws = Ws::connect(&self.addr).await;
        ws.send(&ClientEvent::Auth { token: token.to_owned() }).await;
        match ws.recv().await {
            ServerEvent::Ready { .. } => ws,
            other => panic!("expected ready, got {other:?}"),
        }
    }

    /// Asks the server to shut down (SIGTERM) and waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(sent.success());
        self.child.wait().expect("wait")
    }

    /// Kills the server without a clean shutdown.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `confab` and waits for its "listening on" line; its output goes to `log`.
fn launch(args: &[String], env: &[(String, String)], log: &Arc<Mutex<String>>) -> (Child, String) {
    let mut child = Command::new(binary())
        .args(args)
        .env_remove("CONFAB_DATABASE_URL")
        .env_remove("CONFAB_JWT_SECRET")
        .env("CONFAB_LOG", "info")
        // No default room unless a test asks for one: tests count the rooms they create.
        .env("CONFAB_DEFAULT_ROOM", "")
        // Anyone may register unless a test asks for a policy: tests create many accounts.
        .env("CONFAB_REGISTRATION", "open")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start confab");
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let outputs: [Option<Box<dyn std::io::Read + Send>>; 2] =
        [child.stdout.take().map(|s| Box::new(s) as _), child.stderr.take().map(|s| Box::new(s) as _)];
    for stream in outputs.into_iter().flatten() {
        let log = log.clone();
        let addr_tx = addr_tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Some(i) = line.find("listening on http://") {
                    let rest = &line[i + "listening on http://".len()..];
                    let addr: String =
                        rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':').collect();
                    let _ = addr_tx.send(addr);
                }
                log.lock().expect("log").push_str(&format!("{line}\n"));
            }
        });
    }
    match addr_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(addr) => (child, addr),
        Err(_) => {
            let _ = child.kill();
            panic!("confab did not start:\n{}", log.lock().expect("log"));
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.kill();
        if let Some(db) = &self.pg_db {
            drop_database(db);
        }
    }
}

/// Asserts a problem+json response with `status` and `code`; returns the body.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["code"], code, "problem code in {body}");
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    body
}

/// The WebSocket endpoint of the server at `addr`.
pub fn ws_url(addr: &str) -> String {
    format!("ws://{addr}{WS_PATH}")
}

type WsStream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket client speaking the Confab protocol.
pub struct Ws {
    stream: WsStream,
}

pub const RECV_TIMEOUT: Duration = Duration::from_secs(10);

impl Ws {
    pub async fn connect(addr: &str) -> Ws {
        let (stream, _) = tokio_tungstenite::connect_async(ws_url(addr)).await.expect("ws connect");
        Ws { stream }
    }

    pub async fn send(&mut self, event: &ClientEvent) {
        self.send_text(&serde_json::to_string(event).expect("json")).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream.send(WsMessage::Text(text.into())).await.expect("ws send");
    }

    pub async fn send_raw(&mut self, msg: WsMessage) {
        self.stream.send(msg).await.expect("ws send");
    }

    /// The next event; panics on timeout or close.
    pub async fn recv(&mut self) -> ServerEvent {
        match self.next(RECV_TIMEOUT).await {
            Some(event) => event,
            None => panic!("no event within {RECV_TIMEOUT:?}"),
        }
    }

    /// The next event within `wait`, or None.
    pub async fn next(&mut self, wait: Duration) -> Option<ServerEvent> {
        loop {
            let msg = tokio::time::timeout(wait, self.stream.next()).await.ok()??;
            match msg.expect("ws frame") {
                WsMessage::Text(text) => {
                    return Some(serde_json::from_str(&text).expect("server event"));
                }
                WsMessage::Close(frame) => panic!("closed: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// Events until `pred` matches one (returned last).
    pub async fn until(&mut self, pred: impl Fn(&ServerEvent) -> bool) -> Vec<ServerEvent> {
        let mut seen = Vec::new();
        loop {
            let event = self.recv().await;
            let done = pred(&event);
            seen.push(event);
            if done {
                return seen;
            }
        }
    }

    /// Waits for the `ack` of `client_id` (an `error` for it fails the test).
    pub async fn ack(&mut self, client_id: &str) -> Message {
        let events = self
            .until(|e| {
                matches!(e, ServerEvent::Ack { client_id: c, .. } | ServerEvent::Error { client_id: Some(c), .. } if c == client_id)
            })
            .await;
        match events.last() {
            Some(ServerEvent::Ack { message, .. }) => message.clone(),
            other => panic!("expected ack for {client_id}, got {other:?}"),
        }
    }

    /// Subscribes and returns the replayed events and the `subscribed` answer.
    pub async fn subscribe(&mut self, room_id: i64, after_seq: Option<i64>) -> (Vec<ServerEvent>, ServerEvent) {
        self.send(&ClientEvent::Subscribe { room_id, after_seq }).await;
        let mut events = self.until(|e| matches!(e, ServerEvent::Subscribed { .. } | ServerEvent::Error { .. })).await;
        let last = events.pop().expect("subscribed");
        (events, last)
    }

    /// Waits for the server to close the connection; returns the close code.
    pub async fn closed(&mut self) -> u16 {
        loop {
            match tokio::time::timeout(RECV_TIMEOUT, self.stream.next()).await {
                Err(_) => panic!("not closed within {RECV_TIMEOUT:?}"),
                Ok(None) => panic!("stream ended without a close frame"),
                Ok(Some(Err(e))) => panic!("ws error before close: {e}"),
                Ok(Some(Ok(WsMessage::Close(Some(frame))))) => return u16::from(frame.code),
                Ok(Some(Ok(WsMessage::Close(None)))) => return 1005,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// A `send` frame.
pub fn send_event(room_id: i64, client_id: &str, body: &str) -> ClientEvent {
    ClientEvent::Send {
        room_id,
        client_id: client_id.to_owned(),
        body: body.to_owned(),
        attachments: Vec::new(),
        reply_to: None,
        also_to_room: false,
    }
}
