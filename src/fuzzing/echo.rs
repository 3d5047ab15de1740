//! The echo harness: a server [`Connection`] driven as a socket adapter drives it, against a
//! client `Connection` that sends messages and reads their echoes. The script picks:
//! - the messages (text or binary, 0 bytes to 192 KiB, at most 1 MiB in all), and whether
//!   either side fragments them or (with the `deflate` feature) compresses them;
//! - the server's reads: into [`Connection::input_buffer`] of a size from 1 byte to 128 KiB,
//!   or through `handle_input`;
//! - how each message is echoed: [`Connection::take_message`] then `send_*_owned`,
//!   `take_message` then a borrowed send, or a borrowed send of the event's copy;
//! - the server's writes: part of [`Connection::poll_transmit`], part of
//!   [`Connection::poll_transmit_vectored`]'s slices, or [`Connection::take_transmit`].
//!
//! This drives the receive path's owned hand-offs (a large message handed over as the input
//! buffer, a small one copied into the spare payload, written payloads given back to be read
//! into), which the other targets do not reach.
//!
//! Oracles:
//! - `take_message` gives exactly the bytes of the event it follows;
//! - neither side fails: every byte either sees is valid;
//! - every echo arrives intact and in order, whatever the reads, echoes and writes;
//! - after the client's Close, every message has been echoed and the closing handshake ends
//!   on both sides.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::connection::Script;
use crate::connection::{Config, Connection, Event, State};
use crate::extensions::deflate::{DeflateClient, DeflateOffer, DeflateServer};
use crate::frame::{CloseCode, MaskKey};
use crate::handshake::{ClientRequest, SecWebSocketKey, ServerConfig};
use crate::recv::Message;
use crate::send::FixedMask;

/// The read sizes a transport may offer.
const READS: [usize; 8] = [1, 7, 100, 1024, 4096, 16 * 1024, 64 * 1024, 128 * 1024];

/// The most payload one input sends in all.
const BUDGET: usize = 1 << 20;

/// A message, owned.
#[derive(Clone, PartialEq, Eq)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
}

impl Msg {
    fn len(&self) -> usize {
        match self {
            Self::Text(t) => t.len(),
            Self::Binary(b) => b.len(),
        }
    }
}

/// Both ends and the bytes between them.
struct Echo {
    client: Connection<FixedMask>,
    server: Connection,
    /// Sent by the client, not yet read by the server.
    c2s: Vec<u8>,
    /// Written by the server, not yet read by the client.
    s2c: Vec<u8>,
    /// Sent and not yet echoed back, in order.
    sent: VecDeque<Msg>,
    budget: usize,
    client_closed: bool,
}

/// Runs the script; see the module docs.
pub fn echo(data: &[u8]) {
    let mut s = Script(data);
    let mut e = Echo::open(s.byte(), s.byte());
    for _ in 0..256 {
        if s.0.is_empty() {
            break;
        }
        let op = s.byte();
        match op % 4 {
            0 => e.client_sends(&mut s),
            1 => e.server_reads(op, &mut s),
            2 => e.server_writes(op, &mut s),
            _ => e.client_reads(usize::from(s.byte()) * 64 + 1),
        }
    }
    e.finish();
}

impl Echo {
    /// Both ends through the opening handshake: `flags` picks deflate and its threshold,
    /// `frag` each side's fragment size (none, or 1 to 8 KiB).
    fn open(flags: u8, frag: u8) -> Self {
        let frame = |bits: u8| match bits % 4 {
            0 => None,
            1 => Some(1),
            2 => Some(1000),
            _ => Some(8 * 1024),
        };
        let mut config = Config::default();
        config.deflate.threshold = if flags & 2 != 0 { 0 } else { 1024 };
        let (mut cc, mut sc) = (config, config);
        cc.send.max_frame_payload = frame(frag);
        sc.send.max_frame_payload = frame(frag >> 2);
        let mut server_config = ServerConfig::default();
        let mut request = ClientRequest::new("example.com", "/echo").unwrap();
        if cfg!(feature = "deflate") && flags & 1 != 0 {
            server_config.extension(Box::new(DeflateServer::default()));
            request.extension(Box::new(DeflateClient::new(DeflateOffer::default())));
        }
        let key = SecWebSocketKey::from_nonce(*b"the sample nonce");
        let hs = request.start_with_key(key);
        let client = Connection::client_with(hs, cc, FixedMask(MaskKey([9, 8, 7, flags])));
        let server = Connection::server(Arc::new(server_config), sc);
        let mut e = Self {
            client,
            server,
            c2s: Vec::new(),
            s2c: Vec::new(),
            sent: VecDeque::new(),
            budget: BUDGET,
            client_closed: false,
        };
        e.client_output();
        e.server_reads(8, &mut Script(&[7]));
        e.server_output();
        e.client_reads(usize::MAX);
        assert_eq!(
            e.client.state(),
            State::Open,
            "the handshake did not complete"
        );
        e
    }

    /// The client sends the next message the script describes.
    fn client_sends(&mut self, s: &mut Script<'_>) {
        if self.client.state() != State::Open || self.budget == 0 {
            return;
        }
        let m = message(s, self.budget);
        self.budget -= m.len().min(self.budget);
        match &m {
            Msg::Text(t) => self.client.send_text(t),
            Msg::Binary(b) => self.client.send_binary(b),
        }
        .unwrap();
        self.sent.push_back(m);
        self.client_output();
    }

    /// Everything the client queued goes on the wire to the server.
    fn client_output(&mut self) {
        while let Some(buf) = self.client.take_transmit() {
            self.c2s.extend_from_slice(&buf);
        }
    }

    /// One server read of a size the script picks (bit 3 of `op`: `handle_input`), then its
    /// events, echoed.
    fn server_reads(&mut self, op: u8, s: &mut Script<'_>) {
        let size = READS[usize::from(s.byte() % 8)];
        if op & 8 != 0 {
            let n = size.min(self.c2s.len());
            let chunk: Vec<u8> = self.c2s.drain(..n).collect();
            self.server.handle_input(&chunk);
        } else if let Some(buf) = self.server.input_buffer(size) {
            let n = buf.len().min(size).min(self.c2s.len());
            buf[..n].copy_from_slice(&self.c2s[..n]);
            self.c2s.drain(..n);
            self.server.commit_input(n);
        }
        self.server_events(op >> 4);
    }

    /// Every event the server has, each data message echoed the way `how` (rotating) picks.
    fn server_events(&mut self, mut how: u8) {
        loop {
            let copy = match self.server.poll_event() {
                None => return,
                Some(Ok(Event::Text { data, fin })) => {
                    assert!(fin, "a piece of a message delivered as whole messages");
                    Msg::Text(String::from(data))
                }
                Some(Ok(Event::Binary { data, fin })) => {
                    assert!(fin, "a piece of a message delivered as whole messages");
                    Msg::Binary(data.to_vec())
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("the server failed on valid input: {e}"),
            };
            self.echo_back(copy, how % 4);
            how = how.rotate_right(2);
        }
    }

    /// Sends `copy` (the event's bytes) back: 0 and 1 owned from `take_message`, 2 borrowed
    /// from `take_message`'s, 3 borrowed from the copy.
    fn echo_back(&mut self, copy: Msg, how: u8) {
        let sent = if how == 3 {
            match &copy {
                Msg::Text(t) => self.server.send_text(t),
                Msg::Binary(b) => self.server.send_binary(b),
            }
        } else {
            let taken = match self.server.take_message() {
                Some(Message::Text(t)) => Msg::Text(t),
                Some(Message::Binary(b)) => Msg::Binary(b),
                other => panic!("take_message after a data message gave {other:?}"),
            };
            assert!(taken == copy, "take_message differs from its event's bytes");
            assert!(
                self.server.take_message().is_none(),
                "a message taken twice"
            );
            match (taken, how) {
                (Msg::Text(t), 2) => self.server.send_text(&t),
                (Msg::Binary(b), 2) => self.server.send_binary(&b),
                (Msg::Text(t), _) => self.server.send_text_owned(t),
                (Msg::Binary(b), _) => self.server.send_binary_owned(b),
            }
        };
        sent.expect("the server could not echo");
    }

    /// One server write, in the way bits 3–4 of `op` pick, of at most a size the script
    /// picks.
    fn server_writes(&mut self, op: u8, s: &mut Script<'_>) {
        let limit = usize::from(s.byte()) * 509 + 1;
        let n = match (op >> 3) % 3 {
            0 => match self.server.poll_transmit() {
                Some(piece) => {
                    let n = piece.len().min(limit);
                    self.s2c.extend_from_slice(&piece[..n]);
                    n
                }
                None => 0,
            },
            1 => {
                let mut bufs: [&[u8]; 4] = [&[]; 4];
                let k = self.server.poll_transmit_vectored(&mut bufs);
                let mut n = 0;
                for piece in &bufs[..k] {
                    let t = piece.len().min(limit - n);
                    self.s2c.extend_from_slice(&piece[..t]);
                    n += t;
                }
                n
            }
            _ => {
                if let Some(buf) = self.server.take_transmit() {
                    self.s2c.extend_from_slice(&buf);
                }
                0
            }
        };
        self.server.advance_transmit(n);
    }

    /// Everything the server queued goes on the wire to the client.
    fn server_output(&mut self) {
        while let Some(buf) = self.server.take_transmit() {
            self.s2c.extend_from_slice(&buf);
        }
    }

    /// The client reads up to `n` of the server's bytes and checks what arrives.
    fn client_reads(&mut self, n: usize) {
        let n = n.min(self.s2c.len());
        let chunk: Vec<u8> = self.s2c.drain(..n).collect();
        self.client.handle_input(&chunk);
        while let Some(event) = self.client.poll_event() {
            let got = match event {
                Ok(Event::Text { data, .. }) => Msg::Text(String::from(data)),
                Ok(Event::Binary { data, .. }) => Msg::Binary(data.to_vec()),
                Ok(Event::Close { .. }) => {
                    self.client_closed = true;
                    continue;
                }
                Ok(_) => continue,
                Err(e) => panic!("the client failed on the server's output: {e}"),
            };
            let want = self
                .sent
                .pop_front()
                .expect("an echo of a message never sent");
            assert!(
                got == want,
                "an echo of {} bytes arrived as {} bytes or changed",
                want.len(),
                got.len()
            );
        }
    }

    /// The client closes; everything is read and written until both ends are closed.
    fn finish(mut self) {
        if self.client.state() == State::Open {
            self.client.close(CloseCode::NORMAL, "").unwrap();
        }
        self.client_output();
        for _ in 0..10_000 {
            self.server_reads(0, &mut Script(&[6]));
            self.server_output();
            self.client_reads(usize::MAX);
            self.client_output();
            if self.c2s.is_empty() && self.s2c.is_empty() && self.server.pending_output() == 0 {
                break;
            }
        }
        assert!(
            self.sent.is_empty(),
            "{} message(s) never echoed",
            self.sent.len()
        );
        assert!(self.client_closed, "the server never answered the Close");
        assert_eq!(self.server.state(), State::Closed);
        assert!(self.server.should_close_transport());
    }
}

/// The next message of the script: byte 0 picks the kind (bit 0) and the size class
/// (bits 5–7), byte 1 the size within it, byte 2 the content; at most `budget` bytes.
fn message(s: &mut Script<'_>, budget: usize) -> Msg {
    let b = s.byte();
    let unit = usize::from(s.byte());
    let len = match b >> 5 {
        0..=2 => unit,
        3 | 4 => unit * 64,
        5 | 6 => 16 * 1024 + unit * 256,
        _ => 64 * 1024 + unit * 512,
    }
    .min(budget);
    let seed = s.byte();
    if b & 1 == 0 {
        #[expect(clippy::cast_possible_truncation, reason = "a byte pattern")]
        return Msg::Binary(
            (0..len)
                .map(|i| (i as u8).wrapping_mul(31) ^ seed)
                .collect(),
        );
    }
    // Code points of every width, in an order the seed picks.
    const UNITS: [&str; 5] = ["a", "é", "€", "🦀", " "];
    let mut text = String::with_capacity(len);
    let mut i = usize::from(seed);
    loop {
        let u = UNITS[i % UNITS.len()];
        if text.len() + u.len() > len {
            break;
        }
        text.push_str(u);
        i += usize::from(seed | 1);
    }
    while text.len() < len {
        text.push('z');
    }
    Msg::Text(text)
}
