//! Group commit: sends pipelined on one connection and from many connections at once share
//! transactions; each send must still get exactly its own outcome, in order, with gapless seqs.

use std::collections::HashMap;

use crate::helpers::{Backend, TestApp, Ws, both_stores, send_event};
use confab_shared::{MessageList, ServerEvent};

both_stores!(
    pipelined_sends_keep_their_order,
    repeated_client_ids_in_one_batch_store_one_message,
    a_bad_send_does_not_fail_its_batch,
    many_senders_in_many_rooms_get_gapless_seqs,
);

/// Reads `ack`s and `error`s (by client_id) until `n` sends are answered.
async fn answers(ws: &mut Ws, n: usize) -> HashMap<String, ServerEvent> {
    let mut answers = HashMap::new();
    while answers.len() < n {
        let event = ws.recv().await;
        let id = match &event {
            ServerEvent::Ack { client_id, .. } | ServerEvent::Error { client_id: Some(client_id), .. } => {
                client_id.clone()
            }
            _ => continue,
        };
        answers.insert(id, event);
    }
    answers
}

fn acked_seq(event: &ServerEvent) -> i64 {
    match event {
        ServerEvent::Ack { message, .. } => message.seq,
        other => panic!("expected an ack, got {other:?}"),
    }
}

async fn history(app: &TestApp, token: &str, room: i64) -> MessageList {
    app.history_ok(token, room, "limit=200").await
}

async fn pipelined_sends_keep_their_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let mut ws = app.ws(&alice).await;
    // 200 sends without waiting: they reach the writer together and are batched.
    for i in 0..200 {
        ws.send(&send_event(room, &format!("c{i}"), &format!("body {i}"))).await;
    }
    let answers = answers(&mut ws, 200).await;
    for i in 0..200 {
        assert_eq!(acked_seq(&answers[&format!("c{i}")]), i + 1, "the i-th send takes the i-th seq");
    }
    let page = history(&app, &alice, room).await;
    let bodies: Vec<String> = page.messages.iter().map(|m| m.body.clone()).collect();
    assert_eq!(bodies, (0..200).map(|i| format!("body {i}")).collect::<Vec<_>>());
    let batches = app.metric("confab_write_batch_size_count").await;
    assert!(batches < 200.0, "200 pipelined sends took {batches} transactions: not batched");
}

async fn repeated_client_ids_in_one_batch_store_one_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.register("alice").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    let mut ws = app.ws(&alice).await;
    // Each client_id three times in a row; the repeats answer with the first's message.
    for i in 0..50 {
        for _ in 0..3 {
            ws.send(&send_event(room, &format!("c{i}"), &format!("body {i}"))).await;
        }
    }
    let mut acks: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    while acks.values().map(Vec::len).sum::<usize>() < 150 {
        if let ServerEvent::Ack { client_id, message } = ws.recv().await {
            acks.entry(client_id).or_default().push((message.id, message.seq));
        }
    }
    for i in 0..50 {
        let got = &acks[&format!("c{i}")];
        assert_eq!(got.len(), 3);
        assert!(got.iter().all(|g| *g == got[0]), "c{i}: {got:?}");
        assert_eq!(got[0].1, i + 1);
    }
    // Resending them all later: batches of nothing but repeats store nothing.
    for i in 0..50 {
        ws.send(&send_event(room, &format!("c{i}"), "again")).await;
    }
    let again = answers(&mut ws, 50).await;
    for i in 0..50 {
        assert_eq!(acked_seq(&again[&format!("c{i}")]), i + 1);
    }
    let page = history(&app, &alice, room).await;
    assert_eq!(page.messages.len(), 50, "one message per client_id");
    assert!(page.messages.iter().all(|m| m.body.starts_with("body ")), "the repeats' bodies are ignored");
}

async fn a_bad_send_does_not_fail_its_batch(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (room, users) = app.room_with_members(&["alice"], "public").await;
    let alice = users[0].access_token.clone();
    let bob = app.register("bob").await.access_token;
    let elsewhere = app.create_room(&bob, "bob's", "public").await.id;
    let hidden = app.create_room(&bob, "hidden", "private").await.id;
    let other = app.create_room(&alice, "other", "public").await.id;
    let mut ws = app.ws(&alice).await;
    ws.send(&send_event(other, "used", "first use")).await;
    answers(&mut ws, 1).await;
    // Good and bad sends interleaved, all in flight at once.
    let sends = [
        (room, "g1"),
        (elsewhere, "not-joined"),
        (room, "g2"),
        (hidden, "private"),
        (room, "used"),
        (room, "g3"),
        (987_654, "no-room"),
        (room, "g4"),
    ];
    for (target, id) in sends {
        ws.send(&send_event(target, id, "hello")).await;
    }
    let answers = answers(&mut ws, sends.len()).await;
    let code = |id: &str| match &answers[id] {
        ServerEvent::Error { code, .. } => code.clone(),
        other => panic!("{id}: expected an error, got {other:?}"),
    };
    assert_eq!(code("not-joined"), "not_a_member");
    assert_eq!(code("private"), "not_found");
    assert_eq!(code("no-room"), "not_found");
    assert_eq!(code("used"), "conflict");
    let seqs: Vec<i64> = ["g1", "g2", "g3", "g4"].iter().map(|id| acked_seq(&answers[*id])).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    assert_eq!(history(&app, &alice, room).await.messages.len(), 4);
}

async fn many_senders_in_many_rooms_get_gapless_seqs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let names: Vec<String> = (0..8).map(|i| format!("user{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (room_a, users) = app.room_with_members(&names, "public").await;
    let room_b = app.create_room(&users[0].access_token, "b", "public").await.id;
    for user in &users[1..] {
        let res = app.join_room(&user.access_token, room_b).await;
        assert!(res.status().is_success());
    }
    // 8 connections × 40 sends, alternating rooms, all pipelined.
    let tasks = users.iter().enumerate().map(|(u, user)| {
        let app = &app;
        async move {
            let mut ws = app.ws(&user.access_token).await;
            for i in 0..40 {
                let room = if i % 2 == 0 { room_a } else { room_b };
                ws.send(&send_event(room, &format!("u{u}-{i}"), &format!("{u}/{i}"))).await;
            }
            let answers = answers(&mut ws, 40).await;
            // One sender's messages in one room (every other send) keep their order.
            for i in 2..40 {
                let (earlier, later) = (&answers[&format!("u{u}-{}", i - 2)], &answers[&format!("u{u}-{i}")]);
                assert!(acked_seq(earlier) < acked_seq(later), "u{u}: send {} after send {}", i, i - 2);
            }
        }
    });
    futures_util::future::join_all(tasks).await;
    for room in [room_a, room_b] {
        let page = history(&app, &users[0].access_token, room).await;
        let seqs: Vec<i64> = page.messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, (1..=160).collect::<Vec<_>>(), "room {room}: gapless, no duplicates");
    }
}
