//! Test harness: starts the real `confab` binary on port 0 with a fresh database (a temp
//! SQLite file, or a PostgreSQL database created for the test and dropped after), and talks
//! to it over HTTP and WebSocket like any client.

use confab_shared::{ClientEvent, Message, Room, ServerEvent, TokenPair};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
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

fn psql(db: &str, sql: &str) -> bool {
    Command::new("psql")
        .arg(format!("{}/{db}", pg_base_url()))
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether PostgreSQL tests can run; panics when they must but cannot.
pub fn postgres_available() -> bool {
    let up = psql("postgres", "SELECT 1");
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

/// Creates an empty PostgreSQL database for one test; returns its name.
pub fn create_database() -> String {
    let name = format!("confab_test_{}", rand::random::<u64>());
    assert!(psql("postgres", &format!("CREATE DATABASE {name}")), "create database {name}");
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

    /// The value of an unlabelled metric from `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.http.get(self.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("metric {name} missing"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.expect("GET")
    }

    pub async fn delete(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.delete(self.url(path)).bearer_auth(token).send().await.expect("DELETE")
    }

    pub async fn put(&self, path: &str, token: &str) -> reqwest::Response {
        self.http.put(self.url(path)).bearer_auth(token).send().await.expect("PUT")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut req = self.http.request(method, self.url(path)).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        self.send_json(reqwest::Method::POST, path, token, body).await
    }

    /// Registers `username` (password `password123`) and returns its tokens.
    pub async fn register(&self, username: &str) -> TokenPair {
        let res =
            self.post("/api/v1/auth/register", None, &json!({"username": username, "password": "password123"})).await;
        assert_eq!(res.status(), 201, "register {username}");
        res.json().await.expect("token pair")
    }

    pub async fn create_room(&self, token: &str, name: &str, visibility: &str) -> Room {
        let res = self.post("/api/v1/rooms", Some(token), &json!({"name": name, "visibility": visibility})).await;
        assert_eq!(res.status(), 201, "create room {name}");
        res.json().await.expect("room")
    }

    pub async fn join(&self, token: &str, room_id: i64) {
        let res = self.put(&format!("/api/v1/rooms/{room_id}/members/me"), token).await;
        assert_eq!(res.status(), 200, "join room {room_id}");
    }

    /// Registers `names` (the first one owns the room) and creates a room they all belong to.
    pub async fn room_with_members(&self, names: &[&str], visibility: &str) -> (i64, Vec<TokenPair>) {
        let mut users = Vec::new();
        for name in names {
            users.push(self.register(name).await);
        }
        let room = self.create_room(&users[0].access_token, &format!("{}-room", names[0]), visibility).await.id;
        for user in &users[1..] {
            let res = self.put(&format!("/api/v1/rooms/{room}/members/{}", user.user.id), &users[0].access_token).await;
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
    // CONFAB_TEST_BINARY runs the suite against another build (say, an older one, to see a
    // regression test fail there).
    let binary = std::env::var("CONFAB_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_confab").to_owned());
    let mut child = Command::new(binary)
        .args(args)
        .env_remove("CONFAB_DATABASE_URL")
        .env_remove("CONFAB_JWT_SECRET")
        .env("CONFAB_LOG", "info")
        // No default room unless a test asks for one: tests count the rooms they create.
        .env("CONFAB_DEFAULT_ROOM", "")
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
            psql("postgres", &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
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

type WsStream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket client speaking the Confab protocol.
pub struct Ws {
    stream: WsStream,
}

pub const RECV_TIMEOUT: Duration = Duration::from_secs(10);

impl Ws {
    pub async fn connect(addr: &str) -> Ws {
        let (stream, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/api/v1/ws")).await.expect("ws connect");
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
    ClientEvent::Send { room_id, client_id: client_id.to_owned(), body: body.to_owned() }
}
