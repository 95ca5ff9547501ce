//! `ApiJson<T>`: the JSON body extractor. Unlike actix's, every failure is a problem+json
//! with a stable code: 415 for a wrong content type, 413 over the size limit, 400
//! `malformed_json` for bad syntax, 400 `validation_failed` naming the field for the rest.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

use crate::error::{AppError, AppResult, ErrorKind};

/// Largest JSON body accepted (a 4000-character message is at most 16 KiB of UTF-8).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            })
            .unwrap_or(false);
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(AppError::new(ErrorKind::UnsupportedMediaType, "the body must be application/json"));
            }
            if declared_len.is_some_and(|n| n > MAX_BODY_BYTES) {
                return Err(too_large());
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| AppError::new(ErrorKind::MalformedJson, format!("could not read the body: {e}")))?;
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse(&body).map(ApiJson)
        })
    }
}

fn too_large() -> AppError {
    AppError::new(ErrorKind::PayloadTooLarge, format!("the body exceeds {MAX_BODY_BYTES} bytes"))
}

/// Parses JSON, telling syntax errors (`malformed_json`) from shape errors (`validation_failed`
/// with the offending field's path).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> AppResult<T> {
    // serde would also read a struct from a JSON array (`["name","topic"]`): only objects count.
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        Some(_) if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() => {
            return Err(AppError::invalid("body", "must be a JSON object"));
        }
        _ => {}
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(value) => {
            de.end().map_err(|e| AppError::new(ErrorKind::MalformedJson, format!("invalid JSON: {e}")))?;
            Ok(value)
        }
        Err(err) => {
            let inner = err.inner();
            if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                return Err(AppError::new(ErrorKind::MalformedJson, format!("invalid JSON: {inner}")));
            }
            let path = err.path().to_string();
            let message = inner.to_string();
            let field = if path == "." { missing_field(&message).unwrap_or_else(|| "body".to_owned()) } else { path };
            Err(AppError::invalid(&field, strip_position(&message)))
        }
    }
}

/// serde reports a missing field at the parent's path; name the field itself.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_owned())
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_shared::Credentials;

    #[test]
    fn names_the_field() {
        let err = parse::<Credentials>(br#"{"username":"a"}"#).expect_err("missing password");
        assert_eq!(err.kind, ErrorKind::Validation);
        assert_eq!(err.errors[0].field, "password");
        let err = parse::<Credentials>(br#"{"username":5,"password":"x"}"#).expect_err("wrong type");
        assert_eq!(err.errors[0].field, "username");
        let err = parse::<Credentials>(br#"["alice","password123"]"#).expect_err("an array");
        assert_eq!((err.kind, err.errors[0].field.as_str()), (ErrorKind::Validation, "body"));
        let err = parse::<Credentials>(br#"{"username":"#).expect_err("truncated");
        assert_eq!(err.kind, ErrorKind::MalformedJson);
    }
}
