//! Webhooks of rooms, each posting as its own account (`user_id`). An incoming one has a secret
//! address: only the SHA-256 of its token is kept (`token_hash`). An outgoing one has a target,
//! the secret it signs with, and a cursor (`cursor`: the room seq of the last message delivered),
//! with its run of failures; a node delivers for it while it holds its lease (`lease_owner`
//! until `leased_until`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::UserRow;
use super::schema::{users, webhooks};
use super::{Db, StoreResult, now, read, write_tx};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: i64,
    pub room_id: i64,
    pub user_id: i64,
    pub name: String,
    pub target_url: Option<String>,
    pub secret: Option<String>,
    pub cursor: i64,
    pub failures: i64,
    pub last_error: Option<String>,
    pub disabled_at: Option<NaiveDateTime>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// A webhook to store: incoming (`token_hash`) or outgoing (`target_url`, `secret`, and the
/// room's head as its first cursor).
pub struct NewWebhook<'a> {
    pub room_id: i64,
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: Option<&'a str>,
    pub target_url: Option<&'a str>,
    pub secret: Option<&'a str>,
    pub cursor: i64,
    pub created_by: i64,
}

/// Stores a webhook (its account made by the caller in its transaction).
pub async fn insert(db: impl Into<Db<'_>>, hook: NewWebhook<'_>) -> StoreResult<WebhookRow> {
    write_tx!(db, |c| {
        Ok(diesel::insert_into(webhooks::table)
            .values((
                webhooks::room_id.eq(hook.room_id),
                webhooks::user_id.eq(hook.user_id),
                webhooks::name.eq(hook.name),
                webhooks::token_hash.eq(hook.token_hash),
                webhooks::target_url.eq(hook.target_url),
                webhooks::secret.eq(hook.secret),
                webhooks::cursor.eq(hook.cursor),
                webhooks::created_by.eq(hook.created_by),
                webhooks::created_at.eq(now()),
            ))
            .returning(WebhookRow::as_returning())
            .get_result(c)
            .await?)
    })
}

/// The webhook whose token has this hash, with its account.
pub async fn by_token_hash(db: impl Into<Db<'_>>, token_hash: &str) -> StoreResult<Option<(WebhookRow, UserRow)>> {
    read!(db, |c| Ok(webhooks::table
        .inner_join(users::table.on(users::id.eq(webhooks::user_id)))
        .filter(webhooks::token_hash.eq(token_hash))
        .select((WebhookRow::as_select(), UserRow::as_select()))
        .first(c)
        .await
        .optional()?))
}

/// The room's webhooks with their accounts, oldest first.
pub async fn of_room(db: impl Into<Db<'_>>, room_id: i64) -> StoreResult<Vec<(WebhookRow, UserRow)>> {
    read!(db, |c| Ok(webhooks::table
        .inner_join(users::table.on(users::id.eq(webhooks::user_id)))
        .filter(webhooks::room_id.eq(room_id))
        .order(webhooks::id)
        .select((WebhookRow::as_select(), UserRow::as_select()))
        .load(c)
        .await?))
}

/// The room's webhook `id`, with its account.
pub async fn by_id(db: impl Into<Db<'_>>, room_id: i64, id: i64) -> StoreResult<Option<(WebhookRow, UserRow)>> {
    read!(db, |c| Ok(webhooks::table
        .inner_join(users::table.on(users::id.eq(webhooks::user_id)))
        .filter(webhooks::room_id.eq(room_id))
        .filter(webhooks::id.eq(id))
        .select((WebhookRow::as_select(), UserRow::as_select()))
        .first(c)
        .await
        .optional()?))
}

/// Gives an incoming webhook a new token (the old one stops working).
pub async fn set_token(db: impl Into<Db<'_>>, id: i64, token_hash: &str) -> StoreResult<()> {
    write_tx!(db, |c| {
        diesel::update(webhooks::table.find(id)).set(webhooks::token_hash.eq(token_hash)).execute(c).await?;
        Ok(())
    })
}

/// Gives an outgoing webhook a new secret and enables it again (its failures forgotten).
pub async fn set_secret(db: impl Into<Db<'_>>, id: i64, secret: &str) -> StoreResult<WebhookRow> {
    write_tx!(db, |c| {
        Ok(diesel::update(webhooks::table.find(id))
            .set((
                webhooks::secret.eq(secret),
                webhooks::failures.eq(0),
                webhooks::last_error.eq(None::<String>),
                webhooks::disabled_at.eq(None::<NaiveDateTime>),
            ))
            .returning(WebhookRow::as_returning())
            .get_result(c)
            .await?)
    })
}

/// The outgoing webhooks that are enabled.
pub async fn outgoing(db: impl Into<Db<'_>>) -> StoreResult<Vec<WebhookRow>> {
    read!(db, |c| Ok(webhooks::table
        .filter(webhooks::target_url.is_not_null())
        .filter(webhooks::disabled_at.is_null())
        .order(webhooks::id)
        .select(WebhookRow::as_select())
        .load(c)
        .await?))
}

/// The webhook `id`.
pub async fn get(db: impl Into<Db<'_>>, id: i64) -> StoreResult<Option<WebhookRow>> {
    read!(db, |c| Ok(webhooks::table.find(id).select(WebhookRow::as_select()).first(c).await.optional()?))
}

/// Takes or renews the webhook's delivery lease for `owner` (a node) until `until`: true when
/// the node holds it, false while another node's lease lasts.
pub async fn lease(db: impl Into<Db<'_>>, id: i64, owner: i64, until: NaiveDateTime) -> StoreResult<bool> {
    let at = now();
    write_tx!(db, |c| {
        let free =
            webhooks::leased_until.is_null().or(webhooks::leased_until.lt(at)).or(webhooks::lease_owner.eq(owner));
        let n = diesel::update(webhooks::table.find(id).filter(webhooks::disabled_at.is_null()).filter(free))
            .set((webhooks::leased_until.eq(until), webhooks::lease_owner.eq(owner)))
            .execute(c)
            .await?;
        Ok(n == 1)
    })
}

/// The webhook has everything up to `seq`: its cursor moves there and its failures end.
pub async fn delivered(db: impl Into<Db<'_>>, id: i64, seq: i64) -> StoreResult<()> {
    write_tx!(db, |c| {
        diesel::update(webhooks::table.find(id).filter(webhooks::cursor.lt(seq)))
            .set((webhooks::cursor.eq(seq), webhooks::failures.eq(0), webhooks::last_error.eq(None::<String>)))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// A delivery failed: one more in the webhook's run, disabled at `max` of them. Returns the run.
pub async fn failed(db: impl Into<Db<'_>>, id: i64, error: &str, max: i64) -> StoreResult<i64> {
    let at = now();
    write_tx!(db, |c| {
        let failures: i64 = diesel::update(webhooks::table.find(id))
            .set((webhooks::failures.eq(webhooks::failures + 1), webhooks::last_error.eq(error)))
            .returning(webhooks::failures)
            .get_result(c)
            .await?;
        if failures >= max {
            diesel::update(webhooks::table.find(id)).set(webhooks::disabled_at.eq(at)).execute(c).await?;
        }
        Ok(failures)
    })
}

/// Deletes the webhook. False when it was gone already.
pub async fn delete(db: impl Into<Db<'_>>, id: i64) -> StoreResult<bool> {
    write_tx!(db, |c| Ok(diesel::delete(webhooks::table.find(id)).execute(c).await? == 1))
}
