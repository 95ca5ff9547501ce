//! Rooms, membership, roles, direct rooms, users and presence lists.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{Role, Room, ServerEvent, UserList, Visibility};
use serde_json::json;

both_stores!(
    creating_a_room_trims_the_name_and_makes_the_creator_owner,
    public_room_names_are_unique_ignoring_case,
    the_room_list_shows_public_rooms_not_joined,
    joining_a_room_makes_a_member,
    only_owners_and_admins_update_a_room,
    only_the_owner_deletes_a_room,
    room_fields_are_validated,
    an_unknown_room_is_not_found,
    private_rooms_are_invisible_to_outsiders,
    a_member_added_by_the_owner_sees_the_private_room,
    members_cannot_add_others,
    a_removed_member_no_longer_sees_the_private_room,
    the_last_owner_cannot_leave,
    members_cannot_change_roles,
    an_admin_edits_the_room_and_removes_members_but_not_the_owner,
    handing_over_ownership_lets_the_former_owner_leave,
    direct_rooms_are_one_per_pair_even_when_raced,
    a_direct_room_with_oneself_is_a_notes_room,
    a_direct_room_with_an_unknown_user_is_not_found,
    outsiders_do_not_see_a_direct_room,
    user_search_by_prefix,
    user_search_has_no_wildcards,
    a_too_long_user_search_is_refused,
    user_search_returns_at_most_20,
    presence_is_empty_without_sockets,
);

async fn creating_a_room_trims_the_name_and_makes_the_creator_owner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "  General  ", "public").await;
    assert_eq!(room.name, "General", "trimmed");
    assert_eq!((room.role, room.joined, room.member_count, room.last_seq), (Some(Role::Owner), true, 1, 0));
    assert_eq!(room.visibility, Visibility::Public);
}

async fn public_room_names_are_unique_ignoring_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    app.create_room(&alice, "  General  ", "public").await;
    let res = app.create_room_json(&bob, &json!({"name": "general"})).await;
    assert_problem(res, 409, "room_name_taken").await;
}

async fn the_room_list_shows_public_rooms_not_joined(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    app.create_room(&alice, "General", "public").await;
    let list = app.rooms_ok(&bob, "").await;
    assert_eq!(list.rooms.len(), 1);
    assert!(!list.rooms[0].joined && list.rooms[0].role.is_none());
}

async fn joining_a_room_makes_a_member(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "General", "public").await;
    app.join(&bob, room.id).await;
    let joined = app.room_ok(&bob, room.id).await;
    assert_eq!((joined.member_count, joined.role), (2, Some(Role::Member)));
}

async fn only_owners_and_admins_update_a_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "General", "public").await.id;
    // Neither an outsider nor a plain member.
    assert_problem(app.update_room(&bob, room, &json!({"topic": "hi"})).await, 403, "forbidden").await;
    app.join(&bob, room).await;
    assert_problem(app.update_room(&bob, room, &json!({"topic": "hi"})).await, 403, "forbidden").await;
    let res = app.update_room(&alice, room, &json!({"name": "Lobby", "topic": "Say hi"})).await;
    let updated: Room = res.json().await.expect("room");
    assert_eq!((updated.name.as_str(), updated.topic.as_str()), ("Lobby", "Say hi"));
}

async fn only_the_owner_deletes_a_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "General", "public").await.id;
    app.join(&bob, room).await;
    assert_problem(app.delete_room(&bob, room).await, 403, "forbidden").await;
    assert_eq!(app.delete_room(&alice, room).await.status(), 204);
    assert_problem(app.room(&alice, room).await, 404, "not_found").await;
}

async fn room_fields_are_validated(backend: Backend) {
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
        let problem = assert_problem(app.create_room_json(&alice, &body).await, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
}

async fn an_unknown_room_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    assert_problem(app.room(&alice, 999).await, 404, "not_found").await;
}

async fn private_rooms_are_invisible_to_outsiders(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "secret", "private").await.id;
    let list = app.rooms_ok(&bob, "").await;
    assert!(list.rooms.is_empty(), "private rooms are not listed to outsiders");
    assert_problem(app.room(&bob, room).await, 404, "not_found").await;
    assert_problem(app.join_room(&bob, room).await, 404, "not_found").await;
    assert_problem(app.history(&bob, room, "").await, 404, "not_found").await;
    assert_problem(app.members(&bob, room).await, 404, "not_found").await;
    assert_problem(app.send_message(&bob, room, "hi").await, 404, "not_found").await;
}

/// Alice's private room, and Bob, whom she added to it.
async fn private_room_with_bob(app: &TestApp) -> (i64, String, confab_shared::TokenPair) {
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice, "secret", "private").await.id;
    assert_eq!(app.add_member(&alice, room, bob.user.id).await.status(), 200);
    (room, alice, bob)
}

async fn a_member_added_by_the_owner_sees_the_private_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, _alice, bob) = private_room_with_bob(&app).await;
    assert_eq!(app.room(&bob.access_token, room).await.status(), 200);
    let members = app.members_ok(&bob.access_token, room).await;
    assert_eq!(members.members.len(), 2);
    assert!(members.members.iter().all(|m| !m.online), "nobody has a socket open");
}

async fn members_cannot_add_others(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, _alice, bob) = private_room_with_bob(&app).await;
    let carol = app.register("carol").await;
    assert_problem(app.add_member(&bob.access_token, room, carol.user.id).await, 403, "forbidden").await;
}

async fn a_removed_member_no_longer_sees_the_private_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, alice, bob) = private_room_with_bob(&app).await;
    assert_eq!(app.remove_member(&alice, room, bob.user.id).await.status(), 204);
    assert_problem(app.room(&bob.access_token, room).await, 404, "not_found").await;
}

/// A public room owned by alice, with bob and carol as members.
async fn team(app: &TestApp) -> (i64, [confab_shared::TokenPair; 3]) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let room = app.create_room(&alice.access_token, "team", "public").await.id;
    app.join(&bob.access_token, room).await;
    app.join(&carol.access_token, room).await;
    (room, [alice, bob, carol])
}

async fn the_last_owner_cannot_leave(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, [alice, ..]) = team(&app).await;
    let problem = assert_problem(app.leave_room(&alice.access_token, room).await, 409, "conflict").await;
    assert!(problem["detail"].as_str().unwrap_or("").contains("last owner"));
}

async fn members_cannot_change_roles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, [_, bob, carol]) = team(&app).await;
    let res = app.set_role(&bob.access_token, room, carol.user.id, "admin").await;
    assert_problem(res, 403, "forbidden").await;
}

async fn an_admin_edits_the_room_and_removes_members_but_not_the_owner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, [alice, bob, carol]) = team(&app).await;
    assert_eq!(app.set_role(&alice.access_token, room, bob.user.id, "admin").await.status(), 200);
    let res = app.update_room(&bob.access_token, room, &json!({"topic": "by admin"})).await;
    assert_eq!(res.status(), 200);
    assert_problem(app.remove_member(&bob.access_token, room, alice.user.id).await, 403, "forbidden").await;
    assert_eq!(app.remove_member(&bob.access_token, room, carol.user.id).await.status(), 204);
}

async fn handing_over_ownership_lets_the_former_owner_leave(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, [alice, bob, _]) = team(&app).await;
    assert_eq!(app.set_role(&alice.access_token, room, bob.user.id, "admin").await.status(), 200);
    assert_eq!(app.set_role(&alice.access_token, room, bob.user.id, "owner").await.status(), 200);
    assert_eq!(app.leave_room(&alice.access_token, room).await.status(), 204);
    // Bob is the last owner now: he may not step down.
    let res = app.set_role(&bob.access_token, room, bob.user.id, "member").await;
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
        calls.push(app.dm(token, other));
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
    let room = app.room_ok(&alice.access_token, ids[0]).await;
    assert_eq!(room.name, "bob", "named after the other participant");
    assert_eq!(room.visibility, Visibility::Private);
}

async fn a_direct_room_with_oneself_is_a_notes_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await;
    let res = app.dm(&alice.access_token, alice.user.id).await;
    assert_eq!(res.status(), 201);
    let notes: Room = res.json().await.expect("room");
    assert_eq!((notes.name.as_str(), notes.member_count, notes.joined), ("alice", 1, true));
    let again = app.dm(&alice.access_token, alice.user.id).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Room>().await.expect("room").id, notes.id);
}

async fn a_direct_room_with_an_unknown_user_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await;
    assert_problem(app.dm(&alice.access_token, 9999).await, 404, "not_found").await;
}

async fn outsiders_do_not_see_a_direct_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room: Room = app.dm(&alice.access_token, bob.user.id).await.json().await.expect("room");
    let outsider = app.register("carol").await;
    assert_problem(app.room(&outsider.access_token, room.id).await, 404, "not_found").await;
}

fn names(list: UserList) -> Vec<String> {
    list.users.into_iter().map(|u| u.username).collect()
}

/// Alice (whose token it returns) and users whose names start with "al" or not.
async fn users_to_find(app: &TestApp) -> String {
    let token = app.register("alice").await.access_token;
    for name in ["Albert", "alfred", "bob", "al.x", "al-y"] {
        app.register(name).await;
    }
    token
}

async fn user_search_by_prefix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = users_to_find(&app).await;
    assert_eq!(names(app.search_users_ok(&token, "AL").await), ["al-y", "al.x", "Albert", "alfred", "alice"]);
    assert_eq!(names(app.search_users_ok(&token, "alf").await), ["alfred"]);
}

async fn user_search_has_no_wildcards(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = users_to_find(&app).await;
    assert!(names(app.search_users_ok(&token, "%").await).is_empty(), "no wildcard search");
}

async fn a_too_long_user_search_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.register("alice").await.access_token;
    assert_problem(app.search_users(&token, &"a".repeat(33)).await, 400, "validation_failed").await;
}

async fn user_search_returns_at_most_20(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.register("alice").await.access_token;
    for i in 0..25 {
        app.register(&format!("zed{i:02}")).await;
    }
    assert_eq!(names(app.search_users_ok(&token, "zed").await).len(), 20, "at most 20");
}

async fn presence_is_empty_without_sockets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.register("alice").await.access_token;
    let online: serde_json::Value = app.presence(&token).await.json().await.expect("presence");
    assert_eq!(online["online"], json!([]));
}

both_stores!(new_accounts_join_the_default_room);

/// The first account creates `#general` and owns it; every later one joins it, and its members
/// are told.
async fn new_accounts_join_the_default_room(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--default-room", "general"]).await;
    let anna = app.register("anna").await;
    let rooms = app.rooms_ok(&anna.access_token, "").await.rooms;
    assert_eq!((rooms.len(), rooms[0].name.as_str(), rooms[0].role), (1, "general", Some(Role::Owner)));
    let general = rooms[0].id;
    let mut ws = app.ws(&anna.access_token).await;
    ws.subscribe(general, None).await;
    let ben = app.register("ben").await;
    let joined = ws.until(|e| matches!(e, ServerEvent::MemberJoined { .. })).await;
    assert!(matches!(joined.last(), Some(ServerEvent::MemberJoined { user, .. }) if user.id == ben.user.id));
    let rooms = app.rooms_ok(&ben.access_token, "").await.rooms;
    assert_eq!((rooms.len(), rooms[0].id, rooms[0].role), (1, general, Some(Role::Member)));
}
