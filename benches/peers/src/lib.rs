//! Shared workloads for the peer benchmarks (`benches/frames.rs`) and the allocation test
//! (`tests/alloc.rs`): payloads, masked wire images, and an in-memory stream for the peers
//! that want an `io::Read`/`AsyncRead` transport.
#![allow(missing_docs, clippy::unwrap_used)]

use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use std::io;

use wswire::frame::MaskKey;
use wswire::send::{FixedMask, SendConfig, Sender};

/// Payload sizes of issue 3.
pub const SIZES: [usize; 6] = [16, 125, 1024, 16 * 1024, 64 * 1024, 1024 * 1024];

/// Payload sizes of the `straddle_*` groups: those whose frames straddle 64 KiB reads.
pub const STRADDLE_SIZES: [usize; 4] = [1024, 16 * 1024, 64 * 1024, 1024 * 1024];

/// Small frames are batched: one iteration handles about this many payload bytes.
pub const BATCH_BYTES: usize = 64 * 1024;

/// Frames per iteration for a payload size: `BATCH_BYTES` worth, at least one.
pub fn frames_per_iter(size: usize) -> usize {
    (BATCH_BYTES / size).max(1)
}

/// What the frames carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ASCII text (opcode 0x1).
    Ascii,
    /// Text of mixed 2-, 3- and 4-byte code points (opcode 0x1).
    Multibyte,
    /// Binary (opcode 0x2).
    Binary,
}

impl Kind {
    pub const ALL: [Self; 3] = [Self::Ascii, Self::Multibyte, Self::Binary];

    pub fn name(self) -> &'static str {
        match self {
            Self::Ascii => "ascii",
            Self::Multibyte => "multibyte",
            Self::Binary => "binary",
        }
    }

    pub fn is_text(self) -> bool {
        self != Self::Binary
    }
}

/// A payload of (at most) `n` bytes; text is cut back to a code-point boundary.
pub fn payload(kind: Kind, n: usize) -> Vec<u8> {
    match kind {
        Kind::Ascii => b"The quick brown fox jumps over the lazy dog. "
            .iter()
            .copied()
            .cycle()
            .take(n)
            .collect(),
        Kind::Multibyte => {
            let s = "κόσμε — 日本語のテキスト, émigré, 🦀 and some ascii; ";
            let mut v: Vec<u8> = s.bytes().cycle().take(n).collect();
            while core::str::from_utf8(&v).is_err() {
                v.pop();
            }
            v
        }
        // Not constant, so nothing can shortcut it; any byte values are fine for binary.
        Kind::Binary => (0..n).map(|i| (i.wrapping_mul(131) >> 3) as u8).collect(),
    }
}

/// A masked wire image, as a client sends it: `frames` single-frame messages.
#[derive(Clone, Debug)]
pub struct Wire {
    pub bytes: Vec<u8>,
    pub frames: usize,
    /// Payload bytes in all frames together.
    pub payload_bytes: usize,
}

/// `frames_per_iter(size)` masked frames of `kind` with payload `payload(kind, size)`.
pub fn masked_wire(kind: Kind, size: usize) -> Wire {
    let p = payload(kind, size);
    let frames = frames_per_iter(size);
    let mut tx = Sender::client_with(
        SendConfig::default(),
        FixedMask(MaskKey([0x37, 0xfa, 0x21, 0x3d])),
    );
    let mut bytes = Vec::new();
    for _ in 0..frames {
        if kind.is_text() {
            tx.text(core::str::from_utf8(&p).unwrap(), true, &mut bytes)
                .unwrap();
        } else {
            tx.binary(&p, true, &mut bytes).unwrap();
        }
    }
    Wire {
        bytes,
        frames,
        payload_bytes: p.len() * frames,
    }
}

/// Bytes a socket read hands over at most in the `straddle_*` groups: what a tokio echo
/// server asks for per read, so frames straddle reads as they do on a real socket.
pub const SOCKET_READ: usize = 64 * 1024;

/// An in-memory transport: reads come from `input` (then EOF), writes are counted and
/// dropped (see the write-path notes in `benches/frames.rs`). Never returns `Pending`.
#[derive(Debug, Default)]
pub struct MemStream {
    pub input: Vec<u8>,
    pub pos: usize,
    pub written: usize,
    /// At most this many bytes per read call, like a socket read of that size; `0` (the
    /// default) means no cap: a read fills the caller's whole buffer.
    pub max_read: usize,
}

impl MemStream {
    /// A stream whose reads hand over at most `max_read` bytes each (`0`: no cap).
    pub fn capped(max_read: usize) -> Self {
        Self {
            max_read,
            ..Self::default()
        }
    }

    /// Swaps in a new input (O(1): a pointer swap) and rewinds.
    pub fn swap_input(&mut self, input: &mut Vec<u8>) {
        core::mem::swap(&mut self.input, input);
        self.pos = 0;
    }

    /// Whether every input byte has been read.
    pub fn is_drained(&self) -> bool {
        self.pos == self.input.len()
    }

    /// How many bytes a read into a buffer of `room` bytes hands over.
    fn read_len(&self, room: usize) -> usize {
        let n = room.min(self.input.len() - self.pos);
        if self.max_read == 0 {
            n
        } else {
            n.min(self.max_read)
        }
    }

    fn read_into(&mut self, dst: &mut [u8]) -> usize {
        let n = self.read_len(dst.len());
        dst[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
        self.pos += n;
        n
    }
}

impl io::Read for MemStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(self.read_into(buf))
    }
}

impl io::Write for MemStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += core::hint::black_box(buf).len();
        Ok(buf.len())
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let n: usize = core::hint::black_box(bufs).iter().map(|b| b.len()).sum();
        self.written += n;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl tokio::io::AsyncRead for MemStream {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = this.read_len(buf.remaining());
        buf.put_slice(&this.input[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for MemStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Write::write(self.get_mut(), buf))
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(io::Write::write_vectored(self.get_mut(), bufs))
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Runs a future that never waits (every transport here is in memory and always ready) by
/// polling it once with a no-op waker: the cheapest possible executor, so the async peers
/// pay nothing for a runtime. Panics if the future would block.
pub fn now<F: Future>(f: F) -> F::Output {
    let mut f = core::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("an in-memory future returned Pending"),
    }
}

/// A [`MemStream`] the bench keeps a handle to, for peers that own their stream and give no
/// `get_mut` (fastwebsockets). One `RefCell` borrow per read call (a read moves up to the
/// peer's whole buffer), nothing per frame.
#[derive(Clone, Debug, Default)]
pub struct SharedStream(pub std::rc::Rc<core::cell::RefCell<MemStream>>);

impl SharedStream {
    /// A shared [`MemStream::capped`].
    pub fn capped(max_read: usize) -> Self {
        Self(std::rc::Rc::new(core::cell::RefCell::new(
            MemStream::capped(max_read),
        )))
    }
}

impl tokio::io::AsyncRead for SharedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for SharedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
