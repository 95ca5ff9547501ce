//! What server admins manage: accounts (role, deactivation), one-time password resets, and
//! the audit log of every admin and moderation action.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::HashMap;

use super::models::UserRow;
use super::schema::{audit_log, password_resets, sessions, users};
use super::{Conflict, Db, StoreError, StoreResult, now, read, write_tx};

/// A page of accounts in id order after `after_id`, those whose name starts with `prefix`
/// (username characters only, as for `users::search_prefix`) when given, each with when one
/// of its sessions was last used; and whether more follow.
pub async fn users(
    db: impl Into<Db<'_>>,
    prefix: Option<&str>,
    after_id: i64,
    limit: i64,
) -> StoreResult<(Vec<(UserRow, Option<NaiveDateTime>)>, bool)> {
    let mut db = db.into();
    let mut rows: Vec<UserRow> = read!(db.reborrow(), |c| {
        let mut query = users::table
            .filter(users::id.gt(after_id))
            .order(users::id)
            .limit(limit + 1)
            .select(UserRow::as_select())
            .into_boxed();
        if let Some(prefix) = prefix {
            let low = prefix.to_ascii_lowercase();
            query = query.filter(users::username_key.ge(low.clone()).and(users::username_key.lt(format!("{low}~"))));
        }
        Ok(query.load(c).await?)
    })?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let seen = last_seen(db, &ids).await?;
    Ok((rows.into_iter().map(|u| (u.clone(), seen.get(&u.id).copied())).collect(), more))
}

/// When a session of each of these accounts was last used (accounts never logged in: absent).
pub async fn last_seen(db: impl Into<Db<'_>>, ids: &[i64]) -> StoreResult<HashMap<i64, NaiveDateTime>> {
    let rows: Vec<(i64, Option<NaiveDateTime>)> = read!(db, |c| Ok(sessions::table
        .filter(sessions::user_id.eq_any(ids))
        .group_by(sessions::user_id)
        .select((sessions::user_id, diesel::dsl::max(sessions::last_used_at)))
        .load(c)
        .await?))?;
    Ok(rows.into_iter().filter_map(|(id, at)| Some((id, at?))).collect())
}

/// Changes an account's role and whether it is deactivated; refuses to leave the server
/// without an active admin (`Conflict::LastAdmin`). Returns the account as it was, read in the
/// same transaction, and as it is now.
pub async fn update_user(
    db: impl Into<Db<'_>>,
    id: i64,
    role: Option<&str>,
    deactivated: Option<bool>,
) -> StoreResult<(UserRow, UserRow)> {
    write_tx!(db, |c| {
        let current: UserRow = users::table
            .find(id)
            .select(UserRow::as_select())
            .first(c)
            .await
            .optional()?
            .ok_or(StoreError::NotFound("user"))?;
        let stays_admin = role.map_or(current.role == "admin", |r| r == "admin")
            && deactivated.map_or(current.deactivated_at.is_none(), |d| !d);
        if current.role == "admin" && current.deactivated_at.is_none() && !stays_admin {
            let others: i64 = users::table
                .filter(users::role.eq("admin"))
                .filter(users::deactivated_at.is_null())
                .filter(users::id.ne(id))
                .count()
                .get_result(c)
                .await?;
            if others == 0 {
                return Err(StoreError::Conflict(Conflict::LastAdmin));
            }
        }
        if let Some(role) = role {
            diesel::update(users::table.find(id)).set(users::role.eq(role)).execute(c).await?;
        }
        match deactivated {
            Some(true) if current.deactivated_at.is_none() => {
                diesel::update(users::table.find(id)).set(users::deactivated_at.eq(Some(now()))).execute(c).await?;
            }
            Some(false) => {
                diesel::update(users::table.find(id))
                    .set(users::deactivated_at.eq(None::<NaiveDateTime>))
                    .execute(c)
                    .await?;
            }
            _ => {}
        }
        let now: UserRow = users::table.find(id).select(UserRow::as_select()).first(c).await?;
        Ok((current, now))
    })
}

/// Stores a password reset of `user_id` (the SHA-256 of its token) until `expires_at`.
pub async fn create_reset(
    db: impl Into<Db<'_>>,
    user_id: i64,
    token_hash: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<()> {
    write_tx!(db, |c| {
        diesel::insert_into(password_resets::table)
            .values((
                password_resets::token_hash.eq(token_hash),
                password_resets::user_id.eq(user_id),
                password_resets::expires_at.eq(expires_at),
                password_resets::created_at.eq(now()),
            ))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Uses a password reset once: sets the new password hash of its account, unless the reset is
/// used, expired or unknown (`None`). Returns the account.
pub async fn use_reset(db: impl Into<Db<'_>>, token_hash: &str, password_hash: &str) -> StoreResult<Option<i64>> {
    let at = now();
    write_tx!(db, |c| {
        let user_id: Option<i64> = diesel::update(
            password_resets::table
                .filter(password_resets::token_hash.eq(token_hash))
                .filter(password_resets::used_at.is_null())
                .filter(password_resets::expires_at.gt(at)),
        )
        .set(password_resets::used_at.eq(Some(at)))
        .returning(password_resets::user_id)
        .get_result(c)
        .await
        .optional()?;
        if let Some(id) = user_id {
            diesel::update(users::table.find(id)).set(users::password_hash.eq(password_hash)).execute(c).await?;
        }
        Ok(user_id)
    })
}

/// One action for the audit log.
pub struct Action<'a> {
    /// Who did it; `None` for the command line.
    pub actor: Option<i64>,
    pub action: &'a str,
    pub target: Option<i64>,
    pub room_id: Option<i64>,
    pub detail: Option<String>,
}

pub async fn record(db: impl Into<Db<'_>>, action: Action<'_>) -> StoreResult<()> {
    write_tx!(db, |c| {
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::actor_id.eq(action.actor),
                audit_log::action.eq(action.action),
                audit_log::target_user_id.eq(action.target),
                audit_log::room_id.eq(action.room_id),
                audit_log::detail.eq(&action.detail),
                audit_log::created_at.eq(now()),
            ))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// An audit entry as stored: id, actor, action, target, room, detail, when.
pub type AuditRow = (i64, Option<i64>, String, Option<i64>, Option<i64>, Option<String>, NaiveDateTime);

/// The newest entries before `before_id`, and whether older ones follow.
pub async fn audit(db: impl Into<Db<'_>>, before_id: Option<i64>, limit: i64) -> StoreResult<(Vec<AuditRow>, bool)> {
    let mut rows: Vec<AuditRow> = read!(db, |c| {
        let mut query = audit_log::table
            .order(audit_log::id.desc())
            .limit(limit + 1)
            .select((
                audit_log::id,
                audit_log::actor_id,
                audit_log::action,
                audit_log::target_user_id,
                audit_log::room_id,
                audit_log::detail,
                audit_log::created_at,
            ))
            .into_boxed();
        if let Some(before) = before_id {
            query = query.filter(audit_log::id.lt(before));
        }
        Ok(query.load(c).await?)
    })?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}
