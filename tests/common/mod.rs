//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

/// Parses a hex string with optional spaces and `|` separators, e.g. `"81 05 48 65"`.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    assert!(digits.len().is_multiple_of(2), "odd hex string {s:?}");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(core::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

use wswire::Role;
use wswire::recv::{Decoder, Delivery, Event, Receiver, RecvConfig};

#[cfg(feature = "deflate")]
pub mod deflate;
pub mod handshake;

/// `bytes` cut at the given points (each taken modulo `len + 1`, in order): the chunks a
/// transport might deliver.
pub fn split_at<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for c in cuts {
        out.push(&bytes[at..c]);
        at = c;
    }
    out.push(&bytes[at..]);
    out
}

/// An owned copy of an [`Event`] (or the error that ended decoding), for comparisons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    Text(String, bool),
    Binary(Vec<u8>, bool),
    Unchecked(Vec<u8>, bool),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
    /// The receiver failed with this close code.
    Fail(u16),
}

impl Ev {
    pub fn text(s: &str) -> Self {
        Self::Text(s.into(), true)
    }

    pub fn binary(b: &[u8]) -> Self {
        Self::Binary(b.into(), true)
    }

    pub fn from_event(e: &Event<'_>) -> Self {
        match *e {
            Event::Text { data, fin } => Self::Text(data.into(), fin),
            Event::Binary { data, fin } => Self::Binary(data.into(), fin),
            Event::UncheckedText { data, fin } => Self::Unchecked(data.into(), fin),
            Event::Ping(p) => Self::Ping(p.into()),
            Event::Pong(p) => Self::Pong(p.into()),
            Event::Close { code, reason } => Self::Close(
                (code != wswire::CloseCode::NO_STATUS_RECEIVED)
                    .then(|| (code.as_u16(), reason.into())),
            ),
            _ => panic!("unknown event {e:?}"),
        }
    }
}

/// Feeds `chunks` to a buffered receiver one after another, draining events after each, and
/// returns every event; a failure is recorded as `Ev::Fail(code)` and must be the last entry
/// (later input must produce nothing).
pub fn receive(role: Role, config: RecvConfig, delivery: Delivery, chunks: &[&[u8]]) -> Vec<Ev> {
    let mut rx = Receiver::with_delivery(role, config, delivery);
    let mut out = Vec::new();
    for chunk in chunks {
        rx.handle_input(chunk);
        while let Some(r) = rx.poll_event() {
            match r {
                Ok(e) => {
                    assert!(
                        !matches!(out.last(), Some(Ev::Fail(_))),
                        "event after failure"
                    );
                    out.push(Ev::from_event(&e));
                }
                Err(e) => {
                    assert!(e.close_code().is_sendable(), "unsendable code for {e}");
                    out.push(Ev::Fail(e.close_code().as_u16()));
                }
            }
        }
    }
    out
}

/// Feeds `chunks` through the zero-copy [`Decoder`], keeping unconsumed bytes like a caller
/// would, and returns the events (pieces, as the decoder yields them).
pub fn decode_chunks(role: Role, config: RecvConfig, chunks: &[&[u8]]) -> Vec<Ev> {
    let mut d = Decoder::new(role, config);
    let mut pending: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    for chunk in chunks {
        pending.extend_from_slice(chunk);
        let mut at = 0;
        loop {
            match d.decode(&mut pending[at..]) {
                Ok(step) => {
                    let n = step.consumed;
                    match step.event {
                        Some(e) => out.push(Ev::from_event(&e)),
                        None if n == 0 => break,
                        None => {}
                    }
                    at += n;
                }
                Err(e) => {
                    out.push(Ev::Fail(e.close_code().as_u16()));
                    at = pending.len();
                }
            }
        }
        pending.drain(..at);
    }
    out
}

/// Merges consecutive data pieces into whole messages, as `Delivery::Messages` would.
pub fn merge_pieces(events: &[Ev]) -> Vec<Ev> {
    let mut out = Vec::new();
    let mut text: Option<String> = None;
    let mut bin: Option<Vec<u8>> = None;
    for e in events {
        match e {
            Ev::Text(s, fin) => {
                let t = text.get_or_insert_with(String::new);
                t.push_str(s);
                if *fin {
                    out.push(Ev::Text(text.take().unwrap_or_default(), true));
                }
            }
            Ev::Binary(b, fin) => {
                let v = bin.get_or_insert_with(Vec::new);
                v.extend_from_slice(b);
                if *fin {
                    out.push(Ev::Binary(bin.take().unwrap_or_default(), true));
                }
            }
            Ev::Close(_) => {
                text = None;
                bin = None;
                out.push(e.clone());
            }
            other => out.push(other.clone()),
        }
    }
    out
}

/// Every way the tests feed a byte stream: whole, one byte at a time, and split in three at
/// a few points.
pub fn splits(bytes: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut ways = vec![vec![bytes], bytes.chunks(1).collect()];
    for cut in [1, 3, 7, bytes.len() / 2] {
        if cut < bytes.len() {
            ways.push(vec![&bytes[..cut], &bytes[cut..]]);
        }
    }
    ways
}

use wswire::connection::{Config, Connection, Event as CEv};
use wswire::frame::MaskKey as Key;
use wswire::send::FixedMask;

/// An owned connection event (or failure).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cx {
    Open,
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(u16, String),
    Error(String),
}

pub fn drain_events<M: wswire::send::MaskGen>(c: &mut Connection<M>) -> Vec<Cx> {
    let mut out = Vec::new();
    while let Some(r) = c.poll_event() {
        out.push(match r {
            Ok(CEv::Open) => Cx::Open,
            Ok(CEv::Text { data, .. }) => Cx::Text(data.into()),
            Ok(CEv::Binary { data, .. }) => Cx::Binary(data.into()),
            Ok(CEv::Ping(p)) => Cx::Ping(p.into()),
            Ok(CEv::Pong(p)) => Cx::Pong(p.into()),
            Ok(CEv::Close { code, reason }) => Cx::Close(code.as_u16(), reason.into()),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(e) => Cx::Error(e.to_string()),
        });
    }
    out
}

pub fn drain_output<M: wswire::send::MaskGen>(c: &mut Connection<M>) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(buf) = c.take_transmit() {
        out.extend(buf);
    }
    out
}

/// A client and a server `Connection` wired back to back, both starting `Open`.
pub struct Pair {
    pub client: Connection<FixedMask>,
    pub server: Connection,
}

impl Pair {
    pub fn open(config: Config) -> Self {
        Self {
            client: Connection::client_open(
                Default::default(),
                config,
                FixedMask(Key([0x11, 0x22, 0x33, 0x44])),
            ),
            server: Connection::server_open(Default::default(), config),
        }
    }

    /// Moves bytes both ways until neither side has output; returns the events each saw
    /// (client's, server's).
    pub fn drive(&mut self) -> (Vec<Cx>, Vec<Cx>) {
        let (mut ce, mut se) = (Vec::new(), Vec::new());
        loop {
            let c2s = drain_output(&mut self.client);
            let s2c = drain_output(&mut self.server);
            if c2s.is_empty() && s2c.is_empty() {
                ce.extend(drain_events(&mut self.client));
                se.extend(drain_events(&mut self.server));
                if self.client.pending_output() == 0 && self.server.pending_output() == 0 {
                    return (ce, se);
                }
                continue;
            }
            self.server.handle_input(&c2s);
            self.client.handle_input(&s2c);
            ce.extend(drain_events(&mut self.client));
            se.extend(drain_events(&mut self.server));
        }
    }
}

/// The `Cx` a connection's end `e` is drained as.
pub fn ended(e: wswire::Error) -> Cx {
    Cx::Error(e.to_string())
}
