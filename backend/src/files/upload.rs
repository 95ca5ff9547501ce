//! `POST /rooms/{room_id}/files`: the body streams to storage as it arrives, so an upload holds
//! a few storage parts in memory whatever its size. Its first bytes ([`sniff::HEAD`]) decide
//! its type and, for an image, its size in pixels: an image too large to decode safely is
//! refused as soon as its header has arrived.

use actix_web::web;
use bytes::{Bytes, BytesMut};
use confab_shared::File;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::images;
use super::sniff;
use super::storage::Upload;
use crate::auth::Auth;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::rooms::access;
use crate::state::AppState;
use crate::store::{self, files::NewFile};

/// What the first bytes of an upload said.
struct Kind {
    content_type: &'static str,
    dimensions: Option<(u32, u32)>,
}

/// Stores an upload to a room of which the caller is a member. `declared` is the request's
/// `Content-Length`: over the limit, the upload is refused before a byte is read.
pub async fn upload(
    state: &AppState,
    auth: Auth,
    room_id: i64,
    name: &str,
    declared: Option<u64>,
    body: web::Payload,
) -> AppResult<File> {
    let name = sniff::file_name(name)?;
    state.limits.uploads_by_user.take(auth.user_id).await?;
    access::member(&state.store, room_id, auth.user_id).await?;
    let max = state.files.max_upload_bytes;
    if declared.is_some_and(|len| len > max) {
        return Err(too_large(max));
    }
    let key = hex::encode(rand::random::<[u8; 16]>());
    let storage = &state.files.storage;
    let mut upload = storage.create(&key).await.map_err(AppError::storage_unavailable)?;
    let received = match receive(&mut upload, body, max).await {
        Ok(received) => upload.finish().await.map(|()| received).map_err(AppError::storage_unavailable),
        Err(err) => {
            if let Err(abort) = upload.abort().await {
                tracing::warn!("aborting an upload: {abort}");
            }
            Err(err)
        }
    }?;
    let row = store::files::insert(
        &state.store,
        NewFile {
            room_id,
            uploader_id: auth.user_id,
            name: &name,
            content_type: received.kind.content_type,
            size: received.size as i64,
            dimensions: received.kind.dimensions,
            sha256: &received.sha256,
            storage_key: &key,
        },
    )
    .await;
    match row {
        Ok(row) => Ok(File::from(&row)),
        Err(err) => {
            let _ = storage.delete(&key).await; // unrecorded: nothing else would remove it
            Err(err.into())
        }
    }
}

struct Received {
    size: u64,
    sha256: String,
    kind: Kind,
}

/// Copies the body into `upload`, refusing it past `max` bytes or once its head shows an
/// image too large to decode.
async fn receive(upload: &mut Upload, mut body: web::Payload, max: u64) -> AppResult<Received> {
    let mut size: u64 = 0;
    let mut hash = Sha256::new();
    let mut head = BytesMut::new();
    let mut kind = None;
    while let Some(chunk) = body.next().await {
        let chunk: Bytes = chunk.map_err(|e| AppError::invalid("body", format!("the upload was cut off: {e}")))?;
        size += chunk.len() as u64;
        if size > max {
            return Err(too_large(max));
        }
        hash.update(&chunk);
        if kind.is_none() {
            let wanted = (sniff::HEAD - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..wanted]);
            if head.len() == sniff::HEAD {
                kind = Some(classify(&head)?);
            }
        }
        upload.write(chunk).await.map_err(AppError::storage_unavailable)?;
    }
    let kind = match kind {
        Some(kind) => kind,
        None => classify(&head)?,
    };
    Ok(Received { size, sha256: hex::encode(hash.finalize()), kind })
}

fn classify(head: &[u8]) -> AppResult<Kind> {
    let content_type = sniff::content_type(head);
    let dimensions = if sniff::is_image(content_type) { images::dimensions(head)? } else { None };
    Ok(Kind { content_type, dimensions })
}

fn too_large(max: u64) -> AppError {
    AppError::new(ErrorKind::PayloadTooLarge, format!("a file may be at most {max} bytes"))
}
