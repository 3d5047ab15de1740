//! [`WebSocket`] and its halves.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_sink::Sink;
use wswire::CloseCode;
use wswire::handshake::Negotiated;
use wswire::send::PreparedMessage;

use crate::message::{CloseFrame, Error, Message};
use crate::runtime::Runtime;
#[cfg(feature = "tokio")]
use crate::runtime::Tokio;
use crate::shared::{Conn, Shared, with_conn};

type Inner<S, R> = Arc<Mutex<Shared<S, R>>>;

fn lock<S, R: Runtime<S>>(inner: &Inner<S, R>) -> MutexGuard<'_, Shared<S, R>> {
    inner.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A WebSocket over a stream `S` on runtime `R` ([`Tokio`] by default): a [`Stream`] of
/// received [`Message`]s and a [`Sink`] of messages to send, or [`recv`](Self::recv) /
/// [`send`](Self::send) without the `futures` traits.
///
/// Receiving drives the connection: it answers Pings, runs the timers (keepalive, idle,
/// close) and shuts the transport down at the end, so keep it polled — in a loop, or from
/// its own task after [`split`](Self::split). The stream ends (`None`) once the closing
/// handshake is over and the transport is shut; an abnormal end is an `Err` first.
///
/// Sending waits while the output queued for the transport is above
/// `Config::outbound_high_water` (1 MiB unless set), so a peer that stops reading holds at
/// most that much memory and stalls only the task that sends to it.
#[cfg(feature = "tokio")]
pub struct WebSocket<S, R: Runtime<S> = Tokio> {
    // Owned, not locked: only the halves of `split` share it (behind a mutex).
    inner: Box<Shared<S, R>>,
}

/// A WebSocket over a stream `S` on runtime `R`; see the crate docs.
#[cfg(not(feature = "tokio"))]
pub struct WebSocket<S, R: Runtime<S>> {
    inner: Box<Shared<S, R>>,
}

impl<S, R: Runtime<S>> std::fmt::Debug for WebSocket<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket").finish_non_exhaustive()
    }
}

impl<S, R: Runtime<S>> WebSocket<S, R> {
    pub(crate) fn from_parts(io: S, conn: Conn, target: Option<String>) -> Self {
        let mut shared = Shared::new(io, conn);
        shared.target = target;
        Self {
            inner: Box::new(shared),
        }
    }

    /// Drives a client's opening handshake to the end.
    pub(crate) async fn opened(mut self) -> Result<Self, Error> {
        poll_fn(|cx| self.inner.poll_open(cx)).await?;
        Ok(self)
    }

    /// What the handshake agreed on (subprotocol, extensions such as permessage-deflate).
    pub fn negotiated(&self) -> Negotiated {
        with_conn!(&self.inner.conn, c => c.negotiated().clone())
    }

    /// The request target a server accepted (path and query), when known.
    pub fn request_target(&self) -> Option<String> {
        let shared = &self.inner;
        shared
            .target
            .clone()
            .or_else(|| with_conn!(&shared.conn, c => c.request_target().map(str::to_owned)))
    }

    /// Bytes queued for the transport and not yet written.
    pub fn pending_output(&self) -> usize {
        with_conn!(&self.inner.conn, c => c.pending_output())
    }

    /// The next message; `None` once the WebSocket is closed and the transport shut. The
    /// peer's Close comes once the Close answering it is written out, so the WebSocket may
    /// be dropped there with the closing handshake done.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| self.inner.poll_recv(cx)).await
    }

    /// Sends `message`, waiting while the output is above the high-water mark, then until
    /// it is written out.
    ///
    /// # Errors
    /// [`Error::Closed`] once closing; [`Error::Io`] if the transport fails;
    /// [`Error::Usage`] for a message the protocol does not allow (e.g. a Ping over 125
    /// bytes).
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        let mut message = Some(message);
        poll_fn(|cx| self.inner.poll_send(cx, &mut message, Shared::start_send)).await
    }

    /// Sends `message` without waiting: queued if the output is below the high-water mark,
    /// else [`Error::Full`] and nothing is queued — the drop policy for a peer that reads too
    /// slowly (a broadcast skips or disconnects it), where [`send`](Self::send) is the wait
    /// policy. A Ping or Close is always queued: `try_send(Message::Close(..))` lets a slow
    /// peer go (the close timeout ends it if it never reads). What cannot be written at once
    /// is written as the receiving side runs.
    ///
    /// # Errors
    /// [`Error::Full`]; otherwise as [`send`](Self::send).
    pub fn try_send(&mut self, message: Message) -> Result<(), Error> {
        self.inner.try_send(message)
    }

    /// Sends a [`PreparedMessage`] — one message framed once for many connections, its
    /// frames shared and written from the shared buffer, not copied per connection (see its
    /// docs for what is shared under permessage-deflate) — with the backpressure of
    /// [`send`](Self::send): it waits while the output is above the high-water mark, then
    /// until it is written out.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        let mut message = Some(message);
        poll_fn(|cx| {
            self.inner
                .poll_send(cx, &mut message, Shared::start_send_prepared)
        })
        .await
    }

    /// Sends a [`PreparedMessage`] without waiting, as [`try_send`](Self::try_send) a data
    /// message: [`Error::Full`] above the high-water mark (nothing queued). A broadcast loop
    /// calls it for every member and skips or lets go of those that are full.
    ///
    /// # Errors
    /// As [`try_send`](Self::try_send).
    pub fn try_send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        self.inner.try_send_prepared(message)
    }

    /// Closes the WebSocket: sends our Close (`code`, `reason`), then reads until the peer's
    /// Close and the transport's end (or the close timeout), discarding messages meanwhile.
    ///
    /// # Errors
    /// As [`send`](Self::send), and the abnormal end, if it ends so.
    pub async fn close(mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let frame = CloseFrame {
            code,
            reason: reason.to_owned(),
        };
        match self.send(Message::Close(Some(frame))).await {
            Ok(()) | Err(Error::Closed) => {}
            // Our Close was written and only the flush failed: an HTTP/2 server that got it,
            // answered and ended its stream may reset it with NO_ERROR (RFC 9113 §8.1), and
            // hyper reports that on the next write or flush. Whether the closing handshake
            // completed is for the reading to tell: the peer's Close and the stream's end,
            // or the error.
            Err(Error::Io(_)) if self.pending_output() == 0 => {}
            Err(e) => return Err(e),
        }
        while let Some(item) = self.recv().await {
            item?;
        }
        Ok(())
    }

    /// Two halves that work from different tasks at once: one sends, the other receives
    /// (and so drives the connection).
    pub fn split(self) -> (WsSender<S, R>, WsReceiver<S, R>) {
        let inner = Arc::new(Mutex::new(*self.inner));
        (
            WsSender {
                inner: inner.clone(),
            },
            WsReceiver { inner },
        )
    }
}

async fn send<S, R: Runtime<S>>(inner: &Inner<S, R>, message: Message) -> Result<(), Error> {
    let mut message = Some(message);
    poll_fn(|cx| lock(inner).poll_send(cx, &mut message, Shared::start_send)).await
}

async fn send_prepared<S, R: Runtime<S>>(
    inner: &Inner<S, R>,
    message: &PreparedMessage,
) -> Result<(), Error> {
    let mut message = Some(message);
    poll_fn(|cx| lock(inner).poll_send(cx, &mut message, Shared::start_send_prepared)).await
}

impl<S, R: Runtime<S>> Stream for WebSocket<S, R> {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_recv(cx)
    }
}

impl<S, R: Runtime<S>> Sink<Message> for WebSocket<S, R> {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn start_send(mut self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.inner.start_send(item)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner
            .poll_write_out(cx, crate::shared::Side::Writer)
            .map_err(Error::from)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_close(cx)
    }
}

/// The sending half of a [`WebSocket`] (a [`Sink`]); see [`WebSocket::split`].
#[cfg(feature = "tokio")]
pub struct WsSender<S, R: Runtime<S> = Tokio> {
    inner: Inner<S, R>,
}

/// The sending half of a [`WebSocket`] (a [`Sink`]); see [`WebSocket::split`].
#[cfg(not(feature = "tokio"))]
pub struct WsSender<S, R: Runtime<S>> {
    inner: Inner<S, R>,
}

/// The receiving half of a [`WebSocket`] (a [`Stream`]); see [`WebSocket::split`]. Keep it
/// polled: it answers Pings, runs the timers and ends the connection.
#[cfg(feature = "tokio")]
pub struct WsReceiver<S, R: Runtime<S> = Tokio> {
    inner: Inner<S, R>,
}

/// The receiving half of a [`WebSocket`] (a [`Stream`]); see [`WebSocket::split`]. Keep it
/// polled: it answers Pings, runs the timers and ends the connection.
#[cfg(not(feature = "tokio"))]
pub struct WsReceiver<S, R: Runtime<S>> {
    inner: Inner<S, R>,
}

impl<S, R: Runtime<S>> std::fmt::Debug for WsSender<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsSender").finish_non_exhaustive()
    }
}

impl<S, R: Runtime<S>> std::fmt::Debug for WsReceiver<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsReceiver").finish_non_exhaustive()
    }
}

impl<S, R: Runtime<S>> WsSender<S, R> {
    /// As [`WebSocket::send`].
    ///
    /// # Errors
    /// As [`WebSocket::send`].
    pub async fn send(&mut self, message: Message) -> Result<(), Error> {
        send(&self.inner, message).await
    }

    /// As [`WebSocket::try_send`].
    ///
    /// # Errors
    /// As [`WebSocket::try_send`].
    pub fn try_send(&mut self, message: Message) -> Result<(), Error> {
        lock(&self.inner).try_send(message)
    }

    /// As [`WebSocket::send_prepared`].
    ///
    /// # Errors
    /// As [`WebSocket::send`].
    pub async fn send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        send_prepared(&self.inner, message).await
    }

    /// As [`WebSocket::try_send_prepared`].
    ///
    /// # Errors
    /// As [`WebSocket::try_send`].
    pub fn try_send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        lock(&self.inner).try_send_prepared(message)
    }

    /// Bytes queued for the transport and not yet written.
    pub fn pending_output(&self) -> usize {
        with_conn!(&lock(&self.inner).conn, c => c.pending_output())
    }
}

impl<S, R: Runtime<S>> WsReceiver<S, R> {
    /// As [`WebSocket::recv`].
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        poll_fn(|cx| lock(&self.inner).poll_recv(cx)).await
    }
}

impl<S, R: Runtime<S>> Stream for WsReceiver<S, R> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        lock(&self.inner).poll_recv(cx)
    }
}

impl<S, R: Runtime<S>> Sink<Message> for WsSender<S, R> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.inner).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        lock(&self.inner).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.inner)
            .poll_write_out(cx, crate::shared::Side::Writer)
            .map_err(Error::from)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        lock(&self.inner).poll_close(cx)
    }
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use super::{WebSocket, WsReceiver, WsSender};

    fn send_and_sync<T: Send + Sync>() {}

    #[test]
    fn a_websocket_and_its_halves_can_move_between_threads_and_be_shared() {
        // Compiles only if they are `Send + Sync`, as they were behind one mutex.
        send_and_sync::<WebSocket<tokio::net::TcpStream>>();
        send_and_sync::<WsSender<tokio::net::TcpStream>>();
        send_and_sync::<WsReceiver<tokio::net::TcpStream>>();
    }
}
