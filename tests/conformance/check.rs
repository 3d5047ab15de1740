//! Strict checking of what the peer under test (a server, or over loopback also a client)
//! sent for a conformance case, shared by the in-process test and the loopback runner.
#![allow(dead_code, unreachable_pub)]

use wswire::frame::{CloseFrame, Decoded, FrameHeader, Opcode, Rsv};

use super::cases::{Case, Out};

/// What a runner saw from the server.
#[derive(Debug)]
pub struct Observed {
    /// Every byte the peer sent after its handshake.
    pub output: Vec<u8>,
    /// `output.len()` at the end of each push (before the next one was sent).
    pub marks: Vec<usize>,
    /// Whether (and how) the server closed the transport after its last byte: `Ok` with a
    /// note (e.g. "EOF"), or `Err` with what happened instead.
    pub closed: Result<String, String>,
    /// A runner-level problem (e.g. the echo loop's send was refused).
    pub harness_error: Option<String>,
    /// How the peer frames its output (a server without extensions unless set).
    pub wire: Wire,
}

impl Default for Observed {
    fn default() -> Self {
        Self {
            output: Vec::new(),
            marks: Vec::new(),
            closed: Err("not run".into()),
            harness_error: None,
            wire: Wire::default(),
        }
    }
}

/// How the peer under test frames what it sends.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wire {
    /// The peer is a client: every frame it sends must be masked (RFC 6455 §5.1); a
    /// server's frames never are.
    pub client: bool,
    /// permessage-deflate was agreed (RFC 7692): `Some(no_context_takeover)` for the peer's
    /// compressor, `None` when nothing was agreed and every RSV bit is an error.
    pub deflate: Option<bool>,
}

impl Wire {
    /// Who is under test, for messages.
    pub fn peer(&self) -> &'static str {
        if self.client { "client" } else { "server" }
    }
}

/// The peer's frames, data messages reassembled (and inflated), each with the output offset
/// where it ended; plus the largest data-frame payload and the number of data frames.
#[derive(Debug, Default)]
pub struct Parsed {
    pub outs: Vec<(Out, usize)>,
    pub max_data_frame: usize,
    pub data_frames: usize,
    /// Data messages that came compressed (RSV1) and were inflated.
    pub compressed: usize,
}

/// Parses server output strictly: unmasked, no RSV bits, minimal lengths, legal opcodes and
/// fragmentation, valid UTF-8 text, a valid Close payload, nothing after the Close.
pub fn parse_server_output(bytes: &[u8]) -> Result<Parsed, String> {
    parse(bytes, false, Wire::default())
}

/// How many data messages in `obs` came compressed (0 if the output does not parse).
pub fn compressed_messages(obs: &Observed) -> usize {
    parse(&obs.output, false, obs.wire).map_or(0, |p| p.compressed)
}

/// The outputs complete so far in a stream still arriving (`None` if it is already wrong),
/// and whether the last of them is the peer's Close.
pub fn complete_outputs(bytes: &[u8], wire: Wire) -> Option<(usize, bool)> {
    let p = parse(bytes, true, wire).ok()?;
    let closed = matches!(p.outs.last(), Some((Out::Close(_), _)));
    Some((p.outs.len(), closed))
}

/// A data message being reassembled: its opcode, whether its first frame had RSV1, and the
/// (still compressed) payload so far.
type OpenMessage = (Opcode, bool, Vec<u8>);

/// The strict parser's state; see [`parse_server_output`] for the rules. Under
/// permessage-deflate RSV1 may also mark the first frame of a data message (RFC 7692 §6),
/// whose payload is then inflated here with flate2 (not with wswire's inflater).
struct Parser {
    wire: Wire,
    partial: bool,
    p: Parsed,
    open: Option<OpenMessage>,
    closed: bool,
    /// One decompression context across messages (context takeover), created lazily.
    inflater: Option<flate2::Decompress>,
}

fn parse(bytes: &[u8], partial: bool, wire: Wire) -> Result<Parsed, String> {
    let mut ps = Parser {
        wire,
        partial,
        p: Parsed::default(),
        open: None,
        closed: false,
        inflater: None,
    };
    let mut at = 0;
    while at < bytes.len() {
        if ps.closed {
            return Err(format!(
                "{} byte(s) after the {}'s Close",
                bytes.len() - at,
                wire.peer()
            ));
        }
        match ps.frame(bytes, at)? {
            Some(next) => at = next,
            None => return Ok(ps.p),
        }
    }
    if ps.open.is_some() && !partial {
        return Err("fragmented message left unfinished".into());
    }
    Ok(ps.p)
}

impl Parser {
    /// Checks the frame at `at` and records what it completes; returns where the next frame
    /// starts, or `None` when a partial stream ends inside this frame.
    fn frame(&mut self, bytes: &[u8], at: usize) -> Result<Option<usize>, String> {
        let peer = self.wire.peer();
        let (h, n) = match FrameHeader::decode(&bytes[at..]) {
            Ok(Decoded::Complete(x)) => x,
            Ok(Decoded::Incomplete { .. }) if self.partial => return Ok(None),
            Ok(Decoded::Incomplete { .. }) => {
                return Err(format!("truncated frame header at offset {at}"));
            }
            Err(e) => return Err(format!("bad frame header at offset {at}: {e}")),
        };
        match (h.mask, self.wire.client) {
            (Some(_), false) => return Err(format!("masked server frame at offset {at}")),
            (None, true) => return Err(format!("unmasked client frame at offset {at}")),
            _ => {}
        }
        let compressed = self.rsv(&h, at)?;
        let start = at + n;
        if self.partial && start as u64 + h.payload_len > bytes.len() as u64 {
            return Ok(None);
        }
        let end = start
            .checked_add(usize::try_from(h.payload_len).map_err(|_| "huge frame")?)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| format!("truncated frame payload at offset {at}"))?;
        let mut payload = bytes[start..end].to_vec();
        if let Some(key) = h.mask {
            // Unmasked by hand (RFC 6455 §5.3), not with the crate's masking code.
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key.0[i % 4];
            }
        }
        match h.opcode {
            Opcode::Text | Opcode::Binary | Opcode::Continuation => {
                self.data(h.opcode, h.fin, compressed, payload, end)?;
            }
            Opcode::Ping => self.p.outs.push((Out::Ping(payload), end)),
            Opcode::Pong => self.p.outs.push((Out::Pong(payload), end)),
            Opcode::Close => {
                let code = CloseFrame::decode(&payload)
                    .map_err(|e| format!("{peer} sent a bad Close payload: {e}"))?
                    .map(|f| f.code.as_u16());
                self.p.outs.push((Out::Close(code), end));
                self.closed = true;
            }
            other => return Err(format!("unexpected opcode {other:?}")),
        }
        Ok(Some(end))
    }

    /// The RSV rules: none at all, or under permessage-deflate RSV1 alone on the first frame
    /// of a data message (RFC 7692 §6). Returns whether the frame starts a compressed message.
    fn rsv(&self, h: &FrameHeader, at: usize) -> Result<bool, String> {
        if h.rsv.is_empty() {
            return Ok(false);
        }
        let first_data = matches!(h.opcode, Opcode::Text | Opcode::Binary);
        if self.wire.deflate.is_some() && h.rsv == Rsv::RSV1 && first_data {
            return Ok(true);
        }
        Err(format!(
            "RSV bits {:#04x} set at offset {at} ({:?} frame{})",
            h.rsv.bits(),
            h.opcode,
            if self.wire.deflate.is_some() {
                ", permessage-deflate allows RSV1 only on a message's first frame"
            } else {
                ", nothing negotiated"
            }
        ))
    }

    /// A data frame: reassembles, and at FIN inflates and checks the message.
    fn data(
        &mut self,
        op: Opcode,
        fin: bool,
        compressed: bool,
        payload: Vec<u8>,
        end: usize,
    ) -> Result<(), String> {
        self.p.data_frames += 1;
        self.p.max_data_frame = self.p.max_data_frame.max(payload.len());
        let (kind, compressed, mut data) = match (op, self.open.take()) {
            (Opcode::Continuation, Some(m)) => m,
            (Opcode::Continuation, None) => {
                return Err("continuation frame with nothing to continue".into());
            }
            (_, Some(_)) => return Err("new data frame inside a fragmented message".into()),
            (op, None) => (op, compressed, Vec::new()),
        };
        data.extend_from_slice(&payload);
        if !fin {
            self.open = Some((kind, compressed, data));
            return Ok(());
        }
        if compressed {
            data = self.inflate(&data)?;
            self.p.compressed += 1;
        }
        let out = if kind == Opcode::Text {
            if std::str::from_utf8(&data).is_err() {
                return Err(format!("{} sent invalid UTF-8 text", self.wire.peer()));
            }
            Out::Text(data)
        } else {
            Out::Binary(data)
        };
        self.p.outs.push((out, end));
        Ok(())
    }

    /// Inflates one compressed message (RFC 7692 §7.2.2): its payload with `00 00 ff ff`
    /// appended, raw DEFLATE, in the context kept from earlier messages unless the peer
    /// agreed to no context takeover or a final block ended the stream.
    fn inflate(&mut self, data: &[u8]) -> Result<Vec<u8>, String> {
        use flate2::{Decompress, FlushDecompress, Status};
        let d = self.inflater.get_or_insert_with(|| Decompress::new(false));
        let mut input = data.to_vec();
        input.extend_from_slice(&[0, 0, 0xff, 0xff]);
        let mut out = Vec::with_capacity(input.len() * 4 + 64);
        let mut used = 0;
        let ended = loop {
            if out.len() == out.capacity() {
                out.reserve(out.capacity());
            }
            let (in0, out0) = (d.total_in(), out.len());
            let status = d
                .decompress_vec(&input[used..], &mut out, FlushDecompress::Sync)
                .map_err(|e| format!("compressed message does not inflate: {e}"))?;
            used += (d.total_in() - in0) as usize;
            if status == Status::StreamEnd {
                break true;
            }
            if used == input.len() && out.len() < out.capacity() {
                break false;
            }
            if d.total_in() == in0 && out.len() == out0 && out.len() < out.capacity() {
                return Err("compressed message: inflate made no progress".into());
            }
        };
        if ended || self.wire.deflate == Some(true) {
            d.reset(false);
        }
        Ok(out)
    }
}

/// Checks `obs` against the case's strict expectations. `check_fragmentation`: also require
/// the server's data frames to respect `case.server_max_frame` (in process only).
pub fn check(case: &Case, obs: &Observed, check_fragmentation: bool) -> Result<(), String> {
    if let Some(e) = &obs.harness_error {
        return Err(format!("harness: {e}"));
    }
    let peer = obs.wire.peer();
    let parsed = parse(&obs.output, false, obs.wire)?;
    let got: Vec<&Out> = parsed.outs.iter().map(|(o, _)| o).collect();
    let want: Vec<&Out> = case.expect.iter().collect();
    if got != want {
        let i = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
        return Err(format!(
            "{peer} sent {} item(s), expected {}; first difference at #{i}: got {:?}, expected {:?}",
            got.len(),
            want.len(),
            got.get(i),
            want.get(i)
        ));
    }
    for cp in &case.checkpoints {
        let need = parsed.outs[cp.outputs - 1].1;
        let by = obs.marks.get(cp.after_push).copied().unwrap_or(0);
        if need > by {
            let when = obs.marks.iter().position(|m| *m >= need);
            return Err(format!(
                "not on time: {:?} was due by the end of push {} (of {}), came {}",
                case.expect[cp.outputs - 1],
                cp.after_push + 1,
                case.pushes.len(),
                when.map_or("only after the script ended".to_owned(), |w| format!(
                    "after push {}",
                    w + 1
                ))
            ));
        }
    }
    if check_fragmentation && let Some(max) = case.server_max_frame {
        if parsed.max_data_frame > max {
            return Err(format!(
                "server data frame of {} bytes exceeds max_frame_payload {max}",
                parsed.max_data_frame
            ));
        }
        let data_bytes: usize = case
            .expect
            .iter()
            .map(|o| match o {
                Out::Text(b) | Out::Binary(b) => b.len().div_ceil(max).max(1),
                _ => 0,
            })
            .sum();
        if parsed.data_frames != data_bytes {
            return Err(format!(
                "server sent {} data frames, expected {data_bytes} at {max} bytes each",
                parsed.data_frames
            ));
        }
    }
    match &obs.closed {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("transport not closed by the {peer}: {e}")),
    }
}

/// A one-line summary of the expected outcome, for reports.
pub fn outcome(case: &Case) -> String {
    let mut parts: Vec<String> = Vec::new();
    let (mut texts, mut bins, mut pongs) = (0, 0, 0);
    for o in &case.expect {
        match o {
            Out::Text(_) => texts += 1,
            Out::Binary(_) => bins += 1,
            Out::Pong(_) => pongs += 1,
            _ => {}
        }
    }
    if texts > 0 {
        parts.push(format!("{texts} text echo"));
    }
    if bins > 0 {
        parts.push(format!("{bins} binary echo"));
    }
    if pongs > 0 {
        parts.push(format!("{pongs} pong"));
    }
    match case.expect.last() {
        Some(Out::Close(Some(c))) if case.valid => parts.push(format!("close {c} echoed")),
        Some(Out::Close(None)) => parts.push("empty close echoed".into()),
        Some(Out::Close(Some(c))) => parts.push(format!("fail {c}")),
        _ => {}
    }
    if !case.checkpoints.is_empty() {
        parts.push("on time".into());
    }
    parts.join(", ")
}
