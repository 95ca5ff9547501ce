//! Rooms, membership, roles, direct rooms, users and presence lists.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{MemberList, Role, Room, RoomList, ServerEvent, UserList, Visibility};
use serde_json::json;

both_stores!(
    create_list_update_delete,
    room_validation,
    private_rooms_are_invisible_to_outsiders,
    roles_and_the_last_owner,
    direct_rooms_are_one_per_pair_even_when_raced,
    user_search_by_prefix,
);

async fn create_list_update_delete(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "  General  ", "public").await;
    assert_eq!(room.name, "General", "trimmed");
    assert_eq!((room.role, room.joined, room.member_count, room.last_seq), (Some(Role::Owner), true, 1, 0));
    assert_eq!(room.visibility, Visibility::Public);

    let res = app.post("/api/v1/rooms", Some(&bob), &json!({"name": "general"})).await;
    assert_problem(res, 409, "room_name_taken").await;

    let list: RoomList = app.get("/api/v1/rooms", &bob).await.json().await.expect("list");
    assert_eq!(list.rooms.len(), 1);
    assert!(!list.rooms[0].joined && list.rooms[0].role.is_none());

    let path = format!("/api/v1/rooms/{}", room.id);
    let res = app.send_json(reqwest::Method::PATCH, &path, Some(&bob), &json!({"topic": "hi"})).await;
    assert_problem(res, 403, "forbidden").await;
    app.join(&bob, room.id).await;
    let joined: Room = app.get(&path, &bob).await.json().await.expect("room");
    assert_eq!((joined.member_count, joined.role), (2, Some(Role::Member)));
    let res = app.send_json(reqwest::Method::PATCH, &path, Some(&bob), &json!({"topic": "hi"})).await;
    assert_problem(res, 403, "forbidden").await;

    let res =
        app.send_json(reqwest::Method::PATCH, &path, Some(&alice), &json!({"name": "Lobby", "topic": "Say hi"})).await;
    let updated: Room = res.json().await.expect("room");
    assert_eq!((updated.name.as_str(), updated.topic.as_str()), ("Lobby", "Say hi"));

    assert_problem(app.delete(&path, &bob).await, 403, "forbidden").await;
    assert_eq!(app.delete(&path, &alice).await.status(), 204);
    assert_problem(app.get(&path, &alice).await, 404, "not_found").await;
}

async fn room_validation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    for (body, field) in [
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(65)}), "name"),
        (json!({"name": "bad\u{7}name"}), "name"),
        (json!({"name": "ok", "topic": "t".repeat(513)}), "topic"),
        (json!({"name": "ok", "visibility": "secret"}), "visibility"),
        (json!({"topic": "no name"}), "name"),
        (json!(["array-room", "a topic", "private"]), "body"),
    ] {
        let problem =
            assert_problem(app.post("/api/v1/rooms", Some(&alice), &body).await, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    assert_problem(app.get("/api/v1/rooms/999", &alice).await, 404, "not_found").await;
}

async fn private_rooms_are_invisible_to_outsiders(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "secret", "private").await;
    let path = format!("/api/v1/rooms/{}", room.id);
    let bob_token = &bob.access_token;
    let list: RoomList = app.get("/api/v1/rooms", bob_token).await.json().await.expect("list");
    assert!(list.rooms.is_empty(), "private rooms are not listed to outsiders");
    assert_problem(app.get(&path, bob_token).await, 404, "not_found").await;
    assert_problem(app.put(&format!("{path}/members/me"), bob_token).await, 404, "not_found").await;
    assert_problem(app.get(&format!("{path}/messages"), bob_token).await, 404, "not_found").await;
    assert_problem(app.get(&format!("{path}/members"), bob_token).await, 404, "not_found").await;
    let res = app.post(&format!("{path}/messages"), Some(bob_token), &json!({"body": "hi"})).await;
    assert_problem(res, 404, "not_found").await;

    // Added by the owner, Bob sees it.
    let res = app.put(&format!("{path}/members/{}", bob.user.id), &alice).await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get(&path, bob_token).await.status(), 200);
    let members: MemberList = app.get(&format!("{path}/members"), bob_token).await.json().await.expect("members");
    assert_eq!(members.members.len(), 2);
    assert!(members.members.iter().all(|m| !m.online), "nobody has a socket open");
    // A member cannot add or remove others.
    let carol = app.register("carol").await;
    assert_problem(app.put(&format!("{path}/members/{}", carol.user.id), bob_token).await, 403, "forbidden").await;
    // The owner removes Bob: the room disappears for him again.
    assert_eq!(app.delete(&format!("{path}/members/{}", bob.user.id), &alice).await.status(), 204);
    assert_problem(app.get(&path, bob_token).await, 404, "not_found").await;
}

async fn roles_and_the_last_owner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let room = app.create_room(&alice.access_token, "team", "public").await;
    app.join(&bob.access_token, room.id).await;
    app.join(&carol.access_token, room.id).await;
    let path = format!("/api/v1/rooms/{}", room.id);

    let res = app.delete(&format!("{path}/members/me"), &alice.access_token).await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert!(problem["detail"].as_str().unwrap_or("").contains("last owner"));

    let role = |who: i64, role: &str| (format!("{path}/members/{who}/role"), json!({"role": role}));
    let (p, b) = role(carol.user.id, "admin");
    assert_problem(app.send_json(reqwest::Method::PUT, &p, Some(&bob.access_token), &b).await, 403, "forbidden").await;
    let (p, b) = role(bob.user.id, "admin");
    assert_eq!(app.send_json(reqwest::Method::PUT, &p, Some(&alice.access_token), &b).await.status(), 200);
    // An admin edits the room and removes members, but not the owner.
    let res =
        app.send_json(reqwest::Method::PATCH, &path, Some(&bob.access_token), &json!({"topic": "by admin"})).await;
    assert_eq!(res.status(), 200);
    assert_problem(app.delete(&format!("{path}/members/{}", alice.user.id), &bob.access_token).await, 403, "forbidden")
        .await;
    assert_eq!(app.delete(&format!("{path}/members/{}", carol.user.id), &bob.access_token).await.status(), 204);
    // Hand ownership over, then the former owner may leave.
    let (p, b) = role(bob.user.id, "owner");
    assert_eq!(app.send_json(reqwest::Method::PUT, &p, Some(&alice.access_token), &b).await.status(), 200);
    assert_eq!(app.delete(&format!("{path}/members/me"), &alice.access_token).await.status(), 204);
    let (p, b) = role(bob.user.id, "member");
    let res = app.send_json(reqwest::Method::PUT, &p, Some(&bob.access_token), &b).await;
    assert_problem(res, 409, "conflict").await;
}

async fn direct_rooms_are_one_per_pair_even_when_raced(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut calls = Vec::new();
    for i in 0..10 {
        let (token, other) =
            if i % 2 == 0 { (&alice.access_token, bob.user.id) } else { (&bob.access_token, alice.user.id) };
        let app = &app;
        calls.push(async move { app.post("/api/v1/dms", Some(token), &json!({"user_id": other})).await });
    }
    let responses = futures_util::future::join_all(calls).await;
    let mut ids = Vec::new();
    let mut created = 0;
    for res in responses {
        let status = res.status().as_u16();
        assert!(status == 200 || status == 201, "status {status}");
        created += usize::from(status == 201);
        let room: Room = res.json().await.expect("room");
        ids.push(room.id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one direct room: {ids:?}");
    assert_eq!(created, 1, "created exactly once");
    let room: Room =
        app.get(&format!("/api/v1/rooms/{}", ids[0]), &alice.access_token).await.json().await.expect("room");
    assert_eq!(room.name, "bob", "named after the other participant");
    assert_eq!(room.visibility, Visibility::Private);
    // A direct room with oneself is a notes-to-self room.
    let res = app.post("/api/v1/dms", Some(&alice.access_token), &json!({"user_id": alice.user.id})).await;
    assert_eq!(res.status(), 201);
    let notes: Room = res.json().await.expect("room");
    assert_eq!((notes.name.as_str(), notes.member_count, notes.joined), ("alice", 1, true));
    let again = app.post("/api/v1/dms", Some(&alice.access_token), &json!({"user_id": alice.user.id})).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Room>().await.expect("room").id, notes.id);
    let res = app.post("/api/v1/dms", Some(&alice.access_token), &json!({"user_id": 9999})).await;
    assert_problem(res, 404, "not_found").await;
    let outsider = app.register("carol").await;
    assert_problem(app.get(&format!("/api/v1/rooms/{}", ids[0]), &outsider.access_token).await, 404, "not_found").await;
}

async fn user_search_by_prefix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.register("alice").await.access_token;
    for name in ["Albert", "alfred", "bob", "al.x", "al-y"] {
        app.register(name).await;
    }
    let names = |list: UserList| list.users.into_iter().map(|u| u.username).collect::<Vec<_>>();
    let found = names(app.get("/api/v1/users?q=AL", &token).await.json().await.expect("users"));
    assert_eq!(found, ["al-y", "al.x", "Albert", "alfred", "alice"]);
    let found = names(app.get("/api/v1/users?q=alf", &token).await.json().await.expect("users"));
    assert_eq!(found, ["alfred"]);
    let found = names(app.get("/api/v1/users?q=%25", &token).await.json().await.expect("users"));
    assert!(found.is_empty(), "no wildcard search");
    let long = "a".repeat(33);
    assert_problem(app.get(&format!("/api/v1/users?q={long}"), &token).await, 400, "validation_failed").await;
    for i in 0..25 {
        app.register(&format!("zed{i:02}")).await;
    }
    let found = names(app.get("/api/v1/users?q=zed", &token).await.json().await.expect("users"));
    assert_eq!(found.len(), 20, "at most 20");
    let online: serde_json::Value = app.get("/api/v1/presence", &token).await.json().await.expect("presence");
    assert_eq!(online["online"], json!([]));
}

both_stores!(new_accounts_join_the_default_room);

/// The first account creates `#general` and owns it; every later one joins it, and its members
/// are told.
async fn new_accounts_join_the_default_room(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--default-room", "general"]).await;
    let anna = app.register("anna").await;
    let rooms: serde_json::Value = app.get("/api/v1/rooms", &anna.access_token).await.json().await.expect("rooms");
    assert_eq!(rooms["rooms"][0]["name"], "general");
    assert_eq!(rooms["rooms"][0]["role"], "owner");
    let general = rooms["rooms"][0]["id"].as_i64().expect("id");
    let mut ws = app.ws(&anna.access_token).await;
    ws.subscribe(general, None).await;
    let ben = app.register("ben").await;
    let joined = ws.until(|e| matches!(e, ServerEvent::MemberJoined { .. })).await;
    assert!(matches!(joined.last(), Some(ServerEvent::MemberJoined { user, .. }) if user.id == ben.user.id));
    let rooms: serde_json::Value = app.get("/api/v1/rooms", &ben.access_token).await.json().await.expect("rooms");
    assert_eq!((rooms["rooms"][0]["id"].as_i64(), &rooms["rooms"][0]["role"]), (Some(general), &json!("member")));
}
