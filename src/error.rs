//! Errors, split by whose fault they are.
//!
//! - [`ProtocolError`]: the **peer** broke RFC 6455. Each one fails the connection with a
//!   close code, and [`ProtocolError::close_code`] is the one place that decides which.
//!   The per-layer errors ([`FrameError`], [`CloseError`], [`Utf8Error`]) are self-contained
//!   and convert into it (the `From` impls below); to learn the close code of one, convert
//!   it: `ProtocolError::from(e).close_code()`.
//! - [`UsageError`]: **the caller** asked for something RFC 6455 or the current state forbids.
//!   It is returned to the caller and never sent to the peer. The codecs' own encode errors
//!   ([`CloseEncodeError`]) convert into it.
//!
//! This module imports only the layers below it ([`crate::frame`], [`crate::utf8`] and the
//! codec error); `tests/layers.rs` keeps it that way.

use core::fmt;

use crate::codec_error::CodecError;
use crate::frame::{CloseCode, CloseEncodeError, CloseError, DataKind, FrameError};
use crate::utf8::Utf8Error;

/// The peer broke the protocol; the connection must be failed (RFC 6455 §7.1.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An invalid frame header (RFC 6455 §5.2, §5.5).
    Frame(FrameError),
    /// An invalid Close payload (RFC 6455 §5.5.1, §7.4).
    Close(CloseError),
    /// Text (or a close reason) that is not UTF-8 (RFC 6455 §8.1).
    InvalidUtf8(Utf8Error),
    /// A client sent an unmasked frame (RFC 6455 §5.1: "a server MUST close the connection
    /// upon receiving a frame that is not masked").
    UnmaskedFrame,
    /// A server sent a masked frame (RFC 6455 §5.1).
    MaskedFrame,
    /// RSV bits that no negotiated extension gave a meaning to, or on a frame where the
    /// extension does not allow them (RFC 6455 §5.2; RFC 7692 §6).
    ReservedBits(u8),
    /// A continuation frame with no message to continue (RFC 6455 §5.4).
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is still open (RFC 6455 §5.4).
    ExpectedContinuation,
    /// A frame's payload is larger than the configured `max_frame_payload` (close code 1009).
    FrameTooLarge {
        /// The announced payload length.
        len: u64,
        /// The configured limit.
        max: u64,
    },
    /// A message (the sum of its fragments) is larger than `max_message_size` (close 1009).
    MessageTooLarge {
        /// The size the message would reach with this frame.
        len: u64,
        /// The configured limit.
        max: u64,
    },
    /// A message arrived in more fragments than `max_fragments` allows (close code 1008).
    TooManyFragments {
        /// The configured limit.
        max: u32,
    },
    /// A compressed message (permessage-deflate) could not be inflated: invalid DEFLATE data,
    /// or a reference before the start of the window (RFC 7692 §7.2.2). Close code 1007, as
    /// Node's `ws` and Python's `wsproto` use (RFC 7692 names no code).
    Inflate(CodecError),
    /// A compressed message inflates to more than `max_message_size` bytes; inflation stopped
    /// one byte past the limit, so a decompression bomb is never fully inflated. Close code
    /// 1009.
    InflatedTooLarge {
        /// The configured limit.
        max: u64,
    },
}

impl ProtocolError {
    /// The close code to fail the connection with. This match is the only mapping from peer
    /// errors to close codes in the crate; the lower layers' errors get theirs by converting.
    ///
    /// ```
    /// use wswire::ProtocolError;
    /// use wswire::frame::{FrameError, FrameHeader};
    ///
    /// let e = FrameHeader::decode(&[0x83, 0x00]).unwrap_err(); // opcode 0x3 is reserved
    /// assert_eq!(e, FrameError::ReservedOpcode(3));
    /// assert_eq!(ProtocolError::from(e).close_code().as_u16(), 1002);
    /// ```
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Self::Frame(_) => CloseCode::PROTOCOL_ERROR,
            Self::Close(CloseError::InvalidReason(_)) | Self::InvalidUtf8(_) | Self::Inflate(_) => {
                CloseCode::INVALID_PAYLOAD
            }
            Self::Close(_)
            | Self::UnmaskedFrame
            | Self::MaskedFrame
            | Self::ReservedBits(_)
            | Self::UnexpectedContinuation
            | Self::ExpectedContinuation => CloseCode::PROTOCOL_ERROR,
            Self::FrameTooLarge { .. }
            | Self::MessageTooLarge { .. }
            | Self::InflatedTooLarge { .. } => CloseCode::MESSAGE_TOO_BIG,
            Self::TooManyFragments { .. } => CloseCode::POLICY_VIOLATION,
        }
    }
}

impl From<FrameError> for ProtocolError {
    fn from(e: FrameError) -> Self {
        Self::Frame(e)
    }
}

impl From<CloseError> for ProtocolError {
    fn from(e: CloseError) -> Self {
        Self::Close(e)
    }
}

impl From<Utf8Error> for ProtocolError {
    fn from(e: Utf8Error) -> Self {
        Self::InvalidUtf8(e)
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(e) => write!(f, "invalid frame: {e}"),
            Self::Close(e) => write!(f, "invalid close frame: {e}"),
            Self::InvalidUtf8(e) => write!(f, "invalid text: {e}"),
            Self::UnmaskedFrame => f.write_str("client frame is not masked"),
            Self::MaskedFrame => f.write_str("server frame is masked"),
            Self::ReservedBits(bits) => write!(f, "reserved bits {bits:#04x} set"),
            Self::UnexpectedContinuation => f.write_str("continuation frame without a message"),
            Self::ExpectedContinuation => {
                f.write_str("new data frame while a fragmented message is open")
            }
            Self::FrameTooLarge { len, max } => {
                write!(f, "frame payload of {len} bytes exceeds the limit of {max}")
            }
            Self::MessageTooLarge { len, max } => {
                write!(f, "message of {len} bytes exceeds the limit of {max}")
            }
            Self::TooManyFragments { max } => write!(f, "message has more than {max} fragments"),
            Self::Inflate(e) => write!(f, "invalid compressed message: {e}"),
            Self::InflatedTooLarge { max } => {
                write!(
                    f,
                    "compressed message inflates past the limit of {max} bytes"
                )
            }
        }
    }
}

impl core::error::Error for ProtocolError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Frame(e) => Some(e),
            Self::Close(e) => Some(e),
            Self::InvalidUtf8(e) => Some(e),
            Self::Inflate(e) => Some(e),
            _ => None,
        }
    }
}

/// The caller misused the API. Never sent to the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UsageError {
    /// A close reason longer than 123 bytes (RFC 6455 §5.5).
    CloseReasonTooLong {
        /// The reason's length in bytes.
        len: usize,
    },
    /// A close code that may not be sent (RFC 6455 §7.4.1): 1005, 1006, 1015, undefined codes.
    UnsendableCloseCode(CloseCode),
    /// A ping or pong payload longer than 125 bytes (RFC 6455 §5.5).
    ControlPayloadTooLong {
        /// The payload's length in bytes.
        len: usize,
    },
    /// A data frame after our Close frame (RFC 6455 §5.5.1: "the endpoint MUST NOT send any
    /// more data frames").
    SendAfterClose,
    /// A second Close frame.
    CloseAlreadySent,
    /// A data frame of one kind while a fragmented message of the other kind is open
    /// (RFC 6455 §5.4: fragments of messages are not interleaved).
    MessageInProgress {
        /// The kind of the open message.
        open: DataKind,
    },
    /// The output slice is too short for the frame(s); nothing was written.
    BufferTooSmall {
        /// The bytes needed.
        needed: usize,
    },
    /// A payload length of 2^63 bytes or more (RFC 6455 §5.2).
    PayloadTooLong,
    /// Not possible in the connection's current state (still connecting, or closed).
    NotOpen,
    /// The permessage-deflate compressor failed in the middle of a compressed message (an
    /// engine fault, not the peer's): the message cannot be finished. A
    /// [`Connection`](crate::Connection) fails itself with close code 1011.
    CompressionFailed,
    /// The output already queued reached the outbound high-water mark
    /// (`connection::Config::outbound_high_water`): write some of it out first
    /// ([`Connection::is_send_ready`](crate::Connection::is_send_ready) says when).
    OutputFull {
        /// Bytes queued for the transport.
        pending: usize,
        /// The high-water mark.
        limit: usize,
    },
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CloseReasonTooLong { len } => {
                write!(f, "close reason of {len} bytes; at most 123 are allowed")
            }
            Self::UnsendableCloseCode(c) => write!(f, "close code {c} may not be sent"),
            Self::ControlPayloadTooLong { len } => {
                write!(f, "control payload of {len} bytes; at most 125 are allowed")
            }
            Self::SendAfterClose => f.write_str("data frame after the Close frame was sent"),
            Self::CloseAlreadySent => f.write_str("the Close frame was already sent"),
            Self::MessageInProgress { open } => {
                write!(f, "a fragmented {open} message is still open")
            }
            Self::BufferTooSmall { needed } => {
                write!(f, "output buffer too small; {needed} bytes needed")
            }
            Self::PayloadTooLong => f.write_str("payload length must be below 2^63"),
            Self::NotOpen => f.write_str("the connection is not open"),
            Self::CompressionFailed => f.write_str("the permessage-deflate compressor failed"),
            Self::OutputFull { pending, limit } => write!(
                f,
                "{pending} bytes already queued for the transport (high-water mark {limit})"
            ),
        }
    }
}

impl core::error::Error for UsageError {}

impl From<CloseEncodeError> for UsageError {
    fn from(e: CloseEncodeError) -> Self {
        match e {
            CloseEncodeError::UnsendableCode(code) => Self::UnsendableCloseCode(code),
            CloseEncodeError::ReasonTooLong { len } => Self::CloseReasonTooLong { len },
        }
    }
}
