//! The receiving half: bytes in, events out (RFC 6455 §5, §6.2).
//!
//! Two levels over **one decoder**:
//!
//! 1. [`Decoder`] — zero-copy. It works on a buffer the caller owns (`&mut [u8]`), unmasks
//!    payload in place, and reports how many bytes it consumed; events borrow the buffer.
//!    It allocates nothing. Data arrives as chunks as soon as bytes are there (a 1 GiB
//!    message needs O(chunk) memory); text chunks are validated and end on code-point
//!    boundaries.
//! 2. [`Receiver`] — buffered. `handle_input(&[u8])` (or a read straight into
//!    [`Receiver::spare_capacity`]) then [`Receiver::poll_event`]. It delivers whole messages
//!    (assembled, bounded by `max_message_size`) or, with [`Delivery::Chunks`], the decoder's
//!    chunks as they are.
//!
//! With permessage-deflate agreed ([`Receiver::set_inflater`]), a message whose first frame
//! has RSV1 is inflated as its payload arrives, into a per-connection buffer that is reused;
//! messages without RSV1 take the zero-copy path unchanged (RFC 7692 §6).
//!
//! Every rule is checked from the frame header **before** any payload is buffered: masking
//! by role (§5.1), RSV bits (§5.2), opcode sequencing (§5.4), control-frame shape (§5.5), and
//! the size limits. Text is validated as it arrives and fails at the first invalid byte, even
//! in the middle of a frame (§8.1; Autobahn 6.4.x). After a Close frame, or after an error,
//! all further input is consumed and ignored (§5.5.1, §7.1.7).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use crate::Role;
use crate::error::ProtocolError;
use crate::extensions::deflate::MessageInflater;
use crate::frame::{
    CloseFrame, Decoded, FrameHeader, LengthRule, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, Opcode, Rsv,
    apply_mask,
};
use crate::utf8::{CodePoint, Utf8Validator};

/// The smallest buffer [`Decoder::decode`] can always make progress in: a whole control frame
/// (header and 125-byte payload), which is decoded only once it is all present.
pub const MIN_DECODE_BUFFER: usize = MAX_HEADER_LEN + MAX_CONTROL_PAYLOAD;

/// Receive-side limits and rules. `Default` gives the strict, bounded settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecvConfig {
    /// The largest payload one data frame may announce; larger fails with 1009 at the header.
    /// Default 64 MiB.
    pub max_frame_payload: u64,
    /// The largest message (sum of its fragments); larger fails with 1009 at the header of
    /// the fragment that crosses it. Default 64 MiB (Node's `ws` uses 100 MiB, Python's
    /// `websockets` 1 MiB).
    pub max_message_size: u64,
    /// The most fragments one message may have, counting empty ones; more fails with 1008.
    /// Default `None`: memory is bounded by `max_message_size` whatever the count.
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
            max_frame_payload: 64 << 20,
            max_message_size: 64 << 20,
            max_fragments: None,
            length_rule: LengthRule::Minimal,
            validate_utf8: true,
            allowed_rsv: Rsv::NONE,
        }
    }
}

/// Something the peer sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
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
    /// Pong with the same data; the connection layer sends it.
    Ping(&'a [u8]),
    /// A Pong with its application data.
    Pong(&'a [u8]),
    /// A Close frame: `None` when it carried no status (report 1005). Nothing follows it.
    Close(Option<CloseFrame<'a>>),
}

/// What one call of [`Decoder::decode`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct Step<'a> {
    /// Bytes at the start of the buffer that are finished with; drop them before the next
    /// call. `0` with no event means "need more bytes".
    pub consumed: usize,
    /// The event decoded, if any.
    pub event: Option<Event<'a>>,
}

/// How a [`Receiver`] hands data messages over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delivery {
    /// Whole messages, assembled up to `max_message_size` (the default). A message that is
    /// one frame already in the buffer is handed over without a copy.
    #[default]
    Messages,
    /// Pieces as they arrive, each with a `fin` marker; memory stays O(read size).
    Chunks,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Binary,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    /// A Close frame was received: further input is ignored.
    Closed,
    /// The peer broke the protocol: further input is ignored.
    Failed,
}

/// A data frame whose payload is still arriving.
#[derive(Clone, Copy, Debug)]
struct Frame {
    kind: Kind,
    fin: bool,
    mask: Option<crate::frame::MaskKey>,
    remaining: u64,
    /// Payload bytes already unmasked (only `& 3` matters).
    offset: usize,
    /// The message is compressed (permessage-deflate, RSV1 on its first frame).
    compressed: bool,
}

/// The data message in progress.
#[derive(Clone, Copy, Debug)]
struct Message {
    size: u64,
    fragments: u32,
}

/// What the decoder found, as positions in the buffer, before any borrow is made.
#[derive(Clone, Debug, PartialEq, Eq)]
enum RawEvent {
    Data {
        kind: Kind,
        range: Range<usize>,
        fin: bool,
        compressed: bool,
    },
    Ping(Range<usize>),
    Pong(Range<usize>),
    Close(Range<usize>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct RawStep {
    consumed: usize,
    event: Option<RawEvent>,
}

impl RawStep {
    const NEED_MORE: Self = Self {
        consumed: 0,
        event: None,
    };
}

/// The zero-copy frame decoder; see the [module docs](self).
///
/// ```
/// use wswire::Role;
/// use wswire::recv::{Decoder, RecvConfig};
///
/// let mut decoder = Decoder::new(Role::Client, RecvConfig::default());
/// // A text message in two fragments, then a ping (RFC 6455 §5.7).
/// let mut wire = [0x01, 0x03, b'H', b'e', b'l', 0x80, 0x02, b'l', b'o', 0x89, 0x00];
/// let mut buf = &mut wire[..];
/// let mut seen = Vec::new();
/// loop {
///     let step = decoder.decode(buf)?;
///     let consumed = step.consumed;
///     match step.event {
///         Some(event) => seen.push(format!("{event:?}")),
///         None if consumed == 0 => break, // need more bytes
///         None => {}
///     }
///     buf = &mut buf[consumed..];
/// }
/// assert_eq!(seen, [
///     r#"Text { data: "Hel", fin: false }"#,
///     r#"Text { data: "lo", fin: true }"#,
///     "Ping([])",
/// ]);
/// # Ok::<(), wswire::ProtocolError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Decoder {
    role: Role,
    config: RecvConfig,
    state: State,
    frame: Option<Frame>,
    message: Option<Message>,
    utf8: Utf8Validator,
    /// A code point completed across a chunk boundary, for the event that reports it.
    completed: CodePoint,
    /// The kind of the current (or last) data message.
    kind: Kind,
    /// Messages with RSV1 are compressed (set by [`Receiver::set_inflater`]): their payload
    /// is handed to the inflater rather than validated here.
    inflating: bool,
    /// The current data message is compressed.
    compressed: bool,
}

impl Decoder {
    /// A decoder for an endpoint of the given role (a server expects masked frames).
    pub fn new(role: Role, config: RecvConfig) -> Self {
        Self {
            role,
            config,
            state: State::Open,
            frame: None,
            message: None,
            utf8: Utf8Validator::new(),
            completed: CodePoint::default(),
            kind: Kind::Binary,
            inflating: false,
            compressed: false,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &RecvConfig {
        &self.config
    }

    /// Changes the configuration, e.g. `allowed_rsv` once an extension is negotiated.
    pub fn config_mut(&mut self) -> &mut RecvConfig {
        &mut self.config
    }

    /// Whether a Close frame was received (all later input is ignored).
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether the peer broke the protocol (all later input is ignored).
    pub fn is_failed(&self) -> bool {
        self.state == State::Failed
    }

    /// Whether a fragmented data message has started and not finished.
    pub fn in_message(&self) -> bool {
        self.message.is_some()
    }

    /// Decodes from the start of `buf`: at most one event per call.
    ///
    /// Call again with `&mut buf[step.consumed..]` (plus any new bytes) until a call consumes
    /// nothing and returns no event: then more bytes are needed. Bytes not consumed must be
    /// presented again. A buffer of [`MIN_DECODE_BUFFER`] bytes always suffices to progress.
    ///
    /// # Errors
    /// A [`ProtocolError`] (with its close code) the first time the peer breaks a rule; after
    /// that the decoder consumes and ignores everything.
    #[inline]
    pub fn decode<'a>(&'a mut self, buf: &'a mut [u8]) -> Result<Step<'a>, ProtocolError> {
        let raw = self.decode_raw(buf)?;
        let event = match raw.event {
            None => None,
            Some(ev) => Some(self.make_event(buf, ev)?),
        };
        Ok(Step {
            consumed: raw.consumed,
            event,
        })
    }

    fn fail(&mut self, e: ProtocolError) -> ProtocolError {
        self.state = State::Failed;
        self.frame = None;
        self.message = None;
        e
    }

    /// Does everything but make the borrowed event: header checks, unmasking, state.
    ///
    /// Inlined into its callers: returning the `Result` through memory from an out-of-line
    /// call cost more than the decoding itself (store-forwarding stalls on every frame).
    #[inline(always)]
    fn decode_raw(&mut self, buf: &mut [u8]) -> Result<RawStep, ProtocolError> {
        if self.state != State::Open {
            return Ok(RawStep {
                consumed: buf.len(),
                event: None,
            });
        }
        let (frame, start) = match self.frame {
            Some(frame) => (frame, 0),
            None => {
                let (header, n) = match FrameHeader::decode_with(buf, self.config.length_rule) {
                    Ok(Decoded::Complete(x)) => x,
                    Ok(Decoded::Incomplete { .. }) => {
                        // Checklist I11: judge what the first two bytes already show (masking,
                        // RSV bits, sequencing) without waiting for the length and key.
                        if let Some(&[b0, b1]) = buf.first_chunk::<2>()
                            && let Err(e) = self.check_first_bytes(b0, b1)
                        {
                            return Err(self.fail(e));
                        }
                        return Ok(RawStep::NEED_MORE);
                    }
                    Err(e) => return Err(self.fail(e.into())),
                };
                if let Err(e) = self.check_header(&header) {
                    return Err(self.fail(e));
                }
                if header.opcode.is_control() {
                    return Ok(Self::control(buf, &header, n));
                }
                // Fast path: a whole single-frame message already in the buffer needs no
                // frame or message state at all.
                if header.fin
                    && header.opcode.is_data_start()
                    && let Some(payload) = usize::try_from(header.payload_len)
                        .ok()
                        .and_then(|len| buf.get_mut(n..n + len))
                {
                    let kind = if header.opcode == Opcode::Text {
                        Kind::Text
                    } else {
                        Kind::Binary
                    };
                    self.kind = kind;
                    self.compressed = self.inflating && header.rsv.contains(Rsv::RSV1);
                    if kind == Kind::Text {
                        self.utf8.reset();
                    }
                    if let Some(key) = header.mask {
                        apply_mask(payload, key, 0);
                    }
                    let end = n + payload.len();
                    return Ok(RawStep {
                        consumed: end,
                        event: Some(RawEvent::Data {
                            kind,
                            range: n..end,
                            fin: true,
                            compressed: self.compressed,
                        }),
                    });
                }
                let kind = self.begin_data_frame(&header);
                let frame = Frame {
                    kind,
                    fin: header.fin,
                    mask: header.mask,
                    remaining: header.payload_len,
                    offset: 0,
                    compressed: self.compressed,
                };
                self.frame = Some(frame);
                (frame, n)
            }
        };
        let available = buf.len() - start;
        let mut take = usize::try_from(frame.remaining).map_or(available, |r| r.min(available));
        let pending = self.utf8.needed();
        if pending != 0
            && frame.kind == Kind::Text
            && self.config.validate_utf8
            && !frame.compressed
        {
            // Finish the code point begun in the last chunk first, as its own event.
            take = take.min(pending);
        }
        if take == 0 && frame.remaining != 0 {
            return Ok(RawStep {
                consumed: start,
                event: None,
            });
        }
        let range = start..start + take;
        if let Some(key) = frame.mask {
            apply_mask(&mut buf[range.clone()], key, frame.offset);
        }
        let remaining = frame.remaining - take as u64;
        let fin = remaining == 0 && frame.fin;
        if remaining == 0 {
            self.frame = None;
            if fin {
                self.message = None;
            }
        } else {
            self.frame = Some(Frame {
                remaining,
                offset: frame.offset + take,
                ..frame
            });
        }
        Ok(RawStep {
            consumed: range.end,
            event: Some(RawEvent::Data {
                kind: frame.kind,
                range,
                fin,
                compressed: frame.compressed,
            }),
        })
    }

    /// A control frame: decoded only when all of it is present (≤ 139 bytes).
    #[inline(always)]
    fn control(buf: &mut [u8], header: &FrameHeader, n: usize) -> RawStep {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "the header codec checked ≤ 125"
        )]
        let end = n + header.payload_len as usize;
        let Some(payload) = buf.get_mut(n..end) else {
            return RawStep::NEED_MORE;
        };
        if let Some(key) = header.mask {
            apply_mask(payload, key, 0);
        }
        let range = n..end;
        let event = match header.opcode {
            Opcode::Ping => RawEvent::Ping(range),
            Opcode::Pong => RawEvent::Pong(range),
            _ => RawEvent::Close(range),
        };
        RawStep {
            consumed: end,
            event: Some(event),
        }
    }

    /// The rules the first two header bytes decide: masking by role, RSV bits, sequencing.
    /// Called on a partial header; [`Self::check_header`] applies the same rules in full.
    #[cold]
    fn check_first_bytes(&self, b0: u8, b1: u8) -> Result<(), ProtocolError> {
        let Some(opcode) = Opcode::from_u8(b0 & 0x0F) else {
            return Ok(()); // the header codec reports reserved opcodes itself
        };
        self.check_mask_rsv(opcode, Rsv::from_bits(b0), b1 & 0x80 != 0)?;
        match (opcode, self.message) {
            (Opcode::Continuation, None) => Err(ProtocolError::UnexpectedContinuation),
            (Opcode::Text | Opcode::Binary, Some(_)) => Err(ProtocolError::ExpectedContinuation),
            _ => Ok(()),
        }
    }

    /// RFC 6455 §5.1: clients mask, servers don't. §5.2: RSV bits only as a negotiated
    /// extension defines them; RFC 7692 §6: RSV1 only on the first frame of a data message.
    #[inline(always)]
    fn check_mask_rsv(&self, opcode: Opcode, rsv: Rsv, masked: bool) -> Result<(), ProtocolError> {
        match (self.role, masked) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        let allowed = if opcode.is_data_start() {
            self.config.allowed_rsv
        } else {
            Rsv::NONE
        };
        if !allowed.contains(rsv) {
            return Err(ProtocolError::ReservedBits(rsv.bits()));
        }
        Ok(())
    }

    /// Every rule that can be judged from a header, before its payload is touched.
    #[inline(always)]
    fn check_header(&self, h: &FrameHeader) -> Result<(), ProtocolError> {
        self.check_mask_rsv(h.opcode, h.rsv, h.mask.is_some())?;
        // RFC 6455 §5.4: fragments of one message are not interleaved with another.
        let so_far = match (h.opcode, self.message) {
            (Opcode::Continuation, None) => return Err(ProtocolError::UnexpectedContinuation),
            (Opcode::Text | Opcode::Binary, Some(_)) => {
                return Err(ProtocolError::ExpectedContinuation);
            }
            (Opcode::Continuation, Some(m)) => m,
            (Opcode::Text | Opcode::Binary, None) => Message {
                size: 0,
                fragments: 0,
            },
            _ => return Ok(()), // control frames: shape already checked by the header codec
        };
        let max_frame = self.config.max_frame_payload.min(usize::MAX as u64);
        if h.payload_len > max_frame {
            return Err(ProtocolError::FrameTooLarge {
                len: h.payload_len,
                max: max_frame,
            });
        }
        let total = so_far.size + h.payload_len;
        let max_message = self.config.max_message_size.min(usize::MAX as u64);
        if total > max_message {
            return Err(ProtocolError::MessageTooLarge {
                len: total,
                max: max_message,
            });
        }
        if let Some(max) = self.config.max_fragments
            && so_far.fragments >= max
        {
            return Err(ProtocolError::TooManyFragments { max });
        }
        Ok(())
    }

    /// Updates the message state for a data frame that passed [`Self::check_header`].
    #[inline(always)]
    fn begin_data_frame(&mut self, h: &FrameHeader) -> Kind {
        let kind = match h.opcode {
            Opcode::Text => Kind::Text,
            Opcode::Binary => Kind::Binary,
            _ => self.kind,
        };
        if h.opcode.is_data_start() {
            self.utf8.reset();
            self.kind = kind;
            self.compressed = self.inflating && h.rsv.contains(Rsv::RSV1);
        }
        let m = self.message.get_or_insert(Message {
            size: 0,
            fragments: 0,
        });
        m.size += h.payload_len;
        m.fragments = m.fragments.saturating_add(1);
        kind
    }

    /// Turns positions into an event borrowing `buf` (or, for a code point completed across
    /// chunks, `self`), validating text on the way.
    #[inline(always)]
    fn make_event<'a>(
        &'a mut self,
        buf: &'a [u8],
        raw: RawEvent,
    ) -> Result<Event<'a>, ProtocolError> {
        Ok(match raw {
            RawEvent::Ping(r) => Event::Ping(&buf[r]),
            RawEvent::Pong(r) => Event::Pong(&buf[r]),
            RawEvent::Close(r) => match CloseFrame::decode(&buf[r]) {
                Ok(close) => {
                    self.state = State::Closed;
                    self.frame = None;
                    self.message = None;
                    Event::Close(close)
                }
                Err(e) => return Err(self.fail(e.into())),
            },
            RawEvent::Data {
                kind: Kind::Binary,
                range,
                fin,
                ..
            } => Event::Binary {
                data: &buf[range],
                fin,
            },
            RawEvent::Data {
                kind: Kind::Text,
                range,
                fin,
                ..
            } if !self.config.validate_utf8 => Event::UncheckedText {
                data: &buf[range],
                fin,
            },
            RawEvent::Data {
                kind: Kind::Text,
                range,
                fin,
                ..
            } => {
                let bytes = &buf[range];
                let mut completed = false;
                let data = if self.utf8.needed() != 0 {
                    match self.utf8.complete_pending(bytes) {
                        Ok(Some(cp)) => {
                            self.completed = cp;
                            completed = true;
                            ""
                        }
                        Ok(None) => "",
                        Err(e) => return Err(self.fail(e.into())),
                    }
                } else {
                    match self.utf8.feed_str(bytes) {
                        Ok(text) => text,
                        Err(e) => return Err(self.fail(e.into())),
                    }
                };
                if fin && self.utf8.pending() != 0 {
                    // RFC 6455 §8.1: the message ended inside a code point.
                    let e = self.utf8.finish().err();
                    if let Some(e) = e {
                        return Err(self.fail(e.into()));
                    }
                }
                let data = if completed {
                    self.completed.as_str()
                } else {
                    data
                };
                Event::Text { data, fin }
            }
        })
    }
}

/// Buffers above this capacity are released after use rather than kept for the next message.
const RETAIN_CAPACITY: usize = 64 * 1024;

/// The size of the reused buffer that compressed messages are inflated into.
const INFLATE_BUFFER: usize = 16 * 1024;

/// permessage-deflate state of a [`Receiver`]: the inflater, its reused output buffer, and
/// the compressed message in progress.
#[derive(Debug)]
struct Inflating {
    inflater: MessageInflater,
    /// Inflated output; allocated on the first compressed message, then reused.
    scratch: Vec<u8>,
    /// Compressed payload at `input[start..start + pending]`, unmasked, not yet inflated.
    pending: usize,
    /// Those bytes run to the end of the message.
    last: bool,
    /// A compressed message is in progress.
    active: bool,
    kind: Kind,
    /// An unfinished code point at `scratch[carry_from..carry_from + carry]`, moved to the
    /// front before the next round.
    carry_from: usize,
    carry: usize,
}

/// What one round of inflation produced.
enum Inflated {
    /// Nothing to hand out until more input is decoded.
    NeedInput,
    /// `scratch[..len]` is the next piece ([`Delivery::Chunks`]).
    Chunk { len: usize, fin: bool },
    /// The whole message is in `text` / `binary` ([`Delivery::Messages`]).
    Message,
}

/// `additional` for `reserve_exact` so that `add` more bytes fit, growing by doubling but
/// never past `max` (a bomb stops at the limit, not at twice it).
fn bounded_growth(len: usize, capacity: usize, add: usize, max: u64) -> Option<usize> {
    if capacity - len >= add {
        return None;
    }
    let need = len + add;
    let max = usize::try_from(max).unwrap_or(usize::MAX).max(need);
    Some(capacity.saturating_mul(2).max(need).min(max) - len)
}

/// The buffered receiver; see the [module docs](self).
///
/// ```
/// use wswire::Role;
/// use wswire::recv::{Event, Receiver, RecvConfig};
///
/// let mut rx = Receiver::new(Role::Server, RecvConfig::default());
/// // RFC 6455 §5.7: a masked "Hello", arriving in two reads.
/// rx.handle_input(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f]);
/// assert!(rx.poll_event().is_none()); // need more
/// rx.handle_input(&[0x4d, 0x51, 0x58]);
/// assert_eq!(rx.poll_event(), Some(Ok(Event::Text { data: "Hello", fin: true })));
/// assert!(rx.poll_event().is_none());
/// ```
#[derive(Debug)]
pub struct Receiver {
    decoder: Decoder,
    delivery: Delivery,
    /// Input bytes; `[start..end]` are not yet decoded. Always initialised up to `len()`.
    input: Vec<u8>,
    start: usize,
    end: usize,
    /// Assembly of a fragmented (or partly arrived) message.
    text: String,
    binary: Vec<u8>,
    assembling: bool,
    /// The last event handed out was assembled: clear the buffers before the next poll.
    release: bool,
    /// The size of a single-frame binary message waiting in `input` (0: none).
    want: usize,
    /// permessage-deflate, once agreed.
    inflate: Option<Box<Inflating>>,
}

impl Receiver {
    /// A receiver delivering whole messages.
    pub fn new(role: Role, config: RecvConfig) -> Self {
        Self::with_delivery(role, config, Delivery::Messages)
    }

    /// A receiver with the given [`Delivery`] mode.
    pub fn with_delivery(role: Role, config: RecvConfig, delivery: Delivery) -> Self {
        Self {
            decoder: Decoder::new(role, config),
            delivery,
            input: Vec::new(),
            start: 0,
            end: 0,
            text: String::new(),
            binary: Vec::new(),
            assembling: false,
            release: false,
            want: 0,
            inflate: None,
        }
    }

    /// Turns on permessage-deflate for received messages (RFC 7692 §6): RSV1 becomes allowed
    /// on the first frame of a data message, and a message that has it is inflated with
    /// `inflater` as its payload arrives — bounded by `max_message_size` (1009 past it), 1007
    /// for invalid data, text validated after inflation. Messages without RSV1 are delivered
    /// zero-copy as before. RSV1 on a continuation or control frame stays a 1002.
    pub fn set_inflater(&mut self, inflater: MessageInflater) {
        let config = self.decoder.config_mut();
        config.allowed_rsv = config.allowed_rsv.union(Rsv::RSV1);
        self.decoder.inflating = true;
        self.inflate = Some(Box::new(Inflating {
            inflater,
            scratch: Vec::new(),
            pending: 0,
            last: false,
            active: false,
            kind: Kind::Binary,
            carry_from: 0,
            carry: 0,
        }));
    }

    /// The inflater, once [`Receiver::set_inflater`] was called.
    pub fn inflater(&self) -> Option<&MessageInflater> {
        self.inflate.as_deref().map(|z| &z.inflater)
    }

    /// Inflates the pending compressed payload: one piece (chunks), or up to the end of the
    /// message or of the input (messages).
    fn inflate_pending(&mut self) -> Result<Inflated, ProtocolError> {
        let max = self.decoder.config.max_message_size;
        let validate = self.decoder.config.validate_utf8;
        let chunks = self.delivery == Delivery::Chunks;
        let Some(z) = self.inflate.as_deref_mut() else {
            return Ok(Inflated::NeedInput);
        };
        if z.scratch.is_empty() {
            z.scratch = vec![0; INFLATE_BUFFER];
        }
        loop {
            if !z.active || (z.pending == 0 && !z.last) {
                return Ok(Inflated::NeedInput);
            }
            let carry = z.carry;
            if carry != 0 {
                z.scratch.copy_within(z.carry_from..z.carry_from + carry, 0);
                z.carry = 0;
            }
            let input = &self.input[self.start..self.start + z.pending];
            let step = z
                .inflater
                .inflate(input, z.last, &mut z.scratch[carry..], max)?;
            self.start += step.consumed;
            z.pending -= step.consumed;
            let len = carry + step.written;
            if step.done {
                z.active = false;
                z.last = false;
                z.pending = 0;
            } else if step.written == 0 {
                // No new output: keep the carried bytes for the next round.
                z.carry_from = 0;
                z.carry = carry;
                continue;
            }
            let text = z.kind == Kind::Text && validate;
            if chunks {
                return Ok(Inflated::Chunk {
                    len,
                    fin: step.done,
                });
            }
            let bytes = &z.scratch[..len];
            if text {
                let valid = Utf8Validator::new().feed_str(bytes)?;
                if let Some(extra) =
                    bounded_growth(self.text.len(), self.text.capacity(), valid.len(), max)
                {
                    self.text.reserve_exact(extra);
                }
                self.text.push_str(valid);
                z.carry_from = valid.len();
                z.carry = len - valid.len();
                if step.done && z.carry != 0 {
                    return Err(truncated_text());
                }
            } else {
                if let Some(extra) =
                    bounded_growth(self.binary.len(), self.binary.capacity(), len, max)
                {
                    self.binary.reserve_exact(extra);
                }
                self.binary.extend_from_slice(bytes);
            }
            if step.done {
                return Ok(Inflated::Message);
            }
        }
    }

    /// The event for an inflated piece `scratch[..len]` ([`Delivery::Chunks`]); text is
    /// validated here, fail-fast, and an unfinished code point carried to the next piece.
    fn inflated_chunk(&mut self, len: usize, fin: bool) -> Result<Event<'_>, ProtocolError> {
        let validate = self.decoder.config.validate_utf8;
        let Self {
            inflate, decoder, ..
        } = self;
        let Some(z) = inflate.as_deref_mut() else {
            return Ok(Event::Binary { data: &[], fin });
        };
        let bytes = &z.scratch[..len];
        Ok(match z.kind {
            Kind::Binary => Event::Binary { data: bytes, fin },
            Kind::Text if !validate => Event::UncheckedText { data: bytes, fin },
            Kind::Text => {
                let valid = Utf8Validator::new().feed_str(bytes);
                let e = match valid {
                    Ok(data) if !fin || data.len() == len => {
                        z.carry_from = data.len();
                        z.carry = len - data.len();
                        return Ok(Event::Text { data, fin });
                    }
                    Ok(_) => truncated_text(),
                    Err(e) => e.into(),
                };
                z.inflater.abort();
                z.active = false;
                z.pending = 0;
                z.carry = 0;
                return Err(decoder.fail(e));
            }
        })
    }

    /// The assembled compressed message ([`Delivery::Messages`]).
    fn inflated_message(&self) -> Event<'_> {
        let kind = self.inflate.as_deref().map_or(Kind::Binary, |z| z.kind);
        match kind {
            Kind::Text if self.decoder.config.validate_utf8 => Event::Text {
                data: &self.text,
                fin: true,
            },
            Kind::Text => Event::UncheckedText {
                data: &self.binary,
                fin: true,
            },
            Kind::Binary => Event::Binary {
                data: &self.binary,
                fin: true,
            },
        }
    }

    /// Fails the receiver with `e`, dropping any compressed message in progress.
    fn fail_inflate(&mut self, e: ProtocolError) -> ProtocolError {
        if let Some(z) = self.inflate.as_deref_mut() {
            z.inflater.abort();
            z.active = false;
            z.pending = 0;
            z.carry = 0;
        }
        self.decoder.fail(e)
    }

    /// The decoder underneath (state queries, configuration).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The decoder underneath, mutably (e.g. to set `allowed_rsv` after negotiation).
    pub fn decoder_mut(&mut self) -> &mut Decoder {
        &mut self.decoder
    }

    /// Bytes received but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// Appends bytes read from the transport. Pushing an empty slice changes nothing.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let spare = self.spare_capacity(bytes.len());
        spare[..bytes.len()].copy_from_slice(bytes);
        self.commit(bytes.len());
    }

    /// At least `min` bytes of writable space after the buffered input, for the transport to
    /// read into directly (no extra copy); report how many were written with
    /// [`commit`](Self::commit).
    pub fn spare_capacity(&mut self, min: usize) -> &mut [u8] {
        // Room for the rest of a frame being waited for, growing at most by doubling so that a
        // header announcing a large frame does not make us allocate ahead of its data.
        let held = self.end - self.start;
        let rest = self.want.saturating_sub(held);
        let min = min.max(rest.min(held.max(64 * 1024)));
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.input.len() - self.end < min {
            // Move pending bytes to the front before growing.
            if self.start != 0 {
                self.input.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.input.len() - self.end < min {
                self.input.resize(self.end + min, 0);
            }
        }
        &mut self.input[self.end..]
    }

    /// Whole-message delivery of a single-frame binary message whose payload has not all
    /// arrived: leave it in the input buffer (once its header passed every check) so it is
    /// handed over without a copy when complete, instead of copying pieces into the assembly
    /// buffer. Binary payloads have nothing to validate, so nothing is judged later than it
    /// would be; text keeps streaming through the validator (fail-fast UTF-8). Records how big
    /// the frame is so [`Receiver::spare_capacity`] can make room for all of it.
    fn wait_for_frame(&mut self) -> bool {
        self.want = 0;
        let d = &self.decoder;
        if d.state != State::Open || d.frame.is_some() || d.message.is_some() {
            return false;
        }
        let buf = &self.input[self.start..self.end];
        let Ok(Decoded::Complete((header, n))) =
            FrameHeader::decode_with(buf, d.config.length_rule)
        else {
            return false;
        };
        let compressed = d.inflating && header.rsv.contains(Rsv::RSV1);
        let total =
            usize::try_from(header.payload_len).map_or(usize::MAX, |len| n.saturating_add(len));
        if !header.fin
            || header.opcode != Opcode::Binary
            || compressed
            || total <= buf.len()
            || d.check_header(&header).is_err()
        {
            return false;
        }
        self.want = total;
        true
    }

    /// Marks `n` bytes of [`spare_capacity`](Self::spare_capacity) as received.
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.input.len());
    }

    /// The next event, or `None` when more input is needed (or after Close / an error).
    ///
    /// # Errors
    /// `Some(Err(_))` once, when the peer breaks the protocol; the error carries the close
    /// code to fail the connection with.
    pub fn poll_event(&mut self) -> Option<Result<Event<'_>, ProtocolError>> {
        if self.release {
            self.release = false;
            release(&mut self.text);
            release_bytes(&mut self.binary);
        }
        loop {
            if self.inflate.as_deref().is_some_and(|z| z.active) {
                match self.inflate_pending() {
                    Ok(Inflated::NeedInput) => {}
                    Ok(Inflated::Chunk { len, fin }) => return Some(self.inflated_chunk(len, fin)),
                    Ok(Inflated::Message) => {
                        self.release = true;
                        return Some(Ok(self.inflated_message()));
                    }
                    Err(e) => return Some(Err(self.fail_inflate(e))),
                }
            }
            if self.delivery == Delivery::Messages && !self.assembling && self.wait_for_frame() {
                return None;
            }
            let at = self.start;
            let raw = match self.decoder.decode_raw(&mut self.input[at..self.end]) {
                Ok(raw) => raw,
                Err(e) => return Some(Err(e)),
            };
            self.start += raw.consumed;
            let Some(ev) = raw.event else {
                if raw.consumed == 0 {
                    return None;
                }
                continue;
            };
            if let RawEvent::Data {
                compressed: true,
                kind,
                ref range,
                fin,
            } = ev
                && let Some(z) = self.inflate.as_deref_mut()
            {
                // Keep the payload in the input buffer (drop only the header) and inflate it
                // at the top of the loop.
                self.start = at + range.start;
                z.pending = range.len();
                z.last = fin;
                if !z.active {
                    z.active = true;
                    z.kind = kind;
                    z.carry = 0;
                }
                continue;
            }
            if matches!(ev, RawEvent::Close(_))
                && let Some(z) = self.inflate.as_deref_mut()
            {
                z.inflater.abort();
                z.active = false;
                z.pending = 0;
            }
            let whole = match (&ev, self.delivery) {
                (RawEvent::Data { fin, .. }, Delivery::Messages) => *fin && !self.assembling,
                (RawEvent::Close(_), _) => {
                    self.assembling = false;
                    self.release = true;
                    true
                }
                _ => true,
            };
            if whole {
                let buf = &self.input[at..self.end];
                return Some(self.decoder.make_event(buf, ev));
            }
            // Assemble: append this piece and hand out the message at its end.
            let buf = &self.input[at..self.end];
            let (fin, make): (bool, fn(&Self) -> Event<'_>) = match self.decoder.make_event(buf, ev)
            {
                Ok(Event::Text { data, fin }) => {
                    self.text.push_str(data);
                    (fin, |rx| Event::Text {
                        data: &rx.text,
                        fin: true,
                    })
                }
                Ok(Event::Binary { data, fin }) => {
                    self.binary.extend_from_slice(data);
                    (fin, |rx| Event::Binary {
                        data: &rx.binary,
                        fin: true,
                    })
                }
                Ok(Event::UncheckedText { data, fin }) => {
                    self.binary.extend_from_slice(data);
                    (fin, |rx| Event::UncheckedText {
                        data: &rx.binary,
                        fin: true,
                    })
                }
                Ok(_) => continue, // only data events are assembled
                Err(e) => return Some(Err(e)),
            };
            self.assembling = !fin;
            if fin {
                self.release = true;
                return Some(Ok(make(self)));
            }
        }
    }
}

/// The error for a compressed text message that inflated to an unfinished code point
/// (RFC 6455 §8.1).
fn truncated_text() -> ProtocolError {
    let mut v = Utf8Validator::new();
    let _ = v.feed(&[0xe2]); // a lone lead byte, then the end
    v.finish().err().map_or(
        ProtocolError::Inflate(crate::extensions::deflate::CodecError::new(
            "truncated text",
        )),
        ProtocolError::from,
    )
}

fn release(s: &mut String) {
    if s.capacity() > RETAIN_CAPACITY {
        *s = String::new();
    } else {
        s.clear();
    }
}

fn release_bytes(v: &mut Vec<u8>) {
    if v.capacity() > RETAIN_CAPACITY {
        *v = Vec::new();
    } else {
        v.clear();
    }
}
