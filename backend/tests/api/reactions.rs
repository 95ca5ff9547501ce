//! Reactions: toggled idempotently by several people, in the room's change log (so a device
//! that was away resumes to exactly the state of one that stayed), and refused where they
//! must be.

use crate::helpers::{Backend, TestApp, Ws, assert_problem, both_stores};
use confab_shared::{Message, Reaction, ServerEvent};
use std::collections::BTreeMap;

both_stores!(
    toggles_are_idempotent_and_ordered,
    concurrent_toggles_end_right,
    a_device_away_resumes_to_the_same_state,
    refusals
);

fn reactions(list: &[(&str, &[i64])]) -> Vec<Reaction> {
    list.iter()
        .map(|(emoji, users)| Reaction {
            emoji: emoji.to_string(),
            count: users.len() as i64,
            user_ids: users.to_vec(),
        })
        .collect()
}

/// The next `message_updated` on `ws`.
async fn updated(ws: &mut Ws) -> (i64, Message) {
    let events = ws.until(|e| matches!(e, ServerEvent::MessageUpdated { .. })).await;
    match events.last() {
        Some(ServerEvent::MessageUpdated { seq, message, .. }) => (*seq, message.clone()),
        other => panic!("expected message_updated, got {other:?}"),
    }
}

async fn toggles_are_idempotent_and_ordered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "private").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);
    let (a, b) = (users[0].user.id, users[1].user.id);
    let message = app.send_message_ok(bob, room, "ship it?").await;
    let mut ws = app.ws(bob).await;
    ws.subscribe(room, None).await;

    app.react_ok(alice, room, message.id, "👍", true).await;
    let (first_seq, seen) = updated(&mut ws).await;
    assert_eq!(seen.reactions, reactions(&[("👍", &[a])]));
    app.react_ok(alice, room, message.id, "👍", true).await; // again: nothing changes
    assert_eq!(app.room_ok(alice, room).await.last_seq, first_seq, "a repeat takes no seq");
    app.react_ok(bob, room, message.id, "👍", true).await;
    app.react_ok(bob, room, message.id, "👨‍👩‍👧", true).await; // a joined sequence is one emoji
    app.react_ok(alice, room, message.id, "👍", false).await;
    app.react_ok(alice, room, message.id, "🎉", false).await; // never there: nothing changes
    let mut seqs = vec![first_seq];
    for _ in 0..3 {
        seqs.push(updated(&mut ws).await.0);
    }
    assert_eq!(seqs, (first_seq..first_seq + 4).collect::<Vec<_>>(), "one seq per change, no gaps");
    let expected = reactions(&[("👍", &[b]), ("👨‍👩‍👧", &[b])]);
    let history = app.history_ok(alice, room, "").await.messages;
    assert_eq!(history[0].reactions, expected, "first-use order; the last 👍 is Bob's");
    assert_eq!(history[0].edited_at, None, "a reaction is not an edit");
    app.react_ok(bob, room, message.id, "👨‍👩‍👧", false).await;
    app.react_ok(bob, room, message.id, "👍", false).await;
    assert!(app.history_ok(alice, room, "").await.messages[0].reactions.is_empty());
}

async fn concurrent_toggles_end_right(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let names: Vec<String> = (0..8).map(|i| format!("user{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (room, users) = app.room_with_members(&refs, "public").await;
    let message = app.send_message_ok(&users[0].access_token, room, "vote").await;
    let head = app.room_ok(&users[0].access_token, room).await.last_seq;
    // Each user adds 👍 and ❤️ and takes ❤️ back, all at once: 24 changes.
    let calls = users.iter().flat_map(|u| {
        let token = u.access_token.clone();
        [("👍", true), ("❤️", true), ("❤️", false)].into_iter().map(move |(emoji, on)| (token.clone(), emoji, on))
    });
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = calls
        .map(|(token, emoji, on)| {
            let app = app.clone();
            tokio::spawn(async move { app.react_ok(&token, room, message.id, emoji, on).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let token = &users[0].access_token;
    for u in &users {
        // The removal may have overtaken its own add: remove again (a no-op otherwise).
        app.react_ok(&u.access_token, room, message.id, "❤️", false).await;
    }
    let after = app.history_ok(token, room, "").await.messages.remove(0);
    assert_eq!(after.reactions.len(), 1, "{:?}", after.reactions);
    let mut voters = after.reactions[0].user_ids.clone();
    voters.sort_unstable();
    let mut everyone: Vec<i64> = users.iter().map(|u| u.user.id).collect();
    everyone.sort_unstable();
    assert_eq!((after.reactions[0].emoji.as_str(), after.reactions[0].count), ("👍", 8));
    assert_eq!(voters, everyone, "every 👍 once");
    // Every change took one seq: the log replays them all, gapless.
    let mut ws = app.ws(token).await;
    let (replay, _) = ws.subscribe(room, Some(head)).await;
    let seqs: Vec<i64> = replay.iter().filter_map(ServerEvent::seq).collect();
    let last = app.room_ok(token, room).await.last_seq;
    assert_eq!(seqs, (head + 1..=last).collect::<Vec<_>>());
    // At most one change per toggle that changed something (👍 by each; ❤️ added and removed
    // by each), fewer where toggles met in one writer batch: those of one message are stored
    // as one change, its state after all of them.
    assert!((1..=8 + 8 * 2).contains(&(last - head)), "{} changes", last - head);
    let mut state = BTreeMap::new();
    replay.iter().for_each(|e| apply(&mut state, e));
    assert_eq!(state[&message.id].reactions, after.reactions, "the replay ends in the stored state");
}

/// A message's state as a device builds it from events.
pub fn apply(state: &mut BTreeMap<i64, Message>, event: &ServerEvent) {
    match event {
        ServerEvent::Message { message, .. } | ServerEvent::MessageUpdated { message, .. } => {
            state.insert(message.id, message.clone());
        }
        ServerEvent::MessageDeleted { message_id, .. } => {
            if let Some(m) = state.get_mut(message_id) {
                m.deleted = true;
                m.body.clear();
                m.reactions.clear();
                m.attachments.clear();
                m.mentions.clear();
                m.mentions_room = false;
            }
        }
        _ => {}
    }
}

async fn a_device_away_resumes_to_the_same_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(app.send_message_ok(alice, room, &format!("m{i}")).await.id);
        }
        ids
    };
    // Both devices are in step here.
    let mut online = app.ws(bob).await;
    let (replay, subscribed) = online.subscribe(room, Some(0)).await;
    let mut online_state = BTreeMap::new();
    replay.iter().for_each(|e| apply(&mut online_state, e));
    let ServerEvent::Subscribed { head_seq: cursor, .. } = subscribed else { panic!("{subscribed:?}") };
    let at_cursor = online_state.clone(); // what the other device knew when it went away

    // 50 changes while the other device is away: reactions, edits, deletes, new messages.
    let emoji = ["👍", "🎉", "👀"];
    let mut model: std::collections::HashSet<(i64, &str, &str)> = Default::default(); // who reacted how
    let mut changes = 0;
    let mut deleted = None;
    for i in 0..50usize {
        let id = ids[i % ids.len()];
        let who = if i % 2 == 0 { alice } else { bob };
        match i % 10 {
            9 => {
                app.send_message_ok(who, room, &format!("new {i}")).await;
                changes += 1;
            }
            8 => {
                assert_eq!(app.edit_message(alice, room, id, &format!("edited {i}")).await.status(), 200);
                changes += 1;
            }
            7 if i > 40 => {
                assert_eq!(app.delete_message(alice, room, ids[4]).await.status(), 204);
                model.retain(|(m, _, _)| *m != ids[4]);
                deleted = Some(ids[4]);
                changes += 1;
            }
            _ => {
                let (on, key) = (i % 4 != 3, (id, emoji[i % 3], if i % 2 == 0 { "alice" } else { "bob" }));
                let res = app.react(who, room, id, key.1, on).await;
                if deleted == Some(id) {
                    assert_eq!(res.status(), 404, "a deleted message takes no reactions");
                    continue;
                }
                assert_eq!(res.status(), 204);
                let changed = if on { model.insert(key) } else { model.remove(&key) };
                changes += usize::from(changed);
            }
        }
    }
    let last = app.room_ok(alice, room).await.last_seq;
    assert_eq!(last - cursor, changes as i64, "one seq per change, none for a repeat");
    assert!(changes >= 30, "{changes} of the 50 changed something");
    online.until(|e| e.seq() == Some(last)).await.iter().for_each(|e| apply(&mut online_state, e));

    let resumed = resume_to_the_same_state(&app, alice, room, (cursor, at_cursor), &online_state).await;
    assert!(resumed.values().any(|m| !m.reactions.is_empty()), "some reactions survived the toggles");
}

/// A device that left `room` at `cursor` knowing `at_cursor` comes back (as `token`): its replay
/// is every change since, in order, and ends in `online_state` (what a device that stayed built
/// from live events, up to the room's head) and in the store's history, which it returns.
pub async fn resume_to_the_same_state(
    app: &TestApp,
    token: &str,
    room: i64,
    (cursor, at_cursor): (i64, BTreeMap<i64, Message>),
    online_state: &BTreeMap<i64, Message>,
) -> BTreeMap<i64, Message> {
    let last = app.room_ok(token, room).await.last_seq;
    let mut away = app.ws(token).await;
    let (replay, _) = away.subscribe(room, Some(cursor)).await;
    let mut resumed = at_cursor;
    replay.iter().for_each(|e| apply(&mut resumed, e));
    assert!(replay.iter().filter_map(ServerEvent::seq).eq(cursor + 1..=last), "the replay is every change, in order");
    assert_eq!(&resumed, online_state, "the device that was away has exactly the other's state");
    let history: BTreeMap<i64, Message> =
        app.history_ok(token, room, "limit=200").await.messages.into_iter().map(|m| (m.id, m)).collect();
    assert_eq!(resumed, history, "and the store's");
    history
}

async fn refusals(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (secret, users) = app.room_with_members(&["alice"], "private").await;
    let alice = &users[0].access_token;
    let public = app.create_room(alice, "lobby", "public").await.id;
    let carol = app.register("carol").await.access_token;
    let hidden = app.send_message_ok(alice, secret, "hidden").await;
    let shown = app.send_message_ok(alice, public, "shown").await;
    assert_problem(app.react(&carol, secret, hidden.id, "👍", true).await, 404, "not_found").await;
    assert_problem(app.react(&carol, public, shown.id, "👍", true).await, 403, "not_a_member").await;
    assert_problem(app.react(alice, public, hidden.id, "👍", true).await, 404, "not_found").await;
    for bad in ["a b", "", "\u{7}", &"x".repeat(33)] {
        let res = app.react(alice, public, shown.id, bad, true).await;
        assert!(matches!(res.status().as_u16(), 400 | 404), "{bad:?}: {}", res.status());
    }
    assert_problem(app.react(alice, public, shown.id, "a b", true).await, 400, "validation_failed").await;
    for i in 0..20 {
        app.react_ok(alice, public, shown.id, &format!("e{i}"), true).await;
    }
    assert_problem(app.react(alice, public, shown.id, "one-too-many", true).await, 409, "conflict").await;
    // A deleted message keeps no reactions and takes no more.
    assert_eq!(app.delete_message(alice, public, shown.id).await.status(), 204);
    assert!(app.history_ok(alice, public, "").await.messages[0].reactions.is_empty());
    assert_problem(app.react(alice, public, shown.id, "👍", true).await, 404, "not_found").await;
}
