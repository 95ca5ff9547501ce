//! What an upload is: its type from its first bytes (never the client's word), and its name
//! made safe to store and show.

use crate::error::{AppError, AppResult};
use crate::validate::is_invisible_format;

/// How many leading bytes the sniffer and the image header probe look at.
pub const HEAD: usize = 256 * 1024;

/// The image types shown inline and thumbnailed; everything else is a download.
pub const IMAGES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

pub fn is_image(content_type: &str) -> bool {
    IMAGES.contains(&content_type)
}

/// The content type of the bytes that begin with `head`: a known signature, else text if
/// they are UTF-8 (HTML and SVG named as such, so they are never mistaken for plain text),
/// else `application/octet-stream`.
pub fn content_type(head: &[u8]) -> &'static str {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type();
    }
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A multi-byte character cut by the end of the head is still text.
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return "application/octet-stream",
    };
    if text.contains('\0') {
        return "application/octet-stream";
    }
    let start: String = text.trim_start_matches('\u{FEFF}').trim_start().chars().take(512).collect();
    let start = start.to_ascii_lowercase();
    if start.starts_with("<svg") || (start.starts_with("<?xml") && start.contains("<svg")) {
        "image/svg+xml"
    } else if start.starts_with("<!doctype html") || start.starts_with("<html") || start.contains("<script") {
        "text/html"
    } else {
        "text/plain"
    }
}

/// The file name as stored and shown: its last path component, without control, bidi or
/// zero-width characters, trimmed, 1–255 characters, not only dots.
pub fn file_name(given: &str) -> AppResult<String> {
    if given.chars().count() > 1024 {
        return Err(AppError::invalid("name", "must be at most 1024 characters"));
    }
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|&c| !c.is_control() && !is_invisible_format(c)).collect();
    let name = name.trim();
    if name.chars().all(|c| c == '.') {
        return Err(AppError::invalid("name", "must name the file (a path or only dots is not a name)"));
    }
    Ok(name.chars().take(255).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(content_type(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(content_type(b"GIF89a\x01\0\x01\0"), "image/gif");
        assert_eq!(content_type(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(content_type("plain words, caf\u{e9}\n".as_bytes()), "text/plain");
        assert_eq!(content_type(b"  <!DOCTYPE html><html>"), "text/html");
        assert_eq!(content_type(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/>"), "image/svg+xml");
        assert_eq!(content_type(b"\x00\x01\x02\xfe\xff"), "application/octet-stream");
        // "é" cut in half by the end of the head.
        assert_eq!(content_type(b"abc\xc3"), "text/plain");
    }

    #[test]
    fn names_lose_paths_and_invisible_characters() {
        assert_eq!(file_name("../../etc/passwd").ok().as_deref(), Some("passwd"));
        assert_eq!(file_name("C:\\Users\\me\\report.pdf").ok().as_deref(), Some("report.pdf"));
        assert_eq!(file_name("invoice\u{202E}fdp.exe").ok().as_deref(), Some("invoicefdp.exe"));
        assert_eq!(file_name("tab\there\n.txt").ok().as_deref(), Some("tabhere.txt"));
        assert_eq!(file_name("  résumé 2026.pdf ").ok().as_deref(), Some("résumé 2026.pdf"));
        assert_eq!(file_name(".bashrc").ok().as_deref(), Some(".bashrc"));
        for bad in ["", "dir/", "..", "\u{200B}"] {
            assert!(file_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(file_name(&"x".repeat(300)).map(|n| n.chars().count()).ok(), Some(255));
    }
}
