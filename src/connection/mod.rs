//! The connection: one endpoint of a WebSocket — the opening handshake, a [`Receiver`] and a
//! [`Sender`] driven by one state machine. It reads no clock and owns no socket: bytes go in
//! through `handle_*`, events and bytes to write come out through `poll_*`.
//!
//! # States
//!
//! One state, changed by one function (each row is an arm of its `match`):
//!
//! | state | on | becomes | and |
//! | --- | --- | --- | --- |
//! | `Connecting` | the handshake completes | `Open` | reports [`Event::Open`]; the keepalive and idle timers start |
//! | `Connecting` | the handshake fails | `Closed` | the refusal (server) is queued; reports [`Error::Request`] / [`Error::Response`] |
//! | `Connecting` | the handshake timer, EOF | `Closed` | reports [`Error::HandshakeTimeout`] / [`Error::Eof`] |
//! | `Connecting` | `close()` | `Closed` | abandons the handshake; reports nothing |
//! | `Open` | `close()` | `CloseSent` | our Close is queued; the close timer starts (RFC 6455 §7.1.2) |
//! | `Open` | the peer's Close | `Closed` | our reply is queued (§5.5.1); reports [`Event::Close`] |
//! | `CloseSent` | the peer's Close | `Closed` | reports [`Event::Close`] |
//! | `Open`, `CloseSent` | a protocol error | `Closed` | a Close with its code is queued unless ours is out (§7.1.7); reports [`Error::Protocol`] |
//! | `Open`, `CloseSent` | EOF, the idle timer | `Closed` | reports [`Error::Eof`] / [`Error::IdleTimeout`] after the events already received |
//! | `CloseSent` | the close timer | `Closed` | reports [`Error::CloseTimeout`] |
//! | `Closed` (client) | EOF, the close timer | `Closed` | the transport may now be closed |
//!
//! Once `Closed`, input is ignored and [`Connection::should_close_transport`] says when to
//! close the transport: at once for a server (it closes TCP first, §7.1.1) or a failed
//! connection; for a client after a clean close, at the server's EOF or the close timeout.
//!
//! Every connection reports its end once, as the last item of [`Connection::poll_event`]:
//! [`Event::Close`] when the peer's Close arrived, otherwise an [`Error`] (a violation, a
//! refused handshake, EOF or a timeout — each with its [`Error::close_code`]). An error,
//! not an event, because in every one of those cases the closing handshake did not happen
//! and the caller should treat what it was doing as cut short.
//!
//! # Timers
//! One table of deadlines, each running only in the states shown; [`Connection::poll_timeout`]
//! is the earliest, [`Connection::handle_timeout`] fires what is due. The clock starts at the
//! first `handle_timeout`: until then `poll_timeout` says "now" (`Duration::ZERO`) so that any
//! run loop calls it at once.
//!
//! | timer | runs in | from | fires |
//! | --- | --- | --- | --- |
//! | handshake ([`Config::handshake_timeout`], 10 s) | `Connecting` | the start of the clock | [`Error::HandshakeTimeout`] |
//! | keepalive ([`Config::keepalive_interval`], off) | `Open` | the last input | sends a Ping, once per quiet spell |
//! | idle ([`Config::idle_timeout`], off) | `Open`, `CloseSent` | the last input | [`Error::IdleTimeout`] |
//! | close ([`Config::close_timeout`], 30 s) | `CloseSent`; a client's `Closed` until the server's EOF | our Close / the peer's Close | [`Error::CloseTimeout`] / the transport may close |
//!
//! # Methods, by group
//! - **Create**: [`Connection::server`], [`Connection::client`] (they run the handshake);
//!   [`Connection::server_open`], [`Connection::client_open`] (it was done elsewhere).
//! - **Look**: [`state`](Connection::state), [`role`](Connection::role),
//!   [`negotiated`](Connection::negotiated), [`request_target`](Connection::request_target),
//!   [`is_send_ready`](Connection::is_send_ready),
//!   [`pending_output`](Connection::pending_output),
//!   [`should_close_transport`](Connection::should_close_transport).
//! - **Inputs**: [`handle_input`](Connection::handle_input) (or
//!   [`input_buffer`](Connection::input_buffer) + [`commit_input`](Connection::commit_input)),
//!   [`handle_eof`](Connection::handle_eof), [`handle_timeout`](Connection::handle_timeout).
//! - **Commands**: `send_*` (with [`send_prepared`](Connection::send_prepared) for a message
//!   framed once for many connections), [`ping`](Connection::ping),
//!   [`close`](Connection::close).
//! - **Outputs**, drained in this order after every input or command:
//!   1. [`poll_event`](Connection::poll_event) until `None` (with
//!      [`take_message`](Connection::take_message) after a whole data message);
//!   2. [`poll_transmit`](Connection::poll_transmit) /
//!      [`poll_transmit_vectored`](Connection::poll_transmit_vectored) then
//!      [`advance_transmit`](Connection::advance_transmit), or
//!      [`take_transmit`](Connection::take_transmit) /
//!      [`take_transmit_buf`](Connection::take_transmit_buf) for a writer that runs elsewhere;
//!   3. [`poll_timeout`](Connection::poll_timeout): when to call `handle_timeout` next.
//!
//! Time is never read inside: pass a monotonic `Duration` since any fixed origin to
//! [`Connection::handle_timeout`] whenever time passes.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::time::Duration;

use crate::Role;
use crate::extensions::deflate::DeflateConfig;
use crate::handshake::{ClientHandshake, Negotiated, ServerConfig, ServerHandshake};
use crate::recv::{self, Delivery, Receiver, RecvConfig};
use crate::send::{ClientMasks, MaskGen, RandomMask, SendConfig, Sender, Unmasked};

mod error;
mod machine;
mod opening;
mod output;
mod sending;
mod timers;

pub use crate::recv::Event;
pub use error::Error;
pub use output::TransmitBuf;

use machine::{Handshake, Machine, Phase, Transition};

/// Connection settings. `Default` gives bounded, strict settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Receive limits and rules.
    pub recv: RecvConfig,
    /// Send-side settings (fragmentation).
    pub send: SendConfig,
    /// Whole messages (default) or pieces as they arrive.
    pub delivery: Delivery,
    /// Answer each Ping with a Pong carrying the same data (RFC 6455 §5.5.2). Default on.
    pub auto_pong: bool,
    /// The most automatic Pongs queued and not yet transmitted; beyond it further Pings go
    /// unanswered until the output drains (RFC 6455 §5.5.3 allows answering only the most
    /// recent), so a ping flood cannot grow memory. Default 16.
    pub max_pending_pongs: usize,
    /// How long the opening handshake may take, from the first [`Connection::handle_timeout`]
    /// (which starts the clock) until the request (server) or response (client) is complete;
    /// past it the connection is `Closed` ([`Error::HandshakeTimeout`]) and the transport should be closed — no
    /// HTTP response is sent, as with Python's `websockets` `open_timeout`. It bounds what a
    /// peer that sends nothing, or trickles its request a byte at a time, can hold. Default
    /// 10 s (as `websockets`); `None` disables it.
    pub handshake_timeout: Option<Duration>,
    /// How long to wait for the closing handshake to finish (our Close sent, the peer's not
    /// yet here; or, for a client, the server's EOF after both Closes) before giving up and
    /// closing the transport ([`Error::CloseTimeout`]). Default 30 s (as Node's `ws`).
    pub close_timeout: Option<Duration>,
    /// Send a Ping after this long without any input. Default off.
    pub keepalive_interval: Option<Duration>,
    /// Give up on the peer (close the transport, report [`Error::IdleTimeout`]) after this long without any
    /// input. Default off.
    pub idle_timeout: Option<Duration>,
    /// The outbound high-water mark: once this many bytes are queued for the transport, data
    /// sends are refused with [`UsageError::OutputFull`](crate::UsageError::OutputFull) until some are written out
    /// ([`Connection::is_send_ready`] tells when), so a peer that stops reading holds at most
    /// this much output plus one message. Control frames (Pongs, bounded by
    /// `max_pending_pongs`; Close) still go in. Default `None`: no mark (as Node's `ws`,
    /// whose `bufferedAmount` grows without bound).
    pub outbound_high_water: Option<usize>,
    /// permessage-deflate data-path settings (engine, threshold, level, window cap). They
    /// apply only when the handshake agreed the extension, which needs a
    /// [`DeflateServer`](crate::extensions::deflate::DeflateServer) or
    /// [`DeflateClient`](crate::extensions::deflate::DeflateClient) in the handshake config:
    /// without one (the default) nothing is compressed.
    pub deflate: DeflateConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            recv: RecvConfig::default(),
            send: SendConfig::default(),
            delivery: Delivery::Messages,
            auto_pong: true,
            max_pending_pongs: 16,
            handshake_timeout: Some(Duration::from_secs(10)),
            close_timeout: Some(Duration::from_secs(30)),
            keepalive_interval: None,
            idle_timeout: None,
            outbound_high_water: None,
            deflate: DeflateConfig::default(),
        }
    }
}

/// Where the connection is; see the [module docs](self#states).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// The opening handshake is in progress.
    Connecting,
    /// Messages flow both ways.
    Open,
    /// Our Close was sent; waiting for the peer's.
    CloseSent,
    /// Finished; input is ignored.
    Closed,
}

/// One WebSocket endpoint; see the [module docs](self).
#[derive(Debug)]
pub struct Connection<M: MaskGen = Unmasked> {
    /// Outside the machine, so that an event borrowed from it can be acted on.
    receiver: Receiver,
    m: Machine<M>,
}

impl Connection<Unmasked> {
    /// A server connection that runs the opening handshake itself: it reads the request,
    /// accepts it with `server` (subprotocol preferences, extension negotiators, extra
    /// headers) or answers the refusal, then carries the WebSocket. One `ServerConfig` is
    /// shared by all connections.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use wswire::connection::{Config, Connection, State};
    /// use wswire::extensions::deflate::DeflateServer;
    /// use wswire::handshake::ServerConfig;
    ///
    /// let mut server = ServerConfig::default();
    /// server.extension(Box::new(DeflateServer::default())); // permessage-deflate on
    /// let conn = Connection::server(Arc::new(server), Config::default());
    /// assert_eq!(conn.state(), State::Connecting);
    /// ```
    pub fn server(server: Arc<ServerConfig>, config: Config) -> Self {
        let hs = Handshake::Server(ServerHandshake::new(&server), server);
        Self::build(
            Role::Server,
            Phase::Connecting(Box::new(hs)),
            Sender::server(config.send),
            config,
        )
    }

    /// A server connection whose handshake was done elsewhere (e.g. through
    /// [`crate::handshake`] or an HTTP framework); it starts `Open`.
    ///
    /// ```
    /// use wswire::connection::{Config, Connection, State};
    ///
    /// let conn = Connection::server_open(Default::default(), Config::default());
    /// assert_eq!(conn.state(), State::Open);
    /// ```
    pub fn server_open(negotiated: Negotiated, config: Config) -> Self {
        let mut c = Self::build(
            Role::Server,
            Phase::Open,
            Sender::server(config.send),
            config,
        );
        c.m.negotiated = negotiated;
        c.apply_extensions();
        c
    }
}

impl<R: rand_core::CryptoRng> Connection<RandomMask<R>> {
    /// A client connection that sends `handshake`'s request, checks the response, then carries
    /// the WebSocket, masking with keys from `rng`: any `rand_core` 0.10 `CryptoRng` (re-exported as
    /// [`wswire::rand_core`](crate::rand_core)), e.g. getrandom 0.4's `UnwrapErr(SysRng)` or
    /// rand 0.10's `rng()`. (rand 0.9's `ThreadRng` implements the older `rand_core` 0.9 and
    /// is refused with a `CryptoRng` bound error.)
    ///
    /// ```
    /// use wswire::connection::{Config, Connection};
    /// use wswire::handshake::ClientRequest;
    /// use wswire::rand_core::UnwrapErr;
    ///
    /// let mut rng = UnwrapErr(getrandom::SysRng); // the OS's generator, as a CryptoRng
    /// let handshake = ClientRequest::new("example.com", "/chat")?.start(&mut rng);
    /// let mut conn = Connection::client(handshake, Config::default(), rng);
    /// assert!(conn.poll_transmit().unwrap().starts_with(b"GET /chat HTTP/1.1\r\n"));
    /// # Ok::<(), wswire::handshake::BuildError>(())
    /// ```
    pub fn client(handshake: ClientHandshake, config: Config, rng: R) -> Self {
        Self::client_with(handshake, config, RandomMask(rng))
    }
}

impl<M: ClientMasks> Connection<M> {
    /// As [`Connection::client`], with a chosen key source ([`RandomMask`], or
    /// [`FixedMask`](crate::send::FixedMask) for reproducible bytes in tests).
    ///
    /// ```
    /// use wswire::connection::{Config, Connection};
    /// use wswire::frame::MaskKey;
    /// use wswire::handshake::{ClientRequest, SecWebSocketKey};
    /// use wswire::send::FixedMask;
    ///
    /// // Reproducible bytes for a test: a fixed nonce and a fixed masking key.
    /// let key = SecWebSocketKey::from_nonce(*b"the sample nonce");
    /// let handshake = ClientRequest::new("example.com", "/")?.start_with_key(key);
    /// let masks = FixedMask(MaskKey([0x37, 0xfa, 0x21, 0x3d]));
    /// let conn = Connection::client_with(handshake, Config::default(), masks);
    /// assert!(conn.pending_output() > 0); // the request
    /// # Ok::<(), wswire::handshake::BuildError>(())
    /// ```
    pub fn client_with(handshake: ClientHandshake, config: Config, masks: M) -> Self {
        let sender = Sender::client_with(config.send, masks);
        let mut c = Self::build(Role::Client, Phase::Open, sender, config);
        c.m.out
            .inline()
            .extend_from_slice(handshake.request_bytes());
        c.m.phase = Phase::Connecting(Box::new(Handshake::Client(handshake)));
        c
    }

    /// A client connection whose handshake was done elsewhere; it starts `Open`.
    ///
    /// ```
    /// use wswire::connection::{Config, Connection};
    /// use wswire::rand_core::UnwrapErr;
    /// use wswire::send::RandomMask;
    ///
    /// // The upgrade was done by an HTTP client library; frames flow from here on.
    /// let masks = RandomMask(UnwrapErr(getrandom::SysRng));
    /// let mut conn = Connection::client_open(Default::default(), Config::default(), masks);
    /// conn.send_text("hi")?;
    /// assert_eq!(conn.pending_output(), 8); // masked: header, key, payload
    /// # Ok::<(), wswire::UsageError>(())
    /// ```
    pub fn client_open(negotiated: Negotiated, config: Config, masks: M) -> Self {
        let sender = Sender::client_with(config.send, masks);
        let mut c = Self::build(Role::Client, Phase::Open, sender, config);
        c.m.negotiated = negotiated;
        c.apply_extensions();
        c
    }
}

impl<M: MaskGen> Connection<M> {
    fn build(role: Role, phase: Phase, sender: Sender<M>, config: Config) -> Self {
        Self {
            receiver: Receiver::with_delivery(role, config.recv, config.delivery),
            m: Machine::new(role, phase, sender, config),
        }
    }

    /// This endpoint's role.
    pub fn role(&self) -> Role {
        self.m.role
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.m.state()
    }

    /// What the handshake agreed on (subprotocol, extensions).
    pub fn negotiated(&self) -> &Negotiated {
        &self.m.negotiated
    }

    /// The request path a server connection accepted (with its query), once `Open`.
    pub fn request_target(&self) -> Option<&str> {
        self.m.path.as_deref()
    }

    /// Feeds bytes read from the transport.
    ///
    /// ```
    /// use wswire::connection::{Config, Connection, Event};
    ///
    /// let mut conn = Connection::server_open(Default::default(), Config::default());
    /// conn.handle_input(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i']); // a masked "hi"
    /// assert_eq!(conn.poll_event(), Some(Ok(Event::Text { data: "hi", fin: true })));
    /// ```
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.m.phase {
            Phase::Closed { .. } => {}
            Phase::Connecting(_) => {
                self.m.input_arrived();
                if let Some(consumed) = self.handle_handshake(bytes) {
                    self.receiver
                        .handle_input(bytes.get(consumed..).unwrap_or_default());
                }
            }
            Phase::Open | Phase::CloseSent => {
                self.m.input_arrived();
                self.receiver.handle_input(bytes);
            }
        }
    }

    /// Room to read transport bytes into directly (no copy), once the handshake is done; then
    /// call [`Connection::commit_input`]. At least `min` bytes, except while a single-frame
    /// message waits for its last bytes: then what it still needs, or 8 KiB if that is more
    /// (see [`Receiver::spare_capacity`](crate::recv::Receiver::spare_capacity)). While
    /// `Connecting` (or once `Closed`) there is none: use `handle_input`.
    pub fn input_buffer(&mut self, min: usize) -> Option<&mut [u8]> {
        match self.m.phase {
            Phase::Open | Phase::CloseSent => Some(self.receiver.spare_capacity(min)),
            Phase::Connecting(_) | Phase::Closed { .. } => None,
        }
    }

    /// Marks `n` bytes written into [`Connection::input_buffer`] as received.
    pub fn commit_input(&mut self, n: usize) {
        if n > 0 && matches!(self.m.phase, Phase::Open | Phase::CloseSent) {
            self.m.input_arrived();
            self.receiver.commit(n);
        }
    }

    /// The transport reached end of stream.
    pub fn handle_eof(&mut self) {
        self.m.step(Transition::Eof);
    }

    /// Tells the connection the time (a monotonic `Duration` since a fixed origin of the
    /// caller's choosing); runs whatever timers are due. The first call starts the clock:
    /// the handshake deadline, and the keepalive and idle timers of a connection created
    /// `Open`, count from it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use wswire::connection::{Config, Connection, Error};
    ///
    /// let mut conn = Connection::server(Default::default(), Config::default());
    /// assert_eq!(conn.poll_timeout(), Some(Duration::ZERO)); // start the clock now
    /// conn.handle_timeout(Duration::from_secs(100));
    /// assert_eq!(conn.poll_timeout(), Some(Duration::from_secs(110))); // handshake deadline
    /// conn.handle_timeout(Duration::from_secs(110));
    /// assert_eq!(conn.poll_event(), Some(Err(Error::HandshakeTimeout)));
    /// assert!(conn.should_close_transport());
    /// ```
    pub fn handle_timeout(&mut self, now: Duration) {
        self.m.handle_timeout(now);
    }

    /// The next time [`Connection::handle_timeout`] must be called, if any timer is running;
    /// `Duration::ZERO` ("now") until the first call has started the clock.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.m.now.is_none() && self.m.state() != State::Closed {
            return Some(Duration::ZERO);
        }
        self.m.timers.next()
    }

    /// The next event, or `None` until more input arrives (or once the end was reported).
    ///
    /// # Errors
    /// `Some(Err(_))` once, as the last item, when the connection ended without the peer's
    /// Close (see [`Error`]); the right Close frame (or HTTP response) is already queued
    /// for [`Connection::poll_transmit`].
    pub fn poll_event(&mut self) -> Option<Result<Event<'_>, Error>> {
        if core::mem::take(&mut self.m.report_open) {
            return Some(Ok(Event::Open));
        }
        // Events received before an EOF or a timeout still come first; after a failure
        // the receiver has nothing more.
        match self.receiver.poll_event() {
            Some(Ok(event)) => {
                self.m.on_event(&event);
                return Some(Ok(event));
            }
            Some(Err(e)) => self.m.step(Transition::Fail(Error::Protocol(e))),
            None => {}
        }
        self.m.end.take().map(Err)
    }

    /// The whole message the last [`poll_event`](Self::poll_event) delivered, as owned bytes;
    /// `None` after any other event or once taken. Without a copy when the message was
    /// assembled (fragmented or compressed) or is a single frame of 16 KiB or more that
    /// started the input buffer or waited in it over several reads (see
    /// [`Receiver::take_message`]); a payload the connection wrote out is read into next
    /// (at most 144 KiB of it is kept), or, when the input buffer does not need it, the next
    /// message that is copied is copied into it (one payload of at most 32 KiB is kept for
    /// that, and used only for a message at least half its size), so an echo allocates
    /// nothing per message. With
    /// [`send_binary_owned`](Self::send_binary_owned) /
    /// [`send_text_owned`](Self::send_text_owned), an echo or a forward of a large message
    /// costs no payload copy beyond the socket read.
    ///
    /// ```
    /// # use wswire::connection::{Config, Connection, Event};
    /// # use wswire::recv::Message;
    /// # let mut conn = Connection::server_open(Default::default(), Config::default());
    /// # conn.handle_input(&[0x82, 0x83, 0, 0, 0, 0, 1, 2, 3]);
    /// while let Some(event) = conn.poll_event() {
    ///     if let Ok(Event::Binary { fin: true, .. }) = event {
    ///         if let Some(Message::Binary(bytes)) = conn.take_message() {
    ///             conn.send_binary_owned(bytes)?; // echoed without a copy
    ///         }
    ///     }
    /// }
    /// # Ok::<(), wswire::UsageError>(())
    /// ```
    pub fn take_message(&mut self) -> Option<recv::Message> {
        self.receiver.take_message()
    }

    /// Whether the caller should now close the transport: the connection is `Closed`, its
    /// last bytes are written, and it does not wait for the server's EOF (a client after a
    /// clean close, RFC 6455 §7.1.1) — see the [module docs](self#states).
    pub fn should_close_transport(&self) -> bool {
        matches!(
            self.m.phase,
            Phase::Closed {
                awaiting_eof: false
            }
        ) && self.m.out.len() == 0
    }
}
