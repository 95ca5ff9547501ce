//! What can go wrong: the server refused a request (its problem document), or the transport
//! failed, or the server closed the event stream for a reason a retry cannot fix.

use confab_shared::{CloseCode, Problem};
use std::fmt;

/// A failed call.
#[derive(Debug)]
pub enum Error {
    /// The server answered with an error: its RFC 9457 problem document (`status`, a stable
    /// `code` such as `validation_failed` or `rate_limited`, and the invalid `errors`).
    Api(Box<Problem>),
    /// The request did not complete (connection refused, timeout, a body that is not JSON).
    Http(reqwest::Error),
    /// The WebSocket could not be opened.
    WebSocket(Box<tokio_tungstenite::tungstenite::Error>),
    /// The server closed the event stream for good: the session was revoked (`4003`), the
    /// token is not valid and cannot be refreshed (`4001`), or the client broke the protocol.
    Closed { code: u16, reason: String },
    /// The call needs a login or a bot token.
    NotAuthenticated,
}

/// The result of a call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The problem's stable `code` when the server refused the request.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(problem) => Some(&problem.code),
            _ => None,
        }
    }

    /// The HTTP status when the server refused the request.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(problem) => Some(problem.status),
            _ => None,
        }
    }

    /// Whether a new attempt could succeed without changing anything (the transport failed, or
    /// the server is busy or briefly unable to serve).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Http(_) | Error::WebSocket(_) => true,
            Error::Api(problem) => problem.status == 429 || problem.status >= 500,
            Error::Closed { .. } | Error::NotAuthenticated => false,
        }
    }

    pub(crate) fn closed(code: CloseCode, reason: impl Into<String>) -> Error {
        Error::Closed { code: code as u16, reason: reason.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(p) => write!(f, "{} {} ({}): {}", p.status, p.title, p.code, p.detail),
            Error::Http(e) => write!(f, "request failed: {e}"),
            Error::WebSocket(e) => write!(f, "WebSocket failed: {e}"),
            Error::Closed { code, reason } => write!(f, "the server closed the stream ({code}): {reason}"),
            Error::NotAuthenticated => f.write_str("log in or give a bot token first"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Http(e) => Some(e),
            Error::WebSocket(e) => Some(e),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Error {
        Error::Http(e)
    }
}
