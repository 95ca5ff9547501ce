//! Accounts: creation, lookup by id or (case-folded) name, prefix search, password change.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::UserRow;
use super::schema::{users, webhooks};
use super::{Conflict, Db, StoreResult, now, read, write_tx};

/// Creates an account with a server role (`admin` or `member`); `username_taken` when the name
/// is in use, ignoring case.
pub async fn create(db: impl Into<Db<'_>>, username: &str, password_hash: &str, role: &str) -> StoreResult<UserRow> {
    insert(db, username, password_hash, role, false, None).await
}

async fn insert(
    db: impl Into<Db<'_>>,
    username: &str,
    password_hash: &str,
    role: &str,
    bot: bool,
    display_name: Option<&str>,
) -> StoreResult<UserRow> {
    let key = username.to_ascii_lowercase();
    let result = write_tx!(db, |c| {
        Ok(diesel::insert_into(users::table)
            .values((
                users::username.eq(username),
                users::username_key.eq(&key),
                users::password_hash.eq(password_hash),
                users::created_at.eq(now()),
                users::role.eq(role),
                users::bot.eq(bot),
                users::display_name.eq(display_name),
            ))
            .returning(UserRow::as_returning())
            .get_result(c)
            .await?)
    });
    result.map_err(|e| e.duplicate_as(Conflict::UsernameTaken))
}

/// The account and its password hash, by name ignoring ASCII case (names are ASCII).
pub async fn by_name(db: impl Into<Db<'_>>, username: &str) -> StoreResult<Option<(UserRow, String)>> {
    let key = username.to_ascii_lowercase();
    read!(db, |c| Ok(users::table
        .filter(users::username_key.eq(&key))
        .select((UserRow::as_select(), users::password_hash))
        .first(c)
        .await
        .optional()?))
}

/// The oldest server admin.
pub async fn first_admin(db: impl Into<Db<'_>>) -> StoreResult<Option<UserRow>> {
    read!(db, |c| Ok(users::table
        .filter(users::role.eq("admin"))
        .order(users::id)
        .select(UserRow::as_select())
        .first(c)
        .await
        .optional()?))
}

/// How many accounts exist.
pub async fn count(db: impl Into<Db<'_>>) -> StoreResult<i64> {
    read!(db, |c| Ok(users::table.count().get_result(c).await?))
}

pub async fn by_id(db: impl Into<Db<'_>>, id: i64) -> StoreResult<Option<UserRow>> {
    read!(db, |c| Ok(users::table.find(id).select(UserRow::as_select()).first(c).await.optional()?))
}

pub async fn by_ids(db: impl Into<Db<'_>>, ids: &[i64]) -> StoreResult<Vec<UserRow>> {
    read!(db, |c| Ok(users::table
        .filter(users::id.eq_any(ids))
        .order(users::username_key)
        .select(UserRow::as_select())
        .load(c)
        .await?))
}

pub async fn password_hash(db: impl Into<Db<'_>>, id: i64) -> StoreResult<String> {
    read!(db, |c| Ok(users::table.find(id).select(users::password_hash).first(c).await?))
}

pub async fn set_password_hash(db: impl Into<Db<'_>>, id: i64, hash: &str) -> StoreResult<()> {
    write_tx!(db, |c| {
        diesel::update(users::table.find(id)).set(users::password_hash.eq(hash)).execute(c).await?;
        Ok(())
    })
}

/// Users whose name starts with `prefix` (ignoring case), by name. `prefix` must be made of
/// username characters only: the range `[prefix, prefix + "~")` then covers exactly the
/// names with that prefix (`~` sorts after every allowed character), served by the unique index.
pub async fn search_prefix(db: impl Into<Db<'_>>, prefix: &str, limit: i64) -> StoreResult<Vec<UserRow>> {
    let low = prefix.to_lowercase();
    let high = format!("{low}~");
    read!(db, |c| Ok(users::table
        .filter(users::username_key.ge(&low).and(users::username_key.lt(&high)))
        .order(users::username_key)
        .limit(limit)
        .select(UserRow::as_select())
        .load(c)
        .await?))
}

/// Sets the profile fields given (`Some("")` clears one) and returns the account as it is now.
pub async fn update_profile(
    db: impl Into<Db<'_>>,
    id: i64,
    display_name: Option<&str>,
    status: Option<&str>,
) -> StoreResult<UserRow> {
    let cleared = |value: &str| Some(value.to_owned()).filter(|v| !v.is_empty());
    write_tx!(db, |c| {
        if let Some(name) = display_name {
            diesel::update(users::table.find(id)).set(users::display_name.eq(cleared(name))).execute(c).await?;
        }
        if let Some(status) = status {
            diesel::update(users::table.find(id)).set(users::status.eq(cleared(status))).execute(c).await?;
        }
        Ok(users::table.find(id).select(UserRow::as_select()).first(c).await?)
    })
}

/// Points the account at a new avatar object (or none) and returns the account as it is now
/// with the key of the avatar it replaced, for the caller to delete after the commit.
pub async fn set_avatar(db: impl Into<Db<'_>>, id: i64, key: Option<&str>) -> StoreResult<(UserRow, Option<String>)> {
    write_tx!(db, |c| {
        let replaced: Option<String> = users::table.find(id).select(users::avatar_key).first(c).await?;
        diesel::update(users::table.find(id)).set(users::avatar_key.eq(key)).execute(c).await?;
        Ok((users::table.find(id).select(UserRow::as_select()).first(c).await?, replaced))
    })
}

/// Creates a bot's account: a member, with a password nobody knows.
pub async fn create_bot(
    db: impl Into<Db<'_>>,
    username: &str,
    password_hash: &str,
    display_name: Option<&str>,
) -> StoreResult<UserRow> {
    insert(db, username, password_hash, "member", true, display_name).await
}

/// The bots that are not deleted (deactivated), by name; webhooks' accounts are not among them.
pub async fn bots(db: impl Into<Db<'_>>) -> StoreResult<Vec<UserRow>> {
    read!(db, |c| Ok(live_bots().order(users::username_key).select(UserRow::as_select()).load(c).await?))
}

/// The bot `id`, if it is one of [`bots`].
pub async fn bot(db: impl Into<Db<'_>>, id: i64) -> StoreResult<Option<UserRow>> {
    read!(db, |c| Ok(live_bots().filter(users::id.eq(id)).select(UserRow::as_select()).first(c).await.optional()?))
}

#[diesel::dsl::auto_type]
fn live_bots() -> _ {
    users::table
        .filter(users::bot)
        .filter(users::deactivated_at.is_null())
        .filter(diesel::dsl::not(diesel::dsl::exists(webhooks::table.filter(webhooks::user_id.eq(users::id)))))
}
