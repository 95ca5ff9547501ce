//! Refuses an oversized WebSocket frame as soon as its header is read.
//!
//! Why: actix-ws checks a frame's size only once the whole frame is buffered, so a header
//! declaring 2^40 bytes followed by a stream of bytes was buffered until the connection ended
//! (hundreds of MB per socket, before authentication). [`FrameGuard`] sits between the
//! socket's bytes and the WebSocket codec: it follows the frame headers as they pass (without
//! copying anything) and ends the stream with an error at the first header over the limit; the
//! gateway then closes with 1009. Memory per connection is then bounded by the limit, before
//! and after authentication.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use bytes::Bytes;
use futures_util::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Where the guard is in the byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// Inside a frame header: the bytes seen so far (a header is at most 14 bytes).
    Header { buf: [u8; 14], have: usize },
    /// Inside a frame's payload: bytes left.
    Payload { left: u64 },
}

/// Follows frame headers in a client's byte stream; see the module header.
#[derive(Debug)]
pub struct FrameScanner {
    position: Position,
    max_payload: u64,
}

impl FrameScanner {
    pub fn new(max_payload: usize) -> Self {
        Self { position: Position::Header { buf: [0; 14], have: 0 }, max_payload: max_payload as u64 }
    }

    /// Reads `bytes`; `Err(length)` when a frame declares a payload over the limit.
    pub fn scan(&mut self, mut bytes: &[u8]) -> Result<(), u64> {
        while !bytes.is_empty() {
            match &mut self.position {
                Position::Payload { left } => {
                    let take = (*left).min(bytes.len() as u64);
                    *left -= take;
                    bytes = &bytes[take as usize..];
                    if *left == 0 {
                        self.position = Position::Header { buf: [0; 14], have: 0 };
                    }
                }
                Position::Header { buf, have } => {
                    buf[*have] = bytes[0];
                    *have += 1;
                    bytes = &bytes[1..];
                    if let Some(length) = declared_length(&buf[..*have]) {
                        if length > self.max_payload {
                            return Err(length);
                        }
                        self.position = if length == 0 {
                            Position::Header { buf: [0; 14], have: 0 }
                        } else {
                            Position::Payload { left: length }
                        };
                    }
                }
            }
        }
        Ok(())
    }
}

/// The payload length of a frame whose header is `header`, once it is complete.
fn declared_length(header: &[u8]) -> Option<u64> {
    if header.len() < 2 {
        return None;
    }
    let masked = header[1] & 0x80 != 0;
    let (extended, length) = match header[1] & 0x7f {
        126 => (2, header.get(2..4).map(|b| u64::from(u16::from_be_bytes([b[0], b[1]])))),
        127 => (8, header.get(2..10).map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0xff; 8])))),
        n => (0, Some(u64::from(n))),
    };
    let full = 2 + extended + if masked { 4 } else { 0 };
    if header.len() < full { None } else { length }
}

/// A payload stream with a [`FrameScanner`] in it: ends with `Overflow` at an oversized frame.
pub struct FrameGuard<S> {
    inner: S,
    scanner: FrameScanner,
    failed: bool,
}

impl<S> Stream for FrameGuard<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(bytes))) => match this.scanner.scan(&bytes) {
                Ok(()) => Poll::Ready(Some(Ok(bytes))),
                Err(length) => {
                    tracing::info!(length, "refusing a WebSocket frame over the size limit");
                    this.failed = true;
                    Poll::Ready(Some(Err(PayloadError::Overflow)))
                }
            },
            other => other,
        }
    }
}

/// Middleware: puts a [`FrameGuard`] on the body of WebSocket upgrades (`/api/v1/ws`).
pub async fn guard_websocket_frames(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.path() == "/api/v1/ws" {
        let inner = req.take_payload();
        let guard = FrameGuard { inner, scanner: FrameScanner::new(super::gateway::MAX_FRAME_BYTES), failed: false };
        req.set_payload(Payload::Stream { payload: Box::pin(guard) });
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(len: usize, masked: bool) -> Vec<u8> {
        let mut out = vec![0x81];
        let mask_bit = if masked { 0x80 } else { 0 };
        match len {
            0..=125 => out.push(mask_bit | len as u8),
            126..=65535 => {
                out.push(mask_bit | 126);
                out.extend((len as u16).to_be_bytes());
            }
            _ => {
                out.push(mask_bit | 127);
                out.extend((len as u64).to_be_bytes());
            }
        }
        if masked {
            out.extend([1, 2, 3, 4]);
        }
        out.extend(std::iter::repeat_n(b'x', len));
        out
    }

    #[test]
    fn follows_frames_split_anywhere() {
        let stream: Vec<u8> =
            [frame(5, true), frame(0, true), frame(300, true), frame(70_000, false), frame(9, true)].concat();
        for chunk in [1, 2, 3, 7, 13, 1000] {
            let mut scanner = FrameScanner::new(100_000);
            for part in stream.chunks(chunk) {
                assert_eq!(scanner.scan(part), Ok(()), "chunk size {chunk}");
            }
            assert_eq!(scanner.position, Position::Header { buf: [0; 14], have: 0 }, "ends between frames");
        }
    }

    #[test]
    fn refuses_an_oversized_header_before_its_payload() {
        let mut scanner = FrameScanner::new(64 * 1024);
        assert_eq!(scanner.scan(&frame(10, true)), Ok(()));
        let mut header = vec![0x81, 0x80 | 127];
        header.extend((1u64 << 40).to_be_bytes());
        assert_eq!(scanner.scan(&header[..6]), Ok(()), "not complete yet");
        assert_eq!(scanner.scan(&header[6..]), Ok(()), "mask still missing");
        assert_eq!(scanner.scan(&[1, 2, 3, 4]), Err(1 << 40));
        let mut scanner = FrameScanner::new(64 * 1024);
        assert_eq!(scanner.scan(&frame(64 * 1024 + 1, true)[..14]), Err(64 * 1024 + 1), "at the header's last byte");
    }
}
