//! HTTP status codes (RFC 9110 §15) the handshake sends and reads.

use core::fmt;

/// An HTTP status code, a number on the wire (RFC 9110 §15).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(u16);

impl StatusCode {
    /// 101: the handshake succeeded (RFC 6455 §4.2.2).
    pub const SWITCHING_PROTOCOLS: Self = Self(101);
    /// 200: an RFC 8441 / RFC 9220 extended CONNECT succeeded.
    pub const OK: Self = Self(200);
    /// 400: the request is malformed or breaks RFC 6455 §4.2.1.
    pub const BAD_REQUEST: Self = Self(400);
    /// 401: authentication required (an application's refusal).
    pub const UNAUTHORIZED: Self = Self(401);
    /// 403: refused, e.g. a disallowed `Origin` (RFC 6455 §4.2.2, §10.2).
    pub const FORBIDDEN: Self = Self(403);
    /// 404: no WebSocket service at this resource name (RFC 6455 §4.2.2).
    pub const NOT_FOUND: Self = Self(404);
    /// 405: the method is not `GET`; sent with `Allow: GET` (RFC 9110 §15.5.6).
    pub const METHOD_NOT_ALLOWED: Self = Self(405);
    /// 414: the request line is longer than the server accepts.
    pub const URI_TOO_LONG: Self = Self(414);
    /// 426: unsupported `Sec-WebSocket-Version`; sent with `Sec-WebSocket-Version: 13`.
    pub const UPGRADE_REQUIRED: Self = Self(426);
    /// 431: the header block is larger than the server accepts (RFC 6585 §5).
    pub const REQUEST_HEADER_FIELDS_TOO_LARGE: Self = Self(431);
    /// 500: the server failed.
    pub const INTERNAL_SERVER_ERROR: Self = Self(500);
    /// 501: not implemented (e.g. an extended CONNECT for another protocol).
    pub const NOT_IMPLEMENTED: Self = Self(501);
    /// 503: the server is overloaded or shutting down.
    pub const SERVICE_UNAVAILABLE: Self = Self(503);
    /// 505: the HTTP version is not 1.1 (RFC 6455 §4.2.1 item 1).
    pub const HTTP_VERSION_NOT_SUPPORTED: Self = Self(505);

    /// The code for a wire value.
    pub const fn from_u16(code: u16) -> Self {
        Self(code)
    }

    /// The wire value.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// The reason phrase this crate sends for the code (RFC 9110 §15); `"Unknown"` for codes
    /// without one here.
    pub const fn reason(self) -> &'static str {
        match self.0 {
            101 => "Switching Protocols",
            200 => "OK",
            301 => "Moved Permanently",
            302 => "Found",
            303 => "See Other",
            307 => "Temporary Redirect",
            308 => "Permanent Redirect",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            409 => "Conflict",
            410 => "Gone",
            414 => "URI Too Long",
            426 => "Upgrade Required",
            429 => "Too Many Requests",
            431 => "Request Header Fields Too Large",
            500 => "Internal Server Error",
            501 => "Not Implemented",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            505 => "HTTP Version Not Supported",
            _ => "Unknown",
        }
    }
}

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusCode({})", self.0)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
