//! What travels from a publisher to the hubs of every node: an [`Envelope`] for a [`Topic`].
//! The same value is dispatched to this node's hub and, serialized as it is, sent to the others.

use bytestring::ByteString;
use confab_shared::ServerEvent;
use serde::{Deserialize, Serialize};

use crate::store::models::{Change, ChangeKind};

/// The text of one WebSocket frame: a serialized server event, shared by every receiver.
pub type Frame = ByteString;

/// Serializes an event to its frame, once per event. Our events always serialize; should one
/// not, it is logged and not sent (never an empty frame).
pub fn frame(event: &ServerEvent) -> Option<Frame> {
    match serde_json::to_string(event) {
        Ok(text) => Some(ByteString::from(text)),
        Err(err) => {
            tracing::error!(error = %err, "an event failed to serialize; not sent");
            None
        }
    }
}

/// The event a client sees for one entry of a room's change log.
pub fn change_event(room_id: i64, change: Change) -> ServerEvent {
    let seq = change.seq;
    match change.kind {
        ChangeKind::Created => ServerEvent::Message { room_id, seq, message: change.message },
        ChangeKind::Edited => ServerEvent::MessageUpdated { room_id, seq, message: change.message },
        ChangeKind::Deleted => ServerEvent::MessageDeleted { room_id, seq, message_id: change.message.id },
    }
}

/// Who an envelope is for: a room's subscribers, or every connection of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Topic {
    Room(i64),
    User(i64),
}

impl Topic {
    pub fn room_id(self) -> Option<i64> {
        match self {
            Topic::Room(id) => Some(id),
            Topic::User(_) => None,
        }
    }
}

/// An instruction to hubs, carried like an event so it reaches every node the same way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Control {
    /// The user left or was removed: drop their subscriptions to the room.
    Evict { user_id: i64 },
    /// The room was deleted: drop every subscription to it.
    EvictAll,
    /// The session was revoked: close its connections with 4003.
    CloseSession { session_id: i64 },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Envelope {
    /// A change of a room's messages: delivered in `seq` order, with no gap and no duplicate,
    /// and kept in the store by `seq` (so it can always be read back).
    Change {
        room_id: i64,
        seq: i64,
        #[serde(with = "frame_text")]
        frame: Frame,
        /// When it was published (Unix microseconds), for the delivery latency metric.
        published_us: i64,
    },
    /// An entry of a user's stream: each connection of the user writes them in `seq` order,
    /// with no gap and no duplicate, reading any gap back from the store (where it is kept).
    UserChange {
        user_id: i64,
        seq: i64,
        #[serde(with = "frame_text")]
        frame: Frame,
    },
    /// Any other event of a topic, delivered as it comes.
    Event {
        topic: Topic,
        #[serde(with = "frame_text")]
        frame: Frame,
        /// A passing signal (typing, presence) that a connection that fell behind may miss.
        lossy: bool,
    },
    Control {
        topic: Topic,
        control: Control,
    },
}

impl Envelope {
    pub fn topic(&self) -> Topic {
        match self {
            Envelope::Change { room_id, .. } => Topic::Room(*room_id),
            Envelope::UserChange { user_id, .. } => Topic::User(*user_id),
            Envelope::Event { topic, .. } | Envelope::Control { topic, .. } => *topic,
        }
    }
}

/// A frame crosses nodes as a JSON string.
mod frame_text {
    use super::Frame;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(frame: &Frame, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(frame)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Frame, D::Error> {
        String::deserialize(d).map(Frame::from)
    }
}
