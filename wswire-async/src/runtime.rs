//! The runtimes the adapter runs on: how to read, write and sleep.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

mod sealed {
    pub trait Sealed {}
}

/// A runtime the [`WebSocket`](crate::WebSocket) can run on, for streams of type `S`:
/// [`Tokio`] (tokio's `AsyncRead + AsyncWrite`) or [`FuturesIo`] (futures-io's, for smol and
/// async-std). Sealed.
pub trait Runtime<S>: sealed::Sealed + Send + Sync + 'static {
    /// The timer future.
    #[doc(hidden)]
    type Sleep: Future + Send;
    #[doc(hidden)]
    fn sleep_until(at: Instant) -> Self::Sleep;
    #[doc(hidden)]
    fn reset(sleep: Pin<&mut Self::Sleep>, at: Instant);
    /// Whether the timer has fired, if the runtime can tell without polling it.
    #[doc(hidden)]
    fn is_elapsed(sleep: &Self::Sleep) -> Option<bool>;
    #[doc(hidden)]
    fn poll_read(io: &mut S, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    #[doc(hidden)]
    fn poll_write(io: &mut S, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;
    #[doc(hidden)]
    fn poll_write_vectored(
        io: &mut S,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;
    #[doc(hidden)]
    fn poll_flush(io: &mut S, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    #[doc(hidden)]
    fn poll_shutdown(io: &mut S, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

/// tokio: streams implementing `tokio::io::AsyncRead + AsyncWrite`, timers from
/// `tokio::time`.
#[cfg(feature = "tokio")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Tokio;

#[cfg(feature = "tokio")]
impl sealed::Sealed for Tokio {}

#[cfg(feature = "tokio")]
impl<S> Runtime<S> for Tokio
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    type Sleep = tokio::time::Sleep;

    fn sleep_until(at: Instant) -> Self::Sleep {
        tokio::time::sleep_until(at.into())
    }

    fn reset(sleep: Pin<&mut Self::Sleep>, at: Instant) {
        sleep.reset(at.into());
    }

    fn is_elapsed(sleep: &Self::Sleep) -> Option<bool> {
        Some(sleep.is_elapsed())
    }

    fn poll_read(io: &mut S, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut rb = tokio::io::ReadBuf::new(buf);
        match Pin::new(io).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(rb.filled().len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write(io: &mut S, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        io: &mut S,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(io: &mut S, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(io).poll_flush(cx)
    }

    fn poll_shutdown(io: &mut S, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(io).poll_shutdown(cx)
    }
}

/// futures-io: streams implementing `futures_io::AsyncRead + AsyncWrite` (smol's
/// `Async<TcpStream>`, async-std's `TcpStream`), timers from `async-io`.
#[cfg(feature = "futures-io")]
#[derive(Clone, Copy, Debug, Default)]
pub struct FuturesIo;

#[cfg(feature = "futures-io")]
impl sealed::Sealed for FuturesIo {}

#[cfg(feature = "futures-io")]
impl<S> Runtime<S> for FuturesIo
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    type Sleep = async_io::Timer;

    fn sleep_until(at: Instant) -> Self::Sleep {
        async_io::Timer::at(at)
    }

    fn reset(mut sleep: Pin<&mut Self::Sleep>, at: Instant) {
        sleep.set_at(at);
    }

    fn is_elapsed(_: &Self::Sleep) -> Option<bool> {
        None
    }

    fn poll_read(io: &mut S, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(io).poll_read(cx, buf)
    }

    fn poll_write(io: &mut S, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        io: &mut S,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(io).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(io: &mut S, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(io).poll_flush(cx)
    }

    fn poll_shutdown(io: &mut S, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(io).poll_close(cx)
    }
}
