//! Input rules shared by the REST handlers and the WebSocket gateway.

use crate::error::{AppError, AppResult};

pub const MAX_MESSAGE_CHARS: usize = 4000;
pub const MAX_ATTACHMENTS: usize = 10;

pub fn username(name: &str) -> AppResult<()> {
    let len = name.chars().count();
    if !(3..=32).contains(&len) {
        return Err(AppError::invalid("username", "must be 3 to 32 characters"));
    }
    if !name.chars().all(is_username_char) {
        return Err(AppError::invalid("username", "may contain only letters, digits, '_', '.' and '-'"));
    }
    Ok(())
}

/// The characters of usernames: ASCII letters and digits, `_`, `.` and `-`.
pub fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

pub fn password(field: &str, password: &str) -> AppResult<()> {
    let len = password.chars().count();
    if !(8..=128).contains(&len) {
        return Err(AppError::invalid(field, "must be 8 to 128 characters"));
    }
    Ok(())
}

/// An invite code as the request carries it (registration; login takes the same body).
pub fn invite(code: Option<&str>) -> AppResult<()> {
    if code.is_some_and(|code| code.chars().count() > 64) {
        return Err(AppError::invalid("invite", "must be at most 64 characters"));
    }
    Ok(())
}

/// Characters that change how text around them is shown without being seen themselves: bidi
/// embeddings, overrides, isolates and marks (a name that reads backwards, "Trojan Source"), and
/// zero-width characters (two names that look the same).
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{180E}')
}

/// A room name: 1–64 characters (see [`line`]). Returns the trimmed name.
pub fn room_name(name: &str) -> AppResult<String> {
    line("name", name, 1, 64)
}

/// The server's name (`PATCH /admin/server`): 1–64 characters.
pub fn server_name(name: &str) -> AppResult<String> {
    line("name", name, 1, 64)
}

/// A display name (`PATCH /me`): at most 64 characters; empty clears it.
pub fn display_name(name: &str) -> AppResult<String> {
    line("display_name", name, 0, 64)
}

/// A webhook's name (shown as the sender of its posts): 1–64 characters, as a display name.
pub fn webhook_name(name: &str) -> AppResult<String> {
    line("name", name, 1, 64)
}

/// A status line (`PATCH /me`): at most 140 characters; empty clears it.
pub fn status(status: &str) -> AppResult<String> {
    line("status", status, 0, 140)
}

/// One line people read as a name: at most `max` characters as sent and at least `min` once
/// trimmed, no control characters, no bidi controls or zero-width characters (anywhere in what
/// was sent, as the schema's pattern says). Returns the trimmed text.
fn line(field: &str, text: &str, min: usize, max: usize) -> AppResult<String> {
    if !(min..=max).contains(&text.trim().chars().count()) || text.chars().count() > max {
        let range = if min == 0 { format!("at most {max}") } else { format!("{min} to {max}") };
        return Err(AppError::invalid(field, format!("must be {range} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(AppError::invalid(field, "must not contain control characters"));
    }
    if text.chars().any(is_invisible_format) {
        return Err(AppError::invalid(field, "must not contain bidi controls or zero-width characters"));
    }
    Ok(text.trim().to_owned())
}

/// A room's topic: at most 512 characters, no control characters (as sent). Returns it trimmed.
pub fn topic(topic: &str) -> AppResult<String> {
    if topic.chars().count() > 512 {
        return Err(AppError::invalid("topic", "must be at most 512 characters"));
    }
    if topic.chars().any(char::is_control) {
        return Err(AppError::invalid("topic", "must not contain control characters"));
    }
    Ok(topic.trim().to_owned())
}

/// A message body: 1–4000 characters, not blank, no control characters but newline and tab.
pub fn message_body(body: &str) -> AppResult<()> {
    if body.trim().is_empty() {
        return Err(AppError::invalid("body", "must not be blank"));
    }
    if body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid("body", "must be at most 4000 characters"));
    }
    if body.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::invalid("body", "must not contain control characters other than newline and tab"));
    }
    Ok(())
}

/// A draft: at most 4000 characters (empty clears it), no control characters but newline and tab.
pub fn draft(body: &str) -> AppResult<()> {
    if body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid("body", "must be at most 4000 characters"));
    }
    if body.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::invalid("body", "must not contain control characters other than newline and tab"));
    }
    Ok(())
}

/// A reaction's emoji: 1–32 characters, no whitespace or control characters (any emoji,
/// sequences with joiners and variation selectors included).
pub fn emoji(emoji: &str) -> AppResult<()> {
    let len = emoji.chars().count();
    if !(1..=32).contains(&len) || emoji.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid("emoji", "must be 1 to 32 characters without spaces or control characters"));
    }
    Ok(())
}

/// The files a send attaches: at most 10, each once (a repeated id counts once).
pub fn attachments(mut ids: Vec<i64>) -> AppResult<Vec<i64>> {
    if ids.len() > MAX_ATTACHMENTS {
        return Err(AppError::invalid("attachments", format!("at most {MAX_ATTACHMENTS} files per message")));
    }
    let mut seen = Vec::with_capacity(ids.len());
    ids.retain(|id| {
        let first = !seen.contains(id);
        seen.push(*id);
        first
    });
    Ok(ids)
}

/// A client-chosen idempotency key: 1–64 printable ASCII characters.
pub fn client_id(id: &str) -> AppResult<()> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::invalid("client_id", "must be 1 to 64 printable ASCII characters"));
    }
    Ok(())
}

/// The documented shape of a URL a server calls out to (the schemas' patterns): one of
/// `schemes` and `://`, dot-separated labels that start with a letter and hold letters, digits
/// and hyphens (a host name, not an address), an optional port (1–4 digits, or with `any_port`
/// 1–65535 without a leading zero), an optional path with no white space; nothing else (no
/// query or fragment outside a path).
pub fn url_shape(url: &str, schemes: &[&str], any_port: bool) -> bool {
    let Some(rest) = schemes.iter().find_map(|s| url.strip_prefix(s).and_then(|r| r.strip_prefix("://"))) else {
        return false;
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
    let label = |l: &str| {
        l.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let digits = !port.is_empty() && port.chars().all(|c| c.is_ascii_digit());
    let port_ok = !authority.contains(':')
        || if any_port {
            digits && !port.starts_with('0') && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p))
        } else {
            digits && port.len() <= 4
        };
    host.split('.').all(label) && port_ok && !path.chars().any(schema_space)
}

/// White space as the schema's `\s` means it (ECMAScript's: U+FEFF is, U+0085 is not).
fn schema_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_bodies() {
        assert!(message_body("hi").is_ok());
        assert!(message_body("line\n\tnext").is_ok());
        assert!(message_body("  \n ").is_err());
        assert!(message_body("bell\u{7}").is_err());
        assert!(message_body(&"é".repeat(4000)).is_ok());
        assert!(message_body(&"é".repeat(4001)).is_err());
    }

    #[test]
    fn room_names() {
        assert_eq!(room_name("  general ").ok().as_deref(), Some("general"));
        assert!(room_name("caf\u{e9} \u{1F600}").is_ok());
        for bad in ["evil\u{202E}txt", "a\u{200B}b", "\u{2066}x\u{2069}", "bom\u{FEFF}", "tab\there"] {
            assert!(room_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_checked_as_sent_and_stored_trimmed() {
        assert_eq!(display_name(" Bob ").ok().as_deref(), Some("Bob"));
        assert_eq!(display_name("   ").ok().as_deref(), Some(""), "blank clears it");
        // A control character or a length over the limit is refused even where trimming would
        // take it away: the schema's pattern and maxLength look at what was sent.
        for bad in ["\r\u{d2}j".to_owned(), "name\n".to_owned(), format!("{} ", "a".repeat(64))] {
            assert!(display_name(&bad).is_err(), "{bad:?}");
        }
        assert!(display_name(&"a".repeat(64)).is_ok());
        assert!(topic("\tplans").is_err());
        assert_eq!(topic(" plans ").ok().as_deref(), Some("plans"));
    }

    #[test]
    fn usernames() {
        assert!(username("al.ice-_9").is_ok());
        assert!(username("al").is_err());
        assert!(username("alice!").is_err());
        assert!(username(&"a".repeat(33)).is_err());
        assert!(username("\u{212A}ate").is_err(), "KELVIN SIGN is not a k");
        assert!(username("bo\u{200B}b").is_err());
    }
}
