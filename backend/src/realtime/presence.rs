//! Who is online on this node: open connections per user. A user is online while at least
//! one of their connections is open (several tabs are normal).

use std::collections::HashMap;
use std::sync::Mutex;

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
