//! The buffered receiver: one input buffer, the decoder over it, the inflate stage and the
//! assembly of messages handed over whole.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ops::Range;

use super::decoder::{Decoder, RawEvent};
use super::inflate::InflateStage;
use super::message::{Assembly, Text};
use super::{Delivery, Event, Kind, RecvConfig};
use crate::Role;
use crate::error::ProtocolError;
use crate::extensions::deflate::MessageInflater;
use crate::frame::Rsv;

mod input;

/// Where the payload of the last whole message handed out lies.
#[derive(Clone, Debug)]
enum Last {
    Nothing,
    /// In the assembly buffer.
    Assembled(Kind),
    /// In the input buffer, at this range.
    Input(Kind, Range<usize>),
}

/// The buffered receiver; see the [module docs](super).
///
/// # Memory
/// The input buffer grows with the bytes that arrive (a single-frame message waits in it
/// until complete, so the buffer follows that frame's bytes, at most 1 MiB or ~3 % above
/// them) and is
/// shrunk back to 8 KiB once the message is handed over (or to 2¼ times the read size last
/// offered through [`spare_capacity`](Self::spare_capacity), at most 144 KiB); the assembly buffer of
/// a fragmented or compressed message is released when it grew past 8 KiB. Nothing is
/// allocated until bytes arrive.
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
    /// Input bytes; `[start..end]` are not yet consumed. Initialised up to `len()`.
    input: Vec<u8>,
    start: usize,
    end: usize,
    assembly: Assembly,
    /// An event was handed out: reclaim memory before the next poll.
    reclaim: bool,
    /// Where the last whole message handed out lies, for [`Receiver::take_message`].
    last: Last,
    /// permessage-deflate, once agreed.
    inflate: Option<Box<InflateStage>>,
    /// The last read size offered through [`Receiver::spare_capacity`] (at most
    /// [`MAX_READ_HINT`](input::MAX_READ_HINT)): kept after a message, so reads of that size need no new memory.
    read_hint: usize,
    /// A payload given back by [`Receiver::recycle`] that the input buffer did not adopt
    /// (empty if none): the next message copied out of the input is copied into it, so an
    /// echo of messages that are copied allocates nothing per message. Its capacity is at
    /// most [`Receiver::hand_over_min`] (16–32 KiB).
    spare: Vec<u8>,
}

impl Receiver {
    /// A receiver delivering whole messages.
    ///
    /// ```
    /// use wswire::Role;
    /// use wswire::recv::{Event, Receiver, RecvConfig};
    ///
    /// let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    /// rx.handle_input(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i']); // a client's masked "hi"
    /// assert_eq!(rx.poll_event(), Some(Ok(Event::Text { data: "hi", fin: true })));
    /// ```
    pub fn new(role: Role, config: RecvConfig) -> Self {
        Self::with_delivery(role, config, Delivery::Messages)
    }

    /// A receiver with the given [`Delivery`] mode.
    ///
    /// ```
    /// use wswire::Role;
    /// use wswire::recv::{Delivery, Event, Receiver, RecvConfig};
    ///
    /// let mut rx = Receiver::with_delivery(Role::Client, RecvConfig::default(), Delivery::Chunks);
    /// rx.handle_input(b"\x01\x03Hel"); // the first fragment of "Hello" (RFC 6455 §5.7)
    /// assert_eq!(rx.poll_event(), Some(Ok(Event::Text { data: "Hel", fin: false })));
    /// rx.handle_input(b"\x80\x02lo");
    /// assert_eq!(rx.poll_event(), Some(Ok(Event::Text { data: "lo", fin: true })));
    /// assert_eq!(rx.poll_event(), None); // needs more bytes
    /// ```
    pub fn with_delivery(role: Role, config: RecvConfig, delivery: Delivery) -> Self {
        let mut decoder = Decoder::new(role, config);
        decoder.hold = delivery == Delivery::Messages;
        Self {
            decoder,
            delivery,
            input: Vec::new(),
            start: 0,
            end: 0,
            assembly: Assembly::default(),
            reclaim: false,
            spare: Vec::new(),
            last: Last::Nothing,
            inflate: None,
            read_hint: 0,
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
        self.inflate = Some(Box::new(InflateStage::new(inflater)));
    }

    /// The inflater, once [`Receiver::set_inflater`] was called.
    pub fn inflater(&self) -> Option<&MessageInflater> {
        self.inflate.as_deref().map(InflateStage::inflater)
    }

    /// The decoder underneath (state queries, configuration).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Bytes received but not yet consumed.
    pub fn buffered(&self) -> usize {
        self.end - self.start
    }

    /// The next event, or `None` when more input is needed (or after Close / an error).
    ///
    /// # Errors
    /// `Some(Err(_))` once, when the peer breaks the protocol; the error carries the close
    /// code to fail the connection with.
    pub fn poll_event(&mut self) -> Option<Result<Event<'_>, ProtocolError>> {
        self.last = Last::Nothing;
        if self.reclaim {
            self.reclaim();
        }
        loop {
            if self
                .inflate
                .as_deref()
                .is_some_and(|z| z.cursor().is_active())
            {
                match self.poll_inflate() {
                    Ok(false) => {}
                    Ok(true) if self.delivery == Delivery::Chunks => {
                        return Some(self.inflated_piece());
                    }
                    Ok(true) => {
                        let kind = self
                            .inflate
                            .as_deref()
                            .map_or(Kind::Binary, |z| z.cursor().kind());
                        return Some(Ok(self.assembled(kind)));
                    }
                    Err(e) => return Some(Err(self.fail(e))),
                }
            }
            let at = self.start;
            // A large message that starts the buffer is moved over its header as it is
            // unmasked, so that the buffer can be handed over (`take_message`).
            self.decoder.shift_from = if at == 0 && self.delivery == Delivery::Messages {
                self.hand_over_min()
            } else {
                usize::MAX
            };
            let raw = match self.decoder.decode_raw(&mut self.input[at..self.end]) {
                Ok(raw) => raw,
                Err(e) => return Some(Err(self.fail(e))),
            };
            self.start += raw.consumed;
            let Some(ev) = raw.event else {
                if raw.consumed == 0 {
                    return None;
                }
                continue;
            };
            match ev {
                RawEvent::Data {
                    compressed: true,
                    kind,
                    ref range,
                    fin,
                    ..
                } if let Some(z) = self.inflate.as_deref_mut() => {
                    // Leave the payload in the input buffer (drop only the header) and
                    // inflate it at the top of the loop.
                    self.start = at + range.start;
                    z.push(kind, range.len(), fin);
                    continue;
                }
                RawEvent::Close(_) => {
                    if let Some(z) = self.inflate.as_deref_mut() {
                        z.abort();
                    }
                    self.assembly.abandon();
                }
                RawEvent::Data { fin, .. }
                    if self.delivery == Delivery::Messages
                        && (!fin || self.assembly.is_active()) =>
                {
                    match self.assemble(at, ev) {
                        Ok(false) => continue,
                        Ok(true) => {
                            let kind = self.decoder.message().kind();
                            return Some(Ok(self.assembled(kind)));
                        }
                        Err(e) => return Some(Err(e)),
                    }
                }
                RawEvent::Data {
                    kind, ref range, ..
                } if self.delivery == Delivery::Messages => {
                    self.last = Last::Input(kind, at + range.start..at + range.end);
                }
                _ => {}
            }
            // Only a large input buffer can need shrinking after an event handed out in place.
            self.reclaim |= self.input.len() > self.retained();
            let buf = &self.input[at..self.end];
            let event = self.decoder.make_event(buf, ev);
            if event.is_err() {
                // E.g. invalid UTF-8 found at the end: there is no message to take.
                self.last = Last::Nothing;
            }
            return Some(event);
        }
    }

    /// The message just assembled, as an event.
    fn assembled(&mut self, kind: Kind) -> Event<'_> {
        self.reclaim = true;
        self.last = Last::Assembled(kind);
        let validated = self.decoder.validates_text();
        self.assembly.event(kind, validated)
    }

    /// Appends a piece of a fragmented message to the assembly; `true` at its end.
    fn assemble(&mut self, at: usize, ev: RawEvent) -> Result<bool, ProtocolError> {
        let max = self.decoder.config().max_message_size;
        let buf = &self.input[at..self.end];
        Ok(match self.decoder.make_event(buf, ev)? {
            Event::Text { data, fin } => {
                self.assembly.push_text(data, max);
                fin
            }
            Event::Binary { data, fin } | Event::UncheckedText { data, fin } => {
                self.assembly.push_bytes(data, max);
                fin
            }
            _ => false, // only data events are assembled
        })
    }

    /// Fails the receiver with `e`, dropping any message in progress. Nothing is delivered
    /// after a failure, so its memory (the message so far, unread input) is released now
    /// rather than at a next poll, which a failed connection may never make while it waits
    /// for the peer's Close.
    fn fail(&mut self, e: ProtocolError) -> ProtocolError {
        if let Some(z) = self.inflate.as_deref_mut() {
            z.abort();
        }
        self.assembly.abandon();
        let e = self.decoder.fail(e);
        self.start = self.end;
        self.reclaim();
        e
    }
}

/// The inflate stage's side of [`Receiver::poll_event`].
impl Receiver {
    /// Runs the inflate stage: `Ok(true)` when an event is ready (a piece for
    /// [`Delivery::Chunks`], the whole message in the assembly otherwise), `Ok(false)` when
    /// more frames are needed.
    fn poll_inflate(&mut self) -> Result<bool, ProtocolError> {
        let max = self.decoder.config().max_message_size;
        let Some(z) = self.inflate.as_deref_mut() else {
            return Ok(false);
        };
        loop {
            if z.cursor().has_output() {
                if self.delivery == Delivery::Chunks {
                    return Ok(true);
                }
                if drain_into(z, &mut self.assembly, &mut self.decoder, max)? {
                    return Ok(true);
                }
            }
            if !z.cursor().can_inflate() {
                return Ok(false);
            }
            let input = &self.input[self.start..self.end];
            self.start += z.inflate(input, max)?;
        }
    }

    /// The next inflated piece ([`Delivery::Chunks`]), once [`poll_inflate`](Self::poll_inflate)
    /// said one is ready; text is validated here, fail-fast.
    fn inflated_piece(&mut self) -> Result<Event<'_>, ProtocolError> {
        let validated = self.decoder.validates_text();
        self.reclaim = true;
        let Some(z) = self.inflate.as_deref_mut() else {
            return Ok(Event::Binary {
                data: &[],
                fin: true,
            });
        };
        let (scratch, cursor) = z.split();
        let (bytes, done) = cursor.output(scratch);
        let kind = cursor.kind();
        let (used, text) = match kind {
            Kind::Text if validated => match self.decoder.message().text(bytes, done) {
                Ok((text, used)) => (used, Some(text)),
                Err(e) => {
                    cursor.stop();
                    return Err(self.decoder.fail(e.into()));
                }
            },
            _ => (bytes.len(), None),
        };
        let fin = done && used == bytes.len();
        cursor.advance(used);
        Ok(match (kind, text) {
            (_, Some(Text::Input(data))) => Event::Text { data, fin },
            (_, Some(Text::Completed)) => Event::Text {
                data: self.decoder.message_stage().completed(),
                fin,
            },
            (Kind::Text, None) => Event::UncheckedText { data: bytes, fin },
            (Kind::Binary, None) => Event::Binary { data: bytes, fin },
        })
    }
}

/// Hands the inflate stage's output to the message stage and the assembly; `true` when the
/// message is complete.
fn drain_into(
    z: &mut InflateStage,
    assembly: &mut Assembly,
    decoder: &mut Decoder,
    max: u64,
) -> Result<bool, ProtocolError> {
    let validated = decoder.validates_text();
    let (scratch, cursor) = z.split();
    while cursor.has_output() {
        let (bytes, done) = cursor.output(scratch);
        let used = match cursor.kind() {
            Kind::Text if validated => {
                let (text, used) = decoder.message().text(bytes, done)?;
                match text {
                    Text::Input(s) => assembly.push_text(s, max),
                    Text::Completed => assembly.push_text(decoder.message_stage().completed(), max),
                }
                used
            }
            _ => {
                assembly.push_bytes(bytes, max);
                bytes.len()
            }
        };
        let ended = done && used == bytes.len();
        cursor.advance(used);
        if ended {
            return Ok(true);
        }
    }
    Ok(false)
}
