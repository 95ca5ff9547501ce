//! `POST /rooms/{room_id}/files`, `GET /files/{file_id}` and `GET /files/{file_id}/thumbnail`.
//!
//! Downloads are for members of the file's room only (404 for everyone else, as for a private
//! room). Only png, jpeg, gif and webp are served `inline`; every other type, HTML and SVG
//! included, is an `attachment`, and every answer carries `nosniff` and a sandboxing CSP, so
//! an uploaded page can never run script on our origin. The access token travels in the
//! `Authorization` header, never in a URL: the web app fetches and shows an object URL.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use confab_shared::File;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{Files, sniff};
use crate::auth::Auth;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::state::AppState;
use crate::store::{self, models::FileRow};

/// What a downloaded file may do when opened: nothing.
pub const FILE_CSP: &str = "default-src 'none'; sandbox";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name (a path is cut to its last part; control, bidi and zero-width characters
    /// are removed). Its last part must keep a visible character that is not a dot.
    #[param(
        min_length = 1,
        max_length = 1024,
        pattern = r"[^\s\x00-\x1F\x7F-\x9F./\\\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF][^/\\]*$"
    )]
    pub name: String,
}

/// Uploads a file to a room (members), streamed: the body is the file's bytes. Its type is
/// what the bytes are, whatever `Content-Type` says. Attach it to a message by sending its id
/// in `attachments`; a file left unattached is removed after a day.
#[utoipa::path(
    tag = "files",
    security(("bearer" = [])),
    params(("room_id" = i64, Path, description = "Room id"), UploadQuery),
    request_body(content = Option<crate::openapi::Bytes>, content_type = "application/octet-stream", description = "The file's bytes (none: an empty file)"),
    responses(
        (status = 201, description = "Stored, not attached yet", body = File),
        (status = 400, description = "No usable name, or an image too large to decode (`image_too_large`)",
            body = confab_shared::Problem, content_type = "application/problem+json"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 403, response = crate::openapi::Forbidden),
        (status = 404, response = crate::openapi::NotFound),
        (status = 413, response = crate::openapi::TooLarge),
        (status = 429, response = crate::openapi::TooMany),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
#[post("/rooms/{room_id}/files")]
pub async fn upload(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<UploadQuery>,
    req: HttpRequest,
    body: web::Payload,
) -> AppResult<HttpResponse> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let file = super::upload(&state, auth, path.into_inner(), &query.name, declared, body).await?;
    Ok(HttpResponse::Created().json(file))
}

/// Downloads a file (members of its room). Supports one `Range` (206) and `If-None-Match` (304).
#[utoipa::path(
    tag = "files",
    security(("bearer" = [])),
    params(("file_id" = i64, Path, description = "File id")),
    responses(
        (status = 200, description = "The file's bytes, as its `content_type`", content_type = "*/*", body = crate::openapi::Bytes),
        (status = 206, description = "The requested range", content_type = "*/*", body = crate::openapi::Bytes),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
        (status = 416, description = "The range lies outside the file", body = confab_shared::Problem,
            content_type = "application/problem+json"),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
#[get("/files/{file_id}")]
pub async fn download(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let file = visible(&state, auth, path.into_inner()).await?;
    let etag = format!("\"{}\"", file.sha256);
    if let Some(unchanged) = not_modified(&req, &file, &etag) {
        return Ok(unchanged);
    }
    let size = file.size as u64;
    let range = match req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(spec) => match byte_range(spec, size) {
            Ok(range) => range,
            Err(()) => {
                let mut res = actix_web::ResponseError::error_response(&AppError::new(
                    ErrorKind::RangeNotSatisfiable,
                    format!("the file has {size} bytes"),
                ));
                if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    res.headers_mut().insert(header::CONTENT_RANGE, value);
                }
                return Ok(res);
            }
        },
        None => None,
    };
    let bytes =
        state.files.storage.read(&file.storage_key, range.clone()).await.map_err(AppError::storage_unavailable)?;
    let mut res = match &range {
        Some(r) => {
            let mut res = HttpResponse::PartialContent();
            res.insert_header((header::CONTENT_RANGE, format!("bytes {}-{}/{size}", r.start, r.end - 1)));
            res
        }
        None => HttpResponse::Ok(),
    };
    let length = range.map_or(size, |r| r.end - r.start);
    Ok(answer(res.no_chunking(length), &file, &etag).streaming(bytes))
}

/// A thumbnail of an image (longest side at most 400 px, JPEG or PNG), made on first request.
#[utoipa::path(
    tag = "files",
    security(("bearer" = [])),
    params(("file_id" = i64, Path, description = "File id")),
    responses(
        (status = 200, description = "The thumbnail: JPEG, or PNG for an image with transparency", content_type = "image/*", body = crate::openapi::Bytes),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 400, description = "The image cannot be decoded (`validation_failed`, `image_too_large`)",
            body = confab_shared::Problem, content_type = "application/problem+json"),
        (status = 401, response = crate::openapi::Unauthorized),
        (status = 404, response = crate::openapi::NotFound),
        (status = 503, response = crate::openapi::Unavailable),
    )
)]
#[get("/files/{file_id}/thumbnail")]
pub async fn thumbnail(
    auth: Auth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let file = visible(&state, auth, path.into_inner()).await?;
    // Only png, jpeg, gif and webp files with a readable header have a size (see `upload`).
    if file.width.is_none() {
        return Err(AppError::not_found("thumbnail"));
    }
    let etag = format!("\"{}-thumbnail\"", file.sha256);
    if let Some(unchanged) = not_modified(&req, &file, &etag) {
        return Ok(unchanged);
    }
    let bytes = state.files.thumbnail(&file).await?;
    let mut res = HttpResponse::Ok();
    answer(&mut res, &file, &etag);
    Ok(res.insert_header((header::CONTENT_TYPE, sniff::content_type(&bytes))).body(bytes))
}

/// The file, if the caller is a member of its room; `not_found` otherwise.
async fn visible(state: &AppState, auth: Auth, file_id: i64) -> AppResult<FileRow> {
    let file = store::files::by_id(&state.store, file_id).await?.ok_or_else(|| AppError::not_found("file"))?;
    match store::rooms::membership(&state.store, file.room_id, auth.user_id).await? {
        Some(_) => Ok(file),
        None => Err(AppError::not_found("file")),
    }
}

/// A 304 when the request's `If-None-Match` names `etag`.
fn not_modified(req: &HttpRequest, file: &FileRow, etag: &str) -> Option<HttpResponse> {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*"))
        .map(|_| answer(&mut HttpResponse::NotModified(), file, etag).finish())
}

/// The headers every answer about a file carries.
fn answer<'a>(
    res: &'a mut actix_web::HttpResponseBuilder,
    file: &FileRow,
    etag: &str,
) -> &'a mut actix_web::HttpResponseBuilder {
    let disposition = if sniff::is_image(&file.content_type) { "inline" } else { "attachment" };
    res.insert_header((header::CONTENT_TYPE, file.content_type.as_str()))
        .insert_header((header::CONTENT_DISPOSITION, format!("{disposition}; {}", filename_params(&file.name))))
        .insert_header((header::ETAG, etag))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        // Private: only the member's own browser may keep it, and it asks again each time
        // (membership can end), cheaply with the ETag.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, FILE_CSP))
        .insert_header(("Cross-Origin-Resource-Policy", "same-origin"))
}

/// `filename="…"` (ASCII, quotes and backslashes replaced) and `filename*=UTF-8''…` (RFC 6266).
fn filename_params(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The byte range of a `Range: bytes=…` header within `size` bytes: `None` for a header this
/// server answers with the whole file (several ranges, another unit), `Err` when unsatisfiable.
fn byte_range(spec: &str, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(range) = spec.trim().strip_prefix("bytes=") else { return Ok(None) };
    if range.contains(',') {
        return Ok(None);
    }
    let Some((start, end)) = range.trim().split_once('-') else { return Ok(None) };
    let (start, end) = (start.trim(), end.trim());
    let parsed = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => start..end.saturating_add(1).min(size),
        (Ok(start), Err(_)) if end.is_empty() => start..size,
        (Err(_), Ok(suffix)) if start.is_empty() && suffix > 0 => size.saturating_sub(suffix)..size,
        _ => return Ok(None),
    };
    if parsed.start >= size { Err(()) } else { Ok(Some(parsed)) }
}

impl Files {
    /// The thumbnail's bytes: stored ones, or made now (one image per core at a time) and kept.
    async fn thumbnail(&self, file: &FileRow) -> AppResult<bytes::Bytes> {
        let key = Self::thumbnail_key(&file.storage_key);
        match self.storage.read_all(&key).await {
            Ok(bytes) => return Ok(bytes),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(err) => return Err(AppError::storage_unavailable(err)),
        }
        let original = self.storage.read_all(&file.storage_key).await.map_err(AppError::storage_unavailable)?;
        let bytes = self.resize(original, super::images::thumbnail, "file").await?;
        self.storage.put(&key, bytes.clone()).await.map_err(AppError::storage_unavailable)?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(byte_range("bytes=0-9", 100), Ok(Some(0..10)));
        assert_eq!(byte_range("bytes=90-", 100), Ok(Some(90..100)));
        assert_eq!(byte_range("bytes=-10", 100), Ok(Some(90..100)));
        assert_eq!(byte_range("bytes=95-200", 100), Ok(Some(95..100)));
        assert_eq!(byte_range("bytes=-500", 100), Ok(Some(0..100)));
        assert_eq!(byte_range("bytes=100-", 100), Err(()));
        assert_eq!(byte_range("bytes=0-1,5-6", 100), Ok(None));
        assert_eq!(byte_range("items=0-1", 100), Ok(None));
        assert_eq!(byte_range("bytes=5-1", 100), Ok(None));
    }

    #[test]
    fn file_names_in_headers() {
        assert_eq!(filename_params("a b.txt"), "filename=\"a b.txt\"; filename*=UTF-8''a%20b.txt");
        assert_eq!(filename_params("é\"x"), "filename=\"__x\"; filename*=UTF-8''%C3%A9%22x");
    }
}
