//! Who is online on this node (open connections per user; a user is online while at least
//! one of their connections is open, several tabs are normal), and the `presence` events that
//! tell the people who share a room with them.

use confab_shared::{ServerEvent, User};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Realtime;
use crate::store;

/// A user's connections on this node went from none to some (`online`) or back. Tells the
/// cluster, then everyone who shares a room with them, unless another node still (or already)
/// has them online. Runs in the background: a connection does not wait for it.
pub fn changed(realtime: &Arc<Realtime>, user: User, online: bool) {
    let realtime = realtime.clone();
    tokio::spawn(async move {
        if let Some(cluster) = &realtime.cluster {
            cluster.set_count(user.id, realtime.presence.count(user.id)).await;
            if cluster.online_elsewhere(user.id).await {
                return;
            }
        }
        announce(&realtime, user, online).await;
    });
}

/// Sends a `presence` event to the users who share a room with `user`.
pub async fn announce(realtime: &Realtime, user: User, online: bool) {
    match store::rooms::co_member_ids(&realtime.store, user.id).await {
        Ok(ids) => {
            let me = user.id;
            let event = ServerEvent::Presence { user, online };
            realtime.to_users(ids.into_iter().filter(|id| *id != me), &event);
        }
        Err(err) => tracing::warn!(error = %err, "presence announcement failed"),
    }
}

#[derive(Default)]
pub struct Presence {
    /// user id → open connections; guarded by a mutex held only for a map update.
    counts: Mutex<HashMap<i64, usize>>,
}

impl Presence {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<i64, usize>> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a new connection unless the user already has `max`; `Some(true)` when the
    /// user just came online, `None` when refused.
    pub fn connect(&self, user_id: i64, max: usize) -> Option<bool> {
        let mut counts = self.map();
        let n = counts.entry(user_id).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(*n == 1)
    }

    /// Counts a closed connection; true when the user just went offline.
    pub fn disconnect(&self, user_id: i64) -> bool {
        let mut counts = self.map();
        match counts.get_mut(&user_id) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                counts.remove(&user_id);
                true
            }
            None => false,
        }
    }

    pub fn is_online(&self, user_id: i64) -> bool {
        self.map().contains_key(&user_id)
    }

    pub fn online_ids(&self) -> Vec<i64> {
        self.map().keys().copied().collect()
    }

    /// The count of each online user's connections.
    pub fn counts(&self) -> Vec<(i64, usize)> {
        self.map().iter().map(|(k, v)| (*k, *v)).collect()
    }

    /// This user's open connections on this node.
    pub fn count(&self, user_id: i64) -> usize {
        self.map().get(&user_id).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_tabs_one_closed_still_online() {
        let p = Presence::default();
        assert_eq!(p.connect(1, 4), Some(true));
        assert_eq!(p.connect(1, 4), Some(false));
        assert!(!p.disconnect(1));
        assert!(p.is_online(1));
        assert!(p.disconnect(1));
        assert!(!p.is_online(1));
    }

    #[test]
    fn refuses_past_the_cap() {
        let p = Presence::default();
        assert_eq!(p.connect(1, 1), Some(true));
        assert_eq!(p.connect(1, 1), None);
    }
}
