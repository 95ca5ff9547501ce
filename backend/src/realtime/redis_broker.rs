//! The Redis broker (scale-out): envelopes travel between nodes over Redis pub/sub.
//!
//! Each node publishes an envelope once, to the channel of its topic
//! (`<prefix>:room:<id>` or `<prefix>:user:<id>`), and subscribes only to the channels of topics
//! it has local subscribers for. Publishing goes through a bounded queue to one task that
//! pipelines `PUBLISH`es on a pooled connection; subscriptions live on one dedicated pub/sub
//! connection owned by another task.
//!
//! Every envelope is signed: `HMAC-SHA256(cluster key, json) || json`, the key derived from the
//! token secret that every node of a cluster shares. A node drops (and counts) anything whose
//! signature does not verify or that is older than `MAX_AGE`, so someone who can publish on
//! the Redis channels cannot inject a message "from" anyone, close sockets with a forged
//! `CloseSession`, or push a seq ahead (the hub also drops a seq the store does not have).
//!
//! Redis holds nothing durable: when the pub/sub connection drops, the node keeps serving
//! (local delivery and writes go on), reconnects with backoff, subscribes again, and every room
//! hub reads what it missed from the store by `seq`. A periodic catch-up is the safety net for
//! a lost tail event (a failed publish elsewhere).

use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

use super::broker::{Broker, Inbox};
use super::envelope::{Envelope, Topic};
use crate::auth::tokens::{derive_key, hmac};

const PUBLISH_QUEUE: usize = 65_536;
const PUBLISH_BATCH: usize = 256;
const SAFETY_CATCH_UP: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Envelopes older than this (by their publisher's clock) are dropped: a replayed capture.
const MAX_AGE_US: i64 = 300_000_000;
const MAC_LEN: usize = 32;

/// An envelope as it crosses Redis: with its sender (a node drops its own) and the time it was
/// sent (for the age check). `E` is `&Envelope` going out, `Envelope` coming in.
#[derive(Serialize, Deserialize)]
struct Wire<E> {
    node: u64,
    sent_us: i64,
    envelope: E,
}

/// Signs and verifies envelopes with the cluster key.
#[derive(Clone)]
pub struct Signer {
    key: [u8; 32],
}

impl Signer {
    /// The cluster key, derived from the token secret (shared by every node of a cluster).
    pub fn from_secret(secret: &[u8]) -> Self {
        Self { key: derive_key("confab cluster envelopes", secret) }
    }

    fn mac(&self) -> Hmac<Sha256> {
        hmac(&self.key)
    }

    /// `mac || json`.
    fn seal(&self, json: &[u8]) -> Vec<u8> {
        let mut mac = self.mac();
        mac.update(json);
        let mut sealed = mac.finalize().into_bytes().to_vec();
        sealed.extend_from_slice(json);
        sealed
    }

    /// The json of a sealed payload whose signature verifies.
    fn open<'a>(&self, sealed: &'a [u8]) -> Option<&'a [u8]> {
        let (tag, json) = sealed.split_at_checked(MAC_LEN)?;
        let mut mac = self.mac();
        mac.update(json);
        mac.verify_slice(tag).ok()?;
        Some(json)
    }
}

enum Subscription {
    Open(Topic),
    Close(Topic),
}

pub struct RedisBroker {
    node: u64,
    prefix: String,
    publish: mpsc::Sender<(String, Vec<u8>)>,
    signer: Signer,
    subscriptions: mpsc::Sender<Subscription>,
    /// The topics this node listens to, to subscribe again after a reconnect.
    open: Arc<Mutex<HashSet<Topic>>>,
    /// Times the pub/sub connection was re-established (for `/metrics`).
    pub reconnects: Arc<AtomicU64>,
    /// Envelopes dropped: bad signature, too old, malformed (for `/metrics`).
    pub rejected: Arc<AtomicU64>,
}

/// The broker's two tasks (publisher and listener), until [`BrokerTasks::spawn`] runs them.
pub struct BrokerTasks {
    pool: deadpool_redis::Pool,
    publish: mpsc::Receiver<(String, Vec<u8>)>,
    client: deadpool_redis::redis::Client,
    subscriptions: mpsc::Receiver<Subscription>,
    listener: Listener,
}

impl RedisBroker {
    pub fn new(
        url: &str,
        prefix: &str,
        node: u64,
        pool: deadpool_redis::Pool,
        signer: Signer,
    ) -> anyhow::Result<(Self, BrokerTasks)> {
        let client = deadpool_redis::redis::Client::open(url)?;
        let (publish, publish_rx) = mpsc::channel(PUBLISH_QUEUE);
        let (subscriptions, subscriptions_rx) = mpsc::channel(PUBLISH_QUEUE);
        let broker = RedisBroker {
            node,
            prefix: prefix.to_owned(),
            publish,
            signer: signer.clone(),
            subscriptions,
            open: Arc::default(),
            reconnects: Arc::default(),
            rejected: Arc::default(),
        };
        let listener = Listener {
            node,
            prefix: broker.prefix.clone(),
            open: broker.open.clone(),
            reconnects: broker.reconnects.clone(),
            rejected: broker.rejected.clone(),
            signer,
        };
        let tasks = BrokerTasks { pool, publish: publish_rx, client, subscriptions: subscriptions_rx, listener };
        Ok((broker, tasks))
    }
}

impl BrokerTasks {
    /// Runs the publisher and the listener, which feeds `inbox` (this node's hub), until the
    /// process ends.
    pub fn spawn(self, inbox: Weak<dyn Inbox>) {
        tokio::spawn(publisher(self.pool, self.publish));
        tokio::spawn(self.listener.run(self.client, self.subscriptions, inbox));
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
        let wire = Wire { node: self.node, sent_us: crate::metrics::now_micros(), envelope };
        let json = match serde_json::to_vec(&wire) {
            Ok(json) => json,
            Err(err) => return tracing::error!(error = %err, "an envelope failed to serialize"),
        };
        let payload = self.signer.seal(&json);
        if self.publish.try_send((channel(&self.prefix, envelope.topic()), payload)).is_err() {
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

    fn reconnects(&self) -> Option<u64> {
        Some(self.reconnects.load(Ordering::Relaxed))
    }

    fn rejected(&self) -> Option<u64> {
        Some(self.rejected.load(Ordering::Relaxed))
    }
}

/// Publishes queued envelopes, pipelining whatever has accumulated.
async fn publisher(pool: deadpool_redis::Pool, mut queue: mpsc::Receiver<(String, Vec<u8>)>) {
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
    reconnects: Arc<AtomicU64>,
    rejected: Arc<AtomicU64>,
    signer: Signer,
}

impl Listener {
    async fn run(
        self,
        client: deadpool_redis::redis::Client,
        mut subscriptions: mpsc::Receiver<Subscription>,
        inbox: Weak<dyn Inbox>,
    ) {
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
                    if let Err(err) = self.serve(pubsub, &mut subscriptions, &inbox).await {
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
        inbox: &Weak<dyn Inbox>,
    ) -> anyhow::Result<()> {
        let (mut sink, mut stream) = pubsub.split();
        // Commands queued while disconnected are superseded by the set of open topics.
        while subscriptions.try_recv().is_ok() {}
        let topics: Vec<Topic> = self.open.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect();
        for topic in &topics {
            sink.subscribe(channel(&self.prefix, *topic)).await?;
        }
        catch_up_all(inbox).await;
        let mut safety = tokio::time::interval(SAFETY_CATCH_UP);
        safety.tick().await;
        loop {
            tokio::select! {
                msg = stream.next() => {
                    let Some(msg) = msg else { anyhow::bail!("pub/sub stream ended") };
                    self.deliver(msg.get_payload_bytes(), inbox);
                }
                sub = subscriptions.recv() => match sub {
                    Some(Subscription::Open(topic)) => {
                        sink.subscribe(channel(&self.prefix, topic)).await?;
                        // Events published before the subscription took effect are in the store.
                        if let (Topic::Room(room_id), Some(inbox)) = (topic, inbox.upgrade()) {
                            inbox.catch_up(room_id).await;
                        }
                    }
                    Some(Subscription::Close(topic)) => sink.unsubscribe(channel(&self.prefix, topic)).await?,
                    None => return Ok(()),
                },
                _ = safety.tick() => catch_up_all(inbox).await,
            }
        }
    }

    fn deliver(&self, payload: &[u8], inbox: &Weak<dyn Inbox>) {
        let opened = self.signer.open(payload).and_then(|json| serde_json::from_slice::<Wire<Envelope>>(json).ok());
        let Some(wire) = opened else {
            return self.reject("its signature does not verify (or it is malformed)");
        };
        if wire.node == self.node {
            return; // delivered locally when published
        }
        if crate::metrics::now_micros() - wire.sent_us > MAX_AGE_US {
            return self.reject("it is too old (a replay?)");
        }
        if let Some(inbox) = inbox.upgrade() {
            inbox.deliver(wire.envelope);
        }
    }

    fn reject(&self, why: &str) {
        // Logged once per 1,000 so a flood cannot flood the log too.
        if self.rejected.fetch_add(1, Ordering::Relaxed).is_multiple_of(1000) {
            tracing::warn!("dropping an envelope from redis: {why}");
        }
    }
}

async fn catch_up_all(inbox: &Weak<dyn Inbox>) {
    if let Some(inbox) = inbox.upgrade() {
        for room_id in inbox.rooms() {
            inbox.catch_up(room_id).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_envelopes_sealed_with_the_cluster_key_open() {
        let signer = Signer::from_secret(b"a shared secret of at least 32 bytes!");
        let sealed = signer.seal(br#"{"x":1}"#);
        assert_eq!(signer.open(&sealed), Some(&br#"{"x":1}"#[..]));
        let mut tampered = sealed.clone();
        *tampered.last_mut().expect("byte") = b'2';
        assert_eq!(signer.open(&tampered), None, "a changed body");
        let other = Signer::from_secret(b"another secret of at least 32 bytes!!");
        assert_eq!(other.open(&sealed), None, "another cluster's key");
        assert_eq!(signer.open(br#"{"x":1}"#), None, "unsigned");
        assert_eq!(signer.open(b""), None);
    }
}
