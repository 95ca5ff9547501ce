//! Web Push: a local push service (a plain HTTP server in the test) receives what the server
//! sends, checks its VAPID signature (RFC 8292) against the server's published key, and
//! decrypts it (RFC 8291) with the keys of a simulated browser. Only people with no open
//! connection are pushed, each subscription once, also with two nodes.

use crate::cluster::{Cluster, SHARED_REDIS, services_available};
use crate::helpers::{Backend, TestApp, assert_problem, both_stores};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use confab_shared::{NotificationReason, PushPayload, Room, VapidKey};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use web_push_native::p256;

both_stores!(
    only_people_with_no_connection_are_pushed,
    mentions_push_and_gone_subscriptions_are_forgotten,
    subscriptions_are_checked_and_can_be_removed
);

/// One request the push service received.
#[derive(Debug)]
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A push service on a random port: answers 410 Gone on paths under `/gone/`, 201 otherwise,
/// and hands every request to the test.
struct PushService {
    origin: String,
    received: mpsc::UnboundedReceiver<Received>,
}

impl PushService {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, received) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    if let Some(request) = read_request(&mut socket).await {
                        let status = if request.path.starts_with("/gone/") { "410 Gone" } else { "201 Created" };
                        let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        let _ = socket.write_all(answer.as_bytes()).await;
                        let _ = tx.send(request);
                    }
                });
            }
        });
        Self { origin, received }
    }

    /// The next request, within 10 s.
    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(10), self.received.recv())
            .await
            .expect("a push within 10 s")
            .expect("the push service runs")
    }

    /// Asserts that nothing more arrives within `wait`.
    async fn nothing_for(&mut self, wait: Duration) {
        if let Ok(Some(extra)) = tokio::time::timeout(wait, self.received.recv()).await {
            panic!("an unexpected push to {}", extra.path);
        }
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&chunk[..n]);
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
    };
    let head = String::from_utf8(data[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1)?.to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Received { path, headers, body })
}

/// A browser's side of a subscription: its key pair and auth secret.
struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
    endpoint: String,
}

impl Browser {
    fn new(service: &PushService, path: &str) -> Self {
        let secret = loop {
            if let Ok(key) = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
                break key;
            }
        };
        Self { secret, auth: rand::random(), endpoint: format!("{}{path}", service.origin) }
    }

    fn subscription(&self) -> serde_json::Value {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let public = self.secret.public_key().to_encoded_point(false);
        json!({
            "endpoint": self.endpoint,
            "expirationTime": null,
            "keys": {"p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()), "auth": URL_SAFE_NO_PAD.encode(self.auth)},
        })
    }

    /// Checks a push the way a push service and this browser would: the VAPID token is signed
    /// by `vapid_key` for this origin and not expired; then decrypts the payload.
    fn open(&self, push: &Received, vapid_key: &str, origin: &str) -> PushPayload {
        assert_eq!(push.headers.get("content-encoding").map(String::as_str), Some("aes128gcm"));
        let ttl: u64 = push.headers.get("ttl").expect("a TTL").parse().expect("a number");
        assert!(ttl > 0);
        let authorization = push.headers.get("authorization").expect("a VAPID authorization");
        let (token, key) = authorization
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .unwrap_or_else(|| panic!("not a VAPID header: {authorization}"));
        assert_eq!(key, vapid_key, "signed with the key the server publishes");
        let point = URL_SAFE_NO_PAD.decode(key).expect("base64url");
        assert_eq!((point.len(), point[0]), (65, 4), "an uncompressed P-256 point");
        let (x, y) = (URL_SAFE_NO_PAD.encode(&point[1..33]), URL_SAFE_NO_PAD.encode(&point[33..]));
        let decoding = jsonwebtoken::DecodingKey::from_ec_components(&x, &y).expect("a P-256 key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.set_audience(&[origin]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(token, &decoding, &validation)
            .unwrap_or_else(|e| panic!("the VAPID token does not verify: {e}"))
            .claims;
        let exp = claims["exp"].as_i64().expect("exp");
        assert!(exp <= chrono::Utc::now().timestamp() + 24 * 3600, "at most 24 hours ahead (RFC 8292)");
        assert!(claims["sub"].as_str().is_some_and(|s| s.starts_with("mailto:") || s.starts_with("https:")));
        let auth = web_push_native::Auth::from(self.auth);
        let plain = web_push_native::decrypt(push.body.clone(), &self.secret, &auth).expect("decrypts (RFC 8291)");
        serde_json::from_slice(&plain).expect("a PushPayload")
    }
}

async fn vapid_key(app: &TestApp, token: &str) -> String {
    let res = app.get("/api/v1/push/vapid-key", token).await;
    assert_eq!(res.status(), 200);
    res.json::<VapidKey>().await.expect("VapidKey").public_key
}

async fn subscribe(app: &TestApp, token: &str, body: &serde_json::Value) -> reqwest::Response {
    app.http.post(app.url("/api/v1/push/subscriptions")).bearer_auth(token).json(body).send().await.expect("request")
}

async fn unsubscribe(app: &TestApp, token: &str, endpoint: &str) -> reqwest::Response {
    let url =
        reqwest::Url::parse_with_params(&app.url("/api/v1/push/subscriptions"), [("endpoint", endpoint)]).expect("url");
    app.http.delete(url).bearer_auth(token).send().await.expect("request")
}

async fn dm(app: &TestApp, token: &str, with: i64) -> Room {
    let res = app.dm(token, with).await;
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.expect("Room")
}

async fn only_people_with_no_connection_are_pushed(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--push-allow-http"]).await;
    let mut service = PushService::start().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let key = vapid_key(&app, &bob.access_token).await;
    let browser = Browser::new(&service, "/push/bob-laptop");
    assert_eq!(subscribe(&app, &bob.access_token, &browser.subscription()).await.status(), 201);
    let room = dm(&app, &alice.access_token, bob.user.id).await;

    // Bob has a tab open: he hears of it there, and no push is sent.
    let mut tab = app.ws(&bob.access_token).await;
    app.send_message_ok(&alice.access_token, room.id, "are you there?").await;
    tab.until(|e| matches!(e, confab_shared::ServerEvent::Notification { .. })).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    tab.close().await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // No tab: the next message is pushed, and it is the first push (the first was not).
    let sent = app.send_message_ok(&alice.access_token, room.id, "call me when you're back").await;
    let push = service.next().await;
    assert_eq!(push.path, "/push/bob-laptop");
    assert_eq!(push.headers.get("urgency").map(String::as_str), Some("high"));
    let payload = browser.open(&push, &key, &service.origin);
    assert_eq!(
        payload,
        PushPayload {
            kind: "notification".into(),
            room_id: room.id,
            message_id: sent.id,
            seq: sent.seq,
            reason: NotificationReason::Direct,
            title: "alice".into(),
            body: "call me when you're back".into(),
        }
    );
    // Once per subscription; and Alice's own message is never pushed to her.
    service.nothing_for(Duration::from_millis(700)).await;
}

async fn mentions_push_and_gone_subscriptions_are_forgotten(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--push-allow-http"]).await;
    let mut service = PushService::start().await;
    let (room, users) = app.room_with_members(&["alice", "bob", "carol"], "public").await;
    let (alice, bob, carol) = (&users[0].access_token, &users[1].access_token, &users[2].access_token);
    let name = app.room_ok(alice, room).await.name;
    let key = vapid_key(&app, bob).await;
    let bob_phone = Browser::new(&service, "/push/bob-phone");
    let carol_old = Browser::new(&service, "/gone/carol-old-browser");
    assert_eq!(subscribe(&app, bob, &bob_phone.subscription()).await.status(), 201);
    assert_eq!(subscribe(&app, carol, &carol_old.subscription()).await.status(), 201);

    // Level `mentions` (a room's default): a plain message pushes nobody, a mention does.
    app.send_message_ok(alice, room, "plain news").await;
    let long = format!("@bob {}", "x".repeat(300));
    let sent = app.send_message_ok(alice, room, &long).await;
    let payload = bob_phone.open(&service.next().await, &key, &service.origin);
    assert_eq!((payload.message_id, payload.reason), (sent.id, NotificationReason::Mention));
    assert_eq!(payload.title, format!("alice in #{name}"));
    assert_eq!(payload.body.chars().count(), 201, "200 characters and an ellipsis");
    assert!(payload.body.ends_with('…'));

    // Carol's push service says her subscription is gone: it is forgotten.
    app.send_message_ok(alice, room, "@carol ping").await;
    assert_eq!(service.next().await.path, "/gone/carol-old-browser");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = app.send_message_ok(alice, room, "@carol @bob again").await;
    let push = service.next().await;
    assert_eq!(push.path, "/push/bob-phone", "only Bob's subscription is left");
    assert_eq!(bob_phone.open(&push, &key, &service.origin).message_id, sent.id);
    service.nothing_for(Duration::from_millis(700)).await;
}

async fn subscriptions_are_checked_and_can_be_removed(backend: Backend) {
    let app = TestApp::spawn_with(backend, &["--push-allow-http"]).await;
    let mut service = PushService::start().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let browser = Browser::new(&service, "/push/bob");
    let mut bad_key = browser.subscription();
    bad_key["keys"]["p256dh"] = json!(URL_SAFE_NO_PAD.encode([4u8; 64]));
    let mut short_auth = browser.subscription();
    short_auth["keys"]["auth"] = json!(URL_SAFE_NO_PAD.encode([1u8; 8]));
    let mut not_a_url = browser.subscription();
    not_a_url["endpoint"] = json!("push me");
    for (body, field) in [(bad_key, "keys.p256dh"), (short_auth, "keys.auth"), (not_a_url, "endpoint")] {
        let problem = assert_problem(subscribe(&app, &bob.access_token, &body).await, 400, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let missing = json!({"endpoint": browser.endpoint});
    let problem = assert_problem(subscribe(&app, &bob.access_token, &missing).await, 400, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "keys", "{problem}");
    let res = app.http.get(app.url("/api/v1/push/vapid-key")).send().await.expect("request");
    assert_eq!(res.status(), 401, "the key is for signed-in people");

    // Subscribed twice (a browser renewing) is one subscription; removed, it gets nothing.
    for _ in 0..2 {
        assert_eq!(subscribe(&app, &bob.access_token, &browser.subscription()).await.status(), 201);
    }
    let room = dm(&app, &alice.access_token, bob.user.id).await;
    app.send_message_ok(&alice.access_token, room.id, "one").await;
    assert_eq!(service.next().await.path, "/push/bob");
    service.nothing_for(Duration::from_millis(500)).await;
    assert_eq!(unsubscribe(&app, &bob.access_token, &browser.endpoint).await.status(), 204);
    assert_eq!(unsubscribe(&app, &bob.access_token, &browser.endpoint).await.status(), 204, "idempotent");
    // Another browser of Bob's stays subscribed: the next push goes there alone. A key that is
    // not a point of the curve is taken (its length is right) and forgotten at the first push.
    let other = Browser::new(&service, "/push/bob-other");
    assert_eq!(subscribe(&app, &bob.access_token, &other.subscription()).await.status(), 201);
    let mut not_a_point = Browser::new(&service, "/push/bob-broken").subscription();
    not_a_point["keys"]["p256dh"] = json!(URL_SAFE_NO_PAD.encode([4u8; 65]));
    assert_eq!(subscribe(&app, &bob.access_token, &not_a_point).await.status(), 201);
    for text in ["two", "three"] {
        app.send_message_ok(&alice.access_token, room.id, text).await;
        assert_eq!(service.next().await.path, "/push/bob-other");
        service.nothing_for(Duration::from_millis(500)).await;
    }
    assert!(app.log.lock().unwrap().matches("not a P-256 point").count() == 1, "forgotten after the first push");
}

/// Two nodes: the node that commits the message pushes it, once, with the key both nodes share;
/// a connection on the other node counts as online.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_push_once_with_one_key() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start_with(2, SHARED_REDIS, &["--push-allow-http"]);
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let mut service = PushService::start().await;
    let alice = a.register("alice").await;
    let bob = b.register("bob").await;
    let key = vapid_key(a, &alice.access_token).await;
    assert_eq!(vapid_key(b, &bob.access_token).await, key, "every node signs with the same key");
    let browser = Browser::new(&service, "/push/bob");
    assert_eq!(subscribe(b, &bob.access_token, &browser.subscription()).await.status(), 201);
    let room = dm(a, &alice.access_token, bob.user.id).await;

    // Bob online on B: a message written on A is not pushed.
    let mut tab = b.ws(&bob.access_token).await;
    tokio::time::sleep(Duration::from_millis(500)).await; // the cluster's presence has him
    a.send_message_ok(&alice.access_token, room.id, "seen on B").await;
    tab.until(|e| matches!(e, confab_shared::ServerEvent::Notification { .. })).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    tab.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let sent = a.send_message_ok(&alice.access_token, room.id, "pushed once").await;
    let payload = browser.open(&service.next().await, &key, &service.origin);
    assert_eq!(payload.message_id, sent.id);
    service.nothing_for(Duration::from_secs(1)).await;
}
