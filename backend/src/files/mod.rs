//! Files and images: upload (streamed to [`storage`], typed by [`sniff`], measured by
//! [`images`]), download with ranges, thumbnails, and the clean-up of files no message keeps.
//!
//! The life of a file: `POST /rooms/{id}/files` streams the body to a new object and records
//! the file (unattached); a send naming it attaches it in the send's transaction (see
//! `store::files`); deleting the message or the room discards it, as does staying unattached
//! for `--unattached-file-ttl-secs`; the [`Files::sweep`] task then removes discarded objects
//! and forgets their rows. Thumbnails are made on first request and kept beside the original.

pub mod handlers;
pub mod images;
pub mod sniff;
pub mod storage;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};
use crate::store::{self, Store};
pub use storage::Storage;
pub use upload::upload;

/// Discarded files removed per round of the sweeper.
const SWEEP_BATCH: i64 = 100;

/// What the file handlers share.
pub struct Files {
    pub storage: Storage,
    pub max_upload_bytes: u64,
    /// Images being resized at once (each decodes a whole image on the blocking pool).
    resizing: Semaphore,
    unattached_ttl: Duration,
}

impl Files {
    pub fn new(storage: Storage, max_upload_bytes: u64, unattached_ttl: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self { storage, max_upload_bytes, resizing: Semaphore::new(cores), unattached_ttl }
    }

    /// Runs `resize` ([`images::thumbnail`], [`images::avatar`]) on the blocking pool, one
    /// image per core at a time; an image it cannot read is a problem with `field`.
    pub async fn resize(
        &self,
        original: bytes::Bytes,
        resize: fn(&[u8]) -> Result<Vec<u8>, images::ImageError>,
        field: &str,
    ) -> AppResult<bytes::Bytes> {
        let _permit = self.resizing.acquire().await.map_err(AppError::internal)?;
        let made = tokio::task::spawn_blocking(move || resize(&original)).await.map_err(AppError::internal)?;
        Ok(bytes::Bytes::from(made.map_err(|err| err.problem(field))?))
    }

    /// The key of a file's thumbnail, beside the original.
    fn thumbnail_key(storage_key: &str) -> String {
        format!("{storage_key}.thumb")
    }

    /// Removes discarded files from storage, then forgets them; returns how many. A file whose
    /// object cannot be removed now stays discarded for the next round.
    pub async fn purge(&self, store: &Store) -> anyhow::Result<usize> {
        let mut removed = 0;
        loop {
            let batch = store::files::discarded(store, SWEEP_BATCH).await?;
            let mut gone = Vec::with_capacity(batch.len());
            for file in &batch {
                let original = self.storage.delete(&file.storage_key).await;
                let thumbnail = self.storage.delete(&Self::thumbnail_key(&file.storage_key)).await;
                match original.and(thumbnail) {
                    Ok(()) => gone.push(file.id),
                    Err(err) => tracing::warn!(file = file.id, "could not remove a discarded file: {err}"),
                }
            }
            store::files::remove(store, &gone).await?;
            removed += gone.len();
            if gone.len() < batch.len() || (batch.len() as i64) < SWEEP_BATCH {
                return Ok(removed);
            }
        }
    }

    /// Purges discarded files in the background, now (after a delete) without waiting for it.
    pub fn purge_soon(self: &Arc<Self>, store: &Store) {
        let (files, store) = (self.clone(), store.clone());
        tokio::spawn(async move {
            if let Err(err) = files.purge(&store).await {
                tracing::warn!("purging discarded files: {err:#}");
            }
        });
    }

    /// Every few minutes (more often with a short TTL): discards uploads left unattached for
    /// longer than the TTL, then purges. Every node may run it: both steps are idempotent.
    pub fn spawn_sweeper(self: Arc<Self>, store: Store) {
        let every = (self.unattached_ttl / 4).clamp(Duration::from_millis(200), Duration::from_secs(600));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Ok(ttl) = chrono::Duration::from_std(self.unattached_ttl) else { return };
                let cutoff = store::now() - ttl;
                if let Err(err) = store::files::discard_unattached(&store, cutoff).await {
                    tracing::warn!("discarding unattached files: {err}");
                    continue;
                }
                if let Err(err) = self.purge(&store).await {
                    tracing::warn!("purging discarded files: {err:#}");
                }
            }
        });
    }
}
