//! Whether an HTTP/2 server enabled the extended CONNECT (RFC 8441 §3), for a client that
//! must not send one before it knows.
//!
//! hyper reports the setting once its connection has applied the server's SETTINGS
//! (`is_extended_connect_protocol_enabled`), but not that it has seen them without it, and
//! the future that answers it is not woken by their arrival. So the bytes the client reads
//! are also watched for the server's connection preface, which
//! is its first frame and a SETTINGS frame (RFC 9113 §3.4): once it is in whole, its
//! SETTINGS_ENABLE_CONNECT_PROTOCOL (identifier 0x8) is known, present or not.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The frame type of SETTINGS (RFC 9113 §6.5).
const SETTINGS: u8 = 0x4;
/// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3).
const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
/// The largest preface read: the default SETTINGS_MAX_FRAME_SIZE plus the frame header.
const MAX_PREFACE: usize = 16_384 + 9;

/// What is known of the server's setting, shared by the stream's reader, the connection's
/// driver and the client waiting to send.
#[derive(Debug, Default)]
pub(crate) struct Watch {
    /// The server's first frame, as far as read.
    preface: Vec<u8>,
    /// Whether the preface enabled the extended CONNECT, once it is in whole.
    advertised: Option<bool>,
    /// hyper's connection has applied the setting.
    applied: bool,
    /// hyper's connection has ended.
    ended: bool,
    waker: Option<Waker>,
}

pub(crate) type Shared = Arc<Mutex<Watch>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Watch> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Records hyper's view after each poll of its connection (`ended` once it is over).
pub(crate) fn connection_polled(shared: &Shared, applied: bool, ended: bool) {
    let mut w = lock(shared);
    if (applied && !w.applied) || (ended && !w.ended) {
        w.applied |= applied;
        w.ended |= ended;
        if let Some(waker) = w.waker.take() {
            waker.wake();
        }
    }
}

/// Ready with whether the server enabled the extended CONNECT, once hyper applied the setting
/// or the server's preface is in whole (hyper's driver is not woken by the server's SETTINGS
/// alone, so the preface usually tells first); an error if the connection ended before.
pub(crate) fn poll_enabled(shared: &Shared, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
    let mut w = lock(shared);
    if w.applied {
        return Poll::Ready(Ok(true));
    }
    if let Some(advertised) = w.advertised {
        return Poll::Ready(Ok(advertised));
    }
    if w.ended {
        let why = "the HTTP/2 connection ended before the server's SETTINGS";
        return Poll::Ready(Err(io::Error::new(io::ErrorKind::UnexpectedEof, why)));
    }
    w.waker = Some(cx.waker().clone());
    Poll::Pending
}

impl Watch {
    /// Takes in bytes read from the server until its first frame is whole.
    fn read(&mut self, mut bytes: &[u8]) {
        while self.advertised.is_none() && !bytes.is_empty() {
            let want = match self.preface.get(..3) {
                Some(len) => 9 + usize::from_be_bytes([0, 0, 0, 0, 0, len[0], len[1], len[2]]),
                None => 3,
            };
            let want = want.min(MAX_PREFACE);
            let take = (want - self.preface.len()).min(bytes.len());
            self.preface.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.preface.len() == want && want > 3 {
                self.advertised = Some(enables_connect(&self.preface));
                if let Some(waker) = self.waker.take() {
                    waker.wake();
                }
            }
        }
    }
}

/// Whether a whole first frame is a SETTINGS frame with ENABLE_CONNECT_PROTOCOL = 1 (the
/// last value of the identifier counts, RFC 9113 §6.5.3).
fn enables_connect(frame: &[u8]) -> bool {
    if frame.get(3) != Some(&SETTINGS) {
        return false;
    }
    let mut enabled = false;
    for entry in frame.get(9..).unwrap_or_default().chunks_exact(6) {
        if u16::from_be_bytes([entry[0], entry[1]]) == ENABLE_CONNECT_PROTOCOL {
            enabled = u32::from_be_bytes([entry[2], entry[3], entry[4], entry[5]]) == 1;
        }
    }
    enabled
}

/// A stream whose reads are watched for the server's preface.
#[derive(Debug)]
pub(crate) struct Watched<S> {
    io: S,
    shared: Shared,
}

impl<S> Watched<S> {
    pub(crate) fn new(io: S, shared: Shared) -> Self {
        Self { io, shared }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) {
            let mut w = lock(&self.shared);
            if w.advertised.is_none() {
                w.read(&buf.filled()[before..]);
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(entries: &[(u16, u32)]) -> Vec<u8> {
        let len = entries.len() * 6;
        let mut f = vec![0, 0, len as u8, SETTINGS, 0, 0, 0, 0, 0];
        for (id, v) in entries {
            f.extend_from_slice(&id.to_be_bytes());
            f.extend_from_slice(&v.to_be_bytes());
        }
        f
    }

    fn advertised(bytes: &[u8], step: usize) -> Option<bool> {
        let mut w = Watch::default();
        bytes.chunks(step).for_each(|c| w.read(c));
        w.advertised
    }

    #[test]
    fn the_preface_is_read_whole_in_any_pieces() {
        let on = settings(&[(0x3, 100), (ENABLE_CONNECT_PROTOCOL, 1)]);
        for step in [1, 2, 5, 9, 100] {
            assert_eq!(advertised(&on, step), Some(true), "step {step}");
            assert_eq!(advertised(&on[..on.len() - 1], step), None, "step {step}");
        }
        assert_eq!(advertised(&settings(&[(0x3, 100)]), 4), Some(false));
        assert_eq!(advertised(&settings(&[]), 4), Some(false));
        // The last value counts; 0 disables; a first frame that is not SETTINGS never enables.
        let off_again = settings(&[(ENABLE_CONNECT_PROTOCOL, 1), (ENABLE_CONNECT_PROTOCOL, 0)]);
        assert_eq!(advertised(&off_again, 7), Some(false));
        let mut ping = on.clone();
        ping[3] = 0x6;
        assert_eq!(advertised(&ping, 7), Some(false));
    }
}
