//! WebSocket events of `GET /api/v1/ws`: JSON text frames tagged by `type`.

use serde::{Deserialize, Serialize};

use crate::rest::{Message, Room, User};

/// A frame a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientEvent {
    /// First frame of a browser connection (no `Authorization` header).
    Auth {
        token: String,
    },
    /// Replay every change with `seq > after_seq` (omit it for live events only), then live.
    Subscribe {
        room_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_seq: Option<i64>,
    },
    Unsubscribe {
        room_id: i64,
    },
    /// Answered by `ack`, or by `error` carrying the same `client_id`.
    Send {
        room_id: i64,
        client_id: String,
        body: String,
    },
    Typing {
        room_id: i64,
    },
    /// Move my read marker; my other connections get a `read` event.
    Read {
        room_id: i64,
        seq: i64,
    },
    Ping,
}

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    Ready {
        user: User,
    },
    /// Ends the replay of a `subscribe`; live events follow.
    Subscribed {
        room_id: i64,
        head_seq: i64,
        /// The gap was larger than a replay carries: page history over REST instead.
        replay_truncated: bool,
    },
    Unsubscribed {
        room_id: i64,
    },
    Message {
        room_id: i64,
        seq: i64,
        message: Message,
    },
    MessageUpdated {
        room_id: i64,
        seq: i64,
        message: Message,
    },
    MessageDeleted {
        room_id: i64,
        seq: i64,
        message_id: i64,
    },
    Ack {
        client_id: String,
        message: Message,
    },
    Typing {
        room_id: i64,
        user: User,
    },
    Presence {
        user: User,
        online: bool,
    },
    Read {
        room_id: i64,
        seq: i64,
    },
    MemberJoined {
        room_id: i64,
        user: User,
    },
    MemberLeft {
        room_id: i64,
        user: User,
    },
    /// `joined`, `role` and `unread_count` of `room` are not the receiver's: keep your own.
    RoomUpdated {
        room: Room,
    },
    RoomDeleted {
        room_id: i64,
    },
    Error {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    Pong,
}

impl ServerEvent {
    /// The room change counter value this event carries, for the message change events.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Self::Message { seq, .. } | Self::MessageUpdated { seq, .. } | Self::MessageDeleted { seq, .. } => {
                Some(*seq)
            }
            _ => None,
        }
    }
}
