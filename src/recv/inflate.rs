//! The inflate stage (permessage-deflate, RFC 7692 §6.2): between the frame stage and the
//! message stage, only for messages whose first frame has RSV1. Compressed payload waits,
//! unmasked, at the front of the receiver's unread input; it is inflated into a reused
//! buffer of [`INFLATE_BUFFER`] bytes, bounded by the message size limit.

use alloc::vec;
use alloc::vec::Vec;
use core::ops::Range;

use super::Kind;
use crate::error::ProtocolError;
use crate::extensions::deflate::MessageInflater;

/// The size of the reused buffer that compressed messages are inflated into.
const INFLATE_BUFFER: usize = 16 * 1024;

/// permessage-deflate state of a [`super::Receiver`].
#[derive(Debug)]
pub(super) struct InflateStage {
    inflater: MessageInflater,
    /// Inflated output; allocated on the first compressed message, then reused.
    scratch: Vec<u8>,
    cursor: Cursor,
}

/// Where the compressed message in progress stands.
#[derive(Clone, Debug)]
pub(super) struct Cursor {
    /// Compressed payload bytes at the front of the unread input, not yet inflated.
    pending: usize,
    /// Those bytes run to the end of the message.
    last: bool,
    /// A compressed message is in progress.
    active: bool,
    kind: Kind,
    /// Inflated bytes in the scratch buffer not yet handed to the message stage.
    out: Range<usize>,
    /// The inflater went past the limit: once `out` is handed on, the next inflate fails
    /// with 1009, before any later frame is read (RFC 6455 §10.4: the message is too big
    /// where its bytes are, whether or not the rest of its frame has arrived).
    over: bool,
    /// The message is all inflated: `out` is the end of it.
    done: bool,
}

impl Cursor {
    /// A compressed message is being inflated.
    pub(super) const fn is_active(&self) -> bool {
        self.active
    }

    pub(super) const fn kind(&self) -> Kind {
        self.kind
    }

    /// Inflated bytes are waiting, or the end of the message is.
    pub(super) fn has_output(&self) -> bool {
        !self.out.is_empty() || self.done
    }

    /// The inflated bytes waiting, in the scratch buffer, and whether they end the message.
    pub(super) fn output<'s>(&self, scratch: &'s [u8]) -> (&'s [u8], bool) {
        (&scratch[self.out.clone()], self.done)
    }

    /// `used` bytes of the output were handed on; the message ends once all of its last
    /// output was.
    pub(super) fn advance(&mut self, used: usize) {
        self.out.start += used;
        if self.done && self.out.is_empty() {
            self.active = false;
            self.done = false;
        }
    }

    /// Compressed bytes are pending (or the end of the message, to feed the tail).
    pub(super) fn can_inflate(&self) -> bool {
        self.pending != 0 || self.last || self.over
    }

    /// Forgets the message in progress.
    pub(super) fn stop(&mut self) {
        self.active = false;
        self.done = false;
        self.pending = 0;
        self.last = false;
        self.out = 0..0;
        self.over = false;
    }
}

impl InflateStage {
    pub(super) fn new(inflater: MessageInflater) -> Self {
        Self {
            inflater,
            scratch: Vec::new(),
            cursor: Cursor {
                pending: 0,
                last: false,
                active: false,
                kind: Kind::Binary,
                out: 0..0,
                over: false,
                done: false,
            },
        }
    }

    pub(super) const fn inflater(&self) -> &MessageInflater {
        &self.inflater
    }

    pub(super) const fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    /// The scratch buffer and the cursor into it, borrowed apart.
    pub(super) fn split(&mut self) -> (&[u8], &mut Cursor) {
        (&self.scratch, &mut self.cursor)
    }

    /// `len` bytes of a compressed message's payload (of a message of `kind`) now lie,
    /// unmasked, at the front of the unread input; `last` when they end the message.
    pub(super) fn push(&mut self, kind: Kind, len: usize, last: bool) {
        let c = &mut self.cursor;
        if !c.active {
            c.active = true;
            c.kind = kind;
            c.out = 0..0;
            c.done = false;
        }
        c.pending = len;
        c.last = last;
    }

    /// Inflates from `input` (the pending compressed bytes, the front of the unread input)
    /// once all earlier output was handed on; returns how many input bytes it used.
    ///
    /// # Errors
    /// 1007 for invalid DEFLATE data, 1009 past `max` (after the bytes up to `max` were
    /// handed on, so that invalid text before the limit is a 1007 however it arrives).
    pub(super) fn inflate(&mut self, input: &[u8], max: u64) -> Result<usize, ProtocolError> {
        if self.scratch.is_empty() {
            self.scratch = vec![0; INFLATE_BUFFER];
        }
        let c = &mut self.cursor;
        let input = &input[..c.pending.min(input.len())];
        let step = self
            .inflater
            .inflate(input, c.last, &mut self.scratch, max)?;
        c.pending -= step.consumed;
        c.out = 0..step.written;
        c.over = self.inflater.is_over_limit();
        if step.done {
            c.done = true;
            c.pending = 0;
            c.last = false;
        }
        Ok(step.consumed)
    }

    /// Drops the message in progress (on Close or an error).
    pub(super) fn abort(&mut self) {
        if self.cursor.active {
            self.inflater.abort();
        }
        self.cursor.stop();
    }
}
