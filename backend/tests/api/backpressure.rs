//! Sockets that misbehave or fall behind: an oversized frame header, sockets that never
//! authenticate, a client stuck in replay or that stops reading, a burst that fills every
//! queue, a logout racing a connection's start, and a crash in the middle of an ingest.

use crate::helpers::{Backend, TestApp, Ws, both_stores, send_event};
use crate::raw_ws::RawWs;
use confab_shared::{ClientEvent, ServerEvent};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

both_stores!(
    a_socket_stuck_in_replay_closes_on_logout,
    a_burst_reaches_every_client_without_disconnects,
    a_client_far_behind_catches_up_from_the_store,
    a_logout_racing_a_connection_still_closes_it,
    acknowledged_messages_survive_a_kill_during_ingest,
);

/// Streams `total` bytes after a frame header declaring 2^40, then returns the close code.
async fn oversized_frame(ws: &mut RawWs, total: usize) -> Option<u16> {
    let _ = ws.stream.write_all(&RawWs::header(1, 1 << 40)).await;
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..total / chunk.len() {
        if ws.stream.write_all(&chunk).await.is_err() {
            break; // the server hung up: what we want
        }
    }
    ws.until_closed(Duration::from_secs(5)).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_is_refused_at_its_header() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.register("alice").await.access_token;
    let before = app.rss_kib();
    // Before authentication, then after it.
    let mut ws = RawWs::connect(&app.addr, None, None).await.expect("upgrade");
    assert_eq!(oversized_frame(&mut ws, 64 << 20).await, Some(1009));
    let mut ws = RawWs::connect(&app.addr, Some(&token), None).await.expect("upgrade");
    assert!(matches!(ws.next_event(Duration::from_secs(5)).await, Some(ServerEvent::Ready { .. })));
    assert_eq!(oversized_frame(&mut ws, 64 << 20).await, Some(1009));
    let grown = app.rss_kib().saturating_sub(before);
    assert!(grown < 16 * 1024, "the server buffered what it was sent: RSS grew by {grown} KiB");
    // The server is fine.
    app.ws(&token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_sockets_per_address_are_bounded() {
    let app = TestApp::spawn_with(Backend::Sqlite, &["--max-pending-sockets-per-addr", "4"]).await;
    let token = app.register("alice").await.access_token;
    let mut pending = Vec::new();
    for _ in 0..4 {
        pending.push(RawWs::connect(&app.addr, None, None).await.expect("upgrade"));
    }
    let refused = RawWs::connect(&app.addr, None, None).await.err().expect("a fifth is refused");
    assert!(refused.contains(" 429 "), "{refused}");
    // One authenticates: its place is free again.
    pending[0].send_text(&serde_json::to_string(&ClientEvent::Auth { token: token.clone() }).expect("json")).await;
    assert!(matches!(pending[0].next_event(Duration::from_secs(5)).await, Some(ServerEvent::Ready { .. })));
    assert!(RawWs::connect(&app.addr, None, None).await.is_ok());
    // Sockets that authenticate in the upgrade request hold no place.
    assert!(RawWs::connect(&app.addr, Some(&token), None).await.is_ok());
}

/// A room holding `count` messages of 4,000 characters (8 MB for 2,000: more than a socket's
/// buffers hold), sent by its owner.
async fn big_room(app: &TestApp, token: &str, count: usize) -> i64 {
    let room = app.create_room(token, "big", "public").await.id;
    let mut ws = app.ws(token).await;
    let body = "x".repeat(4000);
    // Pipelined in batches, reading the acks (each carries its 4 KB message) in between.
    for start in (0..count).step_by(100) {
        let end = (start + 100).min(count);
        for i in start..end {
            ws.send(&send_event(room, &format!("c{i}"), &body)).await;
        }
        ws.ack(&format!("c{}", end - 1)).await;
    }
    room
}

/// A socket that subscribes from the start of `room` and does not read (a 4 KiB receive buffer).
async fn stuck_subscriber(app: &TestApp, token: &str, room: i64) -> RawWs {
    let mut ws = RawWs::connect(&app.addr, Some(token), Some(4096)).await.expect("upgrade");
    assert!(matches!(ws.next_event(Duration::from_secs(5)).await, Some(ServerEvent::Ready { .. })));
    let subscribe = ClientEvent::Subscribe { room_id: room, after_seq: Some(0) };
    ws.send_text(&serde_json::to_string(&subscribe).expect("json")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ws
}

async fn a_socket_stuck_in_replay_closes_on_logout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("owner").await.access_token;
    let room = big_room(&app, &owner, 2000).await;
    let reader = app.register("reader").await.access_token;
    let mut ws = stuck_subscriber(&app, &reader, room).await;
    assert_eq!(app.logout(&reader).await.status(), 204);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let (code, texts) = ws.until_closed(Duration::from_secs(10)).await;
    assert!(code.is_none_or(|c| c == 4003), "closed with {code:?}");
    assert!(texts < 2000, "the replay went on after the logout ({texts} frames)");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed() {
    let app = TestApp::spawn_with(Backend::Sqlite, &["--stall-timeout-secs", "2"]).await;
    let owner = app.register("owner").await.access_token;
    let room = big_room(&app, &owner, 2000).await;
    let reader = app.register("reader").await.access_token;
    let _ws = stuck_subscriber(&app, &reader, room).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.metric("confab_slow_consumers_closed_total").await < 1.0 {
        assert!(Instant::now() < deadline, "a socket that stopped reading is still open");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.metric("confab_websocket_connections").await, 0.0);
}

async fn a_burst_reaches_every_client_without_disconnects(backend: Backend) {
    const CLIENTS: usize = 20;
    const EACH: usize = 50;
    const TOTAL: i64 = (CLIENTS * EACH) as i64;
    // A small queue, so that every client falls behind and catches up from the store.
    let app = TestApp::spawn_with(backend, &["--outbound-queue", "16"]).await;
    let owner = app.register("owner").await.access_token;
    let room = app.create_room(&owner, "burst", "public").await.id;
    let mut clients = Vec::new();
    for i in 0..CLIENTS {
        let token = app.register(&format!("user{i}")).await.access_token;
        app.join(&token, room).await;
        let mut ws = app.ws(&token).await;
        ws.subscribe(room, None).await;
        clients.push(ws);
    }
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            tokio::spawn(async move {
                for n in 0..EACH {
                    ws.send(&send_event(room, &format!("u{i}-{n}"), &format!("burst {i} {n}"))).await;
                }
                let mut seqs = Vec::new();
                while seqs.len() < TOTAL as usize {
                    match ws.recv().await {
                        ServerEvent::Message { seq, .. } => seqs.push(seq),
                        ServerEvent::Error { code, .. } => panic!("client {i}: error {code}"),
                        _ => {}
                    }
                }
                seqs
            })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        let seqs = task.await.expect("client task");
        assert_eq!(seqs, (1..=TOTAL).collect::<Vec<_>>(), "client {i}: every message once, in order");
    }
    assert_eq!(app.metric("confab_slow_consumers_closed_total").await, 0.0);
    let caught_up = app.metric("confab_changes_read_back_total").await
        + app.metric("confab_changes_caught_up_from_memory_total").await;
    assert!(caught_up > 0.0, "the burst never filled a queue");
}

async fn a_client_far_behind_catches_up_from_the_store(backend: Backend) {
    // 3,000 changes of 4 KB (12 MB): more than the socket buffers (4 MiB here) and the room's recent
    // changes (4 MiB) hold together, so a client that
    // paused for all of them catches up from the store for the oldest ones.
    let app = TestApp::spawn_with(backend, &["--outbound-queue", "16"]).await;
    let owner = app.register("owner").await.access_token;
    let room = app.create_room(&owner, "far", "public").await.id;
    let reader = app.register("reader").await.access_token;
    app.join(&reader, room).await;
    let mut paused = RawWs::connect(&app.addr, Some(&reader), Some(4096)).await.expect("upgrade");
    assert!(matches!(paused.next_event(Duration::from_secs(5)).await, Some(ServerEvent::Ready { .. })));
    paused
        .send_text(&serde_json::to_string(&ClientEvent::Subscribe { room_id: room, after_seq: None }).expect("json"))
        .await;
    assert!(matches!(paused.next_event(Duration::from_secs(5)).await, Some(ServerEvent::Subscribed { .. })));
    let mut sender = app.ws(&owner).await;
    let body = "y".repeat(4000);
    // In pipelined batches of 100, reading the acks (each carries its 4 KB message) in between.
    for batch in 0..30 {
        for i in batch * 100..(batch + 1) * 100 {
            sender.send(&send_event(room, &format!("c{i}"), &body)).await;
        }
        sender.ack(&format!("c{}", batch * 100 + 99)).await;
    }
    let mut seqs = Vec::new();
    while seqs.len() < 3000 {
        match paused.next_event(Duration::from_secs(10)).await {
            Some(ServerEvent::Message { seq, .. }) => seqs.push(seq),
            Some(_) => {}
            None => panic!("closed after {} messages", seqs.len()),
        }
    }
    assert_eq!(seqs, (1..=3000).collect::<Vec<i64>>(), "every message once, in order");
    assert!(app.metric("confab_changes_read_back_total").await > 0.0, "nothing came from the store");
}

async fn a_logout_racing_a_connection_still_closes_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.register("racer").await;
    for round in 0..20 {
        let pair = app.login_ok("racer", "password123").await;
        let logout = app.logout(&pair.access_token);
        let connect = RawWs::connect(&app.addr, Some(&pair.access_token), None);
        // Let the logout land while the socket starts.
        let (connected, logged_out) = tokio::join!(connect, async {
            tokio::time::sleep(Duration::from_micros(200 * round)).await;
            logout.await
        });
        assert_eq!(logged_out.status(), 204);
        if let Ok(mut ws) = connected {
            let (code, _) = ws.until_closed(Duration::from_secs(5)).await;
            assert_eq!(code, Some(4003), "round {round}: a socket of the ended session stayed open");
        }
    }
}

async fn acknowledged_messages_survive_a_kill_during_ingest(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let token = app.register("alice").await.access_token;
    let room = app.create_room(&token, "ingest", "public").await.id;
    let mut ws = app.ws(&token).await;
    for i in 0..3000 {
        ws.send(&send_event(room, &format!("c{i}"), &format!("message {i}"))).await;
    }
    let mut acked = HashSet::new();
    while acked.len() < 500 {
        if let ServerEvent::Ack { client_id, .. } = ws.recv().await {
            acked.insert(client_id);
        }
    }
    app.restart(); // SIGKILL in the middle of the ingest, then start again
    let mut stored = HashSet::new();
    let mut after = 0;
    loop {
        let page = app.history_ok(&token, room, &format!("after_seq={after}&limit=200")).await;
        let Some(last) = page.messages.last().map(|m| m.seq) else { break };
        for message in page.messages {
            assert!(stored.insert(message.client_id.expect("client id")), "stored twice");
        }
        after = last;
    }
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged messages lost: {lost:?}", lost.len());
    // The client resends what was not acknowledged; nothing is stored twice.
    let mut ws = Ws::connect(&app.addr).await;
    ws.send(&ClientEvent::Auth { token: token.clone() }).await;
    ws.recv().await;
    for i in 0..3000 {
        ws.send(&send_event(room, &format!("c{i}"), &format!("message {i}"))).await;
    }
    ws.ack("c2999").await;
    let head = app.room_ok(&token, room).await;
    assert_eq!(head.last_seq, 3000, "each message once");
}
