//! A database outage: PostgreSQL becomes unreachable (a proxy in front of it stops), writes
//! fail with a clear error, sockets stay open, and everything recovers by itself.

use crate::helpers::{
    TestApp, assert_problem, create_database, database_url, drop_database, postgres_available, send_event,
};
use crate::proxy::Proxy;
use confab_shared::{ClientEvent, ServerEvent};
use std::time::Duration;

/// A server on a fresh PostgreSQL database reached through a proxy that can be cut.
async fn behind_a_proxy() -> (String, Proxy, TestApp) {
    let db = create_database();
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let url = database_url(&db).replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port));
    let app = TestApp::spawn_args(vec!["--database-url".into(), url]);
    (db, proxy, app)
}

/// Waits (up to 10 s) for `/readyz` to answer 200 again.
async fn ready_again(app: &TestApp) {
    for _ in 0..50 {
        if app.try_readyz().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("not ready again within 10 s of the database coming back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_fails_writes_clearly_and_recovers() {
    if !postgres_available() {
        return;
    }
    let (db, proxy, app) = behind_a_proxy().await;
    let alice = app.register("alice").await.access_token;
    let bob = app.register("bob").await.access_token;
    let room = app.create_room(&alice, "r", "public").await.id;
    app.join(&bob, room).await;
    let mut a = app.ws(&alice).await;
    let mut b = app.ws(&bob).await;
    b.subscribe(room, Some(0)).await;

    proxy.set_down(true);
    assert_eq!(app.readyz().await.status(), 503, "not ready without the database");
    a.send(&send_event(room, "during", "lost?")).await;
    let events = a.until(|e| matches!(e, ServerEvent::Error { .. } | ServerEvent::Ack { .. })).await;
    match events.last() {
        Some(ServerEvent::Error { code, client_id, .. }) => {
            assert_eq!((code.as_str(), client_id.as_deref()), ("service_unavailable", Some("during")));
        }
        other => panic!("expected a service_unavailable error, got {other:?}"),
    }
    // Pipelined sends share a batch: each gets its own service_unavailable.
    for i in 0..20 {
        a.send(&send_event(room, &format!("p{i}"), "x")).await;
    }
    let mut refused = std::collections::HashSet::new();
    while refused.len() < 20 {
        match a.recv().await {
            ServerEvent::Error { code, client_id: Some(id), .. } if code == "service_unavailable" => {
                refused.insert(id);
            }
            other => panic!("expected service_unavailable errors, got {other:?}"),
        }
    }
    assert_problem(app.send_message(&alice, room, "x").await, 503, "service_unavailable").await;
    // The sockets stay open through the outage.
    a.send(&ClientEvent::Ping).await;
    assert_eq!(a.until(|e| matches!(e, ServerEvent::Pong)).await.last(), Some(&ServerEvent::Pong));

    proxy.set_down(false);
    ready_again(&app).await;
    // The unacknowledged send is retried with the same client_id and delivered once.
    a.send(&send_event(room, "during", "lost?")).await;
    let events = a.until(|e| matches!(e, ServerEvent::Ack { .. } | ServerEvent::Error { .. })).await;
    assert!(matches!(events.last(), Some(ServerEvent::Ack { message, .. }) if message.seq == 1), "{events:?}");
    let got = b.until(|e| matches!(e, ServerEvent::Message { .. })).await;
    assert!(matches!(got.last(), Some(ServerEvent::Message { seq: 1, .. })));
    drop(app);
    drop_database(&db);
}

/// A database outage while a socket authenticates is not a bad token: the `error` says
/// `service_unavailable` and the close is 1013 (come back shortly), never 4001 (which makes a
/// client refresh its token, or sign the person out).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_during_socket_authentication_is_not_a_bad_token() {
    if !postgres_available() {
        return;
    }
    let (db, proxy, app) = behind_a_proxy().await;
    let alice = app.register("alice").await.access_token;
    proxy.set_down(true);
    let mut ws = crate::helpers::Ws::connect(&app.addr).await;
    ws.send(&ClientEvent::Auth { token: alice.clone() }).await;
    match ws.recv().await {
        ServerEvent::Error { code, .. } => assert_eq!(code, "service_unavailable"),
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(ws.closed().await, confab_shared::CloseCode::TryAgain.code());
    proxy.set_down(false);
    ready_again(&app).await;
    let _ready = app.ws(&alice).await; // the same token works once the database is back
    drop(app);
    drop_database(&db);
}
