//! A WebSocket client at the byte level, for what a well-behaved client library will not do:
//! send a frame header that lies about its length, or stop reading with a tiny receive buffer.

use crate::client::WS_PATH;
use confab_shared::ServerEvent;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

pub struct RawWs {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

/// A frame from the server: `(opcode, payload)`.
pub type Frame = (u8, Vec<u8>);

impl RawWs {
    /// Opens a socket (with a receive buffer of `recv_buffer` bytes when given) and upgrades it;
    /// `Err(status line)` when the server refuses the upgrade.
    pub async fn connect(addr: &str, bearer: Option<&str>, recv_buffer: Option<u32>) -> Result<RawWs, String> {
        let socket = TcpSocket::new_v4().expect("socket");
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
        }
        let mut stream = socket.connect(addr.parse().expect("addr")).await.expect("connect");
        let auth = bearer.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let request = format!(
            "GET {WS_PATH} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{auth}\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("write upgrade");
        let mut buf = Vec::new();
        let end = loop {
            let mut chunk = [0u8; 1024];
            let n = stream.read(&mut chunk).await.expect("read upgrade");
            assert!(n > 0, "closed during the handshake");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let status = head.lines().next().unwrap_or_default().to_owned();
        if !status.contains(" 101 ") {
            return Err(status);
        }
        Ok(RawWs { stream, buf: buf[end..].to_vec() })
    }

    /// A masked client frame header (FIN set) for `opcode` declaring `len` payload bytes.
    pub fn header(opcode: u8, len: u64) -> Vec<u8> {
        let mut out = vec![0x80 | opcode];
        match len {
            0..=125 => out.push(0x80 | len as u8),
            126..=65535 => {
                out.push(0x80 | 126);
                out.extend((len as u16).to_be_bytes());
            }
            _ => {
                out.push(0x80 | 127);
                out.extend(len.to_be_bytes());
            }
        }
        out.extend([0, 0, 0, 0]); // a zero mask leaves the payload as it is
        out
    }

    pub async fn send_text(&mut self, text: &str) {
        let mut frame = Self::header(1, text.len() as u64);
        frame.extend_from_slice(text.as_bytes());
        self.stream.write_all(&frame).await.expect("write frame");
    }

    /// The next frame from the server within `wait`; None on timeout or end of stream.
    pub async fn read_frame(&mut self, wait: Duration) -> Option<Frame> {
        tokio::time::timeout(wait, async {
            loop {
                if let Some((frame, used)) = parse(&self.buf) {
                    self.buf.drain(..used);
                    return Some(frame);
                }
                let mut chunk = [0u8; 16 * 1024];
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return None,
                    Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// The next text frame as an event, skipping pings; None at a close or the end.
    pub async fn next_event(&mut self, wait: Duration) -> Option<ServerEvent> {
        loop {
            match self.read_frame(wait).await? {
                (1, text) => return Some(serde_json::from_slice(&text).expect("server event")),
                (8, _) => return None,
                _ => continue,
            }
        }
    }

    /// Reads until the close frame and returns its code (None: the stream ended without one),
    /// with the number of text frames read before it. Panics if nothing comes for `wait`.
    pub async fn until_closed(&mut self, wait: Duration) -> (Option<u16>, usize) {
        let mut texts = 0;
        loop {
            let started = std::time::Instant::now();
            let frame = self.read_frame(wait).await;
            assert!(frame.is_some() || started.elapsed() < wait, "still open after {wait:?} of silence");
            match frame {
                Some((8, payload)) if payload.len() >= 2 => {
                    return (Some(u16::from_be_bytes([payload[0], payload[1]])), texts);
                }
                Some((8, _)) | None => return (None, texts),
                Some((1, _)) => texts += 1,
                Some(_) => {}
            }
        }
    }
}

/// One unmasked server frame at the start of `buf`, and the bytes it took.
fn parse(buf: &[u8]) -> Option<(Frame, usize)> {
    if buf.len() < 2 {
        return None;
    }
    let opcode = buf[0] & 0x0f;
    let (len, start) = match buf[1] & 0x7f {
        126 => (u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?]) as usize, 4),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize, 10),
        n => (n as usize, 2),
    };
    let payload = buf.get(start..start + len)?.to_vec();
    Some(((opcode, payload), start + len))
}
