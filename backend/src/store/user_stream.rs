//! Each user's change stream: what a user sees outside the rooms' timelines (rooms joined and
//! left, rooms renamed or deleted, roles, read markers, notification levels, drafts, the
//! profiles of people sharing a room with them), numbered per user like a room's changes.
//!
//! An entry takes the user's next `user_seq` (`UPDATE users SET user_seq = user_seq + 1 …
//! RETURNING`) in the transaction of the change it records, so the counter is gapless and
//! rolls back with the change. The entry keeps the event's frame as it is sent (with its
//! `user_seq`): a replay writes the stored text.

use confab_shared::ServerEvent;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::BTreeSet;

use super::schema::{user_changes, users};
use super::{Db, StoreError, StoreResult, now, read, write_tx};

/// One entry of a user's stream.
#[derive(Debug, Clone)]
pub struct Entry {
    pub user_id: i64,
    pub seq: i64,
    /// The event as sent: JSON with its `user_seq`.
    pub frame: String,
}

/// Appends `event` to the stream of each of `user_ids` (users that do not exist are skipped),
/// in id order so that two appends to the same people never wait on each other in a cycle.
/// Runs in the caller's transaction when given its connection.
pub async fn append(
    db: impl Into<Db<'_>>,
    user_ids: impl IntoIterator<Item = i64>,
    event: &ServerEvent,
) -> StoreResult<Vec<Entry>> {
    let ids: BTreeSet<i64> = user_ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let created_at = now();
    write_tx!(db, |c| {
        let mut entries = Vec::with_capacity(ids.len());
        for &user_id in &ids {
            let seq: Option<i64> = diesel::update(users::table.find(user_id))
                .set(users::user_seq.eq(users::user_seq + 1))
                .returning(users::user_seq)
                .get_result(c)
                .await
                .optional()?;
            let Some(seq) = seq else { continue };
            let frame = serde_json::to_string(&event.clone().with_user_seq(seq))
                .map_err(|e| StoreError::Other(anyhow::Error::new(e)))?;
            diesel::insert_into(user_changes::table)
                .values((
                    user_changes::user_id.eq(user_id),
                    user_changes::seq.eq(seq),
                    user_changes::event.eq(&frame),
                    user_changes::created_at.eq(created_at),
                ))
                .execute(c)
                .await?;
            entries.push(Entry { user_id, seq, frame });
        }
        Ok(entries)
    })
}

/// The user's head: the `user_seq` of their latest entry (0 before the first).
pub async fn head(db: impl Into<Db<'_>>, user_id: i64) -> StoreResult<i64> {
    read!(db, |c| users::table
        .find(user_id)
        .select(users::user_seq)
        .first(c)
        .await
        .optional()?
        .ok_or(StoreError::NotFound("user")))
}

/// The user's entries with `after < seq <= up_to`, oldest first, at most `limit`.
pub async fn between(
    db: impl Into<Db<'_>>,
    user_id: i64,
    after: i64,
    up_to: i64,
    limit: i64,
) -> StoreResult<Vec<(i64, String)>> {
    read!(db, |c| Ok(user_changes::table
        .filter(user_changes::user_id.eq(user_id))
        .filter(user_changes::seq.gt(after))
        .filter(user_changes::seq.le(up_to))
        .order(user_changes::seq.asc())
        .limit(limit)
        .select((user_changes::seq, user_changes::event))
        .load(c)
        .await?))
}

/// Deletes each user's entries but the latest `keep` (a replay never reaches further back):
/// returns how many were deleted.
pub async fn prune(db: impl Into<Db<'_>>, keep: i64) -> StoreResult<usize> {
    // `keep` is a number of ours, not input: written into the SQL, the same for both stores.
    let sql = format!(
        "DELETE FROM user_changes WHERE seq <= \
         (SELECT users.user_seq FROM users WHERE users.id = user_changes.user_id) - {keep}"
    );
    write_tx!(db, |c| Ok(diesel::sql_query(&sql).execute(c).await?))
}
