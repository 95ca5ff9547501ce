//! Prometheus metrics, kept in atomics (no lock on any hot path) and rendered as text at
//! `GET /metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

/// A histogram with fixed upper bounds.
pub struct Histogram {
    bounds: &'static [f64],
    buckets: Vec<AtomicU64>,
    sum: AtomicU64,
    /// Sum is kept in units of `1 / scale` (e.g. microseconds for a seconds histogram).
    scale: f64,
}

impl Histogram {
    fn new(bounds: &'static [f64], scale: f64) -> Self {
        Self { bounds, buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(), sum: AtomicU64::new(0), scale }
    }

    pub fn observe(&self, value: f64) {
        let i = self.bounds.iter().position(|b| value <= *b).unwrap_or(self.bounds.len());
        self.buckets[i].fetch_add(1, Relaxed);
        self.sum.fetch_add((value.max(0.0) * self.scale) as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in self.bounds.iter().enumerate() {
            cumulative += self.buckets[i].load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.buckets[self.bounds.len()].load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "{name}_sum {}", self.sum.load(Relaxed) as f64 / self.scale);
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

const LATENCY_BOUNDS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
const REPLAY_BOUNDS: &[f64] = &[0.0, 1.0, 10.0, 100.0, 1000.0, 5000.0];
const BATCH_BOUNDS: &[f64] = &[1.0, 2.0, 4.0, 16.0, 64.0, 256.0, 512.0];

pub struct Metrics {
    pub connections: AtomicI64,
    pub messages_in: AtomicU64,
    pub frames_out: AtomicU64,
    pub slow_consumers_closed: AtomicU64,
    /// Message changes read back from the store for connections that fell behind.
    pub changes_read_back: AtomicU64,
    /// Message changes such connections caught up with from the hub's recent changes.
    pub changes_from_memory: AtomicU64,
    /// From the publish of a message change to its write on a recipient's socket.
    pub delivery_latency: Histogram,
    pub replay_size: Histogram,
    /// Sends per group-commit transaction.
    pub write_batch: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            connections: AtomicI64::new(0),
            messages_in: AtomicU64::new(0),
            frames_out: AtomicU64::new(0),
            slow_consumers_closed: AtomicU64::new(0),
            changes_read_back: AtomicU64::new(0),
            changes_from_memory: AtomicU64::new(0),
            delivery_latency: Histogram::new(LATENCY_BOUNDS, 1e6),
            replay_size: Histogram::new(REPLAY_BOUNDS, 1.0),
            write_batch: Histogram::new(BATCH_BOUNDS, 1.0),
        }
    }
}

/// Gauges read at scrape time from other parts of the app.
pub struct Gauges {
    pub pool_size: usize,
    pub pool_available: usize,
    pub broker_reconnects: Option<u64>,
    pub broker_rejected: Option<u64>,
    pub online_users: usize,
}

impl Metrics {
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(4096);
        let mut metric = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        };
        metric(
            "confab_websocket_connections",
            "gauge",
            "Open WebSocket connections on this node.",
            self.connections.load(Relaxed).to_string(),
        );
        metric(
            "confab_online_users",
            "gauge",
            "Users with a connection on this node.",
            gauges.online_users.to_string(),
        );
        metric(
            "confab_messages_received_total",
            "counter",
            "Messages stored (new sends, REST and WebSocket).",
            self.messages_in.load(Relaxed).to_string(),
        );
        metric(
            "confab_frames_sent_total",
            "counter",
            "Event frames written to WebSockets.",
            self.frames_out.load(Relaxed).to_string(),
        );
        metric(
            "confab_slow_consumers_closed_total",
            "counter",
            "Connections closed as too slow (4008): a write stalled, or too many events waited.",
            self.slow_consumers_closed.load(Relaxed).to_string(),
        );
        metric(
            "confab_changes_read_back_total",
            "counter",
            "Message changes read back from the store for connections whose queue was full.",
            self.changes_read_back.load(Relaxed).to_string(),
        );
        metric(
            "confab_changes_caught_up_from_memory_total",
            "counter",
            "Message changes connections whose queue was full caught up with from the room's recent changes.",
            self.changes_from_memory.load(Relaxed).to_string(),
        );
        metric(
            "confab_broker_envelopes_rejected_total",
            "counter",
            "Envelopes from other nodes dropped because their signature did not verify.",
            gauges.broker_rejected.unwrap_or(0).to_string(),
        );
        metric(
            "confab_store_pool_connections",
            "gauge",
            "Database connections open in the pool.",
            gauges.pool_size.to_string(),
        );
        metric(
            "confab_store_pool_available",
            "gauge",
            "Idle database connections in the pool.",
            gauges.pool_available.to_string(),
        );
        if let Some(reconnects) = gauges.broker_reconnects {
            metric(
                "confab_broker_reconnects_total",
                "counter",
                "Times the Redis pub/sub connection was re-established.",
                reconnects.to_string(),
            );
        }
        self.delivery_latency.render(
            &mut out,
            "confab_delivery_latency_seconds",
            "Publish of a message change to its write on a socket.",
        );
        self.replay_size.render(&mut out, "confab_replay_changes", "Changes replayed per subscribe.");
        self.write_batch.render(
            &mut out,
            "confab_write_batch_size",
            "Jobs (sends and reaction toggles) stored per group-commit transaction.",
        );
        out
    }
}

/// Microseconds since the Unix epoch (comparable across nodes with synchronized clocks).
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.delivery_latency.observe(0.0007);
        m.delivery_latency.observe(0.2);
        m.delivery_latency.observe(9.0);
        let text = m.render(&Gauges {
            pool_size: 1,
            pool_available: 1,
            broker_reconnects: None,
            broker_rejected: None,
            online_users: 0,
        });
        assert!(text.contains("confab_delivery_latency_seconds_bucket{le=\"0.001\"} 1"), "{text}");
        assert!(text.contains("confab_delivery_latency_seconds_bucket{le=\"0.25\"} 2"));
        assert!(text.contains("confab_delivery_latency_seconds_bucket{le=\"+Inf\"} 3"));
        assert!(text.contains("confab_delivery_latency_seconds_count 3"));
    }
}
