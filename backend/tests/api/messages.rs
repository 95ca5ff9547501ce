//! Sending, history paging, idempotency, edits and deletes, seq allocation, unread counts.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{Message, MessageList, Room};
use serde_json::json;

both_stores!(
    send_and_page_history,
    sends_are_idempotent_by_client_id,
    message_validation,
    edit_and_delete_rules,
    concurrent_senders_get_gapless_seqs,
    unread_counts_and_read_markers,
    public_history_is_readable_by_any_user,
);

async fn send(app: &TestApp, token: &str, room: i64, body: &str) -> Message {
    let res = app.post(&format!("/api/v1/rooms/{room}/messages"), Some(token), &json!({"body": body})).await;
    assert_eq!(res.status(), 201, "send {body}");
    res.json().await.expect("message")
}

async fn history(app: &TestApp, token: &str, room: i64, query: &str) -> MessageList {
    let res = app.get(&format!("/api/v1/rooms/{room}/messages{query}"), token).await;
    assert_eq!(res.status(), 200, "history {query}");
    res.json().await.expect("page")
}

fn seqs(page: &MessageList) -> Vec<i64> {
    page.messages.iter().map(|m| m.seq).collect()
}

async fn send_and_page_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let empty = history(&app, &alice, room, "").await;
    assert!(empty.messages.is_empty() && !empty.has_more);
    for i in 1..=7 {
        let m = send(&app, &alice, room, &format!("m{i}")).await;
        assert_eq!((m.seq, m.room_id, m.author.username.as_str()), (i, room, "alice"));
    }
    let newest = history(&app, &alice, room, "?limit=3").await;
    assert_eq!((seqs(&newest), newest.has_more), (vec![5, 6, 7], true));
    let older = history(&app, &alice, room, "?limit=3&before_seq=5").await;
    assert_eq!((seqs(&older), older.has_more), (vec![2, 3, 4], true));
    let oldest = history(&app, &alice, room, "?limit=3&before_seq=2").await;
    assert_eq!((seqs(&oldest), oldest.has_more), (vec![1], false));
    let forward = history(&app, &alice, room, "?after_seq=2&limit=3").await;
    assert_eq!((seqs(&forward), forward.has_more), (vec![3, 4, 5], true));
    let tail = history(&app, &alice, room, "?after_seq=5&limit=3").await;
    assert_eq!((seqs(&tail), tail.has_more), (vec![6, 7], false));
    let window = history(&app, &alice, room, "?after_seq=2&before_seq=5").await;
    assert_eq!((seqs(&window), window.has_more), (vec![3, 4], false));
    let exact = history(&app, &alice, room, "?limit=7").await;
    assert_eq!((exact.messages.len(), exact.has_more), (7, false));
    for bad in ["?limit=0", "?limit=201", "?before_seq=-1", "?after_seq=-5"] {
        assert_problem(app.get(&format!("/api/v1/rooms/{room}/messages{bad}"), &alice).await, 400, "validation_failed")
            .await;
    }
    assert_eq!(history(&app, &alice, room, "?limit=200").await.messages.len(), 7);
}

async fn sends_are_idempotent_by_client_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    app.join(&bob, room).await;
    let path = format!("/api/v1/rooms/{room}/messages");
    let first = app.post(&path, Some(&alice), &json!({"body": "once", "client_id": "c-1"})).await;
    assert_eq!(first.status(), 201);
    let first: Message = first.json().await.expect("message");
    let again = app.post(&path, Some(&alice), &json!({"body": "once", "client_id": "c-1"})).await;
    assert_eq!(again.status(), 200, "a repeat answers 200");
    assert_eq!(again.json::<Message>().await.expect("message"), first);
    // Another author may use the same client_id.
    let bobs = app.post(&path, Some(&bob), &json!({"body": "mine", "client_id": "c-1"})).await;
    assert_eq!(bobs.status(), 201);
    // Concurrent repeats still write one message.
    let calls =
        (0..8).map(|_| async { app.post(&path, Some(&alice), &json!({"body": "raced", "client_id": "c-2"})).await });
    let statuses: Vec<u16> = futures_util::future::join_all(calls).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 200));
    let page = history(&app, &alice, room, "").await;
    assert_eq!(seqs(&page), vec![1, 2, 3], "no duplicate and no gap");
    // A client_id names one message: reusing it in another room is a conflict.
    let other = app.create_room(&alice, "other", "public").await.id;
    let res = app
        .post(&format!("/api/v1/rooms/{other}/messages"), Some(&alice), &json!({"body": "x", "client_id": "c-1"}))
        .await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert_eq!(problem["errors"][0]["field"], "client_id");
}

async fn message_validation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let path = format!("/api/v1/rooms/{room}/messages");
    for (body, field) in [
        (json!({"body": ""}), "body"),
        (json!({"body": " \n\t "}), "body"),
        (json!({"body": "a".repeat(4001)}), "body"),
        (json!({"body": "null\u{0}byte"}), "body"),
        (json!({"body": "ok", "client_id": ""}), "client_id"),
        (json!({"body": "ok", "client_id": "x".repeat(65)}), "client_id"),
        (json!({"body": 5}), "body"),
        (json!({"text": "wrong field"}), "text"),
    ] {
        let problem = assert_problem(app.post(&path, Some(&alice), &body).await, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    let long = "é".repeat(4000);
    assert_eq!(send(&app, &alice, room, &long).await.body, long, "4000 characters, not bytes");
    assert_eq!(send(&app, &alice, room, "tab\tand\nnewline").await.body, "tab\tand\nnewline");
    let res = app.post(&path, Some(&bob), &json!({"body": "not a member"})).await;
    assert_problem(res, 403, "not_a_member").await;
    assert_problem(app.post("/api/v1/rooms/999/messages", Some(&alice), &json!({"body": "x"})).await, 404, "not_found")
        .await;
}

async fn edit_and_delete_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    app.join(&bob, room).await;
    let bobs = send(&app, &bob, room, "bob's").await;
    let alices = send(&app, &alice, room, "alice's").await;
    let msg = |id: i64| format!("/api/v1/rooms/{room}/messages/{id}");

    let res = app.send_json(reqwest::Method::PATCH, &msg(bobs.id), Some(&alice), &json!({"body": "hijack"})).await;
    assert_problem(res, 403, "forbidden").await;
    let res = app.send_json(reqwest::Method::PATCH, &msg(bobs.id), Some(&bob), &json!({"body": "edited"})).await;
    assert_eq!(res.status(), 200);
    let edited: Message = res.json().await.expect("message");
    assert_eq!((edited.body.as_str(), edited.seq), ("edited", bobs.seq), "an edit keeps the message's place");
    assert!(edited.edited_at.is_some());
    let res = app.send_json(reqwest::Method::PATCH, &msg(bobs.id), Some(&bob), &json!({"body": ""})).await;
    assert_problem(res, 400, "validation_failed").await;

    // A member may not delete others' messages; the owner may.
    assert_problem(app.delete(&msg(alices.id), &bob).await, 403, "forbidden").await;
    assert_eq!(app.delete(&msg(bobs.id), &alice).await.status(), 204);
    assert_eq!(app.delete(&msg(alices.id), &alice).await.status(), 204);
    assert_problem(app.delete(&msg(alices.id), &alice).await, 404, "not_found").await;
    let res = app.send_json(reqwest::Method::PATCH, &msg(alices.id), Some(&alice), &json!({"body": "zombie"})).await;
    assert_problem(res, 404, "not_found").await;
    assert_problem(app.delete(&msg(9999), &alice).await, 404, "not_found").await;

    let page = history(&app, &alice, room, "").await;
    assert_eq!(page.messages.len(), 2, "tombstones keep their place");
    assert!(page.messages.iter().all(|m| m.deleted && m.body.is_empty()));
    let room: Room = app.get(&format!("/api/v1/rooms/{room}"), &alice).await.json().await.expect("room");
    assert_eq!(room.last_seq, 5, "2 sends + 1 edit + 2 deletes each took a seq");
}

async fn concurrent_senders_get_gapless_seqs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("owner").await.access_token;
    let room = app.create_room(&owner, "busy", "public").await.id;
    let mut tokens = Vec::new();
    for i in 0..50 {
        let token = app.register(&format!("sender{i:02}")).await.access_token;
        app.join(&token, room).await;
        tokens.push(token);
    }
    let per_sender = 4;
    let sends = tokens.iter().map(|token| {
        let app = &app;
        async move {
            let mut seqs = Vec::new();
            for i in 0..per_sender {
                seqs.push(send(app, token, room, &format!("hello {i}")).await.seq);
            }
            seqs
        }
    });
    let mut all: Vec<i64> = futures_util::future::join_all(sends).await.into_iter().flatten().collect();
    all.sort();
    let expected: Vec<i64> = (1..=(50 * per_sender) as i64).collect();
    assert_eq!(all, expected, "every seq exactly once, no gap");
    let page = history(&app, &owner, room, "?limit=200").await;
    assert_eq!(seqs(&page), expected);
}

async fn unread_counts_and_read_markers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    app.join(&bob, room).await;
    let unread = |token: String| {
        let app = &app;
        async move {
            let room: Room = app.get(&format!("/api/v1/rooms/{room}"), &token).await.json().await.expect("room");
            room.unread_count
        }
    };
    let a1 = send(&app, &alice, room, "1").await;
    let a2 = send(&app, &alice, room, "2").await;
    send(&app, &bob, room, "mine").await;
    let a3 = send(&app, &alice, room, "3").await;
    assert_eq!(unread(bob.clone()).await, 3, "my own message does not count");
    assert_eq!(unread(alice.clone()).await, 1);
    // An edit does not add an unread message; a delete removes one.
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/rooms/{room}/messages/{}", a1.id),
            Some(&alice),
            &json!({"body": "1'"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(unread(bob.clone()).await, 3);
    assert_eq!(app.delete(&format!("/api/v1/rooms/{room}/messages/{}", a2.id), &alice).await.status(), 204);
    assert_eq!(unread(bob.clone()).await, 2);

    let read_path = format!("/api/v1/rooms/{room}/read");
    let read = |seq: i64| {
        let (app, path, bob) = (&app, &read_path, &bob);
        async move { app.send_json(reqwest::Method::PUT, path, Some(bob), &json!({"seq": seq})).await }
    };
    assert_eq!(read(a1.seq).await.status(), 204);
    assert_eq!(unread(bob.clone()).await, 1, "only message 3 is after the marker");
    assert_eq!(read(0).await.status(), 204, "moving back is accepted and ignored");
    assert_eq!(unread(bob.clone()).await, 1, "the marker never moves backwards");
    assert_eq!(read(a3.seq).await.status(), 204);
    assert_eq!(unread(bob.clone()).await, 0);
    assert_eq!(read(1_000_000).await.status(), 204, "past the head is clamped");
    send(&app, &alice, room, "4").await;
    assert_eq!(unread(bob.clone()).await, 1);
    assert_problem(read(-1).await, 400, "validation_failed").await;
    let list: confab_shared::RoomList = app.get("/api/v1/rooms", &bob).await.json().await.expect("rooms");
    assert_eq!(list.rooms[0].unread_count, 1, "the room list carries the same count");
}

async fn public_history_is_readable_by_any_user(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "open", "public").await.id;
    send(&app, &alice, room, "visible").await;
    let page = history(&app, &bob, room, "").await;
    assert_eq!(page.messages[0].body, "visible");
    let res = app
        .send_json(reqwest::Method::PUT, &format!("/api/v1/rooms/{room}/read"), Some(&bob), &json!({"seq": 1}))
        .await;
    assert_problem(res, 403, "not_a_member").await;
}
