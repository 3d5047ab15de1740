//! The receiving half: bytes in, events out (RFC 6455 §5, §6.2).
//!
//! One pipeline, in stages that each own their rules:
//!
//! ```text
//!   bytes ─► frame stage ─► (inflate stage) ─► message stage ─► Event
//!            header, §5.1     RFC 7692 §6,        §5.4 sequencing, §5.5.1 nothing after
//!            masking, §5.2    bounded output      Close, size limits, §8.1 fail-fast UTF-8
//!            RSV, unmasking
//! ```
//!
//! Two entry points drive it:
//!
//! 1. [`Decoder`] — zero-copy. It works on a buffer the caller owns (`&mut [u8]`), unmasks
//!    payload in place, and reports how many bytes it consumed; events borrow the buffer.
//!    It allocates nothing. Data arrives as pieces as soon as bytes are there (a 1 GiB
//!    message needs O(piece) memory); text pieces are validated and end on code-point
//!    boundaries.
//! 2. [`Receiver`] — buffered. `handle_input(&[u8])` (or a read straight into
//!    [`Receiver::spare_capacity`]) then [`Receiver::poll_event`]. It delivers whole messages
//!    ([`Delivery::Messages`], bounded by `max_message_size`) or pieces as they arrive
//!    ([`Delivery::Chunks`]). A single-frame message that straddles reads waits in the input
//!    buffer, unmasked and validated as its bytes arrive, and is handed over in place; only a
//!    fragmented or compressed message is assembled (one copy).
//!
//! With permessage-deflate agreed ([`Receiver::set_inflater`]), a message whose first frame
//! has RSV1 is inflated as its payload arrives, into a per-connection buffer that is reused;
//! messages without RSV1 take the zero-copy path unchanged (RFC 7692 §6).
//!
//! Every rule is checked from the frame header **before** any payload is buffered: masking
//! by role (§5.1), RSV bits (§5.2), opcode sequencing (§5.4), control-frame shape (§5.5), and
//! the size limits. Text is validated as it arrives and fails at the first invalid byte, even
//! in the middle of a frame (§8.1). After a Close frame, or after an error, all further input
//! is consumed and ignored (§5.5.1, §7.1.7).
//!
//! Memory follows the bytes received: buffers grow with the data (at most 1 MiB or ~3 % above
//! it, never ahead of it on a header's word; nothing is zero-filled ahead of use by
//! [`Receiver::handle_input`]), and after every message what is kept is at most 8 KiB per
//! buffer (the input buffer: or 2¼ times the read size last offered to
//! [`Receiver::spare_capacity`], at most 144 KiB, so that messages about as large as the reads
//! do not shrink and regrow it every time) plus the bytes of a frame still arriving.

use alloc::string::String;
use alloc::vec::Vec;

use crate::frame::{CloseCode, CloseFrame, LengthRule, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, Rsv};

mod decoder;
mod frame;
mod inflate;
mod message;
mod receiver;

pub use decoder::{Decoder, Step};
pub use receiver::Receiver;

/// The smallest buffer [`Decoder::decode`] can always make progress in: a whole control frame
/// (header and 125-byte payload), which is decoded only once it is all present.
pub const MIN_DECODE_BUFFER: usize = MAX_HEADER_LEN + MAX_CONTROL_PAYLOAD;

/// What a [`Receiver`] keeps of a buffer after a message: a larger one is shrunk back to this
/// (or to the bytes of a frame still arriving, if more). Small, so that an idle connection
/// holds little (`tests/memory.rs`).
const RETAIN_CAPACITY: usize = 8 * 1024;

/// The most a buffer grows by at once until 1/32 of it is more: few reallocations for a large
/// message, and never more than this above the data received.
const GROWTH_STEP: usize = 1 << 20;

/// The compressed bytes a limit of `max` allows on the wire for a compressed frame or message
/// (RFC 7692): `max` plus an eighth plus 1 KiB. DEFLATE can make incompressible data larger
/// (fixed Huffman codes spend 9 bits on some bytes, small windows find few matches: a 1 MiB
/// message of a 256-byte pattern compressed with 2⁸-byte windows is 1,050,886 bytes), so a
/// message within the limit must not be refused for its compressed size; what it inflates
/// to is held to `max` itself as it inflates.
pub(super) const fn wire_allowance(max: u64, compressed: bool) -> u64 {
    if compressed {
        max.saturating_add(max / 8).saturating_add(1024)
    } else {
        max
    }
}

/// Receive-side limits and rules. `Default` gives the strict, bounded settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecvConfig {
    /// The largest payload one data frame may announce; larger fails with 1009 at the header.
    /// A compressed frame may announce an eighth more plus 1 KiB, since DEFLATE can expand
    /// incompressible data; its inflated size is held to `max_message_size`. Default 1 MiB,
    /// the same as `max_message_size`: a frame is part of a message, so a larger frame limit
    /// would never apply. Raise both together.
    pub max_frame_payload: u64,
    /// The largest message: the sum of its fragments' payloads, and for a compressed message
    /// what it inflates to (the inflated-size limit: a deflate bomb stops at this size, with
    /// 1009; its compressed bytes may be an eighth more plus 1 KiB, as for frames). Larger
    /// fails with 1009 at the header of the fragment that crosses it, or as soon as inflation
    /// passes it.
    ///
    /// Default **1 MiB**, as Python's `websockets` (`tungstenite` uses 64 MiB, Node's `ws`
    /// 100 MiB). On the open internet each connection can make the receiver hold this much
    /// for as long as its sender takes to finish the message, and with permessage-deflate
    /// for ~1/1000 of it on the wire (about 1 KiB per MiB), so the limit multiplied by the
    /// number of connections is the memory a hostile crowd can claim. A limit that is too
    /// low fails loudly (close code 1009, the limit named in the error) in the first test
    /// that sends a large message; one that is too high fails quietly, under attack.
    pub max_message_size: u64,
    /// The most fragments one message may have, counting empty ones; more fails with 1008.
    /// Default `None`: memory is bounded by `max_message_size` whatever the count, and a
    /// fragment costs the receiver what a whole small message costs, so a cap would not
    /// slow a hostile peer down; legitimate senders stream large messages in many fragments
    /// (a 1 MiB message in 64-byte fragments has 16,384).
    pub max_fragments: Option<u32>,
    /// Whether non-minimal payload-length encodings are refused (the default, RFC 6455 §5.2)
    /// or tolerated.
    pub length_rule: LengthRule,
    /// Validate text as UTF-8 (default `true`). When `false`, text arrives as
    /// [`Event::UncheckedText`] (like `ws`'s `skipUTF8Validation`); close reasons are still
    /// validated.
    pub validate_utf8: bool,
    /// RSV bits a negotiated extension allows on the first frame of a data message (RSV1 for
    /// permessage-deflate, RFC 7692 §6). Continuation and control frames must have none.
    /// Default: none.
    pub allowed_rsv: Rsv,
}

impl Default for RecvConfig {
    fn default() -> Self {
        Self {
            max_frame_payload: 1 << 20,
            max_message_size: 1 << 20,
            max_fragments: None,
            length_rule: LengthRule::Minimal,
            validate_utf8: true,
            allowed_rsv: Rsv::NONE,
        }
    }
}

/// Something that happened: the one event type of [`Receiver`], [`Decoder`] and
/// [`Connection`](crate::Connection). Data events borrow the buffer they were decoded in;
/// [`Receiver::take_message`] / `Connection::take_message` turn a whole message into owned
/// bytes without a copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The opening handshake completed; messages may now be sent. Only a
    /// [`Connection`](crate::Connection) that runs the handshake reports it.
    Open,
    /// Text: a whole message, or with [`Delivery::Chunks`] / [`Decoder`] a piece of one that
    /// ends on a code-point boundary. `fin` marks the last piece of the message.
    Text {
        /// Validated UTF-8.
        data: &'a str,
        /// Whether the message is complete with this piece.
        fin: bool,
    },
    /// Binary data: a whole message or a piece of one.
    Binary {
        /// The payload bytes.
        data: &'a [u8],
        /// Whether the message is complete with this piece.
        fin: bool,
    },
    /// Text that was not validated, because [`RecvConfig::validate_utf8`] is off.
    UncheckedText {
        /// The payload bytes, possibly not UTF-8.
        data: &'a [u8],
        /// Whether the message is complete with this piece.
        fin: bool,
    },
    /// A Ping with its application data (never UTF-8-checked). RFC 6455 §5.5.2 asks for a
    /// Pong with the same data; a connection sends it.
    Ping(&'a [u8]),
    /// A Pong with its application data.
    Pong(&'a [u8]),
    /// The peer's Close frame (RFC 6455 §5.5.1); nothing follows it.
    Close {
        /// The peer's status code: [`CloseCode::NO_STATUS_RECEIVED`] (1005) when its Close
        /// had none (RFC 6455 §7.1.5; 1005 itself is never on the wire).
        code: CloseCode,
        /// The peer's reason (validated UTF-8), possibly empty.
        reason: &'a str,
    },
}

impl<'a> Event<'a> {
    /// The event for a decoded Close payload (`None`: no status).
    pub(crate) fn close(frame: Option<CloseFrame<'a>>) -> Self {
        match frame {
            Some(f) => Self::Close {
                code: f.code,
                reason: f.reason,
            },
            None => Self::Close {
                code: CloseCode::NO_STATUS_RECEIVED,
                reason: "",
            },
        }
    }
}

/// A whole data message, owned: what [`Receiver::take_message`] hands over.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// Validated text.
    Text(String),
    /// Binary data.
    Binary(Vec<u8>),
    /// Text that was not validated ([`RecvConfig::validate_utf8`] off).
    UncheckedText(Vec<u8>),
}

/// How a [`Receiver`] hands data messages over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delivery {
    /// Whole messages, assembled up to `max_message_size` (the default). A message that is
    /// one frame is handed over where it lies in the input buffer, without a copy.
    #[default]
    Messages,
    /// Pieces as they arrive, each with a `fin` marker; memory stays O(read size).
    Chunks,
}

/// The kind of a data message, from the opcode of its first frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Binary,
}

/// How much to reserve so that `add` more bytes fit after `len` in a buffer of `capacity`, or
/// `None` when they fit already. Growth follows the data: by doubling up to [`GROWTH_STEP`],
/// then by that much or 1/32 of what is held, whichever is more — so a buffer is never more
/// than 1 MiB or ~3 % above the bytes actually received, and a header alone never makes it
/// grow. Never past `max` bytes in all (but always enough for `add`).
fn growth(len: usize, capacity: usize, add: usize, max: usize) -> Option<usize> {
    let need = len.saturating_add(add);
    if need <= capacity {
        return None;
    }
    let slack = add.max(len.min(GROWTH_STEP)).max(len / 32);
    Some(len.saturating_add(slack).min(max.max(need)) - len)
}

/// Empties an assembly buffer, releasing it when it grew past [`RETAIN_CAPACITY`].
fn release(v: &mut Vec<u8>) {
    if v.capacity() > RETAIN_CAPACITY {
        *v = Vec::new();
    } else {
        v.clear();
    }
}

/// [`release`] for text.
fn release_text(s: &mut String) {
    if s.capacity() > RETAIN_CAPACITY {
        *s = String::new();
    } else {
        s.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::growth;

    #[test]
    fn growth_follows_the_data_and_stops_at_the_limit() {
        assert_eq!(growth(0, 0, 10, 100), Some(10));
        assert_eq!(growth(5, 10, 5, 100), None);
        // 32 MiB held: at most 1 MiB beyond what is held, and enough for the new bytes.
        let held = 32 << 20;
        let extra = growth(held, held, 64 << 10, usize::MAX).unwrap();
        assert!((64 << 10..=1 << 20).contains(&extra));
        // 4 MiB held: 1 MiB more; 256 MiB held: 8 MiB (1/32).
        assert_eq!(growth(4 << 20, 4 << 20, 1, usize::MAX), Some(1 << 20));
        assert_eq!(growth(256 << 20, 256 << 20, 1, usize::MAX), Some(8 << 20));
        // Doubling while small.
        assert_eq!(growth(64, 64, 1, 1000), Some(64));
        // Never past the limit, but always enough.
        assert_eq!(growth(90, 90, 5, 92), Some(5));
        assert_eq!(growth(64, 64, 1, 70), Some(6));
    }
}
