//! Accounts and sessions: register, login, refresh rotation and reuse, logout, password.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use serde_json::json;

both_stores!(
    register_returns_a_bearer_pair_for_the_new_user,
    refresh_rotates_the_refresh_token,
    logout_revokes_the_access_and_the_refresh_token,
    login_ignores_the_case_of_the_name,
    refresh_token_reuse_revokes_the_session,
    an_unknown_refresh_token_is_refused,
    registration_fields_are_validated,
    malformed_json_is_refused,
    a_body_that_is_not_json_is_refused,
    an_oversized_body_is_refused,
    usernames_are_unique_ignoring_case,
    login_does_not_reveal_which_part_was_wrong,
    missing_malformed_and_forged_tokens_are_refused,
    an_expired_access_token_is_refused_and_renewed_by_refresh,
    change_password_checks_the_current_password,
    change_password_validates_the_new_password,
    change_password_revokes_other_sessions,
    registration_is_throttled,
    login_is_throttled_even_for_the_right_password,
    sessions_are_listed_with_the_current_one_marked,
    ending_a_session_closes_its_sockets_and_refuses_its_tokens,
    another_users_session_is_not_found,
    logging_out_everywhere_ends_every_session,
);

async fn register_returns_a_bearer_pair_for_the_new_user(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("alice").await;
    assert_eq!(pair.token_type, "Bearer");
    assert_eq!(pair.user.username, "alice");
    assert!(pair.expires_in > 0 && pair.expires_in <= 900);
    assert_eq!(app.me_ok(&pair.access_token).await, pair.user);
}

async fn refresh_rotates_the_refresh_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("alice").await;
    let res = app.refresh(&pair.refresh_token).await;
    assert_eq!(res.status(), 200);
    let next: confab_shared::TokenPair = res.json().await.expect("pair");
    assert_ne!(next.refresh_token, pair.refresh_token, "refresh rotates the token");
    assert_eq!(app.me(&next.access_token).await.status(), 200);
}

async fn logout_revokes_the_access_and_the_refresh_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("alice").await;
    let next = app.refresh_ok(&pair.refresh_token).await;
    assert_eq!(app.logout(&next.access_token).await.status(), 204);
    assert_problem(app.me(&next.access_token).await, 401, "session_revoked").await;
    assert_problem(app.refresh(&next.refresh_token).await, 401, "unauthenticated").await;
}

async fn login_ignores_the_case_of_the_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("alice").await;
    assert_eq!(app.login("ALICE", "password123").await.status(), 200, "login ignores the case of the name");
}

async fn refresh_token_reuse_revokes_the_session(backend: Backend) {
    // No grace: the old token presented again at once counts as reuse.
    let app = TestApp::spawn_with(backend, &["--refresh-grace-secs", "0"]).await;
    let pair = app.register("bob").await;
    let rotated = app.refresh_ok(&pair.refresh_token).await;
    // The old token again: a thief or a replay. The whole session ends.
    assert_problem(app.refresh(&pair.refresh_token).await, 401, "session_revoked").await;
    assert_problem(app.me(&rotated.access_token).await, 401, "session_revoked").await;
    let res = app.refresh(&rotated.refresh_token).await;
    assert_eq!(res.status(), 401, "the rotated token died with its session");
}

async fn an_unknown_refresh_token_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_problem(app.refresh("not-a-token").await, 401, "unauthenticated").await;
}

async fn registration_fields_are_validated(backend: Backend) {
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
        let problem = assert_problem(app.register_json(&body).await, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
}

// The next two send broken bodies on purpose, so they build their requests by hand.

async fn malformed_json_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{\"username\":")
        .send()
        .await
        .expect("post");
    assert_problem(res, 400, "malformed_json").await;
}

async fn a_body_that_is_not_json_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .expect("post");
    assert_problem(res, 415, "unsupported_media_type").await;
}

async fn an_oversized_body_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let huge = json!({"username": "carol", "password": "x".repeat(100_000)});
    assert_problem(app.register_json(&huge).await, 413, "payload_too_large").await;
}

async fn usernames_are_unique_ignoring_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("Dave").await;
    assert_problem(app.try_register("dave").await, 409, "username_taken").await;
}

async fn login_does_not_reveal_which_part_was_wrong(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("erin").await;
    let a = assert_problem(app.login("erin", "wrong-password").await, 401, "invalid_credentials").await;
    let b = assert_problem(app.login("nobody", "wrong-password").await, 401, "invalid_credentials").await;
    assert_eq!(a, b, "the same answer for an unknown user and a wrong password");
}

async fn missing_malformed_and_forged_tokens_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // No Authorization header at all: built by hand.
    let res = app.http.get(app.url("/api/v1/me")).send().await.expect("get");
    assert_problem(res, 401, "unauthenticated").await;
    assert_problem(app.me("not.a.jwt").await, 401, "unauthenticated").await;
    let pair = app.register("frank").await;
    let mut forged = pair.access_token.clone();
    forged.pop();
    forged.push(if pair.access_token.ends_with('A') { 'B' } else { 'A' });
    assert_problem(app.me(&forged).await, 401, "unauthenticated").await;
}

async fn an_expired_access_token_is_refused_and_renewed_by_refresh(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--access-token-ttl", "1"]).await;
    let pair = app.register("frank").await;
    // exp plus the 5 s leeway must pass for the token to expire.
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let problem = assert_problem(app.me(&pair.access_token).await, 401, "unauthenticated").await;
    assert!(problem["detail"].as_str().unwrap_or("").contains("expired"), "{problem}");
    let res = app.refresh(&pair.refresh_token).await;
    assert_eq!(res.status(), 200, "an expired access token is renewed by refresh");
}

async fn change_password_checks_the_current_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.register("grace").await.access_token;
    let res = app.change_password(&token, "wrong-one", "newpassword1").await;
    let problem = assert_problem(res, 403, "forbidden").await;
    assert_eq!(problem["errors"][0]["field"], "current_password");
}

async fn change_password_validates_the_new_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.register("grace").await.access_token;
    assert_problem(app.change_password(&token, "password123", "short").await, 400, "validation_failed").await;
}

async fn change_password_revokes_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.register("grace").await;
    let second = app.login_ok("grace", "password123").await;
    let res = app.change_password(&first.access_token, "password123", "newpassword1").await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.me(&first.access_token).await.status(), 200, "this session stays");
    assert_problem(app.me(&second.access_token).await, 401, "session_revoked").await;
    assert_eq!(app.login("grace", "password123").await.status(), 401);
    assert_eq!(app.login("grace", "newpassword1").await.status(), 200);
}

async fn registration_is_throttled(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--register-rate-per-hour", "2"]).await;
    app.register("jack").await;
    app.register("jill").await;
    let problem = assert_problem(app.try_register("john").await, 429, "rate_limited").await;
    assert!(problem["detail"].is_string());
}

async fn login_is_throttled_even_for_the_right_password(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--login-rate-per-minute", "3"]).await;
    app.register("jack").await;
    for _ in 0..3 {
        assert_eq!(app.login("jack", "wrong-password").await.status(), 401);
    }
    let res = app.login("jack", "wrong-password").await;
    let retry: u64 = res.headers()["retry-after"].to_str().expect("header").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_problem(res, 429, "rate_limited").await;
    // Even the right password waits: the account is throttled, with no argon2 work done.
    assert_problem(app.login("jack", "password123").await, 429, "rate_limited").await;
}

async fn sessions_are_listed_with_the_current_one_marked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.register("kate").await;
    app.login_ok("kate", "password123").await;
    app.login_ok("kate", "password123").await;
    let list = app.sessions_ok(&first.access_token).await;
    assert_eq!(list.sessions.len(), 3);
    assert_eq!(list.sessions.iter().filter(|s| s.current).count(), 1);
}

async fn ending_a_session_closes_its_sockets_and_refuses_its_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.register("kate").await;
    let second = app.login_ok("kate", "password123").await;
    let list = app.sessions_ok(&second.access_token).await;
    let second_id = list.sessions.iter().find(|s| s.current).expect("the current session").id;
    let mut ws = app.ws(&second.access_token).await;
    assert_eq!(app.end_session(&first.access_token, second_id).await.status(), 204);
    assert_eq!(ws.closed().await, 4003);
    assert_problem(app.me(&second.access_token).await, 401, "session_revoked").await;
    assert_problem(app.end_session(&first.access_token, second_id).await, 404, "not_found").await;
}

async fn another_users_session_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.register("kate").await;
    let other_user = app.register("liam").await;
    let theirs = app.sessions_ok(&other_user.access_token).await;
    assert_problem(app.end_session(&first.access_token, theirs.sessions[0].id).await, 404, "not_found").await;
    assert_eq!(app.me(&other_user.access_token).await.status(), 200);
}

async fn logging_out_everywhere_ends_every_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.register("kate").await;
    let third = app.login_ok("kate", "password123").await;
    // Every socket and token of the account, this one too.
    let mut ws = app.ws(&third.access_token).await;
    assert_eq!(app.end_all_sessions(&first.access_token).await.status(), 204);
    assert_eq!(ws.closed().await, 4003);
    for token in [&first.access_token, &third.access_token] {
        assert_problem(app.me(token).await, 401, "session_revoked").await;
    }
    assert_eq!(app.refresh(&third.refresh_token).await.status(), 401);
}
