//! Strict checking of what a server sent for a conformance case, shared by the in-process
//! test and the loopback runner.
#![allow(dead_code, unreachable_pub)]

use wswire::frame::{CloseFrame, Decoded, FrameHeader, Opcode};

use super::cases::{Case, Out};

/// What a runner saw from the server.
#[derive(Debug)]
pub struct Observed {
    /// Every byte the server sent after its handshake.
    pub output: Vec<u8>,
    /// `output.len()` at the end of each push (before the next one was sent).
    pub marks: Vec<usize>,
    /// Whether (and how) the server closed the transport after its last byte: `Ok` with a
    /// note (e.g. "EOF"), or `Err` with what happened instead.
    pub closed: Result<String, String>,
    /// A runner-level problem (e.g. the echo loop's send was refused).
    pub harness_error: Option<String>,
}

impl Default for Observed {
    fn default() -> Self {
        Self {
            output: Vec::new(),
            marks: Vec::new(),
            closed: Err("not run".into()),
            harness_error: None,
        }
    }
}

/// The server's frames, data messages reassembled, each with the output offset where it
/// ended; plus the largest data-frame payload and the number of data frames.
#[derive(Debug, Default)]
pub struct Parsed {
    pub outs: Vec<(Out, usize)>,
    pub max_data_frame: usize,
    pub data_frames: usize,
}

/// Parses server output strictly: unmasked, no RSV bits, minimal lengths, legal opcodes and
/// fragmentation, valid UTF-8 text, a valid Close payload, nothing after the Close.
pub fn parse_server_output(bytes: &[u8]) -> Result<Parsed, String> {
    parse(bytes, false)
}

/// The outputs complete so far in a stream still arriving (`None` if it is already wrong),
/// and whether the last of them is the server's Close.
pub fn complete_outputs(bytes: &[u8]) -> Option<(usize, bool)> {
    let p = parse(bytes, true).ok()?;
    let closed = matches!(p.outs.last(), Some((Out::Close(_), _)));
    Some((p.outs.len(), closed))
}

fn parse(bytes: &[u8], partial: bool) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    let mut at = 0;
    let mut open: Option<(Opcode, Vec<u8>)> = None;
    let mut closed = false;
    while at < bytes.len() {
        if closed {
            return Err(format!(
                "{} byte(s) after the server's Close",
                bytes.len() - at
            ));
        }
        let (h, n) = match FrameHeader::decode(&bytes[at..]) {
            Ok(Decoded::Complete(x)) => x,
            Ok(Decoded::Incomplete { .. }) if partial => return Ok(p),
            Ok(Decoded::Incomplete { .. }) => {
                return Err(format!("truncated frame header at offset {at}"));
            }
            Err(e) => return Err(format!("bad frame header at offset {at}: {e}")),
        };
        if h.mask.is_some() {
            return Err(format!("masked server frame at offset {at}"));
        }
        if !h.rsv.is_empty() {
            return Err(format!("RSV bits set at offset {at}"));
        }
        let start = at + n;
        if partial && start as u64 + h.payload_len > bytes.len() as u64 {
            return Ok(p);
        }
        let end = start
            .checked_add(usize::try_from(h.payload_len).map_err(|_| "huge frame")?)
            .filter(|e| *e <= bytes.len())
            .ok_or_else(|| format!("truncated frame payload at offset {at}"))?;
        let payload = &bytes[start..end];
        at = end;
        match h.opcode {
            Opcode::Text | Opcode::Binary | Opcode::Continuation => {
                p.data_frames += 1;
                p.max_data_frame = p.max_data_frame.max(payload.len());
                let (kind, mut data) = match (h.opcode, open.take()) {
                    (Opcode::Continuation, Some(m)) => m,
                    (Opcode::Continuation, None) => {
                        return Err("continuation frame with nothing to continue".into());
                    }
                    (_, Some(_)) => return Err("new data frame inside a fragmented message".into()),
                    (op, None) => (op, Vec::new()),
                };
                data.extend_from_slice(payload);
                if h.fin {
                    let out = if kind == Opcode::Text {
                        if std::str::from_utf8(&data).is_err() {
                            return Err("server sent invalid UTF-8 text".into());
                        }
                        Out::Text(data)
                    } else {
                        Out::Binary(data)
                    };
                    p.outs.push((out, at));
                } else {
                    open = Some((kind, data));
                }
            }
            Opcode::Ping => p.outs.push((Out::Ping(payload.to_vec()), at)),
            Opcode::Pong => p.outs.push((Out::Pong(payload.to_vec()), at)),
            Opcode::Close => {
                let code = CloseFrame::decode(payload)
                    .map_err(|e| format!("server sent a bad Close payload: {e}"))?
                    .map(|f| f.code.as_u16());
                p.outs.push((Out::Close(code), at));
                closed = true;
            }
            other => return Err(format!("unexpected opcode {other:?}")),
        }
    }
    if open.is_some() && !partial {
        return Err("fragmented message left unfinished".into());
    }
    Ok(p)
}

/// Checks `obs` against the case's strict expectations. `check_fragmentation`: also require
/// the server's data frames to respect `case.server_max_frame` (in process only).
pub fn check(case: &Case, obs: &Observed, check_fragmentation: bool) -> Result<(), String> {
    if let Some(e) = &obs.harness_error {
        return Err(format!("harness: {e}"));
    }
    let parsed = parse_server_output(&obs.output)?;
    let got: Vec<&Out> = parsed.outs.iter().map(|(o, _)| o).collect();
    let want: Vec<&Out> = case.expect.iter().collect();
    if got != want {
        let i = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
        return Err(format!(
            "server sent {} item(s), expected {}; first difference at #{i}: got {:?}, expected {:?}",
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
        Err(e) => Err(format!("transport not closed by the server: {e}")),
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
