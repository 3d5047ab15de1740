//! The state machine: the phase, its timers and the one transition function. Everything
//! the connection does to itself goes through [`Machine::step`]; the receiver stays outside
//! so that an event borrowed from it can be acted on here.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;
use core::time::Duration;

use super::output::Output;
use super::timers::{Timer, TimerTable};
use super::{Config, Error, Event, State};
use crate::Role;
use crate::extensions::deflate::Compressor;
use crate::frame::{CloseCode, CloseFrame};
use crate::handshake::{ClientHandshake, Negotiated, ServerConfig, ServerHandshake};
use crate::send::{MaskGen, Sender};

/// The opening handshake a `Connecting` connection runs.
pub(super) enum Handshake {
    Server(ServerHandshake, Arc<ServerConfig>),
    Client(ClientHandshake),
}

impl fmt::Debug for Handshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Server(..) => "Server",
            Self::Client(..) => "Client",
        })
    }
}

/// The [`State`] with what each state needs.
#[derive(Debug)]
pub(super) enum Phase {
    Connecting(Box<Handshake>),
    Open,
    CloseSent,
    /// `awaiting_eof`: a client that finished the closing handshake waits for the server to
    /// close the transport first (RFC 6455 §7.1.1), under the close timer.
    Closed {
        awaiting_eof: bool,
    },
}

/// What moves the connection: the rows of the table in the [module docs](super#states).
#[derive(Debug)]
pub(super) enum Transition {
    /// The handshake completed (our 101 is queued, or the server's was checked).
    Opened,
    /// `close()` queued our Close frame.
    SentClose,
    /// The peer's Close frame was delivered, with its code (1005: none).
    ReceivedClose(CloseCode),
    /// The transport reached end of stream.
    Eof,
    /// A timer that gives up on the peer is due.
    GaveUp(Timer),
    /// The connection failed (RFC 6455 §7.1.7).
    Fail(Error),
    /// The caller abandoned the opening handshake.
    Abandon,
}

/// Everything but the receiver: state, timers, the sender and the output.
#[derive(Debug)]
pub(super) struct Machine<M> {
    pub(super) role: Role,
    pub(super) phase: Phase,
    pub(super) timers: TimerTable,
    /// The last time given to `handle_timeout`; `None` until the clock starts.
    pub(super) now: Option<Duration>,
    pub(super) config: Config,
    pub(super) sender: Sender<M>,
    /// permessage-deflate for what we send, once agreed.
    pub(super) compressor: Option<Compressor>,
    pub(super) out: Output,
    /// Automatic Pongs queued since the output last drained.
    pub(super) pending_pongs: usize,
    pub(super) negotiated: Negotiated,
    pub(super) path: Option<String>,
    /// `Event::Open` is still to be reported (before anything else).
    pub(super) report_open: bool,
    /// How the connection ended, to report after every event already received.
    pub(super) end: Option<Error>,
}

impl<M: MaskGen> Machine<M> {
    pub(super) fn new(role: Role, phase: Phase, sender: Sender<M>, config: Config) -> Self {
        Self {
            role,
            phase,
            timers: TimerTable::default(),
            now: None,
            config,
            sender,
            compressor: None,
            out: Output::default(),
            pending_pongs: 0,
            negotiated: Negotiated::default(),
            path: None,
            report_open: false,
            end: None,
        }
    }

    pub(super) fn state(&self) -> State {
        match self.phase {
            Phase::Connecting(_) => State::Connecting,
            Phase::Open => State::Open,
            Phase::CloseSent => State::CloseSent,
            Phase::Closed { .. } => State::Closed,
        }
    }

    /// The one transition function: each arm is a row of the table in the module docs;
    /// every other pair (e.g. anything once `Closed`) changes nothing.
    pub(super) fn step(&mut self, t: Transition) {
        use State::{CloseSent, Closed, Connecting, Open};
        use Transition as T;
        match (self.state(), t) {
            (Connecting, T::Opened) => self.enter_open(),
            (Open, T::SentClose) => self.enter_close_sent(),
            (Open | CloseSent, T::ReceivedClose(code)) => self.closing_handshake_done(code),
            // A Close that arrived before the transport ended is the end to report.
            (Closed, T::ReceivedClose(_)) if self.end == Some(Error::Eof) => self.end = None,
            (Connecting | Open | CloseSent, T::Eof) => self.end_with(Error::Eof),
            (Closed, T::Eof | T::GaveUp(Timer::Close)) => {
                self.phase = Phase::Closed {
                    awaiting_eof: false,
                };
            }
            (Connecting, T::GaveUp(Timer::Handshake)) => self.end_with(Error::HandshakeTimeout),
            (Open | CloseSent, T::GaveUp(Timer::Idle)) => self.end_with(Error::IdleTimeout),
            (CloseSent, T::GaveUp(Timer::Close)) => self.end_with(Error::CloseTimeout),
            (Connecting | Open | CloseSent, T::Fail(e)) => self.fail(e),
            (Connecting, T::Abandon) => self.enter_closed(false),
            _ => {}
        }
    }

    /// `Connecting` → `Open`: the quiet timers start; `Event::Open` is reported first.
    fn enter_open(&mut self) {
        self.phase = Phase::Open;
        self.timers.stop(Timer::Handshake);
        if let Some(now) = self.now {
            self.arm_quiet_timers(now);
        }
        self.report_open = true;
    }

    /// `Open` → `CloseSent`: no more keepalive; the close timer runs.
    fn enter_close_sent(&mut self) {
        self.phase = Phase::CloseSent;
        self.timers.stop(Timer::Keepalive);
        self.timers
            .set(Timer::Close, self.deadline_after(self.config.close_timeout));
    }

    /// Both Close frames are exchanged once ours answers the peer's (RFC 6455 §5.5.1: echo
    /// its code, or an empty Close for none, since 1005 may not be sent).
    fn closing_handshake_done(&mut self, code: CloseCode) {
        if matches!(self.phase, Phase::Open) {
            let reply =
                (code != CloseCode::NO_STATUS_RECEIVED).then_some(CloseFrame { code, reason: "" });
            let _ = self.sender.close(reply, self.out.inline());
        }
        self.enter_closed(self.role == Role::Client);
    }

    /// Fails the connection (RFC 6455 §7.1.7): a Close with the error's code unless ours is
    /// already out (or the WebSocket never opened), then `Closed`, reporting `e`.
    fn fail(&mut self, e: Error) {
        if let Some(code) = e.code_to_send()
            && matches!(self.phase, Phase::Open | Phase::CloseSent)
            && !self.sender.close_sent()
        {
            let _ = self
                .sender
                .close(Some(CloseFrame { code, reason: "" }), self.out.inline());
        }
        self.end_with(e);
    }

    /// → `Closed` with the transport to be closed now, reporting `e` as the end.
    fn end_with(&mut self, e: Error) {
        self.enter_closed(false);
        self.end = Some(e);
    }

    /// → `Closed`: no timer runs but the close timer of a client awaiting the server's EOF.
    fn enter_closed(&mut self, awaiting_eof: bool) {
        self.phase = Phase::Closed { awaiting_eof };
        self.timers = TimerTable::default();
        if awaiting_eof {
            self.timers
                .set(Timer::Close, self.deadline_after(self.config.close_timeout));
        }
    }

    /// `after` from now; before the clock starts, from zero (such deadlines move to the
    /// start of the clock when it starts).
    fn deadline_after(&self, after: Option<Duration>) -> Option<Duration> {
        after.map(|t| self.now.unwrap_or(Duration::ZERO) + t)
    }

    /// The keepalive and idle timers, counted from `since`: keepalive only while `Open`.
    pub(super) fn arm_quiet_timers(&mut self, since: Duration) {
        let keepalive = self
            .config
            .keepalive_interval
            .filter(|_| matches!(self.phase, Phase::Open));
        self.timers
            .set(Timer::Keepalive, keepalive.map(|t| since + t));
        self.timers
            .set(Timer::Idle, self.config.idle_timeout.map(|t| since + t));
    }

    /// Input restarts the keepalive and idle timers.
    pub(super) fn input_arrived(&mut self) {
        if let Some(now) = self.now
            && matches!(self.phase, Phase::Open | Phase::CloseSent)
        {
            self.arm_quiet_timers(now);
        }
    }

    /// Advances the clock to `now` and fires what is due; the first call starts the clock.
    pub(super) fn handle_timeout(&mut self, now: Duration) {
        if self.now.is_none() {
            self.start_clock(now);
        }
        self.now = Some(now);
        while let Some(timer) = self.timers.pop_due(now) {
            match timer {
                // Once per quiet spell (input re-arms it); an empty Ping cannot fail.
                Timer::Keepalive => {
                    let _ = self.sender.ping(&[], self.out.inline());
                }
                Timer::Handshake | Timer::Idle | Timer::Close => {
                    self.step(Transition::GaveUp(timer));
                }
            }
        }
    }

    fn start_clock(&mut self, now: Duration) {
        self.now = Some(now);
        // Deadlines set before the clock started counted from zero.
        self.timers.shift(now);
        match self.phase {
            Phase::Connecting(_) => {
                let deadline = self.config.handshake_timeout.map(|t| now + t);
                self.timers.set(Timer::Handshake, deadline);
            }
            Phase::Open | Phase::CloseSent => self.arm_quiet_timers(now),
            Phase::Closed { .. } => {}
        }
    }

    /// What an event from the receiver does before it is handed out: a Ping is answered
    /// (RFC 6455 §5.5.2, also while our Close is out), bounded by `max_pending_pongs`; the
    /// peer's Close completes or answers the closing handshake.
    pub(super) fn on_event(&mut self, event: &Event<'_>) {
        match *event {
            Event::Ping(payload)
                if self.config.auto_pong
                    && self.pending_pongs < self.config.max_pending_pongs
                    && matches!(self.phase, Phase::Open | Phase::CloseSent) =>
            {
                self.pending_pongs += 1;
                let _ = self.sender.pong(payload, self.out.inline());
            }
            Event::Close { code, .. } => self.step(Transition::ReceivedClose(code)),
            _ => {}
        }
    }
}
