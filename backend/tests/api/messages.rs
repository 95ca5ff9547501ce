//! Sending, history paging, idempotency, edits and deletes, seq allocation, unread counts.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{Message, MessageList};
use serde_json::json;

both_stores!(
    sends_take_consecutive_seqs_and_history_pages_both_ways,
    history_paging_parameters_are_validated,
    a_repeated_send_returns_the_original,
    client_ids_belong_to_their_author,
    concurrent_repeats_store_one_message,
    a_client_id_reused_in_another_room_is_a_conflict,
    message_fields_are_validated,
    bodies_are_limited_in_characters_not_bytes,
    tabs_and_newlines_in_a_body_are_kept,
    non_members_cannot_send,
    sending_to_an_unknown_room_is_not_found,
    only_the_author_edits_a_message,
    an_edit_is_validated,
    members_delete_their_own_messages_and_owners_any,
    a_deleted_message_cannot_be_edited_and_deleting_it_again_changes_nothing,
    deleting_an_unknown_message_is_not_found,
    deletes_leave_tombstones_and_every_change_takes_a_seq,
    concurrent_senders_get_gapless_seqs,
    my_own_messages_are_not_unread,
    edits_do_not_add_unread_messages_and_deletes_remove_them,
    the_read_marker_only_moves_forward,
    a_read_marker_past_the_head_is_clamped,
    a_negative_read_marker_is_refused,
    the_room_list_carries_the_unread_count,
    public_history_is_readable_by_any_user,
    non_members_cannot_set_a_read_marker,
);

fn seqs(page: &MessageList) -> Vec<i64> {
    page.messages.iter().map(|m| m.seq).collect()
}

/// Alice, who owns a public room, and Bob, a member of it.
async fn alice_and_bob(app: &TestApp) -> (String, String, i64) {
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    app.join(&bob, room).await;
    (alice, bob, room)
}

async fn sends_take_consecutive_seqs_and_history_pages_both_ways(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let empty = app.history_ok(&alice, room, "").await;
    assert!(empty.messages.is_empty() && !empty.has_more);
    for i in 1..=7 {
        let m = app.send_message_ok(&alice, room, &format!("m{i}")).await;
        assert_eq!((m.seq, m.room_id, m.author.username.as_str()), (i, room, "alice"));
    }
    let newest = app.history_ok(&alice, room, "limit=3").await;
    assert_eq!((seqs(&newest), newest.has_more), (vec![5, 6, 7], true));
    let older = app.history_ok(&alice, room, "limit=3&before_seq=5").await;
    assert_eq!((seqs(&older), older.has_more), (vec![2, 3, 4], true));
    let oldest = app.history_ok(&alice, room, "limit=3&before_seq=2").await;
    assert_eq!((seqs(&oldest), oldest.has_more), (vec![1], false));
    let forward = app.history_ok(&alice, room, "after_seq=2&limit=3").await;
    assert_eq!((seqs(&forward), forward.has_more), (vec![3, 4, 5], true));
    let tail = app.history_ok(&alice, room, "after_seq=5&limit=3").await;
    assert_eq!((seqs(&tail), tail.has_more), (vec![6, 7], false));
    let window = app.history_ok(&alice, room, "after_seq=2&before_seq=5").await;
    assert_eq!((seqs(&window), window.has_more), (vec![3, 4], false));
    let exact = app.history_ok(&alice, room, "limit=7").await;
    assert_eq!((exact.messages.len(), exact.has_more), (7, false));
}

async fn history_paging_parameters_are_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    for i in 1..=7 {
        app.send_message_ok(&alice, room, &format!("m{i}")).await;
    }
    for bad in ["limit=0", "limit=201", "before_seq=-1", "after_seq=-5"] {
        assert_problem(app.history(&alice, room, bad).await, 400, "validation_failed").await;
    }
    assert_eq!(app.history_ok(&alice, room, "limit=200").await.messages.len(), 7);
}

async fn a_repeated_send_returns_the_original(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, _, room) = alice_and_bob(&app).await;
    let once = json!({"body": "once", "client_id": "c-1"});
    let first = app.send_message_json(&alice, room, &once).await;
    assert_eq!(first.status(), 201);
    let first: Message = first.json().await.expect("message");
    let again = app.send_message_json(&alice, room, &once).await;
    assert_eq!(again.status(), 200, "a repeat answers 200");
    assert_eq!(again.json::<Message>().await.expect("message"), first);
    assert_eq!(seqs(&app.history_ok(&alice, room, "").await), vec![1], "stored once");
}

async fn client_ids_belong_to_their_author(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, room) = alice_and_bob(&app).await;
    let res = app.send_message_json(&alice, room, &json!({"body": "once", "client_id": "c-1"})).await;
    assert_eq!(res.status(), 201);
    // Another author may use the same client_id.
    let bobs = app.send_message_json(&bob, room, &json!({"body": "mine", "client_id": "c-1"})).await;
    assert_eq!(bobs.status(), 201);
    assert_eq!(seqs(&app.history_ok(&alice, room, "").await), vec![1, 2]);
}

async fn concurrent_repeats_store_one_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, room) = alice_and_bob(&app).await;
    // Some messages first, so that a duplicate or a gap would show among them.
    app.send_message_json(&alice, room, &json!({"body": "once", "client_id": "c-1"})).await;
    app.send_message_json(&bob, room, &json!({"body": "mine", "client_id": "c-1"})).await;
    let raced = json!({"body": "raced", "client_id": "c-2"});
    let calls = (0..8).map(|_| app.send_message_json(&alice, room, &raced));
    let statuses: Vec<u16> = futures_util::future::join_all(calls).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 200));
    let page = app.history_ok(&alice, room, "").await;
    assert_eq!(seqs(&page), vec![1, 2, 3], "no duplicate and no gap");
}

async fn a_client_id_reused_in_another_room_is_a_conflict(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, _, room) = alice_and_bob(&app).await;
    let res = app.send_message_json(&alice, room, &json!({"body": "once", "client_id": "c-1"})).await;
    assert_eq!(res.status(), 201);
    // A client_id names one message: reusing it in another room is a conflict.
    let other = app.create_room(&alice, "other", "public").await.id;
    let res = app.send_message_json(&alice, other, &json!({"body": "x", "client_id": "c-1"})).await;
    let problem = assert_problem(res, 409, "conflict").await;
    assert_eq!(problem["errors"][0]["field"], "client_id");
}

async fn message_fields_are_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
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
        let problem = assert_problem(app.send_message_json(&alice, room, &body).await, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
}

async fn bodies_are_limited_in_characters_not_bytes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let long = "é".repeat(4000);
    assert_eq!(app.send_message_ok(&alice, room, &long).await.body, long, "4000 characters, not bytes");
}

async fn tabs_and_newlines_in_a_body_are_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    assert_eq!(app.send_message_ok(&alice, room, "tab\tand\nnewline").await.body, "tab\tand\nnewline");
}

async fn non_members_cannot_send(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    assert_problem(app.send_message(&bob, room, "not a member").await, 403, "not_a_member").await;
}

async fn sending_to_an_unknown_room_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    assert_problem(app.send_message(&alice, 999, "x").await, 404, "not_found").await;
}

/// Alice's room with Bob in it, and one message of each (Bob's first).
async fn a_message_each(app: &TestApp) -> (String, String, i64, Message, Message) {
    let (alice, bob, room) = alice_and_bob(app).await;
    let bobs = app.send_message_ok(&bob, room, "bob's").await;
    let alices = app.send_message_ok(&alice, room, "alice's").await;
    (alice, bob, room, bobs, alices)
}

async fn only_the_author_edits_a_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, room, bobs, _) = a_message_each(&app).await;
    assert_problem(app.edit_message(&alice, room, bobs.id, "hijack").await, 403, "forbidden").await;
    let res = app.edit_message(&bob, room, bobs.id, "edited").await;
    assert_eq!(res.status(), 200);
    let edited: Message = res.json().await.expect("message");
    assert_eq!((edited.body.as_str(), edited.seq), ("edited", bobs.seq), "an edit keeps the message's place");
    assert!(edited.edited_at.is_some());
}

async fn an_edit_is_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, bob, room, bobs, _) = a_message_each(&app).await;
    assert_problem(app.edit_message(&bob, room, bobs.id, "").await, 400, "validation_failed").await;
}

async fn members_delete_their_own_messages_and_owners_any(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, room, bobs, alices) = a_message_each(&app).await;
    // A member may not delete others' messages; the owner may.
    assert_problem(app.delete_message(&bob, room, alices.id).await, 403, "forbidden").await;
    assert_eq!(app.delete_message(&alice, room, bobs.id).await.status(), 204);
    assert_eq!(app.delete_message(&alice, room, alices.id).await.status(), 204);
}

async fn a_deleted_message_cannot_be_edited_and_deleting_it_again_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, _, room, _, alices) = a_message_each(&app).await;
    assert_eq!(app.delete_message(&alice, room, alices.id).await.status(), 204);
    let head = app.room_ok(&alice, room).await.last_seq;
    assert_eq!(app.delete_message(&alice, room, alices.id).await.status(), 204, "DELETE is idempotent");
    assert_eq!(app.room_ok(&alice, room).await.last_seq, head, "no second change");
    assert_problem(app.edit_message(&alice, room, alices.id, "zombie").await, 404, "not_found").await;
}

async fn deleting_an_unknown_message_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, _, room) = alice_and_bob(&app).await;
    assert_problem(app.delete_message(&alice, room, 9999).await, 404, "not_found").await;
}

async fn deletes_leave_tombstones_and_every_change_takes_a_seq(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, room, bobs, alices) = a_message_each(&app).await;
    assert_eq!(app.edit_message(&bob, room, bobs.id, "edited").await.status(), 200);
    assert_eq!(app.delete_message(&alice, room, bobs.id).await.status(), 204);
    assert_eq!(app.delete_message(&alice, room, alices.id).await.status(), 204);
    let page = app.history_ok(&alice, room, "").await;
    assert_eq!(page.messages.len(), 2, "tombstones keep their place");
    assert!(page.messages.iter().all(|m| m.deleted && m.body.is_empty()));
    let room = app.room_ok(&alice, room).await;
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
                seqs.push(app.send_message_ok(token, room, &format!("hello {i}")).await.seq);
            }
            seqs
        }
    });
    let mut all: Vec<i64> = futures_util::future::join_all(sends).await.into_iter().flatten().collect();
    all.sort();
    let expected: Vec<i64> = (1..=(50 * per_sender) as i64).collect();
    assert_eq!(all, expected, "every seq exactly once, no gap");
    let page = app.history_ok(&owner, room, "limit=200").await;
    assert_eq!(seqs(&page), expected);
}

async fn unread(app: &TestApp, token: &str, room: i64) -> i64 {
    app.room_ok(token, room).await.unread_count
}

/// Alice's room with Bob in it, where Alice sent 3 messages around one of Bob's (which the
/// function returns).
async fn three_unread_for_bob(app: &TestApp) -> (String, String, i64, [Message; 3]) {
    let (alice, bob, room) = alice_and_bob(app).await;
    let a1 = app.send_message_ok(&alice, room, "1").await;
    let a2 = app.send_message_ok(&alice, room, "2").await;
    app.send_message_ok(&bob, room, "mine").await;
    let a3 = app.send_message_ok(&alice, room, "3").await;
    (alice, bob, room, [a1, a2, a3])
}

async fn my_own_messages_are_not_unread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, room, _) = three_unread_for_bob(&app).await;
    assert_eq!(unread(&app, &bob, room).await, 3, "my own message does not count");
    assert_eq!(unread(&app, &alice, room).await, 1);
}

async fn edits_do_not_add_unread_messages_and_deletes_remove_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, room, [a1, a2, _]) = three_unread_for_bob(&app).await;
    assert_eq!(app.edit_message(&alice, room, a1.id, "1'").await.status(), 200);
    assert_eq!(unread(&app, &bob, room).await, 3);
    assert_eq!(app.delete_message(&alice, room, a2.id).await.status(), 204);
    assert_eq!(unread(&app, &bob, room).await, 2);
}

async fn the_read_marker_only_moves_forward(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, room, [a1, a2, a3]) = three_unread_for_bob(&app).await;
    assert_eq!(app.delete_message(&alice, room, a2.id).await.status(), 204);
    assert_eq!(app.mark_read(&bob, room, a1.seq).await.status(), 204);
    assert_eq!(unread(&app, &bob, room).await, 1, "only message 3 is after the marker");
    assert_eq!(app.mark_read(&bob, room, 0).await.status(), 204, "moving back is accepted and ignored");
    assert_eq!(unread(&app, &bob, room).await, 1, "the marker never moves backwards");
    assert_eq!(app.mark_read(&bob, room, a3.seq).await.status(), 204);
    assert_eq!(unread(&app, &bob, room).await, 0);
}

async fn a_read_marker_past_the_head_is_clamped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob, room, _) = three_unread_for_bob(&app).await;
    assert_eq!(app.mark_read(&bob, room, 1_000_000).await.status(), 204, "past the head is clamped");
    assert_eq!(unread(&app, &bob, room).await, 0);
    app.send_message_ok(&alice, room, "4").await;
    assert_eq!(unread(&app, &bob, room).await, 1);
}

async fn a_negative_read_marker_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, bob, room) = alice_and_bob(&app).await;
    assert_problem(app.mark_read(&bob, room, -1).await, 400, "validation_failed").await;
}

async fn the_room_list_carries_the_unread_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, bob, room, [a1, ..]) = three_unread_for_bob(&app).await;
    assert_eq!(app.mark_read(&bob, room, a1.seq).await.status(), 204);
    let list = app.rooms_ok(&bob, "").await;
    assert_eq!(list.rooms[0].unread_count, unread(&app, &bob, room).await, "the same count as the room's");
    assert_eq!(list.rooms[0].unread_count, 2);
}

async fn public_history_is_readable_by_any_user(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "open", "public").await.id;
    app.send_message_ok(&alice, room, "visible").await;
    let page = app.history_ok(&bob, room, "").await;
    assert_eq!(page.messages[0].body, "visible");
}

async fn non_members_cannot_set_a_read_marker(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "open", "public").await.id;
    app.send_message_ok(&alice, room, "visible").await;
    assert_problem(app.mark_read(&bob, room, 1).await, 403, "not_a_member").await;
}

both_stores!(history_before_joining_is_not_unread);

/// A new member's read marker starts at the room's head: the room's past is history, not 2
/// unread messages; what comes after joining is.
async fn history_before_joining_is_not_unread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    app.send_message_ok(&alice, room, "before 1").await;
    app.send_message_ok(&alice, room, "before 2").await;
    app.join(&bob, room).await;
    let joined = app.room_ok(&bob, room).await;
    assert_eq!((joined.unread_count, joined.last_read_seq), (0, 2));
    app.send_message_ok(&alice, room, "after").await;
    assert_eq!(app.room_ok(&bob, room).await.unread_count, 1);
}

both_stores!(history_around_a_message);

/// `around_seq` gives the page around one message (half up to it, the rest after), saying
/// whether older and newer ones exist; `before_seq`/`after_seq` are ignored with it.
async fn history_around_a_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, _bob, room) = alice_and_bob(&app).await;
    for i in 1..=10 {
        app.send_message_ok(&alice, room, &i.to_string()).await;
    }
    let seqs = |page: &MessageList| page.messages.iter().map(|m| m.seq).collect::<Vec<_>>();
    let page = app.history_ok(&alice, room, "around_seq=5&limit=4").await;
    assert_eq!((seqs(&page), page.has_more, page.has_more_after), (vec![4, 5, 6, 7], true, Some(true)));
    let page = app.history_ok(&alice, room, "around_seq=2&limit=6").await;
    assert_eq!((seqs(&page), page.has_more, page.has_more_after), (vec![1, 2, 3, 4, 5, 6], false, Some(true)));
    let page = app.history_ok(&alice, room, "around_seq=10&limit=4&after_seq=1").await;
    assert_eq!((seqs(&page), page.has_more, page.has_more_after), (vec![9, 10], true, Some(false)));
    assert_eq!(app.history_ok(&alice, room, "limit=2").await.has_more_after, None, "only with around_seq");
    let page = app.history_ok(&alice, room, &format!("around_seq={}&limit=2", i64::MAX)).await;
    assert_eq!(seqs(&page), vec![10], "the largest seq is a seq like another (half the page up to it)");
}
