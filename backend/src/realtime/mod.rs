//! Real-time delivery: the WebSocket gateway, the per-node hub that fans events out to local
//! connections, the broker seam to other nodes, and presence.
//!
//! Every event goes through [`Realtime::publish`]: delivered to this node's hub at once and
//! handed to the broker for the other nodes (a no-op with the in-process broker).

pub mod broker;
pub mod cluster;
pub mod events;
pub mod frame_guard;
pub mod gateway;
pub mod hub;
pub mod pending;
pub mod presence;
pub mod recent;
pub mod redis_broker;

use confab_shared::ServerEvent;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::watch;

use crate::limits::RateLimiter;
use crate::store::Store;
use broker::Broker;
use cluster::ClusterPresence;
use events::frame;
use hub::{Control, Envelope, Hub, Topic};
use presence::Presence;

/// A passing signal a connection that fell behind may miss: the next one supersedes it.
fn is_passing(event: &ServerEvent) -> bool {
    matches!(event, ServerEvent::Typing { .. } | ServerEvent::Presence { .. })
}

pub struct Realtime {
    pub hub: Arc<Hub>,
    broker: Arc<dyn Broker>,
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
        let hub = Hub::new(store, broker.clone());
        broker.attach(Arc::downgrade(&hub));
        Self {
            hub,
            broker,
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

    pub fn publish(&self, envelope: Envelope) {
        self.hub.dispatch(envelope.clone());
        self.broker.publish(&envelope);
    }

    /// A room event to the room's subscribers; `seq` for message changes.
    pub fn to_room(&self, room_id: i64, event: &ServerEvent) {
        let mut envelope = Envelope::event(Topic::Room(room_id), event.seq(), frame(event));
        envelope.lossy = is_passing(event);
        self.publish(envelope);
    }

    /// One event to every connection of each user (serialized once).
    pub fn to_users(&self, user_ids: impl IntoIterator<Item = i64>, event: &ServerEvent) {
        let bytes = frame(event);
        for user_id in user_ids {
            let mut envelope = Envelope::event(Topic::User(user_id), None, bytes.clone());
            envelope.lossy = is_passing(event);
            self.publish(envelope);
        }
    }

    /// Stops `user_id`'s connections from receiving the room's events, at once.
    pub fn evict(&self, room_id: i64, user_id: i64) {
        self.publish(Envelope::control(Topic::Room(room_id), Control::Evict { user_id }));
    }

    /// Drops every subscription to a deleted room.
    pub fn evict_all(&self, room_id: i64) {
        self.publish(Envelope::control(Topic::Room(room_id), Control::EvictAll));
    }

    /// Closes the sockets of revoked sessions with 4003.
    pub fn close_sessions(&self, user_id: i64, session_ids: &[i64]) {
        for &session_id in session_ids {
            self.publish(Envelope::control(Topic::User(user_id), Control::CloseSession { session_id }));
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
