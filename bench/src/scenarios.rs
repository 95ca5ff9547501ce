//! The load scenarios. Each returns one JSON object of results.

use confab_shared::ClientEvent;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::client::{Api, Sink, Stream, int_after, now_micros, send, wait_for};

/// Registers `n` users `prefix0..`, at most 8 at a time (argon2 dominates).
async fn users(api: &Api, prefix: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let gate = Arc::new(Semaphore::new(8));
    let tasks = (0..n).map(|i| {
        let (api, gate) = (api.clone(), gate.clone());
        let name = format!("{prefix}{i}");
        tokio::spawn(async move {
            let _permit = gate.acquire().await?;
            Ok::<_, anyhow::Error>(api.register(&name).await?.access_token)
        })
    });
    let mut tokens = Vec::with_capacity(n);
    for task in futures_util::future::join_all(tasks).await {
        tokens.push(task??);
    }
    Ok(tokens)
}

pub fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// The traffic of a fan-out run.
pub struct Traffic {
    pub rooms: usize,
    pub clients: usize,
    /// Per room.
    pub messages: usize,
    /// Messages per second per room.
    pub rate: f64,
    /// Reaction toggles per second on one message of the first room meanwhile (0: none), by up
    /// to 20 of its clients over REST.
    pub reactions: f64,
    /// Names of the run's users and rooms (runs on one server need their own).
    pub prefix: &'static str,
}

/// R rooms × N clients; one sender per room sends M messages at `rate` per second (and maybe
/// reaction toggles meanwhile). Measures deliveries per second, send-to-receipt latency, lost
/// and duplicated deliveries.
pub async fn fanout(api: &Api, traffic: Traffic) -> anyhow::Result<Value> {
    let Traffic { rooms, clients, messages, rate, reactions, prefix } = traffic;
    let tokens = users(api, prefix, clients).await?;
    let mut room_ids = Vec::new();
    for r in 0..rooms {
        room_ids.push(api.create_room(&tokens[0], &format!("{prefix}-{r}")).await?);
    }
    for token in &tokens[1..] {
        for room in &room_ids {
            api.join(token, *room).await?;
        }
    }
    // Receivers: every client subscribes to every room it is in (one connection per room).
    let mut receivers = Vec::new();
    for room in &room_ids {
        for token in &tokens {
            let (mut sink, mut stream) = api.connect(token).await?;
            send(&mut sink, &ClientEvent::Subscribe { room_id: *room, after_seq: None }).await?;
            wait_for(&mut stream, "\"type\":\"subscribed\"").await?;
            receivers.push((sink, stream));
        }
    }
    let idle = Duration::from_secs(5);
    let receive_tasks: Vec<_> = receivers
        .into_iter()
        .map(|(sink, mut stream)| {
            tokio::spawn(async move {
                let _sink = sink; // keep the connection open
                let mut seen = vec![0u32; messages];
                let mut latencies = Vec::with_capacity(messages);
                let mut last = Instant::now();
                let mut received = 0;
                while received < messages {
                    let Ok(Some(Ok(msg))) = tokio::time::timeout(idle, stream.next()).await else { break };
                    let WsMessage::Text(text) = msg else { continue };
                    if !text.starts_with("{\"type\":\"message\"") {
                        continue;
                    }
                    let now = now_micros();
                    let index = int_after(&text, "\"client_id\":\"f");
                    if let (Some(i), Some(sent)) = (index, int_after(&text, "\"body\":\"t:")) {
                        if let Some(slot) = seen.get_mut(i as usize) {
                            *slot += 1;
                            if *slot == 1 {
                                received += 1;
                            }
                        }
                        latencies.push(now - sent);
                        last = Instant::now();
                    }
                }
                (seen, latencies, last)
            })
        })
        .collect();

    let toggling = match reactions > 0.0 {
        true => {
            let target = api.send_message(&tokens[0], room_ids[0], "react to me").await?;
            let reactors = tokens[1..].iter().take(20).cloned().collect();
            Some(Toggles::start(api, reactors, room_ids[0], target, reactions))
        }
        false => None,
    };
    let cpu_before = crate::server::cpu_seconds("/proc/self/stat");
    let started = Instant::now();
    let senders: Vec<_> = room_ids
        .iter()
        .map(|room| {
            let (api, token, room) = (api.clone(), tokens[0].clone(), *room);
            tokio::spawn(async move {
                let (mut sink, mut stream) = api.connect(&token).await?;
                tokio::spawn(async move { while stream.next().await.is_some() {} });
                let interval = Duration::from_secs_f64(1.0 / rate);
                let begin = Instant::now();
                for i in 0..messages {
                    let due = begin + interval.mul_f64(i as f64);
                    tokio::time::sleep_until(due.into()).await;
                    let body = format!("t:{}", now_micros());
                    send(
                        &mut sink,
                        &ClientEvent::Send {
                            room_id: room,
                            client_id: format!("f{i}r{room}"),
                            body,
                            attachments: Vec::new(),
                            reply_to: None,
                            also_to_room: false,
                        },
                    )
                    .await?;
                }
                Ok::<_, anyhow::Error>(sink)
            })
        })
        .collect();
    let mut sinks = Vec::new();
    for s in futures_util::future::join_all(senders).await {
        sinks.push(s??);
    }
    let toggled = match toggling {
        Some(toggles) => Some(toggles.stop().await?),
        None => None,
    };
    let mut lost = 0usize;
    let mut duplicated = 0usize;
    let mut latencies = Vec::new();
    let mut last_receipt = started;
    for task in futures_util::future::join_all(receive_tasks).await {
        let (seen, lat, last) = task?;
        lost += seen.iter().filter(|n| **n == 0).count();
        duplicated += seen.iter().map(|n| n.saturating_sub(1) as usize).sum::<usize>();
        latencies.extend(lat);
        last_receipt = last_receipt.max(last);
    }
    let elapsed = last_receipt.duration_since(started).as_secs_f64();
    let cpu = crate::server::cpu_seconds("/proc/self/stat") - cpu_before;
    latencies.sort_unstable();
    let deliveries = latencies.len();
    let reactions = toggled.map(|(toggles, seconds, mut latencies)| {
        latencies.sort_unstable();
        json!({"toggles": toggles, "toggles_per_sec": toggles as f64 / seconds,
               "latency_ms": {"p50": percentile(&latencies, 0.5), "p99": percentile(&latencies, 0.99)}})
    });
    Ok(json!({
        "reactions": reactions,
        "rooms": rooms, "clients_per_room": clients, "messages_per_room": messages, "rate_per_room": rate,
        "deliveries": deliveries, "expected": rooms * clients * messages,
        "lost": lost, "duplicated": duplicated,
        "seconds": elapsed, "deliveries_per_sec": deliveries as f64 / elapsed,
        "latency_ms": {"p50": percentile(&latencies, 0.5), "p90": percentile(&latencies, 0.9),
                       "p99": percentile(&latencies, 0.99), "max": percentile(&latencies, 1.0)},
        "loadgen_cpu_seconds": cpu,
    }))
}

/// `senders` connections each send their share of `messages` (each `body`) into one room,
/// keeping `window` sends in flight; measures acknowledged (stored) messages per second.
pub async fn ingest(api: &Api, senders: usize, messages: usize, window: usize, body: &str) -> anyhow::Result<Value> {
    let tokens = users(api, "ing", senders).await?;
    let room = api.create_room(&tokens[0], "ingest").await?;
    for token in &tokens[1..] {
        api.join(token, room).await?;
    }
    let per_sender = messages / senders;
    let mut conns = Vec::new();
    for token in &tokens {
        conns.push(api.connect(token).await?);
    }
    let (acked, elapsed) = pump(conns, per_sender, window, |s| {
        let body = body.to_owned();
        move |i| ClientEvent::Send {
            room_id: room,
            client_id: format!("i{s}-{i}"),
            body: body.clone(),
            attachments: Vec::new(),
            reply_to: None,
            also_to_room: false,
        }
    })
    .await?;
    let mean_batch = api.histogram_mean("confab_write_batch_size").await?;
    Ok(json!({"senders": senders, "window": window, "body": body, "acked": acked, "seconds": elapsed,
              "acked_per_sec": acked as f64 / elapsed, "mean_sends_per_transaction": mean_batch}))
}

/// Each connection sends `per_sender` messages, keeping up to `window` unacknowledged; the
/// `i`-th message of sender `s` is `make(s)(i)`. Returns the acknowledged messages and the
/// seconds from the first send to the last ack.
pub async fn pump<M, E>(
    conns: Vec<(Sink, Stream)>,
    per_sender: usize,
    window: usize,
    make: M,
) -> anyhow::Result<(usize, f64)>
where
    M: Fn(usize) -> E,
    E: FnMut(usize) -> ClientEvent + Send + 'static,
{
    let started = Instant::now();
    let tasks = conns.into_iter().enumerate().map(|(s, (mut sink, mut stream))| {
        let mut event = make(s);
        tokio::spawn(async move {
            let (mut sent, mut acked) = (0, 0);
            while acked < per_sender {
                while sent < per_sender && sent - acked < window {
                    send(&mut sink, &event(sent)).await?;
                    sent += 1;
                }
                match stream.next().await {
                    Some(Ok(WsMessage::Text(text))) if text.starts_with("{\"type\":\"ack\"") => acked += 1,
                    Some(Ok(WsMessage::Text(text))) if text.starts_with("{\"type\":\"error\"") => {
                        anyhow::bail!("{text}")
                    }
                    Some(Ok(_)) => {}
                    _ => anyhow::bail!("connection lost"),
                }
            }
            Ok::<_, anyhow::Error>(acked)
        })
    });
    let mut acked = 0;
    for task in futures_util::future::join_all(tasks).await {
        acked += task??;
    }
    Ok((acked, started.elapsed().as_secs_f64()))
}

/// Stores `changes` messages, then times a `subscribe` that replays all of them.
pub async fn resume(api: &Api, changes: usize) -> anyhow::Result<Value> {
    ingest(api, 4, changes, 64, "ingest").await?;
    let token = api.register("resumer").await?.access_token;
    let (mut sink, mut stream) = api.connect(&token).await?;
    // The ingest room is the first room created.
    let started = Instant::now();
    send(&mut sink, &ClientEvent::Subscribe { room_id: 1, after_seq: Some(0) }).await?;
    let mut replayed = 0;
    loop {
        match stream.next().await {
            Some(Ok(WsMessage::Text(text))) if text.starts_with("{\"type\":\"message\"") => replayed += 1,
            Some(Ok(WsMessage::Text(text))) if text.starts_with("{\"type\":\"subscribed\"") => break,
            Some(Ok(_)) => {}
            _ => anyhow::bail!("connection lost during replay"),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(
        json!({"changes": changes, "replayed": replayed, "seconds": elapsed, "changes_per_sec": replayed as f64 / elapsed}),
    )
}

/// Makes `changes` entries of one user's stream (notification levels set over REST, 8 at a
/// time), then times a `sync` that replays all of them on a new connection.
pub async fn user_resume(api: &Api, changes: usize) -> anyhow::Result<Value> {
    let token = api.register("syncer").await?.access_token;
    let room = api.create_room(&token, "levels").await?;
    let made = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..8 {
        let (api, token) = (api.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            for i in (lane..changes.saturating_sub(1)).step_by(8) {
                api.set_notify(&token, room, if i % 2 == 0 { "all" } else { "none" }).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let made = made.elapsed().as_secs_f64();
    let (mut sink, mut stream) = api.connect(&token).await?;
    let started = Instant::now();
    send(&mut sink, &ClientEvent::Sync { after_user_seq: 0 }).await?;
    let mut replayed = 0;
    loop {
        match stream.next().await {
            Some(Ok(WsMessage::Text(text))) if text.starts_with("{\"type\":\"synced\"") => break,
            Some(Ok(WsMessage::Text(text))) if text.contains("\"user_seq\":") => replayed += 1,
            Some(Ok(_)) => {}
            _ => anyhow::bail!("connection lost during replay"),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    Ok(json!({"changes": changes, "replayed": replayed, "seconds": elapsed, "made_per_sec": changes as f64 / made}))
}

/// 1 room × `clients`, each sending `each` messages as fast as it can (a burst of
/// `clients × each` messages) while every client reads as fast as it can. Every client must
/// receive every message once; counts the clients disconnected and samples the server's peak
/// resident memory during the burst.
pub async fn burst(api: &Api, server: &crate::server::Server, clients: usize, each: usize) -> anyhow::Result<Value> {
    let tokens = users(api, "burst", clients).await?;
    let room = api.create_room(&tokens[0], "burst").await?;
    for token in &tokens[1..] {
        api.join(token, room).await?;
    }
    let mut conns = Vec::with_capacity(clients);
    for token in &tokens {
        let (mut sink, mut stream) = api.connect(token).await?;
        send(&mut sink, &ClientEvent::Subscribe { room_id: room, after_seq: None }).await?;
        wait_for(&mut stream, "\"type\":\"subscribed\"").await?;
        conns.push((sink, stream));
    }
    let total = clients * each;
    let rss_before = server.rss_kib();
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (pid, sampling) = (server.pid(), sampling.clone());
        tokio::spawn(async move {
            let mut peak = 0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(crate::server::rss_kib(pid));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            peak
        })
    };
    let started = Instant::now();
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(c, (mut sink, mut stream))| {
            tokio::spawn(async move {
                let reader = tokio::spawn(async move {
                    let mut seen = vec![0u32; total + 1];
                    let (mut received, mut disconnected) = (0, false);
                    while received < total {
                        match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
                            Ok(Some(Ok(WsMessage::Text(text)))) if text.starts_with("{\"type\":\"message\"") => {
                                if let Some(slot) = int_after(&text, "\"seq\":").and_then(|s| seen.get_mut(s as usize))
                                {
                                    *slot += 1;
                                    if *slot == 1 {
                                        received += 1;
                                    }
                                }
                            }
                            Ok(Some(Ok(WsMessage::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => {
                                disconnected = true;
                                break;
                            }
                            Ok(Some(Ok(_))) => {}
                            Err(_) => break,
                        }
                    }
                    (seen, disconnected, Instant::now())
                });
                for i in 0..each {
                    let event = ClientEvent::Send {
                        room_id: room,
                        client_id: format!("b{c}-{i}"),
                        body: format!("burst {c} {i}"),
                        attachments: Vec::new(),
                        reply_to: None,
                        also_to_room: false,
                    };
                    send(&mut sink, &event).await?;
                }
                let result = reader.await?;
                drop(sink);
                Ok::<_, anyhow::Error>(result)
            })
        })
        .collect();
    let (mut deliveries, mut duplicated, mut disconnected) = (0usize, 0usize, 0usize);
    let mut last = started;
    for task in futures_util::future::join_all(tasks).await {
        let (seen, gone, at) = task??;
        deliveries += seen[1..].iter().filter(|n| **n > 0).count();
        duplicated += seen.iter().map(|n| n.saturating_sub(1) as usize).sum::<usize>();
        disconnected += usize::from(gone);
        last = last.max(at);
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.await?;
    let seconds = last.duration_since(started).as_secs_f64();
    Ok(json!({"clients": clients, "messages_per_client": each, "messages": total,
              "deliveries": deliveries, "expected": total * clients, "duplicated": duplicated,
              "disconnected": disconnected, "seconds": seconds, "deliveries_per_sec": deliveries as f64 / seconds,
              "server_rss_kib_before": rss_before, "server_rss_kib_peak": peak,
              "changes_read_back": api.counter("confab_changes_read_back_total").await?,
              "changes_caught_up_from_memory": api.counter("confab_changes_caught_up_from_memory_total").await?}))
}

/// Opens `count` idle authenticated connections (from several 127.0.0.x source addresses)
/// and reports the server's memory per connection.
pub async fn connections(api: &Api, server: &crate::server::Server, count: usize) -> anyhow::Result<Value> {
    let tokens = users(api, "idle", 100).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = server.rss_kib();
    let mut open = Vec::with_capacity(count);
    let started = Instant::now();
    for i in 0..count {
        let source = std::net::Ipv4Addr::new(127, 0, 0, 1 + (i % 200) as u8);
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind((source, 0).into())?;
        let tcp = socket.connect(api.addr.parse()?).await?;
        let url = format!("ws://{}/api/v1/ws", api.addr);
        let (ws, _) = tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(tcp)).await?;
        let (mut sink, mut stream) = ws.split();
        send(&mut sink, &ClientEvent::Auth { token: tokens[i % tokens.len()].clone() }).await?;
        wait_for(&mut stream, "\"type\":\"ready\"").await?;
        open.push((sink, stream));
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = server.rss_kib();
    let per_conn = (rss_after.saturating_sub(rss_before)) as f64 * 1024.0 / count as f64;
    drop(open);
    Ok(json!({"connections": count, "connect_seconds": connect_seconds, "server_rss_kib_before": rss_before,
              "server_rss_kib_after": rss_after, "bytes_per_connection": per_conn}))
}

/// Time from spawning the server (on a fresh store: migrations run) to its first `200` from
/// `/readyz`, and its resident memory once idle a second later.
pub async fn startup(api: &Api, server: &crate::server::Server) -> anyhow::Result<Value> {
    while !api.ready().await {
        anyhow::ensure!(server.spawned.elapsed() < Duration::from_secs(30), "not ready within 30 s");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let ready_ms = server.spawned.elapsed().as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_secs(1)).await;
    Ok(json!({"ready_ms": ready_ms, "idle_rss_kib": server.rss_kib()}))
}

/// Reaction toggles running in the background: each reactor alternately adds and takes back
/// its 👍 on one message, their calls spread evenly over `rate` per second in all.
struct Toggles {
    stop: Arc<std::sync::atomic::AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Vec<i64>>>>,
    started: Instant,
}

impl Toggles {
    fn start(api: &Api, reactors: Vec<String>, room: i64, message: i64, rate: f64) -> Toggles {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let count = reactors.len();
        let interval = Duration::from_secs_f64(count as f64 / rate);
        let tasks = reactors
            .into_iter()
            .enumerate()
            .map(|(n, token)| {
                let (api, stop) = (api.clone(), stop.clone());
                let offset = interval.mul_f64(n as f64 / count as f64);
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let begin = Instant::now() + offset;
                    for i in 0u32.. {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        tokio::time::sleep_until((begin + interval * i).into()).await;
                        let sent = now_micros();
                        api.react(&token, room, message, "👍", i % 2 == 0).await?;
                        latencies.push(now_micros() - sent);
                    }
                    Ok(latencies)
                })
            })
            .collect();
        Toggles { stop, tasks, started: Instant::now() }
    }

    /// Stops them: the toggles made, over how many seconds, and each call's latency (µs).
    async fn stop(self) -> anyhow::Result<(usize, f64, Vec<i64>)> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let seconds = self.started.elapsed().as_secs_f64();
        let mut latencies = Vec::new();
        for task in futures_util::future::join_all(self.tasks).await {
            latencies.extend(task??);
        }
        Ok((latencies.len(), seconds, latencies))
    }
}

/// The room's message latency at 1,000 messages/s to 20 clients, without and then with 1,000
/// reaction toggles/s on one of its messages (two runs on one server).
pub async fn reactions(api: &Api) -> anyhow::Result<Value> {
    let traffic =
        |reactions, prefix| Traffic { rooms: 1, clients: 20, messages: 5000, rate: 1000.0, reactions, prefix };
    let without = fanout(api, traffic(0.0, "quiet")).await?;
    let with = fanout(api, traffic(1000.0, "busy")).await?;
    let p99 = |run: &Value| run["latency_ms"]["p99"].as_f64().unwrap_or_default();
    Ok(json!({"without": without, "with": with, "p99_ratio": p99(&with) / p99(&without).max(0.001)}))
}
