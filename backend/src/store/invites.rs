//! Invitations to create an account: a random code, a number of uses, an expiry. Taking one
//! (at registration) and creating the account happen in one transaction.

use chrono::NaiveDateTime;
use diesel::dsl::auto_type;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::{InviteRow, UserRow};
use super::schema::{invites, users};
use super::{Db, StoreResult, now, read, write_tx};

/// Not revoked, not expired at `at`, not used up.
#[auto_type]
fn live(at: NaiveDateTime) -> _ {
    let not_expired = invites::expires_at.is_null().or(invites::expires_at.gt(at));
    let uses_left = invites::max_uses.is_null().or(invites::uses.nullable().lt(invites::max_uses));
    invites::revoked_at.is_null().and(not_expired).and(uses_left)
}

pub async fn create(
    db: impl Into<Db<'_>>,
    code: &str,
    created_by: i64,
    max_uses: Option<i64>,
    expires_at: Option<NaiveDateTime>,
) -> StoreResult<InviteRow> {
    write_tx!(db, |c| Ok(diesel::insert_into(invites::table)
        .values((
            invites::code.eq(code),
            invites::created_by.eq(created_by),
            invites::max_uses.eq(max_uses),
            invites::expires_at.eq(expires_at),
            invites::created_at.eq(now()),
        ))
        .returning(InviteRow::as_returning())
        .get_result(c)
        .await?))
}

/// The live invites with their creators, newest first.
pub async fn live_with_creators(db: impl Into<Db<'_>>) -> StoreResult<Vec<(InviteRow, UserRow)>> {
    let at = now();
    read!(db, |c| Ok(invites::table
        .inner_join(users::table)
        .filter(live(at))
        .order(invites::created_at.desc())
        .select((InviteRow::as_select(), UserRow::as_select()))
        .load(c)
        .await?))
}

/// Whether `code` names a live invite (a check before the work of hashing a password).
pub async fn is_live(db: impl Into<Db<'_>>, code: &str) -> StoreResult<bool> {
    let at = now();
    read!(db, |c| Ok(invites::table
        .filter(invites::code.eq(code))
        .filter(live(at))
        .count()
        .get_result::<i64>(c)
        .await?
        > 0))
}

/// Uses the invite once, if it is live; false otherwise.
pub async fn take(db: impl Into<Db<'_>>, code: &str) -> StoreResult<bool> {
    let at = now();
    write_tx!(db, |c| Ok(diesel::update(invites::table.filter(invites::code.eq(code)).filter(live(at)))
        .set(invites::uses.eq(invites::uses + 1))
        .execute(c)
        .await?
        == 1))
}

/// Revokes a live invite; false when there was none of that code.
pub async fn revoke(db: impl Into<Db<'_>>, code: &str) -> StoreResult<bool> {
    let at = now();
    write_tx!(db, |c| Ok(diesel::update(invites::table.filter(invites::code.eq(code)).filter(live(at)))
        .set(invites::revoked_at.eq(Some(at)))
        .execute(c)
        .await?
        == 1))
}
