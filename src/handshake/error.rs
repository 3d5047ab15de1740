//! Why a handshake fails: [`RequestError`] for the server (each carries the HTTP status and
//! response to answer with) and [`ResponseError`] for the client.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::{Rejection, StatusCode, VERSION};
use crate::extensions::{ExtensionHeaderError, NegotiationError};

#[cfg(doc)]
use super::Limits;

/// Why the server refuses a request. Each error knows the HTTP response to answer with
/// ([`RequestError::status`], [`RequestError::rejection`]); the peer sent it, so the
/// connection is closed after that response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestError {
    /// Not parseable as HTTP/1.x (RFC 9112 §2.2, §5; e.g. a field without `:`, whitespace
    /// before the colon). 400.
    ///
    /// For an extended CONNECT ([`super::h2`]): a malformed header list (RFC 9113 §8.2,
    /// §8.3): an upper-case field name, a pseudo-header after a regular field, an unknown or
    /// repeated pseudo-header, a connection-specific field (`connection`, `upgrade`,
    /// `keep-alive`, `proxy-connection`, `transfer-encoding`), or `:protocol` on a method
    /// other than CONNECT. The stack should treat it as a stream error of type
    /// PROTOCOL_ERROR; if it answers instead, 400.
    Malformed,
    /// The request line is longer than [`Limits::max_request_line`]. 414.
    RequestLineTooLong,
    /// The header block is larger than [`Limits::max_head_bytes`]. 431.
    HeadTooLarge,
    /// More header fields than [`Limits::max_headers`]. 431.
    TooManyHeaders,
    /// A header field line longer than [`Limits::max_header_line`]. 431.
    HeaderLineTooLong,
    /// The method is not `GET` (methods are case-sensitive, RFC 9110 §9.1; RFC 6455 §4.2.1
    /// item 1). 405 with `Allow: GET`.
    MethodNotAllowed,
    /// Not HTTP/1.1 (RFC 6455 §4.2.1 item 1). 505.
    UnsupportedHttpVersion,
    /// The request target is neither origin-form nor an absolute `http`/`https` URI, or holds a
    /// fragment (RFC 6455 §3, §4.2.1 item 1). 400.
    InvalidTarget,
    /// No `Host` (RFC 6455 §4.2.1 item 2; RFC 9112 §3.2). 400.
    MissingHost,
    /// A `Host` that is empty or not visible ASCII. 400.
    InvalidHost,
    /// A field that must appear at most once appeared twice (`Host`, `Sec-WebSocket-Key`,
    /// `Sec-WebSocket-Version`, `Origin`, `Content-Length`). 400.
    DuplicateHeader(&'static str),
    /// `Upgrade` missing or without the token `websocket` (RFC 6455 §4.2.1 item 3). 400.
    InvalidUpgrade,
    /// `Connection` missing or without the token `upgrade` (RFC 6455 §4.2.1 item 4). 400.
    InvalidConnection,
    /// No `Sec-WebSocket-Version` (RFC 6455 §4.2.1 item 6). 400 with
    /// `Sec-WebSocket-Version: 13`.
    MissingVersion,
    /// `Sec-WebSocket-Version` other than exactly `13` (RFC 6455 §4.2.2 /version/, §4.4). 426
    /// with `Sec-WebSocket-Version: 13`.
    UnsupportedVersion,
    /// No `Sec-WebSocket-Key` (RFC 6455 §4.2.1 item 5). 400.
    MissingKey,
    /// A `Sec-WebSocket-Key` that is not base64 of 16 bytes (RFC 6455 §4.2.1 item 5). 400.
    InvalidKey,
    /// An `Origin` that is not visible ASCII (RFC 6454 §7). 400.
    InvalidOrigin,
    /// `Transfer-Encoding` or a non-zero `Content-Length`: body bytes would be misread as
    /// frames, so the request is refused, as Python's websockets does. 400.
    UnexpectedBody,
    /// A `Sec-WebSocket-Protocol` that is not a list of unique tokens (RFC 6455 §4.1 item 10,
    /// §4.3). 400.
    InvalidSubprotocols,
    /// A `Sec-WebSocket-Extensions` outside the grammar (RFC 6455 §9.1). 400.
    InvalidExtensions(ExtensionHeaderError),
    /// Extended CONNECT only: not one, i.e. `:method` other than CONNECT or no `:protocol`
    /// (RFC 8441 §4). 400.
    NotExtendedConnect,
    /// Extended CONNECT only: `:protocol` other than `websocket` (RFC 8441 §4). 400.
    UnsupportedProtocol,
    /// Extended CONNECT only: a required pseudo-header is missing (RFC 8441 §4: `:scheme`,
    /// `:path`, `:authority`). 400.
    MissingPseudoHeader(&'static str),
    /// Extended CONNECT only: `:scheme` other than `https` or `http`, an empty `:authority`,
    /// or a `:path` that does not start with `/` or holds a fragment. 400.
    InvalidPseudoHeader(&'static str),
}

impl RequestError {
    /// The status to answer with.
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::RequestLineTooLong => StatusCode::URI_TOO_LONG,
            Self::HeadTooLarge | Self::TooManyHeaders | Self::HeaderLineTooLong => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedHttpVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            Self::UnsupportedVersion => StatusCode::UPGRADE_REQUIRED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The headers the response must carry besides the body's: `Allow: GET` for 405,
    /// `Sec-WebSocket-Version: 13` for version failures (RFC 6455 §4.2.2 /version/).
    pub const fn response_headers(&self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::MethodNotAllowed => &[("Allow", "GET")],
            Self::MissingVersion | Self::UnsupportedVersion => {
                &[("Sec-WebSocket-Version", VERSION)]
            }
            _ => &[],
        }
    }

    /// The complete HTTP response to send before closing.
    pub fn rejection(&self) -> Rejection {
        let mut r = Rejection::with_status(self.status());
        for (n, v) in self.response_headers() {
            r.push_header(n, v);
        }
        r.body = self.to_string();
        r
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("malformed HTTP request"),
            Self::RequestLineTooLong => f.write_str("request line too long"),
            Self::HeadTooLarge => f.write_str("request header block too large"),
            Self::TooManyHeaders => f.write_str("too many request header fields"),
            Self::HeaderLineTooLong => f.write_str("a request header field line is too long"),
            Self::MethodNotAllowed => f.write_str("method must be GET"),
            Self::UnsupportedHttpVersion => f.write_str("HTTP/1.1 required"),
            Self::InvalidTarget => f.write_str("invalid request target"),
            Self::MissingHost => f.write_str("missing Host header"),
            Self::InvalidHost => f.write_str("invalid Host header"),
            Self::DuplicateHeader(h) => write!(f, "duplicate {h} header"),
            Self::InvalidUpgrade => f.write_str("Upgrade header must include websocket"),
            Self::InvalidConnection => f.write_str("Connection header must include upgrade"),
            Self::MissingVersion => f.write_str("missing Sec-WebSocket-Version header"),
            Self::UnsupportedVersion => f.write_str("unsupported Sec-WebSocket-Version"),
            Self::MissingKey => f.write_str("missing Sec-WebSocket-Key header"),
            Self::InvalidKey => f.write_str("invalid Sec-WebSocket-Key header"),
            Self::InvalidOrigin => f.write_str("invalid Origin header"),
            Self::UnexpectedBody => f.write_str("a handshake request has no body"),
            Self::InvalidSubprotocols => f.write_str("invalid Sec-WebSocket-Protocol header"),
            Self::InvalidExtensions(e) => write!(f, "invalid extensions: {e}"),
            Self::NotExtendedConnect => f.write_str("not an extended CONNECT request"),
            Self::UnsupportedProtocol => f.write_str(":protocol must be websocket"),
            Self::MissingPseudoHeader(h) => write!(f, "missing {h}"),
            Self::InvalidPseudoHeader(h) => write!(f, "invalid {h}"),
        }
    }
}

impl core::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::InvalidExtensions(e) => Some(e),
            _ => None,
        }
    }
}

/// A response other than `101` (or, over HTTP/2, other than 2xx): the status and headers, so
/// that the caller can follow a redirect, answer a 401, or report the error (RFC 6455 §4.1
/// response item 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnexpectedStatus {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(String, Vec<u8>)>,
    pub(crate) consumed: usize,
}

impl UnexpectedStatus {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The header fields, names as sent, values with OWS trimmed.
    pub fn headers(&self) -> &[(String, Vec<u8>)] {
        &self.headers
    }

    /// The first value of header `name` (case-insensitive), e.g. `Location`.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// How many bytes of the last input belonged to the header block; a body, if any, starts
    /// after them.
    pub fn consumed(&self) -> usize {
        self.consumed
    }
}

/// Why the client fails the handshake (RFC 6455 §4.1: "the client MUST _Fail the WebSocket
/// Connection_").
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// Not parseable as an HTTP/1.x response.
    Malformed,
    /// The header block is larger than [`Limits::max_head_bytes`].
    HeadTooLarge,
    /// More header fields than [`Limits::max_headers`].
    TooManyHeaders,
    /// A 101 that is not HTTP/1.1, e.g. `HTTP/1.0 101` (refused, as Python's websockets does).
    UnsupportedHttpVersion,
    /// A status other than 101 (RFC 6455 §4.1 response item 1), including an interim 1xx such
    /// as `100 Continue`, which Python's wsproto also reports as a refusal.
    UnexpectedStatus(Box<UnexpectedStatus>),
    /// `Upgrade` missing or without `websocket` (RFC 6455 §4.1 response item 2).
    InvalidUpgrade,
    /// `Connection` missing or without `upgrade` (RFC 6455 §4.1 response item 3).
    InvalidConnection,
    /// No `Sec-WebSocket-Accept` (RFC 6455 §4.1 response item 4).
    MissingAccept,
    /// `Sec-WebSocket-Accept` other than the expected value (exact comparison).
    WrongAccept,
    /// A header that must appear at most once appeared twice.
    DuplicateHeader(&'static str),
    /// A `Sec-WebSocket-Protocol` that is empty or not a single token (RFC 6455 §4.3: the
    /// server's value is one token).
    InvalidSubprotocol,
    /// A subprotocol the client did not offer (RFC 6455 §4.1 response item 6).
    SubprotocolNotOffered,
    /// A `Sec-WebSocket-Extensions` outside the grammar (RFC 6455 §9.1).
    InvalidExtensions(ExtensionHeaderError),
    /// An extension the client did not offer (RFC 6455 §4.1 response item 5).
    ExtensionNotOffered(String),
    /// The same extension accepted twice.
    DuplicateExtension(String),
    /// The extension's negotiator refused the response parameters.
    ExtensionRejected {
        /// The extension.
        name: String,
        /// The negotiator's reason.
        error: NegotiationError,
    },
    /// An HTTP/2 or HTTP/3 response header list that is malformed (RFC 9113 §8.3.2).
    MalformedHeaderList,
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("malformed HTTP response"),
            Self::HeadTooLarge => f.write_str("response header block too large"),
            Self::TooManyHeaders => f.write_str("too many response header fields"),
            Self::UnsupportedHttpVersion => f.write_str("101 response is not HTTP/1.1"),
            Self::UnexpectedStatus(s) => write!(f, "unexpected server response: {}", s.status),
            Self::InvalidUpgrade => f.write_str("Upgrade header must be websocket"),
            Self::InvalidConnection => f.write_str("Connection header must include upgrade"),
            Self::MissingAccept => f.write_str("missing Sec-WebSocket-Accept header"),
            Self::WrongAccept => f.write_str("wrong Sec-WebSocket-Accept value"),
            Self::DuplicateHeader(h) => write!(f, "duplicate {h} header"),
            Self::InvalidSubprotocol => f.write_str("invalid Sec-WebSocket-Protocol header"),
            Self::SubprotocolNotOffered => f.write_str("server chose a subprotocol not offered"),
            Self::InvalidExtensions(e) => write!(f, "invalid extensions: {e}"),
            Self::ExtensionNotOffered(n) => write!(f, "server accepted extension {n} not offered"),
            Self::DuplicateExtension(n) => write!(f, "server accepted extension {n} twice"),
            Self::ExtensionRejected { name, error } => {
                write!(f, "unacceptable {name} response: {error}")
            }
            Self::MalformedHeaderList => f.write_str("malformed response header list"),
        }
    }
}

impl core::error::Error for ResponseError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::InvalidExtensions(e) => Some(e),
            Self::ExtensionRejected { error, .. } => Some(error),
            _ => None,
        }
    }
}
