//! `confab-client` under faults: connections cut every few hundred milliseconds and a server
//! restart while two clients talk; every send stored once, every message received once, in
//! order, with no gap. Also its session refresh, a bot's token, and the crate's examples run
//! against a fresh server as the README tells.

use crate::helpers::{Backend, TestApp, both_stores};
use crate::proxy::Proxy;
use confab_client::types::{ServerEvent, Visibility};
use confab_client::{Client, Error, EventStream};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

both_stores!(the_client_loses_and_repeats_nothing_across_cut_connections_and_a_restart);
both_stores!(a_session_is_refreshed_as_its_access_token_expires);
both_stores!(a_bot_stream_ends_when_its_token_is_rotated);
both_stores!(the_echo_bot_and_the_ci_notifier_run_as_the_readme_says);

const SENDS: usize = 300;

async fn the_client_loses_and_repeats_nothing_across_cut_connections_and_a_restart(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let proxy = Proxy::start(&app.addr).await;
    let url = format!("http://{}", proxy.addr());
    let alice = Client::new(&url);
    alice.register("alice", "password123").await.unwrap();
    let room = alice.create_room("churn", Visibility::Public).await.unwrap().id;
    let bob = Client::new(&url);
    bob.register("bob", "password123").await.unwrap();
    bob.join(room).await.unwrap();

    let mut sender = alice.connect().await.unwrap();
    sender.subscribe(room, None).await;
    let mut receiver = bob.connect().await.unwrap();
    receiver.subscribe(room, Some(0)).await;
    let received = tokio::spawn(async move {
        let mut got = Vec::new();
        while got.len() < SENDS {
            match receiver.next_within(Duration::from_secs(60)).await.unwrap() {
                Some(ServerEvent::Message { seq, message, .. }) => got.push((seq, message.body)),
                Some(_) => {}
                None => break,
            }
        }
        (got, receiver.reconnects())
    });

    // Cut every connection through the proxy every 150–400 ms while the messages go out.
    let proxy = Arc::new(proxy);
    let cutter = tokio::spawn({
        let proxy = proxy.clone();
        async move {
            for i in 0u64.. {
                tokio::time::sleep(Duration::from_millis(150 + (i * 97) % 250)).await;
                proxy.cut();
            }
        }
    });

    let mut acks = Vec::new();
    for i in 0..SENDS {
        sender.send(room, &format!("m{i}")).await;
        if i == SENDS / 2 {
            app.restart();
            proxy.retarget(&app.addr);
        }
        if i % 10 == 9 {
            // Let the stream read (and reconnect) between bursts, as a bot's loop does: 300
            // sends over about 6 s, through about 20 cuts and a restart.
            let until = tokio::time::Instant::now() + Duration::from_millis(200);
            while let Some(event) = sender.next_within(until - tokio::time::Instant::now()).await.unwrap() {
                collect_ack(&mut acks, event);
            }
        }
    }
    tokio::time::timeout(Duration::from_secs(60), sender.flush()).await.expect("every send acked").unwrap();
    while let Some(event) = sender.next_within(Duration::from_millis(10)).await.unwrap() {
        collect_ack(&mut acks, event);
    }
    let (got, receiver_reconnects) = received.await.unwrap();
    cutter.abort();

    let sent: Vec<String> = (0..SENDS).map(|i| format!("m{i}")).collect();
    assert_eq!(acks.len(), SENDS, "one ack per send");
    assert_eq!(acks.iter().collect::<HashSet<_>>().len(), SENDS, "no send acked twice");
    assert_eq!(sender.pending(), 0);
    // Read back from the server itself, not through the proxy.
    let stored = all_messages(&Client::with_tokens(&app.base, alice.tokens().unwrap()), room).await;
    let bodies: Vec<String> = stored.iter().map(|(_, b)| b.clone()).collect();
    assert_eq!(bodies, sent, "every send stored once, in the order sent");
    assert_eq!(got, stored, "the receiver got every message once, in seq order, with no gap");
    assert!(sender.reconnects() >= 3, "the sender reconnected {} times", sender.reconnects());
    assert!(receiver_reconnects >= 3, "the receiver reconnected {receiver_reconnects} times");
}

fn collect_ack(acks: &mut Vec<String>, event: ServerEvent) {
    match event {
        ServerEvent::Ack { client_id, .. } => acks.push(client_id),
        ServerEvent::Error { code, message, .. } => panic!("a send was refused: {code}: {message}"),
        _ => {}
    }
}

/// Every message of the room as the store has it, `(seq, body)` in seq order.
async fn all_messages(client: &Client, room: i64) -> Vec<(i64, String)> {
    let mut messages = Vec::new();
    let mut after = 0;
    loop {
        let page = client.history(room, &format!("after_seq={after}&limit=100")).await.unwrap();
        messages.extend(page.messages.iter().map(|m| (m.seq, m.body.clone())));
        match page.messages.last() {
            Some(last) if page.has_more => after = last.seq,
            _ => return messages,
        }
    }
}

async fn a_session_is_refreshed_as_its_access_token_expires(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--access-token-ttl", "3"]).await;
    let proxy = Proxy::start(&app.addr).await;
    let client = Client::new(&format!("http://{}", proxy.addr()));
    client.register("carol", "password123").await.unwrap();
    let room = client.create_room("refreshing", Visibility::Public).await.unwrap().id;
    let first = client.tokens().unwrap().access_token;
    let mut events = client.connect().await.unwrap();
    events.subscribe(room, Some(0)).await;

    tokio::time::sleep(Duration::from_secs(4)).await;
    proxy.cut(); // the stream must reconnect with a token that has expired meanwhile
    tokio::time::sleep(Duration::from_millis(200)).await; // (and REST must see its pooled connection gone)
    let sent = client.send(room, "after the expiry", Some("late-1")).await.unwrap();
    assert_ne!(client.tokens().unwrap().access_token, first, "the session was refreshed");
    let seq = next_message(&mut events).await;
    assert_eq!(seq, sent.seq, "the stream resumed after the token expired");
    assert_eq!(client.me().await.unwrap().username, "carol");
}

async fn next_message(events: &mut EventStream) -> i64 {
    loop {
        match events.next_within(Duration::from_secs(15)).await.unwrap() {
            Some(ServerEvent::Message { seq, .. }) => return seq,
            Some(_) => {}
            None => panic!("no message within 15 s"),
        }
    }
}

async fn a_bot_stream_ends_when_its_token_is_rotated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = Client::new(&app.base);
    admin.register("admin", "password123").await.unwrap();
    let room = admin.create_room("bots", Visibility::Public).await.unwrap().id;
    let made = admin.create_bot("builder", Some("Builder")).await.unwrap();
    let bot_id = made.user.as_ref().unwrap().id;
    let bot = Client::with_token(&app.base, &made.token);
    bot.join(room).await.unwrap();
    let mut events = bot.connect().await.unwrap();
    events.subscribe(room, None).await;
    events.send(room, "hello from a bot").await;
    events.flush().await.unwrap();
    assert_eq!(all_messages(&admin, room).await.len(), 1);

    let rotated = admin.rotate_bot_token(bot_id).await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let Err(e) = events.next().await {
                return e;
            }
        }
    })
    .await
    .expect("the stream ends");
    assert!(matches!(end, Error::Closed { .. }), "{end}");
    assert_eq!(bot.me().await.unwrap_err().status(), Some(401), "the old token is refused");
    let again = Client::with_token(&app.base, &rotated.token);
    assert_eq!(again.me().await.unwrap().username, "builder");
    admin.delete_bot(bot_id).await.unwrap();
    assert_eq!(again.me().await.unwrap_err().status(), Some(401), "a deactivated bot's token is refused");
}

/// The steps of the README's "Integrations" section: an admin creates a bot; the CI notifier
/// posts a build's result (once, though the job runs twice); the echo bot answers a person.
async fn the_echo_bot_and_the_ci_notifier_run_as_the_readme_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = Client::new(&app.base);
    admin.register("admin", "password123").await.unwrap();
    let room = admin.create_room("builds", Visibility::Public).await.unwrap().id;
    let token = admin.create_bot("ci-bot", None).await.unwrap().token;

    for _ in 0..2 {
        let out = example("ci_notifier", &app.base, &token)
            .args(["builds", "812", "passed", "https://ci.example/812"])
            .output()
            .unwrap();
        assert!(out.status.success(), "ci_notifier: {}", String::from_utf8_lossy(&out.stderr));
    }
    let posted = admin.history(room, "").await.unwrap().messages;
    assert_eq!(posted.len(), 1, "the rerun posted nothing new");
    assert_eq!(posted[0].body, "✅ **Build 812 passed** ([details](https://ci.example/812))");
    assert!(posted[0].author.bot);

    let echo_token = admin.create_bot("echo-bot", None).await.unwrap().token;
    let mut bot = Running(example("echo_bot", &app.base, &echo_token).arg("builds").spawn().unwrap());
    let mut events = admin.connect().await.unwrap();
    events.subscribe(room, None).await;
    // The bot has joined once it is listed as a member.
    for _ in 0..100 {
        let members: serde_json::Value = admin.get(&format!("/rooms/{room}/members")).await.unwrap();
        if members.to_string().contains("\"echo-bot\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await; // its stream subscribes after joining
    events.send(room, "ping *there*").await;
    let echo = loop {
        match events.next_within(Duration::from_secs(15)).await.unwrap() {
            Some(ServerEvent::Message { message, .. }) if message.author.username == "echo-bot" => break message,
            Some(_) => {}
            None => panic!("no echo within 15 s; bot: {:?}", bot.0.try_wait()),
        }
    };
    assert_eq!(echo.body, "ping *there*");
    assert!(echo.author.bot);
    while let Some(event) = events.next_within(Duration::from_secs(1)).await.unwrap() {
        assert!(!matches!(event, ServerEvent::Message { .. }), "the bot answers once and not itself: {event:?}");
    }
    drop(bot);
}

/// A built example of `confab-client` (`cargo test --workspace` builds them), with the
/// README's environment.
fn example(name: &str, url: &str, token: &str) -> Command {
    let dir: PathBuf = PathBuf::from(env!("CARGO_BIN_EXE_confab")).parent().unwrap().join("examples");
    let path = dir.join(name);
    assert!(path.exists(), "{} is not built: run `cargo build -p confab-client --examples`", path.display());
    let mut command = Command::new(path);
    command.env("CONFAB_URL", url).env("CONFAB_TOKEN", token).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// A child process killed when dropped (a failed assertion must not leave the bot running).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
