//! `AppError`: every failure a handler can return, rendered as RFC 9457 problem+json with a
//! stable `code`. Internal causes are logged, never sent to the client.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use confab_shared::{FieldError, Problem};
use std::fmt;

use crate::store::{Conflict, StoreError};

/// What went wrong, as the client may know it: fixes the HTTP status and the `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Validation,
    MalformedJson,
    UnknownType,
    Unauthenticated,
    InvalidCredentials,
    SessionRevoked,
    Forbidden,
    NotAMember,
    InviteRequired,
    RegistrationClosed,
    /// A deactivated account tried to log in.
    AccountDeactivated,
    /// A user banned from a room tried to join it, or was added.
    Banned,
    NotFound,
    MethodNotAllowed,
    UpgradeRequired,
    UsernameTaken,
    RoomNameTaken,
    Conflict,
    PayloadTooLarge,
    /// An image whose pixels are too many to decode safely (a decompression bomb, say).
    ImageTooLarge,
    UnsupportedMediaType,
    RangeNotSatisfiable,
    RateLimited,
    Unavailable,
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        use ErrorKind::*;
        match self {
            Validation | MalformedJson | UnknownType | ImageTooLarge => StatusCode::BAD_REQUEST,
            Unauthenticated | InvalidCredentials | SessionRevoked => StatusCode::UNAUTHORIZED,
            Forbidden | NotAMember | InviteRequired | RegistrationClosed | AccountDeactivated | Banned => {
                StatusCode::FORBIDDEN
            }
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            UpgradeRequired => StatusCode::UPGRADE_REQUIRED,
            UsernameTaken | RoomNameTaken | Conflict => StatusCode::CONFLICT,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RangeNotSatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code clients match on.
    pub fn code(self) -> &'static str {
        use ErrorKind::*;
        match self {
            Validation => "validation_failed",
            MalformedJson => "malformed_json",
            UnknownType => "unknown_type",
            Unauthenticated => "unauthenticated",
            InvalidCredentials => "invalid_credentials",
            SessionRevoked => "session_revoked",
            Forbidden => "forbidden",
            NotAMember => "not_a_member",
            InviteRequired => "invite_required",
            RegistrationClosed => "registration_closed",
            AccountDeactivated => "account_deactivated",
            Banned => "banned",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            UpgradeRequired => "upgrade_required",
            UsernameTaken => "username_taken",
            RoomNameTaken => "room_name_taken",
            Conflict => "conflict",
            PayloadTooLarge => "payload_too_large",
            ImageTooLarge => "image_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            RangeNotSatisfiable => "range_not_satisfiable",
            RateLimited => "rate_limited",
            Unavailable => "service_unavailable",
            Internal => "internal_error",
        }
    }
}

/// A failure with its kind, a client-facing `detail`, and (for 5xx) the cause for the logs.
#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
    pub allow: Option<String>,
    cause: Option<anyhow::Error>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self { kind, detail: detail.into(), errors: Vec::new(), retry_after: None, allow: None, cause: None }
    }

    /// `validation_failed` naming one offending field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut err = Self::new(ErrorKind::Validation, format!("{field}: {message}"));
        err.errors.push(FieldError { field: field.to_owned(), message });
        err
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("{what} not found"))
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, detail)
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, detail)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut err = Self::new(ErrorKind::RateLimited, "too many requests; try again later");
        err.retry_after = Some(retry_after_secs.max(1));
        err
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(ErrorKind::Internal, "an internal error occurred");
        err.cause = Some(cause.into());
        err
    }

    /// File storage (a directory, an S3 bucket) cannot be reached: retry shortly.
    pub fn storage_unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(ErrorKind::Unavailable, "file storage is unavailable; try again shortly");
        err.cause = Some(cause.into());
        err.retry_after = Some(1);
        err
    }

    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = Self::new(ErrorKind::Unavailable, "the database is unavailable; try again shortly");
        err.cause = Some(cause.into());
        err.retry_after = Some(1);
        err
    }

    /// A bounded queue is full: 503 at once, with `Retry-After`, instead of waiting in line.
    pub fn busy(detail: impl Into<String>) -> Self {
        let mut err = Self::new(ErrorKind::Unavailable, detail);
        err.retry_after = Some(1);
        err
    }

    pub fn problem(&self) -> Problem {
        let status = self.kind.status();
        Problem {
            type_: format!("urn:confab:problem:{}", self.kind.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: self.kind.code().to_owned(),
            errors: self.errors.clone(),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.detail)?;
        if let Some(cause) = &self.cause {
            write!(f, " ({cause:#})")?;
        }
        Ok(())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        if self.kind.status().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut res = HttpResponse::build(self.kind.status());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.allow {
            res.insert_header((header::ALLOW, allow.clone()));
        }
        if self.kind == ErrorKind::Unauthenticated || self.kind == ErrorKind::SessionRevoked {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.as_ref().map(|cause| cause.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// The store's failures as the client sees them: a database that cannot be reached is a 503
/// (`service_unavailable`, retry), never a 404 or a 401.
impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => Self::not_found(what),
            StoreError::Conflict(conflict) => conflict.into(),
            StoreError::Unavailable(cause) => Self::unavailable(cause),
            StoreError::Other(cause) => Self::internal(cause),
        }
    }
}

impl From<Conflict> for AppError {
    fn from(conflict: Conflict) -> Self {
        match conflict {
            Conflict::Duplicate => Self::new(ErrorKind::Conflict, "this already exists"),
            Conflict::UsernameTaken => Self::new(ErrorKind::UsernameTaken, "that username is taken"),
            Conflict::RoomNameTaken => Self::new(ErrorKind::RoomNameTaken, "a room with that name exists"),
            Conflict::LastOwner => Self::new(
                ErrorKind::Conflict,
                "the last owner cannot leave: make another member owner first, or delete the room",
            ),
            Conflict::ClientIdElsewhere => {
                let mut err = Self::new(ErrorKind::Conflict, "this client_id names a message in another room");
                err.errors
                    .push(FieldError { field: "client_id".into(), message: "already used in another room".into() });
                err
            }
            Conflict::TooManyReactions => Self::new(
                ErrorKind::Conflict,
                format!(
                    "a message may carry at most {} different emoji",
                    crate::store::reactions::MAX_EMOJI_PER_MESSAGE
                ),
            ),
            Conflict::NotRepliable => {
                let message = "must be a message of this room that is not deleted";
                let mut err = Self::new(ErrorKind::Conflict, format!("reply_to: {message}"));
                err.errors.push(FieldError { field: "reply_to".into(), message: message.into() });
                err
            }
            Conflict::Banned => Self::new(ErrorKind::Banned, "banned from this room"),
            Conflict::LastAdmin => {
                Self::new(ErrorKind::Conflict, "the server needs an active admin: make someone else admin first")
            }
            Conflict::Unattachable => {
                let message = "each must be a file you uploaded to this room and have not attached to a message yet";
                let mut err = Self::new(ErrorKind::Conflict, format!("attachments: {message}"));
                err.errors.push(FieldError { field: "attachments".into(), message: message.into() });
                err
            }
        }
    }
}

/// Lets a [`crate::store::transaction!`] body use diesel directly, like the store does.
impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        StoreError::from(err).into()
    }
}
