//! What the handshake writes: the HTTP/1.1 status line and fields, the [`Rejection`] that
//! refuses a request, and [`BuildError`] for what the caller may not ask to write.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::StatusCode;
use super::headers;

/// The caller asked for a request or response that RFC 6455 forbids. Never sent to the peer;
/// nothing was produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuildError {
    /// A subprotocol that is not a token, or an empty one (RFC 6455 §4.1 item 10).
    InvalidSubprotocol,
    /// The same subprotocol offered twice (RFC 6455 §4.1 item 10).
    DuplicateSubprotocol,
    /// Accepting with a subprotocol the client did not offer (RFC 6455 §4.2.2 /subprotocol/).
    SubprotocolNotOffered,
    /// An extra header whose name is not a token, whose value holds CR, LF or another control
    /// byte, or that names a field the handshake writes itself.
    InvalidHeader,
    /// A host that is empty or holds characters not allowed in `Host`.
    InvalidHost,
    /// A resource name that does not start with `/`, holds a fragment (RFC 6455 §3) or a byte
    /// outside visible ASCII.
    InvalidResource,
    /// A URI that is not `ws://` or `wss://` with a host (RFC 6455 §3).
    InvalidUri,
    /// A rejection status outside 300–599.
    InvalidStatus,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidSubprotocol => "subprotocol is not a token",
            Self::DuplicateSubprotocol => "subprotocol offered twice",
            Self::SubprotocolNotOffered => "subprotocol was not offered by the client",
            Self::InvalidHeader => "header may not be set or is malformed",
            Self::InvalidHost => "invalid host",
            Self::InvalidResource => "invalid resource name",
            Self::InvalidUri => "not a ws:// or wss:// URI",
            Self::InvalidStatus => "rejection status must be 300-599",
        })
    }
}

impl core::error::Error for BuildError {}

/// An HTTP response refusing the handshake: status line, `Connection: close`, a short
/// `text/plain` body with its `Content-Length`, and any extra headers (the shape Node's ws and
/// Python's websockets use). Send it, then close the transport; no frame may follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    status: StatusCode,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Rejection {
    /// A rejection with `status` (300–599) and its reason phrase as the body. Application
    /// refusals use this: 401 for authentication, 403 for a disallowed origin, 404 for an
    /// unknown resource, 503 when shutting down (403 and 404 are RFC 6455 §4.2.2's examples;
    /// 401 and 503 are what Node's ws sends).
    ///
    /// ```
    /// use wswire::handshake::{BuildError, Rejection, StatusCode};
    ///
    /// // The client must authenticate first.
    /// let mut rejection = Rejection::new(StatusCode::UNAUTHORIZED)?;
    /// rejection.header("WWW-Authenticate", "Bearer")?;
    /// assert_eq!(rejection.body_text(), "Unauthorized");
    /// // A refusal cannot be a success.
    /// assert_eq!(Rejection::new(StatusCode::OK), Err(BuildError::InvalidStatus));
    /// # Ok::<(), BuildError>(())
    /// ```
    ///
    /// # Errors
    /// [`BuildError::InvalidStatus`] outside 300–599.
    pub fn new(status: StatusCode) -> Result<Self, BuildError> {
        if !(300..=599).contains(&status.as_u16()) {
            return Err(BuildError::InvalidStatus);
        }
        Ok(Self::with_status(status))
    }

    pub(crate) fn with_status(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: status.reason().to_string(),
        }
    }

    /// Adds a header, e.g. `Retry-After: 120` or `WWW-Authenticate`.
    ///
    /// # Errors
    /// [`BuildError::InvalidHeader`] for a name that is not a token, a value with control
    /// bytes, or a field the handshake manages (`Upgrade`, `Connection`, `Sec-WebSocket-*`,
    /// `Content-Length`, …).
    pub fn header(&mut self, name: &str, value: &str) -> Result<&mut Self, BuildError> {
        if !headers::is_extra_header(name, value) {
            return Err(BuildError::InvalidHeader);
        }
        self.headers.push((name.to_string(), value.to_string()));
        Ok(self)
    }

    pub(crate) fn push_header(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_string(), value.to_string()));
    }

    /// Replaces the body (sent as `text/plain; charset=utf-8`). Keep it short.
    pub fn body(&mut self, body: &str) -> &mut Self {
        self.body = body.to_string();
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers besides `Connection`, `Content-Type` and `Content-Length`.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body text.
    pub fn body_text(&self) -> &str {
        &self.body
    }

    /// Appends the whole HTTP/1.1 response to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let mut len = itoa_buf();
        write_status_line(out, self.status);
        out.extend_from_slice(b"Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n");
        write_header_bytes(out, "Content-Length", fmt_usize(&mut len, self.body.len()));
        for (n, v) in &self.headers {
            write_header(out, n, v);
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body.as_bytes());
    }

    /// The whole HTTP/1.1 response.
    ///
    /// ```
    /// use wswire::handshake::{Rejection, StatusCode};
    ///
    /// let bytes = Rejection::new(StatusCode::NOT_FOUND)?.to_bytes(); // an unknown resource
    /// assert_eq!(bytes, b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n\
    ///     Content-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\nNot Found");
    /// # Ok::<(), wswire::handshake::BuildError>(())
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.body.len());
        self.write_to(&mut out);
        out
    }
}

fn itoa_buf() -> [u8; 20] {
    [0; 20]
}

/// Formats `n` in decimal into `buf` without allocating.
fn fmt_usize(buf: &mut [u8; 20], mut n: usize) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            // `n % 10` is below 10, so the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let digit = (n % 10) as u8;
            *slot = b'0' + digit;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or_default()
}

pub(crate) fn write_status_line(out: &mut Vec<u8>, status: StatusCode) {
    let mut b = itoa_buf();
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(fmt_usize(&mut b, usize::from(status.as_u16())));
    out.push(b' ');
    out.extend_from_slice(status.reason().as_bytes());
    out.extend_from_slice(b"\r\n");
}

pub(crate) fn write_header(out: &mut Vec<u8>, name: &str, value: &str) {
    write_header_bytes(out, name, value.as_bytes());
}

pub(crate) fn write_header_bytes(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_without_allocating() {
        let mut b = itoa_buf();
        assert_eq!(fmt_usize(&mut b, 0), b"0");
        assert_eq!(fmt_usize(&mut b, 1234), b"1234");
        assert_eq!(
            fmt_usize(&mut b, usize::MAX),
            usize::MAX.to_string().as_bytes()
        );
    }

    #[test]
    fn rejection_shape() {
        let mut r = Rejection::new(StatusCode::SERVICE_UNAVAILABLE).unwrap();
        r.header("Retry-After", "120").unwrap();
        assert_eq!(
            r.to_bytes(),
            b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\
              Content-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\n\
              Retry-After: 120\r\n\r\nService Unavailable"
        );
        assert_eq!(
            Rejection::new(StatusCode::OK),
            Err(BuildError::InvalidStatus)
        );
        assert_eq!(
            r.header("Connection", "keep-alive").err(),
            Some(BuildError::InvalidHeader)
        );
    }
}
