//! The output queue: bytes for the transport, in order, as a few owned buffers.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// Inline buffers above this capacity are released once written, so one large message does
/// not pin its size for the life of the connection.
const RETAIN_CAPACITY: usize = 256 * 1024;

/// Output not yet written: `queue` (buffers sealed in order: inline frame bytes, and the
/// payloads of owned sends, each its own buffer) then `inline`, the buffer frames are being
/// appended to. `sent` bytes of the first non-empty one are already written.
#[derive(Debug, Default)]
pub(super) struct Output {
    queue: VecDeque<Vec<u8>>,
    inline: Vec<u8>,
    sent: usize,
}

impl Output {
    /// The buffer new frames are appended to.
    #[inline]
    pub(super) fn inline(&mut self) -> &mut Vec<u8> {
        &mut self.inline
    }

    /// Queues `payload` after everything appended so far, without copying it.
    pub(super) fn push_owned(&mut self, payload: Vec<u8>) {
        if !self.inline.is_empty() {
            let sealed = core::mem::take(&mut self.inline);
            self.queue.push_back(sealed);
        }
        self.queue.push_back(payload);
    }

    /// Bytes not yet written.
    pub(super) fn len(&self) -> usize {
        self.queue.iter().map(Vec::len).sum::<usize>() + self.inline.len() - self.sent
    }

    /// The unwritten bytes, buffer by buffer.
    pub(super) fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        let mut skip = self.sent;
        self.queue
            .iter()
            .chain(core::iter::once(&self.inline))
            .map(move |b| {
                let rest = b.get(skip..).unwrap_or_default();
                skip = 0;
                rest
            })
            .filter(|b| !b.is_empty())
    }

    /// Marks `n` bytes of [`Output::pieces`] as written.
    pub(super) fn advance(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.queue.front() else {
                self.sent = (self.sent + n).min(self.inline.len());
                break;
            };
            let rest = front.len() - self.sent;
            if n < rest {
                self.sent += n;
                return;
            }
            n -= rest;
            self.sent = 0;
            self.queue.pop_front();
        }
        if self.queue.is_empty() && self.sent == self.inline.len() {
            self.sent = 0;
            if self.inline.capacity() > RETAIN_CAPACITY {
                self.inline = Vec::new();
            } else {
                self.inline.clear();
            }
        }
    }

    /// Takes the next unwritten buffer out of the queue, as it is (an owned payload, or the
    /// inline frame bytes so far); only a partly written buffer loses its written prefix by a
    /// move. `None` when nothing is pending.
    pub(super) fn take(&mut self) -> Option<Vec<u8>> {
        let sent = core::mem::take(&mut self.sent);
        let mut buf = match self.queue.pop_front() {
            Some(b) => b,
            None if self.inline.len() > sent => core::mem::take(&mut self.inline),
            None => {
                self.inline.clear();
                return None;
            }
        };
        buf.drain(..sent);
        if buf.is_empty() {
            return self.take();
        }
        Some(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::Output;
    use alloc::vec;
    use alloc::vec::Vec;

    fn filled() -> Output {
        let mut o = Output::default();
        o.inline().extend_from_slice(b"ab");
        o.push_owned(vec![b'c'; 3]);
        o.inline().extend_from_slice(b"d");
        o
    }

    #[test]
    fn pieces_keep_the_order_of_inline_and_owned_bytes() {
        let mut o = filled();
        assert_eq!(o.len(), 6);
        assert_eq!(o.pieces().collect::<Vec<_>>(), [&b"ab"[..], b"ccc", b"d"]);
        o.advance(3);
        assert_eq!(o.pieces().collect::<Vec<_>>(), [&b"cc"[..], b"d"]);
        o.advance(3);
        assert_eq!(o.len(), 0);
        assert_eq!(o.pieces().count(), 0);
    }

    #[test]
    fn take_hands_over_each_buffer_and_drops_what_was_written() {
        let mut o = filled();
        o.advance(1);
        assert_eq!(o.take(), Some(b"b".to_vec()));
        assert_eq!(o.take(), Some(b"ccc".to_vec()));
        assert_eq!(o.take(), Some(b"d".to_vec()));
        assert_eq!(o.take(), None);
        assert_eq!(o.len(), 0);
    }
}
