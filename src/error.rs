//! Errors, split by whose fault they are.
//!
//! - [`ProtocolError`]: the **peer** broke RFC 6455. Each one fails the connection with a
//!   close code, and [`ProtocolError::close_code`] is the one place that decides which.
//!   The per-layer errors ([`FrameError`], [`CloseError`], [`Utf8Error`]) convert into it and
//!   their own `close_code()` methods ask it.
//! - [`UsageError`]: **the caller** asked for something RFC 6455 or the current state forbids.
//!   It is returned to the caller and never sent to the peer.

use core::fmt;

use crate::frame::{CloseCode, CloseError, FrameError};
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
}

impl ProtocolError {
    /// The close code to fail the connection with. This match is the only mapping from peer
    /// errors to close codes in the crate.
    pub const fn close_code(&self) -> CloseCode {
        match self {
            Self::Frame(_) => CloseCode::PROTOCOL_ERROR,
            Self::Close(CloseError::InvalidReason(_)) | Self::InvalidUtf8(_) => {
                CloseCode::INVALID_PAYLOAD
            }
            Self::Close(_) => CloseCode::PROTOCOL_ERROR,
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
        }
    }
}

impl core::error::Error for ProtocolError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Frame(e) => Some(e),
            Self::Close(e) => Some(e),
            Self::InvalidUtf8(e) => Some(e),
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
        }
    }
}

impl core::error::Error for UsageError {}
