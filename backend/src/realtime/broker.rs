//! The seam between a node's hub and the other nodes. With one node (the embedded default)
//! there is nobody to tell: [`LocalBroker`] does nothing. The Redis broker (scale-out)
//! publishes envelopes to other nodes and feeds theirs into the local hub through its
//! [`Inbox`].

use futures_util::future::BoxFuture;

use super::envelope::{Envelope, Topic};

pub trait Broker: Send + Sync {
    /// Sends an envelope, also delivered locally, to the other nodes.
    fn publish(&self, envelope: &Envelope);
    /// This node now has local subscribers for `topic`: receive it from other nodes.
    fn topic_opened(&self, topic: Topic);
    /// This node has no local subscribers for `topic` any more.
    fn topic_closed(&self, topic: Topic);
    /// Times the broker reconnected to other nodes, if it connects to anything.
    fn reconnects(&self) -> Option<u64> {
        None
    }
    /// Envelopes from other nodes dropped as not genuine, if it receives any.
    fn rejected(&self) -> Option<u64> {
        None
    }
}

/// What a broker feeds: this node's hub.
pub trait Inbox: Send + Sync {
    /// Delivers an envelope from another node.
    fn deliver(&self, envelope: Envelope);
    /// The rooms with local subscribers.
    fn rooms(&self) -> Vec<i64>;
    /// Reads what the room's subscribers may have missed from the store (after a reconnect,
    /// or a new subscription to the room's channel).
    fn catch_up(&self, room_id: i64) -> BoxFuture<'_, ()>;
}

/// The single-node broker: local delivery is all there is.
pub struct LocalBroker;

impl Broker for LocalBroker {
    fn publish(&self, _: &Envelope) {}
    fn topic_opened(&self, _: Topic) {}
    fn topic_closed(&self, _: Topic) {}
}
