//! The connection-level harness: a script of input chunks (handshake included), time steps,
//! sends, pings, closes, EOF and output drains, for a server or a client `Connection`.
//!
//! Oracles, checked after every step:
//! - nothing panics;
//! - `poll_timeout` is never in the past once `handle_timeout` has run (a due timer fired);
//! - the end is reported once: after `Event::Close` or an error, `poll_event` says `None`;
//! - everything written, after the opening handshake's head, decodes with wswire's own
//!   receiver of the other role without a protocol error; it holds at most one Close frame,
//!   and only Pings and Pongs after it (RFC 6455 §5.5.1: no data frame after our Close);
//! - a refused handshake writes its response and body, then nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::time::Duration;

use crate::Role;
use crate::connection::{Config, Connection, Event};
use crate::frame::{CloseCode, Decoded, FrameHeader, MaskKey, Opcode};
use crate::handshake::{ClientRequest, SecWebSocketKey, ServerConfig};
use crate::recv::{Receiver, RecvConfig};
use crate::send::{FixedMask, MaskGen};

/// A valid opening request (RFC 6455 §1.3's sample key), for scripts that start open.
const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
/// The 101 answering that key.
const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/// Bytes taken from the script, in order; zero once it is used up.
pub(super) struct Script<'a>(pub(super) &'a [u8]);

impl Script<'_> {
    pub(super) fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    pub(super) fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

/// What has been written, and the checks on it.
struct Wire {
    out: Vec<u8>,
    head_done: bool,
    rx: Receiver,
    closes: usize,
    /// After a refused handshake: the body bytes still to come.
    body_left: Option<usize>,
    /// Written bytes not yet walked as whole frames.
    walk: Vec<u8>,
}

impl Wire {
    fn new(our_role: Role) -> Self {
        let peer = match our_role {
            Role::Server => Role::Client,
            Role::Client => Role::Server,
        };
        Self {
            out: Vec::new(),
            head_done: false,
            rx: Receiver::new(peer, RecvConfig::default()),
            closes: 0,
            body_left: None,
            walk: Vec::new(),
        }
    }

    /// Takes every queued buffer and checks the frames in it.
    fn drain<M: MaskGen>(&mut self, conn: &mut Connection<M>) {
        while let Some(buf) = conn.take_transmit() {
            self.out.extend_from_slice(&buf);
        }
        if !self.head_done {
            let Some(end) = self.out.windows(4).position(|w| w == b"\r\n\r\n") else {
                return;
            };
            self.head_done = true;
            let refused =
                self.out.starts_with(b"HTTP/1.1 ") && !self.out.starts_with(b"HTTP/1.1 101");
            if refused {
                self.body_left = Some(content_length(&self.out[..end]));
            }
            self.out.drain(..end + 4);
        }
        if let Some(left) = &mut self.body_left {
            // A refusal: its body, then nothing.
            let n = core::mem::take(&mut self.out).len();
            assert!(n <= *left, "{n} bytes after a refusal's {left}-byte body");
            *left -= n;
            return;
        }
        let bytes = core::mem::take(&mut self.out);
        self.frames(&bytes);
        // Validity: our own receiver of the other role decodes it (until the Close).
        self.rx.handle_input(&bytes);
        while let Some(event) = self.rx.poll_event() {
            if let Err(e) = event {
                panic!("our own output does not decode: {e}");
            }
        }
        assert!(self.closes <= 1, "{} Close frames sent", self.closes);
    }
}

impl Wire {
    /// Walks whole frames: after our Close, only Ping and Pong may follow (RFC 6455 §5.5.1
    /// forbids data frames; a second Close would be a second closing handshake).
    fn frames(&mut self, bytes: &[u8]) {
        self.walk.extend_from_slice(bytes);
        let mut at = 0;
        while let Ok(Decoded::Complete((h, len))) = FrameHeader::decode(&self.walk[at..]) {
            let Some(end) = usize::try_from(h.payload_len)
                .ok()
                .and_then(|n| (at + len).checked_add(n))
                .filter(|&end| end <= self.walk.len())
            else {
                break;
            };
            assert!(
                self.closes == 0 || h.opcode.is_control() && h.opcode != Opcode::Close,
                "{:?} frame sent after our Close",
                h.opcode
            );
            if h.opcode == Opcode::Close {
                self.closes += 1;
            }
            at = end;
        }
        self.walk.drain(..at);
    }
}

/// The `Content-Length` of a response head (0 without one).
fn content_length(head: &[u8]) -> usize {
    let head = alloc::string::String::from_utf8_lossy(head);
    head.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

/// Runs the script against a server (`data[0]` even) or a client (odd).
pub fn connection(data: &[u8]) {
    let mut s = Script(data);
    let flags = s.byte();
    let config = Config {
        keepalive_interval: (flags & 2 != 0).then(|| Duration::from_secs(5)),
        idle_timeout: (flags & 4 != 0).then(|| Duration::from_secs(7)),
        close_timeout: Some(Duration::from_secs(3)),
        ..Config::default()
    };
    let start_open = flags & 8 != 0;
    if flags & 1 == 0 {
        let conn = Connection::server(Arc::new(ServerConfig::default()), config);
        run(conn, Role::Server, start_open.then_some(REQUEST), s);
    } else {
        let key = SecWebSocketKey::parse("dGhlIHNhbXBsZSBub25jZQ==").unwrap();
        let handshake = ClientRequest::new("server.example.com", "/chat")
            .unwrap()
            .start_with_key(key);
        let conn = Connection::client_with(handshake, config, FixedMask(MaskKey([1, 2, 3, 4])));
        run(conn, Role::Client, start_open.then_some(RESPONSE), s);
    }
}

fn run<M: MaskGen>(mut conn: Connection<M>, role: Role, head: Option<&[u8]>, mut s: Script<'_>) {
    let mut wire = Wire::new(role);
    let mut now = Duration::ZERO;
    let mut ended = false;
    if let Some(head) = head {
        conn.handle_input(head);
    }
    for _ in 0..512 {
        if s.0.is_empty() {
            break;
        }
        let op = s.byte();
        match op % 8 {
            0 | 1 => {
                let n = usize::from(s.byte());
                let chunk = s.bytes(n).to_vec();
                conn.handle_input(&chunk);
            }
            2 => {
                now += Duration::from_millis(u64::from(s.byte()) * 64);
                conn.handle_timeout(now);
                if let Some(t) = conn.poll_timeout() {
                    assert!(t > now, "timer at {t:?} still due at {now:?}");
                }
            }
            3 => {
                let n = usize::from(s.byte());
                let payload = s.bytes(n).to_vec();
                let _ = if op & 8 == 0 {
                    conn.send_binary(&payload)
                } else {
                    conn.send_text(&alloc::string::String::from_utf8_lossy(&payload))
                };
            }
            4 => {
                let n = usize::from(s.byte() % 130);
                let payload = s.bytes(n).to_vec();
                let _ = conn.ping(&payload);
            }
            5 => {
                let code = u16::from_be_bytes([s.byte(), s.byte()]);
                let _ = conn.close(CloseCode::from_u16(code), "bye");
            }
            6 => conn.handle_eof(),
            _ => wire.drain(&mut conn),
        }
        drain_events(&mut conn, &mut ended);
    }
    wire.drain(&mut conn);
}

/// Reads every event; checks that the end is reported once and is the last thing said.
fn drain_events<M: MaskGen>(conn: &mut Connection<M>, ended: &mut bool) {
    while let Some(item) = conn.poll_event() {
        assert!(!*ended, "an event after the connection's end");
        match item {
            Ok(Event::Close { .. }) | Err(_) => *ended = true,
            Ok(_) => {}
        }
    }
}
