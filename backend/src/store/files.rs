//! Files uploaded to rooms. A file row is created when its upload is complete, attached to one
//! message by the send that names it (in the send's own transaction, see
//! `messages::write_batch`), and discarded (`deleted_at`) when its message or room is deleted or
//! when it stayed unattached too long. Discarded rows are kept until their objects are gone
//! from storage ([`discarded`], then [`remove`]), so a crash between the two leaks nothing.
//!
//! A sent message keeps a JSON copy of its attachments' `File`s in `messages.attachments`:
//! they never change once sent, and every read of a message (history, replay, search) then
//! carries them without a join.

use chrono::NaiveDateTime;
use confab_shared::File;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::FileRow;
use super::schema::files;
use super::{Db, StoreError, StoreResult, now, read, write_tx};

/// A complete upload, to record.
pub struct NewFile<'a> {
    pub room_id: i64,
    pub uploader_id: i64,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub dimensions: Option<(u32, u32)>,
    pub sha256: &'a str,
    pub storage_key: &'a str,
}

pub async fn insert(db: impl Into<Db<'_>>, file: NewFile<'_>) -> StoreResult<FileRow> {
    let (width, height) = file.dimensions.map(|(w, h)| (i64::from(w), i64::from(h))).unzip();
    write_tx!(db, |c| Ok(diesel::insert_into(files::table)
        .values((
            files::room_id.eq(file.room_id),
            files::uploader_id.eq(file.uploader_id),
            files::name.eq(file.name),
            files::content_type.eq(file.content_type),
            files::size.eq(file.size),
            files::width.eq(width),
            files::height.eq(height),
            files::sha256.eq(file.sha256),
            files::storage_key.eq(file.storage_key),
            files::created_at.eq(now()),
        ))
        .returning(FileRow::as_returning())
        .get_result(c)
        .await?))
}

/// A file that is not discarded.
pub async fn by_id(db: impl Into<Db<'_>>, id: i64) -> StoreResult<Option<FileRow>> {
    read!(db, |c| Ok(files::table
        .filter(files::id.eq(id))
        .filter(files::deleted_at.is_null())
        .select(FileRow::as_select())
        .first(c)
        .await
        .optional()?))
}

/// The files among `ids` that are not discarded (for a send to check and attach).
pub async fn live(db: impl Into<Db<'_>>, ids: &[i64]) -> StoreResult<Vec<FileRow>> {
    read!(db, |c| Ok(files::table
        .filter(files::id.eq_any(ids))
        .filter(files::deleted_at.is_null())
        .select(FileRow::as_select())
        .load(c)
        .await?))
}

/// Attaches files to a message: inside the send's transaction, after [`live`] checked them.
pub async fn attach(db: impl Into<Db<'_>>, message_id: i64, ids: &[i64]) -> StoreResult<()> {
    write_tx!(db, |c| {
        diesel::update(files::table.filter(files::id.eq_any(ids)))
            .set(files::message_id.eq(message_id))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// The `[File]` JSON a message keeps of its attachments, in the order given; `None` for none.
pub fn attachments_json(rows: &[&FileRow]) -> StoreResult<Option<String>> {
    if rows.is_empty() {
        return Ok(None);
    }
    let files: Vec<File> = rows.iter().map(|&row| row.into()).collect();
    serde_json::to_string(&files).map(Some).map_err(|e| StoreError::Other(e.into()))
}

/// Discards the files of a message being deleted (in its transaction); returns how many.
pub async fn discard_of_message(db: impl Into<Db<'_>>, message_id: i64) -> StoreResult<usize> {
    let at = now();
    write_tx!(db, |c| Ok(diesel::update(files::table)
        .filter(files::message_id.eq(message_id))
        .filter(files::deleted_at.is_null())
        .set(files::deleted_at.eq(at))
        .execute(c)
        .await?))
}

/// Discards every file of a room being deleted (in its transaction).
pub async fn discard_of_room(db: impl Into<Db<'_>>, room_id: i64) -> StoreResult<()> {
    let at = now();
    write_tx!(db, |c| {
        diesel::update(files::table)
            .filter(files::room_id.eq(room_id))
            .filter(files::deleted_at.is_null())
            .set(files::deleted_at.eq(at))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Discards the uploads never attached since before `cutoff`. A send attaching one at the same
/// moment either commits first (and the file is attached, not discarded) or finds it discarded.
pub async fn discard_unattached(db: impl Into<Db<'_>>, cutoff: NaiveDateTime) -> StoreResult<usize> {
    let at = now();
    write_tx!(db, |c| Ok(diesel::update(files::table)
        .filter(files::message_id.is_null())
        .filter(files::deleted_at.is_null())
        .filter(files::created_at.lt(cutoff))
        .set(files::deleted_at.eq(at))
        .execute(c)
        .await?))
}

/// Discarded files whose objects may still be in storage, oldest first.
pub async fn discarded(db: impl Into<Db<'_>>, limit: i64) -> StoreResult<Vec<FileRow>> {
    read!(db, |c| Ok(files::table
        .filter(files::deleted_at.is_not_null())
        .order(files::deleted_at.asc())
        .limit(limit)
        .select(FileRow::as_select())
        .load(c)
        .await?))
}

/// Forgets discarded files whose objects are gone.
pub async fn remove(db: impl Into<Db<'_>>, ids: &[i64]) -> StoreResult<()> {
    write_tx!(db, |c| {
        diesel::delete(files::table.filter(files::id.eq_any(ids)).filter(files::deleted_at.is_not_null()))
            .execute(c)
            .await?;
        Ok(())
    })
}
