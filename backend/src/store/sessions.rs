//! Login sessions: one row per login, holding the hash of its current refresh token and of the
//! one its last rotation replaced.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::SessionRow;
use super::schema::sessions;
use super::{Db, StoreResult, now, read, write_tx};

pub async fn create(
    db: impl Into<Db<'_>>,
    user_id: i64,
    refresh_hash: &str,
    user_agent: Option<&str>,
    expires_at: NaiveDateTime,
) -> StoreResult<i64> {
    let at = now();
    write_tx!(db, |c| Ok(diesel::insert_into(sessions::table)
        .values((
            sessions::user_id.eq(user_id),
            sessions::refresh_hash.eq(refresh_hash),
            sessions::user_agent.eq(user_agent),
            sessions::created_at.eq(at),
            sessions::last_used_at.eq(at),
            sessions::expires_at.eq(expires_at),
        ))
        .returning(sessions::id)
        .get_result(c)
        .await?))
}

/// A live session as its owner sees it in the session list.
#[derive(Debug, Clone, Queryable)]
pub struct ActiveSession {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub last_used_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub user_agent: Option<String>,
}

/// The user's sessions that are neither revoked nor expired, newest first.
pub async fn active(db: impl Into<Db<'_>>, user_id: i64) -> StoreResult<Vec<ActiveSession>> {
    let at = now();
    read!(db, |c| Ok(sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(at))
        .order(sessions::id.desc())
        .select((
            sessions::id,
            sessions::created_at,
            sessions::last_used_at,
            sessions::expires_at,
            sessions::user_agent,
        ))
        .load(c)
        .await?))
}

pub async fn by_id(db: impl Into<Db<'_>>, id: i64) -> StoreResult<Option<SessionRow>> {
    read!(db, |c| Ok(sessions::table.find(id).select(SessionRow::as_select()).first(c).await.optional()?))
}

/// The session whose current or previous refresh token has this hash (256-bit random tokens:
/// at most one).
pub async fn by_refresh_hash(db: impl Into<Db<'_>>, hash: &str) -> StoreResult<Option<SessionRow>> {
    read!(db, |c| Ok(sessions::table
        .filter(sessions::refresh_hash.eq(hash).or(sessions::previous_hash.eq(hash)))
        .select(SessionRow::as_select())
        .first(c)
        .await
        .optional()?))
}

/// True while the session exists, is not revoked and has not expired.
pub async fn is_active(db: impl Into<Db<'_>>, id: i64) -> StoreResult<bool> {
    let at = now();
    read!(db, |c| Ok(sessions::table
        .filter(sessions::id.eq(id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(at))
        .count()
        .get_result::<i64>(c)
        .await?
        > 0))
}

/// Replaces the refresh hash if it still is `old_hash` (compare-and-set, so two concurrent
/// refreshes with one token cannot both win), keeping `old_hash` as the previous one.
/// Returns whether it did.
pub async fn rotate(
    db: impl Into<Db<'_>>,
    id: i64,
    old_hash: &str,
    new_hash: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<bool> {
    let at = now();
    write_tx!(db, |c| Ok(diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::refresh_hash.eq(old_hash))
            .filter(sessions::revoked_at.is_null())
    )
    .set((
        sessions::refresh_hash.eq(new_hash),
        sessions::previous_hash.eq(Some(old_hash)),
        sessions::rotated_at.eq(Some(at)),
        sessions::last_used_at.eq(at),
        sessions::expires_at.eq(expires_at),
    ))
    .execute(c)
    .await?
        == 1))
}

pub async fn revoke(db: impl Into<Db<'_>>, id: i64) -> StoreResult<()> {
    let at = now();
    write_tx!(db, |c| {
        diesel::update(sessions::table.filter(sessions::id.eq(id)).filter(sessions::revoked_at.is_null()))
            .set(sessions::revoked_at.eq(at))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// The sessions revoked in `(after, up_to]`, as (user, session) (the partial index of revoked
/// sessions).
pub async fn revoked_between(
    db: impl Into<Db<'_>>,
    after: NaiveDateTime,
    up_to: NaiveDateTime,
) -> StoreResult<Vec<(i64, i64)>> {
    read!(db, |c| Ok(sessions::table
        .filter(sessions::revoked_at.gt(after))
        .filter(sessions::revoked_at.le(up_to))
        .select((sessions::user_id, sessions::id))
        .load(c)
        .await?))
}

/// Revokes every live session of `user_id` but `keep`; returns the ids revoked.
pub async fn revoke_all_but(db: impl Into<Db<'_>>, user_id: i64, keep: Option<i64>) -> StoreResult<Vec<i64>> {
    let at = now();
    let keep = keep.unwrap_or(0);
    write_tx!(db, |c| {
        Ok(diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::id.ne(keep))
                .filter(sessions::revoked_at.is_null()),
        )
        .set(sessions::revoked_at.eq(at))
        .returning(sessions::id)
        .get_results(c)
        .await?)
    })
}
