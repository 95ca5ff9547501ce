//! Staying in step without a WebSocket (bots, a phone in the background): `GET /sync` pages
//! through my user stream and `GET /rooms/{room_id}/changes` through a room's change log, by
//! the same cursors and bounds as `sync` and `subscribe` on the socket. And the hourly prune
//! that keeps each user's stream to its replay bound.

use actix_web::{get, web};
use confab_shared::{RoomChanges, ServerEvent, SyncPage};
use serde::Deserialize;
use std::time::Duration;
use utoipa::IntoParams;

use crate::auth::Auth;
use crate::error::{AppError, AppResult};
use crate::realtime::envelope::change_event;
use crate::rooms::access;
use crate::state::AppState;
use crate::store::{self, Store};

/// Events per page.
const PAGE: i64 = 500;

#[derive(Debug, Deserialize, IntoParams)]
pub struct SyncQuery {
    /// The `user_seq` of the last user-stream event applied (0: from the start).
    #[param(minimum = 0)]
    pub after_user_seq: i64,
}

/// My user stream after `after_user_seq`, oldest first, 500 events a page.
#[utoipa::path(
    tag = "sync",
    security(("bearer" = [])),
    params(SyncQuery),
    responses(
        (status = 200, description = "A page of my user stream", body = SyncPage),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
    )
)]
#[get("/sync")]
pub async fn user_stream(
    auth: Auth,
    state: web::Data<AppState>,
    query: web::Query<SyncQuery>,
) -> AppResult<web::Json<SyncPage>> {
    let after = not_negative("after_user_seq", query.after_user_seq)?;
    let head = store::user_stream::head(&state.store, auth.user_id).await?;
    let after = after.min(head);
    if head - after > state.config.max_user_replay {
        return Ok(web::Json(SyncPage {
            events: Vec::new(),
            head_user_seq: head,
            replay_truncated: true,
            more: false,
        }));
    }
    let entries = store::user_stream::between(&state.store, auth.user_id, after, head, PAGE).await?;
    let last = entries.last().map_or(after, |(seq, _)| *seq);
    let events = entries
        .into_iter()
        .map(|(_, frame)| serde_json::from_str::<ServerEvent>(&frame))
        .collect::<Result<_, _>>()
        .map_err(|e| AppError::internal(anyhow::Error::new(e)))?;
    Ok(web::Json(SyncPage { events, head_user_seq: head, replay_truncated: false, more: last < head }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ChangesQuery {
    /// The `seq` of the last change applied (0: from the start).
    #[param(minimum = 0)]
    pub after_seq: i64,
}

/// The room's message changes after `after_seq` (`message`, `message_updated`,
/// `message_deleted`, as `subscribe` replays them), 500 a page; members and readers of
/// public rooms.
#[utoipa::path(
    tag = "sync",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), ChangesQuery),
    responses(
        (status = 200, description = "A page of the room's changes", body = RoomChanges),
        (status = 400, response = crate::openapi::BadRequest),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
    )
)]
#[get("/rooms/{room_id}/changes")]
pub async fn room_changes(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<ChangesQuery>,
) -> AppResult<web::Json<RoomChanges>> {
    let after = not_negative("after_seq", query.after_seq)?;
    let room_id = access::readable(&state.store, path.into_inner(), auth.user_id).await?.room.id;
    let head = store::messages::head(&state.store, room_id).await?.ok_or_else(|| AppError::not_found("room"))?;
    let after = after.min(head);
    if head - after > state.config.max_replay {
        return Ok(web::Json(RoomChanges { events: Vec::new(), head_seq: head, replay_truncated: true, more: false }));
    }
    let changes = store::messages::changes_between(&state.store, room_id, after, head, PAGE).await?;
    let last = changes.last().map_or(after, |c| c.seq);
    let events = changes.into_iter().map(|change| change_event(room_id, change)).collect();
    Ok(web::Json(RoomChanges { events, head_seq: head, replay_truncated: false, more: last < head }))
}

fn not_negative(field: &str, value: i64) -> AppResult<i64> {
    if value < 0 {
        return Err(AppError::invalid(field, "must not be negative"));
    }
    Ok(value)
}

/// Every hour, deletes each user's stream entries older than the replay bound (idempotent,
/// safe on every node).
pub fn spawn_pruner(store: Store, keep: i64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match store::user_stream::prune(&store, keep).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "pruned user streams"),
                Err(err) => tracing::warn!("pruning user streams: {err}"),
            }
        }
    });
}
