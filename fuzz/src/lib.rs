//! What the fuzz targets need beyond `wswire::fuzzing`: the other side of the differential
//! target, tungstenite's receiver (a dependency of this crate only).

use std::io::{self, Read, Write};

use tungstenite::Message;
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use wswire::fuzzing::{End, LIMIT, Msg, Outcome};

/// The bytes to read, then "would block"; writes (tungstenite's pongs and Close replies) are
/// accepted and dropped.
struct Input<'a>(&'a [u8]);

impl Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = self.0.len().min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

impl Write for Input<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The other side of the differential target: tungstenite's outcome for `bytes` in the given
/// role, with wswire's limits.
pub fn other(client: bool, bytes: &[u8]) -> Outcome {
    let limit = usize::try_from(LIMIT).unwrap_or(usize::MAX);
    let config = WebSocketConfig::default()
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    let role = if client { Role::Client } else { Role::Server };
    let mut ws = WebSocket::from_raw_socket(Input(bytes), role, Some(config));
    let mut messages = Vec::new();
    loop {
        let msg = match ws.read() {
            Ok(Message::Text(t)) => Msg::Text(t.as_bytes().to_vec()),
            Ok(Message::Binary(b)) => Msg::Binary(b.to_vec()),
            Ok(Message::Ping(p)) => Msg::Ping(p.to_vec()),
            Ok(Message::Pong(p)) => Msg::Pong(p.to_vec()),
            Ok(Message::Close(frame)) => {
                messages.push(Msg::Close(frame.map(|f| u16::from(f.code))));
                return Outcome {
                    messages,
                    end: End::NeedMore,
                };
            }
            Ok(Message::Frame(_)) => continue,
            Err(tungstenite::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                return Outcome {
                    messages,
                    end: End::NeedMore,
                };
            }
            Err(e) => {
                return Outcome {
                    messages,
                    end: End::Theirs(e.to_string()),
                };
            }
        };
        messages.push(msg);
    }
}
