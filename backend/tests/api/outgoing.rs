//! Outgoing webhooks: every new message of a room POSTed to a receiver, signed, in seq order, at
//! least once, resuming from the webhook's cursor after failures and restarts.

use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use confab_shared::{Webhook, WebhookList};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

both_stores!(
    deliveries_are_signed_and_in_seq_order,
    a_receiver_down_for_30_s_and_a_restart_skip_nothing,
    a_reply_posts_back_as_the_webhook,
    failures_disable_a_webhook_and_a_new_secret_enables_it,
    private_targets_are_refused
);

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Delivery {
    headers: HashMap<String, String>,
    body: Vec<u8>,
    /// The status it answered with.
    status: u16,
}

impl Delivery {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON delivery")
    }
    fn seq(&self) -> i64 {
        self.json()["seq"].as_i64().expect("seq")
    }
}

/// A webhook receiver on 127.0.0.1: an HTTP/1.1 server that records each request and answers
/// with the status and body set (keep-alive, as the server's client uses it).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Delivery>>>,
    status: Arc<AtomicU16>,
    reply: Arc<Mutex<String>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://localhost:{}/hook", listener.local_addr().expect("addr").port());
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let reply = Arc::new(Mutex::new("ok".to_owned()));
        let (g, s, r) = (got.clone(), status.clone(), reply.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (g, s, r) = (g.clone(), s.clone(), r.clone());
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut read = BufReader::new(read);
                    loop {
                        let mut headers = HashMap::new();
                        let mut line = String::new();
                        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        loop {
                            line.clear();
                            if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            let header = line.trim_end();
                            if header.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = header.split_once(':') {
                                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                            }
                        }
                        let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                        let mut body = vec![0; len];
                        if read.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        let status = s.load(Ordering::SeqCst);
                        g.lock().unwrap().push(Delivery { headers, body, status });
                        let answer = r.lock().unwrap().clone();
                        let response = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                            answer.len()
                        );
                        if write.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Receiver { url, got, status, reply }
    }

    /// The deliveries it took (answered 2xx), in arrival order.
    fn taken(&self) -> Vec<Delivery> {
        self.got.lock().unwrap().iter().filter(|d| d.status < 300).cloned().collect()
    }

    fn attempts(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// Waits (up to `secs`) until `done` holds of what it took.
    async fn until(&self, secs: u64, what: &str, done: impl Fn(&[Delivery]) -> bool) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let taken = self.taken();
            if done(&taken) {
                return taken;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: took {:?}",
                taken.iter().map(Delivery::seq).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn distinct_seqs(taken: &[Delivery]) -> Vec<i64> {
    let mut seqs: Vec<i64> = taken.iter().map(Delivery::seq).collect();
    seqs.dedup();
    seqs
}

async fn outgoing_webhook(app: &TestApp, token: &str, room: i64, target: &str) -> Webhook {
    let res =
        app.create_webhook(token, room, &json!({"name": "Relay", "target_url": target, "events": ["message"]})).await;
    assert_eq!(res.status(), 201);
    res.json().await.expect("Webhook")
}

async fn deliveries_are_signed_and_in_seq_order(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--webhook-allow-private"]).await;
    let owner = app.register("olga").await.access_token;
    let room = app.create_room(&owner, "ops", "public").await.id;
    app.send_message_ok(&owner, room, "before the webhook").await;
    let receiver = Receiver::start().await;
    let hook = outgoing_webhook(&app, &owner, room, &receiver.url).await;
    let secret = hook.secret.clone().expect("the secret, shown once");
    assert!(secret.starts_with("cfs_") && hook.url.is_none(), "{hook:?}");
    assert_eq!(
        (hook.events.as_slice(), hook.target_url.as_deref()),
        (&["message".to_owned()][..], Some(receiver.url.as_str()))
    );
    assert_eq!(hook.delivered_seq, Some(1), "it starts at the room's head");

    let mut sent = Vec::new();
    for n in 0..15 {
        sent.push(app.send_message_ok(&owner, room, &format!("message {n}")).await);
    }
    let taken = receiver.until(20, "15 deliveries", |t| distinct_seqs(t).len() >= 15).await;
    assert_eq!(
        distinct_seqs(&taken),
        sent.iter().map(|m| m.seq).collect::<Vec<_>>(),
        "every message once, in seq order"
    );
    let now = chrono::Utc::now().timestamp();
    for delivery in &taken {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&delivery.body);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(delivery.headers.get("x-confab-signature"), Some(&expected), "the signature verifies");
        let body = delivery.json();
        assert_eq!(body["type"], "message");
        assert_eq!((body["room_id"].as_i64(), body["webhook_id"].as_i64()), (Some(room), Some(hook.id)));
        assert_eq!(body["seq"], body["message"]["seq"]);
        let stamp = body["timestamp"].as_i64().expect("a signed timestamp");
        assert_eq!(delivery.headers.get("x-confab-timestamp"), Some(&stamp.to_string()));
        assert!((now - stamp).abs() < 120, "against replay: {stamp} vs {now}");
    }
    assert!(
        taken.iter().all(|d| d.json()["message"]["body"] != "before the webhook"),
        "only messages from its making on"
    );
    let list: WebhookList = app.webhooks(&owner, room).await.json().await.expect("WebhookList");
    let listed = &list.webhooks[0];
    assert_eq!((listed.delivered_seq, listed.failures, listed.disabled), (Some(sent[14].seq), 0, false));
    assert!(listed.secret.is_none(), "the secret is not shown again");
}

/// The receiver answers 503 for 30 s, and the server restarts in the middle of the outage:
/// once it answers again, every message arrives, none skipped, in order.
async fn a_receiver_down_for_30_s_and_a_restart_skip_nothing(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, &["--webhook-allow-private"]).await;
    let owner = app.register("olga").await.access_token;
    let room = app.create_room(&owner, "ops", "public").await.id;
    let receiver = Receiver::start().await;
    outgoing_webhook(&app, &owner, room, &receiver.url).await;
    let mut seqs = Vec::new();
    for n in 0..5 {
        seqs.push(app.send_message_ok(&owner, room, &format!("up {n}")).await.seq);
    }
    receiver.until(20, "the first 5", |t| distinct_seqs(t).len() >= 5).await;

    receiver.status.store(503, Ordering::SeqCst);
    let down = tokio::time::Instant::now();
    for n in 0..5 {
        seqs.push(app.send_message_ok(&owner, room, &format!("down {n}")).await.seq);
    }
    tokio::time::sleep(Duration::from_secs(12)).await;
    let list: WebhookList = app.webhooks(&owner, room).await.json().await.expect("WebhookList");
    assert!(list.webhooks[0].failures >= 2, "{:?}", list.webhooks[0]);
    assert_eq!(list.webhooks[0].last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(list.webhooks[0].delivered_seq, Some(seqs[4]), "the cursor waits at the last one taken");

    app.restart();
    let owner = app.login_ok("olga", "password123").await.access_token;
    for n in 0..5 {
        seqs.push(app.send_message_ok(&owner, room, &format!("after restart {n}")).await.seq);
    }
    tokio::time::sleep(Duration::from_secs(30).saturating_sub(down.elapsed())).await;
    let tried = receiver.attempts();
    receiver.status.store(200, Ordering::SeqCst);
    let taken = receiver.until(30, "all 15", |t| distinct_seqs(t).len() >= 15).await;
    assert_eq!(distinct_seqs(&taken), seqs, "none skipped, in seq order");
    assert!(tried > 5, "it kept trying while the receiver was down ({tried} requests)");
}

async fn a_reply_posts_back_as_the_webhook(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--webhook-allow-private"]).await;
    let owner = app.register("olga").await.access_token;
    let room = app.create_room(&owner, "ops", "public").await.id;
    let receiver = Receiver::start().await;
    *receiver.reply.lock().unwrap() = r#"{"text": "deploy *started* for <https://ci.example/9|#9>"}"#.to_owned();
    let hook = outgoing_webhook(&app, &owner, room, &receiver.url).await;
    let asked = app.send_message_ok(&owner, room, "!deploy web").await;
    receiver.until(20, "the question", |t| !t.is_empty()).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let reply = loop {
        let history = app.history_ok(&owner, room, "").await;
        if let Some(m) = history.messages.iter().find(|m| m.author.id == hook.user.id) {
            break m.clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "no reply in the room");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(reply.body, "deploy **started** for [#9](https://ci.example/9)");
    assert_eq!(reply.client_id, Some(format!("hook-{}-{}", hook.id, asked.seq)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let taken = receiver.taken();
    assert_eq!(distinct_seqs(&taken), [asked.seq], "its own post is not sent back to it");
    assert_eq!(app.history_ok(&owner, room, "").await.messages.len(), 2, "one reply");
}

async fn failures_disable_a_webhook_and_a_new_secret_enables_it(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--webhook-allow-private", "--webhook-max-failures", "3"]).await;
    let owner = app.register("olga").await.access_token;
    let room = app.create_room(&owner, "ops", "public").await.id;
    let receiver = Receiver::start().await;
    receiver.status.store(500, Ordering::SeqCst);
    let hook = outgoing_webhook(&app, &owner, room, &receiver.url).await;
    let first = app.send_message_ok(&owner, room, "to a broken receiver").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let disabled = loop {
        let list: WebhookList = app.webhooks(&owner, room).await.json().await.expect("WebhookList");
        if list.webhooks[0].disabled {
            break list.webhooks[0].clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "not disabled: {:?}", list.webhooks[0]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((disabled.failures, disabled.last_error.as_deref()), (3, Some("HTTP 500")));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.attempts(), 3, "a disabled webhook is sent nothing");

    receiver.status.store(200, Ordering::SeqCst);
    let res = app.rotate_webhook(&owner, room, hook.id).await;
    assert_eq!(res.status(), 200);
    let renewed: Webhook = res.json().await.expect("Webhook");
    let secret = renewed.secret.expect("a new secret");
    assert_ne!(Some(&secret), hook.secret.as_ref());
    assert!(!renewed.disabled && renewed.failures == 0);
    let taken = receiver.until(20, "the message it missed", |t| !t.is_empty()).await;
    assert_eq!(taken[0].seq(), first.seq, "from where it stopped");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&taken[0].body);
    assert_eq!(taken[0].headers["x-confab-signature"], format!("sha256={}", hex::encode(mac.finalize().into_bytes())));
}

async fn private_targets_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.register("olga").await.access_token;
    let room = app.create_room(&owner, "ops", "public").await.id;
    for target in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:9/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "not a url",
        "http:///nohost",
    ] {
        let res = app.create_webhook(&owner, room, &json!({"name": "x", "target_url": target})).await;
        let problem = assert_problem(res, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], "target_url", "{target}");
    }
    let res = app
        .create_webhook(&owner, room, &json!({"name": "x", "target_url": "http://8.8.8.8/h", "events": ["reaction"]}))
        .await;
    assert_problem(res, 400, "validation_failed").await;
    let res =
        app.create_webhook(&owner, room, &json!({"name": "x", "target_url": "http://8.8.8.8/h", "events": []})).await;
    let problem = assert_problem(res, 400, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "events");
    let list: WebhookList = app.webhooks(&owner, room).await.json().await.expect("WebhookList");
    assert!(list.webhooks.is_empty());
}

/// Two nodes on one database: one of them delivers (it holds the webhook's lease), sends made on
/// either node reach the receiver once each, in seq order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_deliver_each_message_once_in_order() {
    use crate::cluster::{Cluster, SHARED_REDIS, services_available};
    if !services_available() {
        return;
    }
    let cluster = Cluster::start_with(2, SHARED_REDIS, &["--webhook-allow-private"]);
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let owner = a.register("olga").await.access_token;
    let room = a.create_room(&owner, "ops", "public").await.id;
    let receiver = Receiver::start().await;
    outgoing_webhook(a, &owner, room, &receiver.url).await;
    let mut seqs = Vec::new();
    for n in 0..20 {
        let node = if n % 2 == 0 { a } else { b };
        seqs.push(node.send_message_ok(&owner, room, &format!("from node {}", n % 2)).await.seq);
    }
    let taken = receiver.until(30, "20 deliveries", |t| distinct_seqs(t).len() >= 20).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let taken_later = receiver.taken();
    assert_eq!(taken.iter().map(Delivery::seq).collect::<Vec<_>>(), seqs, "each once, in order");
    assert_eq!(taken_later.len(), 20, "and nothing more from the other node");
}
