//! WebSocket events of `GET /api/v1/ws`: JSON text frames tagged by `type`.

use serde::{Deserialize, Serialize};

use crate::rest::{Message, NotificationReason, NotifyLevel, Role, Room, User};

/// A frame a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientEvent {
    /// First frame of a browser connection (no `Authorization` header).
    #[cfg_attr(feature = "schema", schema(title = "AuthCommand"))]
    Auth { token: String },
    /// Replay every change with `seq > after_seq` (omit it for live events only), then live.
    #[cfg_attr(feature = "schema", schema(title = "SubscribeCommand"))]
    Subscribe {
        room_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_seq: Option<i64>,
    },
    #[cfg_attr(feature = "schema", schema(title = "UnsubscribeCommand"))]
    Unsubscribe { room_id: i64 },
    /// Answered by `ack`, or by `error` carrying the same `client_id`.
    #[cfg_attr(feature = "schema", schema(title = "SendCommand"))]
    Send {
        room_id: i64,
        client_id: String,
        /// May be empty when files are attached.
        #[serde(default)]
        body: String,
        /// Files to attach, as for `POST /rooms/{room_id}/messages`.
        #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "crate::rest::whole_numbers")]
        attachments: Vec<i64>,
        /// A reply in the thread of this message of the same room.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<i64>,
        /// A reply also shown in the room's timeline (ignored without `reply_to`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        also_to_room: bool,
    },
    #[cfg_attr(feature = "schema", schema(title = "TypingCommand"))]
    Typing { room_id: i64 },
    /// Move my read marker; my other connections get a `read` event.
    #[cfg_attr(feature = "schema", schema(title = "ReadCommand"))]
    Read { room_id: i64, seq: i64 },
    /// Replay my user stream after `after_user_seq` (the `user_seq` of the last user-stream
    /// event applied), then `synced`, then live.
    #[cfg_attr(feature = "schema", schema(title = "SyncCommand"))]
    Sync { after_user_seq: i64 },
    #[cfg_attr(feature = "schema", schema(title = "PingCommand"))]
    Ping,
}

/// A frame the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    #[cfg_attr(feature = "schema", schema(title = "ReadyEvent"))]
    Ready {
        user: User,
        /// The head of my user stream when this connection started: user-stream events after
        /// it follow live; resume from an earlier cursor with `sync`.
        user_seq: i64,
    },
    /// Ends the replay of a `sync`; live user-stream events follow.
    #[cfg_attr(feature = "schema", schema(title = "SyncedEvent"))]
    Synced {
        head_user_seq: i64,
        /// The gap was larger than a replay carries: reload the room list and drafts over REST.
        replay_truncated: bool,
    },
    /// Ends the replay of a `subscribe`; live events follow.
    #[cfg_attr(feature = "schema", schema(title = "SubscribedEvent"))]
    Subscribed {
        room_id: i64,
        head_seq: i64,
        /// The gap was larger than a replay carries: page history over REST instead.
        replay_truncated: bool,
    },
    #[cfg_attr(feature = "schema", schema(title = "UnsubscribedEvent"))]
    Unsubscribed { room_id: i64 },
    #[cfg_attr(feature = "schema", schema(title = "MessageEvent"))]
    Message { room_id: i64, seq: i64, message: Message },
    #[cfg_attr(feature = "schema", schema(title = "MessageUpdatedEvent"))]
    MessageUpdated { room_id: i64, seq: i64, message: Message },
    #[cfg_attr(feature = "schema", schema(title = "MessageDeletedEvent"))]
    MessageDeleted { room_id: i64, seq: i64, message_id: i64 },
    #[cfg_attr(feature = "schema", schema(title = "AckEvent"))]
    Ack { client_id: String, message: Message },
    #[cfg_attr(feature = "schema", schema(title = "TypingEvent"))]
    Typing { room_id: i64, user: User },
    #[cfg_attr(feature = "schema", schema(title = "PresenceEvent"))]
    Presence { user: User, online: bool },
    /// Someone who shares a room with the receiver (or the receiver, on another device) changed
    /// their profile: their display name, status or avatar.
    #[cfg_attr(feature = "schema", schema(title = "UserUpdatedEvent"))]
    UserUpdated {
        user: User,
        /// Set on my user stream's copy (see `sync`); absent on a room subscription's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_seq: Option<i64>,
    },
    #[cfg_attr(feature = "schema", schema(title = "ReadEvent"))]
    Read {
        room_id: i64,
        seq: i64,
        /// Set on my user stream's copy (see `sync`); absent on a room subscription's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_seq: Option<i64>,
    },
    #[cfg_attr(feature = "schema", schema(title = "MemberJoinedEvent"))]
    MemberJoined {
        room_id: i64,
        user: User,
        /// Set on my user stream's copy (see `sync`); absent on a room subscription's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_seq: Option<i64>,
    },
    #[cfg_attr(feature = "schema", schema(title = "MemberLeftEvent"))]
    MemberLeft {
        room_id: i64,
        user: User,
        /// Set on my user stream's copy (see `sync`); absent on a room subscription's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_seq: Option<i64>,
    },
    /// A member's role in the room changed (to the room, and to that member's connections).
    #[cfg_attr(feature = "schema", schema(title = "MemberUpdatedEvent"))]
    MemberUpdated {
        room_id: i64,
        user: User,
        role: Role,
        /// Set on my user stream's copy (see `sync`); absent on a room subscription's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_seq: Option<i64>,
    },
    /// `joined`, `role`, `unread_count`, `last_read_seq`, `mention_count` and `notify` of `room`
    /// are not the receiver's: keep your own.
    #[cfg_attr(feature = "schema", schema(title = "RoomUpdatedEvent"))]
    RoomUpdated {
        room: Room,
        /// Set on my user stream's copy (see `sync`); absent on a room subscription's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_seq: Option<i64>,
    },
    #[cfg_attr(feature = "schema", schema(title = "RoomDeletedEvent"))]
    RoomDeleted {
        room_id: i64,
        /// Set on my user stream's copy (see `sync`); absent on a room subscription's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_seq: Option<i64>,
    },
    #[cfg_attr(feature = "schema", schema(title = "ErrorEvent"))]
    Error {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// A message that should notify me by my level for its room (sent to all my connections,
    /// subscribed to the room or not; not replayed).
    #[cfg_attr(feature = "schema", schema(title = "NotificationEvent"))]
    Notification { room_id: i64, message: Message, reason: NotificationReason },
    /// My notification level for the room changed (on another of my connections).
    #[cfg_attr(feature = "schema", schema(title = "NotificationLevelEvent"))]
    NotificationLevel {
        room_id: i64,
        level: NotifyLevel,
        /// Set on my user stream's copy (see `sync`); absent on a room subscription's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_seq: Option<i64>,
    },
    /// My draft for the room changed (on another device, or cleared by a send).
    #[cfg_attr(feature = "schema", schema(title = "DraftUpdatedEvent"))]
    DraftUpdated { room_id: i64, body: String, user_seq: i64 },
    #[cfg_attr(feature = "schema", schema(title = "PongEvent"))]
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

    /// The entry of my user stream this event is, if it is one.
    pub fn user_seq(&self) -> Option<i64> {
        match self {
            Self::UserUpdated { user_seq, .. }
            | Self::Read { user_seq, .. }
            | Self::MemberJoined { user_seq, .. }
            | Self::MemberLeft { user_seq, .. }
            | Self::MemberUpdated { user_seq, .. }
            | Self::RoomUpdated { user_seq, .. }
            | Self::RoomDeleted { user_seq, .. }
            | Self::NotificationLevel { user_seq, .. } => *user_seq,
            Self::DraftUpdated { user_seq, .. } => Some(*user_seq),
            _ => None,
        }
    }

    /// This event as entry `seq` of my user stream (other events are returned unchanged).
    pub fn with_user_seq(mut self, seq: i64) -> Self {
        match &mut self {
            Self::UserUpdated { user_seq, .. }
            | Self::Read { user_seq, .. }
            | Self::MemberJoined { user_seq, .. }
            | Self::MemberLeft { user_seq, .. }
            | Self::MemberUpdated { user_seq, .. }
            | Self::RoomUpdated { user_seq, .. }
            | Self::RoomDeleted { user_seq, .. }
            | Self::NotificationLevel { user_seq, .. } => *user_seq = Some(seq),
            Self::DraftUpdated { user_seq, .. } => *user_seq = seq,
            _ => {}
        }
        self
    }
}
