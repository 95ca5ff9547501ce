//! Messages and the room change log.
//!
//! Every change to a room's messages (create, edit, delete) takes the room's next `seq` in the
//! transaction that writes it: `UPDATE rooms SET last_seq = last_seq + 1 … RETURNING last_seq`.
//! That row update serialises the room's writers (a row lock on PostgreSQL, the single writer
//! connection on SQLite) and rolls back with the transaction, so the counter stays gapless.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::{Change, ChangeKind, MessageRow, UserRow};
use super::schema::{changes, messages, rooms, users};
use super::{Store, now, read, write_tx};
use crate::error::{AppError, AppResult, is_unique_violation};

/// Takes the room's next seq; must run inside a write transaction.
macro_rules! next_seq {
    ($c:ident, $room_id:expr) => {
        diesel::update(rooms::table.find($room_id))
            .set(rooms::last_seq.eq(rooms::last_seq + 1))
            .returning(rooms::last_seq)
            .get_result::<i64>($c)
            .await?
    };
}

/// Appends an entry to the room's change log; must run inside the write transaction.
macro_rules! log_change {
    ($c:ident, $room_id:expr, $seq:expr, $message_id:expr, $kind:expr) => {
        diesel::insert_into(changes::table)
            .values((
                changes::room_id.eq($room_id),
                changes::seq.eq($seq),
                changes::message_id.eq($message_id),
                changes::kind.eq($kind as i16),
            ))
            .execute($c)
            .await?
    };
}

/// A message to write, in the order the writer received it.
pub struct NewMessage<'a> {
    pub room_id: i64,
    pub author_id: i64,
    pub body: &'a str,
    pub client_id: Option<&'a str>,
}

/// Stores a new message; returns it and whether it was created (false: a repeat of
/// `client_id` by the same author, answered with the original and writing nothing).
pub async fn send(store: &Store, msg: &NewMessage<'_>) -> AppResult<(MessageRow, bool)> {
    if let Some(existing) = by_client_id(store, msg.author_id, msg.client_id).await? {
        return repeat(existing, msg.room_id);
    }
    let at = now();
    let result = write_tx!(store, |c| {
        let seq = next_seq!(c, msg.room_id);
        let row: MessageRow = diesel::insert_into(messages::table)
            .values((
                messages::room_id.eq(msg.room_id),
                messages::seq.eq(seq),
                messages::updated_seq.eq(seq),
                messages::author_id.eq(msg.author_id),
                messages::body.eq(msg.body),
                messages::client_id.eq(msg.client_id),
                messages::created_at.eq(at),
            ))
            .returning(MessageRow::as_returning())
            .get_result(c)
            .await?;
        log_change!(c, msg.room_id, seq, row.id, ChangeKind::Created);
        Ok(row)
    });
    match result {
        Ok(row) => Ok((row, true)),
        // A concurrent send with the same client_id won the race: answer with its message.
        Err(e) if is_unique_violation(&e) => match by_client_id(store, msg.author_id, msg.client_id).await? {
            Some(existing) => repeat(existing, msg.room_id),
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

/// A send whose `client_id` the author already used: the original message, if it is the
/// same room's (a client_id names one message, so reusing it elsewhere is refused).
fn repeat(existing: MessageRow, room_id: i64) -> AppResult<(MessageRow, bool)> {
    if existing.room_id != room_id {
        return Err(AppError::invalid("client_id", "already used for a message in another room"));
    }
    Ok((existing, false))
}

async fn by_client_id(store: &Store, author_id: i64, client_id: Option<&str>) -> AppResult<Option<MessageRow>> {
    let Some(client_id) = client_id else {
        return Ok(None);
    };
    read!(store, |c| Ok(messages::table
        .filter(messages::author_id.eq(author_id))
        .filter(messages::client_id.eq(client_id))
        .select(MessageRow::as_select())
        .first(c)
        .await
        .optional()?))
}

pub async fn by_id(store: &Store, room_id: i64, message_id: i64) -> AppResult<Option<MessageRow>> {
    read!(store, |c| Ok(messages::table
        .filter(messages::id.eq(message_id))
        .filter(messages::room_id.eq(room_id))
        .select(MessageRow::as_select())
        .first(c)
        .await
        .optional()?))
}

/// Replaces the body of a live message, as a new change of the room.
pub async fn edit(store: &Store, room_id: i64, message_id: i64, body: &str) -> AppResult<MessageRow> {
    let at = now();
    change(store, room_id, message_id, ChangeKind::Edited, body, Some(at)).await
}

/// Tombstones a live message (empty body, `deleted`), as a new change of the room.
pub async fn delete(store: &Store, room_id: i64, message_id: i64) -> AppResult<MessageRow> {
    change(store, room_id, message_id, ChangeKind::Deleted, "", None).await
}

async fn change(
    store: &Store,
    room_id: i64,
    message_id: i64,
    kind: ChangeKind,
    body: &str,
    edited_at: Option<NaiveDateTime>,
) -> AppResult<MessageRow> {
    write_tx!(store, |c| {
        // Taking the seq first locks the room's change counter, so the message's state read
        // next cannot change under us; if it is gone the rollback returns the seq.
        let seq = next_seq!(c, room_id);
        let deleted: Option<bool> = messages::table
            .filter(messages::id.eq(message_id))
            .filter(messages::room_id.eq(room_id))
            .select(messages::deleted)
            .first(c)
            .await
            .optional()?;
        if deleted != Some(false) {
            return Err(AppError::not_found("message"));
        }
        let target = messages::table.find(message_id);
        let row: MessageRow = if kind == ChangeKind::Deleted {
            diesel::update(target)
                .set((messages::body.eq(body), messages::deleted.eq(true), messages::updated_seq.eq(seq)))
                .returning(MessageRow::as_returning())
                .get_result(c)
                .await?
        } else {
            diesel::update(target)
                .set((messages::body.eq(body), messages::edited_at.eq(edited_at), messages::updated_seq.eq(seq)))
                .returning(MessageRow::as_returning())
                .get_result(c)
                .await?
        };
        log_change!(c, room_id, seq, message_id, kind);
        Ok(row)
    })
}

/// A page of history in ascending `seq`, and whether more lies beyond it in the paging
/// direction: after `after_seq` when given (oldest first), else before `before_seq` (or the
/// newest). Both bounds may be combined. Served by the `(room_id, seq)` index.
pub async fn history(
    store: &Store,
    room_id: i64,
    before_seq: Option<i64>,
    after_seq: Option<i64>,
    limit: i64,
) -> AppResult<(Vec<(MessageRow, UserRow)>, bool)> {
    let mut rows: Vec<(MessageRow, UserRow)> = read!(store, |c| {
        let mut query = messages::table
            .inner_join(users::table)
            .filter(messages::room_id.eq(room_id))
            .select((MessageRow::as_select(), UserRow::as_select()))
            .limit(limit + 1)
            .into_boxed();
        if let Some(before) = before_seq {
            query = query.filter(messages::seq.lt(before));
        }
        if let Some(after) = after_seq {
            query = query.filter(messages::seq.gt(after)).order(messages::seq.asc());
        } else {
            query = query.order(messages::seq.desc());
        }
        Ok::<_, AppError>(query.load(c).await?)
    })?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    if after_seq.is_none() {
        rows.reverse();
    }
    Ok((rows, has_more))
}

/// The room's changes with `after < seq <= up_to`, oldest first, at most `limit`, each with
/// the current state of its message.
pub async fn changes_between(
    store: &Store,
    room_id: i64,
    after: i64,
    up_to: i64,
    limit: i64,
) -> AppResult<Vec<Change>> {
    let rows: Vec<(i64, i16, MessageRow, UserRow)> = read!(store, |c| Ok::<_, AppError>(
        changes::table
            .inner_join(messages::table.inner_join(users::table))
            .filter(changes::room_id.eq(room_id))
            .filter(changes::seq.gt(after))
            .filter(changes::seq.le(up_to))
            .order(changes::seq.asc())
            .limit(limit)
            .select((changes::seq, changes::kind, MessageRow::as_select(), UserRow::as_select()))
            .load(c)
            .await?
    ))?;
    Ok(rows
        .into_iter()
        .map(|(seq, kind, msg, author)| Change {
            seq,
            kind: ChangeKind::from_i16(kind),
            message: msg.into_message(author),
        })
        .collect())
}

/// The room's change counter (0 for a room with no messages yet).
pub async fn head(store: &Store, room_id: i64) -> AppResult<Option<i64>> {
    read!(store, |c| Ok(rooms::table.find(room_id).select(rooms::last_seq).first(c).await.optional()?))
}
