//! The server's side of the opening handshake (RFC 6455 §4.2): read and validate the
//! client's request, then accept it with a 101 or refuse it with an HTTP error.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::fields::{Fields, Offer, check_http1};
use super::head::{HeadReader, Keep, parse_request_head};
use super::headers::is_extra_header;
use super::negotiate::{Agreement, checked_subprotocols};
use super::{
    AcceptKey, BuildError, HeaderField, Limits, Negotiated, Rejection, SecWebSocketKey, StatusCode,
    VERSION, negotiate_extensions, select_subprotocol, write_header, write_header_bytes,
    write_status_line,
};
use crate::extensions::{self, Extension, ExtensionHeaderError, ServerNegotiator};
use crate::frame::Decoded;

/// The server's handshake policy: limits, subprotocol preferences, extension negotiators and
/// headers added to every 101. Build once and share between connections.
#[derive(Debug, Default)]
pub struct ServerConfig {
    limits: Limits,
    subprotocols: Vec<String>,
    extensions: Vec<Box<dyn ServerNegotiator>>,
    headers: Vec<(String, String)>,
}

impl ServerConfig {
    /// The header-block limits, to adjust them.
    pub fn limits_mut(&mut self) -> &mut Limits {
        &mut self.limits
    }

    /// The header-block limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The subprotocols this server speaks, most preferred first. [`Request::accept`] picks
    /// the first of them that the client offered, or none (RFC 6455 §4.2.2 /subprotocol/).
    /// The default is an empty list: no subprotocol is ever selected (unlike Node's ws, which
    /// picks the client's first offer by default).
    ///
    /// # Errors
    /// [`BuildError::InvalidSubprotocol`] for a value that is not a token,
    /// [`BuildError::DuplicateSubprotocol`] for a repeat.
    pub fn subprotocols<I, S>(&mut self, prefs: I) -> Result<&mut Self, BuildError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.subprotocols = checked_subprotocols(prefs)?;
        Ok(self)
    }

    /// Adds an extension negotiator. Negotiators are consulted for each client offer with
    /// their name; offers of other extensions are declined.
    pub fn extension(&mut self, negotiator: Box<dyn ServerNegotiator>) -> &mut Self {
        self.extensions.push(negotiator);
        self
    }

    /// Adds a header to every 101 response (ws's `headers` hook), after the mandatory ones.
    ///
    /// # Errors
    /// [`BuildError::InvalidHeader`] for a name that is not a token, a value with control
    /// bytes, or a field the handshake writes itself.
    pub fn header(&mut self, name: &str, value: &str) -> Result<&mut Self, BuildError> {
        if !is_extra_header(name, value) {
            return Err(BuildError::InvalidHeader);
        }
        self.headers.push((name.to_string(), value.to_string()));
        Ok(self)
    }

    /// The subprotocol this config picks from the client's offers.
    pub fn select_subprotocol<'s>(&'s self, offered: &[&str]) -> Option<&'s str> {
        select_subprotocol(&self.subprotocols, offered)
    }

    /// The extensions this config accepts from the client's offers, with response parameters.
    pub fn negotiate_extensions(&self, offers: &[Extension]) -> Vec<Extension> {
        negotiate_extensions(&self.extensions, offers)
    }

    pub(crate) fn extra_headers(&self) -> &[(String, String)] {
        &self.headers
    }
}

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

/// A valid WebSocket upgrade request, borrowed from the bytes it was parsed from.
///
/// Inspect it (path, origin, offers, any header) to route, authenticate and defend against
/// cross-site WebSocket hijacking, then [`Request::accept`] or answer with a [`Rejection`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    target: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    host: &'a str,
    key: SecWebSocketKey,
    offer: Offer<'a>,
    headers: Vec<HeaderField<'a>>,
}

impl<'a> Request<'a> {
    /// The request target as sent (`/chat?room=1`, or an absolute URI).
    pub fn target(&self) -> &'a str {
        self.target
    }

    /// The path of the resource name, without the query (`/chat`); `/` when an absolute URI
    /// had none.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The query after `?`, if any.
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// The `Host` header.
    pub fn host(&self) -> &'a str {
        self.host
    }

    /// The `Origin` header, sent by every browser (RFC 6455 §4.2.1 item 7, §10.2).
    pub fn origin(&self) -> Option<&'a str> {
        self.offer.origin
    }

    /// The client's key.
    pub fn key(&self) -> SecWebSocketKey {
        self.key
    }

    /// The offered subprotocols in the client's order, all header lines joined.
    pub fn subprotocols(&self) -> &[&'a str] {
        &self.offer.subprotocols
    }

    /// The extension offers in the client's order, all header lines joined (RFC 6455 §9.1).
    pub fn extension_offers(&self) -> &[Extension] {
        &self.offer.extensions
    }

    /// Every header field in order.
    pub fn headers(&self) -> &[HeaderField<'a>] {
        &self.headers
    }

    /// The first value of the header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }

    /// A 403 [`Rejection`] unless `Origin` is absent or equals one of `allowed`
    /// (ASCII-case-insensitively, e.g. `https://app.example`). Browsers always send `Origin`,
    /// so this is the defence against cross-site WebSocket hijacking (RFC 6455 §10.2);
    /// non-browser clients usually omit it and pass.
    ///
    /// # Errors
    /// The 403 rejection to send.
    pub fn check_origin(&self, allowed: &[&str]) -> Result<(), Rejection> {
        match self.offer.origin {
            Some(o) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(o)) => {
                Err(Rejection::with_status(StatusCode::FORBIDDEN))
            }
            _ => Ok(()),
        }
    }

    /// Accepts with the config's choices: its first preferred subprotocol the client offered
    /// (or none), the extensions its negotiators accept, its extra headers.
    pub fn accept(&self, config: &ServerConfig) -> Accepted {
        self.accepted(self.offer.accept(config))
    }

    /// Accepts with a subprotocol the application chose (any closure over
    /// [`Request::subprotocols`]; `None` is valid) and extra headers for this response only,
    /// written after the config's.
    ///
    /// # Errors
    /// [`BuildError::SubprotocolNotOffered`] when `subprotocol` is not one of the client's
    /// offers (RFC 6455 §4.2.2 /subprotocol/); [`BuildError::InvalidHeader`] for an
    /// unacceptable header.
    pub fn accept_with(
        &self,
        config: &ServerConfig,
        subprotocol: Option<&str>,
        extra_headers: &[(&str, &str)],
    ) -> Result<Accepted, BuildError> {
        let agreement = self.offer.accept_with(config, subprotocol, extra_headers)?;
        Ok(self.accepted(agreement))
    }

    fn accepted(&self, agreement: Agreement) -> Accepted {
        Accepted {
            accept: self.key.accept(),
            negotiated: agreement.negotiated,
            headers: agreement.headers,
        }
    }
}

/// An accepted handshake: the 101 response to send and what was negotiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    accept: AcceptKey,
    negotiated: Negotiated,
    headers: Vec<(String, String)>,
}

impl Accepted {
    /// The `Sec-WebSocket-Accept` value.
    pub fn accept_key(&self) -> AcceptKey {
        self.accept
    }

    /// The chosen subprotocol and extensions, for the connection.
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// The negotiated values, owned.
    pub fn into_negotiated(self) -> Negotiated {
        self.negotiated
    }

    /// The extra headers, in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Appends the 101 response to `out`: status line, `Upgrade`, `Connection`,
    /// `Sec-WebSocket-Accept`, then `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` when
    /// something was chosen, then the extra headers, then the blank line; no body
    /// (RFC 6455 §4.2.2 step 5).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_status_line(out, StatusCode::SWITCHING_PROTOCOLS);
        out.extend_from_slice(b"Upgrade: websocket\r\nConnection: Upgrade\r\n");
        write_header_bytes(out, "Sec-WebSocket-Accept", self.accept.as_bytes());
        if let Some(p) = &self.negotiated.subprotocol {
            write_header(out, "Sec-WebSocket-Protocol", p);
        }
        if !self.negotiated.extensions.is_empty() {
            let mut v = String::new();
            extensions::write_header(&self.negotiated.extensions, &mut v);
            write_header(out, "Sec-WebSocket-Extensions", &v);
        }
        for (n, v) in &self.headers {
            write_header(out, n, v);
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The 101 response.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        self.write_to(&mut out);
        out
    }
}

/// Incremental reading of a request: push bytes with [`ServerHandshake::handle_input`] until
/// it returns the request or an error. Buffers at most [`Limits::max_head_bytes`].
#[derive(Debug)]
pub struct ServerHandshake {
    limits: Limits,
    reader: HeadReader<Kept, RequestError>,
}

impl ServerHandshake {
    /// A handshake using `config`'s limits.
    pub fn new(config: &ServerConfig) -> Self {
        Self {
            limits: config.limits,
            reader: HeadReader::new(),
        }
    }

    /// Feeds bytes read from the client.
    ///
    /// Returns [`Decoded::Incomplete`] until the blank line that ends the header block; then
    /// the validated request and how many bytes of `input` it used — the rest of `input` is
    /// frame data for the connection. Once complete (or failed), further calls consume nothing
    /// and return the same outcome, without parsing again.
    ///
    /// # Errors
    /// A [`RequestError`] carrying the response to send (then close the transport).
    pub fn handle_input(
        &mut self,
        input: &[u8],
    ) -> Result<Decoded<(Request<'_>, usize)>, RequestError> {
        let limits = &self.limits;
        self.reader.read(
            input,
            limits.max_head_bytes,
            |head, _| parse_request(head, limits),
            |head| head.request_over_limit(limits),
        )
    }
}

/// A request [`ServerHandshake`] read, kept as positions in its head buffer so that later
/// calls hand it out again without parsing. Every position is of a slice of that buffer.
#[derive(Debug)]
pub(crate) struct Kept {
    target: Span,
    host: Span,
    key: SecWebSocketKey,
    origin: Option<Span>,
    subprotocols: Vec<Span>,
    extensions: Vec<Extension>,
    headers: Vec<(Span, Span)>,
}

/// Where a slice of the head buffer is.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    len: usize,
}

impl Span {
    fn of(buf: &[u8], s: &[u8]) -> Self {
        Self {
            start: (s.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize),
            len: s.len(),
        }
    }

    fn bytes(self, buf: &[u8]) -> &[u8] {
        buf.get(self.start..self.start + self.len)
            .unwrap_or_default()
    }

    /// The slice again as the `str` it was when kept.
    fn str(self, buf: &[u8]) -> &str {
        core::str::from_utf8(self.bytes(buf)).unwrap_or_default()
    }
}

impl<'h> Keep<'h> for Request<'h> {
    type Kept = Kept;

    fn keep(&mut self, head: &'h [u8]) -> Kept {
        let span = |s: &str| Span::of(head, s.as_bytes());
        Kept {
            target: span(self.target),
            host: span(self.host),
            key: self.key,
            origin: self.offer.origin.map(span),
            subprotocols: self.offer.subprotocols.iter().map(|p| span(p)).collect(),
            extensions: core::mem::take(&mut self.offer.extensions).into_owned(),
            headers: self
                .headers
                .iter()
                .map(|h| (span(h.name), Span::of(head, h.value)))
                .collect(),
        }
    }

    fn lend(&mut self, kept: &'h Kept) {
        self.offer.extensions = Cow::Borrowed(&kept.extensions);
    }

    fn again(kept: &'h Kept, head: &'h [u8]) -> Self {
        let target = kept.target.str(head);
        // The target was checked when kept, so `resource` finds the same path and query.
        let (path, query) = resource(target).unwrap_or(("/", None));
        Request {
            target,
            path,
            query,
            host: kept.host.str(head),
            key: kept.key,
            offer: Offer {
                origin: kept.origin.map(|o| o.str(head)),
                subprotocols: kept.subprotocols.iter().map(|p| p.str(head)).collect(),
                extensions: Cow::Borrowed(&kept.extensions),
            },
            headers: kept
                .headers
                .iter()
                .map(|(n, v)| HeaderField {
                    name: n.str(head),
                    value: v.bytes(head),
                })
                .collect(),
        }
    }
}

/// Parses and validates a request from the start of `buf`, the caller's buffer (the stateless
/// form of [`ServerHandshake`], in the style of `httparse`). The count in the result is the
/// length of the header block within `buf`.
///
/// # Errors
/// A [`RequestError`] for a request that can never become valid, including one whose header
/// block exceeds the limits ([`RequestError::HeadTooLarge`] once `buf` holds
/// [`Limits::max_head_bytes`] bytes without a complete block).
pub fn parse_request<'b>(
    buf: &'b [u8],
    limits: &Limits,
) -> Result<Decoded<(Request<'b>, usize)>, RequestError> {
    let head = match parse_request_head(buf, limits)? {
        Decoded::Complete(head) => head,
        Decoded::Incomplete { needed } => return Ok(Decoded::Incomplete { needed }),
    };
    let request = validate(head.method, head.http11, head.target, head.fields)?;
    Ok(Decoded::Complete((request, head.len)))
}

/// The resource name from a request target: origin-form `/path?query`, or an absolute
/// `http`/`https` URI (RFC 6455 §4.2.1 item 1, RFC 9112 §3.2). No fragment (RFC 6455 §3).
fn resource(target: &str) -> Option<(&str, Option<&str>)> {
    if target.contains('#') {
        return None;
    }
    let rest = if target.starts_with('/') {
        target
    } else {
        let lower_starts = |p: &str| {
            target
                .get(..p.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(p))
        };
        let after = if lower_starts("http://") {
            target.get(7..)?
        } else if lower_starts("https://") {
            target.get(8..)?
        } else {
            return None;
        };
        let end = after.find(['/', '?']).unwrap_or(after.len());
        if end == 0 {
            return None; // no authority
        }
        after.get(end..)?
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    Some((if path.is_empty() { "/" } else { path }, query))
}

/// The checks of RFC 6455 §4.2.1 over an already-parsed request, in this order (the first
/// failure wins): method, HTTP version, target, then the WebSocket fields in
/// [`check_http1`]'s order.
pub(crate) fn validate<'a>(
    method: &'a str,
    http11: bool,
    target: &'a str,
    headers: Vec<HeaderField<'a>>,
) -> Result<Request<'a>, RequestError> {
    if method != "GET" {
        return Err(RequestError::MethodNotAllowed);
    }
    if !http11 {
        return Err(RequestError::UnsupportedHttpVersion);
    }
    let (path, query) = resource(target).ok_or(RequestError::InvalidTarget)?;
    let (host, key, offer) = check_http1(Fields::new(&headers))?;
    Ok(Request {
        target,
        path,
        query,
        host,
        key,
        offer,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names() {
        assert_eq!(resource("/chat?x=1"), Some(("/chat", Some("x=1"))));
        assert_eq!(resource("http://a.example/chat"), Some(("/chat", None)));
        assert_eq!(resource("HTTPS://a.example"), Some(("/", None)));
        assert_eq!(resource("http://a.example?q"), Some(("/", Some("q"))));
        for bad in ["*", "a.example:80", "http:///x", "/a#b", "ftp://a/b", ""] {
            assert_eq!(resource(bad), None, "{bad}");
        }
    }
}
