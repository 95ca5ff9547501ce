//! Everything outside the API's handlers: the web app's static files (SPA fallback to
//! `index.html`), security, CORS and cache headers, and problem+json 404/405 answers with `Allow`
//! for everything else.

use actix_cors::Cors;
use actix_files::NamedFile;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, Next};
use actix_web::{HttpRequest, HttpResponse, web};
use std::path::{Path, PathBuf};

use crate::error::{AppError, ErrorKind};

/// The app's Content-Security-Policy: no inline script or style, no eval, same-origin only.
/// Files are fetched with the access token and shown through object URLs (`blob:`).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";
/// The API docs UI (Swagger UI) sets inline styles; it gets its own, still script-strict, policy.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// `scheme://host` of this server as the request reached it, for the links it hands out.
pub fn origin(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Adds security headers to every response, and cache headers to static files: trunk's
/// hashed files never change (cached for a year), everything else is revalidated.
pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path().to_owned();
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    let csp = if path.starts_with("/docs") { DOCS_CSP } else { CSP };
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        // Downloads set their own, stricter one.
        h.insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(csp));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        let cache = if path.starts_with("/api/") || !is_hashed_asset(&path) {
            "no-cache"
        } else {
            "public, max-age=31536000, immutable"
        };
        h.insert(header::CACHE_CONTROL, header::HeaderValue::from_static(cache));
    }
    Ok(res)
}

/// CORS for the configured origins (`--allowed-origins`); off when there are none. API calls
/// carry a bearer token, never cookies, so credentials mode is not needed. Requests from other
/// origins get no CORS headers (the browser refuses them) rather than an error.
pub fn cors(origins: &[String]) -> Condition<Cors> {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([header::RETRY_AFTER])
        .max_age(600)
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = cors.allowed_origin(origin.trim_end_matches('/'));
    }
    Condition::new(!origins.is_empty(), cors)
}

/// trunk names built files `name-<16 hex>.ext`.
fn is_hashed_asset(path: &str) -> bool {
    let Some(file) = path.rsplit('/').next() else {
        return false;
    };
    let stem = file.split('.').next().unwrap_or("");
    stem.rsplit_once('-').is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The API's routes as path templates with their methods, for 405 answers.
pub struct RouteTable(Vec<(Vec<String>, Vec<String>)>);

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let routes = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.trim_matches('/').split('/').map(str::to_owned).collect();
                let json = serde_json::to_value(item).unwrap_or_default();
                let mut methods: Vec<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
                    .iter()
                    .filter(|m| json.get(**m).is_some())
                    .map(|m| m.to_uppercase())
                    .collect();
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".to_owned());
                }
                (segments, methods)
            })
            .collect();
        RouteTable(routes)
    }

    /// The methods allowed on `path`, if it is a route of the API. Literal segments win over
    /// `{parameters}` (so `/members/me` is not taken for `/members/{user_id}`).
    fn allowed(&self, path: &str) -> Option<&[String]> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.0
            .iter()
            .filter(|(segments, _)| {
                segments.len() == parts.len()
                    && segments.iter().zip(&parts).all(|(s, p)| s == p || (s.starts_with('{') && !p.is_empty()))
            })
            .max_by_key(|(segments, _)| segments.iter().filter(|s| !s.starts_with('{')).count())
            .map(|(_, methods)| methods.as_slice())
    }
}

/// Where static files come from.
pub struct WebRoot(pub PathBuf);

/// The fallback service: static files and the SPA for GET/HEAD outside the API, problem+json
/// 404 or 405 (with `Allow`) for everything else.
pub async fn fallback(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
    root: web::Data<WebRoot>,
) -> actix_web::Result<HttpResponse> {
    let path = req.path();
    if let Some(methods) = routes.allowed(path) {
        let mut err = AppError::new(ErrorKind::MethodNotAllowed, format!("{} is not allowed here", req.method()));
        err.allow = Some(methods.join(", "));
        return Err(err.into());
    }
    let is_read = req.method() == Method::GET || req.method() == Method::HEAD;
    if path.starts_with("/api/") || !is_read {
        return Err(AppError::new(ErrorKind::NotFound, format!("no route for {} {path}", req.method())).into());
    }
    match static_file(&root.0, path) {
        Some(file) => Ok(NamedFile::open_async(file).await?.use_etag(true).use_last_modified(true).into_response(&req)),
        None => Err(AppError::not_found("page").into()),
    }
}

/// The file for a request path: the file itself, or `index.html` for app routes (paths
/// without an extension). Only plain names are served: no `..`, no hidden files.
fn static_file(root: &Path, path: &str) -> Option<PathBuf> {
    let rel = path.trim_start_matches('/');
    let safe = rel.split('/').all(|seg| {
        !seg.starts_with('.') && seg.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    });
    if !safe {
        return None;
    }
    let candidate = root.join(rel);
    if !rel.is_empty() && candidate.is_file() {
        return Some(candidate);
    }
    let last = rel.rsplit('/').next().unwrap_or("");
    let index = root.join("index.html");
    (!last.contains('.') && index.is_file()).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets() {
        assert!(is_hashed_asset("/app-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/js/app.js"));
        assert!(!is_hashed_asset("/"));
    }

    #[test]
    fn static_paths_stay_inside_the_root() {
        let root = Path::new("/nonexistent-root");
        assert_eq!(static_file(root, "/../etc/passwd"), None);
        assert_eq!(static_file(root, "/.env"), None);
    }
}
