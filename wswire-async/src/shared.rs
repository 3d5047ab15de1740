//! The state both halves of a WebSocket share: the stream, the connection, the timer.

use std::io::{self, ErrorKind, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use getrandom::SysRng;
use wswire::connection::{Connection, Event, State};
use wswire::rand_core::UnwrapErr;
use wswire::recv;
use wswire::send::{PreparedMessage, RandomMask};
use wswire::{CloseCode, UsageError};

use crate::message::{CloseFrame, Error, Message};
use crate::runtime::Runtime;

mod read_size;
mod wake;

use read_size::{READ_MIN, next_read_size};
pub(crate) use wake::Side;
use wake::{Registered, WriteWakers, poll_sleep};

/// A client connection's key source: the operating system's generator.
pub(crate) type ClientConnection = Connection<RandomMask<UnwrapErr<SysRng>>>;

/// A server or a client connection.
#[derive(Debug)]
pub(crate) enum Conn {
    Server(Connection),
    Client(ClientConnection),
}

/// Runs `$e` with `$c` bound to the connection, whichever role.
macro_rules! with_conn {
    ($conn:expr, $c:ident => $e:expr) => {
        match $conn {
            Conn::Server($c) => $e,
            Conn::Client($c) => $e,
        }
    };
}
pub(crate) use with_conn;

/// The stream and the connection, driven by whichever half polls.
pub(crate) struct Shared<S, R: Runtime<S>> {
    pub(crate) io: S,
    pub(crate) conn: Conn,
    origin: Instant,
    sleep: Option<Pin<Box<R::Sleep>>>,
    sleep_at: Option<Instant>,
    /// The waker the armed sleep was last polled with (it wakes that task when it fires).
    sleep_waker: Option<Waker>,
    wakers: Arc<WriteWakers>,
    /// What each half last registered in `wakers`.
    registered: Registered,
    write_waker: Waker,
    /// Room for the handshake's bytes while the connection is `Connecting`.
    handshake_buf: Vec<u8>,
    /// Bytes were written since the stream's last flush.
    unflushed: bool,
    /// The stream was shut down.
    shut: bool,
    /// The receiving side has ended (`None` was returned).
    pub(crate) finished: bool,
    /// How the connection ended, held back until its Close is written and the transport
    /// shut: the caller may drop the WebSocket as soon as it sees the error.
    ended: Option<Error>,
    /// The peer's Close, held back until our answering Close is written out.
    held_close: Option<Message>,
    /// The request target a server accepted.
    pub(crate) target: Option<String>,
    /// The room to ask the connection for on the next read (`READ_MIN..=READ_MAX`).
    read_size: usize,
}

impl<S, R: Runtime<S>> std::fmt::Debug for Shared<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("conn", &self.conn)
            .field("shut", &self.shut)
            .finish_non_exhaustive()
    }
}

impl<S, R: Runtime<S>> Shared<S, R> {
    pub(crate) fn new(io: S, conn: Conn) -> Self {
        let wakers = Arc::new(WriteWakers::default());
        let write_waker = Waker::from(wakers.clone());
        let connecting = with_conn!(&conn, c => c.state() == State::Connecting);
        Self {
            io,
            conn,
            origin: Instant::now(),
            sleep: None,
            sleep_at: None,
            sleep_waker: None,
            wakers,
            registered: Registered::default(),
            write_waker,
            handshake_buf: if connecting {
                vec![0; 4096]
            } else {
                Vec::new()
            },
            unflushed: false,
            shut: false,
            finished: false,
            ended: None,
            held_close: None,
            target: None,
            read_size: READ_MIN,
        }
    }

    /// Writes what the connection has queued until it is all out (`Ready(Ok)`) or the stream
    /// is full (`Pending`: `cx` is woken when it can take more).
    pub(crate) fn poll_write_out(
        &mut self,
        cx: &mut Context<'_>,
        side: Side,
    ) -> Poll<io::Result<()>> {
        // `side`'s waker is registered on every call, also when the stream takes the write
        // at once: output queued later by the other half may be left to this one (a split
        // sender that queues a Close with `try_send` and is dropped leaves it to the
        // receiving half, which must be woken when the stream can take it; registering only
        // after a `Pending` of its own lost that Close, interop/chat_check.py).
        self.wakers.register(side, cx.waker(), &mut self.registered);
        self.write_out()
    }

    /// [`poll_write_out`](Self::poll_write_out) with the stream polled by the waker that wakes
    /// both halves.
    fn write_out(&mut self) -> Poll<io::Result<()>> {
        let mut wcx = Context::from_waker(&self.write_waker);
        let io = &mut self.io;
        let unflushed = &mut self.unflushed;
        with_conn!(&mut self.conn, c => {
            while c.pending_output() != 0 {
                let mut pieces: [&[u8]; 16] = [&[]; 16];
                let count = c.poll_transmit_vectored(&mut pieces);
                let written = if count == 1 {
                    R::poll_write(io, &mut wcx, pieces[0])
                } else {
                    let slices: [IoSlice<'_>; 16] =
                        std::array::from_fn(|i| IoSlice::new(pieces[i]));
                    R::poll_write_vectored(io, &mut wcx, &slices[..count])
                };
                match written {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(ErrorKind::WriteZero.into())),
                    Poll::Ready(Ok(n)) => {
                        *unflushed = true;
                        c.advance_transmit(n);
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
        });
        if self.unflushed {
            std::task::ready!(R::poll_flush(io, &mut wcx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    /// The next message, driving everything the connection needs meanwhile: output,
    /// timers, reads, and the transport's shutdown once the connection is done.
    pub(crate) fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        loop {
            if let Some(close) = self.held_close.take() {
                return self.poll_answered(cx, close);
            }
            if self.ended.is_none() {
                match self.next_message() {
                    Some(Err(e)) => self.ended = Some(e),
                    Some(Ok(close @ Message::Close(_))) => self.held_close = Some(close),
                    Some(item) => return Poll::Ready(Some(item)),
                    None => {}
                }
                if self.held_close.is_some() {
                    continue;
                }
            }
            if let Poll::Ready(Err(e)) = self.poll_write_out(cx, Side::Reader) {
                self.finished = true;
                return Poll::Ready(Some(Err(self.ended.take().unwrap_or(e.into()))));
            }
            if with_conn!(&self.conn, c => c.should_close_transport()) {
                if !self.shut {
                    // The server closes the transport first (RFC 6455 §7.1.1); a client once
                    // the server has, or its close timer passed.
                    if R::poll_shutdown(&mut self.io, cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.shut = true;
                }
                self.finished = true;
                return Poll::Ready(self.ended.take().map(Err));
            }
            if self.poll_timer(cx).is_ready() {
                continue;
            }
            match self.poll_read(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(self.ended.take().unwrap_or(e.into()))));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Hands over the peer's Close once our answering Close is written out — to the stream
    /// and flushed — so that a caller that stops at the peer's Close and drops the WebSocket
    /// has still completed the closing handshake: a stream that takes writes later (hyper's
    /// HTTP/2 stream, whose writes go through a channel to the connection's task) would
    /// otherwise lose the Close with the WebSocket. Meanwhile the timers run (the close
    /// timeout ends the wait on a peer that reads nothing); a failed write shows on the next
    /// poll.
    fn poll_answered(
        &mut self,
        cx: &mut Context<'_>,
        close: Message,
    ) -> Poll<Option<Result<Message, Error>>> {
        loop {
            if self.poll_write_out(cx, Side::Reader).is_ready() {
                return Poll::Ready(Some(Ok(close)));
            }
            if self.poll_timer(cx).is_pending() {
                self.held_close = Some(close);
                return Poll::Pending;
            }
            // A timer fired: past the close timeout the connection gave up waiting.
            if with_conn!(&self.conn, c => c.state() == State::Closed) {
                return Poll::Ready(Some(Ok(close)));
            }
        }
    }

    /// Fires the connection's timers when due; otherwise arms the sleep for the next one.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(after) = with_conn!(&self.conn, c => c.poll_timeout()) else {
            return Poll::Pending;
        };
        let at = self.origin + after;
        match &mut self.sleep {
            // Armed for `at` or earlier: keep it (no clock read on this, the common path). A
            // deadline that moved later (the idle timer restarts on every read) is not
            // re-armed until the sleep fires, which saves a timer-wheel update per read;
            // firing early only means one more `handle_timeout` with nothing due, then the
            // sleep is armed for the new time.
            Some(sleep) if self.sleep_at.is_some_and(|armed| armed <= at) => {
                // Polled already with this task's waker and not fired: it will wake this
                // task, so it need not be polled again.
                let registered = self
                    .sleep_waker
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()));
                if registered && R::is_elapsed(sleep) == Some(false) {
                    return Poll::Pending;
                }
                if poll_sleep::<S, R>(sleep.as_mut(), &mut self.sleep_waker, cx).is_pending() {
                    return Poll::Pending;
                }
            }
            _ if at <= Instant::now() => {}
            Some(sleep) => {
                R::reset(sleep.as_mut(), at);
                self.sleep_at = Some(at);
                self.sleep_waker = None;
                if poll_sleep::<S, R>(sleep.as_mut(), &mut self.sleep_waker, cx).is_pending() {
                    return Poll::Pending;
                }
            }
            None => {
                let mut sleep = Box::pin(R::sleep_until(at));
                self.sleep_at = Some(at);
                let pending = poll_sleep::<S, R>(sleep.as_mut(), &mut self.sleep_waker, cx);
                self.sleep = Some(sleep);
                if pending.is_pending() {
                    return Poll::Pending;
                }
            }
        }
        let elapsed = Instant::now() - self.origin;
        with_conn!(&mut self.conn, c => c.handle_timeout(elapsed));
        self.sleep_at = None;
        self.sleep_waker = None;
        Poll::Ready(())
    }

    /// One read from the stream into the connection (straight into its buffer once open).
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let origin = self.origin;
        let io = &mut self.io;
        let handshake_buf = &mut self.handshake_buf;
        let read_size = &mut self.read_size;
        with_conn!(&mut self.conn, c => {
            let n = if let Some(buf) = c.input_buffer(*read_size) {
                let offered = buf.len();
                let n = std::task::ready!(R::poll_read(io, cx, buf))?;
                *read_size = next_read_size(*read_size, offered, n);
                // The time first: input restarts the quiet timers from it.
                c.handle_timeout(origin.elapsed());
                c.commit_input(n);
                n
            } else if c.state() == State::Connecting {
                let n = std::task::ready!(R::poll_read(io, cx, handshake_buf))?;
                c.handle_timeout(origin.elapsed());
                c.handle_input(&handshake_buf[..n]);
                if c.state() != State::Connecting {
                    *handshake_buf = Vec::new();
                }
                n
            } else {
                // Closed, waiting for the peer's EOF: read and drop.
                let mut scratch = [0u8; 512];
                std::task::ready!(R::poll_read(io, cx, &mut scratch))?
            };
            if n == 0 {
                c.handle_eof();
            }
        });
        Poll::Ready(Ok(()))
    }

    /// The next event as an owned message, if the connection has one.
    fn next_message(&mut self) -> Option<Result<Message, Error>> {
        with_conn!(&mut self.conn, c => loop {
            match c.poll_event()? {
                Ok(Event::Text { .. } | Event::Binary { .. } | Event::UncheckedText { .. }) => {}
                Ok(Event::Ping(p)) => return Some(Ok(Message::Ping(p.to_vec()))),
                Ok(Event::Pong(p)) => return Some(Ok(Message::Pong(p.to_vec()))),
                Ok(Event::Close { code, reason }) => {
                    let frame = (code != CloseCode::NO_STATUS_RECEIVED).then(|| CloseFrame {
                        code,
                        reason: reason.to_owned(),
                    });
                    return Some(Ok(Message::Close(frame)));
                }
                Ok(_) => continue,
                Err(e) => return Some(Err(e.into())),
            }
            // Whole messages only (the adapter delivers `Delivery::Messages`), owned without
            // a copy where the connection can hand its buffer over.
            match c.take_message() {
                Some(recv::Message::Text(t)) => return Some(Ok(Message::Text(t))),
                Some(recv::Message::Binary(b) | recv::Message::UncheckedText(b)) => {
                    return Some(Ok(Message::Binary(b)));
                }
                _ => {}
            }
        })
    }

    /// Drives the opening handshake (a client's) until the connection is open.
    pub(crate) fn poll_open(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        loop {
            match with_conn!(&self.conn, c => c.state()) {
                State::Connecting => {}
                State::Closed => {
                    return Poll::Ready(Err(match self.next_message() {
                        Some(Err(e)) => e,
                        _ => Error::Closed,
                    }));
                }
                _ => return Poll::Ready(Ok(())),
            }
            if let Poll::Ready(Err(e)) = self.poll_write_out(cx, Side::Reader) {
                return Poll::Ready(Err(e.into()));
            }
            if self.poll_timer(cx).is_ready() {
                continue;
            }
            std::task::ready!(self.poll_read(cx))?;
        }
    }

    /// Waits until a data message may be queued: the output is below the high-water mark.
    pub(crate) fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        loop {
            let (ready, open) =
                with_conn!(&self.conn, c => (c.is_send_ready(), c.state() == State::Open));
            if ready {
                return Poll::Ready(Ok(()));
            }
            if !open {
                return Poll::Ready(Err(Error::Closed));
            }
            std::task::ready!(self.poll_write_out(cx, Side::Writer))?;
        }
    }

    /// One step of a send: waits for room below the high-water mark, queues the message
    /// (taken out of `message` once) with `queue`, then writes until it is out — under one
    /// lock of the shared state when the stream takes it at once.
    pub(crate) fn poll_send<M>(
        &mut self,
        cx: &mut Context<'_>,
        message: &mut Option<M>,
        queue: impl FnOnce(&mut Self, M) -> Result<(), Error>,
    ) -> Poll<Result<(), Error>> {
        if message.is_some() {
            std::task::ready!(self.poll_ready(cx))?;
            if let Some(m) = message.take() {
                queue(self, m)?;
            }
        }
        self.poll_write_out(cx, Side::Writer).map_err(Error::from)
    }

    /// Queues `message` (without copying a text or binary payload of 1 KiB or more).
    pub(crate) fn start_send(&mut self, message: Message) -> Result<(), Error> {
        with_conn!(&mut self.conn, c => match message {
            Message::Text(t) => c.send_text_owned(t)?,
            Message::Binary(b) => c.send_binary_owned(b)?,
            Message::Ping(p) => c.ping(&p)?,
            // Pings are answered by the connection itself.
            Message::Pong(_) => {}
            Message::Close(frame) => match frame {
                Some(f) => c.close(f.code, &f.reason)?,
                None => c.close(CloseCode::NORMAL, "")?,
            },
        });
        Ok(())
    }

    /// Queues a data message only if the output is below the high-water mark (control
    /// frames always: a Close is how a slow peer is let go), then writes what it can without
    /// waiting (the receiving side, kept polled, writes the rest).
    pub(crate) fn try_send(&mut self, message: Message) -> Result<(), Error> {
        let data = matches!(message, Message::Text(_) | Message::Binary(_));
        self.try_queue(data, |s| s.start_send(message))
    }

    /// Queues a prepared message: its frames are shared with the other connections it is
    /// sent to, and written from there (`poll_write_out` writes the connection's slices).
    pub(crate) fn start_send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        with_conn!(&mut self.conn, c => c.send_prepared(message))?;
        Ok(())
    }

    /// As `try_send`, for a prepared message.
    pub(crate) fn try_send_prepared(&mut self, message: &PreparedMessage) -> Result<(), Error> {
        self.try_queue(true, |s| s.start_send_prepared(message))
    }

    /// Runs `queue` unless the connection is not open, or `data` and the output is above the
    /// high-water mark; then writes what it can without waiting.
    fn try_queue(
        &mut self,
        data: bool,
        queue: impl FnOnce(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (ready, open) =
            with_conn!(&self.conn, c => (c.is_send_ready(), c.state() == State::Open));
        if !open {
            return Err(Error::Closed);
        }
        if !ready && data {
            return Err(Error::Full);
        }
        queue(self)?;
        let mut cx = Context::from_waker(Waker::noop());
        if let Poll::Ready(Err(e)) = self.poll_write_out(&mut cx, Side::Writer) {
            return Err(e.into());
        }
        Ok(())
    }

    /// Starts the closing handshake (once) and writes it out.
    pub(crate) fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let r: Result<(), UsageError> =
            with_conn!(&mut self.conn, c => c.close(CloseCode::NORMAL, ""));
        r?;
        std::task::ready!(self.poll_write_out(cx, Side::Writer))?;
        Poll::Ready(Ok(()))
    }
}
