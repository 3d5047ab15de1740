//! How a connection ends when it does not end with the peer's Close: [`Error`].

use core::fmt;

use crate::error::ProtocolError;
use crate::extensions::NegotiationError;
use crate::frame::CloseCode;
use crate::handshake::{RequestError, ResponseError};

/// Why the connection ended without a closing handshake, reported once by
/// [`Connection::poll_event`](super::Connection::poll_event) as its last item.
///
/// A connection reports its end exactly one way: the peer's Close frame is
/// [`Event::Close`](crate::Event::Close); everything else — a protocol violation, a refused
/// handshake, the transport ending, a timer giving up — is an `Error`. So a run loop that
/// stops at the first `Close` or `Err` has seen everything, and every abnormal end carries
/// its reason and [`close_code`](Self::close_code).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer broke the protocol; a Close with [`ProtocolError::close_code`] was queued
    /// (RFC 6455 §7.1.7).
    Protocol(ProtocolError),
    /// The client's opening request was refused; the HTTP response was queued.
    Request(RequestError),
    /// The server's handshake response was not acceptable.
    Response(ResponseError),
    /// An agreed extension cannot be run: permessage-deflate without a codec
    /// ([`DeflateConfig::codec`](crate::extensions::deflate::DeflateConfig::codec)), or agreed
    /// parameters that do not parse. A Close with 1011 was queued.
    Extension(NegotiationError),
    /// The transport ended before the closing handshake (RFC 6455 §7.1.5: 1006).
    Eof,
    /// The opening handshake did not finish within
    /// [`Config::handshake_timeout`](super::Config::handshake_timeout).
    HandshakeTimeout,
    /// Nothing arrived for [`Config::idle_timeout`](super::Config::idle_timeout).
    IdleTimeout,
    /// Our Close was not answered within
    /// [`Config::close_timeout`](super::Config::close_timeout).
    CloseTimeout,
}

impl Error {
    /// The close code this end reports: the one sent for a protocol violation, 1011 for an
    /// extension that cannot run, and 1006 ("abnormal closure", never sent) for the rest.
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::Protocol(e) => e.close_code(),
            Self::Extension(_) => CloseCode::INTERNAL_ERROR,
            Self::Request(_)
            | Self::Response(_)
            | Self::Eof
            | Self::HandshakeTimeout
            | Self::IdleTimeout
            | Self::CloseTimeout => CloseCode::ABNORMAL,
        }
    }

    /// The Close frame's code to send for this failure, when one is sent (RFC 6455 §7.1.7).
    pub(super) fn code_to_send(&self) -> Option<CloseCode> {
        match self {
            Self::Protocol(_) | Self::Extension(_) => Some(self.close_code()),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Protocol(e) => write!(f, "protocol error: {e}"),
            Self::Request(e) => write!(f, "handshake request refused: {e}"),
            Self::Response(e) => write!(f, "handshake response refused: {e}"),
            Self::Extension(e) => write!(f, "extension cannot be used: {e}"),
            Self::Eof => f.write_str("the transport ended before the closing handshake"),
            Self::HandshakeTimeout => f.write_str("the opening handshake timed out"),
            Self::IdleTimeout => f.write_str("nothing received within the idle timeout"),
            Self::CloseTimeout => f.write_str("the peer did not answer our Close in time"),
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
            _ => None,
        }
    }
}
