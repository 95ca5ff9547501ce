//! Running a server: admins list and change accounts (role, deactivation), make one-time
//! password reset links, read the audit log; room moderators ban people; `confab admin` does
//! the same on a running server's store. Every admin endpoint refuses members and strangers.

use crate::cluster::{Cluster, SHARED_REDIS, services_available};
use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{AdminUser, AdminUserList, AuditLog, BanList, PasswordResetLink, Role, ServerEvent, ServerRole};
use serde_json::json;

both_stores!(
    admins_page_and_change_accounts,
    deactivation_ends_every_session_and_refuses_logins,
    a_reset_link_sets_a_password_once,
    bans_remove_and_keep_out,
    admin_endpoints_refuse_members_and_strangers,
    the_admin_command_deactivates_and_resets,
    server_admins_manage_any_room,
);

async fn users(app: &TestApp, token: &str, query: &str) -> AdminUserList {
    let res = app.admin_users(token, query).await;
    assert_eq!(res.status(), 200, "GET /admin/users?{query}");
    res.json().await.expect("AdminUserList")
}

async fn update(app: &TestApp, token: &str, user_id: i64, changes: serde_json::Value) -> AdminUser {
    let res = app.admin_update_user(token, user_id, &changes).await;
    assert_eq!(res.status(), 200, "PATCH {changes}");
    res.json().await.expect("AdminUser")
}

async fn audit_actions(app: &TestApp, token: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let log: AuditLog = app.audit(token, "limit=200").await.json().await.expect("AuditLog");
    log.entries.into_iter().map(|e| (e.action, e.actor.map(|u| u.username), e.target.map(|u| u.username))).collect()
}

async fn admins_page_and_change_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await;
    let token = &anna.access_token;
    for name in ["ben", "bea", "cleo"] {
        app.register(name).await;
    }
    let all = users(&app, token, "").await;
    let names: Vec<&str> = all.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["anna", "ben", "bea", "cleo"], "id order");
    assert!(all.users[0].last_seen_at.is_some(), "anna has a session");
    assert_eq!((all.users[0].role, all.users[1].role), (ServerRole::Admin, ServerRole::Member));
    let page = users(&app, token, "limit=2").await;
    assert!(page.has_more);
    let next = users(&app, token, &format!("limit=2&after_id={}", page.users[1].id)).await;
    assert_eq!(next.users.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["bea", "cleo"]);
    assert!(!next.has_more);
    let b = users(&app, token, "q=B").await;
    assert_eq!(b.users.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(), ["ben", "bea"], "by name prefix");
    assert_problem(app.admin_users(token, "q=b%25").await, 400, "validation_failed").await;
    assert_problem(app.admin_users(token, "limit=0").await, 400, "validation_failed").await;

    // Roles: Ben becomes an admin and can do what admins do; the last admin cannot step down.
    let ben = &all.users[1];
    assert_eq!(update(&app, token, ben.id, json!({"role": "admin"})).await.role, ServerRole::Admin);
    let ben_token = app.login_ok("ben", "password123").await.access_token;
    assert_eq!(app.admin_users(&ben_token, "").await.status(), 200);
    update(&app, &ben_token, anna.user.id, json!({"role": "member"})).await;
    assert_problem(app.admin_update_user(&ben_token, ben.id, &json!({"role": "member"})).await, 409, "conflict").await;
    assert_problem(app.admin_users(token, "").await, 403, "forbidden").await;
    assert_problem(app.admin_update_user(&ben_token, 999_999, &json!({"role": "admin"})).await, 404, "not_found").await;
    assert_problem(app.admin_update_user(&ben_token, ben.id, &json!({"role": "boss"})).await, 400, "validation_failed")
        .await;
    let actions = audit_actions(&app, &ben_token).await;
    let ben_name = Some("ben".to_owned());
    assert_eq!(
        actions,
        [
            ("user.role".to_owned(), ben_name.clone(), Some("anna".to_owned())),
            ("user.role".to_owned(), Some("anna".to_owned()), ben_name),
        ],
        "newest first; a refused change is not recorded"
    );
}

async fn deactivation_ends_every_session_and_refuses_logins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await.access_token;
    let ben = app.register("ben").await;
    let room = app.create_room(&ben.access_token, "ben-room", "public").await.id;
    let said = app.send_message_ok(&ben.access_token, room, "before I leave").await;
    let second = app.login_ok("ben", "password123").await;
    let mut ws = app.ws(&ben.access_token).await;
    let mut other = app.ws(&second.access_token).await;

    let changed = update(&app, &anna, ben.user.id, json!({"deactivated": true})).await;
    assert!(changed.deactivated);
    assert_eq!(ws.closed().await, 4003, "every socket of every session closes");
    assert_eq!(other.closed().await, 4003);
    assert_problem(app.me(&ben.access_token).await, 401, "session_revoked").await;
    assert_eq!(app.refresh(&second.refresh_token).await.status(), 401);
    assert_problem(app.login("ben", "password123").await, 403, "account_deactivated").await;
    assert_problem(app.login("ben", "wrong password").await, 401, "invalid_credentials").await;
    let history = app.history_ok(&anna, room, "").await.messages;
    assert_eq!(history.iter().map(|m| m.id).collect::<Vec<_>>(), [said.id], "the messages stay");
    assert!(update(&app, &anna, ben.user.id, json!({"deactivated": true})).await.deactivated, "idempotent");
    let anna_id = users(&app, &anna, "q=anna").await.users[0].id;
    assert_problem(app.admin_update_user(&anna, anna_id, &json!({"deactivated": true})).await, 403, "forbidden").await;

    assert!(!update(&app, &anna, ben.user.id, json!({"deactivated": false})).await.deactivated);
    let back = app.login_ok("ben", "password123").await;
    assert_eq!(app.me_ok(&back.access_token).await.username, "ben", "reactivated: a new login works");
    let actions: Vec<String> = audit_actions(&app, &anna).await.into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["user.reactivated", "user.deactivated"]);
}

async fn a_reset_link_sets_a_password_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await.access_token;
    let ben = app.register("ben").await;
    let mut ws = app.ws(&ben.access_token).await;
    let res = app.admin_password_reset(&anna, ben.user.id).await;
    assert_eq!(res.status(), 201);
    let link: PasswordResetLink = res.json().await.expect("PasswordResetLink");
    let token = link.url.rsplit_once("/#/reset/").map(|(_, t)| t.to_owned()).expect("a reset page URL");
    let hours = (link.expires_at - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "expires in 24 hours, not {hours}");
    assert_eq!(app.login("ben", "password123").await.status(), 200, "the old password works until the link is used");

    assert_problem(app.reset_password(&token, "short").await, 400, "validation_failed").await;
    assert_eq!(app.reset_password(&token, "a brand new one").await.status(), 204);
    assert_eq!(ws.closed().await, 4003, "the account's sessions end");
    assert_problem(app.login("ben", "password123").await, 401, "invalid_credentials").await;
    app.login_ok("ben", "a brand new one").await;
    let again = app.reset_password(&token, "and another one").await;
    let problem = assert_problem(again, 404, "not_found").await;
    assert_eq!(problem["errors"][0]["field"], "token");
    assert_problem(app.reset_password("made-up", "and another one").await, 404, "not_found").await;
    assert_problem(app.reset_password(&"x".repeat(65), "and another one").await, 400, "validation_failed").await;
    // The limit counts characters, as the schema's maxLength does: 64 of them is an unknown link.
    assert_problem(app.reset_password(&"é".repeat(64), "and another one").await, 404, "not_found").await;
    assert_problem(app.admin_password_reset(&anna, 999_999).await, 404, "not_found").await;
    let actions: Vec<String> = audit_actions(&app, &anna).await.into_iter().map(|a| a.0).collect();
    assert_eq!(actions, ["user.password_reset_used", "user.password_reset"]);
}

async fn bans_remove_and_keep_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.register("root").await.access_token; // the first account: the server's admin
    let (room, users) = app.room_with_members(&["anna", "ben", "cleo"], "public").await;
    let (anna, ben, cleo) = (&users[0].access_token, &users[1].access_token, &users[2].access_token);
    let ben_id = users[1].user.id;
    let mut ben_ws = app.ws(ben).await;
    ben_ws.subscribe(room, None).await;

    assert_problem(app.ban(cleo, room, ben_id, true).await, 403, "forbidden").await;
    assert_problem(app.ban(anna, room, users[0].user.id, true).await, 403, "forbidden").await;
    assert_eq!(app.ban(anna, room, ben_id, true).await.status(), 204);
    let left = ben_ws.until(|e| matches!(e, ServerEvent::MemberLeft { .. })).await;
    assert!(matches!(left.last(), Some(ServerEvent::MemberLeft { user, .. }) if user.id == ben_id));
    assert_problem(app.join_room(ben, room).await, 403, "banned").await;
    assert_problem(app.history(ben, room, "").await, 403, "banned").await;
    assert_problem(app.add_member(anna, room, ben_id).await, 403, "banned").await;
    let members = app.members_ok(anna, room).await.members;
    assert!(members.iter().all(|m| m.user.id != ben_id), "removed");
    let bans: BanList = app.bans(anna, room).await.json().await.expect("BanList");
    assert_eq!(bans.users.iter().map(|u| u.id).collect::<Vec<_>>(), [ben_id]);
    assert_problem(app.bans(cleo, room).await, 403, "forbidden").await;
    assert_eq!(app.ban(anna, room, ben_id, true).await.status(), 204, "idempotent");

    // A private room the server admin is not in: they may still moderate it; others see nothing.
    let private = app.create_room(anna, "secret", "private").await.id;
    assert_eq!(app.add_member(anna, private, users[2].user.id).await.status(), 200);
    assert_problem(app.ban(ben, private, users[2].user.id, true).await, 404, "not_found").await;
    assert_eq!(app.ban(&admin, private, users[2].user.id, true).await.status(), 204);
    assert_problem(app.history(cleo, private, "").await, 404, "not_found").await;
    assert_eq!(app.ban(&admin, private, users[2].user.id, false).await.status(), 204);

    assert_eq!(app.ban(anna, room, ben_id, false).await.status(), 204);
    assert_eq!(app.ban(anna, room, ben_id, false).await.status(), 204, "idempotent");
    app.join(ben, room).await;
    let actions = audit_actions(&app, &admin).await;
    let kinds: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(kinds, ["room.unban", "room.unban", "room.ban", "room.ban"], "a repeat is not an action");
    assert_eq!(actions[3].1.as_deref(), Some("anna"));
    assert_eq!(actions[3].2.as_deref(), Some("ben"));
}

/// A server admin renames a private room they are not in and changes roles in it; the room and
/// the member hear of the role, and both changes are in the audit log. A room admin may rename,
/// not change roles.
async fn server_admins_manage_any_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await.access_token;
    let ben = app.register("ben").await;
    let carl = app.register("carl").await;
    let room = app.create_room(&ben.access_token, "hidden", "private").await;
    assert_eq!(app.add_member(&ben.access_token, room.id, carl.user.id).await.status(), 200);
    let mut carls = app.ws(&carl.access_token).await;
    let mut bens = app.ws(&ben.access_token).await;
    bens.subscribe(room.id, None).await;

    let res = app.update_room(&anna, room.id, &json!({"name": "renamed", "topic": "by the admin"})).await;
    assert_eq!(res.status(), 200);
    let res = app.set_role(&anna, room.id, carl.user.id, "admin").await;
    assert_eq!(res.status(), 200);
    let role_of = |e: &ServerEvent| match e {
        ServerEvent::MemberUpdated { room_id, user, role, .. } if *room_id == room.id => Some((user.id, *role)),
        _ => None,
    };
    for ws in [&mut bens, &mut carls] {
        let events = ws.until(|e| role_of(e).is_some()).await;
        assert_eq!(events.last().and_then(role_of), Some((carl.user.id, Role::Admin)));
    }
    let changed = app.update_room(&carl.access_token, room.id, &json!({"topic": "now mine"})).await;
    assert_eq!(changed.status(), 200, "a room admin may change the room");
    assert_problem(app.set_role(&carl.access_token, room.id, carl.user.id, "owner").await, 403, "forbidden").await;
    let actions = audit_actions(&app, &anna).await;
    let room_actions: Vec<_> = actions.iter().filter(|a| a.0.starts_with("room.")).cloned().collect();
    assert_eq!(
        room_actions,
        [
            ("room.updated".to_owned(), Some("carl".to_owned()), None),
            ("room.role".to_owned(), Some("anna".to_owned()), Some("carl".to_owned())),
            ("room.updated".to_owned(), Some("anna".to_owned()), None),
        ]
    );
}

async fn admin_endpoints_refuse_members_and_strangers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("anna").await;
    let ben = app.register("ben").await;
    let member = ben.access_token.as_str();
    let id = ben.user.id;
    let calls = [
        app.admin_users(member, "").await,
        app.admin_update_user(member, id, &json!({"role": "admin"})).await,
        app.admin_password_reset(member, id).await,
        app.audit(member, "").await,
    ];
    for res in calls {
        assert_problem(res, 403, "forbidden").await;
    }
    let calls = [
        app.admin_users("not-a-token", "").await,
        app.admin_update_user("not-a-token", id, &json!({"role": "admin"})).await,
        app.admin_password_reset("not-a-token", id).await,
        app.audit("not-a-token", "").await,
    ];
    for res in calls {
        assert_eq!(res.status(), 401);
    }
}

async fn the_admin_command_deactivates_and_resets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await.access_token;
    let ben = app.register("ben").await;
    let run = |args: &[&str], stdin: &str| {
        let out = app.cli(args, stdin);
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let mut ws = app.ws(&ben.access_token).await;
    let (ok, text) = run(&["admin", "deactivate", "BEN"], "");
    assert!(ok && text.contains("ben is deactivated (1 sessions ended)"), "{text}");
    assert_eq!(ws.closed().await, 4003, "the running server closes the socket the shell's change ended");
    assert_problem(app.me(&ben.access_token).await, 401, "session_revoked").await;
    assert_problem(app.login("ben", "password123").await, 403, "account_deactivated").await;
    let (ok, text) = run(&["admin", "deactivate", "anna"], "");
    assert!(!ok && text.contains("active admin"), "the last admin stays: {text}");
    let (ok, _) = run(&["admin", "deactivate", "ben", "--undo"], "");
    assert!(ok);
    app.login_ok("ben", "password123").await;

    let (ok, text) = run(&["admin", "reset-password", "ben"], "");
    assert!(ok, "{text}");
    let token = text.split("/#/reset/").nth(1).and_then(|t| t.split_whitespace().next()).expect("a link").to_owned();
    assert_eq!(app.reset_password(&token, "set from a link").await.status(), 204);
    app.login_ok("ben", "set from a link").await;
    let (ok, text) = run(
        &["admin", "reset-password", "ben", "--password-stdin"],
        "typed at the shell
",
    );
    assert!(ok && text.contains("password is set"), "{text}");
    app.login_ok("ben", "typed at the shell").await;
    let (ok, text) = run(&["admin", "reset-password", "nobody"], "");
    assert!(!ok && text.contains("no account named"), "{text}");
    let (ok, _) = run(
        &["admin", "reset-password", "ben", "--password-stdin"],
        "short
",
    );
    assert!(!ok, "a short password is refused");

    let log: AuditLog = app.audit(&anna, "").await.json().await.expect("AuditLog");
    let cli: Vec<&str> = log.entries.iter().filter(|e| e.actor.is_none()).map(|e| e.action.as_str()).collect();
    assert_eq!(cli, ["user.password_set", "user.password_reset", "user.reactivated", "user.deactivated"]);
    assert!(
        log.entries
            .iter()
            .any(|e| e.action == "user.password_reset_used" && e.target.as_ref().is_some_and(|t| t.username == "ben"))
    );
}

/// Two nodes: deactivating on one closes the account's sockets on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_closes_sockets_on_every_node() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start(2, SHARED_REDIS);
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let anna = a.register("anna").await.access_token;
    let ben = b.register("ben").await;
    let mut on_a = a.ws(&ben.access_token).await;
    let mut on_b = b.ws(&ben.access_token).await;
    update(a, &anna, ben.user.id, json!({"deactivated": true})).await;
    assert_eq!(on_a.closed().await, 4003);
    assert_eq!(on_b.closed().await, 4003, "the node that did not do it closes too");
    assert_problem(b.login("ben", "password123").await, 403, "account_deactivated").await;
}
