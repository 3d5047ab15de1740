//! The message stage: fragment sequencing, message limits, fail-fast UTF-8 — one validator
//! for plain and inflated text — and the one assembly buffer for messages handed over whole.

use alloc::string::String;
use alloc::vec::Vec;

use super::{Event, Kind, Message, RecvConfig, growth, release, release_text, wire_allowance};
use crate::error::ProtocolError;
use crate::frame::{FrameHeader, Opcode, Rsv};
use crate::utf8::{CodePoint, Utf8Error, Utf8Validator};

/// The data message in progress.
#[derive(Clone, Copy, Debug)]
struct Progress {
    /// Payload bytes announced by its frames so far.
    size: u64,
    fragments: u32,
}

/// Validated text from [`MessageStage::text`].
#[derive(Clone, Copy, Debug)]
pub(super) enum Text<'b> {
    /// Text in the bytes given.
    Input(&'b str),
    /// A code point completed across pieces: [`MessageStage::completed`].
    Completed,
}

/// Message state shared by every frame of one data message.
#[derive(Clone, Debug)]
pub(super) struct MessageStage {
    current: Option<Progress>,
    /// The kind of the current (or last) data message.
    kind: Kind,
    /// The current message is compressed (RFC 7692 §6: RSV1 on its first frame).
    compressed: bool,
    utf8: Utf8Validator,
    /// A code point completed across a piece boundary, for the event that reports it.
    completed: CodePoint,
}

impl MessageStage {
    pub(super) fn new() -> Self {
        Self {
            current: None,
            kind: Kind::Binary,
            compressed: false,
            utf8: Utf8Validator::new(),
            completed: CodePoint::default(),
        }
    }

    /// Whether a fragmented data message has started and not finished.
    pub(super) const fn in_message(&self) -> bool {
        self.current.is_some()
    }

    pub(super) const fn kind(&self) -> Kind {
        self.kind
    }

    pub(super) const fn compressed(&self) -> bool {
        self.compressed
    }

    /// RFC 6455 §5.4: a continuation only inside a message, a new message only outside one;
    /// control frames may come between fragments.
    #[inline(always)]
    pub(super) fn check_sequence(&self, opcode: Opcode) -> Result<(), ProtocolError> {
        match (opcode, self.current.is_some()) {
            (Opcode::Continuation, false) => Err(ProtocolError::UnexpectedContinuation),
            (Opcode::Text | Opcode::Binary, true) => Err(ProtocolError::ExpectedContinuation),
            _ => Ok(()),
        }
    }

    /// RFC 6455 §10.4 limits on the message a data frame belongs to (1009 past the size,
    /// 1008 past the fragment count), judged at the header of the frame that crosses them.
    #[inline(always)]
    pub(super) fn check_limits(
        &self,
        config: &RecvConfig,
        h: &FrameHeader,
        compressed: bool,
    ) -> Result<(), ProtocolError> {
        let size = self.current.map_or(0, |p| p.size);
        let total = size.saturating_add(h.payload_len);
        let max = wire_allowance(config.max_message_size, compressed).min(usize::MAX as u64);
        if total > max {
            return Err(ProtocolError::MessageTooLarge { len: total, max });
        }
        if let Some(max) = config.max_fragments
            && self.current.map_or(0, |p| p.fragments) >= max
        {
            return Err(ProtocolError::TooManyFragments { max });
        }
        Ok(())
    }

    /// Starts a data message (its first frame passed the checks); returns its kind. Enough
    /// on its own for a single-frame message that is all there.
    #[inline(always)]
    pub(super) fn begin_message(&mut self, h: &FrameHeader, inflating: bool) -> Kind {
        self.compressed = inflating && h.rsv.contains(Rsv::RSV1);
        self.kind = if h.opcode == Opcode::Text {
            self.utf8.reset();
            Kind::Text
        } else {
            Kind::Binary
        };
        self.kind
    }

    /// Starts a data frame that passed the checks and whose payload is still arriving;
    /// returns the message's kind.
    #[inline(always)]
    pub(super) fn begin_frame(&mut self, h: &FrameHeader, inflating: bool) -> Kind {
        if h.opcode.is_data_start() {
            self.begin_message(h, inflating);
        }
        let p = self.current.get_or_insert(Progress {
            size: 0,
            fragments: 0,
        });
        p.size += h.payload_len;
        p.fragments = p.fragments.saturating_add(1);
        self.kind
    }

    /// The last frame of the message has been read.
    #[inline(always)]
    pub(super) fn end_message(&mut self) {
        self.current = None;
    }

    /// Forgets the message in progress (after Close or an error).
    pub(super) fn abandon(&mut self) {
        self.current = None;
        self.utf8.reset();
    }

    /// Text bytes the validator needs to finish a code point begun in an earlier piece.
    #[inline(always)]
    pub(super) fn utf8_needed(&self) -> usize {
        self.utf8.needed()
    }

    /// RFC 6455 §8.1, fail-fast: validates the next piece of a text message and returns the
    /// text to hand out with how many of `bytes` it used. A piece that finishes a code point
    /// begun earlier uses only the bytes that finish it and reports that code point alone
    /// ([`Text::Completed`]); call again with the rest. With `fin`, the message ending inside
    /// a code point fails.
    #[inline(always)]
    pub(super) fn text<'b>(
        &mut self,
        bytes: &'b [u8],
        fin: bool,
    ) -> Result<(Text<'b>, usize), Utf8Error> {
        if self.utf8.needed() == 0 {
            let text = self.utf8.feed_str(bytes)?;
            if fin && self.utf8.pending() != 0 {
                self.utf8.finish()?;
            }
            return Ok((Text::Input(text), bytes.len()));
        }
        let used = self.utf8.needed().min(bytes.len());
        let completed = self.utf8.complete_pending(&bytes[..used])?;
        if fin && used == bytes.len() && self.utf8.pending() != 0 {
            self.utf8.finish()?;
        }
        Ok(match completed {
            Some(cp) => {
                self.completed = cp;
                (Text::Completed, used)
            }
            None => (Text::Input(""), used),
        })
    }

    /// The code point [`Text::Completed`] reported.
    pub(super) fn completed(&self) -> &str {
        self.completed.as_str()
    }

    /// Validates `bytes`, the next piece of a text message that is handed over later in one
    /// piece (fail-fast all the same); with `fin`, also that it does not end inside a code
    /// point.
    pub(super) fn validate(&mut self, bytes: &[u8], fin: bool) -> Result<(), Utf8Error> {
        self.utf8.feed(bytes)?;
        if fin {
            self.utf8.finish()?;
        }
        Ok(())
    }
}

/// The assembly buffer: the pieces of a message handed over whole, appended as they are
/// validated. Released after each message beyond 8 KiB.
#[derive(Debug, Default)]
pub(super) struct Assembly {
    text: String,
    bytes: Vec<u8>,
    /// A message is being assembled.
    active: bool,
    /// The assembled message was handed out: empty the buffers before the next one.
    handed_out: bool,
}

impl Assembly {
    pub(super) const fn is_active(&self) -> bool {
        self.active
    }

    /// Appends a validated text piece.
    pub(super) fn push_text(&mut self, piece: &str, max: u64) {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        if let Some(extra) = growth(self.text.len(), self.text.capacity(), piece.len(), max) {
            self.text.reserve_exact(extra);
        }
        self.text.push_str(piece);
        self.active = true;
    }

    /// Appends binary (or unchecked text) bytes.
    pub(super) fn push_bytes(&mut self, piece: &[u8], max: u64) {
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        if let Some(extra) = growth(self.bytes.len(), self.bytes.capacity(), piece.len(), max) {
            self.bytes.reserve_exact(extra);
        }
        self.bytes.extend_from_slice(piece);
        self.active = true;
    }

    /// The assembled message, as an event; the buffers are emptied at the next
    /// [`reclaim`](Self::reclaim).
    pub(super) fn event(&mut self, kind: Kind, validated: bool) -> Event<'_> {
        self.active = false;
        self.handed_out = true;
        match (kind, validated) {
            (Kind::Text, true) => Event::Text {
                data: &self.text,
                fin: true,
            },
            (Kind::Text, false) => Event::UncheckedText {
                data: &self.bytes,
                fin: true,
            },
            (Kind::Binary, _) => Event::Binary {
                data: &self.bytes,
                fin: true,
            },
        }
    }

    /// The assembled message handed out, taken over by the caller: the buffers start again
    /// empty.
    pub(super) fn take(&mut self, kind: Kind, validated: bool) -> Message {
        match (kind, validated) {
            (Kind::Text, true) => Message::Text(core::mem::take(&mut self.text)),
            (Kind::Text, false) => Message::UncheckedText(core::mem::take(&mut self.bytes)),
            (Kind::Binary, _) => Message::Binary(core::mem::take(&mut self.bytes)),
        }
    }

    /// Drops the message being assembled (after Close or an error).
    pub(super) fn abandon(&mut self) {
        self.active = false;
        self.handed_out = true;
    }

    /// Empties the buffers of a message handed out, releasing large ones.
    pub(super) fn reclaim(&mut self) {
        if self.handed_out {
            self.handed_out = false;
            release_text(&mut self.text);
            release(&mut self.bytes);
        }
    }
}
