//! The WebSocket protocol: delivery, order, resume, idempotent resend, presence, typing,
//! bad frames, slow consumers, revoked sessions, limits.

use crate::helpers::{Backend, TestApp, Ws, both_stores, send_event, ws_url};
use confab_shared::{ClientEvent, ServerEvent, TokenPair};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;

both_stores!(
    two_users_chat,
    a_ping_gets_a_pong,
    concurrent_senders_same_gapless_order_everywhere,
    resume_after_disconnect_replays_exactly_the_missed_changes,
    resend_after_reconnect_returns_the_original,
    messages_sent_over_rest_reach_sockets,
    room_updates_reach_sockets,
    removed_members_stop_receiving,
    presence_with_two_tabs,
    typing_is_forwarded_and_rate_limited,
    bad_frames_get_errors_and_the_socket_stays_usable,
    an_oversized_frame_closes_with_1009,
    logout_closes_the_sessions_sockets,
    a_revoked_token_cannot_open_a_socket,
    slow_consumer_is_closed_and_others_carry_on,
    replay_is_bounded,
    connections_per_user_are_limited,
    a_bad_token_in_the_auth_frame_closes_with_4001,
    a_first_frame_other_than_auth_closes_with_4001,
    a_bad_token_in_the_upgrade_request_is_refused,
    send_rate_limit_loses_nothing_acknowledged,
    read_markers_reach_the_other_tabs,
    unsubscribe_stops_live_events,
    deleting_a_room_tells_its_members,
);

fn message_seqs(events: &[ServerEvent]) -> Vec<i64> {
    events.iter().filter_map(|e| e.seq()).collect()
}

async fn two_users_chat(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (&users[0], &users[1]);
    let mut a = app.ws(&alice.access_token).await;
    let mut b = app.ws(&bob.access_token).await;
    let (replay, subscribed) = a.subscribe(room, Some(0)).await;
    assert!(message_seqs(&replay).is_empty(), "nothing to replay in a new room");
    assert_eq!(subscribed, ServerEvent::Subscribed { room_id: room, head_seq: 0, replay_truncated: false });
    b.subscribe(room, None).await;

    a.send(&send_event(room, "a-1", "hi bob")).await;
    let acked = a.ack("a-1").await;
    assert_eq!((acked.seq, acked.body.as_str(), acked.client_id.as_deref()), (1, "hi bob", Some("a-1")));
    let got = b.until(|e| matches!(e, ServerEvent::Message { .. })).await;
    assert_eq!(got.last(), Some(&ServerEvent::Message { room_id: room, seq: 1, message: acked.clone() }));

    b.send(&send_event(room, "b-1", "hi alice")).await;
    let reply = b.ack("b-1").await;
    let got = a.until(|e| matches!(e, ServerEvent::Message { seq: 2, .. })).await;
    assert_eq!(got.last(), Some(&ServerEvent::Message { room_id: room, seq: 2, message: reply }));
}

async fn a_ping_gets_a_pong(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await;
    let mut a = app.ws(&alice.access_token).await;
    a.send(&ClientEvent::Ping).await;
    assert_eq!(a.until(|e| matches!(e, ServerEvent::Pong)).await.last(), Some(&ServerEvent::Pong));
}

async fn concurrent_senders_same_gapless_order_everywhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("owner").await.access_token;
    let room = app.create_room(&owner, "busy", "public").await.id;
    let mut senders = Vec::new();
    for i in 0..10 {
        let token = app.register(&format!("sender{i}")).await.access_token;
        app.join(&token, room).await;
        senders.push(token);
    }
    let mut watchers = Vec::new();
    for _ in 0..3 {
        let mut ws = app.ws(&owner).await;
        ws.subscribe(room, Some(0)).await;
        watchers.push(ws);
    }
    let per_sender = 20;
    let tasks = senders.iter().enumerate().map(|(i, token)| {
        let app = &app;
        async move {
            let mut ws = app.ws(token).await;
            ws.subscribe(room, None).await;
            let mut seen = Vec::new();
            for n in 0..per_sender {
                let id = format!("{i}-{n}");
                ws.send(&send_event(room, &id, &format!("message {id}"))).await;
                seen.push(ws.ack(&id).await.seq);
            }
            seen
        }
    });
    let acked: Vec<i64> = futures_util::future::join_all(tasks).await.into_iter().flatten().collect();
    let total = 10 * per_sender;
    assert_eq!(acked.len(), total);
    let expected: Vec<i64> = (1..=total as i64).collect();
    let mut order = None;
    for ws in &mut watchers {
        let mut received = Vec::new();
        while received.len() < total {
            if let ServerEvent::Message { seq, message, .. } = ws.recv().await {
                received.push((seq, message.id));
            }
        }
        assert_eq!(received.iter().map(|r| r.0).collect::<Vec<_>>(), expected, "gapless and in order");
        match &order {
            None => order = Some(received),
            Some(first) => assert_eq!(first, &received, "the same order for every receiver"),
        }
        while let Some(event) = ws.next(Duration::from_millis(300)).await {
            assert!(event.seq().is_none(), "no duplicates after the last: {event:?}");
        }
    }
}

async fn resume_after_disconnect_replays_exactly_the_missed_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (users[0].access_token.clone(), users[1].access_token.clone());
    let mut a = app.ws(&alice).await;
    a.subscribe(room, None).await;
    let mut b = app.ws(&bob).await;
    b.subscribe(room, Some(0)).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        a.send(&send_event(room, &format!("a{i}"), &format!("old {i}"))).await;
        ids.push(a.ack(&format!("a{i}")).await.id);
    }
    let seen = b.until(|e| e.seq() == Some(3)).await;
    let cursor = message_seqs(&seen).into_iter().max().expect("cursor");
    b.close().await;

    // While Bob is away: a new message, an edit and a delete of older ones.
    a.send(&send_event(room, "a3", "new while away")).await;
    let new = a.ack("a3").await;
    assert_eq!(app.edit_message(&alice, room, ids[0], "old 0, edited").await.status(), 200);
    assert_eq!(app.delete_message(&alice, room, ids[1]).await.status(), 204);

    let mut b = app.ws(&bob).await;
    let (replay, subscribed) = b.subscribe(room, Some(cursor)).await;
    assert_eq!(subscribed, ServerEvent::Subscribed { room_id: room, head_seq: 6, replay_truncated: false });
    assert_eq!(message_seqs(&replay), vec![4, 5, 6], "exactly the missed changes, once, in order");
    assert!(matches!(&replay[0], ServerEvent::Message { message, .. } if message.id == new.id));
    assert!(
        matches!(&replay[1], ServerEvent::MessageUpdated { message, .. } if message.id == ids[0] && message.body == "old 0, edited")
    );
    assert!(matches!(&replay[2], ServerEvent::MessageDeleted { message_id, .. } if *message_id == ids[1]));
    // Live events continue right after the replay.
    a.send(&send_event(room, "a4", "live again")).await;
    a.ack("a4").await;
    let live = b.until(|e| e.seq().is_some()).await;
    assert_eq!(live.last().and_then(|e| e.seq()), Some(7));
    assert!(b.next(Duration::from_millis(300)).await.is_none(), "nothing twice");
}

async fn resend_after_reconnect_returns_the_original(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let mut a = app.ws(&alice).await;
    a.send(&send_event(room, "retry-me", "only once")).await;
    let original = a.ack("retry-me").await;
    a.close().await;
    let mut a = app.ws(&alice).await;
    a.send(&send_event(room, "retry-me", "only once")).await;
    assert_eq!(a.ack("retry-me").await, original);
    assert_eq!(app.history_ok(&alice, room, "").await.messages.len(), 1);
}

/// Alice's private room with Bob in it, and Bob's socket subscribed to it.
async fn bob_listening_in_alices_room(app: &TestApp) -> (i64, TokenPair, TokenPair, Ws) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&alice.access_token, "private", "private").await.id;
    assert_eq!(app.add_member(&alice.access_token, room, bob.user.id).await.status(), 200);
    let mut b = app.ws(&bob.access_token).await;
    b.subscribe(room, None).await;
    (room, alice, bob, b)
}

async fn messages_sent_over_rest_reach_sockets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, alice, _, mut b) = bob_listening_in_alices_room(&app).await;
    assert_eq!(app.send_message(&alice.access_token, room, "via REST").await.status(), 201);
    let got = b.until(|e| matches!(e, ServerEvent::Message { .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::Message { message, .. }) if message.body == "via REST"));
}

async fn room_updates_reach_sockets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, alice, _, mut b) = bob_listening_in_alices_room(&app).await;
    let res = app.update_room(&alice.access_token, room, &json!({"topic": "new topic"})).await;
    assert_eq!(res.status(), 200);
    let got = b.until(|e| matches!(e, ServerEvent::RoomUpdated { .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::RoomUpdated { room: r, .. }) if r.topic == "new topic"));
}

async fn removed_members_stop_receiving(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, alice, bob, mut b) = bob_listening_in_alices_room(&app).await;
    assert_eq!(app.remove_member(&alice.access_token, room, bob.user.id).await.status(), 204);
    let got = b.until(|e| matches!(e, ServerEvent::MemberLeft { .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::MemberLeft { user, .. }) if user.id == bob.user.id));
    assert_eq!(app.send_message(&alice.access_token, room, "secret").await.status(), 201);
    while let Some(event) = b.next(Duration::from_millis(500)).await {
        assert!(!matches!(event, ServerEvent::Message { .. }), "a removed member got {event:?}");
    }
    b.send(&ClientEvent::Subscribe { room_id: room, after_seq: Some(0) }).await;
    let got = b.until(|e| matches!(e, ServerEvent::Error { .. } | ServerEvent::Subscribed { .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::Error { code, .. }) if code == "not_found"));
}

async fn presence_with_two_tabs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (&users[0], &users[1]);
    let mut b = app.ws(&bob.access_token).await;
    let tab1 = app.ws(&alice.access_token).await;
    let got = b.until(|e| matches!(e, ServerEvent::Presence { .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::Presence { user, online: true }) if user.id == alice.user.id));
    let tab2 = app.ws(&alice.access_token).await;
    tab1.close().await;
    assert!(b.next(Duration::from_millis(700)).await.is_none(), "no event: still online in another tab");
    let online: serde_json::Value = app.presence(&bob.access_token).await.json().await.expect("presence");
    let names: Vec<&str> =
        online["online"].as_array().expect("list").iter().filter_map(|u| u["username"].as_str()).collect();
    assert!(names.contains(&"alice"), "{names:?}");
    let members: serde_json::Value = app.members(&bob.access_token, room).await.json().await.expect("members");
    let alice_member =
        members["members"].as_array().expect("members").iter().find(|m| m["user"]["username"] == "alice").cloned();
    assert_eq!(alice_member.map(|m| m["online"].clone()), Some(json!(true)));
    tab2.close().await;
    let got = b.until(|e| matches!(e, ServerEvent::Presence { .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::Presence { online: false, .. })));
}

async fn typing_is_forwarded_and_rate_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (&users[0], &users[1]);
    let mut b = app.ws(&bob.access_token).await;
    b.subscribe(room, None).await;
    let mut a = app.ws(&alice.access_token).await;
    for _ in 0..5 {
        a.send(&ClientEvent::Typing { room_id: room }).await;
    }
    let got = b.until(|e| matches!(e, ServerEvent::Typing { .. })).await;
    assert!(
        matches!(got.last(), Some(ServerEvent::Typing { user, room_id }) if user.id == alice.user.id && *room_id == room)
    );
    while let Some(event) = b.next(Duration::from_millis(800)).await {
        assert!(!matches!(event, ServerEvent::Typing { .. }), "at most one typing per 2 s");
    }
    tokio::time::sleep(Duration::from_millis(1400)).await;
    a.send(&ClientEvent::Typing { room_id: room }).await;
    b.until(|e| matches!(e, ServerEvent::Typing { .. })).await;
}

async fn bad_frames_get_errors_and_the_socket_stays_usable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let mut ws = app.ws(&alice).await;
    let cases: Vec<(WsMessage, &str)> = vec![
        (WsMessage::Binary(vec![1u8, 2, 3].into()), "unsupported_frame"),
        (WsMessage::Text("{not json".into()), "malformed_json"),
        (WsMessage::Text("[1,2]".into()), "unknown_type"),
        (WsMessage::Text(r#"{"type":"dance"}"#.into()), "unknown_type"),
        (WsMessage::Text(r#"{"type":"send","room_id":1}"#.into()), "validation_failed"),
        (WsMessage::Text(r#"{"type":"subscribe","room_id":99999999999999999999999}"#.into()), "validation_failed"),
        (WsMessage::Text(r#"{"type":"subscribe","room_id":"x"}"#.into()), "validation_failed"),
        (
            WsMessage::Text(format!(r#"{{"type":"send","room_id":{room},"client_id":"c","body":""}}"#).into()),
            "validation_failed",
        ),
        (WsMessage::Text(r#"{"type":"subscribe","room_id":424242}"#.into()), "not_found"),
        (WsMessage::Text(r#"{"type":"auth","token":"again"}"#.into()), "validation_failed"),
    ];
    for (frame, code) in cases {
        let shown = format!("{frame:?}");
        ws.send_raw(frame).await;
        match ws.recv().await {
            ServerEvent::Error { code: got, .. } => assert_eq!(got, code, "{shown}"),
            other => panic!("{shown}: expected error {code}, got {other:?}"),
        }
    }
    ws.send(&send_event(room, "after-errors", "still works")).await;
    assert_eq!(ws.ack("after-errors").await.body, "still works");
}

async fn an_oversized_frame_closes_with_1009(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let mut ws = app.ws(&alice).await;
    ws.send_raw(WsMessage::Text("x".repeat(70 * 1024).into())).await;
    let events = ws_events_until_close(&mut ws).await;
    assert_eq!(events.1, 1009, "an oversized frame closes with 1009 after an error: {:?}", events.0);
}

async fn ws_events_until_close(ws: &mut Ws) -> (Vec<ServerEvent>, u16) {
    let mut events = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_millis(500), ws.closed()).await {
            Ok(code) => return (events, code),
            Err(_) => events.push(ws.recv().await),
        }
    }
}

async fn logout_closes_the_sessions_sockets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("alice").await;
    let mut ws = app.ws(&pair.access_token).await;
    assert_eq!(app.logout(&pair.access_token).await.status(), 204);
    assert_eq!(ws.closed().await, 4003);
}

async fn a_revoked_token_cannot_open_a_socket(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let pair = app.register("alice").await;
    assert_eq!(app.logout(&pair.access_token).await.status(), 204);
    let mut fresh = Ws::connect(&app.addr).await;
    fresh.send(&ClientEvent::Auth { token: pair.access_token.clone() }).await;
    assert!(matches!(fresh.recv().await, ServerEvent::Error { code, .. } if code == "session_revoked"));
    assert_eq!(fresh.closed().await, 4001);
}

async fn slow_consumer_is_closed_and_others_carry_on(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--outbound-queue", "16", "--stall-timeout-secs", "2"]).await;
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (users[0].access_token.clone(), users[1].access_token.clone());
    let mut slow = app.ws(&bob).await;
    slow.subscribe(room, None).await;
    let mut a = app.ws(&alice).await;
    a.subscribe(room, None).await;
    // Bob stops reading; Alice sends far more than his socket buffers and queue can hold.
    let body = "x".repeat(3900);
    let mut n = 0;
    let mut closed_at = None;
    while n < 4000 {
        let id = format!("m{n}");
        a.send(&send_event(room, &id, &body)).await;
        a.ack(&id).await;
        n += 1;
        // Checked often: the server gives its close frame 2 s to get out, and Bob starts
        // reading only after this loop (a later look finds a reset instead of the 4008).
        if n % 20 == 0 && app.log.lock().expect("log").contains("closing slow") {
            closed_at = Some(n);
            break;
        }
    }
    let (_, code) = ws_events_until_close(&mut slow).await;
    assert_eq!(code, 4008, "the slow consumer is closed as too slow");
    assert!(closed_at.is_some() || n == 4000);
    // Alice's socket was never held up: it still sends and receives.
    a.send(&send_event(room, "after", "still here")).await;
    let after = a.ack("after").await;
    let got = a.until(|e| matches!(e, ServerEvent::Message { message, .. } if message.id == after.id)).await;
    assert!(!got.is_empty());
}

async fn replay_is_bounded(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--max-replay", "5"]).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let mut a = app.ws(&alice).await;
    for i in 0..8 {
        a.send(&send_event(room, &format!("c{i}"), "m")).await;
        a.ack(&format!("c{i}")).await;
    }
    let (replay, subscribed) = a.subscribe(room, Some(0)).await;
    assert!(message_seqs(&replay).is_empty(), "a truncated replay sends no changes");
    assert_eq!(subscribed, ServerEvent::Subscribed { room_id: room, head_seq: 8, replay_truncated: true });
    let (replay, subscribed) = a.subscribe(room, Some(3)).await;
    assert_eq!(message_seqs(&replay), vec![4, 5, 6, 7, 8]);
    assert_eq!(subscribed, ServerEvent::Subscribed { room_id: room, head_seq: 8, replay_truncated: false });
}

async fn connections_per_user_are_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--max-connections-per-user", "2"]).await;
    let pair = app.register("alice").await;
    let _one = app.ws(&pair.access_token).await;
    let _two = app.ws(&pair.access_token).await;
    let mut three = Ws::connect(&app.addr).await;
    three.send(&ClientEvent::Auth { token: pair.access_token.clone() }).await;
    assert_eq!(three.closed().await, 4009);
}

async fn a_bad_token_in_the_auth_frame_closes_with_4001(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut bad = Ws::connect(&app.addr).await;
    bad.send(&ClientEvent::Auth { token: "nonsense".into() }).await;
    assert!(matches!(bad.recv().await, ServerEvent::Error { code, .. } if code == "unauthenticated"));
    assert_eq!(bad.closed().await, 4001);
}

async fn a_first_frame_other_than_auth_closes_with_4001(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut wrong_first = Ws::connect(&app.addr).await;
    wrong_first.send(&ClientEvent::Ping).await;
    assert!(matches!(wrong_first.recv().await, ServerEvent::Error { .. }));
    assert_eq!(wrong_first.closed().await, 4001);
}

async fn a_bad_token_in_the_upgrade_request_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Header authentication: a bad token is refused before the upgrade.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = ws_url(&app.addr).into_client_request().expect("request");
    req.headers_mut().insert("authorization", "Bearer nonsense".parse().expect("header"));
    let err = tokio_tungstenite::connect_async(req).await.expect_err("refused");
    assert!(err.to_string().contains("401"), "{err}");
}

async fn send_rate_limit_loses_nothing_acknowledged(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--send-rate", "0.1", "--send-burst", "2"]).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let mut ws = app.ws(&alice).await;
    let mut acked = Vec::new();
    for i in 0..3 {
        let id = format!("c{i}");
        ws.send(&send_event(room, &id, "hi")).await;
        let events = ws.until(|e| matches!(e, ServerEvent::Ack { .. } | ServerEvent::Error { .. })).await;
        match events.last() {
            Some(ServerEvent::Ack { message, .. }) => acked.push(message.id),
            Some(ServerEvent::Error { code, client_id, .. }) => {
                assert_eq!((code.as_str(), client_id.as_deref()), ("rate_limited", Some(id.as_str())));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(acked.len(), 2, "the burst of two went through, the third was refused");
    let stored: Vec<i64> = app.history_ok(&alice, room, "").await.messages.iter().map(|m| m.id).collect();
    assert_eq!(stored, acked, "every acknowledged message is stored, nothing else");
}

/// Alice's room with Bob in it, and 3 messages from Alice.
async fn three_messages_for_bob(app: &TestApp) -> (i64, String, String, Ws) {
    let (room, users) = app.room_with_members(&["alice", "bob"], "public").await;
    let (alice, bob) = (users[0].access_token.clone(), users[1].access_token.clone());
    let mut a = app.ws(&alice).await;
    for i in 0..3 {
        a.send(&send_event(room, &format!("r{i}"), "unread")).await;
        a.ack(&format!("r{i}")).await;
    }
    (room, alice, bob, a)
}

async fn read_markers_reach_the_other_tabs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, _, bob, _a) = three_messages_for_bob(&app).await;
    let mut tab1 = app.ws(&bob).await;
    let mut tab2 = app.ws(&bob).await;
    tab1.send(&ClientEvent::Read { room_id: room, seq: 2 }).await;
    // Both tabs get the same entry of bob's user stream: the other tab learns the marker.
    let mut seen = Vec::new();
    for tab in [&mut tab1, &mut tab2] {
        let got = tab.until(|e| matches!(e, ServerEvent::Read { .. })).await;
        match got.last() {
            Some(ServerEvent::Read { room_id, seq: 2, user_seq: Some(n) }) if *room_id == room => seen.push(*n),
            other => panic!("expected the marker at 2 with its user_seq, got {other:?}"),
        }
    }
    assert_eq!(seen[0], seen[1], "one entry, the same on every connection");
    assert_eq!(app.room_ok(&bob, room).await.unread_count, 1);
}

async fn unsubscribe_stops_live_events(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, _, bob, mut a) = three_messages_for_bob(&app).await;
    let mut tab = app.ws(&bob).await;
    tab.subscribe(room, None).await;
    tab.send(&ClientEvent::Unsubscribe { room_id: room }).await;
    let got = tab.until(|e| matches!(e, ServerEvent::Unsubscribed { .. })).await;
    assert_eq!(got.last(), Some(&ServerEvent::Unsubscribed { room_id: room }));
    a.send(&send_event(room, "after-unsub", "quiet")).await;
    a.ack("after-unsub").await;
    while let Some(event) = tab.next(Duration::from_millis(300)).await {
        assert!(event.seq().is_none(), "no room events after unsubscribe: {event:?}");
    }
}

async fn deleting_a_room_tells_its_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, alice, bob, _a) = three_messages_for_bob(&app).await;
    // Subscribed or not.
    let mut unsubscribed = app.ws(&bob).await;
    let mut subscribed = app.ws(&bob).await;
    subscribed.subscribe(room, None).await;
    assert_eq!(app.delete_room(&alice, room).await.status(), 204);
    for tab in [&mut unsubscribed, &mut subscribed] {
        let got = tab.until(|e| matches!(e, ServerEvent::RoomDeleted { .. })).await;
        assert!(matches!(got.last(), Some(ServerEvent::RoomDeleted { room_id, .. }) if *room_id == room));
    }
}

#[tokio::test]
async fn cross_site_websocket_upgrades_are_refused() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app =
        TestApp::spawn_with(Backend::Sqlite, &["--allowed-origins", "https://chat.example.com,https://b.example"])
            .await;
    let with_origin = |origin: String| {
        let mut req = ws_url(&app.addr).into_client_request().expect("request");
        req.headers_mut().insert("origin", origin.parse().expect("header"));
        req
    };
    let err = tokio_tungstenite::connect_async(with_origin("https://evil.example".into())).await.expect_err("refused");
    assert!(err.to_string().contains("403"), "{err}");
    for origin in [format!("http://{}", app.addr), "https://chat.example.com".into(), "https://b.example".into()] {
        assert!(tokio_tungstenite::connect_async(with_origin(origin.clone())).await.is_ok(), "{origin} allowed");
    }
}
