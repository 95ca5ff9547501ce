//! Turning stored rooms into the `Room` a viewer sees.

use confab_shared::{NotifyLevel, Room, RoomKind};

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::models::{RoomRow, utc};
use crate::store::rooms::{RoomData, with_viewer_data};

pub fn room(data: RoomData) -> Room {
    let kind = data.row.kind();
    let name = match (kind, data.peer_name) {
        (RoomKind::Direct, Some(peer)) => peer,
        _ => data.row.name.clone(),
    };
    Room {
        id: data.row.id,
        name,
        topic: data.row.topic.clone(),
        visibility: data.row.visibility(),
        kind,
        member_count: data.member_count,
        joined: data.membership.is_some(),
        role: data.membership.as_ref().map(|m| m.role()),
        last_seq: data.row.last_seq,
        unread_count: data.unread_count,
        last_read_seq: data.membership.as_ref().map_or(0, |m| m.last_read_seq),
        mention_count: data.mention_count,
        notify: match (&data.membership, kind) {
            (Some(m), _) => m.notify(),
            (None, RoomKind::Direct) => NotifyLevel::All,
            (None, RoomKind::Room) => NotifyLevel::Mentions,
        },
        created_at: utc(data.row.created_at),
    }
}

/// The room as `viewer` sees it.
pub async fn for_viewer(state: &AppState, row: RoomRow, viewer: i64) -> AppResult<Room> {
    let mut rooms = with_viewer_data(&state.store, viewer, vec![row]).await?;
    rooms.pop().map(room).ok_or_else(|| AppError::internal(anyhow::anyhow!("room data missing")))
}

/// The room as nobody in particular sees it (for `room_updated`, sent to every subscriber).
pub async fn neutral(state: &AppState, row: RoomRow) -> AppResult<Room> {
    for_viewer(state, row, 0).await
}
