//! The per-user change stream (`ready.user_seq`, `sync` → replay → `synced`, `GET /sync`), a
//! room's changes over REST (`GET /rooms/{id}/changes`), and drafts (compare-and-set, cleared
//! by a send).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::helpers::{Backend, TestApp, Ws, assert_problem, both_stores, send_event};
use confab_shared::{ClientEvent, NotifyLevel, ServerEvent};
use serde_json::json;

both_stores!(
    an_offline_device_resumes_to_exactly_the_state_of_one_that_stayed_online,
    a_gap_past_the_replay_bound_says_so,
    rest_sync_pages_through_the_stream,
    a_rooms_changes_over_rest,
    drafts_follow_me_and_never_overwrite_a_newer_one,
);

/// A connection of `token` and the `user_seq` its `ready` gave.
async fn connect(app: &TestApp, token: &str) -> (Ws, i64) {
    let mut ws = Ws::connect(&app.addr).await;
    ws.send(&ClientEvent::Auth { token: token.to_owned() }).await;
    match ws.recv().await {
        ServerEvent::Ready { user_seq, .. } => (ws, user_seq),
        other => panic!("expected ready, got {other:?}"),
    }
}

/// Sends `sync` and returns the replayed events and the `synced` answer's head and flag.
async fn sync(ws: &mut Ws, after_user_seq: i64) -> (Vec<ServerEvent>, i64, bool) {
    ws.send(&ClientEvent::Sync { after_user_seq }).await;
    let mut events = ws.until(|e| matches!(e, ServerEvent::Synced { .. } | ServerEvent::Error { .. })).await;
    match events.pop() {
        Some(ServerEvent::Synced { head_user_seq, replay_truncated }) => (events, head_user_seq, replay_truncated),
        other => panic!("expected synced, got {other:?}"),
    }
}

/// What a user's devices know outside the timelines, folded from user-stream events.
#[derive(Debug, Default, PartialEq)]
struct View {
    joined: BTreeSet<i64>,
    names: BTreeMap<i64, String>,
    read: BTreeMap<i64, i64>,
    notify: BTreeMap<i64, NotifyLevel>,
    drafts: BTreeMap<i64, String>,
    display_names: BTreeMap<i64, Option<String>>,
}

impl View {
    fn apply(&mut self, me: i64, event: &ServerEvent) {
        match event {
            ServerEvent::MemberJoined { room_id, user, .. } if user.id == me => {
                self.joined.insert(*room_id);
            }
            ServerEvent::MemberLeft { room_id, user, .. } if user.id == me => {
                self.joined.remove(room_id);
            }
            ServerEvent::RoomUpdated { room, .. } => {
                self.names.insert(room.id, room.name.clone());
            }
            ServerEvent::Read { room_id, seq, .. } => {
                self.read.insert(*room_id, *seq);
            }
            ServerEvent::NotificationLevel { room_id, level, .. } => {
                self.notify.insert(*room_id, *level);
            }
            ServerEvent::DraftUpdated { room_id, body, .. } => {
                self.drafts.insert(*room_id, body.clone());
            }
            ServerEvent::UserUpdated { user, .. } => {
                self.display_names.insert(user.id, user.display_name.clone());
            }
            _ => {}
        }
    }
}

/// The user-stream events among `events`, checked to be numbered one after another from
/// `after + 1`.
fn stream_after(events: &[ServerEvent], after: i64) -> Vec<ServerEvent> {
    let entries: Vec<ServerEvent> = events.iter().filter(|e| e.user_seq().is_some()).cloned().collect();
    let seqs: Vec<i64> = entries.iter().filter_map(ServerEvent::user_seq).collect();
    let expected: Vec<i64> = (after + 1..=after + seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "user_seqs follow one another with no gap and no repeat");
    entries
}

async fn an_offline_device_resumes_to_exactly_the_state_of_one_that_stayed_online(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await;
    let (bob_token, me) = (bob.access_token.clone(), bob.user.id);
    let (mut laptop, start) = connect(&app, &bob_token).await;
    let (phone, phone_cursor) = connect(&app, &bob_token).await;
    assert_eq!(phone_cursor, start, "both devices start at the same head");
    phone.close().await;

    // While the phone is offline: bob is added to two rooms and removed from one, a room is
    // renamed, his read marker and notification level move on another device, a draft is
    // typed there, and someone sharing a room changes their name.
    let one = app.create_room(&alice, "one", "public").await.id;
    let two = app.create_room(&alice, "two", "private").await.id;
    for room in [one, two] {
        assert_eq!(app.add_member(&alice, room, me).await.status(), 200);
    }
    app.send_message_ok(&alice, two, "first").await;
    assert_eq!(app.remove_member(&alice, one, me).await.status(), 204);
    assert_eq!(app.update_room(&alice, two, &json!({"name": "two renamed"})).await.status(), 200);
    assert_eq!(app.mark_read(&bob_token, two, 1).await.status(), 204);
    assert_eq!(app.set_notify(&bob_token, two, "all").await.status(), 204);
    let draft = app.put_draft_ok(&bob_token, two, "half a thought", 0).await;
    app.update_profile_ok(&alice, &json!({"display_name": "Alice A."})).await;

    let seen =
        laptop.until(|e| matches!(e, ServerEvent::UserUpdated { user, .. } if user.display_name.is_some())).await;
    let online = stream_after(&seen, start);
    assert!(online.len() >= 8, "every change is an entry: {online:?}");
    assert!(online.iter().any(|e| e.user_seq() == Some(draft.user_seq)), "the draft's seq is its entry's");

    // The server restarts meanwhile: the stream is in the store.
    laptop.close().await;
    app.restart();
    let (mut phone, head) = connect(&app, &bob_token).await;
    assert_eq!(head, start + online.len() as i64, "ready gives the head");
    let (replayed, synced_head, truncated) = sync(&mut phone, phone_cursor).await;
    assert!(!truncated);
    assert_eq!(synced_head, head);
    assert_eq!(stream_after(&replayed, phone_cursor), online, "the replay is exactly what the laptop saw live");

    let (mut from_laptop, mut from_phone) = (View::default(), View::default());
    online.iter().for_each(|e| from_laptop.apply(me, e));
    replayed.iter().for_each(|e| from_phone.apply(me, e));
    assert_eq!(from_phone, from_laptop);
    assert_eq!(from_phone.joined, BTreeSet::from([two]), "added to two rooms, removed from one");
    assert_eq!(from_phone.names.get(&two).map(String::as_str), Some("two renamed"));
    assert_eq!(from_phone.read.get(&two), Some(&1));
    assert_eq!(from_phone.notify.get(&two), Some(&NotifyLevel::All));
    assert_eq!(from_phone.drafts.get(&two).map(String::as_str), Some("half a thought"));
    assert!(from_phone.display_names.values().any(|n| n.as_deref() == Some("Alice A.")));
    // And it is the state REST gives.
    let joined: BTreeSet<i64> =
        app.rooms_ok(&bob_token, "").await.rooms.iter().filter(|r| r.joined).map(|r| r.id).collect();
    assert_eq!(joined, from_phone.joined);
    let room = app.room_ok(&bob_token, two).await;
    assert_eq!((room.name.as_str(), room.last_read_seq, room.notify), ("two renamed", 1, NotifyLevel::All));

    // REST gives the same entries; live ones follow the replay on the socket.
    let page = app.sync_ok(&bob_token, phone_cursor).await;
    assert_eq!((page.events.clone(), page.head_user_seq, page.more), (online.clone(), head, false));
    app.set_notify(&bob_token, two, "none").await;
    let live = phone.until(|e| e.user_seq().is_some()).await;
    assert_eq!(live.last().and_then(ServerEvent::user_seq), Some(head + 1), "live continues from the head");
}

async fn a_gap_past_the_replay_bound_says_so(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--max-user-replay", "3"]).await;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&bob, "mine", "public").await.id;
    for level in ["all", "none", "mentions", "all"] {
        assert_eq!(app.set_notify(&bob, room, level).await.status(), 204);
    }
    let (mut ws, head) = connect(&app, &bob).await;
    assert_eq!(head, 5, "the room's creation and four levels");
    let (replayed, synced_head, truncated) = sync(&mut ws, 0).await;
    assert!(truncated && replayed.is_empty() && synced_head == 5, "5 entries > 3: {replayed:?}");
    let (replayed, _, truncated) = sync(&mut ws, 2).await;
    assert!(!truncated);
    assert_eq!(stream_after(&replayed, 2).len(), 3, "3 entries are within the bound");
    let page = app.sync_ok(&bob, 1).await;
    assert!(page.replay_truncated && page.events.is_empty() && page.head_user_seq == 5);
    let ahead = app.sync_ok(&bob, 99).await;
    assert!(!ahead.replay_truncated && ahead.events.is_empty(), "a cursor past the head replays nothing");
    assert_problem(app.sync(&bob, -1).await, 400, "validation_failed").await;
}

async fn rest_sync_pages_through_the_stream(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--action-rate", "100000", "--action-burst", "100000"]).await;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&bob, "mine", "public").await.id;
    for i in 0..520 {
        app.set_notify(&bob, room, if i % 2 == 0 { "all" } else { "none" }).await;
    }
    let first = app.sync_ok(&bob, 0).await;
    assert_eq!((first.events.len(), first.head_user_seq, first.more), (500, 521, true));
    let last_seq = first.events.last().and_then(ServerEvent::user_seq).expect("seq");
    let second = app.sync_ok(&bob, last_seq).await;
    assert_eq!((second.events.len(), second.more), (21, false));
    let all: Vec<ServerEvent> = first.events.into_iter().chain(second.events).collect();
    assert_eq!(stream_after(&all, 0).len(), 521);
    assert!(matches!(all.last(), Some(ServerEvent::NotificationLevel { level: NotifyLevel::None, .. })));
}

async fn a_rooms_changes_over_rest(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let stranger = app.register("stranger").await.access_token;
    let room = app.create_room(&alice, "secret", "private").await.id;
    let first = app.send_message_ok(&alice, room, "one").await;
    let second = app.send_message_ok(&alice, room, "two").await;
    assert_eq!(app.edit_message(&alice, room, first.id, "one, edited").await.status(), 200);
    assert_eq!(app.delete_message(&alice, room, second.id).await.status(), 204);
    let changes = app.room_changes_ok(&alice, room, 0).await;
    assert_eq!((changes.head_seq, changes.replay_truncated, changes.more), (4, false, false));
    let kinds: Vec<(&str, i64)> = changes
        .events
        .iter()
        .map(|e| match e {
            ServerEvent::Message { seq, .. } => ("message", *seq),
            ServerEvent::MessageUpdated { seq, .. } => ("message_updated", *seq),
            ServerEvent::MessageDeleted { seq, .. } => ("message_deleted", *seq),
            other => panic!("not a change: {other:?}"),
        })
        .collect();
    assert_eq!(kinds, [("message", 1), ("message", 2), ("message_updated", 3), ("message_deleted", 4)]);
    let later = app.room_changes_ok(&alice, room, 3).await;
    assert_eq!(later.events.len(), 1);
    assert_problem(app.room_changes(&stranger, room, 0).await, 404, "not_found").await;
    assert_problem(app.room_changes(&alice, room, -1).await, 400, "validation_failed").await;
}

async fn drafts_follow_me_and_never_overwrite_a_newer_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let stranger = app.register("stranger").await.access_token;
    let room = app.create_room(&alice, "notes", "public").await.id;
    let (mut tablet, _) = connect(&app, &alice).await;

    let typed = app.put_draft_ok(&alice, room, "Dear all,\nthe plan", 0).await;
    let got = tablet.until(|e| matches!(e, ServerEvent::DraftUpdated { .. })).await;
    assert_eq!(
        got.last(),
        Some(&ServerEvent::DraftUpdated {
            room_id: room,
            body: "Dear all,\nthe plan".into(),
            user_seq: typed.user_seq
        })
    );
    // A device that was offline since before that draft edits from base 0: refused, and told
    // the newer draft.
    let stale = assert_problem(app.put_draft(&alice, room, "an old idea", 0).await, 409, "conflict").await;
    assert_eq!(stale["draft"]["body"], "Dear all,\nthe plan");
    assert_eq!(stale["draft"]["user_seq"], typed.user_seq);
    let next = app.put_draft_ok(&alice, room, "Dear all,\nthe plan is", typed.user_seq).await;
    assert!(next.user_seq > typed.user_seq);
    let list = app.drafts_ok(&alice).await;
    assert_eq!(list.drafts, vec![next.clone()]);

    // Sending clears it in the same commit: the tablet hears of it, the list is empty, and an
    // edit based on the draft before the send is refused.
    let mut ws = app.ws(&alice).await;
    ws.send(&send_event(room, "c1", "Dear all, the plan is ready")).await;
    ws.ack("c1").await;
    let got = tablet.until(|e| matches!(e, ServerEvent::DraftUpdated { body, .. } if body.is_empty())).await;
    let cleared = got.last().and_then(ServerEvent::user_seq).expect("seq");
    assert!(app.drafts_ok(&alice).await.drafts.is_empty());
    let after_send =
        assert_problem(app.put_draft(&alice, room, "resurrected", next.user_seq).await, 409, "conflict").await;
    assert_eq!(
        (after_send["draft"]["body"].as_str(), after_send["draft"]["user_seq"].as_i64()),
        (Some(""), Some(cleared))
    );
    // A send with no draft to clear adds no entry.
    let head = app.sync_ok(&alice, 0).await.head_user_seq;
    ws.send(&send_event(room, "c2", "and another")).await;
    ws.ack("c2").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(app.sync_ok(&alice, 0).await.head_user_seq, head);
    // A thread reply comes from the thread's composer: the room's draft stays.
    let root = app.send_message_ok(&alice, room, "a root").await.id;
    let typing = app.put_draft_ok(&alice, room, "still typing", cleared).await;
    app.reply_ok(&alice, room, root, "in the thread").await;
    assert_eq!(app.drafts_ok(&alice).await.drafts, vec![typing]);

    assert_problem(app.put_draft(&stranger, room, "hi", 0).await, 403, "not_a_member").await;
    assert_problem(app.put_draft(&alice, room, &"x".repeat(4001), cleared).await, 400, "validation_failed").await;
    assert_problem(app.put_draft(&alice, room, "bell\u{7}", cleared).await, 400, "validation_failed").await;
    assert_problem(app.put_draft(&alice, room, "x", -1).await, 400, "validation_failed").await;
}
