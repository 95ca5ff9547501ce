//! Real-time delivery: the WebSocket gateway, the per-node hub that fans events out to local
//! connections, the broker seam to other nodes, and presence.
//!
//! # The send path, stage by stage
//!
//! One name per stage, in the order a message travels (a newcomer can follow it file by file):
//!
//! 1. **`ClientEvent::Send`** (`shared/src/events.rs`, sent by `frontend/js/socket.js`), or
//!    **`SendMessage`** over REST (`messages/handlers.rs`): what the client asks for.
//! 2. **`NewMessage`** (`store/messages.rs`): checked and rate-limited by
//!    `messages::service::submit` (`messages/service.rs`), then queued with
//!    [`Writer::submit`](crate::messages::writer::Writer::submit), which gives back a
//!    **`Queued`** (`messages/writer.rs`) for the sender to await.
//! 3. **`Written`** (`store/messages.rs`): what `write_batch` did with each send of a batch, in
//!    one transaction per batch (group commit).
//! 4. **`Sent`** (`messages/writer.rs`): `New` or `Repeat` (a repeated `client_id`), the
//!    writer's answer to each sender: the gateway writes it as **`ServerEvent::Ack`**, REST
//!    as 201 or 200. Answers go out before the publish, so a sender sees its `ack` first.
//! 5. **`ServerEvent::Message`** → **`Frame`** → **`Envelope::Change`**
//!    (`realtime/envelope.rs`): the writer publishes through [`Realtime::to_room`], which
//!    serializes the event once and hands the envelope to this node's hub and to the broker.
//! 6. **`Envelope`** across nodes (`realtime/redis_broker.rs`): signed, sent as it is, and
//!    dispatched into the other nodes' hubs (single node: `LocalBroker`, nothing to do).
//! 7. **`Outbound::Change`** (`realtime/hub.rs`): each hub delivers a room's changes in `seq`
//!    order with no gap and no duplicate into each subscriber's bounded queue (or notes what
//!    fell behind).
//! 8. **The frame on the socket** (`realtime/gateway.rs`): the connection's task writes it
//!    unless its cursor shows it was sent already, reading any gap back from the store first.
//!
//! # Ordering promises
//!
//! - Per room, every subscriber receives each message change once, in `seq` order, whatever
//!   the node it was written on: hubs reorder and fill gaps from the store, connections skip
//!   what their cursor passed.
//! - Changes are published only after their commit: whatever a subscriber receives is durable.
//! - One connection's sends take seqs in the order it sent them.
//! - Per user, each connection receives each entry of the user's stream (rooms joined and
//!   left, room changes, roles, read markers, notification levels, drafts, profiles) once, in
//!   `user_seq` order, from its `ready` (or its latest `sync`) on, by the same cursor rule.
//! - Other events (a room's membership and room events) are delivered in publish order per node;
//!   typing and presence may be dropped for a connection that fell behind.

pub mod broker;
pub mod cluster;
pub mod envelope;
pub mod frame_guard;
pub mod gateway;
pub mod hub;
pub mod pending;
pub mod presence;
pub mod recent;
pub mod redis_broker;
pub mod registration;
pub mod revocations;

use confab_shared::ServerEvent;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::watch;

use crate::limits::RateLimiter;
use crate::store::Store;
use broker::Broker;
use cluster::ClusterPresence;
use envelope::{Control, Envelope, Frame, Topic, frame};
use hub::Hub;
use presence::Presence;

/// A passing signal a connection that fell behind may miss: the next one supersedes it.
fn is_passing(event: &ServerEvent) -> bool {
    matches!(event, ServerEvent::Typing { .. } | ServerEvent::Presence { .. })
}

pub struct Realtime {
    pub hub: Arc<Hub>,
    broker: Arc<dyn Broker>,
    store: Store,
    /// Connections on this node.
    pub presence: Presence,
    /// Sockets on this node that have not authenticated yet, per client address.
    pub pending: pending::PendingSockets,
    /// Presence on the other nodes (scale-out only).
    pub cluster: Option<ClusterPresence>,
    /// At most one `typing` per user per room per 2 seconds is forwarded.
    pub typing: RateLimiter,
    /// Flipped once on shutdown: every connection closes with 1001.
    shutdown: watch::Sender<bool>,
}

impl Realtime {
    pub fn new(store: Store, broker: Arc<dyn Broker>, cluster: Option<ClusterPresence>) -> Self {
        Self {
            hub: Hub::new(store.clone(), broker.clone()),
            broker,
            store,
            presence: Presence::default(),
            pending: pending::PendingSockets::default(),
            cluster,
            typing: RateLimiter::new(0.5, 1.0),
            shutdown: watch::channel(false).0,
        }
    }

    /// Users online on any node.
    pub async fn online_ids(&self) -> HashSet<i64> {
        let mut ids: HashSet<i64> = self.presence.online_ids().into_iter().collect();
        if let Some(cluster) = &self.cluster {
            ids.extend(cluster.online_elsewhere_ids().await);
        }
        ids
    }

    /// Whether the user has a connection on any node.
    pub async fn is_online(&self, user_id: i64) -> bool {
        self.presence.is_online(user_id) || self.online_elsewhere(user_id).await
    }

    /// Whether a node other than this one has a connection of the user.
    pub async fn online_elsewhere(&self, user_id: i64) -> bool {
        match &self.cluster {
            Some(cluster) => cluster.online_elsewhere(user_id).await,
            None => false,
        }
    }

    /// Delivers to this node's hub at once and hands the envelope to the broker for the others.
    pub fn publish(&self, envelope: Envelope) {
        self.hub.dispatch(envelope.clone());
        self.broker.publish(&envelope);
    }

    /// A room event to the room's subscribers; a message change by its `seq`.
    pub fn to_room(&self, room_id: i64, event: &ServerEvent) {
        let Some(frame) = frame(event) else { return };
        self.publish(match event.seq() {
            Some(seq) => Envelope::Change { room_id, seq, frame, published_us: crate::metrics::now_micros() },
            None => Envelope::Event { topic: Topic::Room(room_id), frame, lossy: is_passing(event) },
        });
    }

    /// One event to every connection of each user (serialized once).
    pub fn to_users(&self, user_ids: impl IntoIterator<Item = i64>, event: &ServerEvent) {
        let Some(frame) = frame(event) else { return };
        let lossy = is_passing(event);
        for user_id in user_ids {
            self.publish(Envelope::Event { topic: Topic::User(user_id), frame: frame.clone(), lossy });
        }
    }

    /// Entries of user streams, committed: each to every connection of its user.
    pub fn to_streams(&self, entries: Vec<crate::store::user_stream::Entry>) {
        for entry in entries {
            let frame = Frame::from(entry.frame);
            self.publish(Envelope::UserChange { user_id: entry.user_id, seq: entry.seq, frame });
        }
    }

    /// Stops `user_id`'s connections from receiving the room's events, at once.
    pub fn evict(&self, room_id: i64, user_id: i64) {
        self.publish(Envelope::Control { topic: Topic::Room(room_id), control: Control::Evict { user_id } });
    }

    /// Drops every subscription to a deleted room.
    pub fn evict_all(&self, room_id: i64) {
        self.publish(Envelope::Control { topic: Topic::Room(room_id), control: Control::EvictAll });
    }

    /// Closes the sockets of revoked sessions with 4003.
    pub fn close_sessions(&self, user_id: i64, session_ids: &[i64]) {
        for &session_id in session_ids {
            let control = Control::CloseSession { session_id };
            self.publish(Envelope::Control { topic: Topic::User(user_id), control });
        }
    }

    pub fn broker_reconnects(&self) -> Option<u64> {
        self.broker.reconnects()
    }

    pub fn broker_rejected(&self) -> Option<u64> {
        self.broker.rejected()
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Asks every connection to close with 1001 (going away).
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }
}
