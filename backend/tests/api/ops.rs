//! Health, routing errors, headers, the OpenAPI contract, and restarts.

use crate::client::WS_PATH;
use crate::helpers::{Backend, TestApp, assert_problem, both_stores, send_event};

both_stores!(
    healthz_and_readyz_answer_200,
    responses_carry_security_headers,
    unknown_routes_are_not_found,
    wrong_methods_are_told_the_allowed_ones,
    a_malformed_path_parameter_is_not_found,
    malformed_query_parameters_are_refused,
    a_plain_get_of_the_websocket_endpoint_needs_an_upgrade,
    restart_keeps_users_logged_in,
    cancelled_queries_never_break_the_pool,
);

async fn healthz_and_readyz_answer_200(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.healthz().await.status(), 200);
    assert_eq!(app.readyz().await.status(), 200);
}

async fn responses_carry_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app.readyz().await;
    let headers = res.headers();
    assert!(headers["content-security-policy"].to_str().expect("csp").contains("script-src 'self'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
}

// The next ones probe routing with wrong paths, methods and parameters on purpose, so they
// spell their requests out.

async fn unknown_routes_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app.http.get(app.url("/api/v1/nothing-here")).send().await.expect("get");
    assert_problem(res, 404, "not_found").await;
}

async fn wrong_methods_are_told_the_allowed_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app.http.delete(app.url("/api/v1/rooms")).send().await.expect("delete");
    assert_eq!(res.headers()["allow"], "GET, POST, HEAD");
    assert_problem(res, 405, "method_not_allowed").await;
    let res = app.http.post(app.url("/api/v1/rooms/5/members/me")).send().await.expect("post");
    assert_eq!(res.headers()["allow"], "PUT, DELETE");
    assert_problem(res, 405, "method_not_allowed").await;
}

async fn a_malformed_path_parameter_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("hank").await;
    let res = app.get("/api/v1/rooms/not-a-number", &pair.access_token).await;
    assert_problem(res, 404, "not_found").await;
}

async fn malformed_query_parameters_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("hank").await;
    let res = app.get("/api/v1/rooms/1/messages?limit=abc", &pair.access_token).await;
    assert_problem(res, 400, "validation_failed").await;
    let res = app.get("/api/v1/users?nope=1", &pair.access_token).await;
    assert_problem(res, 400, "validation_failed").await;
}

async fn a_plain_get_of_the_websocket_endpoint_needs_an_upgrade(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app.http.get(app.url(WS_PATH)).send().await.expect("plain GET");
    assert_problem(res, 426, "upgrade_required").await;
}

async fn restart_keeps_users_logged_in(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let pair = app.register("ivy").await;
    let room = app.create_room(&pair.access_token, "kept", "public").await;
    assert_eq!(app.send_message(&pair.access_token, room.id, "before").await.status(), 201);
    app.restart();
    // The generated JWT secret and the database survive the restart.
    assert_eq!(app.me(&pair.access_token).await.status(), 200);
    let body: serde_json::Value = app.history(&pair.access_token, room.id, "").await.json().await.expect("history");
    assert_eq!(body["messages"][0]["body"], "before");
}

#[tokio::test]
async fn openapi_yaml_matches_the_code() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_confab")).arg("openapi").output().expect("confab openapi");
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).expect("utf-8");
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml")).unwrap_or_default();
    assert!(
        generated == committed,
        "openapi.yaml is out of date: run `just openapi` (or `cargo run -p confab -- openapi > openapi.yaml`)"
    );
    let doc: serde_yaml::Value = serde_yaml::from_str(&generated).expect("valid YAML");
    for path in ["/api/v1/auth/register", "/api/v1/rooms/{room_id}/messages", "/api/v1/ws", "/healthz"] {
        assert!(doc["paths"][path].is_mapping(), "{path} documented");
    }
    for schema in ["ClientEvent", "ServerEvent", "Problem", "Room", "Message"] {
        assert!(doc["components"]["schemas"][schema].is_mapping(), "{schema} schema");
    }
}

#[tokio::test]
async fn openapi_is_served_with_a_docs_ui() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc: serde_json::Value = app.openapi_json().await.json().await.expect("json");
    assert_eq!(doc["info"]["title"], "Confab API");
    let res = app.docs().await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.expect("html").contains("swagger"), "the docs UI page");
}

#[tokio::test]
async fn metrics_count_messages_and_deliveries() {
    use confab_shared::ServerEvent;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let pair = app.register("metric").await;
    let room = app.create_room(&pair.access_token, "m", "public").await.id;
    let mut ws = app.ws(&pair.access_token).await;
    ws.subscribe(room, Some(0)).await;
    ws.send(&send_event(room, "x", "counted")).await;
    ws.until(|e| matches!(e, ServerEvent::Message { .. })).await;
    let text = app.metrics_text().await;
    assert!(text.contains("confab_messages_received_total 1\n"), "{text}");
    assert!(text.contains("confab_websocket_connections 1\n"), "{text}");
    assert!(text.contains("confab_delivery_latency_seconds_count 1\n"), "{text}");
    assert!(text.contains("confab_replay_changes_count 1\n"), "{text}");
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1001() {
    let mut app = TestApp::spawn(Backend::Sqlite).await;
    let pair = app.register("leaving").await;
    let mut ws = app.ws(&pair.access_token).await;
    let closing = tokio::spawn(async move { ws.closed().await });
    let status = tokio::task::spawn_blocking(move || app.terminate()).await.expect("terminate");
    assert!(status.success(), "a clean exit: {status:?}");
    assert_eq!(closing.await.expect("close"), 1001);
}

#[tokio::test]
async fn json_logs() {
    let app = TestApp::spawn_with(Backend::Sqlite, &["--log-format", "json"]).await;
    assert_eq!(app.healthz().await.status(), 200);
    let log = app.log.lock().expect("log").clone();
    let line = log.lines().find(|l| l.contains("listening on")).expect("the listening line");
    let parsed: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(parsed["level"], "INFO");
    assert_eq!(parsed["fields"]["store"], "sqlite");
}

/// A body rejected with 415 cancels the `Auth` extractor's query mid-flight; the connection
/// it held must never be handed out again (it used to make the next request panic).
async fn cancelled_queries_never_break_the_pool(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.register("cancel").await.access_token;
    let calls = (0..200).map(|i| {
        let (app, token) = (&app, &token);
        async move {
            if i % 2 == 0 {
                let res = app
                    .http
                    .post(app.url("/api/v1/rooms"))
                    .bearer_auth(token)
                    .header("content-type", "text/plain")
                    .body("x")
                    .send()
                    .await
                    .expect("a response, not a dropped connection");
                res.status().as_u16()
            } else {
                app.me(token).await.status().as_u16()
            }
        }
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 415 || *s == 200), "{statuses:?}");
    let log = app.log.lock().expect("log").clone();
    assert!(!log.contains("panicked"), "{log}");
}

#[tokio::test]
async fn cors_is_off_by_default() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let res =
        app.http.get(app.url("/api/v1/rooms")).header("origin", "https://chat.example.com").send().await.expect("GET");
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let res = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/rooms"))
        .header("origin", "https://chat.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("OPTIONS");
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = TestApp::spawn_with(Backend::Sqlite, &["--allowed-origins", "https://chat.example.com"]).await;
    let token = app.register("alice").await.access_token;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/rooms"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let res = preflight("https://chat.example.com").await.expect("OPTIONS");
    assert!(res.status().is_success());
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], "https://chat.example.com");
    assert!(h["access-control-allow-methods"].to_str().expect("methods").contains("POST"));
    assert!(h["access-control-allow-headers"].to_str().expect("headers").to_lowercase().contains("authorization"));
    assert!(h.get("access-control-allow-credentials").is_none(), "bearer tokens, not cookies");
    let res = preflight("https://evil.example").await.expect("OPTIONS");
    assert!(res.headers().get("access-control-allow-origin").is_none());
    // The real request from an allowed origin is readable; from another origin it is not.
    let get = |origin: &'static str| {
        app.http.get(app.url("/api/v1/rooms")).bearer_auth(&token).header("origin", origin).send()
    };
    let res = get("https://chat.example.com").await.expect("GET");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "https://chat.example.com");
    assert!(
        res.headers()["access-control-expose-headers"].to_str().expect("expose").to_lowercase().contains("retry-after")
    );
    let res = get("https://evil.example").await.expect("GET");
    assert!(res.headers().get("access-control-allow-origin").is_none());
}

#[test]
fn a_malformed_allowed_origin_stops_start_up() {
    let dir = tempfile::tempdir().expect("dir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_confab"))
        .args(["serve", "--listen", "127.0.0.1:0", "--allowed-origins", "chat.example.com/path"])
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .expect("run confab");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("allowed origin"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
