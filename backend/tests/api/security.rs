//! The holes an outside review found (security round 2), each with the attack it reproduced:
//! forged refresh tokens, names that log into someone else's account, lockouts, unthrottled
//! writes, an unbounded hashing queue, probing private room names, presence of strangers.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{PresenceList, Room, RoomList, TokenPair};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;

both_stores!(
    the_refresh_token_is_opaque,
    a_forged_refresh_token_touches_nothing,
    two_tabs_refreshing_at_once_stay_logged_in,
    reuse_after_the_grace_still_revokes,
    unicode_lookalike_names_do_not_log_in,
    unicode_lookalike_names_cannot_register,
    failed_logins_from_one_address_do_not_lock_out_another,
    edits_and_deletes_are_rate_limited,
    password_guesses_are_rate_limited,
    password_work_is_bounded,
    room_creation_is_rate_limited,
    other_writes_are_rate_limited,
    each_write_costs_one_token,
    room_list_pages,
    room_list_filters_by_membership,
    room_list_parameters_are_validated,
    private_room_names_cannot_be_probed,
    invisible_characters_are_refused_in_room_names,
    presence_shows_only_people_i_share_a_room_with,
);

async fn the_refresh_token_is_opaque(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("alice").await;
    assert!(
        pair.refresh_token.len() == 43 && !pair.refresh_token.contains('.'),
        "the refresh token is opaque: {}",
        pair.refresh_token
    );
}

async fn a_forged_refresh_token_touches_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("alice").await;
    let mut ws = app.ws(&pair.access_token).await;
    let sessions = app.sessions_ok(&pair.access_token).await;
    let id = sessions.sessions[0].id;
    // The review's attack: "<session id>.<any 43 chars>" used to revoke that session.
    for forged in [format!("{id}.{}", "A".repeat(43)), "A".repeat(43), format!("{id}.x")] {
        assert_problem(app.refresh(&forged).await, 401, "unauthenticated").await;
    }
    ws.send(&confab_shared::ClientEvent::Ping).await;
    assert!(matches!(ws.recv().await, confab_shared::ServerEvent::Pong), "the socket stays open");
    assert_eq!(app.me(&pair.access_token).await.status(), 200, "the session is alive");
    assert_eq!(app.refresh(&pair.refresh_token).await.status(), 200, "the real token still works");
}

async fn two_tabs_refreshing_at_once_stay_logged_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("bob").await;
    let mut current = pair.refresh_token.clone();
    for round in 0..5 {
        // Two tabs, one token, the same moment.
        let (a, b) = tokio::join!(app.refresh(&current), app.refresh(&current));
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200), "round {round}");
        let a: TokenPair = a.json().await.expect("pair");
        let b: TokenPair = b.json().await.expect("pair");
        assert_eq!(a.refresh_token, b.refresh_token, "both tabs hold the session's current token");
        for access in [&a.access_token, &b.access_token] {
            assert_eq!(app.me(access).await.status(), 200);
        }
        current = a.refresh_token;
    }
    assert_eq!(app.refresh(&current).await.status(), 200);
}

async fn reuse_after_the_grace_still_revokes(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--refresh-grace-secs", "1"]).await;
    let pair = app.register("carol").await;
    let rotated: TokenPair = app.refresh(&pair.refresh_token).await.json().await.expect("pair");
    let again: TokenPair = app.refresh(&pair.refresh_token).await.json().await.expect("within the grace");
    assert_eq!(again.refresh_token, rotated.refresh_token);
    let mut ws = app.ws(&rotated.access_token).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_problem(app.refresh(&pair.refresh_token).await, 401, "session_revoked").await;
    assert_eq!(ws.closed().await, 4003);
    assert_eq!(app.refresh(&rotated.refresh_token).await.status(), 401);
}

/// Names that look like "kate".
const LOOKALIKES: [&str; 4] = ["\u{212A}ate", "\u{FF4B}ate", "ka\u{200B}te", "KATE\u{0301}"];

async fn unicode_lookalike_names_do_not_log_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("kate").await;
    for name in LOOKALIKES {
        assert_problem(app.login(name, "password123").await, 401, "invalid_credentials").await;
    }
    assert_eq!(app.login("KATE", "password123").await.status(), 200, "ASCII case still does not matter");
}

async fn unicode_lookalike_names_cannot_register(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("kate").await;
    for name in LOOKALIKES {
        assert_problem(app.try_register(name).await, 400, "validation_failed").await;
    }
}

/// A client whose connections come from another loopback address.
fn client_from(addr: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(std::net::IpAddr::from(addr)).build().expect("client")
}

async fn failed_logins_from_one_address_do_not_lock_out_another(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--login-rate-per-minute", "10"]).await;
    app.register("owner").await;
    let attacker = client_from([127, 0, 0, 2]);
    let mut refused = 0;
    for _ in 0..15 {
        if app.login_via(&attacker, "owner", "wrong-guess").await.status() == 429 {
            refused += 1;
        }
    }
    assert!(refused >= 5, "the attacker's address is throttled ({refused} of 15 refused)");
    let res = app.login_via(&client_from([127, 0, 0, 3]), "owner", "password123").await;
    assert_eq!(res.status(), 200, "the owner, elsewhere, is not locked out");
}

async fn edits_and_deletes_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--send-rate", "0.1", "--send-burst", "4"]).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let id = app.send_message_ok(&alice, room, "hello").await.id;
    let mut statuses = Vec::new();
    for i in 0..5 {
        statuses.push(app.edit_message(&alice, room, id, &format!("edit {i}")).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429], "sends and edits share the bucket of 4");
    let res = app.delete_message(&alice, room, id).await;
    let body = assert_problem(res, 429, "rate_limited").await;
    assert!(body["detail"].is_string());
}

async fn password_guesses_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--login-rate-per-minute", "3"]).await;
    let alice = app.register("alice").await.access_token;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(app.change_password(&alice, "wrong-guess", "new-password-1").await.status().as_u16());
    }
    assert_eq!(statuses, [403, 403, 403, 429, 429]);
}

async fn password_work_is_bounded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    // 150 wrong guesses at once: the hashing queue must not grow without bound.
    let guesses = (0..150).map(|_| app.change_password(&alice, "wrong-guess", "new-password-1"));
    let statuses: Vec<u16> =
        futures_util::future::join_all(guesses).await.iter().map(|r| r.status().as_u16()).collect();
    let busy = statuses.iter().filter(|s| **s == 503).count();
    assert!(statuses.iter().all(|s| *s == 403 || *s == 503), "{statuses:?}");
    assert!(busy > 0, "a full queue answers 503 at once ({busy} of 150)");
    assert_eq!(app.login("alice", "password123").await.status(), 200, "logins work once the storm has passed");
}

async fn room_creation_is_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--room-rate-per-hour", "3"]).await;
    let alice = app.register("alice").await.access_token;
    for i in 0..3 {
        app.create_room(&alice, &format!("room-{i}"), "public").await;
    }
    assert_problem(app.create_room_json(&alice, &json!({"name": "one-more"})).await, 429, "rate_limited").await;
}

async fn other_writes_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--action-rate", "0.1", "--action-burst", "6"]).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.join_room(&bob, room).await.status().as_u16());
        statuses.push(app.leave_room(&bob, room).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 204, 200, 204, 200, 204, 429, 429], "joins and leaves share a bucket of 6");
    // The same bucket throttles WebSocket subscribes (a replay is work for the server).
    let mut ws = app.ws(&bob).await;
    let (_, answer) = ws.subscribe(room, None).await;
    assert!(matches!(&answer, confab_shared::ServerEvent::Error { code, .. } if code == "rate_limited"), "{answer:?}");
    assert_eq!(app.rooms(&bob, "").await.status(), 200, "reads are not throttled");
}

/// Each write costs one token of that bucket (the `Auth` extractor takes it), however the
/// handler is written: notification levels, direct rooms and push subscriptions included.
async fn each_write_costs_one_token(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--action-rate", "0.1", "--action-burst", "6"]).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let token = &alice.access_token;
    let room = app.create_room(token, "r", "public").await.id;
    let mut statuses = Vec::new();
    statuses.push(app.set_notify(token, room, "all").await.status().as_u16());
    statuses.push(app.set_notify(token, room, "none").await.status().as_u16());
    statuses.push(app.dm(token, bob.user.id).await.status().as_u16());
    let unsubscribe = app.url("/api/v1/push/subscriptions?endpoint=https%3A%2F%2Fpush.example%2Fx");
    for _ in 0..2 {
        statuses.push(app.http.delete(&unsubscribe).bearer_auth(token).send().await.expect("DELETE").status().as_u16());
    }
    statuses.push(app.dm(token, bob.user.id).await.status().as_u16());
    statuses.push(app.set_notify(token, room, "all").await.status().as_u16());
    assert_eq!(statuses, [204, 204, 201, 204, 204, 429, 429], "the room took 1 of 6; then one each");
}

/// Bob's view: 5 public rooms of Alice's (he joined the first), a private one of hers, and a
/// private one of his; returns (public, alice's private, bob's private, bob's token).
async fn rooms_to_list(app: &TestApp) -> (Vec<i64>, i64, i64, String) {
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let mut public = Vec::new();
    for i in 0..5 {
        public.push(app.create_room(&alice, &format!("public-{i}"), "public").await.id);
    }
    let secret = app.create_room(&alice, "secret", "private").await.id;
    let mine = app.create_room(&bob, "bobs", "private").await.id;
    app.join(&bob, public[0]).await;
    (public, secret, mine, bob)
}

async fn room_list_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (public, secret, mine, bob) = rooms_to_list(&app).await;
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = app.rooms_ok(&bob, &format!("limit=2&after_id={after}")).await;
        assert!(page.rooms.len() <= 2);
        seen.extend(page.rooms.iter().map(|r| r.id));
        if !page.has_more {
            break;
        }
        after = page.rooms.last().expect("a full page").id;
    }
    let mut expected = public.clone();
    expected.push(mine);
    assert_eq!(seen, expected, "every visible room once, by id; never alice's private room");
    assert!(!seen.contains(&secret));
}

async fn room_list_filters_by_membership(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (public, _, mine, bob) = rooms_to_list(&app).await;
    let ids = |list: RoomList| list.rooms.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(app.rooms_ok(&bob, "joined=true").await), vec![public[0], mine]);
    assert_eq!(ids(app.rooms_ok(&bob, "joined=false").await), public[1..].to_vec());
}

async fn room_list_parameters_are_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let bob = app.register("bob").await.access_token;
    for bad in ["limit=0", "limit=201", "after_id=-1", "joined=maybe"] {
        assert_problem(app.rooms(&bob, bad).await, 400, "validation_failed").await;
    }
}

async fn private_room_names_cannot_be_probed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    app.create_room(&alice, "Acquisition Plans", "private").await;
    // Creating or renaming to the private room's name tells bob nothing.
    let res = app.create_room_json(&bob, &json!({"name": "acquisition plans"})).await;
    assert_eq!(res.status(), 201, "a public room may take a private room's name");
    let other = app.create_room(&bob, "other", "private").await.id;
    let res = app.update_room(&bob, other, &json!({"name": "Acquisition Plans"})).await;
    assert_eq!(res.status(), 200);
    let room: Room = res.json().await.expect("room");
    assert_eq!(room.name, "Acquisition Plans");
    // Public names stay unique.
    app.create_room(&alice, "general", "public").await;
    assert_problem(app.create_room_json(&bob, &json!({"name": "GENERAL"})).await, 409, "room_name_taken").await;
}

async fn invisible_characters_are_refused_in_room_names(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "plain", "public").await.id;
    for name in ["gen\u{202E}lareneg", "gen\u{200B}eral", "\u{2067}general\u{2069}", "\u{FEFF}general"] {
        let body =
            assert_problem(app.create_room_json(&alice, &json!({"name": name})).await, 400, "validation_failed").await;
        assert_eq!(body["errors"][0]["field"], "name");
        assert_problem(app.update_room(&alice, room, &json!({"name": name})).await, 400, "validation_failed").await;
    }
}

async fn presence_shows_only_people_i_share_a_room_with(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_room, users) = app.room_with_members(&["ann", "ben"], "private").await;
    let stranger = app.register("stranger").await;
    let _sockets = [
        app.ws(&users[0].access_token).await,
        app.ws(&users[1].access_token).await,
        app.ws(&stranger.access_token).await,
    ];
    let names = |list: PresenceList| list.online.into_iter().map(|u| u.username).collect::<HashSet<_>>();
    let ann = app.presence_ok(&users[0].access_token).await;
    assert_eq!(names(ann), HashSet::from(["ann".to_owned(), "ben".to_owned()]));
    let theirs = app.presence_ok(&stranger.access_token).await;
    assert_eq!(names(theirs), HashSet::from(["stranger".to_owned()]), "a stranger sees only themself");
}
