//! The opening handshake (RFC 6455 §4) for both roles, over HTTP/1.1 and, as pure header-list
//! validation, over HTTP/2 and HTTP/3 extended CONNECT (RFC 8441, RFC 9220).
//!
//! No I/O: bytes go in through `handle_input`, and what comes out is a status ("need more"),
//! a value with the number of input bytes it consumed, or an error that carries the HTTP
//! response to answer with.
//!
//! ## Server
//! ```
//! use wswire::handshake::{Progress, ServerConfig, ServerHandshake};
//!
//! let config = ServerConfig::default();
//! let mut hs = ServerHandshake::new(&config);
//! let input = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\n\r\n\x81\x80\0\0\0\0";
//! let (request, consumed) = match hs.handle_input(input) {
//!     Ok(Progress::Complete { value, consumed }) => (value, consumed),
//!     Ok(Progress::NeedMore) => return Ok(()), // read more bytes, call again
//!     Err(e) => {
//!         let _answer: Vec<u8> = e.rejection().to_bytes(); // send, then close
//!         return Ok(());
//!     }
//! };
//! assert_eq!(request.path(), "/chat");
//! let accepted = request.accept(&config);
//! assert!(accepted.to_bytes().ends_with(b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
//! // The frame that followed the header block is still the caller's to hand on.
//! assert_eq!(&input[consumed..], b"\x81\x80\0\0\0\0");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Client
//! ```
//! use wswire::handshake::{ClientRequest, Progress, SecWebSocketKey};
//!
//! let mut request = ClientRequest::new("server.example.com", "/chat")?;
//! request.subprotocols(["chat"])?;
//! // In production: `request.start(&mut rng)` with a `rand_core::CryptoRng`.
//! let mut hs = request.start_with_key(SecWebSocketKey::parse("dGhlIHNhbXBsZSBub25jZQ==").unwrap());
//! let _send_this: &[u8] = hs.request_bytes();
//! let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
//!     Sec-WebSocket-Protocol: chat\r\n\r\n";
//! let Progress::Complete { value, consumed } = hs.handle_input(response)? else { unreachable!() };
//! assert_eq!(value.subprotocol(), Some("chat"));
//! assert_eq!(consumed, response.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Status codes the server answers with
//! | check | status |
//! | --- | --- |
//! | malformed HTTP, missing/duplicate `Host`, bad `Upgrade`/`Connection`, bad or duplicate key, a body, bad subprotocol or extension syntax | 400 |
//! | method other than `GET` | 405 + `Allow: GET` |
//! | request line over the limit | 414 |
//! | header block or header count over the limit | 431 |
//! | `Sec-WebSocket-Version` missing (400) or not exactly `13` (426) | + `Sec-WebSocket-Version: 13` |
//! | HTTP/1.0 or another version | 505 |

pub(crate) mod headers;

mod client;
pub mod h2;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http_interop;
mod server;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use base64::Engine as _;
use sha1::{Digest as _, Sha1};

pub use client::{ClientHandshake, ClientRequest, ResponseError, UnexpectedStatus, WsUri};
pub use server::{Accepted, Request, RequestError, ServerConfig, ServerHandshake, parse_request};

use crate::extensions::{Extension, ServerNegotiator};

/// The GUID appended to the key before hashing (RFC 6455 §1.3, §4.2.2).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only protocol version this crate speaks: `Sec-WebSocket-Version: 13` (RFC 6455 §4.1
/// item 9, §11.6).
pub const VERSION: &str = "13";

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

/// A `Sec-WebSocket-Key` value: base64 of 16 bytes, 24 characters (RFC 6455 §4.1 item 7).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecWebSocketKey([u8; 24]);

impl SecWebSocketKey {
    /// A fresh key from a cryptographically secure generator (RFC 6455 §4.1 item 7, §10.3).
    pub fn random<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        Self::from_nonce(nonce)
    }

    /// The key for a given 16-byte nonce (deterministic tests; production uses [`Self::random`]).
    pub fn from_nonce(nonce: [u8; 16]) -> Self {
        let mut out = [0u8; 24];
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(nonce, &mut out)
            .unwrap_or(0);
        debug_assert_eq!(n, 24);
        Self(out)
    }

    /// Checks a received key: exactly 22 base64 characters then `==`, i.e. the encoding of 16
    /// bytes (RFC 6455 §4.2.1 item 5). Leading and trailing OWS is ignored. Non-zero padding
    /// bits in the last character are accepted: the accept value is computed over the key as
    /// received (RFC 6455 §4.2.2 /key/: the key need not be decoded).
    pub fn parse(value: &str) -> Option<Self> {
        let v = headers::trim_ows(value.as_bytes());
        let key: [u8; 24] = v.try_into().ok()?;
        let (chars, pad) = key.split_at(22);
        let b64 = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
        (chars.iter().all(b64) && pad == b"==").then_some(Self(key))
    }

    /// The key as sent on the wire.
    pub fn as_str(&self) -> &str {
        // Only base64 characters are ever stored.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The `Sec-WebSocket-Accept` value the server must answer this key with.
    pub fn accept(&self) -> AcceptKey {
        accept_key(self.as_str())
    }
}

impl fmt::Debug for SecWebSocketKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecWebSocketKey({})", self.as_str())
    }
}

/// A `Sec-WebSocket-Accept` value: 28 base64 characters (RFC 6455 §4.2.2 step 5).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptKey([u8; 28]);

impl AcceptKey {
    /// The value as sent on the wire.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for AcceptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AcceptKey({})", self.as_str())
    }
}

/// `base64(SHA-1(key ‖ GUID))` (RFC 6455 §4.2.2 step 5 /key/), over `key` exactly as given.
///
/// ```
/// assert_eq!(
///     wswire::handshake::accept_key("dGhlIHNhbXBsZSBub25jZQ==").as_str(),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", // RFC 6455 §1.3
/// );
/// ```
pub fn accept_key(key: &str) -> AcceptKey {
    let mut h = Sha1::new();
    h.update(key.as_bytes());
    h.update(GUID.as_bytes());
    let digest = h.finalize();
    let mut out = [0u8; 28];
    let n = base64::engine::general_purpose::STANDARD
        .encode_slice(digest.as_slice(), &mut out)
        .unwrap_or(0);
    debug_assert_eq!(n, 28);
    AcceptKey(out)
}

/// The outcome of feeding bytes to a handshake. "Need more" is a status, not an error.
///
/// Not `#[non_exhaustive]`: there is no third outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress<T> {
    /// The header block is not complete yet; feed more bytes.
    NeedMore,
    /// The header block is complete.
    Complete {
        /// The result.
        value: T,
        /// How many bytes of the **last** input passed to `handle_input` belong to the
        /// handshake. The rest (`&input[consumed..]`) is WebSocket data that arrived in the
        /// same read and must be handed to the frame layer (a peer may send frames right
        /// behind its handshake).
        consumed: usize,
    },
}

/// Bounds on the header block a handshake buffers, so that a peer cannot make it buffer
/// without limit.
///
/// The defaults fit every browser (Chrome sends about 15 fields; large cookies stay far below
/// 16 KiB) and match common servers (Node's 16 KiB total, websockets' 128 fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    max_head_bytes: usize,
    max_headers: usize,
    max_request_line: usize,
    max_header_line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_head_bytes: 16 * 1024,
            max_headers: 128,
            max_request_line: 8 * 1024,
            max_header_line: 8 * 1024,
        }
    }
}

impl Limits {
    /// The largest header block (request or status line, fields and the blank line) in bytes;
    /// beyond it the server answers 431. Default 16 KiB.
    pub fn max_head_bytes(&mut self, n: usize) -> &mut Self {
        self.max_head_bytes = n;
        self
    }

    /// The most header fields; beyond it the server answers 431. Default 128.
    pub fn max_headers(&mut self, n: usize) -> &mut Self {
        self.max_headers = n;
        self
    }

    /// The longest header field line (name, colon, value); beyond it the server answers 431
    /// (RFC 6585 §5: "a single header field is too large"), as soon as the line is that long
    /// even before it ends. Default 8 KiB (as nginx's and Node's per-field limits).
    pub fn max_header_line(&mut self, n: usize) -> &mut Self {
        self.max_header_line = n;
        self
    }

    /// The longest request line; beyond it the server answers 414. Default 8 KiB.
    pub fn max_request_line(&mut self, n: usize) -> &mut Self {
        self.max_request_line = n;
        self
    }
}

/// A header field as received: the name as sent, the value with surrounding OWS removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderField<'a> {
    /// The field name (compare case-insensitively).
    pub name: &'a str,
    /// The field value; not necessarily UTF-8.
    pub value: &'a [u8],
}

/// What both ends agreed on; everything the connection needs from the handshake besides the
/// leftover bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Negotiated {
    subprotocol: Option<String>,
    extensions: Vec<Extension>,
}

impl Negotiated {
    /// The subprotocol in use, if any (RFC 6455 §1.9).
    pub fn subprotocol(&self) -> Option<&str> {
        self.subprotocol.as_deref()
    }

    /// The extensions in use with their response parameters, in the order the server listed
    /// them (the order in which they apply, RFC 6455 §9.1).
    pub fn extensions(&self) -> &[Extension] {
        &self.extensions
    }

    /// Both parts, owned.
    pub fn into_parts(self) -> (Option<String>, Vec<Extension>) {
        (self.subprotocol, self.extensions)
    }
}

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
    body: String,
}

impl Rejection {
    /// A rejection with `status` (300–599) and its reason phrase as the body. Application
    /// refusals use this: 401 for authentication, 403 for a disallowed origin, 404 for an
    /// unknown resource, 503 when shutting down (403 and 404 are RFC 6455 §4.2.2's examples;
    /// 401 and 503 are what Node's ws sends).
    ///
    /// # Errors
    /// [`BuildError::InvalidStatus`] outside 300–599.
    pub fn new(status: StatusCode) -> Result<Self, BuildError> {
        if !(300..=599).contains(&status.0) {
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
        write_header(out, "Content-Length", fmt_usize(&mut len, self.body.len()));
        for (n, v) in &self.headers {
            write_header(out, n, v);
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body.as_bytes());
    }

    /// The whole HTTP/1.1 response.
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
fn fmt_usize(buf: &mut [u8; 20], mut n: usize) -> &str {
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
    core::str::from_utf8(buf.get(i..).unwrap_or_default()).unwrap_or_default()
}

pub(crate) fn write_status_line(out: &mut Vec<u8>, status: StatusCode) {
    let mut b = itoa_buf();
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(fmt_usize(&mut b, usize::from(status.0)).as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.reason().as_bytes());
    out.extend_from_slice(b"\r\n");
}

pub(crate) fn write_header(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// The bytes of a header block received so far, bounded by the caller's limit, with an
/// incremental scan for the line ends that make a parse worthwhile: the block is parsed
/// again only when a new line has ended, so a peer cannot buy quadratic work one byte at a
/// time.
#[derive(Debug, Default)]
pub(crate) struct HeadBuffer {
    pub(crate) buf: Vec<u8>,
    scanned: usize,
    pub(crate) first_line_end: Option<usize>,
    /// Where the last (possibly unfinished) line starts.
    line_start: usize,
}

impl HeadBuffer {
    /// The length of the last line, not yet ended (0 while still on the first line, which
    /// has its own limit): lines that ended are judged when the head is parsed.
    pub(crate) fn unfinished_line(&self) -> usize {
        match self.first_line_end {
            Some(_) => self.buf.len() - self.line_start,
            None => 0,
        }
    }
}

/// What [`HeadBuffer::push`] found in the new bytes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Scan {
    /// A line ended within these bytes (so possibly the whole block): time to parse again.
    /// Parses are bounded by the header-count limit, since every line but the last is a field.
    pub(crate) line_ended: bool,
}

impl HeadBuffer {
    /// Appends as much of `input` as fits under `max` bytes and scans only the new bytes, so
    /// feeding a block one byte at a time costs linear time.
    pub(crate) fn push(&mut self, input: &[u8], max: usize) -> Scan {
        let take = input.len().min(max.saturating_sub(self.buf.len()));
        self.buf
            .extend_from_slice(input.get(..take).unwrap_or_default());
        let mut scan = Scan::default();
        let new = self.buf.get(self.scanned..).unwrap_or_default();
        if let Some(i) = new.iter().position(|&c| c == b'\n') {
            scan.line_ended = true;
            if self.first_line_end.is_none() {
                self.first_line_end = Some(self.scanned + i);
            }
        }
        if let Some(i) = new.iter().rposition(|&c| c == b'\n') {
            self.line_start = self.scanned + i + 1;
        }
        self.scanned = self.buf.len();
        scan
    }
}

/// The longest line after the first in `buf`, counting an unfinished last line (line breaks
/// not counted).
pub(crate) fn longest_field_line(buf: &[u8]) -> usize {
    buf.split(|&c| c == b'\n')
        .skip(1)
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line).len())
        .max()
        .unwrap_or(0)
}

/// Whether `buf` starts with two empty lines. RFC 9112 §2.2 asks a server to ignore *at least
/// one* empty line before the request line; more are refused, since each would cost a
/// re-parse of the growing buffer.
pub(crate) fn starts_with_empty_lines(buf: &[u8]) -> bool {
    let rest = buf
        .strip_prefix(b"\r\n")
        .or_else(|| buf.strip_prefix(b"\n"));
    rest.is_some_and(|r| r.starts_with(b"\r\n") || r.starts_with(b"\n"))
}

/// Runs the server's extension negotiators over the client's offers (RFC 6455 §9.1): offers in
/// the client's order, each negotiator accepting at most one offer, unknown names declined.
pub(crate) fn negotiate_extensions(
    negotiators: &[alloc::boxed::Box<dyn ServerNegotiator>],
    offers: &[Extension],
) -> Vec<Extension> {
    let mut accepted: Vec<Extension> = Vec::new();
    if negotiators.is_empty() {
        return accepted;
    }
    let mut done: Vec<bool> = alloc::vec![false; negotiators.len()];
    for offer in offers {
        for (neg, done) in negotiators.iter().zip(done.iter_mut()) {
            if *done || neg.name() != offer.name() {
                continue;
            }
            if let Some(params) = neg.negotiate(offer.params()) {
                if let Ok(ext) = Extension::with_params(offer.name(), params) {
                    accepted.push(ext);
                }
                *done = true;
            }
        }
    }
    accepted
}

/// The subprotocol a server with preference list `prefs` picks: its first preference that the
/// client offered, or none (RFC 6455 §4.2.2 /subprotocol/).
pub(crate) fn select_subprotocol<'p>(prefs: &'p [String], offered: &[&str]) -> Option<&'p str> {
    prefs
        .iter()
        .map(String::as_str)
        .find(|p| offered.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_section_1_3_vector() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ==").as_str(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        let k = SecWebSocketKey::parse("  dGhlIHNhbXBsZSBub25jZQ==\t").unwrap();
        assert_eq!(k.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn key_parsing_checks_length_alphabet_and_keeps_padding_bits() {
        for bad in [
            "P5l8BJcZwRc=",
            "dGhlIHNhbXBsZSBub25jZQ-_",
            "dGhlIHNhbXBsZSBub25jZQ=!",
            "dGhlIHNhbXBsZSBub25jZQ=",
            "",
        ] {
            assert_eq!(SecWebSocketKey::parse(bad), None, "{bad}");
        }
        let odd = SecWebSocketKey::parse("AQIDBAUGBwgJCgsMDQ4PEC==").unwrap();
        assert_eq!(odd.accept().as_str(), "OfS0wDaT5NoxF2gqm7Zj2YtetzM=");
        let canon =
            SecWebSocketKey::from_nonce([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        assert_eq!(canon.as_str(), "AQIDBAUGBwgJCgsMDQ4PEA==");
        assert_eq!(canon.accept().as_str(), "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
    }

    #[test]
    fn numbers_format_without_allocating() {
        let mut b = itoa_buf();
        assert_eq!(fmt_usize(&mut b, 0), "0");
        assert_eq!(fmt_usize(&mut b, 1234), "1234");
        assert_eq!(fmt_usize(&mut b, usize::MAX), usize::MAX.to_string());
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
