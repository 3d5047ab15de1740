//! The buffered receiver: one input buffer, the decoder over it, the inflate stage and the
//! assembly of messages handed over whole.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ops::Range;

use super::decoder::{Decoder, RawEvent, validated_string};
use super::inflate::InflateStage;
use super::message::{Assembly, Text};
use super::{Delivery, Event, Kind, Message, RETAIN_CAPACITY, RecvConfig, growth};
use crate::Role;
use crate::error::ProtocolError;
use crate::extensions::deflate::MessageInflater;
use crate::frame::Rsv;

/// A single-frame message with this much payload or more (and at least half the read size
/// last offered, [`Receiver::hand_over_min`]) that starts the input buffer, or that waited in it
/// and was moved to its front, is handed over as the buffer itself by
/// [`Receiver::take_message`]; smaller messages are copied out.
const HAND_OVER_MIN: usize = 16 * 1024;

/// The largest read size [`Receiver::spare_capacity`] keeps room for after a message.
const MAX_READ_HINT: usize = 64 * 1024;

/// The largest buffer [`Receiver::recycle`] takes: what the receiver keeps after a message
/// for the largest read size, so a recycled buffer holds no more than that could.
const RECYCLE_MAX: usize = 2 * MAX_READ_HINT + MAX_READ_HINT / 4;

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
    /// [`MAX_READ_HINT`]): kept after a message, so reads of that size need no new memory.
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

    /// Appends bytes read from the transport. Pushing an empty slice changes nothing.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.reserve_input(bytes.len());
        // Copy into the initialised room, append the rest: new capacity is written once, by
        // these bytes, not zero-filled first.
        let room = self.input.len() - self.end;
        let (now, rest) = bytes.split_at(room.min(bytes.len()));
        self.input[self.end..self.end + now.len()].copy_from_slice(now);
        self.input.extend_from_slice(rest);
        self.end += bytes.len();
    }

    /// Writable space after the buffered input, for the transport to read into directly (no
    /// extra copy); report how many bytes were written with [`commit`](Self::commit). At
    /// least `min` bytes — except while a single-frame message waits in the buffer: then at
    /// least what it still needs or 8 KiB, whichever is more, if that is less than `min`.
    ///
    /// The buffer grows only as bytes arrive: a header announcing a large frame makes room
    /// for the next read, not for the frame.
    ///
    /// After a message the buffer is shrunk back to 2¼ × `min` (at most 144 KiB), or to 8 KiB
    /// if that is more,
    /// so a transport that always offers the same read size does not make it shrink and grow
    /// again on every message.
    pub fn spare_capacity(&mut self, min: usize) -> &mut [u8] {
        self.read_hint = min.min(MAX_READ_HINT);
        // While a single-frame message waits in the buffer, the room it still needs (or
        // RETAIN_CAPACITY) is all that is made: more would be zero-filled for bytes that may
        // not come (an echo's peer sends the next message only after the answer).
        let room = match self.decoder.held_len() {
            Some(total) => {
                let needed = total.saturating_sub(self.end - self.start);
                min.min(needed.max(RETAIN_CAPACITY))
            }
            None => min,
        };
        self.reserve_input(room);
        // Capacity may be reserved beyond it, but only the room asked for is initialised.
        let len = self.end + room;
        if len > self.input.len() {
            self.input.resize(len, 0);
        }
        &mut self.input[self.end..]
    }

    /// Makes room for `min` more bytes after the buffered input: moves what is unconsumed to
    /// the front and reserves (without initialising) when the capacity is short.
    fn reserve_input(&mut self, min: usize) {
        // The bytes of the last event may move or be overwritten from here on.
        self.last = Last::Nothing;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.input.capacity() - self.end >= min {
            return;
        }
        // Move unconsumed bytes to the front first. A frame waiting in the buffer starts at
        // the front from then on, so its bytes are moved at most once.
        self.compact();
        if let Some(extra) = growth(self.end, self.input.capacity(), min, usize::MAX) {
            self.input
                .reserve_exact(self.end + extra - self.input.len());
        }
    }

    /// Marks `n` bytes of [`spare_capacity`](Self::spare_capacity) as received.
    pub fn commit(&mut self, n: usize) {
        self.end = (self.end + n).min(self.input.len());
    }

    /// Moves the unconsumed bytes to the front. A large frame waiting in the buffer loses its
    /// header (already decoded), so its payload starts the buffer and the buffer itself can
    /// be handed over ([`take_message`](Self::take_message)).
    fn compact(&mut self) {
        // Only a large frame loses its header (so it can be handed over as the buffer): for a
        // small one, moving its bytes every time would cost more than copying it out once.
        let skip = match self.decoder.held_len() {
            Some(total) if total > self.hand_over_min() => self.decoder.drop_held_header(),
            _ => 0,
        };
        let from = self.start + skip;
        if from != 0 {
            self.input.copy_within(from..self.end, 0);
            self.end -= from;
            self.start = 0;
        }
    }

    /// The whole message the last [`poll_event`](Self::poll_event) handed out, as owned bytes
    /// (with [`Delivery::Messages`]); `None` after any other event, or when taken already.
    ///
    /// Without a copy when the message was assembled (fragmented or compressed), or when it
    /// is a single frame of 16 KiB or more (and at least half the read size last offered
    /// through [`spare_capacity`](Self::spare_capacity)) that started the input buffer (the usual case for
    /// a large message, which arrives after the one before it was read) or waited in it over
    /// several reads: its payload was moved over its header as it was unmasked, the buffer
    /// itself is handed over (with its spare capacity: at most the frame's size plus ~3 %, or
    /// 2¼ times the read size, 144 KiB at most) and only the bytes after the message go to a
    /// new one. Any other message shares the input buffer with others and is copied (less
    /// than 16 KiB, or a frame that began after other bytes in the buffer). Text that
    /// waited in the input buffer was validated as it arrived.
    ///
    /// ```
    /// use wswire::Role;
    /// use wswire::recv::{Event, Message, Receiver, RecvConfig};
    ///
    /// let mut rx = Receiver::new(Role::Client, RecvConfig::default());
    /// rx.handle_input(&[0x82, 0x03, 1, 2, 3]);
    /// let Some(Ok(Event::Binary { .. })) = rx.poll_event() else { panic!() };
    /// assert_eq!(rx.take_message(), Some(Message::Binary(vec![1, 2, 3])));
    /// assert_eq!(rx.take_message(), None);
    /// ```
    pub fn take_message(&mut self) -> Option<Message> {
        let validated = self.decoder.validates_text();
        match core::mem::replace(&mut self.last, Last::Nothing) {
            Last::Nothing => None,
            Last::Assembled(kind) => Some(self.assembly.take(kind, validated)),
            Last::Input(kind, range) => {
                let bytes = if range.start == 0 {
                    let rest = self.input[self.start..self.end].to_vec();
                    self.end -= self.start;
                    self.start = 0;
                    let mut message = core::mem::replace(&mut self.input, rest);
                    message.truncate(range.end);
                    message
                } else {
                    self.copy_out(range)
                };
                Some(match (kind, validated) {
                    // The text the last event handed out as `&str`, validated as it arrived.
                    (Kind::Text, true) => Message::Text(validated_string(bytes)),
                    (Kind::Text, false) => Message::UncheckedText(bytes),
                    (Kind::Binary, _) => Message::Binary(bytes),
                })
            }
        }
    }

    /// The bytes of `range` in the input, copied into the spare payload when it fits them
    /// and is at most twice as large (no allocation, and a message kept by the caller holds
    /// no more than twice its size), else into a new `Vec`.
    fn copy_out(&mut self, range: Range<usize>) -> Vec<u8> {
        let bytes = &self.input[range];
        let cap = self.spare.capacity();
        if cap < bytes.len() || cap > 2 * bytes.len().max(32) {
            return bytes.to_vec();
        }
        let mut out = core::mem::take(&mut self.spare);
        out.clear();
        out.extend_from_slice(bytes);
        out
    }

    /// The least message handed over as the buffer: 16 KiB, and at least half the read size
    /// last offered. The buffer that replaces it is a payload given back by
    /// [`recycle`](Self::recycle) or a new one, initialised only as far as the message was
    /// long or as reads need: the rest of a read's room is zero-filled again per message,
    /// which for a message under half a read costs more than copying the message out, and
    /// for a larger one less (`benches/e2e`, a 16 KiB echo at 1 and 100 connections, four
    /// rounds of each: with the copy, the median user CPU per message was 1.0–1.34× what it
    /// is with the hand-over).
    fn hand_over_min(&self) -> usize {
        HAND_OVER_MIN.max(self.read_hint / 2)
    }

    /// Takes `buf` (its bytes are garbage from here on) as the input buffer when nothing is
    /// buffered, no event's bytes are still to be taken, and `buf` is larger than the input
    /// buffer and within what the receiver keeps after a message of the largest read size
    /// ([`RECYCLE_MAX`], 144 KiB):
    /// the connection gives back the payloads it wrote (or copied into its output), so that
    /// an echo, or any exchange of large messages, reads into memory already allocated and
    /// initialised. Otherwise `buf` replaces the spare payload that the next copied message
    /// goes into (the latest, so that it follows the size of the messages now exchanged) if
    /// it is no larger than [`hand_over_min`](Self::hand_over_min) (16–32 KiB); else it is
    /// dropped. Memory held is bounded as before, plus that one spare.
    pub(crate) fn recycle(&mut self, buf: Vec<u8>) {
        let cap = buf.capacity();
        if self.start == self.end
            && matches!(self.last, Last::Nothing)
            && cap > self.input.capacity()
            && cap <= RECYCLE_MAX
        {
            self.input = buf;
            self.start = 0;
            self.end = 0;
        } else if cap <= self.hand_over_min() {
            self.spare = buf;
        }
    }

    /// After a message: the assembly buffer is emptied, and an input buffer above what it
    /// still holds (more than twice that) and above [`Receiver::retained`] is shrunk back to
    /// that, so memory is not pinned by one large message or one large read. Moving what it
    /// holds costs at most one copy of those bytes, however the shrinking repeats.
    fn reclaim(&mut self) {
        self.reclaim = false;
        self.assembly.reclaim();
        // The read size may have shrunk since the spare was kept.
        if self.spare.capacity() > self.hand_over_min() {
            self.spare = Vec::new();
        }
        let held = self.end - self.start;
        let keep = held.max(self.retained());
        let len = self.input.len();
        if len > keep && len > 2 * held && self.decoder.held_len().is_none() {
            self.compact();
            self.input.truncate(keep);
            self.input.shrink_to(keep);
        }
    }

    /// The input buffer kept after a message: room for a frame of the last read size, its
    /// header and the next read, i.e. 2¼ times that read size (at most 144 KiB), and at
    /// least 8 KiB.
    /// A stream of messages about as large as the reads then runs in one buffer, with no
    /// shrinking and growing again (reallocation, zero-fill, page faults) per message;
    /// anything larger is released after its message.
    fn retained(&self) -> usize {
        RETAIN_CAPACITY.max(2 * self.read_hint + self.read_hint / 4)
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
