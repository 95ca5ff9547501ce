//! Profiles (display name, status, avatar) and the server settings admins change at runtime.

use std::time::Duration;

use crate::files::png;
use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{AuditLog, Registration, ServerEvent, ServerInfo, User};
use serde_json::json;

both_stores!(
    a_profile_change_reaches_everyone_who_shares_a_room,
    avatars_are_square_and_replace_each_other,
    admins_change_the_server_name_and_policy_at_runtime,
);

fn updated(event: &ServerEvent) -> Option<User> {
    match event {
        ServerEvent::UserUpdated { user, .. } => Some(user.clone()),
        _ => None,
    }
}

async fn a_profile_change_reaches_everyone_who_shares_a_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await;
    let ben = app.register("ben").await.access_token;
    let carl = app.register("carl").await.access_token;
    let room = app.create_room(&anna.access_token, "team", "public").await;
    app.join(&ben, room.id).await;
    app.send_message_ok(&anna.access_token, room.id, "hello").await;
    let mut bens = app.ws(&ben).await;
    let mut carls = app.ws(&carl).await;
    let mut annas_phone = app.ws(&anna.access_token).await;

    let changes = json!({"display_name": "  Anna Karenina ", "status": "on holiday until Monday"});
    let user = app.update_profile_ok(&anna.access_token, &changes).await;
    assert_eq!(user.display_name.as_deref(), Some("Anna Karenina"), "trimmed");
    assert_eq!(user.status.as_deref(), Some("on holiday until Monday"));
    for ws in [&mut bens, &mut annas_phone] {
        let events = ws.until(|e| updated(e).is_some()).await;
        assert_eq!(events.last().and_then(updated), Some(user.clone()), "the whole user, as PATCH answered");
    }
    let quiet = carls.next(Duration::from_millis(300)).await;
    assert!(quiet.is_none(), "someone who shares no room hears nothing: {quiet:?}");

    let history = app.history_ok(&ben, room.id, "").await;
    assert_eq!(history.messages[0].author.display_name.as_deref(), Some("Anna Karenina"), "history shows the name now");
    let members = app.members_ok(&ben, room.id).await;
    assert!(members.members.iter().any(|m| m.user.status.as_deref() == Some("on holiday until Monday")));
    assert_eq!(app.me_ok(&anna.access_token).await, user);

    let cleared = app.update_profile_ok(&anna.access_token, &json!({"status": ""})).await;
    assert_eq!((cleared.display_name.as_deref(), cleared.status), (Some("Anna Karenina"), None), "only status cleared");
    for (body, field) in [
        (json!({"display_name": "x".repeat(65)}), "display_name"),
        (json!({"display_name": "Anna\u{202E}"}), "display_name"),
        // Control characters and lengths count as sent, before trimming (the schema says so).
        (json!({"display_name": "\r\u{d2}j"}), "display_name"),
        (json!({"display_name": format!("{} ", "x".repeat(64))}), "display_name"),
        (json!({"status": "line\nbreak"}), "status"),
        (json!({"status": "é".repeat(141)}), "status"),
    ] {
        let problem =
            assert_problem(app.update_profile(&anna.access_token, &body).await, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let long_but_fine = app.update_profile_ok(&anna.access_token, &json!({"status": "é".repeat(140)})).await;
    assert_eq!(long_but_fine.status.map(|s| s.chars().count()), Some(140), "the limit counts characters");
    assert_problem(app.update_profile(&anna.access_token, &json!({"role": "admin"})).await, 400, "validation_failed")
        .await;
    assert_eq!(app.update_profile("not a token", &json!({})).await.status(), 401);
}

async fn avatars_are_square_and_replace_each_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await;
    let ben = app.register("ben").await.access_token;
    let room = app.create_room(&anna.access_token, "team", "public").await;
    app.join(&ben, room.id).await;
    let mut bens = app.ws(&ben).await;

    let res = app.set_avatar(&anna.access_token, "image/png", png(600, 300)).await;
    assert_eq!(res.status(), 200);
    let user: User = res.json().await.expect("User");
    let url = user.avatar_url.clone().expect("an avatar_url");
    assert!(url.starts_with(&format!("/api/v1/users/{}/avatar?v=", anna.user.id)), "{url}");
    let events = bens.until(|e| updated(e).is_some()).await;
    assert_eq!(events.last().and_then(updated).and_then(|u| u.avatar_url), Some(url.clone()));

    let res = app.avatar(Some(&ben), &url).await;
    assert_eq!(res.status(), 200, "anyone signed in sees it");
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("content-type"), "image/jpeg", "no transparency: JPEG");
    assert!(header("cache-control").contains("immutable"), "the URL changes with the image");
    assert!(header("content-security-policy").contains("sandbox"), "it never runs script on our origin");
    let image = image::load_from_memory(&res.bytes().await.expect("bytes")).expect("an image");
    assert_eq!((image.width(), image.height()), (256, 256), "the middle square, 256 pixels a side");
    assert_eq!(app.avatar(None, &url).await.status(), 401, "strangers do not");

    let stored = || {
        let dir = app.data_dir().join("files/avatars").join(anna.user.id.to_string());
        std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
    };
    assert_eq!(stored(), 1);
    let replaced: User = app.set_avatar(&anna.access_token, "image/png", png(80, 80)).await.json().await.expect("User");
    let second = replaced.avatar_url.expect("an avatar_url");
    assert_ne!(second, url, "a new image, a new URL");
    assert_eq!(stored(), 1, "the replaced image is gone from storage");
    let small = image::load_from_memory(&app.avatar(Some(&ben), &second).await.bytes().await.expect("bytes"))
        .expect("an image");
    assert_eq!((small.width(), small.height()), (80, 80), "a small image is not enlarged");

    let problem = assert_problem(
        app.set_avatar(&anna.access_token, "image/png", b"not a picture".to_vec()).await,
        400,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "avatar");
    let huge = vec![0u8; 5 * 1024 * 1024 + 1];
    assert_problem(app.set_avatar(&anna.access_token, "image/png", huge).await, 413, "payload_too_large").await;

    let removed: User = app.remove_avatar(&anna.access_token).await.json().await.expect("User");
    assert_eq!(removed.avatar_url, None);
    assert_problem(app.avatar(Some(&ben), &second).await, 404, "not_found").await;
    assert_eq!(stored(), 0);
}

async fn admins_change_the_server_name_and_policy_at_runtime(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, &["--registration", "open", "--server-name", "Confab"]).await;
    let anna = app.register("anna").await.access_token;
    app.register("ben").await;
    let res = app.update_server(Some(&anna), &json!({"name": " Acme chat ", "registration": "invite"})).await;
    assert_eq!(res.status(), 200);
    let info: ServerInfo = res.json().await.expect("ServerInfo");
    assert_eq!((info.name.as_str(), info.registration), ("Acme chat", Registration::Invite));
    assert_problem(app.try_register("carl").await, 403, "invite_required").await;

    app.restart();
    let info = app.server_ok().await;
    assert_eq!((info.name.as_str(), info.registration), ("Acme chat", Registration::Invite), "kept over the flags");
    assert_problem(app.try_register("carl").await, 403, "invite_required").await;
    let anna = app.login_ok("anna", "password123").await.access_token;
    let only_name = app.update_server(Some(&anna), &json!({"registration": "open"})).await;
    assert_eq!(only_name.status(), 200);
    assert_eq!(app.server_ok().await.name, "Acme chat", "a field not given stays");
    assert_eq!(app.try_register("carl").await.status(), 201);

    let ben = app.login_ok("ben", "password123").await.access_token;
    assert_problem(app.update_server(Some(&ben), &json!({"name": "Mine"})).await, 403, "forbidden").await;
    assert_problem(app.update_server(None, &json!({"name": "Mine"})).await, 401, "unauthenticated").await;
    let problem =
        assert_problem(app.update_server(Some(&anna), &json!({"name": "  "})).await, 400, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_problem(
        app.update_server(Some(&anna), &json!({"registration": "sometimes"})).await,
        400,
        "validation_failed",
    )
    .await;
    let log: AuditLog = app.audit(&anna, "").await.json().await.expect("AuditLog");
    let changes: Vec<_> =
        log.entries.iter().filter(|e| e.action == "server.updated").filter_map(|e| e.detail.clone()).collect();
    assert_eq!(changes, ["registration=open", "name=Acme chat, registration=invite"]);
}
