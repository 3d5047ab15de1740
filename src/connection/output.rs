//! The output queue: bytes for the transport, in order, as a few buffers — owned, or shared
//! with other connections (a [`PreparedMessage`](crate::send::PreparedMessage)'s frames).

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::Connection;
use crate::send::MaskGen;

/// Inline buffers above this capacity are shrunk back to it once written, so one large
/// message (or a burst of small ones) does not pin its size for the life of the connection,
/// and an idle connection holds little (`tests/memory.rs`).
const RETAIN_CAPACITY: usize = 8 * 1024;

/// Queue slots kept once everything is written.
const RETAIN_SEGMENTS: usize = 8;

/// One sealed buffer of the queue.
#[derive(Debug)]
enum Segment {
    /// Inline frame bytes, sealed before an owned or shared buffer.
    Frames(Vec<u8>),
    /// An owned send's payload.
    Owned(Vec<u8>),
    /// Frame bytes shared with other connections; never copied unless an owned buffer is
    /// asked for ([`Connection::take_transmit`]).
    Shared(Arc<[u8]>),
}

impl Segment {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Frames(v) | Self::Owned(v) => v,
            Self::Shared(s) => s,
        }
    }
}

/// Output not yet written: `queue` (buffers sealed in order: inline frame bytes, the payloads
/// of owned sends, shared frames) then `inline`, the buffer frames are being appended to.
/// `sent` bytes of the first non-empty one are already written.
#[derive(Debug, Default)]
pub(super) struct Output {
    queue: VecDeque<Segment>,
    /// The bytes in `queue`, written ones included (so `len` does not walk the queue).
    queued: usize,
    inline: Vec<u8>,
    sent: usize,
}

impl Output {
    /// The buffer new frames are appended to.
    #[inline]
    pub(super) fn inline(&mut self) -> &mut Vec<u8> {
        &mut self.inline
    }

    fn seal(&mut self) {
        if !self.inline.is_empty() {
            let sealed = core::mem::take(&mut self.inline);
            self.queued += sealed.len();
            self.queue.push_back(Segment::Frames(sealed));
        }
    }

    /// Queues `payload` after everything appended so far, without copying it.
    pub(super) fn push_owned(&mut self, payload: Vec<u8>) {
        self.seal();
        self.queued += payload.len();
        self.queue.push_back(Segment::Owned(payload));
    }

    /// Queues shared bytes after everything appended so far, without copying them.
    pub(super) fn push_shared(&mut self, bytes: Arc<[u8]>) {
        self.seal();
        self.queued += bytes.len();
        self.queue.push_back(Segment::Shared(bytes));
    }

    /// Bytes not yet written.
    pub(super) fn len(&self) -> usize {
        self.queued + self.inline.len() - self.sent
    }

    /// The unwritten bytes, buffer by buffer.
    pub(super) fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        let mut skip = self.sent;
        self.queue
            .iter()
            .map(Segment::bytes)
            .chain(core::iter::once(&self.inline[..]))
            .map(move |b| {
                let rest = b.get(skip..).unwrap_or_default();
                skip = 0;
                rest
            })
            .filter(|b| !b.is_empty())
    }

    /// Marks `n` bytes of [`Output::pieces`] as written. Returns the largest owned payload
    /// written out whole, for the receiver to reuse.
    pub(super) fn advance(&mut self, mut n: usize) -> Option<Vec<u8>> {
        let mut spent: Option<Vec<u8>> = None;
        while n > 0 {
            let Some(front) = self.queue.front() else {
                self.sent = (self.sent + n).min(self.inline.len());
                break;
            };
            let rest = front.bytes().len() - self.sent;
            if n < rest {
                self.sent += n;
                return spent;
            }
            n -= rest;
            self.sent = 0;
            self.queued -= front.bytes().len();
            match self.queue.pop_front() {
                Some(Segment::Owned(v))
                    if spent.as_ref().is_none_or(|s| s.capacity() < v.capacity()) =>
                {
                    spent = Some(v);
                }
                Some(Segment::Frames(v)) => self.reuse_as_inline(v),
                _ => {}
            }
        }
        if self.queue.is_empty() && self.sent == self.inline.len() {
            self.sent = 0;
            self.inline.clear();
            if self.inline.capacity() > RETAIN_CAPACITY {
                self.inline.shrink_to(RETAIN_CAPACITY);
            }
            self.queue.shrink_to(RETAIN_SEGMENTS);
        }
        spent
    }

    /// Keeps written frame bytes' buffer (sealed before an owned or shared buffer) as the
    /// inline buffer when that is empty and smaller, so that the next frames are appended
    /// without allocating.
    fn reuse_as_inline(&mut self, mut buf: Vec<u8>) {
        if self.inline.is_empty()
            && buf.capacity() > self.inline.capacity()
            && buf.capacity() <= RETAIN_CAPACITY
        {
            buf.clear();
            self.inline = buf;
        }
    }

    /// Takes the next unwritten buffer out of the queue, as it is (an owned payload, a shared
    /// frame, or the inline frame bytes so far); only a partly written owned buffer loses its
    /// written prefix by a move. `None` when nothing is pending.
    pub(super) fn take(&mut self) -> Option<TransmitBuf> {
        let sent = core::mem::take(&mut self.sent);
        let segment = match self.queue.pop_front() {
            Some(s) => {
                self.queued -= s.bytes().len();
                s
            }
            None if self.inline.len() > sent => Segment::Frames(core::mem::take(&mut self.inline)),
            None => {
                self.inline.clear();
                return None;
            }
        };
        let buf = match segment {
            Segment::Frames(mut v) | Segment::Owned(mut v) => {
                v.drain(..sent);
                TransmitBuf(Repr::Owned(v))
            }
            Segment::Shared(s) => TransmitBuf(Repr::Shared(s, sent)),
        };
        if buf.is_empty() {
            return self.take();
        }
        Some(buf)
    }
}

/// One buffer of output handed to a writer by [`Connection::take_transmit_buf`]: bytes this
/// connection owns, or frames shared with other connections (a
/// [`PreparedMessage`](crate::send::PreparedMessage)), which are not copied. It derefs to
/// the bytes to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransmitBuf(Repr);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Repr {
    Owned(Vec<u8>),
    /// The bytes from the offset on.
    Shared(Arc<[u8]>, usize),
}

impl TransmitBuf {
    /// The bytes to write.
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Owned(v) => v,
            Repr::Shared(s, at) => s.get(*at..).unwrap_or_default(),
        }
    }

    /// Whether the bytes are shared with other connections (a prepared message's frames).
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(..))
    }

    /// The bytes as an owned `Vec`: a move for owned bytes, a copy for shared ones.
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Owned(v) => v,
            Repr::Shared(..) => self.as_slice().to_vec(),
        }
    }
}

impl core::ops::Deref for TransmitBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for TransmitBuf {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<TransmitBuf> for Vec<u8> {
    fn from(buf: TransmitBuf) -> Self {
        buf.into_vec()
    }
}

impl<M: MaskGen> Connection<M> {
    /// The bytes to write to the transport next, if any; report how many were written with
    /// [`Connection::advance_transmit`].
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.m.out.pieces().next()
    }

    /// The pending output as up to `bufs.len()` slices in order, for a vectored write
    /// (`writev`; wrap them in `std::io::IoSlice`); returns how many were filled. The payload of
    /// an owned send ([`Connection::send_binary_owned`]) is its own slice, never copied.
    pub fn poll_transmit_vectored<'a>(&'a self, bufs: &mut [&'a [u8]]) -> usize {
        let mut n = 0;
        for (slot, piece) in bufs.iter_mut().zip(self.m.out.pieces()) {
            *slot = piece;
            n += 1;
        }
        n
    }

    /// Marks `n` bytes from [`Connection::poll_transmit`] (or the slices of
    /// [`Connection::poll_transmit_vectored`], in order) as written.
    pub fn advance_transmit(&mut self, n: usize) {
        // A payload written out is memory the receiver may read into next.
        if let Some(spent) = self.m.out.advance(n) {
            self.receiver.recycle(spent);
        }
        if self.m.out.len() == 0 {
            self.m.pending_pongs = 0;
        }
    }

    /// Takes the next pending output buffer as owned bytes, for a writer that runs apart
    /// from the connection (another task, a channel): the inline frame bytes queued so far,
    /// or an owned send's payload as it was given — no copy either way; the shared frames of a
    /// [`PreparedMessage`](crate::send::PreparedMessage) are copied into a `Vec` here
    /// ([`Connection::take_transmit_buf`] hands them over shared). Call it until `None`; the
    /// buffers must be written in the order taken. (A buffer partly reported written by
    /// `advance_transmit` loses that prefix.)
    ///
    /// ```
    /// use wswire::connection::{Config, Connection};
    ///
    /// let mut conn = Connection::server_open(Default::default(), Config::default());
    /// conn.send_text("hi")?;
    /// let buf: Vec<u8> = conn.take_transmit().unwrap(); // hand it to the writer task
    /// assert_eq!(buf, [0x81, 0x02, b'h', b'i']);
    /// assert_eq!(conn.take_transmit(), None);
    /// # Ok::<(), wswire::UsageError>(())
    /// ```
    pub fn take_transmit(&mut self) -> Option<Vec<u8>> {
        self.take_transmit_buf().map(TransmitBuf::into_vec)
    }

    /// Bytes queued for the transport.
    pub fn pending_output(&self) -> usize {
        self.m.out.len()
    }

    /// Takes the next pending output buffer, for a writer that runs apart from the
    /// connection (another task, a channel): as [`Connection::take_transmit`], but the frames
    /// of a [`PreparedMessage`](crate::send::PreparedMessage) come out shared
    /// ([`TransmitBuf::is_shared`]), not copied into a `Vec` for each connection.
    ///
    /// ```
    /// use wswire::connection::{Config, Connection};
    /// use wswire::send::PreparedMessage;
    ///
    /// let message = PreparedMessage::binary(&[7; 4096]);
    /// let mut conn = Connection::server_open(Default::default(), Config::default());
    /// conn.send_prepared(&message)?;
    /// let buf = conn.take_transmit_buf().unwrap();
    /// assert!(buf.is_shared());
    /// assert_eq!(buf[..4], [0x82, 126, 0x10, 0x00]); // header, then the payload
    /// assert_eq!(conn.take_transmit_buf(), None);
    /// # Ok::<(), wswire::UsageError>(())
    /// ```
    pub fn take_transmit_buf(&mut self) -> Option<TransmitBuf> {
        let buf = self.m.out.take();
        if buf.is_none() {
            self.m.pending_pongs = 0;
        }
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::Output;
    use alloc::sync::Arc;
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
        let taken: Vec<Vec<u8>> = core::iter::from_fn(|| o.take().map(Into::into)).collect();
        assert_eq!(taken, [b"b".to_vec(), b"ccc".to_vec(), b"d".to_vec()]);
        assert_eq!(o.len(), 0);
    }

    #[test]
    fn shared_bytes_keep_their_place_and_are_taken_without_a_copy() {
        let shared: Arc<[u8]> = Arc::from(&b"xyz"[..]);
        let mut o = filled();
        o.push_shared(shared.clone());
        assert_eq!(o.len(), 9);
        assert_eq!(
            o.pieces().collect::<Vec<_>>(),
            [&b"ab"[..], b"ccc", b"d", b"xyz"]
        );
        o.advance(7);
        assert_eq!(o.pieces().collect::<Vec<_>>(), [&b"yz"[..]]);
        let buf = o.take().unwrap();
        assert!(buf.is_shared());
        assert_eq!(buf.as_ptr(), shared[1..].as_ptr());
        assert_eq!(buf.into_vec(), b"yz");
        assert_eq!(o.take(), None);
    }
}
