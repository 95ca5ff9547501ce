//! Scale-out: several `confab` processes on one PostgreSQL database and one Redis, with node
//! crashes and a Redis restart. Each test has its own database and Redis key prefix (the
//! Redis-restart test runs its own `redis-server`).

use crate::helpers::{TestApp, Ws, create_database, database_url, drop_database, postgres_available, send_event};
use confab_shared::{ClientEvent, ServerEvent};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SHARED_REDIS: &str = "redis://127.0.0.1:6379";
/// The token secret every node of a test cluster shares.
pub const CLUSTER_SECRET: &str = "a-shared-secret-for-every-node-of-this-test";

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
        || std::env::var("CONFAB_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Whether Redis and PostgreSQL are there; panics in CI when they are not.
pub fn services_available() -> bool {
    let redis = std::net::TcpStream::connect("127.0.0.1:6379").is_ok();
    if !redis && required() {
        panic!("Redis is required (CI) but unreachable at 127.0.0.1:6379");
    }
    if !redis {
        eprintln!("SKIPPED: Redis unreachable; the scale-out test did not run");
    }
    redis && postgres_available()
}

/// Several nodes on one database and one Redis prefix.
pub struct Cluster {
    pub nodes: Vec<TestApp>,
    db: String,
    /// The Redis key prefix of this cluster's channels.
    pub prefix: String,
}

impl Cluster {
    pub fn start(nodes: usize, redis_url: &str) -> Cluster {
        Self::start_with(nodes, redis_url, &[])
    }

    pub fn start_with(nodes: usize, redis_url: &str, extra: &[&str]) -> Cluster {
        Self::start_with_env(nodes, redis_url, extra, &[])
    }

    /// Nodes started with `env` added to their environment.
    pub fn start_with_env(nodes: usize, redis_url: &str, extra: &[&str], env: &[(&str, &str)]) -> Cluster {
        let db = create_database();
        let prefix = format!("confab-test-{}", rand::random::<u64>());
        let args = vec![
            "--database-url".to_owned(),
            database_url(&db),
            "--redis-url".to_owned(),
            redis_url.to_owned(),
            "--redis-prefix".to_owned(),
            prefix.clone(),
            "--jwt-secret".to_owned(),
            CLUSTER_SECRET.to_owned(),
        ]
        .into_iter()
        .chain(extra.iter().map(|s| s.to_string()))
        .collect::<Vec<_>>();
        // The database is a migrated copy of the template; each node's start-up check of the
        // migrations finds nothing to do.
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let nodes = (0..nodes).map(|_| TestApp::spawn_args_env(args.clone(), env.clone())).collect();
        Cluster { nodes, db, prefix }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
        drop_database(&self.db);
    }
}

/// Collects `message` events until `count` distinct seqs arrived; panics on a duplicate.
pub async fn collect_messages(ws: &mut Ws, count: usize, within: Duration) -> Vec<(i64, i64)> {
    let deadline = Instant::now() + within;
    let mut got: Vec<(i64, i64)> = Vec::new();
    while got.len() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        match ws.next(left).await {
            Some(ServerEvent::Message { seq, message, .. }) => {
                assert!(!got.iter().any(|(s, _)| *s == seq), "seq {seq} delivered twice");
                got.push((seq, message.id));
            }
            Some(_) => {}
            None => panic!("only {} of {count} messages within {within:?}: {got:?}", got.len()),
        }
    }
    got
}

/// Alice and Bob in one public room, Alice's socket on node A and Bob's on node B, both
/// subscribed from the start.
async fn alice_on_a_bob_on_b(cluster: &Cluster) -> (i64, Vec<confab_shared::TokenPair>, Ws, Ws) {
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (room, users) = a.room_with_members(&["alice", "bob"], "public").await;
    let mut alice = a.ws(&users[0].access_token).await;
    alice.subscribe(room, Some(0)).await;
    let mut bob = b.ws(&users[1].access_token).await;
    bob.subscribe(room, Some(0)).await;
    (room, users, alice, bob)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_crosses_nodes() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start(2, SHARED_REDIS);
    let (_room, users, mut alice, _bob) = alice_on_a_bob_on_b(&cluster).await;
    let a = &cluster.nodes[0];
    // Alice (on A) learns that Bob came online (on B).
    let got = alice.until(|e| matches!(e, ServerEvent::Presence { .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::Presence { user, online: true }) if user.username == "bob"));
    let online: serde_json::Value = a.presence(&users[0].access_token).await.json().await.expect("presence");
    let names: Vec<&str> =
        online["online"].as_array().expect("list").iter().filter_map(|u| u["username"].as_str()).collect();
    assert!(names.contains(&"bob") && names.contains(&"alice"), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_and_typing_cross_nodes() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start(2, SHARED_REDIS);
    let (room, _users, mut alice, mut bob) = alice_on_a_bob_on_b(&cluster).await;

    alice.send(&send_event(room, "a1", "hello from A")).await;
    alice.ack("a1").await;
    let got = bob.until(|e| matches!(e, ServerEvent::Message { .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::Message { message, .. }) if message.body == "hello from A"));
    bob.send(&send_event(room, "b1", "hello from B")).await;
    bob.ack("b1").await;
    bob.until(|e| matches!(e, ServerEvent::Message { seq: 2, .. })).await;
    let got = alice.until(|e| matches!(e, ServerEvent::Message { seq: 2, .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::Message { message, .. }) if message.body == "hello from B"));
    bob.send(&ClientEvent::Typing { room_id: room }).await;
    let got = alice.until(|e| matches!(e, ServerEvent::Typing { .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::Typing { user, .. }) if user.username == "bob"));
}

/// Reactions made through both nodes at once reach both, each change with its own seq.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reactions_cross_nodes() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start(2, SHARED_REDIS);
    let (room, users, mut alice, mut bob) = alice_on_a_bob_on_b(&cluster).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let message = a.send_message_ok(&users[0].access_token, room, "lunch?").await;
    tokio::join!(
        a.react_ok(&users[0].access_token, room, message.id, "🍕", true),
        b.react_ok(&users[1].access_token, room, message.id, "🍕", true),
    );
    for ws in [&mut alice, &mut bob] {
        let events = ws.until(|e| matches!(e, ServerEvent::MessageUpdated { seq: 3, .. })).await;
        let seqs: Vec<i64> = events.iter().filter_map(ServerEvent::seq).collect();
        assert_eq!(seqs, [1, 2, 3], "the message, then each reaction once, in order");
        let Some(ServerEvent::MessageUpdated { message, .. }) = events.last() else { panic!("{events:?}") };
        assert_eq!((message.reactions[0].emoji.as_str(), message.reactions[0].count), ("🍕", 2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threads_and_mentions_cross_nodes() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start(2, SHARED_REDIS);
    let (room, users, mut alice, mut bob) = alice_on_a_bob_on_b(&cluster).await;
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    // Carol is on B and subscribed to nothing: her notification still finds her there.
    let carol = b.register("carol").await;
    b.join(&carol.access_token, room).await;
    let mut carol_ws = b.ws(&carol.access_token).await;
    let root = a.send_message_ok(&users[0].access_token, room, "@bob @carol standup?").await;
    let reply = b.reply_ok(&users[1].access_token, room, root.id, "in 5").await;
    let mut seen = Vec::new();
    for ws in [&mut alice, &mut bob] {
        let events = ws.until(|e| e.seq() == Some(reply.seq + 1)).await;
        let Some(ServerEvent::MessageUpdated { message, .. }) = events.last() else { panic!("{events:?}") };
        assert_eq!((message.id, message.reply_count), (root.id, 1), "the root's count, on both nodes");
        seen.push(events);
    }
    let told = |events: &[ServerEvent]| {
        events.iter().find_map(|e| match e {
            ServerEvent::Notification { message, reason, .. } => Some((message.id, *reason)),
            _ => None,
        })
    };
    let mention = Some((root.id, confab_shared::NotificationReason::Mention));
    assert_eq!(told(&seen[1]), mention, "Bob, on B, is told of the mention made on A");
    let events = carol_ws.until(|e| matches!(e, ServerEvent::Notification { .. })).await;
    assert_eq!(told(&events), mention, "so is Carol, subscribed to nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_on_two_nodes_see_one_order() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start(2, SHARED_REDIS);
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (room, users) = a.room_with_members(&["alice", "bob", "carol", "dave"], "public").await;
    let token = |i: usize| users[i].access_token.clone();
    let mut alice = a.ws(&token(0)).await;
    alice.subscribe(room, Some(0)).await;
    let mut bob = b.ws(&token(1)).await;
    bob.subscribe(room, Some(0)).await;

    // Concurrent senders on both nodes: both watchers see one identical, gapless order.
    let per_sender = 15;
    let senders = [(a, token(2), "c"), (b, token(3), "d"), (a, token(2), "e"), (b, token(3), "f")];
    let tasks = senders.iter().map(|(node, token, tag)| async move {
        let mut ws = node.ws(token).await;
        for n in 0..per_sender {
            let id = format!("{tag}{n}");
            ws.send(&send_event(room, &id, &id)).await;
            ws.ack(&id).await;
        }
    });
    futures_util::future::join_all(tasks).await;
    let total = senders.len() * per_sender;
    let on_a = collect_messages(&mut alice, total, Duration::from_secs(20)).await;
    let on_b = collect_messages(&mut bob, total, Duration::from_secs(20)).await;
    let expected: Vec<i64> = (1..=total as i64).collect();
    assert_eq!(on_a.iter().map(|m| m.0).collect::<Vec<_>>(), expected, "gapless, in order on A");
    assert_eq!(on_a, on_b, "the same order on both nodes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_crash_loses_no_acknowledged_message() {
    if !services_available() {
        return;
    }
    let mut cluster = Cluster::start(2, SHARED_REDIS);
    let (room, users) = cluster.nodes[0].room_with_members(&["alice", "bob", "carol"], "public").await;
    let (alice, bob, carol) =
        (users[0].access_token.clone(), users[1].access_token.clone(), users[2].access_token.clone());
    let mut watcher = cluster.nodes[1].ws(&bob).await;
    watcher.subscribe(room, Some(0)).await;
    let _carol_on_a = cluster.nodes[0].ws(&carol).await;
    let mut sender = cluster.nodes[0].ws(&alice).await;
    sender.subscribe(room, Some(0)).await;

    // Alice sends without waiting for acks, then node A dies mid-stream.
    let total = 60;
    let mut acked: HashMap<String, i64> = HashMap::new();
    for n in 0..total {
        sender.send(&send_event(room, &format!("m{n}"), &format!("message {n}"))).await;
    }
    while acked.len() < 20 {
        if let ServerEvent::Ack { client_id, message } = sender.recv().await {
            acked.insert(client_id, message.seq);
        }
    }
    let crashed_at = Instant::now();
    cluster.nodes[0].kill();

    // Her client reconnects to B, resumes, and resends everything not acknowledged.
    let mut sender = cluster.nodes[1].ws(&alice).await;
    let cursor = acked.values().copied().max().unwrap_or(0);
    sender.subscribe(room, Some(cursor)).await;
    for n in 0..total {
        let id = format!("m{n}");
        if let std::collections::hash_map::Entry::Vacant(slot) = acked.entry(id.clone()) {
            sender.send(&send_event(room, &id, &format!("message {n}"))).await;
            slot.insert(sender.ack(&id).await.seq);
        }
    }
    let resumed_after = crashed_at.elapsed();
    let mut seqs: Vec<i64> = acked.values().copied().collect();
    seqs.sort();
    assert_eq!(seqs, (1..=total as i64).collect::<Vec<_>>(), "every message stored once, no gap");

    // Bob, on the surviving node, saw each acknowledged message exactly once, in order.
    let seen = collect_messages(&mut watcher, total, Duration::from_secs(20)).await;
    assert_eq!(seen.iter().map(|m| m.0).collect::<Vec<_>>(), (1..=total as i64).collect::<Vec<_>>());
    eprintln!("node crash: sender resumed on the other node {resumed_after:?} after the kill");

    // Carol was only on A: she goes offline for Bob within the presence TTL.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match watcher.next(deadline.saturating_duration_since(Instant::now())).await {
            Some(ServerEvent::Presence { user, online: false }) if user.username == "carol" => break,
            Some(_) => {}
            None => panic!("carol never went offline after her node crashed"),
        }
    }
    eprintln!("node crash: carol reported offline {:?} after the kill", crashed_at.elapsed());
}

/// A private Redis on a free port, so restarting it disturbs no other test.
pub struct PrivateRedis {
    child: Option<Child>,
}

impl PrivateRedis {
    pub fn start(port: u16) -> PrivateRedis {
        Self::start_with(port, &["--port", &port.to_string()])
    }

    /// A `redis-server` with `args` (which must make it listen on `port`).
    pub fn start_with(port: u16, args: &[&str]) -> PrivateRedis {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        PrivateRedis { child: Some(child) }
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_loses_nothing() {
    if !services_available() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let mut redis = PrivateRedis::start(port);
    let cluster = Cluster::start(2, &format!("redis://127.0.0.1:{port}"));
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (room, users) = a.room_with_members(&["alice", "bob"], "public").await;
    let mut sender = a.ws(&users[0].access_token).await;
    let mut watcher = b.ws(&users[1].access_token).await;
    watcher.subscribe(room, Some(0)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut n = 0;
    let mut send_some = async |sender: &mut Ws, count: usize| {
        for _ in 0..count {
            let id = format!("m{n}");
            sender.send(&send_event(room, &id, &id)).await;
            sender.ack(&id).await;
            n += 1;
        }
    };
    send_some(&mut sender, 10).await;
    redis.stop();
    // Writes go on without Redis: the store acknowledges them.
    send_some(&mut sender, 10).await;
    let restarted = Instant::now();
    redis = PrivateRedis::start(port);
    send_some(&mut sender, 10).await;
    let seen = collect_messages(&mut watcher, 30, Duration::from_secs(30)).await;
    assert_eq!(seen.iter().map(|m| m.0).collect::<Vec<_>>(), (1..=30).collect::<Vec<i64>>(), "exactly once, in order");
    eprintln!("redis restart: all 30 delivered on the other node {:?} after Redis came back", restarted.elapsed());
    drop(redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_rate_limits_are_shared_by_the_nodes() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start_with(2, SHARED_REDIS, &["--send-rate", "0.2", "--send-burst", "3"]);
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (room, users) = a.room_with_members(&["alice"], "public").await;
    let token = &users[0].access_token;
    let statuses = [
        a.send_message(token, room, "hi").await.status().as_u16(),
        b.send_message(token, room, "hi").await.status().as_u16(),
        a.send_message(token, room, "hi").await.status().as_u16(),
    ];
    assert_eq!(statuses, [201, 201, 201], "a burst of three, over both nodes");
    let res = b.send_message(token, room, "hi").await;
    assert!(res.headers().contains_key("retry-after"));
    crate::helpers::assert_problem(res, 429, "rate_limited").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_rate_limits_are_shared_by_the_nodes() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start_with(2, SHARED_REDIS, &["--login-rate-per-minute", "2"]);
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    a.register("alice").await;
    assert_eq!(a.login("alice", "wrong-password").await.status(), 401);
    assert_eq!(b.login("alice", "wrong-password").await.status(), 401);
    crate::helpers::assert_problem(a.login("alice", "wrong-password").await, 429, "rate_limited").await;
}

/// Entries of one user's stream made on two nodes at once reach that user's connections on
/// both nodes each once, in `user_seq` order with no gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_stream_crosses_nodes_in_order() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start(2, SHARED_REDIS);
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let bob = a.register("bob").await.access_token;
    let (one, two) = (a.create_room(&bob, "one", "public").await.id, a.create_room(&bob, "two", "public").await.id);
    let mut on_a = a.ws(&bob).await;
    let mut on_b = b.ws(&bob).await;
    let head = a.sync_ok(&bob, 0).await.head_user_seq;
    tokio::join!(set_levels(a, &bob, one), set_levels(b, &bob, two));
    for ws in [&mut on_a, &mut on_b] {
        let mut seqs = Vec::new();
        while seqs.len() < 40 {
            match ws.next(Duration::from_secs(10)).await {
                Some(event) => seqs.extend(event.user_seq()),
                None => panic!("only {} of 40 entries: {seqs:?}", seqs.len()),
            }
        }
        assert_eq!(seqs, (head + 1..=head + 40).collect::<Vec<_>>(), "each entry once, in order");
    }
}

/// Sets the level of the room 20 times over, alternating.
async fn set_levels(node: &TestApp, token: &str, room: i64) {
    for i in 0..20 {
        let res = node.set_notify(token, room, if i % 2 == 0 { "all" } else { "none" }).await;
        assert_eq!(res.status(), 204);
    }
}
