//! The connection: one endpoint of a WebSocket, composed of the handshake, a [`Receiver`] and
//! a [`Sender`] — never a second decoder.
//!
//! # States
//!
//! | state | meaning | leaves when |
//! | --- | --- | --- |
//! | `Connecting` | the opening handshake is in progress (RFC 6455 §4) | the handshake completes → `Open`; it fails, EOF, the handshake timeout, or `close()` → `Closed` |
//! | `Open` | messages flow both ways | we send Close → `CloseSent`; the peer's Close arrives (our reply is queued at once) → `Closed`; a protocol error, EOF or the idle timeout → `Closed` |
//! | `CloseSent` | our Close is out; we still read (and answer pings) until the peer's Close (§5.5.1, §7.1.2) | the peer's Close, EOF, a protocol error, the idle or the close timeout → `Closed` |
//! | `Closed` | both Close frames exchanged, or the connection failed or ended abnormally; input is ignored | never |
//!
//! # Timers
//! One table of deadlines, each running only in the states shown; [`Connection::poll_timeout`]
//! is the earliest, [`Connection::handle_timeout`] fires what is due. The clock starts at the
//! first `handle_timeout`: until then `poll_timeout` says "now" (`Duration::ZERO`) so that any
//! run loop calls it at once.
//!
//! | timer | runs in | from | fires |
//! | --- | --- | --- | --- |
//! | handshake ([`Config::handshake_timeout`], 10 s) | `Connecting` | the start of the clock | `Closed`, 1006, close the transport |
//! | keepalive ([`Config::keepalive_interval`], off) | `Open` | the last input | sends a Ping, once per quiet spell |
//! | idle ([`Config::idle_timeout`], off) | `Open`, `CloseSent` | the last input | `Closed`, 1006, close the transport |
//! | close ([`Config::close_timeout`], 30 s) | `CloseSent`; a client's `Closed` until the server's EOF | our Close / the peer's Close | `Closed`, 1006 (if not yet), close the transport |
//!
//! Every transition is made by a method of this file. Once `Closed`, the caller closes the
//! transport when [`Connection::should_close_transport`] says so: at once for a server (it
//! closes TCP first, §7.1.1), after the server's EOF or the close timeout for a client.
//!
//! # Run loop
//! After every `handle_*` or `send_*` call, drain [`Connection::poll_event`] and
//! [`Connection::poll_transmit`]; then wait for input or for [`Connection::poll_timeout`]. Time
//! is never read inside: pass a monotonic `Duration` since any fixed origin to
//! [`Connection::handle_timeout`] whenever time passes.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use crate::Role;
use crate::error::{ProtocolError, UsageError};
use crate::extensions::NegotiationError;
use crate::extensions::deflate::{Compressor, DeflateConfig, DeflateParams};
use crate::frame::{CloseCode, CloseFrame, Rsv, apply_mask};
use crate::handshake::{
    ClientHandshake, Negotiated, RequestError, ResponseError, ServerConfig, ServerHandshake,
};
use crate::recv::{self, Delivery, Receiver, RecvConfig};
use crate::send::{DataKind, MaskGen, RandomMask, SendConfig, Sender, Unmasked};

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
    /// past it the connection is `Closed` with 1006 and the transport should be closed — no
    /// HTTP response is sent, as with Python's `websockets` `open_timeout`. It bounds what a
    /// peer that sends nothing, or trickles its request a byte at a time, can hold. Default
    /// 10 s (as `websockets`); `None` disables it.
    pub handshake_timeout: Option<Duration>,
    /// How long to wait for the closing handshake to finish (our Close sent, the peer's not
    /// yet here; or, for a client, the server's EOF after both Closes) before giving up and
    /// closing the transport. Default 30 s (as Node's `ws`).
    pub close_timeout: Option<Duration>,
    /// Send a Ping after this long without any input. Default off.
    pub keepalive_interval: Option<Duration>,
    /// Give up on the peer (close the transport, report 1006) after this long without any
    /// input. Default off.
    pub idle_timeout: Option<Duration>,
    /// The outbound high-water mark: once this many bytes are queued for the transport, data
    /// sends are refused with [`UsageError::OutputFull`] until some are written out
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

/// Where the connection is; see the [module docs](self).
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

/// Something that happened on the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The opening handshake completed; messages may now be sent.
    Open,
    /// Text: a whole message, or a piece with [`Delivery::Chunks`].
    Text {
        /// Validated UTF-8.
        data: &'a str,
        /// Whether the message is complete with this piece.
        fin: bool,
    },
    /// Binary data: a whole message or a piece.
    Binary {
        /// The bytes.
        data: &'a [u8],
        /// Whether the message is complete with this piece.
        fin: bool,
    },
    /// Text not validated (see [`RecvConfig::validate_utf8`]).
    UncheckedText {
        /// The bytes.
        data: &'a [u8],
        /// Whether the message is complete with this piece.
        fin: bool,
    },
    /// A Ping (already answered when `auto_pong` is on).
    Ping(&'a [u8]),
    /// A Pong.
    Pong(&'a [u8]),
    /// The connection is closing or closed. `code` is the peer's: 1005 when its Close had no
    /// status, 1006 when the transport ended (or timed out) without a Close (never sent).
    Close {
        /// The code reported.
        code: CloseCode,
        /// The peer's reason, if any.
        reason: &'a str,
    },
}

/// Why the connection failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer broke the protocol; a Close with [`ProtocolError::close_code`] was queued.
    Protocol(ProtocolError),
    /// The client's opening request was refused; the HTTP response was queued.
    Request(RequestError),
    /// The server's handshake response was not acceptable.
    Response(ResponseError),
    /// An agreed extension cannot be run: permessage-deflate without a codec
    /// ([`DeflateConfig::codec`]), or agreed parameters that do not parse. A Close with 1011
    /// was queued.
    Extension(NegotiationError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Protocol(e) => write!(f, "protocol error: {e}"),
            Self::Request(e) => write!(f, "handshake request refused: {e}"),
            Self::Response(e) => write!(f, "handshake response refused: {e}"),
            Self::Extension(e) => write!(f, "extension cannot be used: {e}"),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Protocol(e) => Some(e),
            Self::Request(e) => Some(e),
            Self::Response(e) => Some(e),
            Self::Extension(e) => Some(e),
        }
    }
}

/// The handshake in progress while `Connecting`.
enum Handshake {
    Server(ServerHandshake, Arc<ServerConfig>),
    Client(ClientHandshake),
    Done,
}

impl fmt::Debug for Handshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Server(..) => "Server",
            Self::Client(..) => "Client",
            Self::Done => "Done",
        })
    }
}

/// An event the connection makes itself, waiting to be polled.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Pending {
    Open,
    Close(CloseCode),
    Error(Error),
}

/// Owned sends smaller than this are copied into the output buffer anyway (a separate write
/// slice would cost more than the copy).
const OWNED_MIN_LEN: usize = 1024;

/// Buffers above this capacity are released once drained.
const RETAIN_CAPACITY: usize = 256 * 1024;

/// `after` from `now`; before the clock starts (`now` unknown), from zero — such deadlines
/// move to the start of the clock when it starts.
fn deadline(now: Option<Duration>, after: Option<Duration>) -> Option<Duration> {
    after.map(|t| now.unwrap_or(Duration::ZERO) + t)
}

/// A connection timer; see the [module docs](self#timers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    Handshake,
    Close,
    Keepalive,
    Idle,
}

impl Timer {
    const ALL: [Self; 4] = [Self::Handshake, Self::Close, Self::Keepalive, Self::Idle];
}

/// The deadline of each [`Timer`], or `None` when it is not running (quinn-proto's
/// `TimerTable` is the model).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TimerTable([Option<Duration>; 4]);

impl TimerTable {
    fn set(&mut self, timer: Timer, at: Option<Duration>) {
        self.0[timer as usize] = at;
    }

    fn stop(&mut self, timer: Timer) {
        self.set(timer, None);
    }

    /// Moves every running deadline `by` later.
    fn shift(&mut self, by: Duration) {
        for at in self.0.iter_mut().flatten() {
            *at += by;
        }
    }

    /// The earliest deadline.
    fn next(&self) -> Option<Duration> {
        self.0.iter().flatten().min().copied()
    }

    /// Stops and returns the first timer due at `now` (in [`Timer::ALL`] order).
    fn pop_due(&mut self, now: Duration) -> Option<Timer> {
        let due = Timer::ALL
            .into_iter()
            .find(|&t| self.0[t as usize].is_some_and(|at| at <= now))?;
        self.stop(due);
        Some(due)
    }
}

/// The state, the handshake it needs while `Connecting`, and the timers it runs.
#[derive(Debug)]
struct Phase {
    state: State,
    handshake: Handshake,
    timers: TimerTable,
}

impl Phase {
    /// Any state → `Closed`: no timer runs any more (a client's wait for the server's EOF
    /// is set again where it applies).
    fn close(&mut self) {
        self.state = State::Closed;
        self.handshake = Handshake::Done;
        self.timers = TimerTable::default();
    }
}

/// One WebSocket endpoint; see the [module docs](self).
#[derive(Debug)]
pub struct Connection<M: MaskGen = Unmasked> {
    role: Role,
    phase: Phase,
    config: Config,
    negotiated: Negotiated,
    path: Option<String>,
    receiver: Receiver,
    sender: Sender<M>,
    /// permessage-deflate for what we send, once agreed.
    compressor: Option<Compressor>,
    /// Events the connection made itself, in order, before the receiver's.
    pending: VecDeque<Pending>,
    /// Output not yet transmitted: `out[sent..]`, with the payloads of owned sends spliced in
    /// at their positions (`owned`, in order; each `(position in out, bytes, bytes sent)`).
    out: Vec<u8>,
    sent: usize,
    owned: VecDeque<(usize, Vec<u8>, usize)>,
    pending_pongs: usize,
    /// The last time given to `handle_timeout`; `None` until the clock starts.
    now: Option<Duration>,
    /// The peer's end of stream was seen, or we gave up on the peer (a timeout): the
    /// transport may be closed whatever the role.
    eof: bool,
    /// EOF arrived while open: report 1006 once the buffered events are delivered.
    eof_pending: bool,
    /// The last event was a whole data message that [`Connection::take_message`] may take.
    message_ready: bool,
    failed: bool,
}

impl Connection<Unmasked> {
    /// A server connection that runs the opening handshake itself: it reads the request,
    /// accepts it with `server` (subprotocol preferences, extension negotiators, extra
    /// headers) or answers the refusal, then carries the WebSocket. One `ServerConfig` is
    /// shared by all connections.
    pub fn server(server: Arc<ServerConfig>, config: Config) -> Self {
        let hs = ServerHandshake::new(&server);
        let mut c = Self::build(Role::Server, Sender::server(config.send), config);
        c.phase.state = State::Connecting;
        c.phase.handshake = Handshake::Server(hs, server);
        c
    }

    /// A server connection whose handshake was done elsewhere (e.g. through
    /// [`crate::handshake`] or an HTTP framework); it starts `Open`.
    pub fn server_open(negotiated: Negotiated, config: Config) -> Self {
        let mut c = Self::build(Role::Server, Sender::server(config.send), config);
        c.negotiated = negotiated;
        c.apply_extensions();
        c
    }
}

impl<R: rand_core::CryptoRng> Connection<RandomMask<R>> {
    /// A client connection that sends `handshake`'s request, checks the response, then carries
    /// the WebSocket, masking with keys from `rng`.
    pub fn client(handshake: ClientHandshake, config: Config, rng: R) -> Self {
        Self::client_with(handshake, config, RandomMask(rng))
    }
}

impl<M: MaskGen> Connection<M> {
    /// As [`Connection::client`], with a chosen key source.
    pub fn client_with(handshake: ClientHandshake, config: Config, masks: M) -> Self {
        let mut c = Self::build(
            Role::Client,
            Sender::client_with(config.send, masks),
            config,
        );
        c.phase.state = State::Connecting;
        c.out.extend_from_slice(handshake.request_bytes());
        c.phase.handshake = Handshake::Client(handshake);
        c
    }

    /// A client connection whose handshake was done elsewhere; it starts `Open`.
    pub fn client_open(negotiated: Negotiated, config: Config, masks: M) -> Self {
        let mut c = Self::build(
            Role::Client,
            Sender::client_with(config.send, masks),
            config,
        );
        c.negotiated = negotiated;
        c.apply_extensions();
        c
    }

    fn build(role: Role, sender: Sender<M>, config: Config) -> Self {
        Self {
            role,
            phase: Phase {
                state: State::Open,
                handshake: Handshake::Done,
                timers: TimerTable::default(),
            },
            config,
            negotiated: Negotiated::default(),
            path: None,
            receiver: Receiver::with_delivery(role, config.recv, config.delivery),
            sender,
            compressor: None,
            pending: VecDeque::new(),
            out: Vec::new(),
            sent: 0,
            owned: VecDeque::new(),
            pending_pongs: 0,
            now: None,
            eof: false,
            eof_pending: false,
            message_ready: false,
            failed: false,
        }
    }

    /// This endpoint's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.phase.state
    }

    /// What the handshake agreed on (subprotocol, extensions).
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// The request path a server connection accepted (with its query), once `Open`.
    pub fn request_target(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// Feeds bytes read from the transport.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if self.phase.state == State::Closed || bytes.is_empty() {
            return;
        }
        self.input_arrived();
        let rest = match self.phase.state {
            State::Connecting => match self.handle_handshake(bytes) {
                Some(consumed) => bytes.get(consumed..).unwrap_or_default(),
                None => return,
            },
            _ => bytes,
        };
        self.receiver.handle_input(rest);
    }

    /// Room to read transport bytes into directly (no copy), once the handshake is done; then
    /// call [`Connection::commit_input`]. While `Connecting`, use `handle_input`.
    pub fn input_buffer(&mut self, min: usize) -> Option<&mut [u8]> {
        match self.phase.state {
            State::Connecting | State::Closed => None,
            _ => Some(self.receiver.spare_capacity(min)),
        }
    }

    /// Marks `n` bytes written into [`Connection::input_buffer`] as received.
    pub fn commit_input(&mut self, n: usize) {
        if n > 0 {
            self.input_arrived();
            self.receiver.commit(n);
        }
    }

    /// Input restarts the keepalive and idle timers (from the last time given).
    fn input_arrived(&mut self) {
        if let Some(now) = self.now
            && matches!(self.phase.state, State::Open | State::CloseSent)
        {
            self.arm_quiet_timers(now);
        }
    }

    /// The keepalive and idle timers, counted from `since`: keepalive only while `Open`.
    fn arm_quiet_timers(&mut self, since: Duration) {
        let keepalive = self
            .config
            .keepalive_interval
            .filter(|_| self.phase.state == State::Open);
        self.phase
            .timers
            .set(Timer::Keepalive, keepalive.map(|t| since + t));
        self.phase
            .timers
            .set(Timer::Idle, self.config.idle_timeout.map(|t| since + t));
    }

    /// Runs the opening handshake on `bytes`; returns how many belonged to it once it
    /// completes (`None` while it needs more, or when it failed).
    fn handle_handshake(&mut self, bytes: &[u8]) -> Option<usize> {
        use crate::frame::Decoded;
        match &mut self.phase.handshake {
            Handshake::Server(hs, server) => match hs.handle_input(bytes) {
                Ok(Decoded::Incomplete { .. }) => None,
                Ok(Decoded::Complete((request, consumed))) => {
                    let accepted = request.accept(server);
                    self.path = Some(String::from(request.target()));
                    accepted.write_to(&mut self.out);
                    self.negotiated = accepted.into_negotiated();
                    self.opened();
                    Some(consumed)
                }
                Err(e) => {
                    e.rejection().write_to(&mut self.out);
                    self.fail_handshake(Error::Request(e));
                    None
                }
            },
            Handshake::Client(hs) => match hs.handle_input(bytes) {
                Ok(Decoded::Incomplete { .. }) => None,
                Ok(Decoded::Complete((value, consumed))) => {
                    self.negotiated = value;
                    self.opened();
                    Some(consumed)
                }
                Err(e) => {
                    self.fail_handshake(Error::Response(e));
                    None
                }
            },
            Handshake::Done => Some(0),
        }
    }

    /// `Connecting` → `Open`.
    fn opened(&mut self) {
        self.phase.handshake = Handshake::Done;
        self.phase.state = State::Open;
        self.phase.timers.stop(Timer::Handshake);
        if let Some(now) = self.now {
            self.arm_quiet_timers(now);
        }
        self.pending.push_back(Pending::Open);
        self.apply_extensions();
    }

    /// Sets up what the handshake agreed: permessage-deflate (RFC 7692) turns on RSV1 and
    /// inflation in the receiver and compression in the sender. An agreement that cannot be
    /// run fails the connection with 1011.
    fn apply_extensions(&mut self) {
        let params = match DeflateParams::from_extensions(self.negotiated.extensions()) {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(e) => return self.fail_extension(e),
        };
        let Some(inflater) = self.config.deflate.inflater(&params, self.role) else {
            return self.fail_extension(NegotiationError::new(
                "permessage-deflate agreed but no codec configured",
            ));
        };
        self.receiver.set_inflater(inflater);
        self.compressor = self.config.deflate.compressor(&params, self.role);
    }

    /// Fails an open connection whose agreed extension cannot be run: Close 1011.
    fn fail_extension(&mut self, e: NegotiationError) {
        let frame = CloseFrame {
            code: CloseCode::INTERNAL_ERROR,
            reason: "",
        };
        let _ = self.sender.close(Some(frame), &mut self.out);
        self.closed();
        self.failed = true;
        self.pending.push_back(Pending::Error(Error::Extension(e)));
    }

    /// Any state → `Closed`: no timer runs any more but a client's wait for the server's
    /// EOF (set by the caller where it applies).
    fn closed(&mut self) {
        self.phase.close();
    }

    /// The permessage-deflate compressor, when the extension is agreed and we compress.
    pub fn compressor(&self) -> Option<&Compressor> {
        self.compressor.as_ref()
    }

    /// The receiver underneath (e.g. to look at its inflater).
    pub fn receiver(&self) -> &Receiver {
        &self.receiver
    }

    /// `Connecting` → `Closed`.
    fn fail_handshake(&mut self, e: Error) {
        self.closed();
        self.failed = true;
        self.pending.push_back(Pending::Error(e));
    }

    /// The transport reached end of stream.
    pub fn handle_eof(&mut self) {
        self.eof = true;
        match self.phase.state {
            State::Closed => {}
            State::Connecting => {
                self.closed();
                self.pending.push_back(Pending::Close(CloseCode::ABNORMAL));
            }
            _ => {
                // RFC 6455 §7.1.5: closed without a Close frame: 1006, never sent. Events
                // already buffered are still delivered first.
                self.closed();
                self.eof_pending = true;
            }
        }
    }

    /// Tells the connection the time (a monotonic `Duration` since a fixed origin of the
    /// caller's choosing); runs whatever timers are due. The first call starts the clock:
    /// the handshake deadline, and the keepalive and idle timers of a connection created
    /// `Open`, count from it.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.now.is_none() {
            self.now = Some(now);
            self.start_clock(now);
        }
        self.now = Some(now);
        while let Some(timer) = self.phase.timers.pop_due(now) {
            self.fire(timer);
        }
    }

    fn start_clock(&mut self, now: Duration) {
        // Deadlines set before the clock started counted from zero.
        self.phase.timers.shift(now);
        match self.phase.state {
            State::Connecting => {
                let deadline = self.config.handshake_timeout.map(|t| now + t);
                self.phase.timers.set(Timer::Handshake, deadline);
            }
            State::Open | State::CloseSent => self.arm_quiet_timers(now),
            State::Closed => {}
        }
    }

    /// A timer is due.
    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Keepalive => {
                // Once per quiet spell: input re-arms it. Cannot fail: an empty payload, and
                // pings are allowed while `Open`.
                let _ = self.sender.ping(&[], &mut self.out);
            }
            Timer::Handshake | Timer::Idle | Timer::Close => {
                // Give up on the peer: close the transport, report 1006 if nothing was yet.
                if self.phase.state != State::Closed {
                    self.pending.push_back(Pending::Close(CloseCode::ABNORMAL));
                }
                self.closed();
                self.eof = true;
            }
        }
    }

    /// The next time [`Connection::handle_timeout`] must be called, if any timer is running;
    /// `Duration::ZERO` ("now") until the first call has started the clock.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.now.is_none() && self.phase.state != State::Closed {
            return Some(Duration::ZERO);
        }
        self.phase.timers.next()
    }

    /// The next event, or `None` until more input arrives.
    ///
    /// # Errors
    /// `Some(Err(_))` once when the connection fails; the right Close frame (or HTTP
    /// response) is already queued for [`Connection::poll_transmit`].
    pub fn poll_event(&mut self) -> Option<Result<Event<'_>, Error>> {
        self.message_ready = false;
        if let Some(p) = self.pending.pop_front() {
            return Some(match p {
                Pending::Open => Ok(Event::Open),
                Pending::Close(code) => Ok(Event::Close { code, reason: "" }),
                Pending::Error(e) => Err(e),
            });
        }
        if matches!(self.phase.state, State::Connecting) || self.failed {
            return None;
        }
        let event = match self.receiver.poll_event() {
            None => {
                if self.eof_pending {
                    self.eof_pending = false;
                    return Some(Ok(Event::Close {
                        code: CloseCode::ABNORMAL,
                        reason: "",
                    }));
                }
                return None;
            }
            Some(Err(e)) => {
                // RFC 6455 §7.1.7: fail the connection: send the Close (unless ours is already
                // out), then discard all further input.
                if !self.sender.close_sent() {
                    let frame = CloseFrame {
                        code: e.close_code(),
                        reason: "",
                    };
                    let _ = self.sender.close(Some(frame), &mut self.out);
                }
                self.phase.close();
                self.failed = true;
                return Some(Err(Error::Protocol(e)));
            }
            Some(Ok(event)) => event,
        };
        Some(Ok(match event {
            recv::Event::Text { data, fin } => {
                self.message_ready = fin;
                Event::Text { data, fin }
            }
            recv::Event::Binary { data, fin } => {
                self.message_ready = fin;
                Event::Binary { data, fin }
            }
            recv::Event::UncheckedText { data, fin } => {
                self.message_ready = fin;
                Event::UncheckedText { data, fin }
            }
            recv::Event::Ping(payload) => {
                // RFC 6455 §5.5.2: answer with the same data, also while our Close is out.
                if self.config.auto_pong && self.pending_pongs < self.config.max_pending_pongs {
                    self.pending_pongs += 1;
                    let _ = self.sender.pong(payload, &mut self.out);
                }
                Event::Ping(payload)
            }
            recv::Event::Pong(payload) => Event::Pong(payload),
            recv::Event::Close(frame) => {
                let (code, reason) = match frame {
                    Some(f) => (f.code, f.reason),
                    None => (CloseCode::NO_STATUS_RECEIVED, ""),
                };
                if self.phase.state == State::Open {
                    // RFC 6455 §5.5.1: reply with a Close, echoing the code (an empty Close
                    // for an empty one, since 1005 may not be sent).
                    let reply = frame.map(|f| CloseFrame {
                        code: f.code,
                        reason: "",
                    });
                    let _ = self.sender.close(reply, &mut self.out);
                }
                // Both Closes are now exchanged.
                self.phase.close();
                if self.role == Role::Client {
                    // A client waits for the server to close TCP (§7.1.1), but not forever.
                    let deadline = deadline(self.now, self.config.close_timeout);
                    self.phase.timers.set(Timer::Close, deadline);
                }
                Event::Close { code, reason }
            }
        }))
    }

    /// The whole message the last [`poll_event`](Self::poll_event) delivered, as owned bytes;
    /// `None` after any other event or once taken. Without a copy when the message was
    /// assembled (fragmented or compressed) or waited in the input buffer over several reads
    /// (see [`Receiver::take_message`]): with
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
        if !core::mem::take(&mut self.message_ready) {
            return None;
        }
        self.receiver.take_message()
    }

    /// The bytes to write to the transport next, if any; report how many were written with
    /// [`Connection::advance_transmit`].
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        self.pieces().next()
    }

    /// The pending output as up to `bufs.len()` slices in order, for a vectored write
    /// (`writev`; wrap them in `std::io::IoSlice`); returns how many were filled. The payload of
    /// an owned send ([`Connection::send_binary_owned`]) is its own slice, never copied.
    pub fn poll_transmit_vectored<'a>(&'a self, bufs: &mut [&'a [u8]]) -> usize {
        let mut n = 0;
        for (slot, piece) in bufs.iter_mut().zip(self.pieces()) {
            *slot = piece;
            n += 1;
        }
        n
    }

    /// The pending output, piece by piece: inline bytes and owned payloads in order.
    fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        let mut at = self.sent;
        let mut owned = self.owned.iter().peekable();
        core::iter::from_fn(move || {
            loop {
                if let Some((pos, bytes, done)) = owned.peek() {
                    if at == *pos {
                        owned.next();
                        let rest = bytes.get(*done..).unwrap_or_default();
                        if rest.is_empty() {
                            continue;
                        }
                        return Some(rest);
                    }
                    let inline = self.out.get(at..*pos).unwrap_or_default();
                    at = *pos;
                    if !inline.is_empty() {
                        return Some(inline);
                    }
                    continue;
                }
                let inline = self.out.get(at..).unwrap_or_default();
                at = self.out.len();
                return if inline.is_empty() {
                    None
                } else {
                    Some(inline)
                };
            }
        })
    }

    /// Marks `n` bytes from [`Connection::poll_transmit`] (or the slices of
    /// [`Connection::poll_transmit_vectored`], in order) as written.
    pub fn advance_transmit(&mut self, mut n: usize) {
        while n > 0 {
            match self.owned.front_mut() {
                Some((pos, bytes, done)) if *pos == self.sent => {
                    let step = n.min(bytes.len() - *done);
                    *done += step;
                    n -= step;
                    if *done == bytes.len() {
                        self.owned.pop_front();
                    }
                }
                Some((pos, ..)) => {
                    let step = n.min(*pos - self.sent);
                    self.sent += step;
                    n -= step;
                }
                None => {
                    self.sent = (self.sent + n).min(self.out.len());
                    n = 0;
                }
            }
            // An owned payload that is now first and already empty is skipped.
            while self
                .owned
                .front()
                .is_some_and(|(p, b, d)| *p == self.sent && *d == b.len())
            {
                self.owned.pop_front();
            }
        }
        if self.sent == self.out.len() && self.owned.is_empty() {
            self.sent = 0;
            self.pending_pongs = 0;
            if self.out.capacity() > RETAIN_CAPACITY {
                self.out = Vec::new();
            } else {
                self.out.clear();
            }
        }
    }

    /// Moves all pending output into `buf` (for callers that keep their own write buffer).
    pub fn transmit_into(&mut self, buf: &mut Vec<u8>) -> usize {
        let mut n = 0;
        for piece in self.pieces() {
            buf.extend_from_slice(piece);
            n += piece.len();
        }
        self.advance_transmit(n);
        n
    }

    /// Bytes queued for the transport.
    pub fn pending_output(&self) -> usize {
        self.out.len() - self.sent
            + self
                .owned
                .iter()
                .map(|(_, b, done)| b.len() - done)
                .sum::<usize>()
    }

    /// Whether there is output to write.
    pub fn wants_write(&self) -> bool {
        self.pending_output() != 0
    }

    /// Whether the caller should now close the transport: the connection is `Closed` and its
    /// last bytes are written, and either this is the server (which closes first, RFC 6455
    /// §7.1.1), the connection failed, or the peer already closed / the close timeout passed.
    pub fn should_close_transport(&self) -> bool {
        self.phase.state == State::Closed
            && !self.wants_write()
            && (self.role == Role::Server || self.failed || self.eof)
    }

    /// Data may be sent: the connection is `Open` and the output is below the high-water mark.
    fn check_open(&self) -> Result<(), UsageError> {
        match self.phase.state {
            State::Connecting => return Err(UsageError::NotOpen),
            State::Open => {}
            _ => return Err(UsageError::SendAfterClose),
        }
        match self.config.outbound_high_water {
            Some(limit) if self.pending_output() >= limit => Err(UsageError::OutputFull {
                pending: self.pending_output(),
                limit,
            }),
            _ => Ok(()),
        }
    }

    /// Whether a data message may be queued now: `Open`, and the queued output below
    /// [`Config::outbound_high_water`]. When it turns false, wait until the transport is
    /// writable, write ([`Connection::poll_transmit`] / [`Connection::advance_transmit`]), and
    /// ask again.
    pub fn is_send_ready(&self) -> bool {
        self.check_open().is_ok()
    }

    /// Queues a whole text message.
    ///
    /// # Errors
    /// [`UsageError::NotOpen`] while connecting; [`UsageError::SendAfterClose`] once closing.
    pub fn send_text(&mut self, text: &str) -> Result<(), UsageError> {
        self.send_text_part(text, true)
    }

    /// Queues a whole binary message.
    ///
    /// # Errors
    /// As [`Connection::send_text`].
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), UsageError> {
        self.send_binary_part(data, true)
    }

    /// Queues a piece of a streamed text message; `fin` ends it.
    ///
    /// # Errors
    /// As [`Connection::send_text`], and [`UsageError::MessageInProgress`].
    pub fn send_text_part(&mut self, text: &str, fin: bool) -> Result<(), UsageError> {
        self.send_data(DataKind::Text, text.as_bytes(), fin, true)
    }

    /// Queues a piece of a streamed binary message; `fin` ends it.
    ///
    /// # Errors
    /// As [`Connection::send_text_part`].
    pub fn send_binary_part(&mut self, data: &[u8], fin: bool) -> Result<(), UsageError> {
        self.send_data(DataKind::Binary, data, fin, true)
    }

    /// Queues a whole binary message whose bytes the connection takes over: the payload is
    /// not copied into the output buffer but written from `data` itself (see
    /// [`Connection::poll_transmit_vectored`]); a client masks it in place. When the message
    /// must be compressed or fragmented (permessage-deflate above its threshold, or
    /// `SendConfig::max_frame_payload`), it takes the copying path of
    /// [`Connection::send_binary`] instead.
    ///
    /// # Errors
    /// As [`Connection::send_binary`].
    pub fn send_binary_owned(&mut self, data: Vec<u8>) -> Result<(), UsageError> {
        self.send_owned(DataKind::Binary, data)
    }

    /// As [`Connection::send_binary_owned`], for a text message.
    ///
    /// # Errors
    /// As [`Connection::send_text`].
    pub fn send_text_owned(&mut self, text: String) -> Result<(), UsageError> {
        self.send_owned(DataKind::Text, text.into_bytes())
    }

    fn send_owned(&mut self, kind: DataKind, mut data: Vec<u8>) -> Result<(), UsageError> {
        self.check_open()?;
        let fragmented = self
            .config
            .send
            .max_frame_payload
            .is_some_and(|m| data.len() > m);
        let compressed = self.compressor.is_some() && data.len() >= self.config.deflate.threshold;
        if fragmented || compressed || data.len() < OWNED_MIN_LEN {
            return self.send_data(kind, &data, true, true);
        }
        let header = self.sender.frame_header(kind, data.len(), true)?;
        if let Some(key) = header.mask() {
            apply_mask(&mut data, key, 0);
        }
        self.out.extend_from_slice(header.as_bytes());
        self.owned.push_back((self.out.len(), data, 0));
        Ok(())
    }

    /// Queues a text message or a piece of one, choosing whether it may be compressed:
    /// `compress = false` sends it uncompressed even when permessage-deflate is agreed (e.g.
    /// for data that is already compressed or secret, RFC 7692 §10). Decided on the first
    /// piece of a message; later pieces follow it.
    ///
    /// # Errors
    /// As [`Connection::send_text_part`].
    pub fn send_text_with(
        &mut self,
        text: &str,
        fin: bool,
        compress: bool,
    ) -> Result<(), UsageError> {
        self.send_data(DataKind::Text, text.as_bytes(), fin, compress)
    }

    /// Queues a binary message or a piece of one; see [`Connection::send_text_with`].
    ///
    /// # Errors
    /// As [`Connection::send_text_part`].
    pub fn send_binary_with(
        &mut self,
        data: &[u8],
        fin: bool,
        compress: bool,
    ) -> Result<(), UsageError> {
        self.send_data(DataKind::Binary, data, fin, compress)
    }

    fn send_data(
        &mut self,
        kind: DataKind,
        data: &[u8],
        fin: bool,
        compress: bool,
    ) -> Result<(), UsageError> {
        self.check_open()?;
        let Some(compressor) = self.compressor.as_mut() else {
            return self.sender.data(kind, data, fin, Rsv::NONE, &mut self.out);
        };
        let r = self
            .sender
            .data_compressed(compressor, kind, data, fin, compress, &mut self.out);
        if r == Err(UsageError::CompressionFailed) {
            // The message cannot be finished: close with 1011 (RFC 6455 §7.4.1).
            let _ = self.close(CloseCode::INTERNAL_ERROR, "");
        }
        r
    }

    /// Queues a Ping (≤ 125 bytes). Allowed while our Close is out (RFC 6455 §5.5.1 forbids
    /// only data frames).
    ///
    /// # Errors
    /// [`UsageError::ControlPayloadTooLong`], [`UsageError::NotOpen`] while connecting or
    /// closed.
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), UsageError> {
        match self.phase.state {
            State::Open | State::CloseSent => self.sender.ping(payload, &mut self.out),
            State::Connecting | State::Closed => Err(UsageError::NotOpen),
        }
    }

    /// Starts the closing handshake with `code` and `reason` (RFC 6455 §7.1.2). Calling it
    /// again while closing or closed does nothing. While connecting, it abandons the
    /// handshake.
    ///
    /// # Errors
    /// [`UsageError::UnsendableCloseCode`], [`UsageError::CloseReasonTooLong`].
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), UsageError> {
        match self.phase.state {
            State::Open => {
                self.sender
                    .close(Some(CloseFrame { code, reason }), &mut self.out)?;
                self.phase.state = State::CloseSent;
                self.phase.timers.stop(Timer::Keepalive);
                let deadline = deadline(self.now, self.config.close_timeout);
                self.phase.timers.set(Timer::Close, deadline);
                Ok(())
            }
            State::Connecting => {
                self.closed();
                self.failed = true;
                Ok(())
            }
            State::CloseSent | State::Closed => Ok(()),
        }
    }
}
