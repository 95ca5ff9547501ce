//! Threads, mentions, notification levels and group DMs: every change in the room's change log
//! (so a device that was away resumes to exactly the state of one that stayed), counts exact
//! from the read marker, and notifications only to those whose level asks for them.

use crate::helpers::{Backend, TestApp, Ws, assert_problem, both_stores};
use crate::reactions::{apply, resume_to_the_same_state};
use confab_shared::{Message, NotificationReason, NotifyLevel, Room, RoomKind, ServerEvent};
use std::collections::BTreeMap;

both_stores!(
    a_reply_counts_on_its_root_in_the_same_commit,
    threads_page_apart_from_the_timeline,
    replies_also_sent_to_the_room_are_in_its_timeline,
    replies_are_refused_outside_their_room,
    a_device_away_resumes_to_the_same_state,
    mentions_are_members_and_counted_until_read,
    levels_decide_who_hears,
    group_dms_are_one_room_per_set_of_people
);

/// The next event on `ws` that `pick` takes.
async fn next_of<T>(ws: &mut Ws, pick: impl Fn(&ServerEvent) -> Option<T>) -> T {
    let events = ws.until(|e| pick(e).is_some()).await;
    events.last().and_then(pick).expect("picked")
}

fn notification(e: &ServerEvent) -> Option<(i64, String, NotificationReason)> {
    match e {
        ServerEvent::Notification { room_id, message, reason } => Some((*room_id, message.body.clone(), *reason)),
        _ => None,
    }
}

async fn a_reply_counts_on_its_root_in_the_same_commit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);
    let root = app.send_message_ok(alice, room, "where do we eat?").await;
    let mut ws = app.ws(bob).await;
    ws.subscribe(room, None).await;

    let reply = app.reply_ok(bob, room, root.id, "the usual").await;
    assert_eq!((reply.reply_to, reply.reply_count), (Some(root.id), 0));
    let events = ws.until(|e| matches!(e, ServerEvent::MessageUpdated { .. })).await;
    let changes: Vec<(i64, i64, Option<i64>, i64)> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Message { seq, message, .. } | ServerEvent::MessageUpdated { seq, message, .. } => {
                Some((*seq, message.id, message.reply_to, message.reply_count))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        [(reply.seq, reply.id, Some(root.id), 0), (reply.seq + 1, root.id, None, 1)],
        "the reply, then its root with the count, at the next seq"
    );
    // A reply to a reply joins the root's thread; over the socket too.
    ws.send(&confab_shared::ClientEvent::Send {
        room_id: room,
        client_id: "r2".into(),
        body: "agreed".into(),
        attachments: Vec::new(),
        reply_to: Some(reply.id),
        also_to_room: false,
    })
    .await;
    let second = ws.ack("r2").await;
    assert_eq!(second.reply_to, Some(root.id));
    let (seq, updated) = next_of(&mut ws, |e| match e {
        ServerEvent::MessageUpdated { seq, message, .. } => Some((*seq, message.clone())),
        _ => None,
    })
    .await;
    assert_eq!((seq, updated.reply_count), (second.seq + 1, 2));
    assert_eq!(updated.last_reply_at, Some(second.created_at));
    assert_eq!(updated.edited_at, None, "a reply is no edit of the root");

    // Deleting a reply counts one less, as the change after the delete.
    assert_eq!(app.delete_message(bob, room, reply.id).await.status(), 204);
    let events = ws.until(|e| matches!(e, ServerEvent::MessageUpdated { .. })).await;
    let seqs: Vec<i64> = events.iter().filter_map(ServerEvent::seq).collect();
    let Some(ServerEvent::MessageUpdated { message, .. }) = events.last() else { panic!("{events:?}") };
    assert_eq!((message.id, message.reply_count), (root.id, 1));
    assert_eq!(seqs.len(), 2, "the delete and the root: {events:?}");
    assert_eq!(seqs[1], seqs[0] + 1);
    assert_eq!(app.room_ok(alice, room).await.last_seq, seqs[1], "no seq taken but these");
}

async fn threads_page_apart_from_the_timeline(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);
    let root = app.send_message_ok(alice, room, "thread").await;
    let other = app.send_message_ok(alice, room, "other thread").await;
    let mut replies = Vec::new();
    for i in 0..5 {
        let token = if i % 2 == 0 { bob } else { alice };
        replies.push(app.reply_ok(token, room, root.id, &format!("reply {i}")).await.id);
        app.reply_ok(alice, room, other.id, &format!("elsewhere {i}")).await;
    }
    let after = app.send_message_ok(bob, room, "back in the room").await;
    let ids = |list: confab_shared::MessageList| list.messages.into_iter().map(|m| m.id).collect::<Vec<_>>();

    let thread = ids(app.history_ok(bob, room, &format!("thread={}", root.id)).await);
    assert_eq!(thread, [vec![root.id], replies.clone()].concat(), "the root, then its replies in order");
    let by_reply = ids(app.history_ok(bob, room, &format!("thread={}", replies[2])).await);
    assert_eq!(by_reply, thread, "a reply's id names its root's thread");
    let page = app.history_ok(bob, room, &format!("thread={}&limit=2", root.id)).await;
    assert!(page.has_more);
    assert_eq!(ids(page), replies[3..].to_vec(), "the newest page of the thread");
    // Seqs: the roots 1 and 2, then each round a reply and its root's change, twice.
    let older = app.history_ok(bob, room, &format!("thread={}&limit=10&before_seq=3", root.id)).await;
    assert_eq!(ids(older), vec![root.id], "before the first reply (seq 3): the root only");
    let around = app.history_ok(bob, room, &format!("thread={}&limit=3&around_seq=100", root.id)).await;
    assert_eq!(around.has_more_after, Some(false));

    let top = ids(app.history_ok(bob, room, "top_level=true").await);
    assert_eq!(top, [root.id, other.id, after.id], "the timeline without replies");
    let all = app.history_ok(bob, room, "limit=200").await.messages;
    assert_eq!(all.len(), 13, "everything by default, as before");
    let roots: BTreeMap<i64, i64> = all.iter().map(|m| (m.id, m.reply_count)).collect();
    assert_eq!((roots[&root.id], roots[&other.id], roots[&after.id]), (5, 5, 0));
    assert_problem(app.history(bob, room, "thread=999999").await, 404, "not_found").await;
    assert_problem(app.history(bob, room, "thread=-1").await, 400, "validation_failed").await;
}

async fn replies_also_sent_to_the_room_are_in_its_timeline(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);
    let root = app.send_message_ok(alice, room, "release on friday?").await;
    let quiet = app.reply_ok(bob, room, root.id, "fine by me").await;
    let body = serde_json::json!({"body": "friday it is", "reply_to": root.id, "also_to_room": true});
    let res = app.send_message_json(alice, room, &body).await;
    assert_eq!(res.status(), 201);
    let loud: Message = res.json().await.expect("message");
    assert_eq!((loud.reply_to, loud.also_to_room, quiet.also_to_room), (Some(root.id), true, false));
    // Over the socket too; and without reply_to the flag means nothing (it is the room's anyway).
    let mut ws = app.ws(bob).await;
    ws.subscribe(room, None).await;
    let send = serde_json::json!({"type": "send", "room_id": room, "client_id": "s1", "body": "and the notes",
        "reply_to": root.id, "also_to_room": true});
    ws.send_text(&send.to_string()).await;
    let by_socket = ws.ack("s1").await;
    assert!(by_socket.also_to_room);
    let plain = app.send_message_json(bob, room, &serde_json::json!({"body": "hi", "also_to_room": true})).await;
    assert_eq!(plain.status(), 201);
    let plain: Message = plain.json().await.expect("message");
    assert!(!plain.also_to_room);

    let ids = |list: confab_shared::MessageList| list.messages.into_iter().map(|m| m.id).collect::<Vec<_>>();
    let top = ids(app.history_ok(bob, room, "top_level=true").await);
    assert_eq!(top, [root.id, loud.id, by_socket.id, plain.id], "the timeline holds the replies sent to it");
    let thread = ids(app.history_ok(bob, room, &format!("thread={}", root.id)).await);
    assert_eq!(thread, [root.id, quiet.id, loud.id, by_socket.id], "and the thread holds them all");
    let root_now = app.history_ok(bob, room, &format!("thread={}&limit=4", root.id)).await.messages.remove(0);
    assert_eq!(root_now.reply_count, 3);
}

async fn replies_are_refused_outside_their_room(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let alice = &users[0].access_token;
    let elsewhere = app.create_room(alice, "elsewhere", "public").await.id;
    let there = app.send_message_ok(alice, elsewhere, "over there").await;
    let gone = app.send_message_ok(alice, room, "soon gone").await;
    assert_eq!(app.delete_message(alice, room, gone.id).await.status(), 204);
    let head = app.room_ok(alice, room).await.last_seq;
    for target in [there.id, gone.id, 999_999] {
        let body = assert_problem(app.reply(alice, room, target, "hm").await, 409, "conflict").await;
        assert_eq!(body["errors"][0]["field"], "reply_to", "{target}: {body}");
    }
    assert_eq!(app.room_ok(alice, room).await.last_seq, head, "nothing written");
    // Over the socket: an error with the send's client_id.
    let mut ws = app.ws(alice).await;
    ws.send(&confab_shared::ClientEvent::Send {
        room_id: room,
        client_id: "x".into(),
        body: "hm".into(),
        attachments: Vec::new(),
        reply_to: Some(there.id),
        also_to_room: false,
    })
    .await;
    let error = next_of(&mut ws, |e| match e {
        ServerEvent::Error { code, client_id: Some(c), .. } if c == "x" => Some(code.clone()),
        _ => None,
    })
    .await;
    assert_eq!(error, "conflict");
}

async fn a_device_away_resumes_to_the_same_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);
    let mut roots = Vec::new();
    for i in 0..4 {
        roots.push(app.send_message_ok(alice, room, &format!("root {i}")).await.id);
    }
    let mut online = app.ws(bob).await;
    let (replay, subscribed) = online.subscribe(room, Some(0)).await;
    let mut online_state = BTreeMap::new();
    replay.iter().for_each(|e| apply(&mut online_state, e));
    let ServerEvent::Subscribed { head_seq: cursor, .. } = subscribed else { panic!("{subscribed:?}") };
    let at_cursor = online_state.clone();

    // 50 changes while the other device is away: replies, reactions, edits, deletes, mentions.
    let mut replies: Vec<i64> = Vec::new();
    for i in 0..50usize {
        let root = roots[i % roots.len()];
        let who = if i % 2 == 0 { alice } else { bob };
        match i % 5 {
            0 | 1 => replies.push(app.reply_ok(who, room, root, &format!("reply {i} @alice")).await.id),
            2 => app.react_ok(who, room, root, ["👍", "🎉"][i % 2], i % 4 != 2).await,
            3 => {
                let reply = replies.last().copied().unwrap_or(root);
                let res = app.edit_message(alice, room, root, &format!("root edited {i} @bob @room")).await;
                assert_eq!(res.status(), 200);
                app.react_ok(bob, room, reply, "👀", true).await;
            }
            _ => {
                // Alice owns the room: she may delete anyone's reply.
                if let Some(reply) = replies.pop() {
                    assert_eq!(app.delete_message(alice, room, reply).await.status(), 204);
                }
            }
        }
    }
    let last = app.room_ok(alice, room).await.last_seq;
    online.until(|e| e.seq() == Some(last)).await.iter().for_each(|e| apply(&mut online_state, e));

    let history = resume_to_the_same_state(&app, alice, room, (cursor, at_cursor), &online_state).await;
    let counted: i64 = history.values().filter(|m| m.reply_to.is_some() && !m.deleted).count() as i64;
    let on_roots: i64 = roots.iter().map(|id| history[id].reply_count).sum();
    assert_eq!(on_roots, counted, "the roots count their live replies");
    assert!(history.values().any(|m| m.deleted && m.reply_to.is_some()), "some replies were deleted");
}

async fn mentions_are_members_and_counted_until_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob", "bob.smith"], "public").await;
    let (alice, bob) = (&users[0].access_token, &users[1].access_token);
    let (b, bs) = (users[1].user.id, users[2].user.id);
    let outsider = app.register("carol").await;
    let mention_count = |room: Room| (room.unread_count, room.mention_count);

    let m = app.send_message_ok(alice, room, "@Bob, @bob.smith. @carol mail bob@example.com").await;
    assert_eq!((m.mentions.clone(), m.mentions_room), (vec![b, bs], false), "members only, each once, in order");
    let n = app.send_message_ok(alice, room, "thanks @bob.").await;
    assert_eq!(n.mentions, vec![b], "a name ending a sentence");
    app.send_message_ok(alice, room, "no mention here").await;
    let all = app.send_message_ok(alice, room, "lunch, @room?").await;
    assert!(all.mentions_room && all.mentions.is_empty());
    assert_eq!(mention_count(app.room_ok(bob, room).await), (4, 3));
    let listed = app.rooms_ok(bob, "joined=true").await.rooms;
    assert_eq!(listed.iter().find(|r| r.id == room).map(|r| r.mention_count), Some(3), "in the listing too");
    assert_eq!(mention_count(app.room_ok(alice, room).await), (0, 0), "one's own mentions do not count");
    assert_eq!(app.room_ok(&outsider.access_token, room).await.mention_count, 0);

    // Read up to the second: one mention left (the @room); then all read.
    assert_eq!(app.mark_read(bob, room, n.seq).await.status(), 204);
    assert_eq!(mention_count(app.room_ok(bob, room).await), (2, 1));
    assert_eq!(app.mark_read(bob, room, all.seq).await.status(), 204);
    assert_eq!(mention_count(app.room_ok(bob, room).await), (0, 0));

    // An edit finds them again (and tells the newly mentioned); a deleted one counts no more.
    let mut ws = app.ws(bob).await;
    let plain = app.send_message_ok(alice, room, "plain").await;
    let edited: Message = app.edit_message(alice, room, plain.id, "now @bob").await.json().await.expect("message");
    assert_eq!(edited.mentions, vec![b]);
    let heard = next_of(&mut ws, notification).await;
    assert_eq!(heard, (room, "now @bob".into(), NotificationReason::Mention));
    assert_eq!(mention_count(app.room_ok(bob, room).await), (1, 1));
    assert_eq!(app.delete_message(alice, room, plain.id).await.status(), 204);
    assert_eq!(mention_count(app.room_ok(bob, room).await), (0, 0));
    assert!(app.history_ok(bob, room, "limit=1").await.messages[0].mentions.is_empty(), "a tombstone mentions no one");
}

async fn levels_decide_who_hears(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob", "carol", "dave"], "public").await;
    let token = |i: usize| users[i].access_token.clone();
    let id = |i: usize| users[i].user.id;
    assert_eq!(app.room_ok(&token(1), room).await.notify, NotifyLevel::Mentions, "the default of a room");
    assert_eq!(app.set_notify(&token(2), room, "all").await.status(), 204);
    assert_eq!(app.set_notify(&token(3), room, "none").await.status(), 204);
    assert_eq!(app.room_ok(&token(2), room).await.notify, NotifyLevel::All);
    assert_eq!(app.room_ok(&token(3), room).await.notify, NotifyLevel::None);
    // Nobody subscribes to the room: notifications reach every connection of the user.
    let (mut bob, mut carol, mut dave) = (app.ws(&token(1)).await, app.ws(&token(2)).await, app.ws(&token(3)).await);
    let mut carol_elsewhere = app.ws(&token(2)).await;

    app.send_message_ok(&token(0), room, "plain").await;
    app.send_message_ok(&token(0), room, "hey @bob @dave").await;
    app.send_message_ok(&token(0), room, "@room, lunch").await;
    app.send_message_ok(&token(3), room, "dave here, @bob").await;
    assert_eq!(next_of(&mut bob, notification).await, (room, "hey @bob @dave".into(), NotificationReason::Mention));
    assert_eq!(next_of(&mut bob, notification).await.1, "@room, lunch");
    assert_eq!(next_of(&mut bob, notification).await.1, "dave here, @bob");
    for ws in [&mut carol, &mut carol_elsewhere] {
        let mut got = Vec::new();
        for _ in 0..4 {
            got.push(next_of(ws, notification).await);
        }
        let reasons: Vec<(String, NotificationReason)> = got.into_iter().map(|(_, body, r)| (body, r)).collect();
        assert_eq!(
            reasons,
            [
                ("plain".into(), NotificationReason::All),
                ("hey @bob @dave".into(), NotificationReason::All),
                ("@room, lunch".into(), NotificationReason::Mention),
                ("dave here, @bob".into(), NotificationReason::All),
            ],
            "level all: everything; a mention says so"
        );
    }
    // Dave (level none) heard nothing, though mentioned: the first thing he hears is his DM.
    let dm: Room = app.dm(&token(0), id(3)).await.json().await.expect("room");
    assert_eq!((dm.kind, dm.notify), (RoomKind::Direct, NotifyLevel::All), "direct rooms: all by default");
    app.send_message_ok(&token(0), dm.id, "psst").await;
    assert_eq!(next_of(&mut dave, notification).await, (dm.id, "psst".into(), NotificationReason::Direct));
    // Other connections of mine learn my new level.
    assert_eq!(app.set_notify(&token(2), room, "mentions").await.status(), 204);
    let level = next_of(&mut carol_elsewhere, |e| match e {
        ServerEvent::NotificationLevel { room_id, level, .. } => Some((*room_id, *level)),
        _ => None,
    })
    .await;
    assert_eq!(level, (room, NotifyLevel::Mentions));
    assert_problem(app.set_notify(&token(0), room, "loud").await, 400, "validation_failed").await;
    let outsider = app.register("eve").await.access_token;
    assert_problem(app.set_notify(&outsider, room, "all").await, 403, "not_a_member").await;
    let secret = app.create_room(&token(0), "secret", "private").await.id;
    assert_problem(app.set_notify(&outsider, secret, "all").await, 404, "not_found").await;
}

async fn group_dms_are_one_room_per_set_of_people(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut people = Vec::new();
    for name in ["alice", "bob", "carol", "dave"] {
        people.push(app.register(name).await);
    }
    let (alice, bob) = (&people[0].access_token, &people[1].access_token);
    let id = |i: usize| people[i].user.id;
    let mut bob_ws = app.ws(bob).await;

    let first = app.group_dm(alice, &[id(2), id(1)]).await;
    assert_eq!(first.status(), 201);
    let room: Room = first.json().await.expect("room");
    assert_eq!((room.kind, room.member_count, room.name.as_str()), (RoomKind::Direct, 3, "bob, carol"));
    let joined = next_of(&mut bob_ws, |e| match e {
        ServerEvent::MemberJoined { room_id, user, .. } => Some((*room_id, user.id)),
        _ => None,
    })
    .await;
    assert_eq!(joined, (room.id, id(0)), "the others learn of the new room");
    // The same people, any order, anyone of them asking: the same room.
    let again = app.group_dm(bob, &[id(0), id(2), id(2), id(1)]).await;
    assert_eq!(again.status(), 200);
    let seen_by_bob: Room = again.json().await.expect("room");
    assert_eq!((seen_by_bob.id, seen_by_bob.name.as_str()), (room.id, "alice, carol"));
    // Another set is another room; one other person is the pair's room, either way of asking.
    let four: Room = app.group_dm(alice, &[id(1), id(2), id(3)]).await.json().await.expect("room");
    assert_ne!(four.id, room.id);
    let pair: Room = app.group_dm(alice, &[id(1)]).await.json().await.expect("room");
    let by_user_id: Room = app.dm(alice, id(1)).await.json().await.expect("room");
    assert_eq!(pair.id, by_user_id.id);
    assert_eq!(pair.name, "bob");
    // Everyone in it may talk; each hears of it.
    let carol = &people[2].access_token;
    app.send_message_ok(carol, room.id, "hi both").await;
    assert_eq!(next_of(&mut bob_ws, notification).await, (room.id, "hi both".into(), NotificationReason::Direct));
    // Refusals.
    assert_problem(app.group_dm(alice, &[]).await, 400, "validation_failed").await;
    assert_problem(app.group_dm(alice, &[id(1), 999_999]).await, 404, "not_found").await;
    let mut crowd = Vec::new();
    for i in 0..9 {
        crowd.push(app.register(&format!("crowd{i}")).await.user.id);
    }
    assert_problem(app.group_dm(alice, &crowd).await, 400, "validation_failed").await;
    assert_eq!(app.group_dm(alice, &crowd[..8]).await.status(), 201, "8 others is fine");
    let both = serde_json::json!({"user_id": id(1), "user_ids": [id(2)]});
    assert_problem(app.dm_json(alice, &both).await, 400, "validation_failed").await;
    assert_problem(app.dm_json(alice, &serde_json::json!({})).await, 400, "validation_failed").await;
}
