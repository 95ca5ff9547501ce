//! What nodes exchange through Redis is authenticated: forged envelopes published straight to
//! the channels are dropped, and a seq the store does not have neither stalls nor skips a room.
//! Redis with a password and over TLS; readiness and presence that see every node.

use crate::cluster::{CLUSTER_SECRET, Cluster, PrivateRedis, SHARED_REDIS, collect_messages, services_available};
use crate::helpers::{TestApp, send_event};
use confab_shared::{ClientEvent, ServerEvent};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// PUBLISHes `payload` on `channel` of the Redis at `port`, speaking RESP by hand (the payload
/// is binary: a signature then JSON).
fn publish(port: u16, channel: &str, payload: &[u8]) {
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).expect("redis");
    let mut command =
        format!("*3\r\n$7\r\nPUBLISH\r\n${}\r\n{channel}\r\n${}\r\n", channel.len(), payload.len()).into_bytes();
    command.extend_from_slice(payload);
    command.extend_from_slice(b"\r\n");
    conn.write_all(&command).expect("publish");
    let mut answer = [0u8; 64];
    let n = conn.read(&mut answer).expect("answer");
    assert!(answer[..n].starts_with(b":"), "PUBLISH answered {:?}", String::from_utf8_lossy(&answer[..n]));
}

/// An envelope as a node would publish it, unsigned.
fn envelope(topic: serde_json::Value, seq: Option<i64>, frame: Option<String>, control: serde_json::Value) -> Vec<u8> {
    let wire = json!({
        "node": 42, "topic": topic, "seq": seq, "frame": frame, "control": control,
        "skip_conn": null, "published_us": chrono::Utc::now().timestamp_micros(),
    });
    serde_json::to_vec(&wire).expect("json")
}

/// `json` signed with the cluster key, as only a node holding the cluster's secret can.
fn signed(json: &[u8]) -> Vec<u8> {
    let key: [u8; 32] =
        Sha256::new().chain_update(b"confab cluster envelopes\0").chain_update(CLUSTER_SECRET).finalize().into();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("key");
    mac.update(json);
    let mut out = mac.finalize().into_bytes().to_vec();
    out.extend_from_slice(json);
    out
}

fn message_frame(room: i64, seq: i64, body: &str) -> String {
    json!({"type": "message", "room_id": room, "seq": seq, "message": {
        "id": 999_999, "room_id": room, "seq": seq, "author": {"id": 1, "username": "ceo", "created_at": "2026-01-01T00:00:00Z"},
        "body": body, "client_id": null, "created_at": "2026-01-01T00:00:00Z", "edited_at": null, "deleted": false}})
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_envelopes_on_redis_are_dropped() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start(2, SHARED_REDIS);
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (room, users) = a.room_with_members(&["alice", "bob"], "public").await;
    let mut alice = a.ws(&users[0].access_token).await;
    alice.subscribe(room, None).await;
    let sessions = a.sessions_ok(&users[0].access_token).await;
    let channel = |topic: &str| format!("{}:{topic}", cluster.prefix);

    // Unsigned: a message "from" someone else, and a forged close of alice's session.
    let forged = envelope(json!({"Room": room}), Some(1), Some(message_frame(room, 1, "forged")), json!(null));
    publish(6379, &channel(&format!("room:{room}")), &forged);
    let close = json!({"CloseSession": {"session_id": sessions.sessions[0].id}});
    publish(
        6379,
        &channel(&format!("user:{}", users[0].user.id)),
        &envelope(json!({"User": users[0].user.id}), None, None, close),
    );
    // Signed (a node that holds the secret) but with a seq the store does not have.
    let ahead = envelope(json!({"Room": room}), Some(1000), Some(message_frame(room, 1000, "ahead")), json!(null));
    publish(6379, &channel(&format!("room:{room}")), &signed(&ahead));
    // Long enough for the hub to give up on a gap it cannot fill, had it kept the seq.
    tokio::time::sleep(Duration::from_secs(4)).await;

    let mut bob = b.ws(&users[1].access_token).await;
    for i in 0..5 {
        bob.send(&send_event(room, &format!("b{i}"), &format!("real {i}"))).await;
        bob.ack(&format!("b{i}")).await;
    }
    let mut bodies = Vec::new();
    while bodies.len() < 5 {
        match alice.next(Duration::from_secs(10)).await {
            Some(ServerEvent::Message { message, seq, .. }) => bodies.push((seq, message.body)),
            Some(_) => {}
            None => panic!("only {bodies:?} arrived"),
        }
    }
    let expected: Vec<(i64, String)> = (0..5).map(|i| (i + 1, format!("real {i}"))).collect();
    assert_eq!(bodies, expected, "only the real messages, all of them, in order");
    alice.send(&ClientEvent::Ping).await;
    assert!(matches!(alice.recv().await, ServerEvent::Pong), "the forged close was ignored");
    assert!(a.metric("confab_broker_envelopes_rejected_total").await >= 2.0);
}

/// A key and a certificate for 127.0.0.1, signed by a new CA, made with `openssl`.
fn tls_files(dir: &std::path::Path) {
    let run = |args: &[&str]| {
        let status = std::process::Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
        assert!(status.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&status.stderr));
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "redis.key",
        "-out",
        "redis.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").expect("ext");
    run(&[
        "x509",
        "-req",
        "-in",
        "redis.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "redis.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port()
}

/// A message sent on node A reaches a subscriber on node B.
async fn crosses_nodes(cluster: &Cluster) {
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (room, users) = a.room_with_members(&["alice", "bob"], "public").await;
    let mut bob = b.ws(&users[1].access_token).await;
    bob.subscribe(room, None).await;
    let mut alice = a.ws(&users[0].access_token).await;
    alice.send(&send_event(room, "a1", "over redis")).await;
    alice.ack("a1").await;
    collect_messages(&mut bob, 1, Duration::from_secs(10)).await;
    for node in [a, b] {
        assert_eq!(node.readyz().await.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_with_a_password() {
    if !services_available() {
        return;
    }
    let port = free_port();
    let redis = PrivateRedis::start_with(port, &["--port", &port.to_string(), "--requirepass", "s3cret-pass"]);
    crosses_nodes(&Cluster::start(2, &format!("redis://:s3cret-pass@127.0.0.1:{port}"))).await;
    drop(redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_over_tls() {
    if !services_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    tls_files(dir.path());
    let file = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let port = free_port();
    let redis = PrivateRedis::start_with(
        port,
        &[
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--tls-cert-file",
            &file("redis.pem"),
            "--tls-key-file",
            &file("redis.key"),
            "--tls-ca-cert-file",
            &file("ca.pem"),
            "--tls-auth-clients",
            "no",
            "--requirepass",
            "tls-pass",
        ],
    );
    let ca = file("ca.pem");
    let cluster =
        Cluster::start_with_env(2, &format!("rediss://:tls-pass@127.0.0.1:{port}"), &[], &[("SSL_CERT_FILE", &ca)]);
    crosses_nodes(&cluster).await;
    drop(redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_checks_redis() {
    if !services_available() {
        return;
    }
    let port = free_port();
    let mut redis = PrivateRedis::start(port);
    let app = TestApp::spawn_args(vec!["--redis-url".into(), format!("redis://127.0.0.1:{port}")]);
    let ready = || async { app.readyz().await.status().as_u16() };
    assert_eq!(ready().await, 200);
    redis.stop();
    assert_eq!(ready().await, 503, "Redis is down");
    let _redis = PrivateRedis::start(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    while ready().await != 200 {
        assert!(Instant::now() < deadline, "not ready again after Redis came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_online_whichever_node_they_use() {
    if !services_available() {
        return;
    }
    let cluster = Cluster::start(2, SHARED_REDIS);
    let (a, b) = (&cluster.nodes[0], &cluster.nodes[1]);
    let (room, users) = a.room_with_members(&["alice", "bob"], "public").await;
    let _bob = b.ws(&users[1].access_token).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = a.members_ok(&users[0].access_token, room).await;
        if list.members.iter().any(|m| m.user.username == "bob" && m.online) {
            break;
        }
        assert!(Instant::now() < deadline, "bob, connected to node B, is not online on node A: {list:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
