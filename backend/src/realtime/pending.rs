//! WebSockets that have not authenticated yet, counted per client address, so that one address
//! cannot hold an unbounded number of them open (each may wait 10 s for its `auth` frame).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Open unauthenticated sockets per address. A plain mutex: held to bump a count, never across
/// an await; entries are removed when they reach zero, so the map holds only live addresses.
#[derive(Default)]
pub struct PendingSockets(Arc<Mutex<HashMap<Option<IpAddr>, usize>>>);

/// One socket's place; given back when dropped (authenticated, refused or gone).
pub struct Place {
    counts: Arc<Mutex<HashMap<Option<IpAddr>, usize>>>,
    addr: Option<IpAddr>,
}

impl PendingSockets {
    /// Takes a place for a socket from `addr`, unless it already holds `max`.
    pub fn enter(&self, addr: Option<IpAddr>, max: usize) -> Option<Place> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(addr).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Place { counts: self.0.clone(), addr })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.addr) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.addr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_each_address_and_gives_places_back() {
        let pending = PendingSockets::default();
        let a = Some(IpAddr::from([10, 0, 0, 1]));
        let b = Some(IpAddr::from([10, 0, 0, 2]));
        let places: Vec<Place> = (0..3).filter_map(|_| pending.enter(a, 3)).collect();
        assert_eq!(places.len(), 3);
        assert!(pending.enter(a, 3).is_none(), "a fourth from the same address");
        assert!(pending.enter(b, 3).is_some(), "another address is not affected");
        drop(places);
        let again = pending.enter(a, 3);
        assert!(again.is_some(), "places come back");
        assert!(pending.0.lock().expect("lock").get(&a).is_some_and(|c| *c == 1));
        drop(again);
        assert!(pending.0.lock().expect("lock").is_empty(), "no entry is left for an idle address");
    }
}
