//! A connection's place on its node: its subscriptions in the hub, its count in presence and in
//! the connections gauge. Held by the connection's task and released by `Drop`, however the
//! task ends (a closed socket, a close code, a panic), so nothing is ever left behind.

use confab_shared::User;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Realtime;
use super::envelope::Topic;
use super::hub::ConnHandle;
use super::presence;
use crate::metrics::Metrics;

pub struct Registration {
    realtime: Arc<Realtime>,
    metrics: Arc<Metrics>,
    handle: Arc<ConnHandle>,
    user: User,
    /// The rooms this connection is subscribed to in the hub.
    rooms: HashSet<i64>,
}

impl Registration {
    /// Counts the connection in presence and subscribes it to its user's topic; `None` when
    /// the user already has `max` connections on this node.
    pub fn new(
        realtime: Arc<Realtime>,
        metrics: Arc<Metrics>,
        user: User,
        handle: Arc<ConnHandle>,
        max: usize,
    ) -> Option<Self> {
        let came_online = realtime.presence.connect(user.id, max)?;
        realtime.hub.subscribe(Topic::User(user.id), handle.clone());
        metrics.connections.fetch_add(1, Ordering::Relaxed);
        if came_online {
            presence::changed(&realtime, user.clone(), true);
        }
        Some(Self { realtime, metrics, handle, user, rooms: HashSet::new() })
    }

    /// Receives the room's events from now on.
    pub fn subscribe(&mut self, room_id: i64) {
        self.rooms.insert(room_id);
        self.realtime.hub.subscribe(Topic::Room(room_id), self.handle.clone());
    }

    pub fn unsubscribe(&mut self, room_id: i64) {
        if self.rooms.remove(&room_id) {
            self.realtime.hub.unsubscribe(Topic::Room(room_id), self.handle.id);
        }
    }

    /// The hub dropped the subscription itself (the user was removed, the room deleted).
    pub fn evicted(&mut self, room_id: i64) {
        self.rooms.remove(&room_id);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let hub = &self.realtime.hub;
        for room_id in self.rooms.drain() {
            hub.unsubscribe(Topic::Room(room_id), self.handle.id);
        }
        hub.unsubscribe(Topic::User(self.user.id), self.handle.id);
        self.metrics.connections.fetch_sub(1, Ordering::Relaxed);
        if self.realtime.presence.disconnect(self.user.id) {
            presence::changed(&self.realtime, self.user.clone(), false);
        }
    }
}
