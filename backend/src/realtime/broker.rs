//! The seam between a node's hub and the other nodes. With one node (the embedded default)
//! there is nobody to tell: [`LocalBroker`] does nothing. The Redis broker (scale-out)
//! publishes envelopes to other nodes and feeds theirs into the local hub.

use super::hub::{Envelope, Topic};

pub trait Broker: Send + Sync {
    /// Sends an envelope, already delivered locally, to the other nodes.
    fn publish(&self, envelope: &Envelope);
    /// This node now has local subscribers for `topic`: receive it from other nodes.
    fn topic_opened(&self, topic: Topic);
    /// This node has no local subscribers for `topic` any more.
    fn topic_closed(&self, topic: Topic);
    /// Gives the broker the hub to feed other nodes' envelopes into.
    fn attach(&self, _hub: std::sync::Weak<super::hub::Hub>) {}
    /// Times the broker reconnected to other nodes, if it connects to anything.
    fn reconnects(&self) -> Option<u64> {
        None
    }
    /// Envelopes from other nodes dropped as not genuine, if it receives any.
    fn rejected(&self) -> Option<u64> {
        None
    }
}

/// The single-node broker: local delivery is all there is.
pub struct LocalBroker;

impl Broker for LocalBroker {
    fn publish(&self, _: &Envelope) {}
    fn topic_opened(&self, _: Topic) {}
    fn topic_closed(&self, _: Topic) {}
}
