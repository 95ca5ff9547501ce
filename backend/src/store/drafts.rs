//! Drafts: a user's unsent text per room. Every change of one is an entry of the user's stream
//! (`draft_updated`), and the row keeps that entry's `user_seq`, which the next edit must name
//! (compare-and-set). A cleared draft keeps its row (empty) so that its seq still counts.

use confab_shared::{Draft, ServerEvent};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::collections::BTreeSet;

use super::schema::drafts;
use super::user_stream::{self, Entry};
use super::{Db, StoreResult, read, write_tx};

/// The outcome of [`put`]: stored, or refused because the draft changed since `base_seq`.
pub enum Put {
    Stored(Draft, Vec<Entry>),
    Stale(Draft),
}

/// Sets the user's draft for the room to `body` if its latest change is still `base_seq`.
pub async fn put(db: impl Into<Db<'_>>, user_id: i64, room_id: i64, body: &str, base_seq: i64) -> StoreResult<Put> {
    write_tx!(db, |c| {
        let current: Option<(String, i64)> = drafts::table
            .find((user_id, room_id))
            .select((drafts::body, drafts::user_seq))
            .first(c)
            .await
            .optional()?;
        let (current_body, current_seq) = current.unwrap_or_default();
        if current_seq != base_seq {
            return Ok(Put::Stale(Draft { room_id, body: current_body, user_seq: current_seq }));
        }
        let (draft, entries) = store_draft(&mut *c, user_id, room_id, body).await?;
        Ok(Put::Stored(draft, entries))
    })
}

/// Clears the drafts of these (author, room) pairs that are not empty: a message was just sent
/// there (in the caller's transaction). Returns the entries it appended.
pub async fn clear(db: impl Into<Db<'_>>, sent: &BTreeSet<(i64, i64)>) -> StoreResult<Vec<Entry>> {
    if sent.is_empty() {
        return Ok(Vec::new());
    }
    let authors: BTreeSet<i64> = sent.iter().map(|(author, _)| *author).collect();
    write_tx!(db, |c| {
        let drafted: Vec<(i64, i64)> = drafts::table
            .filter(drafts::user_id.eq_any(&authors))
            .filter(drafts::body.ne(""))
            .select((drafts::user_id, drafts::room_id))
            .load(c)
            .await?;
        let mut entries = Vec::new();
        for (user_id, room_id) in drafted.into_iter().filter(|pair| sent.contains(pair)) {
            entries.extend(store_draft(&mut *c, user_id, room_id, "").await?.1);
        }
        Ok(entries)
    })
}

/// Writes the draft as the user's next entry; must run in a write transaction.
async fn store_draft(
    db: impl Into<Db<'_>>,
    user_id: i64,
    room_id: i64,
    body: &str,
) -> StoreResult<(Draft, Vec<Entry>)> {
    write_tx!(db, |c| {
        let event = ServerEvent::DraftUpdated { room_id, body: body.to_owned(), user_seq: 0 };
        let entries = user_stream::append(&mut *c, [user_id], &event).await?;
        let seq = entries.iter().map(|e| e.seq).next().unwrap_or_default();
        diesel::insert_into(drafts::table)
            .values((
                drafts::user_id.eq(user_id),
                drafts::room_id.eq(room_id),
                drafts::body.eq(body),
                drafts::user_seq.eq(seq),
            ))
            .on_conflict((drafts::user_id, drafts::room_id))
            .do_update()
            .set((drafts::body.eq(body), drafts::user_seq.eq(seq)))
            .execute(c)
            .await?;
        Ok((Draft { room_id, body: body.to_owned(), user_seq: seq }, entries))
    })
}

/// The user's drafts that are not empty.
pub async fn list(db: impl Into<Db<'_>>, user_id: i64) -> StoreResult<Vec<Draft>> {
    read!(db, |c| {
        let rows: Vec<(i64, String, i64)> = drafts::table
            .filter(drafts::user_id.eq(user_id))
            .filter(drafts::body.ne(""))
            .order(drafts::room_id.asc())
            .select((drafts::room_id, drafts::body, drafts::user_seq))
            .load(c)
            .await?;
        Ok(rows.into_iter().map(|(room_id, body, user_seq)| Draft { room_id, body, user_seq }).collect())
    })
}
