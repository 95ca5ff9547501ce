//! Web Push subscriptions: the browsers a user asked to be notified on (see `crate::push`).
//! An endpoint names one browser's subscription, so subscribing it again replaces its keys
//! and owner; a user keeps at most [`MAX_PER_USER`], the oldest going first.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::push_subscriptions;
use super::{Db, StoreResult, now, read, write_tx};

/// Browsers one user may be notified on.
pub const MAX_PER_USER: i64 = 10;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = push_subscriptions)]
pub struct SubscriptionRow {
    pub id: i64,
    pub user_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Adds (or replaces) `endpoint`'s subscription for `user_id`, then drops the user's oldest
/// beyond [`MAX_PER_USER`].
pub async fn subscribe(
    db: impl Into<Db<'_>>,
    user_id: i64,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
) -> StoreResult<()> {
    write_tx!(db, |c| {
        diesel::delete(push_subscriptions::table.filter(push_subscriptions::endpoint.eq(endpoint))).execute(c).await?;
        diesel::insert_into(push_subscriptions::table)
            .values((
                push_subscriptions::user_id.eq(user_id),
                push_subscriptions::endpoint.eq(endpoint),
                push_subscriptions::p256dh.eq(p256dh),
                push_subscriptions::auth.eq(auth),
                push_subscriptions::created_at.eq(now()),
            ))
            .execute(c)
            .await?;
        let keep: Vec<i64> = push_subscriptions::table
            .filter(push_subscriptions::user_id.eq(user_id))
            .order(push_subscriptions::id.desc())
            .limit(MAX_PER_USER)
            .select(push_subscriptions::id)
            .load(c)
            .await?;
        diesel::delete(
            push_subscriptions::table
                .filter(push_subscriptions::user_id.eq(user_id))
                .filter(push_subscriptions::id.ne_all(&keep)),
        )
        .execute(c)
        .await?;
        Ok(())
    })
}

/// Removes the user's subscription of `endpoint`; false when they had none.
pub async fn unsubscribe(db: impl Into<Db<'_>>, user_id: i64, endpoint: &str) -> StoreResult<bool> {
    write_tx!(db, |c| Ok(diesel::delete(
        push_subscriptions::table
            .filter(push_subscriptions::user_id.eq(user_id))
            .filter(push_subscriptions::endpoint.eq(endpoint)),
    )
    .execute(c)
    .await?
        > 0))
}

/// The subscriptions of these users.
pub async fn of_users(db: impl Into<Db<'_>>, user_ids: &[i64]) -> StoreResult<Vec<SubscriptionRow>> {
    read!(db, |c| Ok(push_subscriptions::table
        .filter(push_subscriptions::user_id.eq_any(user_ids))
        .select(SubscriptionRow::as_select())
        .load(c)
        .await?))
}

/// Forgets a subscription its push service says is gone (404 or 410).
pub async fn expired(db: impl Into<Db<'_>>, id: i64) -> StoreResult<()> {
    write_tx!(db, |c| {
        diesel::delete(push_subscriptions::table.find(id)).execute(c).await?;
        Ok(())
    })
}
