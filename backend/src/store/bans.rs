//! Room bans: a banned user is removed from the room and may not join it, be added to it, or
//! read it (if public) until unbanned. `rooms::add_member` refuses them in its transaction.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::UserRow;
use super::schema::{room_bans, users};
use super::{Db, StoreResult, now, read, rooms, write_tx};

/// Bans `user_id` from the room and removes their membership, in one transaction (the last
/// owner cannot be banned: `Conflict::LastOwner`). Returns whether the ban is new, and whether
/// they were a member.
pub async fn ban(db: impl Into<Db<'_>>, room_id: i64, user_id: i64, by: i64) -> StoreResult<(bool, bool)> {
    write_tx!(db, |c| {
        let new = diesel::insert_into(room_bans::table)
            .values((
                room_bans::room_id.eq(room_id),
                room_bans::user_id.eq(user_id),
                room_bans::banned_by.eq(Some(by)),
                room_bans::created_at.eq(now()),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await?
            > 0;
        Ok((new, rooms::remove_member(&mut *c, room_id, user_id).await?))
    })
}

/// Lifts a ban; false when there was none.
pub async fn unban(db: impl Into<Db<'_>>, room_id: i64, user_id: i64) -> StoreResult<bool> {
    write_tx!(db, |c| Ok(diesel::delete(room_bans::table.find((room_id, user_id))).execute(c).await? > 0))
}

pub async fn is_banned(db: impl Into<Db<'_>>, room_id: i64, user_id: i64) -> StoreResult<bool> {
    read!(db, |c| Ok(room_bans::table.find((room_id, user_id)).count().get_result::<i64>(c).await? > 0))
}

/// Who is banned from the room, by name.
pub async fn banned(db: impl Into<Db<'_>>, room_id: i64) -> StoreResult<Vec<UserRow>> {
    read!(db, |c| Ok(room_bans::table
        .inner_join(users::table)
        .filter(room_bans::room_id.eq(room_id))
        .order(users::username_key)
        .select(UserRow::as_select())
        .load(c)
        .await?))
}
