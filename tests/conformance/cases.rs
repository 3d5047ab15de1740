//! The conformance case table, modelled on the Autobahn TestSuite (sections 1–7, a reduced 9
//! and 10), shared by the in-process test (`tests/conformance.rs`) and the loopback runner
//! (`examples/conformance/main.rs`, which includes this file with `#[path]`; for a client
//! under test or with permessage-deflate the cases are adapted by `roles.rs`).
//!
//! Each case is a fuzzing-client script against a **server**: the masked client bytes, in
//! pushes (one push = one `handle_input` call in process, one `write` over TCP; a push marked
//! `pause` is followed by a short sleep over TCP), and the strict expected answer: the
//! server's frames in order (data messages reassembled), ending with its Close frame, after
//! which nothing may follow and the server must close the transport.
//!
//! Numbers follow Autobahn's; cases Autobahn does not have are marked "(extra)" and are
//! numbered after Autobahn's last case of their group.
//!
//! This file holds the case builder, the table and the helpers the sections share; the
//! sections are in `cases/`: `basic.rs` (1–4), `fragments.rs` (5), `utf8.rs` (6),
//! `close.rs` (7), `limits.rs` (9, 10).
#![allow(dead_code, unreachable_pub)]

use wswire::frame::{FrameHeader, MAX_HEADER_LEN, MaskKey, Opcode, Rsv, apply_mask};

// The sections, one file each (this file is included by `#[path]`, so theirs are given too).
#[path = "cases/basic.rs"]
mod basic;
#[path = "cases/close.rs"]
mod close;
#[path = "cases/fragments.rs"]
mod fragments;
#[path = "cases/limits.rs"]
mod limits;
#[path = "cases/utf8.rs"]
mod utf8;

use basic::{section1, section2, section3, section4};
use close::section7;
use fragments::section5;
use limits::{section9, section10};
use utf8::section6;

/// First-byte flags and opcodes, written out so malformed frames are easy to build.
pub const FIN: u8 = 0x80;
pub const CONT: u8 = 0x0;
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// One write of the fuzzing client.
#[derive(Clone, Debug)]
pub struct Push {
    pub bytes: Vec<u8>,
    /// Over TCP: sleep briefly after this write (Autobahn's "sync" / delayed sends).
    pub pause: bool,
}

/// One thing the server sends, data messages reassembled from their frames.
#[derive(Clone, PartialEq, Eq)]
pub enum Out {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The server's Close frame: its code, `None` for an empty Close.
    Close(Option<u16>),
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn short(b: &[u8]) -> String {
            let head: String = b.iter().take(12).map(|x| format!("{x:02x}")).collect();
            let more = if b.len() > 12 { "…" } else { "" };
            format!("{} B {head}{more}", b.len())
        }
        match self {
            Self::Text(b) => write!(f, "Text({})", short(b)),
            Self::Binary(b) => write!(f, "Binary({})", short(b)),
            Self::Ping(b) => write!(f, "Ping({})", short(b)),
            Self::Pong(b) => write!(f, "Pong({})", short(b)),
            Self::Close(Some(c)) => write!(f, "Close({c})"),
            Self::Close(None) => write!(f, "Close(empty)"),
        }
    }
}

/// "By the end of push `after_push`, the first `outputs` expected outputs have been sent":
/// fail-fast (6.4.x) and control frames answered inside a fragmented message (5.19).
#[derive(Clone, Copy, Debug)]
pub struct Checkpoint {
    pub after_push: usize,
    pub outputs: usize,
}

/// One conformance case.
#[derive(Clone, Debug)]
pub struct Case {
    pub id: String,
    pub desc: String,
    pub pushes: Vec<Push>,
    pub expect: Vec<Out>,
    pub checkpoints: Vec<Checkpoint>,
    /// Section 10: the server fragments its sends at this size (in process only; the
    /// loopback echo_server uses its own configuration).
    pub server_max_frame: Option<usize>,
    /// The script is valid traffic ending in the client's Close: the client↔server `Pair`
    /// run applies.
    pub valid: bool,
    key: u32,
}

impl Case {
    pub fn new(id: &str, desc: &str) -> Self {
        Self {
            id: id.to_owned(),
            desc: desc.to_owned(),
            pushes: Vec::new(),
            expect: Vec::new(),
            checkpoints: Vec::new(),
            server_max_frame: None,
            valid: false,
            key: 0x9e37_79b9
                ^ id.bytes()
                    .fold(0u32, |h, b| h.rotate_left(5) ^ u32::from(b)),
        }
    }

    /// A fresh, non-zero masking key per frame (deterministic per case).
    fn next_key(&mut self) -> MaskKey {
        self.key = self.key.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        MaskKey((self.key | 0x0101_0101).to_be_bytes())
    }

    /// A masked client frame with first byte `b0` (FIN | RSV | opcode). Frames RFC 6455
    /// allows are encoded with wswire's `FrameHeader`; malformed ones (reserved opcodes,
    /// fragmented or over-long control frames) by hand.
    pub fn frame(&mut self, b0: u8, payload: &[u8]) -> Vec<u8> {
        let key = self.next_key();
        let len = payload.len() as u64;
        let mut out = Vec::with_capacity(payload.len() + MAX_HEADER_LEN);
        let header = Opcode::from_u8(b0 & 0x0f).map(|opcode| FrameHeader {
            fin: b0 & FIN != 0,
            rsv: Rsv::from_bits(b0),
            opcode,
            mask: Some(key),
            payload_len: len,
        });
        let mut buf = [0u8; MAX_HEADER_LEN];
        match header.map(|h| h.encode(&mut buf)) {
            Some(Ok(n)) => out.extend_from_slice(&buf[..n]),
            _ => {
                out.push(b0);
                if len < 126 {
                    out.push(0x80 | len as u8);
                } else if len <= 0xffff {
                    out.push(0x80 | 126);
                    out.extend_from_slice(&(len as u16).to_be_bytes());
                } else {
                    out.push(0x80 | 127);
                    out.extend_from_slice(&len.to_be_bytes());
                }
                out.extend_from_slice(&key.0);
            }
        }
        let at = out.len();
        out.extend_from_slice(payload);
        apply_mask(&mut out[at..], key, 0);
        out
    }

    /// An **unmasked** frame (payload under 126 bytes) with first byte `b0`: what a client
    /// must never send (RFC 6455 §5.1). Re-framed for a client under test it becomes a
    /// masked server frame, which a client must fail as well (`roles::to_server_frames`).
    pub fn unmasked_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
        assert!(payload.len() < 126, "unmasked_frame: short payloads only");
        let mut out = vec![b0, payload.len() as u8];
        out.extend_from_slice(payload);
        out
    }

    /// Appends raw bytes as one push.
    pub fn raw(&mut self, bytes: Vec<u8>, pause: bool) -> &mut Self {
        self.pushes.push(Push { bytes, pause });
        self
    }

    /// One frame, one push.
    pub fn send(&mut self, b0: u8, payload: &[u8]) -> &mut Self {
        let f = self.frame(b0, payload);
        self.raw(f, false)
    }

    /// One frame, one push, then a pause (Autobahn's frame-wise "sync" sends).
    pub fn send_paused(&mut self, b0: u8, payload: &[u8]) -> &mut Self {
        let f = self.frame(b0, payload);
        self.raw(f, true)
    }

    /// One frame cut into pushes of `chop` bytes (`pause` after each).
    pub fn send_chopped(&mut self, b0: u8, payload: &[u8], chop: usize, pause: bool) -> &mut Self {
        let f = self.frame(b0, payload);
        self.chop(&f, chop, pause)
    }

    /// Bytes cut into pushes of `chop` bytes.
    pub fn chop(&mut self, bytes: &[u8], chop: usize, pause: bool) -> &mut Self {
        for piece in bytes.chunks(chop.max(1)) {
            self.raw(piece.to_vec(), pause);
        }
        self
    }

    /// A masked Close frame payload: code and reason.
    pub fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
        let mut p = code.to_be_bytes().to_vec();
        p.extend_from_slice(reason);
        p
    }

    pub fn expect(&mut self, out: Out) -> &mut Self {
        self.expect.push(out);
        self
    }

    pub fn expect_text(&mut self, s: &[u8]) -> &mut Self {
        self.expect(Out::Text(s.to_vec()))
    }

    pub fn expect_binary(&mut self, b: &[u8]) -> &mut Self {
        self.expect(Out::Binary(b.to_vec()))
    }

    pub fn expect_pong(&mut self, b: &[u8]) -> &mut Self {
        self.expect(Out::Pong(b.to_vec()))
    }

    /// The outputs expected so far must all have been sent by the end of the last push.
    pub fn checkpoint(&mut self) -> &mut Self {
        self.checkpoints.push(Checkpoint {
            after_push: self.pushes.len() - 1,
            outputs: self.expect.len(),
        });
        self
    }

    /// Ends a valid script: the client sends Close 1000, the server must echo 1000 and close.
    pub fn clean_close(&mut self) -> Self {
        let p = Self::close_payload(1000, b"");
        self.send(FIN | CLOSE, &p);
        self.expect(Out::Close(Some(1000)));
        self.valid = true;
        self.clone()
    }

    /// The client's own close (already in the script) is answered with `reply`.
    pub fn closes_with(&mut self, reply: Option<u16>) -> Self {
        self.expect(Out::Close(reply));
        self.valid = true;
        self.clone()
    }

    /// The server must fail the connection with `code` (its Close frame is the last thing
    /// it sends).
    pub fn fails(&mut self, code: u16) -> Self {
        self.expect(Out::Close(Some(code)));
        self.clone()
    }

    /// As [`Case::fails`], and the Close must be out by the end of push `after_push`, before
    /// the rest of the script is sent (fail fast).
    pub fn fails_fast(&mut self, code: u16, after_push: usize) -> Self {
        self.expect(Out::Close(Some(code)));
        self.checkpoints.push(Checkpoint {
            after_push,
            outputs: self.expect.len(),
        });
        self.clone()
    }
}

/// A case in the table: its id and how to build it (large cases are built only when run).
pub struct Entry {
    pub id: String,
    pub build: Box<dyn Fn() -> Case>,
}

fn entry(list: &mut Vec<Entry>, id: impl Into<String>, build: impl Fn(&str) -> Case + 'static) {
    let id = id.into();
    let id2 = id.clone();
    list.push(Entry {
        id,
        build: Box::new(move || build(&id2)),
    });
}

/// Cases known to fail, with the mode they fail in (`"in-process"`, `"pair"`, `"loopback"`,
/// `"loopback-deflate"`, `"client"`, `"client-deflate"` or
/// `"*"`) and why. They are run and reported but do not count as failures; one that passes is
/// reported so that it can be removed from this list.
pub const KNOWN_FAILURES: &[(&str, &str, &str)] = &[];

/// The known-failure reason for `id` in `mode`, if any.
pub fn known_failure(id: &str, mode: &str) -> Option<&'static str> {
    KNOWN_FAILURES
        .iter()
        .find(|(i, m, _)| *i == id && (*m == mode || *m == "*"))
        .map(|(_, _, why)| *why)
}

/// Sizes used by section 1 (Autobahn 1.1.x / 1.2.x).
const SIZES: [usize; 7] = [0, 125, 126, 127, 128, 65535, 65536];

/// A valid multi-byte UTF-8 text (sections 6 and 7).
const KOSME: &[u8] = "κόσμε".as_bytes();

/// The whole table, in order.
pub fn catalogue() -> Vec<Entry> {
    let mut l = Vec::new();
    section1(&mut l);
    section2(&mut l);
    section3(&mut l);
    section4(&mut l);
    section5(&mut l);
    section6(&mut l);
    section7(&mut l);
    section9(&mut l);
    section10(&mut l);
    l
}

fn echo(op: u8, payload: &[u8]) -> Out {
    if op == TEXT {
        Out::Text(payload.to_vec())
    } else {
        Out::Binary(payload.to_vec())
    }
}

/// Autobahn's RSV numbering: the 3-bit field value, RSV1 being its high bit.
fn rsv(v: u8) -> u8 {
    v << 4
}

/// How a script's frames are sent: all at once, frame-wise with pauses, octet-wise.
#[derive(Clone, Copy)]
enum Mode {
    Plain,
    Frames,
    Octets,
}

fn send_frames(c: &mut Case, frames: Vec<Vec<u8>>, mode: Mode) {
    for f in frames {
        match mode {
            Mode::Plain => c.raw(f, false),
            Mode::Frames => c.raw(f, true),
            Mode::Octets => c.chop(&f, 1, true),
        };
    }
}

const MODES: [(Mode, &str); 3] = [
    (Mode::Plain, ""),
    (Mode::Frames, ", frame-wise with pauses"),
    (Mode::Octets, ", octet-wise"),
];

/// The push that completes the first two header bytes of the next frame sent in `mode`.
fn header_push(c: &Case, mode: Mode) -> usize {
    match mode {
        Mode::Octets => c.pushes.len() + 1,
        _ => c.pushes.len(),
    }
}

pub fn hexs(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
