//! WebSocket fuzzing: thousands of random, truncated, oversized, binary and wrongly typed
//! frames, and subscribe/unsubscribe churn, against a live server while another user chats.
//! Every bad frame must get an `error` (or, for an oversized one, a close with 1009), the
//! server must not panic, and the bystander must receive every message, in order.

use crate::helpers::{Backend, TestApp, send_event};
use confab_shared::{ClientEvent, ServerEvent};
use rand::{Rng, SeedableRng};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;

const FUZZERS: usize = 4;
const FRAMES_PER_FUZZER: usize = 750;

/// A valid frame for the room, to cut, mangle or send as is.
fn valid_frame(rng: &mut impl Rng, room: i64) -> String {
    let event = match rng.random_range(0..5) {
        0 => ClientEvent::Subscribe { room_id: room, after_seq: Some(rng.random_range(0..5)) },
        1 => ClientEvent::Unsubscribe { room_id: room },
        2 => send_event(room, &format!("fz-{}", rng.random::<u64>()), "fuzz"),
        3 => ClientEvent::Ping,
        _ => ClientEvent::Subscribe { room_id: rng.random_range(-5..1_000_000), after_seq: None },
    };
    serde_json::to_string(&event).unwrap_or_default()
}

enum Expect {
    /// Any answer (error, ack, subscribed, unsubscribed, pong).
    Answer,
    /// The server closes with this code.
    Close(u16),
}

fn fuzz_frame(rng: &mut impl Rng, room: i64) -> (WsMessage, Expect) {
    let valid = valid_frame(rng, room);
    match rng.random_range(0..10) {
        0 => {
            let cut = rng.random_range(0..valid.len().max(1));
            (WsMessage::Text(valid[..cut].to_owned().into()), Expect::Answer)
        }
        1 => {
            let bytes: Vec<u8> = (0..rng.random_range(0..64)).map(|_| rng.random()).collect();
            (WsMessage::Binary(bytes.into()), Expect::Answer)
        }
        2 => {
            let text: String = (0..rng.random_range(1..200)).map(|_| rng.random::<char>()).collect();
            (WsMessage::Text(text.into()), Expect::Answer)
        }
        3 => {
            let wrong = [
                r#"{"type":"send","room_id":"one","client_id":5,"body":[]}"#,
                r#"{"type":"subscribe","room_id":1e400}"#,
                r#"{"type":"subscribe","room_id":-99999999999999999999}"#,
                r#"{"type":"read","room_id":1,"seq":"x"}"#,
                r#"{"type":null}"#,
                r#"{"type":"typing"}"#,
                r#"null"#,
                r#""just a string""#,
            ];
            (WsMessage::Text(wrong[rng.random_range(0..wrong.len())].into()), Expect::Answer)
        }
        4 => {
            let depth = rng.random_range(100..5000);
            (WsMessage::Text(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into()), Expect::Answer)
        }
        5 if rng.random_range(0..20) == 0 => (WsMessage::Text("x".repeat(80 * 1024).into()), Expect::Close(1009)),
        _ => (WsMessage::Text(valid.into()), Expect::Answer),
    }
}

fn is_answer(event: &ServerEvent) -> bool {
    matches!(
        event,
        ServerEvent::Error { .. }
            | ServerEvent::Ack { .. }
            | ServerEvent::Subscribed { .. }
            | ServerEvent::Unsubscribed { .. }
            | ServerEvent::Pong
    )
}

async fn fuzz(app: &TestApp, token: &str, room: i64, seed: u64) -> (usize, usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut ws = app.ws(token).await;
    let (mut sent, mut closes) = (0, 0);
    for _ in 0..FRAMES_PER_FUZZER {
        let (frame, expect) = fuzz_frame(&mut rng, room);
        ws.send_raw(frame).await;
        sent += 1;
        match expect {
            Expect::Answer => {
                ws.until(is_answer).await;
            }
            Expect::Close(code) => {
                assert_eq!(ws.closed().await, code);
                closes += 1;
                ws = app.ws(token).await;
            }
        }
    }
    (sent, closes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_frames_never_hurt_the_server_or_other_users() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (room, users) = app.room_with_members(&["alice", "bob", "mallory"], "public").await;
    let (alice, bob, mallory) = (&users[0].access_token, &users[1].access_token, &users[2].access_token);
    let mut bystander = app.ws(bob).await;
    bystander.subscribe(room, None).await;
    let mut talker = app.ws(alice).await;

    let seed: u64 = rand::random();
    eprintln!("fuzz seed {seed}");
    let fuzzers = (0..FUZZERS as u64).map(|i| fuzz(&app, mallory, room, seed.wrapping_add(i)));
    let chat = async {
        let mut acked = Vec::new();
        for i in 0..50 {
            let id = format!("alice-{i}");
            talker.send(&send_event(room, &id, "while the fuzzers run")).await;
            acked.push(talker.ack(&id).await.seq);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        acked
    };
    let (results, acked) = tokio::join!(futures_util::future::join_all(fuzzers), chat);
    let sent: usize = results.iter().map(|r| r.0).sum();
    let closes: usize = results.iter().map(|r| r.1).sum();
    eprintln!("fuzz: {sent} frames sent, {closes} oversized-frame closes");

    // The bystander saw Alice's messages, in order, once (the fuzzers' valid sends too).
    let mut seen = Vec::new();
    let last = *acked.last().expect("acked");
    while seen.last() != Some(&last) {
        if let ServerEvent::Message { seq, .. } = bystander.recv().await {
            seen.push(seq);
        }
    }
    assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "gapless and in order");
    assert!(acked.iter().all(|s| seen.contains(s)));
    assert_eq!(app.healthz().await.status(), 200);
    let log = app.log.lock().expect("log").clone();
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");
    assert_eq!(sent, FUZZERS * FRAMES_PER_FUZZER);
}
