//! The zero-copy decoder: the frame stage and the message stage over a caller's buffer.

use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

use super::frame::{self, Header, Payload};
use super::message::{MessageStage, Text};
use super::{Event, Kind, RecvConfig};
use crate::Role;
use crate::error::ProtocolError;
use crate::frame::mask::shift_mask;
use crate::frame::{CloseFrame, FrameHeader, Opcode, Rsv, apply_mask};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    /// A Close frame was received: further input is ignored (RFC 6455 §5.5.1).
    Closed,
    /// The peer broke the protocol: further input is ignored (§7.1.7).
    Failed,
}

/// A data frame whose payload is still arriving.
#[derive(Clone, Copy, Debug)]
struct Frame {
    payload: Payload,
    kind: Kind,
    fin: bool,
    compressed: bool,
    /// The frame is a whole message that waits in the buffer until all of it is there
    /// (the [`super::Receiver`]'s whole-message mode): its header length and total length.
    held: Option<(usize, usize)>,
    /// A held frame whose payload is moved over its header as it is unmasked.
    shifted: bool,
    /// Its payload is text validated as it arrives.
    validating: bool,
}

/// What the decoder found, as positions in the buffer, before any borrow is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum RawEvent {
    Data {
        kind: Kind,
        range: Range<usize>,
        fin: bool,
        compressed: bool,
        /// Text whose bytes were all validated already (a held frame).
        validated: bool,
    },
    Ping(Range<usize>),
    Pong(Range<usize>),
    Close(Range<usize>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RawStep {
    pub(super) consumed: usize,
    pub(super) event: Option<RawEvent>,
}

impl RawStep {
    const NEED_MORE: Self = Self {
        consumed: 0,
        event: None,
    };
}

/// The zero-copy frame decoder; see the [module docs](super).
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
    message: MessageStage,
    /// Messages with RSV1 are compressed (set by [`super::Receiver::set_inflater`]): their
    /// payload is handed to the inflate stage rather than validated here.
    pub(super) inflating: bool,
    /// Single-frame messages wait in the buffer until whole (set by the `Receiver`).
    pub(super) hold: bool,
    /// A whole single-frame message with at least this much payload, not compressed, starting
    /// the next frame, has its payload moved over its header as it is unmasked (so that it
    /// starts where the frame did): set by the `Receiver` before each decode, to its
    /// hand-over size when the frame starts its buffer, else `usize::MAX`.
    pub(super) shift_from: usize,
}

impl Decoder {
    /// A decoder for an endpoint of the given role (a server expects masked frames).
    ///
    /// ```
    /// use wswire::Role;
    /// use wswire::recv::{Decoder, RecvConfig};
    ///
    /// let mut config = RecvConfig::default();
    /// config.max_message_size = 16 << 20; // 16 MiB (the default is 1 MiB)
    /// config.max_frame_payload = 16 << 20;
    /// let decoder = Decoder::new(Role::Server, config);
    /// assert!(!decoder.in_message());
    /// ```
    pub fn new(role: Role, config: RecvConfig) -> Self {
        Self {
            role,
            config,
            state: State::Open,
            frame: None,
            message: MessageStage::new(),
            inflating: false,
            hold: false,
            shift_from: usize::MAX,
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
        self.message.in_message()
    }

    /// Decodes from the start of `buf`: at most one event per call.
    ///
    /// Call again with `&mut buf[step.consumed..]` (plus any new bytes) until a call consumes
    /// nothing and returns no event: then more bytes are needed. Bytes not consumed must be
    /// presented again. A buffer of [`MIN_DECODE_BUFFER`](super::MIN_DECODE_BUFFER) bytes
    /// always suffices to progress.
    ///
    /// # Errors
    /// A [`ProtocolError`] (with its close code) the first time the peer breaks a rule; after
    /// that the decoder consumes and ignores everything.
    #[inline]
    ///
    /// ```
    /// use wswire::Role;
    /// use wswire::recv::{Decoder, Event, RecvConfig};
    ///
    /// let mut decoder = Decoder::new(Role::Client, RecvConfig::default());
    /// let mut buf = *b"\x81\x05Hello\x89\x00"; // a text frame, then a Ping (RFC 6455 §5.7)
    /// let step = decoder.decode(&mut buf)?;
    /// assert_eq!(step.event, Some(Event::Text { data: "Hello", fin: true }));
    /// let at = step.consumed;
    /// let step = decoder.decode(&mut buf[at..])?;
    /// assert_eq!((step.event, step.consumed), (Some(Event::Ping(&[])), 2));
    /// # Ok::<(), wswire::ProtocolError>(())
    /// ```
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

    /// The whole length (header and payload) of a single-frame message waiting in the buffer.
    pub(super) fn held_len(&self) -> Option<usize> {
        self.frame.and_then(|f| f.held).map(|(_, total)| total)
    }

    /// Forgets the header of a held frame (it was decoded): the buffer may now start at its
    /// payload. Returns the header's length (0 when no frame is held).
    pub(super) fn drop_held_header(&mut self) -> usize {
        match &mut self.frame {
            Some(Frame {
                held: Some((header_len, total)),
                shifted: false,
                ..
            }) => {
                let n = *header_len;
                *header_len = 0;
                *total -= n;
                n
            }
            _ => 0,
        }
    }

    pub(super) const fn message(&mut self) -> &mut MessageStage {
        &mut self.message
    }

    pub(super) const fn message_stage(&self) -> &MessageStage {
        &self.message
    }

    pub(super) const fn validates_text(&self) -> bool {
        self.config.validate_utf8
    }

    /// Fails the decoder: it reports `e` and ignores everything after it.
    pub(super) fn fail(&mut self, e: ProtocolError) -> ProtocolError {
        self.state = State::Failed;
        self.frame = None;
        self.message.abandon();
        e
    }

    /// Does everything but make the borrowed event: header checks, unmasking, state.
    ///
    /// Inlined into its callers: returning the `Result` through memory from an out-of-line
    /// call cost more than the decoding itself (store-forwarding stalls on every frame).
    #[inline(always)]
    pub(super) fn decode_raw(&mut self, buf: &mut [u8]) -> Result<RawStep, ProtocolError> {
        if self.state != State::Open {
            return Ok(RawStep {
                consumed: buf.len(),
                event: None,
            });
        }
        match self.frame {
            None => self.start_frame(buf),
            Some(f) => match f.held {
                Some(held) => self.continue_held(buf, f, held),
                None => Ok(self.continue_frame(buf, f, 0)),
            },
        }
    }

    /// A frame's header: its rules, then a control frame whole, a single-frame message that
    /// is all there in one go, or the start of a payload that is still arriving.
    #[inline(always)]
    fn start_frame(&mut self, buf: &mut [u8]) -> Result<RawStep, ProtocolError> {
        let (h, n) = match frame::header(buf, self.role, &self.config) {
            Ok(Header::Complete(h, n)) => (h, n),
            Ok(Header::Incomplete(opcode)) => {
                if let Some(opcode) = opcode
                    && let Err(e) = self.message.check_sequence(opcode)
                {
                    return Err(self.fail(e));
                }
                return Ok(RawStep::NEED_MORE);
            }
            Err(e) => return Err(self.fail(e)),
        };
        if h.opcode.is_control() {
            return Ok(
                frame::control(buf, &h, n).map_or(RawStep::NEED_MORE, |range| {
                    let event = match h.opcode {
                        Opcode::Ping => RawEvent::Ping(range.clone()),
                        Opcode::Pong => RawEvent::Pong(range.clone()),
                        _ => RawEvent::Close(range.clone()),
                    };
                    RawStep {
                        consumed: range.end,
                        event: Some(event),
                    }
                }),
            );
        }
        if let Err(e) = self.check_data_header(&h) {
            return Err(self.fail(e));
        }
        #[expect(
            clippy::cast_possible_truncation,
            reason = "check_frame_size keeps data frames within usize"
        )]
        let total = n.checked_add(h.payload_len as usize);
        let whole = h.fin && h.opcode.is_data_start();
        if whole
            && let Some(total) = total
            && let Some(payload) = buf.get_mut(n..total)
        {
            // Fast path: a whole single-frame message already in the buffer needs no frame
            // or fragment state.
            let kind = self.message.begin_message(&h, self.inflating);
            let compressed = self.message.compressed();
            let range = if payload.len() >= self.shift_from && !compressed {
                shift_mask(&mut buf[..total], n, h.mask, 0);
                0..total - n
            } else {
                if let Some(key) = h.mask {
                    apply_mask(payload, key, 0);
                }
                n..total
            };
            return Ok(RawStep {
                consumed: total,
                event: Some(RawEvent::Data {
                    kind,
                    range,
                    fin: true,
                    compressed,
                    validated: false,
                }),
            });
        }
        let kind = self.message.begin_frame(&h, self.inflating);
        let compressed = self.message.compressed();
        let held = total.filter(|_| self.hold && whole && !compressed);
        let f = Frame {
            payload: Payload::new(&h),
            kind,
            fin: h.fin,
            compressed,
            held: held.map(|total| (n, total)),
            shifted: held.is_some()
                && usize::try_from(h.payload_len).is_ok_and(|len| len >= self.shift_from),
            validating: kind == Kind::Text && self.config.validate_utf8,
        };
        self.frame = Some(f);
        match f.held {
            Some(held) => self.continue_held(buf, f, held),
            None => Ok(self.continue_frame(buf, f, n)),
        }
    }

    /// The rules on a data frame's header that need the message: sequencing first (a stray
    /// continuation is a 1002 whatever its size), then the frame and message limits.
    #[inline(always)]
    fn check_data_header(&self, h: &FrameHeader) -> Result<(), ProtocolError> {
        self.message.check_sequence(h.opcode)?;
        let compressed = if h.opcode.is_data_start() {
            self.inflating && h.rsv.contains(Rsv::RSV1)
        } else {
            self.message.compressed()
        };
        frame::check_frame_size(&self.config, h, compressed)?;
        self.message.check_limits(&self.config, h, compressed)
    }

    /// The next piece of a frame's payload at `buf[start..]`: as much as is there, except
    /// that a code point begun in the last piece is finished first, as its own piece.
    #[inline(always)]
    fn continue_frame(&mut self, buf: &mut [u8], mut f: Frame, start: usize) -> RawStep {
        let mut take = f.payload.take(buf.len() - start);
        let needed = self.message.utf8_needed();
        if needed != 0 && f.kind == Kind::Text && self.config.validate_utf8 && !f.compressed {
            take = take.min(needed);
        }
        if take == 0 && f.payload.remaining() != 0 {
            return RawStep {
                consumed: start,
                event: None,
            };
        }
        let range = start..start + take;
        f.payload.unmask(&mut buf[range.clone()]);
        let last = f.payload.remaining() == 0;
        let fin = last && f.fin;
        self.frame = if last { None } else { Some(f) };
        if fin {
            self.message.end_message();
        }
        RawStep {
            consumed: range.end,
            event: Some(RawEvent::Data {
                kind: f.kind,
                range,
                fin,
                compressed: f.compressed,
                validated: false,
            }),
        }
    }

    /// A held single-frame message: unmask and validate the bytes that arrived since the last
    /// call (nothing is done twice), and hand the message over once all of it is there.
    fn continue_held(
        &mut self,
        buf: &mut [u8],
        mut f: Frame,
        (header_len, total): (usize, usize),
    ) -> Result<RawStep, ProtocolError> {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "remaining ≤ the payload length, which fits in usize (`total` does)"
        )]
        let done = total - f.payload.remaining() as usize;
        let end = buf.len().min(total);
        // A shifted frame's payload so far is at `buf[..done - header_len]`.
        let shift = if f.shifted { header_len } else { 0 };
        if end > done {
            if f.shifted {
                f.payload.unmask_shifted(&mut buf[done - shift..end], shift);
            } else {
                f.payload.unmask(&mut buf[done..end]);
            }
            let fresh = &buf[done - shift..end - shift];
            if f.validating
                && let Err(e) = self.message.validate(fresh, end == total)
            {
                return Err(self.fail(e.into()));
            }
        }
        if end < total {
            self.frame = Some(f);
            return Ok(RawStep::NEED_MORE);
        }
        self.frame = None;
        self.message.end_message();
        Ok(RawStep {
            consumed: total,
            event: Some(RawEvent::Data {
                kind: f.kind,
                range: header_len - shift..total - shift,
                fin: true,
                compressed: false,
                validated: f.validating,
            }),
        })
    }

    /// Turns positions into an event borrowing `buf` (or, for a code point completed across
    /// pieces, `self`), validating text on the way.
    #[inline(always)]
    pub(super) fn make_event<'a>(
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
                    self.message.abandon();
                    Event::close(close)
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
            RawEvent::Data { range, fin, .. } if !self.config.validate_utf8 => {
                Event::UncheckedText {
                    data: &buf[range],
                    fin,
                }
            }
            RawEvent::Data {
                range,
                validated: true,
                ..
            } => Event::Text {
                data: validated_text(&buf[range]),
                fin: true,
            },
            RawEvent::Data { range, fin, .. } => match self.message.text(&buf[range], fin) {
                Ok((Text::Input(data), _)) => Event::Text { data, fin },
                Ok((Text::Completed, _)) => Event::Text {
                    data: self.message.completed(),
                    fin,
                },
                Err(e) => return Err(self.fail(e.into())),
            },
        })
    }
}

/// The text of a held frame, whose bytes the message stage validated piece by piece as they
/// arrived (fail-fast) and found complete at the end.
///
/// The crate's first unchecked UTF-8 conversion (`validated_string` below is the second):
/// validating the whole message a second time, only to make the `&str`, made a 64 KiB
/// multibyte message that straddles reads 1.8× slower than one read at once (`benches/peers`,
/// `straddle_multibyte`), 1.27× for ASCII.
#[allow(unsafe_code)]
#[inline]
fn validated_text(bytes: &[u8]) -> &str {
    // Every test that receives a held text frame checks the fast path against the safe one.
    debug_assert!(core::str::from_utf8(bytes).is_ok(), "held text not valid");
    // SAFETY: `bytes` is the payload of a held frame (`RawEvent::Data { validated: true }`),
    // made only by `Decoder::continue_held` for a frame marked `validating` when it started:
    // the message stage's validator was reset at that frame's start (`begin_frame`, a data
    // frame that starts a message) and was fed every payload byte exactly once, in order, as
    // it was unmasked, and `finish` found no unfinished code point at the end; any invalid
    // byte failed the decoder instead. Held frames exist only in the `Receiver`'s mode
    // (`hold` is not public), and the `Receiver` never writes to its unconsumed input:
    // `spare_capacity` hands out only the bytes after it, and `compact` moves it unchanged,
    // keeping offsets relative to the frame. So these bytes are the validated bytes.
    unsafe { core::str::from_utf8_unchecked(bytes) }
}

/// A text message taken out of the `Receiver`'s input as an owned `String`
/// ([`Receiver::take_message`](super::Receiver::take_message)): the bytes the last event
/// handed out as `&str` — validated as they arrived, by the message stage or as a held frame
/// (see [`validated_text`]) — moved or copied out, never changed.
///
/// The crate's second unchecked UTF-8 conversion: `String::from_utf8` validated every such
/// message a second time, which made the adapter's echo of a 16 KiB text (a multi-byte
/// character every 40 bytes) cost 4.5 µs of user CPU against 1.1 µs for the same binary
/// (`benches/e2e`); see BENCHMARKS.md for the micro-benchmark.
#[allow(unsafe_code)]
pub(super) fn validated_string(bytes: Vec<u8>) -> String {
    // Every test that takes a text message checks the fast path against the safe one.
    debug_assert!(core::str::from_utf8(&bytes).is_ok(), "taken text not valid");
    // SAFETY: the `Receiver` calls this only for `Last::Input(Kind::Text, range)` with text
    // validation on. That value is set by `poll_event` for the data event it returns, whose
    // text the decoder produced as `&str` from exactly these bytes (`make_event`: the message
    // stage's validator, or `validated_text` for a held frame); it is cleared when that event
    // is an error, at the next `poll_event`, and before any input can move or overwrite the
    // buffer (`spare_capacity`, which `handle_input` also goes through). So `bytes` are the
    // bytes of a `&str` handed out and unchanged since.
    unsafe { String::from_utf8_unchecked(bytes) }
}
