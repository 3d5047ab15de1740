//! The receiver's input buffer: reads into it, its growth and shrinking, and the owned
//! hand-off of the message it holds ([`Receiver::take_message`]), with the payloads given
//! back ([`Receiver::recycle`]).

use alloc::vec::Vec;
use core::ops::Range;

use super::{Last, Receiver};
use crate::recv::decoder::validated_string;
use crate::recv::{Kind, Message, RETAIN_CAPACITY, growth};

/// A single-frame message with this much payload or more (and at least half the read size
/// last offered, [`Receiver::hand_over_min`]) that starts the input buffer, or that waited in it
/// and was moved to its front, is handed over as the buffer itself by
/// [`Receiver::take_message`]; smaller messages are copied out.
pub(super) const HAND_OVER_MIN: usize = 16 * 1024;

/// The largest read size [`Receiver::spare_capacity`] keeps room for after a message.
pub(super) const MAX_READ_HINT: usize = 64 * 1024;

/// The largest buffer [`Receiver::recycle`] takes: what the receiver keeps after a message
/// for the largest read size, so a recycled buffer holds no more than that could.
pub(super) const RECYCLE_MAX: usize = 2 * MAX_READ_HINT + MAX_READ_HINT / 4;

impl Receiver {
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
    /// (with [`Delivery::Messages`](crate::recv::Delivery::Messages)); `None` after any other event, or when taken already.
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
    #[inline]
    pub(super) fn hand_over_min(&self) -> usize {
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
    pub(super) fn reclaim(&mut self) {
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
    #[inline]
    pub(super) fn retained(&self) -> usize {
        RETAIN_CAPACITY.max(2 * self.read_hint + self.read_hint / 4)
    }
}
