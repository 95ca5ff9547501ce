//! The close codes of `GET /api/v1/ws`: why the server closed a connection and what a client
//! does next. One list for the server, its docs (docs/protocol.md, "Close codes") and the web
//! app (`CLOSE` in frontend/js/socket.js); a test checks that the other two name every code.

/// Why the server closes a WebSocket connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum CloseCode {
    /// The server is shutting down: reconnect (with backoff) and resume.
    GoingAway = 1001,
    /// No frame from the client for 60 s (heartbeat timeout): reconnect and resume.
    Policy = 1008,
    /// A frame over 64 KiB, or another WebSocket protocol error: fix the client.
    TooBig = 1009,
    /// The server failed while the connection started: reconnect after a pause.
    ServerError = 1011,
    /// The store could not be read (authentication during an outage, or missed changes of a
    /// connection that fell behind): reconnect after a pause and resume.
    TryAgain = 1013,
    /// Not authenticated (bad or expired token, no `auth` frame): refresh the token, reconnect.
    Unauthenticated = 4001,
    /// The session was revoked: log in again.
    Revoked = 4003,
    /// The client did not keep up: reconnect and resume with its cursors.
    TooSlow = 4008,
    /// Too many connections of this user on this node: close another one first.
    TooMany = 4009,
}

impl CloseCode {
    pub const ALL: [CloseCode; 9] = [
        CloseCode::GoingAway,
        CloseCode::Policy,
        CloseCode::TooBig,
        CloseCode::ServerError,
        CloseCode::TryAgain,
        CloseCode::Unauthenticated,
        CloseCode::Revoked,
        CloseCode::TooSlow,
        CloseCode::TooMany,
    ];

    pub fn code(self) -> u16 {
        self as u16
    }

    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The reason sent with the close frame when nothing more specific is known.
    pub fn reason(self) -> &'static str {
        match self {
            CloseCode::GoingAway => "server shutting down",
            CloseCode::Policy => "heartbeat timeout",
            CloseCode::TooBig => "protocol error",
            CloseCode::ServerError => "server error; reconnect shortly",
            CloseCode::TryAgain => "server busy; reconnect and resume",
            CloseCode::Unauthenticated => "not authenticated",
            CloseCode::Revoked => "session revoked",
            CloseCode::TooSlow => "too slow: events waited too long; reconnect and resume",
            CloseCode::TooMany => "too many connections",
        }
    }

    /// The code's name in the web app's `CLOSE` table.
    pub fn js_name(self) -> &'static str {
        match self {
            CloseCode::GoingAway => "GOING_AWAY",
            CloseCode::Policy => "POLICY",
            CloseCode::TooBig => "TOO_BIG",
            CloseCode::ServerError => "SERVER_ERROR",
            CloseCode::TryAgain => "TRY_AGAIN",
            CloseCode::Unauthenticated => "UNAUTHENTICATED",
            CloseCode::Revoked => "REVOKED",
            CloseCode::TooSlow => "TOO_SLOW",
            CloseCode::TooMany => "TOO_MANY",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CloseCode;

    #[test]
    fn codes_round_trip() {
        for code in CloseCode::ALL {
            assert_eq!(CloseCode::from_code(code.code()), Some(code));
        }
        assert_eq!(CloseCode::from_code(4000), None);
    }

    #[test]
    fn the_web_app_names_every_code() {
        let socket = include_str!("../../frontend/js/socket.js");
        for code in CloseCode::ALL {
            let entry = format!("{}: {}", code.js_name(), code.code());
            assert!(socket.contains(&entry), "frontend/js/socket.js lacks `{entry}` in CLOSE");
        }
    }

    #[test]
    fn the_protocol_document_lists_every_code() {
        let doc = include_str!("../../docs/protocol.md");
        let table = doc.split("## 9. Close codes").nth(1).expect("a close codes section");
        for code in CloseCode::ALL {
            assert!(
                table.contains(&format!("| {} |", code.code())),
                "docs/protocol.md lacks close code {}",
                code.code()
            );
        }
    }
}
