//! The Redis broker (scale-out): envelopes travel between nodes over Redis pub/sub.
//!
//! Each node publishes an envelope once, to the channel of its topic
//! (`<prefix>:room:<id>` or `<prefix>:user:<id>`), and subscribes only to the channels of topics
//! it has local subscribers for. Publishing goes through a bounded queue to one task that
//! pipelines `PUBLISH`es on a pooled connection; subscriptions live on one dedicated pub/sub
//! connection owned by another task.
//!
//! Redis holds nothing durable: when the pub/sub connection drops, the node keeps serving
//! (local delivery and writes go on), reconnects with backoff, subscribes again, and every room
//! hub reads what it missed from the store by `seq`. A periodic catch-up is the safety net for
//! a lost tail event (a failed publish elsewhere).

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

use super::broker::Broker;
use super::hub::{Control, Envelope, Hub, Topic};

const PUBLISH_QUEUE: usize = 65_536;
const PUBLISH_BATCH: usize = 256;
const SAFETY_CATCH_UP: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// An envelope as it crosses Redis.
#[derive(Serialize, Deserialize)]
struct Wire {
    node: u64,
    topic: Topic,
    seq: Option<i64>,
    frame: Option<String>,
    control: Option<Control>,
    skip_conn: Option<u64>,
    published_us: i64,
}

enum Subscription {
    Open(Topic),
    Close(Topic),
}

pub struct RedisBroker {
    node: u64,
    prefix: String,
    publish: mpsc::Sender<(String, String)>,
    subscriptions: mpsc::Sender<Subscription>,
    /// The topics this node listens to, to subscribe again after a reconnect.
    open: Arc<Mutex<HashSet<Topic>>>,
    hub: Arc<OnceLock<Weak<Hub>>>,
    /// Times the pub/sub connection was re-established (for `/metrics`).
    pub reconnects: Arc<AtomicU64>,
}

impl RedisBroker {
    /// Connects the broker's tasks; they run until the process ends.
    pub fn start(url: &str, prefix: &str, node: u64, pool: deadpool_redis::Pool) -> anyhow::Result<Self> {
        let client = deadpool_redis::redis::Client::open(url)?;
        let (publish, publish_rx) = mpsc::channel(PUBLISH_QUEUE);
        let (subscriptions, subscriptions_rx) = mpsc::channel(PUBLISH_QUEUE);
        let broker = RedisBroker {
            node,
            prefix: prefix.to_owned(),
            publish,
            subscriptions,
            open: Arc::default(),
            hub: Arc::default(),
            reconnects: Arc::default(),
        };
        tokio::spawn(publisher(pool, publish_rx));
        let listener = Listener {
            node: broker.node,
            prefix: broker.prefix.clone(),
            open: broker.open.clone(),
            hub: broker.hub.clone(),
            reconnects: broker.reconnects.clone(),
        };
        tokio::spawn(listener.run(client, subscriptions_rx));
        Ok(broker)
    }
}

fn channel(prefix: &str, topic: Topic) -> String {
    match topic {
        Topic::Room(id) => format!("{prefix}:room:{id}"),
        Topic::User(id) => format!("{prefix}:user:{id}"),
    }
}

impl Broker for RedisBroker {
    fn publish(&self, envelope: &Envelope) {
        let wire = Wire {
            node: self.node,
            topic: envelope.topic,
            seq: envelope.seq,
            frame: envelope.frame.as_ref().map(|f| f.to_string()),
            control: envelope.control.clone(),
            skip_conn: envelope.skip_conn,
            published_us: envelope.published_us,
        };
        let Ok(payload) = serde_json::to_string(&wire) else {
            return;
        };
        if self.publish.try_send((channel(&self.prefix, envelope.topic), payload)).is_err() {
            // Other nodes recover a lost change from the store (gap fill, periodic catch-up).
            tracing::warn!("redis publish queue full: dropping an envelope");
        }
    }

    fn topic_opened(&self, topic: Topic) {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).insert(topic);
        let _ = self.subscriptions.try_send(Subscription::Open(topic));
    }

    fn topic_closed(&self, topic: Topic) {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).remove(&topic);
        let _ = self.subscriptions.try_send(Subscription::Close(topic));
    }

    fn attach(&self, hub: Weak<Hub>) {
        let _ = self.hub.set(hub);
    }

    fn reconnects(&self) -> Option<u64> {
        Some(self.reconnects.load(Ordering::Relaxed))
    }
}

/// Publishes queued envelopes, pipelining whatever has accumulated.
async fn publisher(pool: deadpool_redis::Pool, mut queue: mpsc::Receiver<(String, String)>) {
    let mut batch = Vec::with_capacity(PUBLISH_BATCH);
    while queue.recv_many(&mut batch, PUBLISH_BATCH).await > 0 {
        let mut pipe = deadpool_redis::redis::pipe();
        for (channel, payload) in &batch {
            pipe.publish(channel, payload).ignore();
        }
        let result = match pool.get().await {
            Ok(mut conn) => pipe.query_async::<()>(&mut *conn).await.map_err(anyhow::Error::from),
            Err(err) => Err(anyhow::Error::from(err)),
        };
        if let Err(err) = result {
            tracing::warn!(error = %err, dropped = batch.len(), "redis publish failed");
        }
        batch.clear();
    }
}

struct Listener {
    node: u64,
    prefix: String,
    open: Arc<Mutex<HashSet<Topic>>>,
    hub: Arc<OnceLock<Weak<Hub>>>,
    reconnects: Arc<AtomicU64>,
}

impl Listener {
    fn hub(&self) -> Option<Arc<Hub>> {
        self.hub.get().and_then(Weak::upgrade)
    }

    async fn run(self, client: deadpool_redis::redis::Client, mut subscriptions: mpsc::Receiver<Subscription>) {
        let mut backoff = Duration::from_millis(100);
        let mut connected_before = false;
        loop {
            match client.get_async_pubsub().await {
                Ok(pubsub) => {
                    if connected_before {
                        self.reconnects.fetch_add(1, Ordering::Relaxed);
                        tracing::info!("redis pub/sub reconnected");
                    }
                    connected_before = true;
                    backoff = Duration::from_millis(100);
                    if let Err(err) = self.serve(pubsub, &mut subscriptions).await {
                        tracing::warn!(error = %err, "redis pub/sub connection lost");
                    }
                }
                Err(err) => tracing::warn!(error = %err, "redis pub/sub connect failed"),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Serves one pub/sub connection until it fails.
    async fn serve(
        &self,
        pubsub: deadpool_redis::redis::aio::PubSub,
        subscriptions: &mut mpsc::Receiver<Subscription>,
    ) -> anyhow::Result<()> {
        let (mut sink, mut stream) = pubsub.split();
        // Commands queued while disconnected are superseded by the set of open topics.
        while subscriptions.try_recv().is_ok() {}
        let topics: Vec<Topic> = self.open.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect();
        for topic in &topics {
            sink.subscribe(channel(&self.prefix, *topic)).await?;
        }
        self.catch_up_all().await;
        let mut safety = tokio::time::interval(SAFETY_CATCH_UP);
        safety.tick().await;
        loop {
            tokio::select! {
                msg = stream.next() => {
                    let Some(msg) = msg else { anyhow::bail!("pub/sub stream ended") };
                    self.deliver(msg.get_payload_bytes());
                }
                sub = subscriptions.recv() => match sub {
                    Some(Subscription::Open(topic)) => {
                        sink.subscribe(channel(&self.prefix, topic)).await?;
                        // Events published before the subscription took effect are in the store.
                        if let (Topic::Room(room_id), Some(hub)) = (topic, self.hub()) {
                            hub.catch_up(room_id).await;
                        }
                    }
                    Some(Subscription::Close(topic)) => sink.unsubscribe(channel(&self.prefix, topic)).await?,
                    None => return Ok(()),
                },
                _ = safety.tick() => self.catch_up_all().await,
            }
        }
    }

    fn deliver(&self, payload: &[u8]) {
        let Ok(wire) = serde_json::from_slice::<Wire>(payload) else {
            tracing::warn!("ignoring a malformed envelope from redis");
            return;
        };
        if wire.node == self.node {
            return; // delivered locally when published
        }
        if let Some(hub) = self.hub() {
            hub.dispatch(Envelope {
                topic: wire.topic,
                seq: wire.seq,
                frame: wire.frame.map(Into::into),
                control: wire.control,
                skip_conn: wire.skip_conn,
                published_us: wire.published_us,
            });
        }
    }

    async fn catch_up_all(&self) {
        if let Some(hub) = self.hub() {
            for room_id in hub.rooms() {
                hub.catch_up(room_id).await;
            }
        }
    }
}
