//! What goes over a [`WebSocket`](crate::WebSocket): owned messages, and its errors.

use std::fmt;
use std::io;

use wswire::{CloseCode, UsageError};

/// A message received or to send.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// A text message (validated UTF-8).
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// A Ping. Received ones are already answered; sending one asks the peer for a Pong.
    Ping(Vec<u8>),
    /// A Pong (received only: the connection answers Pings itself).
    Pong(Vec<u8>),
    /// The peer's Close (received), or ours (to send): starts or ends the closing handshake.
    Close(Option<CloseFrame>),
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A binary message.
    pub fn binary(bytes: impl Into<Vec<u8>>) -> Self {
        Self::Binary(bytes.into())
    }
}

/// A Close frame's code and reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason (at most 123 bytes when sent).
    pub reason: String,
}

/// Why a WebSocket operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed.
    Io(io::Error),
    /// The connection ended without a closing handshake: a protocol violation (its Close was
    /// sent), a refused handshake, EOF or a timeout; see [`wswire::Error`].
    Ended(wswire::Error),
    /// The call is not allowed now (e.g. a message after our Close, a control payload over
    /// 125 bytes); nothing was sent to the peer.
    Usage(UsageError),
    /// The WebSocket is closed: nothing more can be sent.
    Closed,
    /// [`try_send`](crate::WebSocket::try_send) found more than the outbound high-water mark
    /// queued (the peer reads slower than we send); the message was not queued. Wait
    /// ([`send`](crate::WebSocket::send)) or drop the peer: the caller's policy.
    Full,
    /// The request was refused by the inspection hook of
    /// [`accept_with`](crate::accept_with), with this HTTP status (the response was sent).
    Refused(wswire::handshake::StatusCode),
    /// The server cannot carry a WebSocket over HTTP/2 (`h2::connect`, feature `h2`); no
    /// request was sent to it.
    Http2Unsupported(Http2Unsupported),
}

/// Why a server cannot carry a WebSocket over HTTP/2 ([`Error::Http2Unsupported`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Http2Unsupported {
    /// TLS did not agree on `h2` by ALPN: the server speaks HTTP/1.1 only.
    Alpn,
    /// The server's SETTINGS did not enable the extended CONNECT
    /// (SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441 §3), so the client must not send one.
    ExtendedConnect,
}

impl fmt::Display for Http2Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Alpn => "the server did not agree on h2 by ALPN",
            Self::ExtendedConnect => {
                "the server did not enable the extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL)"
            }
        })
    }
}

impl std::error::Error for Http2Unsupported {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "transport error: {e}"),
            Self::Ended(e) => write!(f, "connection ended: {e}"),
            Self::Usage(e) => write!(f, "not allowed: {e}"),
            Self::Closed => f.write_str("the WebSocket is closed"),
            Self::Full => f.write_str("the outbound queue is above its high-water mark"),
            Self::Refused(status) => write!(f, "request refused with {status}"),
            Self::Http2Unsupported(why) => write!(f, "no WebSocket over HTTP/2: {why}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Ended(e) => Some(e),
            Self::Usage(e) => Some(e),
            Self::Http2Unsupported(why) => Some(why),
            Self::Closed | Self::Full | Self::Refused(_) => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl From<UsageError> for Error {
    fn from(e: UsageError) -> Self {
        match e {
            UsageError::SendAfterClose | UsageError::NotOpen => Self::Closed,
            e => Self::Usage(e),
        }
    }
}

impl From<wswire::Error> for Error {
    fn from(e: wswire::Error) -> Self {
        Self::Ended(e)
    }
}
