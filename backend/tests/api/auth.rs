//! Accounts and sessions: register, login, refresh rotation and reuse, logout, password.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{SessionList, TokenPair, User};
use serde_json::json;

both_stores!(
    register_me_refresh_logout,
    refresh_token_reuse_revokes_the_session,
    registration_validation,
    usernames_are_unique_ignoring_case,
    login_does_not_reveal_which_part_was_wrong,
    bad_and_missing_tokens_are_refused,
    change_password_revokes_other_sessions,
    login_and_registration_are_throttled,
    session_list_and_log_out_everywhere,
);

async fn register_me_refresh_logout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("alice").await;
    assert_eq!(pair.token_type, "Bearer");
    assert_eq!(pair.user.username, "alice");
    assert!(pair.expires_in > 0 && pair.expires_in <= 900);

    let me: User = app.get("/api/v1/me", &pair.access_token).await.json().await.expect("me");
    assert_eq!(me, pair.user);

    let res = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": pair.refresh_token})).await;
    assert_eq!(res.status(), 200);
    let next: TokenPair = res.json().await.expect("pair");
    assert_ne!(next.refresh_token, pair.refresh_token, "refresh rotates the token");
    assert_eq!(app.get("/api/v1/me", &next.access_token).await.status(), 200);

    let res = app.post("/api/v1/auth/logout", Some(&next.access_token), &json!({})).await;
    assert_eq!(res.status(), 204);
    assert_problem(app.get("/api/v1/me", &next.access_token).await, 401, "session_revoked").await;
    let res = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": next.refresh_token})).await;
    assert_problem(res, 401, "unauthenticated").await;

    let res = app.post("/api/v1/auth/login", None, &json!({"username": "ALICE", "password": "password123"})).await;
    assert_eq!(res.status(), 200, "login ignores the case of the name");
}

async fn refresh_token_reuse_revokes_the_session(backend: Backend) {
    // No grace: the old token presented again at once counts as reuse.
    let app = TestApp::spawn_with(backend, &["--refresh-grace-secs", "0"]).await;
    let pair = app.register("bob").await;
    let res = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": pair.refresh_token})).await;
    let rotated: TokenPair = res.json().await.expect("pair");
    // The old token again: a thief or a replay. The whole session ends.
    let res = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": pair.refresh_token})).await;
    assert_problem(res, 401, "session_revoked").await;
    assert_problem(app.get("/api/v1/me", &rotated.access_token).await, 401, "session_revoked").await;
    let res = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": rotated.refresh_token})).await;
    assert_eq!(res.status(), 401, "the rotated token died with its session");
    let res = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": "not-a-token"})).await;
    assert_problem(res, 401, "unauthenticated").await;
}

async fn registration_validation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (body, field) in [
        (json!({"username": "ab", "password": "password123"}), "username"),
        (json!({"username": "has space", "password": "password123"}), "username"),
        (json!({"username": "x".repeat(33), "password": "password123"}), "username"),
        (json!({"username": "carol", "password": "short"}), "password"),
        (json!({"username": "carol", "password": "p".repeat(129)}), "password"),
        (json!({"username": "carol"}), "password"),
        (json!({"username": 7, "password": "password123"}), "username"),
    ] {
        let res = app.post("/api/v1/auth/register", None, &body).await;
        let problem = assert_problem(res, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .expect("post");
    assert_problem(res, 400, "malformed_json").await;
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .expect("post");
    assert_problem(res, 415, "unsupported_media_type").await;
    let huge = json!({"username": "carol", "password": "x".repeat(100_000)});
    assert_problem(app.post("/api/v1/auth/register", None, &huge).await, 413, "payload_too_large").await;
}

async fn usernames_are_unique_ignoring_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("Dave").await;
    let res = app.post("/api/v1/auth/register", None, &json!({"username": "dave", "password": "password123"})).await;
    assert_problem(res, 409, "username_taken").await;
}

async fn login_does_not_reveal_which_part_was_wrong(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("erin").await;
    let wrong_password =
        app.post("/api/v1/auth/login", None, &json!({"username": "erin", "password": "wrong-password"})).await;
    let a = assert_problem(wrong_password, 401, "invalid_credentials").await;
    let unknown_user =
        app.post("/api/v1/auth/login", None, &json!({"username": "nobody", "password": "wrong-password"})).await;
    let b = assert_problem(unknown_user, 401, "invalid_credentials").await;
    assert_eq!(a, b, "the same answer for an unknown user and a wrong password");
}

async fn bad_and_missing_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--access-token-ttl", "1"]).await;
    let res = app.http.get(app.url("/api/v1/me")).send().await.expect("get");
    assert_problem(res, 401, "unauthenticated").await;
    assert_problem(app.get("/api/v1/me", "not.a.jwt").await, 401, "unauthenticated").await;
    let pair = app.register("frank").await;
    let mut forged = pair.access_token.clone();
    forged.pop();
    forged.push(if pair.access_token.ends_with('A') { 'B' } else { 'A' });
    assert_problem(app.get("/api/v1/me", &forged).await, 401, "unauthenticated").await;
    // exp plus the 5 s leeway must pass for the token to expire.
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let problem = assert_problem(app.get("/api/v1/me", &pair.access_token).await, 401, "unauthenticated").await;
    assert!(problem["detail"].as_str().unwrap_or("").contains("expired"), "{problem}");
    let res = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": pair.refresh_token})).await;
    assert_eq!(res.status(), 200, "an expired access token is renewed by refresh");
}

async fn change_password_revokes_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.register("grace").await;
    let res = app.post("/api/v1/auth/login", None, &json!({"username": "grace", "password": "password123"})).await;
    let second: TokenPair = res.json().await.expect("pair");
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let res = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/me/password",
            Some(&first.access_token),
            &change("wrong-one", "newpassword1"),
        )
        .await;
    let problem = assert_problem(res, 403, "forbidden").await;
    assert_eq!(problem["errors"][0]["field"], "current_password");
    let res = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/me/password",
            Some(&first.access_token),
            &change("password123", "short"),
        )
        .await;
    assert_problem(res, 400, "validation_failed").await;
    let res = app
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/me/password",
            Some(&first.access_token),
            &change("password123", "newpassword1"),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get("/api/v1/me", &first.access_token).await.status(), 200, "this session stays");
    assert_problem(app.get("/api/v1/me", &second.access_token).await, 401, "session_revoked").await;
    let old = app.post("/api/v1/auth/login", None, &json!({"username": "grace", "password": "password123"})).await;
    assert_eq!(old.status(), 401);
    let new = app.post("/api/v1/auth/login", None, &json!({"username": "grace", "password": "newpassword1"})).await;
    assert_eq!(new.status(), 200);
}

async fn login_and_registration_are_throttled(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--login-rate-per-minute", "3", "--register-rate-per-hour", "2"]).await;
    app.register("jack").await;
    app.register("jill").await;
    let res = app.post("/api/v1/auth/register", None, &json!({"username": "john", "password": "password123"})).await;
    let problem = assert_problem(res, 429, "rate_limited").await;
    assert!(problem["detail"].is_string());
    let wrong = json!({"username": "jack", "password": "wrong-password"});
    for _ in 0..3 {
        assert_eq!(app.post("/api/v1/auth/login", None, &wrong).await.status(), 401);
    }
    let res = app.post("/api/v1/auth/login", None, &wrong).await;
    let retry: u64 = res.headers()["retry-after"].to_str().expect("header").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_problem(res, 429, "rate_limited").await;
    // Even the right password waits: the account is throttled, with no argon2 work done.
    let right = json!({"username": "jack", "password": "password123"});
    assert_problem(app.post("/api/v1/auth/login", None, &right).await, 429, "rate_limited").await;
}

async fn session_list_and_log_out_everywhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.register("kate").await;
    let login = json!({"username": "kate", "password": "password123"});
    let second: TokenPair = app.post("/api/v1/auth/login", None, &login).await.json().await.expect("pair");
    let third: TokenPair = app.post("/api/v1/auth/login", None, &login).await.json().await.expect("pair");
    let list: SessionList = app.get("/api/v1/sessions", &first.access_token).await.json().await.expect("list");
    assert_eq!(list.sessions.len(), 3);
    assert_eq!(list.sessions.iter().filter(|s| s.current).count(), 1);
    let others: Vec<i64> = list.sessions.iter().filter(|s| !s.current).map(|s| s.id).collect();

    // Ending another session closes its sockets and refuses its tokens.
    let mut ws = app.ws(&second.access_token).await;
    let second_id = others[1];
    assert_eq!(app.delete(&format!("/api/v1/sessions/{second_id}"), &first.access_token).await.status(), 204);
    assert_eq!(ws.closed().await, 4003);
    assert_problem(app.get("/api/v1/me", &second.access_token).await, 401, "session_revoked").await;
    assert_problem(app.delete(&format!("/api/v1/sessions/{second_id}"), &first.access_token).await, 404, "not_found")
        .await;
    // Someone else's session is not found.
    let other_user = app.register("liam").await;
    let theirs: SessionList = app.get("/api/v1/sessions", &other_user.access_token).await.json().await.expect("list");
    let path = format!("/api/v1/sessions/{}", theirs.sessions[0].id);
    assert_problem(app.delete(&path, &first.access_token).await, 404, "not_found").await;
    assert_eq!(app.get("/api/v1/me", &other_user.access_token).await.status(), 200);

    // Log out everywhere: every socket and token of the account, this one too.
    let mut ws = app.ws(&third.access_token).await;
    assert_eq!(app.delete("/api/v1/sessions", &first.access_token).await.status(), 204);
    assert_eq!(ws.closed().await, 4003);
    for token in [&first.access_token, &third.access_token] {
        assert_problem(app.get("/api/v1/me", token).await, 401, "session_revoked").await;
    }
    let res = app.post("/api/v1/auth/refresh", None, &json!({"refresh_token": third.refresh_token})).await;
    assert_eq!(res.status(), 401);
}
