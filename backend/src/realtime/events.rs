//! Building server events: serialization (once per event) and events from the change log.

use bytestring::ByteString;
use confab_shared::ServerEvent;

use crate::store::models::{Change, ChangeKind};

/// Serializes an event to the text of one WebSocket frame.
pub fn frame(event: &ServerEvent) -> ByteString {
    ByteString::from(serde_json::to_string(event).unwrap_or_default())
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
