//! The connection's commands: data messages, Ping, Close.

use alloc::string::String;
use alloc::vec::Vec;

use super::machine::{Phase, Transition};
use super::{Connection, State};
use crate::Role;
use crate::error::UsageError;
use crate::frame::{CloseCode, CloseFrame, Rsv, apply_mask};
use crate::send::{Compression, DataKind, MaskGen, PreparedMessage};

/// Owned sends smaller than this are copied into the output buffer anyway (a separate write
/// slice would cost more than the copy).
const OWNED_MIN_LEN: usize = 1024;

impl<M: MaskGen> Connection<M> {
    /// Data may be sent: the connection is `Open` and the output is below the high-water mark.
    fn check_open(&self) -> Result<(), UsageError> {
        match self.m.state() {
            State::Connecting => return Err(UsageError::NotOpen),
            State::Open => {}
            _ => return Err(UsageError::SendAfterClose),
        }
        let pending = self.m.out.len();
        match self.m.config.outbound_high_water {
            Some(limit) if pending >= limit => Err(UsageError::OutputFull { pending, limit }),
            _ => Ok(()),
        }
    }

    /// Whether a data message may be queued now: `Open`, and the queued output below
    /// [`Config::outbound_high_water`](super::Config::outbound_high_water). When it turns
    /// false, wait until the transport is writable, write ([`Connection::poll_transmit`] /
    /// [`Connection::advance_transmit`]), and ask again.
    pub fn is_send_ready(&self) -> bool {
        self.check_open().is_ok()
    }

    /// Queues a whole text message.
    ///
    /// # Errors
    /// [`UsageError::NotOpen`] while connecting; [`UsageError::SendAfterClose`] once closing;
    /// [`UsageError::OutputFull`] above the high-water mark.
    pub fn send_text(&mut self, text: &str) -> Result<(), UsageError> {
        self.send_data(DataKind::Text, text.as_bytes(), true, Compression::Auto)
    }

    /// Queues a whole binary message.
    ///
    /// # Errors
    /// As [`Connection::send_text`].
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), UsageError> {
        self.send_data(DataKind::Binary, data, true, Compression::Auto)
    }

    /// Queues a text message or a piece of one (`fin` ends it), choosing whether it may be
    /// compressed when permessage-deflate is agreed ([`Compression::Off`] for data that is
    /// already compressed or secret, RFC 7692 §10; decided on the first piece of a message,
    /// later pieces follow it).
    ///
    /// ```
    /// use wswire::connection::{Config, Connection};
    /// use wswire::send::Compression;
    ///
    /// let mut conn = Connection::server_open(Default::default(), Config::default());
    /// conn.send_text_with("Hel", false, Compression::Auto)?;
    /// conn.send_text_with("lo", true, Compression::Auto)?;
    /// let mut wire = Vec::new();
    /// while let Some(buf) = conn.take_transmit() {
    ///     wire.extend(buf);
    /// }
    /// assert_eq!(wire, [0x01, 0x03, b'H', b'e', b'l', 0x80, 0x02, b'l', b'o']); // RFC 6455 §5.7
    /// # Ok::<(), wswire::UsageError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Connection::send_text`], and [`UsageError::MessageInProgress`] while a binary
    /// message is unfinished.
    pub fn send_text_with(
        &mut self,
        text: &str,
        fin: bool,
        compression: Compression,
    ) -> Result<(), UsageError> {
        self.send_data(DataKind::Text, text.as_bytes(), fin, compression)
    }

    /// Queues a binary message or a piece of one; see [`Connection::send_text_with`].
    ///
    /// # Errors
    /// As [`Connection::send_text_with`].
    pub fn send_binary_with(
        &mut self,
        data: &[u8],
        fin: bool,
        compression: Compression,
    ) -> Result<(), UsageError> {
        self.send_data(DataKind::Binary, data, fin, compression)
    }

    /// Queues a whole binary message whose bytes the connection takes over: the payload is
    /// not copied into the output buffer but written from `data` itself (see
    /// [`Connection::poll_transmit_vectored`], [`Connection::take_transmit`]); a client masks
    /// it in place. When the message must be compressed or fragmented (permessage-deflate
    /// above its threshold, or `SendConfig::max_frame_payload`), or is under 1 KiB, it takes
    /// the copying path of [`Connection::send_binary`] instead.
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
        let m = &mut self.m;
        let fragmented = m
            .config
            .send
            .max_frame_payload
            .is_some_and(|n| data.len() > n);
        let compressed = m.compressor.is_some() && data.len() >= m.config.deflate.threshold;
        if fragmented || compressed || data.len() < OWNED_MIN_LEN {
            let sent = self.send_data(kind, &data, true, Compression::Auto);
            // Copied into the output: the receiver may copy the next message into it.
            self.receiver.recycle(data);
            return sent;
        }
        let header = m.sender.frame_header(kind, data.len(), true)?;
        if let Some(key) = header.mask() {
            apply_mask(&mut data, key, 0);
        }
        m.out.inline().extend_from_slice(header.as_bytes());
        m.out.push_owned(data);
        Ok(())
    }

    /// Queues a [`PreparedMessage`] — the same message for many connections, framed once —
    /// without copying its bytes into this connection's output (see the type's docs for what
    /// is shared under permessage-deflate and fragmentation). A server connection queues the
    /// shared frames; one whose compressor keeps context compresses the shared payload
    /// itself; a client masks a copy of it, as [`Connection::send_binary`] does.
    ///
    /// ```
    /// use wswire::connection::{Config, Connection};
    /// use wswire::send::PreparedMessage;
    ///
    /// let message = PreparedMessage::text("hello, everyone");
    /// let mut a = Connection::server_open(Default::default(), Config::default());
    /// let mut b = Connection::server_open(Default::default(), Config::default());
    /// a.send_prepared(&message)?;
    /// b.send_prepared(&message)?;
    /// assert_eq!(a.take_transmit(), b.take_transmit());
    /// # Ok::<(), wswire::UsageError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Connection::send_text`], and [`UsageError::MessageInProgress`] while a message
    /// sent in pieces is unfinished.
    pub fn send_prepared(&mut self, message: &PreparedMessage) -> Result<(), UsageError> {
        self.check_open()?;
        if let Some(open) = self.m.sender.open_message() {
            return Err(UsageError::MessageInProgress { open });
        }
        let (kind, payload) = (message.kind(), message.payload());
        let m = &mut self.m;
        let max_frame = m.config.send.max_frame_payload;
        let shared = match &m.compressor {
            _ if m.role == Role::Client => None,
            Some(c) if c.takes_whole(payload.len()) => c
                .shared_settings()
                .and_then(|d| message.frames(max_frame, Some(d))),
            _ => message.frames(max_frame, None),
        };
        let Some(frames) = shared else {
            return self.send_data(kind, payload, true, Compression::Auto);
        };
        if frames.len() < OWNED_MIN_LEN {
            m.out.inline().extend_from_slice(&frames);
        } else {
            m.out.push_shared(frames);
        }
        Ok(())
    }

    fn send_data(
        &mut self,
        kind: DataKind,
        data: &[u8],
        fin: bool,
        compression: Compression,
    ) -> Result<(), UsageError> {
        self.check_open()?;
        let m = &mut self.m;
        let Some(compressor) = m.compressor.as_mut() else {
            return m.sender.data(kind, data, fin, Rsv::NONE, m.out.inline());
        };
        let r = m
            .sender
            .data_compressed(compressor, kind, data, fin, compression, m.out.inline());
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
        match self.m.phase {
            Phase::Open | Phase::CloseSent => self.m.sender.ping(payload, self.m.out.inline()),
            Phase::Connecting(_) | Phase::Closed { .. } => Err(UsageError::NotOpen),
        }
    }

    /// Starts the closing handshake with `code` and `reason` (RFC 6455 §7.1.2). Calling it
    /// again while closing or closed does nothing. While connecting, it abandons the
    /// handshake (the transport may be closed at once).
    ///
    /// ```
    /// use wswire::CloseCode;
    /// use wswire::connection::{Config, Connection, State};
    ///
    /// let mut conn = Connection::server_open(Default::default(), Config::default());
    /// conn.close(CloseCode::NORMAL, "bye")?;
    /// assert_eq!(conn.state(), State::CloseSent);
    /// assert_eq!(conn.poll_transmit(), Some(&[0x88, 0x05, 0x03, 0xe8, b'b', b'y', b'e'][..]));
    /// # Ok::<(), wswire::UsageError>(())
    /// ```
    ///
    /// # Errors
    /// [`UsageError::UnsendableCloseCode`], [`UsageError::CloseReasonTooLong`].
    pub fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), UsageError> {
        match self.m.phase {
            Phase::Open => {
                let frame = CloseFrame { code, reason };
                self.m.sender.close(Some(frame), self.m.out.inline())?;
                self.m.step(Transition::SentClose);
            }
            Phase::Connecting(_) => self.m.step(Transition::Abandon),
            Phase::CloseSent | Phase::Closed { .. } => {}
        }
        Ok(())
    }
}
