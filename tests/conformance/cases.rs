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
#![allow(dead_code, unreachable_pub)]

use wswire::frame::{FrameHeader, MAX_HEADER_LEN, MaskKey, Opcode, Rsv, apply_mask};

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

fn section1(l: &mut Vec<Entry>) {
    for (group, op, byte) in [(1, TEXT, b'*'), (2, BINARY, 0xfe)] {
        let kind = if op == TEXT { "text" } else { "binary" };
        for (i, n) in SIZES.into_iter().enumerate() {
            entry(l, format!("1.{group}.{}", i + 1), move |id| {
                let payload = vec![byte; n];
                Case::new(id, &format!("{kind} message of {n} bytes"))
                    .send(FIN | op, &payload)
                    .expect(echo(op, &payload))
                    .clean_close()
            });
        }
        entry(l, format!("1.{group}.8"), move |id| {
            let payload = vec![byte; 65536];
            Case::new(
                id,
                &format!("{kind} message of 65536 bytes in chops of 997"),
            )
            .send_chopped(FIN | op, &payload, 997, false)
            .expect(echo(op, &payload))
            .clean_close()
        });
    }
}

fn echo(op: u8, payload: &[u8]) -> Out {
    if op == TEXT {
        Out::Text(payload.to_vec())
    } else {
        Out::Binary(payload.to_vec())
    }
}

fn section2(l: &mut Vec<Entry>) {
    let pings: [(&str, &str, Vec<u8>); 4] = [
        ("2.1", "ping without payload", vec![]),
        (
            "2.2",
            "ping with a small text payload",
            b"Hello, world!".to_vec(),
        ),
        (
            "2.3",
            "ping with a small binary (non-UTF-8) payload",
            vec![0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff],
        ),
        ("2.4", "ping with a 125-byte payload", vec![0xfe; 125]),
    ];
    for (id, desc, p) in pings {
        entry(l, id, move |id| {
            Case::new(id, desc)
                .send(FIN | PING, &p)
                .expect_pong(&p)
                .clean_close()
        });
    }
    entry(l, "2.5", |id| {
        Case::new(id, "ping with a 126-byte payload: fail 1002")
            .send(FIN | PING, &[0xfe; 126])
            .fails(1002)
    });
    entry(l, "2.6", |id| {
        Case::new(id, "ping with a 125-byte payload, sent octet by octet")
            .send_chopped(FIN | PING, &[0xfe; 125], 1, true)
            .expect_pong(&[0xfe; 125])
            .clean_close()
    });
    entry(l, "2.7", |id| {
        Case::new(id, "unsolicited pong without payload: no answer")
            .send(FIN | PONG, b"")
            .clean_close()
    });
    entry(l, "2.8", |id| {
        Case::new(id, "unsolicited pong with payload: no answer")
            .send(FIN | PONG, b"unsolicited pong payload")
            .clean_close()
    });
    entry(l, "2.9", |id| {
        Case::new(
            id,
            "unsolicited pong, then a ping: only the ping is answered",
        )
        .send(FIN | PONG, b"unsolicited pong payload")
        .send(FIN | PING, b"ping payload")
        .expect_pong(b"ping payload")
        .clean_close()
    });
    for (id, chop) in [("2.10", 0usize), ("2.11", 1)] {
        entry(l, id, move |id| {
            let desc = if chop == 0 {
                "10 pings: 10 pongs in order"
            } else {
                "10 pings sent octet by octet: 10 pongs in order"
            };
            let mut c = Case::new(id, desc);
            for i in 0..10 {
                let p = format!("payload-{i}");
                if chop == 0 {
                    c.send(FIN | PING, p.as_bytes());
                } else {
                    c.send_chopped(FIN | PING, p.as_bytes(), chop, true);
                }
                c.expect_pong(p.as_bytes());
            }
            c.clean_close()
        });
    }
}

/// Autobahn's RSV numbering: the 3-bit field value, RSV1 being its high bit.
fn rsv(v: u8) -> u8 {
    v << 4
}

fn section3(l: &mut Vec<Entry>) {
    entry(l, "3.1", |id| {
        Case::new(id, "text with RSV = 1: fail 1002")
            .send(FIN | rsv(1) | TEXT, b"Hello, world!")
            .fails(1002)
    });
    // 3.2-3.4: a good text, a bad one, a ping (never answered).
    for (id, v, mode) in [("3.2", 2, 0), ("3.3", 3, 1), ("3.4", 4, 2)] {
        entry(l, id, move |id| {
            let how = ["", ", frame-wise with pauses", ", octet-wise"][mode];
            let mut c = Case::new(
                id,
                &format!("text, text with RSV = {v}, ping{how}: echo, then fail 1002, no pong"),
            );
            let mode = [Mode::Plain, Mode::Frames, Mode::Octets][mode];
            let good = c.frame(FIN | TEXT, b"Hello, world!");
            send_frames(&mut c, vec![good], mode);
            // The bad header must fail before the ping is sent.
            let at = header_push(&c, mode);
            let rest = vec![
                c.frame(FIN | rsv(v) | TEXT, b"Hello, world!"),
                c.frame(FIN | PING, b""),
            ];
            send_frames(&mut c, rest, mode);
            c.expect_text(b"Hello, world!").fails_fast(1002, at)
        });
    }
    entry(l, "3.5", |id| {
        Case::new(id, "binary with RSV = 5: fail 1002")
            .send(FIN | rsv(5) | BINARY, &[0xff; 8])
            .fails(1002)
    });
    entry(l, "3.6", |id| {
        Case::new(id, "ping with RSV = 6: fail 1002, no pong")
            .send(FIN | rsv(6) | PING, b"ping payload")
            .fails(1002)
    });
    entry(l, "3.7", |id| {
        Case::new(id, "close with RSV = 7: fail 1002")
            .send(FIN | rsv(7) | CLOSE, &Case::close_payload(1000, b""))
            .fails(1002)
    });
}

fn section4(l: &mut Vec<Entry>) {
    for (group, base) in [(1, 3u8), (2, 11u8)] {
        let kind = if group == 1 { "data" } else { "control" };
        entry(l, format!("4.{group}.1"), move |id| {
            Case::new(id, &format!("reserved {kind} opcode {base}: fail 1002"))
                .send(FIN | base, b"")
                .fails(1002)
        });
        entry(l, format!("4.{group}.2"), move |id| {
            Case::new(
                id,
                &format!(
                    "reserved {kind} opcode {} with payload: fail 1002",
                    base + 1
                ),
            )
            .send(FIN | (base + 1), b"reserved opcode payload")
            .fails(1002)
        });
        for k in 3..=5u8 {
            entry(l, format!("4.{group}.{k}"), move |id| {
                let op = base + k - 1;
                let how = if k == 5 { ", octet-wise" } else { "" };
                let mut c = Case::new(
                    id,
                    &format!("text, reserved opcode {op}, ping{how}: echo, fail 1002, no pong"),
                );
                let payload: &[u8] = if k == 3 {
                    b""
                } else {
                    b"reserved opcode payload"
                };
                let mode = if k == 5 { Mode::Octets } else { Mode::Plain };
                let good = c.frame(FIN | TEXT, b"Hello, world!");
                send_frames(&mut c, vec![good], mode);
                let at = header_push(&c, mode);
                let rest = vec![c.frame(FIN | op, payload), c.frame(FIN | PING, b"")];
                send_frames(&mut c, rest, mode);
                c.expect_text(b"Hello, world!").fails_fast(1002, at)
            });
        }
    }
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

fn section5(l: &mut Vec<Entry>) {
    entry(l, "5.1", |id| {
        Case::new(id, "ping in 2 fragments: fail 1002")
            .send(PING, b"fragment1")
            .send(FIN | CONT, b"fragment2")
            .fails(1002)
    });
    entry(l, "5.2", |id| {
        Case::new(id, "pong in 2 fragments: fail 1002")
            .send(PONG, b"fragment1")
            .send(FIN | CONT, b"fragment2")
            .fails(1002)
    });
    for (n, (mode, how)) in MODES.into_iter().enumerate() {
        entry(l, format!("5.{}", 3 + n), move |id| {
            let mut c = Case::new(id, &format!("text in 2 fragments{how}"));
            let frames = vec![
                c.frame(TEXT, b"fragment1"),
                c.frame(FIN | CONT, b"fragment2"),
            ];
            send_frames(&mut c, frames, mode);
            c.expect_text(b"fragment1fragment2").clean_close()
        });
        entry(l, format!("5.{}", 6 + n), move |id| {
            let mut c = Case::new(
                id,
                &format!("text in 2 fragments with a ping between{how}: pong first, then echo"),
            );
            let frames = vec![c.frame(TEXT, b"fragment1"), c.frame(FIN | PING, b"pongme!")];
            send_frames(&mut c, frames, mode);
            // The pong is sent before the message completes (RFC 6455 §5.4).
            c.expect_pong(b"pongme!").checkpoint();
            let last = c.frame(FIN | CONT, b"fragment2");
            send_frames(&mut c, vec![last], mode);
            c.expect_text(b"fragment1fragment2").clean_close()
        });
        entry(l, format!("5.{}", 9 + n), move |id| {
            let mut c = Case::new(
                id,
                &format!("continuation (FIN) with nothing to continue, then text{how}: fail 1002"),
            );
            let frames = vec![
                c.frame(FIN | CONT, b"non-continuation payload"),
                c.frame(FIN | TEXT, b"Hello, world!"),
            ];
            let at = header_push(&c, mode);
            send_frames(&mut c, frames, mode);
            // Decided at the first header: fail before the text is sent.
            c.fails_fast(1002, at)
        });
        entry(l, format!("5.{}", 12 + n), move |id| {
            let mut c = Case::new(
                id,
                &format!(
                    "continuation (no FIN) with nothing to continue, then text{how}: fail 1002"
                ),
            );
            let frames = vec![
                c.frame(CONT, b"non-continuation payload"),
                c.frame(FIN | TEXT, b"Hello, world!"),
            ];
            let at = header_push(&c, mode);
            send_frames(&mut c, frames, mode);
            c.fails_fast(1002, at)
        });
    }
    entry(l, "5.15", |id| {
        let mut c = Case::new(
            id,
            "text in 2 fragments, then continuation with nothing to continue, then text, one chop: echo, fail 1002",
        );
        let mut all = c.frame(TEXT, b"fragment1");
        all.extend(c.frame(FIN | CONT, b"fragment2"));
        all.extend(c.frame(CONT, b"fragment3"));
        all.extend(c.frame(FIN | TEXT, b"fragment4"));
        c.raw(all, false)
            .expect_text(b"fragment1fragment2")
            .fails(1002)
    });
    for (id, first) in [("5.16", CONT), ("5.17", FIN | CONT)] {
        entry(l, id, move |id| {
            let fin = if first & FIN != 0 { "with" } else { "without" };
            let mut c = Case::new(
                id,
                &format!(
                    "2x: continuation {fin} FIN with nothing to continue, then text in 2 fragments: fail 1002"
                ),
            );
            let mut all = Vec::new();
            for _ in 0..2 {
                all.extend(c.frame(first, b"fragment1"));
                all.extend(c.frame(TEXT, b"fragment2"));
                all.extend(c.frame(FIN | CONT, b"fragment3"));
            }
            c.raw(all, false).fails(1002)
        });
    }
    entry(l, "5.18", |id| {
        Case::new(id, "text in 2 fragments, both with opcode text: fail 1002")
            .send(TEXT, b"fragment1")
            .send(FIN | TEXT, b"fragment2")
            .fails(1002)
    });
    for (id, paused_all) in [("5.19", false), ("5.20", true)] {
        entry(l, id, move |id| {
            let how = if paused_all {
                "frame-wise with pauses"
            } else {
                "with pauses before the pings"
            };
            let mut c = Case::new(
                id,
                &format!(
                    "text in 5 fragments with 2 pings between, {how}: each pong at once, then echo"
                ),
            );
            c.send_paused(TEXT, b"fragment1");
            if paused_all {
                c.send_paused(CONT, b"fragment2");
            } else {
                c.send(CONT, b"fragment2");
            }
            c.send_paused(FIN | PING, b"pongme 1!");
            c.expect_pong(b"pongme 1!").checkpoint();
            c.send_paused(CONT, b"fragment3");
            c.send_paused(CONT, b"fragment4");
            c.send_paused(FIN | PING, b"pongme 2!");
            c.expect_pong(b"pongme 2!").checkpoint();
            c.send(FIN | CONT, b"fragment5");
            c.expect_text(b"fragment1fragment2fragment3fragment4fragment5")
                .clean_close()
        });
    }
    entry(l, "5.21", |id| {
        // Client role: the same bytes arrive masked from the server, and a client must fail
        // a masked frame (RFC 6455 §5.1).
        Case::new(
            id,
            "text, then an unmasked text (extra; client role: a masked one): echo, then fail 1002",
        )
        .send(FIN | TEXT, b"masked as it must be")
        .raw(Case::unmasked_frame(FIN | TEXT, b"unmasked"), false)
        .send(FIN | PING, b"never answered")
        .expect_text(b"masked as it must be")
        .fails(1002)
    });
}

/// The push that completes the first two header bytes of the next frame sent in `mode`.
fn header_push(c: &Case, mode: Mode) -> usize {
    match mode {
        Mode::Octets => c.pushes.len() + 1,
        _ => c.pushes.len(),
    }
}

const KOSME: &[u8] = "κόσμε".as_bytes();

fn section6(l: &mut Vec<Entry>) {
    entry(l, "6.1.1", |id| {
        Case::new(id, "empty text message")
            .send(FIN | TEXT, b"")
            .expect_text(b"")
            .clean_close()
    });
    entry(l, "6.1.2", |id| {
        Case::new(id, "empty text message in 3 empty fragments")
            .send(TEXT, b"")
            .send(CONT, b"")
            .send(FIN | CONT, b"")
            .expect_text(b"")
            .clean_close()
    });
    entry(l, "6.1.3", |id| {
        Case::new(id, "text in 3 fragments, first and last empty")
            .send(TEXT, b"")
            .send(CONT, b"middle frame payload")
            .send(FIN | CONT, b"")
            .expect_text(b"middle frame payload")
            .clean_close()
    });
    let hello = "Hello-µ@ßöäüàá-UTF-8!!".as_bytes();
    entry(l, "6.2.1", move |id| {
        Case::new(id, "valid UTF-8 text in one fragment")
            .send(FIN | TEXT, hello)
            .expect_text(hello)
            .clean_close()
    });
    entry(l, "6.2.2", move |id| {
        let cut = "Hello-µ@ßöä".len();
        Case::new(
            id,
            "valid UTF-8 text in 2 fragments, split at a code point boundary",
        )
        .send(TEXT, &hello[..cut])
        .send(FIN | CONT, &hello[cut..])
        .expect_text(hello)
        .clean_close()
    });
    for (id, msg, what) in [
        ("6.2.3", hello, "\"Hello-µ@ßöäüàá-UTF-8!!\""),
        ("6.2.4", KOSME, "\"κόσμε\""),
    ] {
        entry(l, id, move |id| {
            let mut c = Case::new(
                id,
                &format!("{what} with one octet per fragment (code points split across frames)"),
            );
            one_octet_frames(&mut c, msg);
            c.expect_text(msg).clean_close()
        });
    }
    let bad: Vec<u8> = [KOSME, &[0xed, 0xa0, 0x80], b"edited"].concat();
    let bad2 = bad.clone();
    entry(l, "6.3.1", move |id| {
        Case::new(
            id,
            "invalid UTF-8 (surrogate ed a0 80) in one fragment: fail 1007",
        )
        .send(FIN | TEXT, &bad)
        .fails(1007)
    });
    entry(l, "6.3.2", move |id| {
        let mut c = Case::new(
            id,
            "invalid UTF-8 (surrogate) with one octet per fragment: fail 1007 at the fragment carrying a0",
        );
        one_octet_frames(&mut c, &bad2);
        // Byte 12 (a0) cannot follow ed: fail on that fragment, before the rest is sent.
        c.fails_fast(1007, 12)
    });
    // 6.4.x: fail fast, inside a fragmented message (6.4.1/6.4.2) or a frame in chops
    // (6.4.3/6.4.4); the server must fail before the rest of the message is sent.
    let full: Vec<u8> = [KOSME, &[0xf4, 0x90, 0x80, 0x80], b"edited"].concat();
    let cuts = [(11usize, 15usize), (12, 13)];
    for (k, (a, b)) in cuts.into_iter().enumerate() {
        let f1 = full.clone();
        entry(l, format!("6.4.{}", k + 1), move |id| {
            Case::new(
                id,
                &format!(
                    "fail fast: 3 frames [{}] [{}] [{}]: fail 1007 after frame 2",
                    hexs(&f1[..a]),
                    hexs(&f1[a..b]),
                    hexs(&f1[b..])
                ),
            )
            .send_paused(TEXT, &f1[..a])
            .send_paused(CONT, &f1[a..b])
            .send(FIN | CONT, &f1[b..])
            .fails_fast(1007, 1)
        });
        let f2 = full.clone();
        entry(l, format!("6.4.{}", k + 3), move |id| {
            let mut c = Case::new(
                id,
                &format!(
                    "fail fast: one frame in 3 chops [{}] [{}] [{}]: fail 1007 after chop 2",
                    hexs(&f2[..a]),
                    hexs(&f2[a..b]),
                    hexs(&f2[b..])
                ),
            );
            let frame = c.frame(FIN | TEXT, &f2);
            let h = frame.len() - f2.len();
            c.raw(frame[..h + a].to_vec(), true)
                .raw(frame[h + a..h + b].to_vec(), true)
                .raw(frame[h + b..].to_vec(), false)
                .fails_fast(1007, 1)
        });
    }
    for (g, (name, seqs)) in utf8_groups().into_iter().enumerate() {
        for (i, (valid, bytes)) in seqs.into_iter().enumerate() {
            entry(l, format!("6.{}.{}", g + 5, i + 1), move |id| {
                let desc = format!(
                    "{name}: {} text [{}]",
                    if valid { "valid" } else { "invalid" },
                    hexs(&bytes)
                );
                let mut c = Case::new(id, &desc);
                c.send(FIN | TEXT, &bytes);
                if valid {
                    c.expect_text(&bytes).clean_close()
                } else {
                    c.fails(1007)
                }
            });
        }
    }
}

/// Sends `msg` as a text message with one octet per frame, each frame one paused push.
fn one_octet_frames(c: &mut Case, msg: &[u8]) {
    for (i, b) in msg.iter().enumerate() {
        let op = if i == 0 { TEXT } else { CONT };
        let fin = if i + 1 == msg.len() { FIN } else { 0 };
        c.send_paused(fin | op, &[*b]);
    }
}

pub fn hexs(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A named group of (valid, bytes) UTF-8 test sequences.
type Utf8Group = (&'static str, Vec<(bool, Vec<u8>)>);

/// The UTF-8 decoder test sequences (Markus Kuhn's UTF-8-test.txt, as grouped by Autobahn
/// 6.5–6.23): (group name, [(valid, bytes)]).
#[allow(clippy::vec_init_then_push, reason = "a table, one group per push")]
fn utf8_groups() -> Vec<Utf8Group> {
    let ok = |b: &[u8]| (true, b.to_vec());
    let bad = |b: &[u8]| (false, b.to_vec());
    let mut g = Vec::new();
    g.push((
        "valid UTF-8 sequences",
        vec![
            ok(b"hello$world"),
            ok("hello¢world".as_bytes()),
            ok("hello€world".as_bytes()),
            ok("hello\u{24B62}world".as_bytes()),
            ok(KOSME),
        ],
    ));
    g.push((
        "prefixes of a valid multi-byte string",
        (1..=KOSME.len())
            .map(|n| {
                (
                    std::str::from_utf8(&KOSME[..n]).is_ok(),
                    KOSME[..n].to_vec(),
                )
            })
            .collect(),
    ));
    g.push((
        "first sequence of each length",
        vec![
            ok(&[0x00]),
            ok(&[0xc2, 0x80]),
            ok(&[0xe0, 0xa0, 0x80]),
            ok(&[0xf0, 0x90, 0x80, 0x80]),
        ],
    ));
    g.push((
        "first 5/6-byte sequences (beyond U+10FFFF)",
        vec![
            bad(&[0xf8, 0x88, 0x80, 0x80, 0x80]),
            bad(&[0xfc, 0x84, 0x80, 0x80, 0x80, 0x80]),
        ],
    ));
    g.push((
        "last sequence of each length",
        vec![
            ok(&[0x7f]),
            ok(&[0xdf, 0xbf]),
            ok(&[0xef, 0xbf, 0xbf]),
            ok(&[0xf4, 0x8f, 0xbf, 0xbf]),
        ],
    ));
    g.push((
        "last 4/5/6-byte sequences (beyond U+10FFFF)",
        vec![
            bad(&[0xf7, 0xbf, 0xbf, 0xbf]),
            bad(&[0xfb, 0xbf, 0xbf, 0xbf, 0xbf]),
            bad(&[0xfd, 0xbf, 0xbf, 0xbf, 0xbf, 0xbf]),
        ],
    ));
    g.push((
        "other boundary conditions",
        vec![
            ok(&[0xed, 0x9f, 0xbf]),
            ok(&[0xee, 0x80, 0x80]),
            ok(&[0xef, 0xbf, 0xbd]),
            ok(&[0xf4, 0x8f, 0xbf, 0xbf]),
            bad(&[0xf4, 0x90, 0x80, 0x80]),
        ],
    ));
    let cont: Vec<u8> = [0x80, 0xbf].repeat(3);
    let mut unexpected: Vec<(bool, Vec<u8>)> = (1..=6).map(|n| bad(&cont[..n])).collect();
    unexpected.insert(1, bad(&[0xbf]));
    unexpected.push(bad(&(0x80..0xbf).collect::<Vec<u8>>()));
    g.push(("unexpected continuation bytes", unexpected));
    g.push((
        "lonely start bytes, each followed by a space",
        [
            (0xc0u8, 0xdfu8),
            (0xe0, 0xef),
            (0xf0, 0xf7),
            (0xf8, 0xfb),
            (0xfc, 0xfd),
        ]
        .into_iter()
        .map(|(a, b)| (false, (a..b).flat_map(|x| [x, 0x20]).collect()))
        .collect(),
    ));
    let missing: [&[u8]; 10] = [
        &[0xc0],
        &[0xe0, 0x80],
        &[0xf0, 0x80, 0x80],
        &[0xf8, 0x80, 0x80, 0x80],
        &[0xfc, 0x80, 0x80, 0x80, 0x80],
        &[0xdf],
        &[0xef, 0xbf],
        &[0xf7, 0xbf, 0xbf],
        &[0xfb, 0xbf, 0xbf, 0xbf],
        &[0xfd, 0xbf, 0xbf, 0xbf, 0xbf],
    ];
    g.push((
        "sequences with the last continuation byte missing",
        missing.iter().map(|b| bad(b)).collect(),
    ));
    g.push((
        "concatenation of incomplete sequences",
        vec![bad(&missing.concat())],
    ));
    g.push((
        "impossible bytes",
        vec![bad(&[0xfe]), bad(&[0xff]), bad(&[0xfe, 0xfe, 0xff, 0xff])],
    ));
    g.push((
        "overlong ASCII '/'",
        vec![
            bad(&[0xc0, 0xaf]),
            bad(&[0xe0, 0x80, 0xaf]),
            bad(&[0xf0, 0x80, 0x80, 0xaf]),
            bad(&[0xf8, 0x80, 0x80, 0x80, 0xaf]),
            bad(&[0xfc, 0x80, 0x80, 0x80, 0x80, 0xaf]),
        ],
    ));
    g.push((
        "maximum overlong sequences",
        vec![
            bad(&[0xc1, 0xbf]),
            bad(&[0xe0, 0x9f, 0xbf]),
            bad(&[0xf0, 0x8f, 0xbf, 0xbf]),
            bad(&[0xf8, 0x87, 0xbf, 0xbf, 0xbf]),
            bad(&[0xfc, 0x83, 0xbf, 0xbf, 0xbf, 0xbf]),
        ],
    ));
    g.push((
        "overlong NUL",
        vec![
            bad(&[0xc0, 0x80]),
            bad(&[0xe0, 0x80, 0x80]),
            bad(&[0xf0, 0x80, 0x80, 0x80]),
            bad(&[0xf8, 0x80, 0x80, 0x80, 0x80]),
            bad(&[0xfc, 0x80, 0x80, 0x80, 0x80, 0x80]),
        ],
    ));
    let singles: [[u8; 3]; 7] = [
        [0xed, 0xa0, 0x80],
        [0xed, 0xad, 0xbf],
        [0xed, 0xae, 0x80],
        [0xed, 0xaf, 0xbf],
        [0xed, 0xb0, 0x80],
        [0xed, 0xbe, 0x80],
        [0xed, 0xbf, 0xbf],
    ];
    g.push((
        "single UTF-16 surrogates",
        singles.iter().map(|b| bad(b)).collect(),
    ));
    let mut pairs = Vec::new();
    for hi in [0xa0u8, 0xad, 0xae, 0xaf] {
        let h = if hi == 0xa0 || hi == 0xae { 0x80 } else { 0xbf };
        for (lo, l2) in [(0xb0u8, 0x80u8), (0xbf, 0xbf)] {
            pairs.push(bad(&[0xed, hi, h, 0xed, lo, l2]));
        }
    }
    g.push(("paired UTF-16 surrogates", pairs));
    let mut nonchars = vec![ok(&[0xef, 0xbf, 0xbe]), ok(&[0xef, 0xbf, 0xbf])];
    for z1 in [0xf0u8, 0xf1, 0xf2, 0xf3, 0xf4] {
        for z2 in [0x8fu8, 0x9f, 0xaf, 0xbf] {
            if (z1 == 0xf4 && z2 != 0x8f) || (z1 == 0xf0 && z2 == 0x8f) {
                continue; // beyond U+10FFFF, or overlong
            }
            for z3 in [0xbeu8, 0xbf] {
                nonchars.push(ok(&[z1, z2, 0xbf, z3]));
            }
        }
    }
    g.push(("non-character code points (valid UTF-8)", nonchars));
    g.push((
        "Unicode specials",
        (0xb9u8..=0xbf).map(|x| ok(&[0xef, 0xbf, x])).collect(),
    ));
    g
}

fn section7(l: &mut Vec<Entry>) {
    let close1000 = Case::close_payload(1000, b"");
    let c1 = close1000.clone();
    entry(l, "7.1.1", move |id| {
        Case::new(id, "text, then close: echo, then close 1000")
            .send(FIN | TEXT, b"Hello World!")
            .send(FIN | CLOSE, &c1)
            .expect_text(b"Hello World!")
            .closes_with(Some(1000))
    });
    let after: [(&str, &str, u8, &[u8]); 3] = [
        (
            "7.1.2",
            "close, then a second close: one reply",
            CLOSE,
            &[0x03, 0xe8],
        ),
        (
            "7.1.3",
            "close, then a ping: no pong",
            PING,
            b"ping payload",
        ),
        (
            "7.1.4",
            "close, then text: not echoed",
            TEXT,
            b"Hello World!",
        ),
    ];
    for (id, desc, op, p) in after {
        let c1 = close1000.clone();
        entry(l, id, move |id| {
            Case::new(id, desc)
                .send(FIN | CLOSE, &c1)
                .send(FIN | op, p)
                .closes_with(Some(1000))
        });
    }
    let c1 = close1000.clone();
    entry(l, "7.1.5", move |id| {
        Case::new(
            id,
            "fragment 1 of 2, close, fragment 2: clean close 1000, nothing echoed",
        )
        .send(TEXT, b"fragment1")
        .send(FIN | CLOSE, &c1)
        .send(FIN | CONT, b"fragment2")
        .closes_with(Some(1000))
    });
    let c1 = close1000.clone();
    entry(l, "7.1.6", move |id| {
        let big = b"BAsd7&jh23".repeat(26214);
        Case::new(id, "256 KiB text, close, ping: echo, close 1000, no pong")
            .send(FIN | TEXT, &big)
            .send(FIN | CLOSE, &c1)
            .send(FIN | PING, b"ping payload")
            .expect_text(&big)
            .closes_with(Some(1000))
    });
    entry(l, "7.3.1", |id| {
        Case::new(id, "close with an empty payload: empty close in reply")
            .send(FIN | CLOSE, b"")
            .closes_with(None)
    });
    entry(l, "7.3.2", |id| {
        Case::new(id, "close with a 1-byte payload: fail 1002")
            .send(FIN | CLOSE, b"a")
            .fails(1002)
    });
    entry(l, "7.3.3", |id| {
        Case::new(id, "close 1000 without reason: close 1000")
            .send(FIN | CLOSE, &Case::close_payload(1000, b""))
            .closes_with(Some(1000))
    });
    entry(l, "7.3.4", |id| {
        Case::new(id, "close 1000 with a reason: close 1000")
            .send(FIN | CLOSE, &Case::close_payload(1000, b"Hello World!"))
            .closes_with(Some(1000))
    });
    entry(l, "7.3.5", |id| {
        Case::new(id, "close 1000 with a 123-byte reason: close 1000")
            .send(FIN | CLOSE, &Case::close_payload(1000, &[b'*'; 123]))
            .closes_with(Some(1000))
    });
    entry(l, "7.3.6", |id| {
        Case::new(
            id,
            "close 1000 with a 124-byte reason (payload 126): fail 1002",
        )
        .send(FIN | CLOSE, &Case::close_payload(1000, &[b'*'; 124]))
        .fails(1002)
    });
    entry(l, "7.5.1", |id| {
        let reason: Vec<u8> = [KOSME, &[0xed, 0xa0, 0x80], b"edited"].concat();
        Case::new(id, "close 1000 with an invalid UTF-8 reason: fail 1007")
            .send(FIN | CLOSE, &Case::close_payload(1000, &reason))
            .fails(1007)
    });
    let valid = [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999, 1012,
        1013, 1014,
    ];
    for (i, code) in valid.into_iter().enumerate() {
        entry(l, format!("7.7.{}", i + 1), move |id| {
            let extra = if i >= 13 { " (extra)" } else { "" };
            Case::new(id, &format!("close with valid code {code}: echoed{extra}"))
                .send(FIN | CLOSE, &Case::close_payload(code, b""))
                .closes_with(Some(code))
        });
    }
    let invalid = [0u16, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 1015];
    for (i, code) in invalid.into_iter().enumerate() {
        entry(l, format!("7.9.{}", i + 1), move |id| {
            let extra = if i >= 9 { " (extra)" } else { "" };
            Case::new(
                id,
                &format!("close with invalid code {code}: fail 1002{extra}"),
            )
            .send(FIN | CLOSE, &Case::close_payload(code, b""))
            .fails(1002)
        });
    }
    for (i, code) in [5000u16, 65535].into_iter().enumerate() {
        entry(l, format!("7.13.{}", i + 1), move |id| {
            Case::new(
                id,
                &format!("close with code {code} (undefined, ≥ 5000): fail 1002 (strict)"),
            )
            .send(FIN | CLOSE, &Case::close_payload(code, b""))
            .fails(1002)
        });
    }
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// Text payloads for large cases: ASCII with a multi-byte code point every so often.
fn big_text(n: usize) -> Vec<u8> {
    let unit = "BAsd7&jh23 κόσμε €".as_bytes();
    let mut v = unit.repeat(n / unit.len() + 1);
    v.truncate(n);
    // Cut back to a code point boundary, then pad with ASCII.
    while std::str::from_utf8(&v).is_err() {
        v.pop();
    }
    v.resize(n, b'*');
    v
}

fn big_binary(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn payload(op: u8, n: usize) -> Vec<u8> {
    if op == TEXT {
        big_text(n)
    } else {
        big_binary(n)
    }
}

/// Sends `msg` as one message in frames of `frag` bytes.
fn fragmented(c: &mut Case, op: u8, msg: &[u8], frag: usize) {
    let n = msg.len().div_ceil(frag).max(1);
    let mut all = Vec::with_capacity(msg.len() + n * 14);
    for (i, piece) in msg.chunks(frag.max(1)).enumerate() {
        let o = if i == 0 { op } else { CONT };
        let fin = if i + 1 == n { FIN } else { 0 };
        all.extend(c.frame(fin | o, piece));
    }
    // One push per 64 KiB of wire bytes.
    c.chop(&all, 64 * KIB, false);
}

fn section9(l: &mut Vec<Entry>) {
    let sizes = [64 * KIB, 256 * KIB, MIB, 4 * MIB];
    for (g, op) in [(1, TEXT), (2, BINARY)] {
        let kind = if op == TEXT { "text" } else { "binary" };
        for (i, n) in sizes.into_iter().enumerate() {
            entry(l, format!("9.{g}.{}", i + 1), move |id| {
                let msg = payload(op, n);
                Case::new(id, &format!("{kind} message of {} KiB", n / KIB))
                    .send(FIN | op, &msg)
                    .expect(echo(op, &msg))
                    .clean_close()
            });
        }
    }
    // Autobahn uses 4 MiB messages here; 1 MiB keeps the debug-build test fast.
    let frags = [64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, MIB];
    for (g, op) in [(3, TEXT), (4, BINARY)] {
        let kind = if op == TEXT { "text" } else { "binary" };
        for (i, f) in frags.into_iter().enumerate() {
            entry(l, format!("9.{g}.{}", i + 1), move |id| {
                let msg = payload(op, MIB);
                let mut c = Case::new(
                    id,
                    &format!("1 MiB {kind} message in fragments of {f} bytes"),
                );
                fragmented(&mut c, op, &msg, f);
                c.expect(echo(op, &msg)).clean_close()
            });
        }
    }
    for (g, op) in [(5, TEXT), (6, BINARY)] {
        let kind = if op == TEXT { "text" } else { "binary" };
        for (i, chop) in [64usize, 128, 256, 512, 1024, 2048].into_iter().enumerate() {
            entry(l, format!("9.{g}.{}", i + 1), move |id| {
                let msg = payload(op, MIB);
                Case::new(
                    id,
                    &format!("1 MiB {kind} message in chops of {chop} bytes"),
                )
                .send_chopped(FIN | op, &msg, chop, false)
                .expect(echo(op, &msg))
                .clean_close()
            });
        }
    }
    for (g, op) in [(7, TEXT), (8, BINARY)] {
        let kind = if op == TEXT { "text" } else { "binary" };
        for (i, n) in [0usize, 16, 64, 256, KIB, 4 * KIB].into_iter().enumerate() {
            entry(l, format!("9.{g}.{}", i + 1), move |id| {
                let msg = payload(op, n);
                let mut c = Case::new(id, &format!("1000 {kind} messages of {n} bytes"));
                for _ in 0..1000 {
                    c.send(FIN | op, &msg);
                    c.expect(echo(op, &msg));
                }
                c.clean_close()
            });
        }
    }
}

fn section10(l: &mut Vec<Entry>) {
    let cases: [(&str, u8, usize, usize, usize); 5] = [
        ("10.1.1", TEXT, 65536, 1300, 1300),
        ("10.1.2", BINARY, 65536, 1300, 1300),
        ("10.1.3", TEXT, MIB, MIB, 4096),
        ("10.1.4", TEXT, 4 * KIB, 7, 1),
        ("10.1.5", BINARY, 4 * MIB, 65536, 100_000),
    ];
    for (id, op, n, client_frag, server_frag) in cases {
        entry(l, id, move |id| {
            let kind = if op == TEXT { "text" } else { "binary" };
            let extra = if id == "10.1.1" { "" } else { " (extra)" };
            let msg = payload(op, n);
            let mut c = Case::new(
                id,
                &format!(
                    "{n}-byte {kind} message, client frames of {client_frag}, server fragments its echo at {server_frag}{extra}"
                ),
            );
            c.server_max_frame = Some(server_frag);
            fragmented(&mut c, op, &msg, client_frag);
            c.expect(echo(op, &msg)).clean_close()
        });
    }
}
