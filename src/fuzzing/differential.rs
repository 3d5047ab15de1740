//! The differential harness: the same bytes into wswire's [`Receiver`] and into another
//! implementation's (tungstenite's, run by the fuzz crate, which alone depends on it), both
//! roles; any disagreement outside the classes below is a finding.
//!
//! Allowed disagreements, each where wswire is stricter or earlier by design:
//! - **Non-minimal lengths** ([`FrameError::NonMinimalLength`]): RFC 6455 §5.2, "the minimal
//!   number of bytes MUST be used to encode the length". This covers control frames in the
//!   16/64-bit length form ([`FrameError::ControlFrameTooLong`] for a length ≤ 125).
//! - **Failing before a frame has fully arrived**: wswire judges a header (opcode, RSV,
//!   masking, sequencing, limits) as soon as it is complete and text as it arrives (RFC 6455
//!   §8.1, fail fast), where the other may wait for the payload.
//! - **Which rule wins** when a frame breaks two: both fail, possibly with different codes.
//! - **How a failure is reported**: the other may hand out a Close carrying the code it fails
//!   with (e.g. 1002 for an invalid close code, RFC 6455 §7.4.1) where wswire reports the
//!   error itself.
//! - **Close codes 1012–1014** (IANA-registered after RFC 6455, §7.4.2) accepted by wswire,
//!   where the other rejects them or reports them as 1002.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::Role;
use crate::error::ProtocolError;
use crate::frame::{CloseCode, FrameError};
use crate::recv::{Delivery, Event, Receiver, RecvConfig};

/// The message and frame size limit both sides are given.
pub const LIMIT: u64 = 1 << 20;

/// A whole message (or control frame) delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The close code, `None` for an empty Close.
    Close(Option<u16>),
}

/// How decoding ended once the input was used up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Waiting for more bytes (or stopped at a Close).
    NeedMore,
    /// wswire failed the connection.
    Ours(ProtocolError),
    /// The other implementation failed: its error, as text.
    Theirs(String),
}

/// What one implementation made of the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub messages: Vec<Msg>,
    pub end: End,
}

/// Input layout: byte 0 bit 0 picks the role (1: client, receiving unmasked server frames);
/// the rest is the stream, given whole.
pub fn differential(data: &[u8], theirs: fn(client: bool, bytes: &[u8]) -> Outcome) {
    let Some((&opts, stream)) = data.split_first() else {
        return;
    };
    let client = opts & 1 == 1;
    let ours = outcome(client, stream);
    let other = theirs(client, stream);
    if let Err(why) = compare(&ours, &other) {
        panic!("differential finding: {why}\nwswire: {ours:?}\nother: {other:?}");
    }
}

/// wswire's outcome: a buffered [`Receiver`] delivering whole messages, limits [`LIMIT`],
/// the bytes given whole.
pub fn outcome(client: bool, bytes: &[u8]) -> Outcome {
    outcome_chunked(client, bytes, bytes.len().max(1))
}

/// [`outcome`] with the bytes given one at a time: the stand-in for the other side where the
/// fuzz crate (and tungstenite) is absent, as when `cargo test` replays the seeds.
pub(super) fn outcome_bytewise(client: bool, bytes: &[u8]) -> Outcome {
    outcome_chunked(client, bytes, 1)
}

fn outcome_chunked(client: bool, bytes: &[u8], chunk: usize) -> Outcome {
    let role = if client { Role::Client } else { Role::Server };
    let config = RecvConfig {
        max_message_size: LIMIT,
        max_frame_payload: LIMIT,
        ..RecvConfig::default()
    };
    let mut rx = Receiver::with_delivery(role, config, Delivery::Messages);
    let mut messages = Vec::new();
    for piece in bytes.chunks(chunk) {
        rx.handle_input(piece);
        if let Some(end) = drain(&mut rx, &mut messages) {
            return Outcome { messages, end };
        }
    }
    Outcome {
        messages,
        end: End::NeedMore,
    }
}

/// Collects the events available; `Some` once decoding has ended (a failure, or a Close).
fn drain(rx: &mut Receiver, messages: &mut Vec<Msg>) -> Option<End> {
    while let Some(event) = rx.poll_event() {
        let msg = match event {
            Err(e) => return Some(End::Ours(e)),
            Ok(Event::Text { data, .. }) => Msg::Text(data.as_bytes().to_vec()),
            Ok(Event::Binary { data, .. } | Event::UncheckedText { data, .. }) => {
                Msg::Binary(data.to_vec())
            }
            Ok(Event::Ping(p)) => Msg::Ping(p.to_vec()),
            Ok(Event::Pong(p)) => Msg::Pong(p.to_vec()),
            Ok(Event::Close { code, .. }) => {
                messages.push(Msg::Close(
                    (code != CloseCode::NO_STATUS_RECEIVED).then(|| code.as_u16()),
                ));
                return Some(End::NeedMore);
            }
            Ok(_) => continue,
        };
        messages.push(msg);
    }
    None
}

/// `Ok` when the outcomes agree or differ only in an allowed class.
pub(super) fn compare(ours: &Outcome, theirs: &Outcome) -> Result<(), String> {
    let (w, t) = (&ours.messages, &theirs.messages);
    if let Some(i) = w.iter().zip(t).position(|(a, b)| a != b) {
        return match (&w[i], &t[i]) {
            // A Close is the last message: the other reports a code it does not know as 1002.
            (Msg::Close(Some(c)), Msg::Close(Some(1002))) if registered_late(*c) => Ok(()),
            _ => Err(format!("message {i} differs")),
        };
    }
    match w.len().cmp(&t.len()) {
        core::cmp::Ordering::Equal => match (&ours.end, &theirs.end) {
            (End::NeedMore, End::NeedMore) | (End::Ours(_), End::Theirs(_)) => Ok(()),
            // wswire on both sides (the stand-in): the same close code, whatever the
            // chunking; which rule a frame that breaks two is named for may depend on how
            // much of its header has arrived (a masked server frame with a 64-bit length
            // whose top bit is set: `LengthMsbSet` whole, `MaskedFrame` byte by byte).
            (End::Ours(a), End::Ours(b)) if a.close_code() == b.close_code() => Ok(()),
            // Earlier by design: a complete header (or invalid UTF-8) is judged at once.
            (End::Ours(_), End::NeedMore) => Ok(()),
            (End::NeedMore, End::Theirs(e)) => {
                Err(format!("the other fails ({e}) where wswire waits"))
            }
            (a, b) => Err(format!("impossible ends {a:?} / {b:?}")),
        },
        core::cmp::Ordering::Greater => match (&w[t.len()], &theirs.end) {
            (Msg::Close(Some(c)), End::Theirs(_)) if registered_late(*c) => Ok(()),
            (m, End::Theirs(e)) => Err(format!(
                "the other rejects ({e}) what wswire delivers: {m:?}"
            )),
            (m, _) => Err(format!("the other waits where wswire delivers {m:?}")),
        },
        core::cmp::Ordering::Less => match &ours.end {
            End::Ours(e) if stricter(e) => Ok(()),
            // The other reports a bad Close as a Close carrying the code it answers with.
            End::Ours(e) if t[w.len()] == Msg::Close(Some(e.close_code().as_u16())) => Ok(()),
            End::Ours(e) => Err(format!(
                "wswire fails ({e:?}) where the other delivers {:?}",
                t[w.len()]
            )),
            _ => Err(format!(
                "wswire waits where the other delivers {:?}",
                t[w.len()]
            )),
        },
    }
}

/// Close codes registered with IANA after RFC 6455 (§7.4.2 leaves 1000–2999 to the registry):
/// 1012 Service Restart, 1013 Try Again Later, 1014 Bad Gateway.
fn registered_late(code: u16) -> bool {
    (1012..=1014).contains(&code)
}

/// The failures wswire has where a laxer implementation delivers (see the module docs).
fn stricter(e: &ProtocolError) -> bool {
    matches!(
        e,
        ProtocolError::Frame(FrameError::NonMinimalLength | FrameError::ControlFrameTooLong)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn out(messages: Vec<Msg>, end: End) -> Outcome {
        Outcome { messages, end }
    }

    #[test]
    fn agreement_and_the_allowed_classes_pass_and_real_differences_do_not() {
        let text = || Msg::Text(b"hi".to_vec());
        let same = out(vec![text()], End::NeedMore);
        assert_eq!(compare(&same, &same), Ok(()));
        // wswire rejects a non-minimal length the other accepts.
        let strict = out(
            vec![],
            End::Ours(ProtocolError::Frame(FrameError::NonMinimalLength)),
        );
        assert_eq!(compare(&strict, &same), Ok(()));
        // ... but not a frame it should have delivered.
        let wrong = out(vec![], End::Ours(ProtocolError::UnexpectedContinuation));
        assert!(compare(&wrong, &same).is_err());
        // Different payloads are always a finding.
        let other = out(vec![Msg::Text(b"ho".to_vec())], End::NeedMore);
        assert!(compare(&same, &other).is_err());
        // The other failing where wswire accepted is a finding, except for 1012–1014.
        let theirs_fail = out(vec![], End::Theirs("bad".into()));
        assert!(compare(&same, &theirs_fail).is_err());
        let close = out(vec![Msg::Close(Some(1014))], End::NeedMore);
        assert_eq!(compare(&close, &theirs_fail), Ok(()));
        assert!(compare(&out(vec![], End::NeedMore), &theirs_fail).is_err());
    }

    #[test]
    fn wswire_outcome_of_rfc_vectors() {
        // RFC 6455 §5.7: unmasked "Hello" to a client, masked "Hello" to a server.
        let client = outcome(true, &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        assert_eq!(
            client,
            out(vec![Msg::Text(b"Hello".to_vec())], End::NeedMore)
        );
        let masked = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        assert_eq!(
            outcome(false, &masked).messages,
            vec![Msg::Text(b"Hello".to_vec())]
        );
        assert_eq!(
            outcome(true, &masked).end,
            End::Ours(ProtocolError::MaskedFrame)
        );
    }
}
