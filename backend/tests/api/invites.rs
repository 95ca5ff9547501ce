//! Who may create an account: the first one (the admin), then the registration policy and the
//! invites admins create; `confab admin` on a running server's store.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{Registration, ServerRole};
use serde_json::json;

both_stores!(
    the_first_account_is_the_admin_and_the_server_says_its_policy,
    an_invite_admits_as_many_accounts_as_it_allows,
    a_revoked_or_unknown_invite_admits_nobody,
    only_admins_manage_invites,
    a_closed_server_admits_only_its_first_account,
    the_admin_command_creates_accounts_roles_and_invites,
);

async fn invite_only(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, &["--registration", "invite"]).await
}

async fn the_first_account_is_the_admin_and_the_server_says_its_policy(backend: Backend) {
    let app = invite_only(backend).await;
    let server = app.server_ok().await;
    assert_eq!((server.name.as_str(), server.registration, server.setup), ("Confab", Registration::Invite, true));
    let anna = app.register("anna").await;
    assert_eq!(anna.user.role, ServerRole::Admin, "no invite needed for the first account");
    assert!(!app.server_ok().await.setup);
    assert_problem(app.try_register("ben").await, 403, "invite_required").await;
}

async fn an_invite_admits_as_many_accounts_as_it_allows(backend: Backend) {
    let app = invite_only(backend).await;
    let anna = app.register("anna").await.access_token;
    let invite = app.create_invite_ok(&anna, &json!({"max_uses": 2, "expires_in": 3600})).await;
    assert!(invite.url.ends_with(&format!("/#/join/{}", invite.code)), "{}", invite.url);
    assert_eq!((invite.max_uses, invite.uses, invite.created_by.username.as_str()), (Some(2), 0, "anna"));
    for name in ["ben", "cleo"] {
        let res = app.register_with_invite(name, &invite.code).await;
        assert_eq!(res.status(), 201, "{name}");
        let pair: confab_shared::TokenPair = res.json().await.expect("tokens");
        assert_eq!(pair.user.role, ServerRole::Member);
    }
    assert_problem(app.register_with_invite("dan", &invite.code).await, 403, "invite_required").await;
    let live = app.invites(&anna).await.json::<confab_shared::InviteList>().await.expect("invites");
    assert!(live.invites.is_empty(), "a used-up invite is not listed");
}

async fn a_revoked_or_unknown_invite_admits_nobody(backend: Backend) {
    let app = invite_only(backend).await;
    let anna = app.register("anna").await.access_token;
    let invite = app.create_invite_ok(&anna, &json!({})).await;
    assert_eq!(app.revoke_invite(&anna, &invite.code).await.status(), 204);
    assert_problem(app.register_with_invite("ben", &invite.code).await, 403, "invite_required").await;
    assert_problem(app.register_with_invite("ben", "no-such-code").await, 403, "invite_required").await;
    let long = "x".repeat(65);
    assert_problem(app.register_with_invite("ben", &long).await, 400, "validation_failed").await;
    let login = json!({"username": "anna", "password": "password123", "invite": long});
    let res = app.http.post(app.url("/api/v1/auth/login")).json(&login).send().await.expect("login");
    assert_problem(res, 400, "validation_failed").await;
    assert_problem(app.revoke_invite(&anna, &invite.code).await, 404, "not_found").await;
}

async fn only_admins_manage_invites(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anna = app.register("anna").await.access_token;
    let ben = app.register("ben").await.access_token;
    let invite = app.create_invite_ok(&anna, &json!({"max_uses": 1})).await;
    assert_problem(app.create_invite(&ben, &json!({})).await, 403, "forbidden").await;
    assert_problem(app.invites(&ben).await, 403, "forbidden").await;
    assert_problem(app.revoke_invite(&ben, &invite.code).await, 403, "forbidden").await;
    assert_problem(app.invites("not-a-token").await, 401, "unauthenticated").await;
    assert_problem(app.create_invite(&anna, &json!({"max_uses": 0})).await, 400, "validation_failed").await;
    assert_problem(app.create_invite(&anna, &json!({"expires_in": 5})).await, 400, "validation_failed").await;
    let too_far = json!({"expires_in": 9_223_372_036_854_775_806_i64});
    assert_problem(app.create_invite(&anna, &too_far).await, 400, "validation_failed").await;
    assert_eq!(app.create_invite(&anna, &json!({"expires_in": 3600.0})).await.status(), 201, "3600.0 is an integer");
}

async fn a_closed_server_admits_only_its_first_account(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--registration", "closed"]).await;
    app.register("anna").await;
    assert_problem(app.try_register("ben").await, 403, "registration_closed").await;
}

async fn the_admin_command_creates_accounts_roles_and_invites(backend: Backend) {
    let app = invite_only(backend).await;
    let out = app.cli(&["admin", "create-user", "root", "--admin", "--password-stdin"], "a long password\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let root = app.login_ok("root", "a long password").await;
    assert_eq!(root.user.role, ServerRole::Admin);
    let out = app.cli(&["admin", "invite", "--uses", "1", "--expires", "7d"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let code = stdout.lines().find_map(|l| l.strip_prefix("invite code: ")).expect("a code").trim().to_owned();
    assert_eq!(app.register_with_invite("ben", &code).await.status(), 201);
    let out = app.cli(&["admin", "set-role", "ben", "admin"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(app.login_ok("ben", "password123").await.user.role, ServerRole::Admin);
    let out = app.cli(&["admin", "set-role", "nobody", "admin"], "");
    assert!(!out.status.success(), "an unknown name fails");
    let out = app.cli(&["admin", "create-user", "x!", "--password-stdin"], "a long password\n");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("username"));
}
