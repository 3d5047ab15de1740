//! What changes in a conformance case with the mode of the run: permessage-deflate agreed
//! (RSV1 gets a meaning, RFC 7692 §6), or a **client** under test (the case's masked client
//! frames re-framed as server frames). Shared by the loopback runner and the in-process test
//! (which checks that [`DEFLATE_CHANGES`] lists every affected case and that re-framing keeps
//! payloads and push boundaries).
#![allow(dead_code, unreachable_pub)]

use super::cases::{Case, Checkpoint, Out, Push};

/// One frame in a byte stream, its header decoded by hand: any opcode, any RSV bits, control
/// frames of any length, masked or not (the tables build malformed-but-parseable frames).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawFrame {
    /// Offset of the first header byte.
    pub start: usize,
    /// FIN, RSV and opcode.
    pub b0: u8,
    /// Header length up to (not including) the masking key.
    pub head: usize,
    /// The masking key, if the mask bit is set.
    pub key: Option<[u8; 4]>,
    /// Where the payload starts and ends.
    pub payload: std::ops::Range<usize>,
}

/// The frames of `bytes`, in order; a truncated frame at the end is not listed (its bytes
/// are carried over unchanged by [`to_server_frames`]).
pub fn walk(bytes: &[u8]) -> Vec<RawFrame> {
    let mut frames = Vec::new();
    let mut at = 0;
    while let Some(f) = frame_at(bytes, at) {
        at = f.payload.end;
        frames.push(f);
    }
    frames
}

fn frame_at(bytes: &[u8], start: usize) -> Option<RawFrame> {
    let b = bytes.get(start..)?;
    let (&b0, &b1) = (b.first()?, b.get(1)?);
    let (len, mut head) = match b1 & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes(b.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(b.get(2..10)?.try_into().ok()?), 10),
        n => (u64::from(n), 2),
    };
    let key = if b1 & 0x80 != 0 {
        let k: [u8; 4] = b.get(head..head + 4)?.try_into().ok()?;
        head += 4;
        Some(k)
    } else {
        None
    };
    let from = start + head;
    let to = from.checked_add(usize::try_from(len).ok()?)?;
    (to <= bytes.len()).then(|| RawFrame {
        start,
        b0,
        head: head - if key.is_some() { 4 } else { 0 },
        key,
        payload: from..to,
    })
}

/// The masking key given to a frame the table sends *unmasked* (a masking case), so that the
/// client under test sees a masked server frame: the counterpart case.
const SERVER_KEY: [u8; 4] = [0x5a, 0xc3, 0x3c, 0xa5];

/// The case's client bytes as a server sends them (RFC 6455 §5.1): every frame with its mask
/// bit flipped — a masked frame loses its key and is unmasked, an unmasked one (a case about
/// masking) gets [`SERVER_KEY`] — header, RSV bits, opcode and length otherwise unchanged.
/// The pushes keep their number (a push inside a removed key becomes empty) and pauses; each
/// push ends where its end maps to (a boundary inside a removed key: the payload start).
pub fn to_server_frames(pushes: &[Push]) -> Vec<Push> {
    let old: Vec<u8> = pushes
        .iter()
        .flat_map(|p| p.bytes.iter().copied())
        .collect();
    let frames = walk(&old);
    let mut new = Vec::with_capacity(old.len());
    // (old offset, new offset) at the start of each frame's payload, for the mapping.
    let mut anchors = Vec::with_capacity(frames.len());
    for f in &frames {
        let head = &old[f.start..f.start + f.head];
        new.push(head[0]);
        new.push(head[1] ^ 0x80);
        new.extend_from_slice(&head[2..]);
        let key = match f.key {
            Some(k) => k,
            None => {
                new.extend_from_slice(&SERVER_KEY);
                SERVER_KEY
            }
        };
        anchors.push((f.payload.start, new.len()));
        let at = new.len();
        new.extend_from_slice(&old[f.payload.clone()]);
        for (i, b) in new[at..].iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    let tail = frames.last().map_or(0, |f| f.payload.end);
    let tail_new = new.len();
    new.extend_from_slice(&old[tail..]);
    let map = |o: usize| -> usize {
        if o >= tail {
            return tail_new + (o - tail);
        }
        let i = frames.partition_point(|f| f.payload.end <= o);
        let f = &frames[i];
        let (p_old, p_new) = anchors[i];
        let start_new = p_new - f.head - if f.key.is_some() { 0 } else { 4 };
        if o < f.start + f.head {
            start_new + (o - f.start)
        } else {
            p_new + o.saturating_sub(p_old)
        }
    };
    let mut out = Vec::with_capacity(pushes.len());
    let (mut from_old, mut from_new) = (0, 0);
    for p in pushes {
        from_old += p.bytes.len();
        let to = map(from_old);
        out.push(Push {
            bytes: new[from_new..to].to_vec(),
            pause: p.pause,
        });
        from_new = to;
    }
    out
}

/// The index of the push in which byte `offset - 1` of the pushes' stream arrives.
pub fn push_ending_at(pushes: &[Push], offset: usize) -> usize {
    let mut end = 0;
    for (i, p) in pushes.iter().enumerate() {
        end += p.bytes.len();
        if end >= offset {
            return i;
        }
    }
    pushes.len().saturating_sub(1)
}

/// The end offsets of the case's data frames (text, binary, continuation) that set RSV1.
pub fn rsv1_data_frames(case: &Case) -> Vec<usize> {
    let bytes: Vec<u8> = case
        .pushes
        .iter()
        .flat_map(|p| p.bytes.iter().copied())
        .collect();
    walk(&bytes)
        .iter()
        .filter(|f| f.b0 & 0x40 != 0 && f.b0 & 0x0f <= 2)
        .map(|f| f.payload.end)
        .collect()
}

/// The cases whose frames put RSV1 on a data frame: their meaning changes once
/// permessage-deflate is agreed (RSV1 then marks a compressed message, RFC 7692 §6). Each
/// with its expectation in deflate mode and why; [`for_deflate`] applies them.
pub const DEFLATE_CHANGES: &[(&str, DeflateExpect, &str)] = &[
    (
        "3.4",
        DeflateExpect::FailAfterFrame(1007),
        "RSV1 alone now marks a compressed text; its payload \"Hello, world!\" is no DEFLATE \
         data (0x48: a stored block whose LEN/NLEN do not match), so the receiver fails when \
         it inflates: 1007 as wswire's ProtocolError::Inflate (RFC 6455 §7.4.1: 1007 for data \
         inconsistent with the message type; RFC 7692 names no code) — once the whole frame \
         is in, not at its header; the ping is still unanswered",
    ),
    (
        "3.5",
        DeflateExpect::Unchanged,
        "RSV = 5 is RSV1 | RSV3: RSV3 is still not negotiated, so 1002 as before (RFC 6455 §5.2)",
    ),
];

/// A deflate-mode expectation in [`DEFLATE_CHANGES`].
#[derive(Clone, Copy, Debug)]
pub enum DeflateExpect {
    /// The same outcome as without deflate.
    Unchanged,
    /// The final Close carries this code instead, and is due by the end of the push that
    /// completes the (first) RSV1 data frame.
    FailAfterFrame(u16),
}

/// The case as it must go when permessage-deflate is agreed: changed per
/// [`DEFLATE_CHANGES`], or `Err` naming a case with an RSV1 data frame missing from it.
pub fn for_deflate(mut case: Case) -> Result<Case, String> {
    let rsv1 = rsv1_data_frames(&case);
    let change = DEFLATE_CHANGES.iter().find(|(id, _, _)| *id == case.id);
    match (change, rsv1.first()) {
        (None, None) => Ok(case),
        (None, Some(_)) => Err(format!(
            "{}: RSV1 on a data frame, but not in roles::DEFLATE_CHANGES",
            case.id
        )),
        (Some(_), None) => Err(format!(
            "{}: listed in roles::DEFLATE_CHANGES but has no RSV1 data frame",
            case.id
        )),
        (Some((_, DeflateExpect::Unchanged, _)), Some(_)) => Ok(case),
        (Some((_, DeflateExpect::FailAfterFrame(code), _)), Some(&end)) => {
            let last = case.expect.len();
            match case.expect.last_mut() {
                Some(Out::Close(c)) => *c = Some(*code),
                _ => return Err(format!("{}: does not end in a Close", case.id)),
            }
            case.checkpoints.retain(|cp| cp.outputs != last);
            case.checkpoints.push(Checkpoint {
                after_push: push_ending_at(&case.pushes, end),
                outputs: last,
            });
            Ok(case)
        }
    }
}

/// The case for a client under test: the same script and expectations, the frames re-framed
/// as a server's ([`to_server_frames`]).
pub fn for_client(mut case: Case) -> Case {
    case.pushes = to_server_frames(&case.pushes);
    case
}
