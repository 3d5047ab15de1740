//! The server's side of the opening handshake (RFC 6455 §4.2): read and validate the
//! client's request, then accept it with a 101 or refuse it with an HTTP error.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::fields::{Fields, Offer, check_http1};
use super::head::{HeadReader, Keep, parse_request_head};
use super::negotiate::Agreement;
use super::{Accepted, ServerConfig};
use super::{
    BuildError, HeaderField, Limits, Rejection, RequestError, SecWebSocketKey, StatusCode,
};
use crate::extensions::Extension;
use crate::frame::Decoded;

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
    ///
    /// ```
    /// use wswire::Decoded;
    /// use wswire::handshake::{ServerConfig, parse_request};
    ///
    /// let mut config = ServerConfig::default();
    /// config.subprotocols(["v2.chat", "v1.chat"])?;
    /// let buf = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    ///     Sec-WebSocket-Version: 13\r\n\
    ///     Sec-WebSocket-Protocol: v1.chat, v2.chat\r\n\r\n";
    /// let Decoded::Complete((req, _)) = parse_request(buf, config.limits())? else { unreachable!() };
    /// let accepted = req.accept(&config);
    /// assert_eq!(accepted.negotiated().subprotocol(), Some("v2.chat"));
    /// assert_eq!(accepted.accept_key().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use wswire::Decoded;
    /// use wswire::handshake::{BuildError, ServerConfig, parse_request};
    ///
    /// let config = ServerConfig::default();
    /// let buf = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    ///     Sec-WebSocket-Version: 13\r\n\
    ///     Sec-WebSocket-Protocol: v1.chat, v2.chat\r\n\r\n";
    /// let Decoded::Complete((req, _)) = parse_request(buf, config.limits())? else { unreachable!() };
    /// // The application's own rule, here the client's first offer, and a cookie.
    /// let choice = req.subprotocols().first().copied();
    /// let accepted = req.accept_with(&config, choice, &[("Set-Cookie", "id=1")])?;
    /// assert!(accepted.to_bytes().ends_with(b"Protocol: v1.chat\r\nSet-Cookie: id=1\r\n\r\n"));
    /// let err = req.accept_with(&config, Some("mqtt"), &[]).unwrap_err();
    /// assert_eq!(err, BuildError::SubprotocolNotOffered);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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

/// Incremental reading of a request: push bytes with [`ServerHandshake::handle_input`] until
/// it returns the request or an error. Buffers at most [`Limits::max_head_bytes`].
#[derive(Debug)]
pub struct ServerHandshake {
    limits: Limits,
    reader: HeadReader<Kept, RequestError>,
}

impl ServerHandshake {
    /// A handshake using `config`'s limits: one per connection, the config shared.
    ///
    /// ```
    /// use wswire::handshake::{RequestError, ServerConfig, ServerHandshake, StatusCode};
    ///
    /// let mut config = ServerConfig::default();
    /// config.limits_mut().max_head_bytes = 1024;
    /// let mut hs = ServerHandshake::new(&config);
    /// let mut input = b"GET / HTTP/1.1\r\nHost: example.com\r\nCookie: ".to_vec();
    /// input.resize(2048, b'a'); // no end of the header block within the limit
    /// let err = hs.handle_input(&input).unwrap_err();
    /// assert_eq!((err, err.status()), (RequestError::HeadTooLarge, StatusCode::from_u16(431)));
    /// ```
    pub fn new(config: &ServerConfig) -> Self {
        Self {
            limits: *config.limits(),
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
    /// ```
    /// use wswire::Decoded;
    /// use wswire::handshake::{ServerConfig, ServerHandshake};
    ///
    /// let mut hs = ServerHandshake::new(&ServerConfig::default());
    /// let buf = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    ///     Sec-WebSocket-Version: 13\r\n\r\n";
    /// let (first, second) = buf.split_at(40);
    /// // The first read ends inside the header block: kept, more is needed.
    /// assert!(matches!(hs.handle_input(first)?, Decoded::Incomplete { .. }));
    /// let Decoded::Complete((request, consumed)) = hs.handle_input(second)? else {
    ///     unreachable!()
    /// };
    /// assert_eq!((request.path(), request.host()), ("/chat", "example.com"));
    /// assert_eq!(consumed, second.len()); // counted in the last input only
    /// # Ok::<(), wswire::handshake::RequestError>(())
    /// ```
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
///
/// ```
/// use wswire::Decoded;
/// use wswire::handshake::{Limits, StatusCode, parse_request};
///
/// let buf = b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///     Sec-WebSocket-Version: 13\r\n\r\n";
/// let limits = Limits::default();
/// // Only part read so far: read more into the same buffer, then parse it again.
/// assert!(matches!(parse_request(&buf[..40], &limits)?, Decoded::Incomplete { .. }));
/// let Decoded::Complete((request, len)) = parse_request(buf, &limits)? else { unreachable!() };
/// assert_eq!((request.path(), request.query(), len), ("/chat", Some("room=1"), buf.len()));
/// // Not a GET: refused with 405 (RFC 6455 §4.2.1 item 1).
/// let err = parse_request(b"POST /chat HTTP/1.1\r\n\r\n", &limits).unwrap_err();
/// assert_eq!(err.status(), StatusCode::METHOD_NOT_ALLOWED);
/// # Ok::<(), wswire::handshake::RequestError>(())
/// ```
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
pub(crate) fn resource(target: &str) -> Option<(&str, Option<&str>)> {
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
    validate_parsed(method, http11, target, resource(target), headers)
}

/// [`validate`] with the resource name already taken from the target (`None`: the target
/// has none), for a front end whose HTTP stack parsed the target (`http::Uri`).
pub(crate) fn validate_parsed<'a>(
    method: &'a str,
    http11: bool,
    target: &'a str,
    resource: Option<(&'a str, Option<&'a str>)>,
    headers: Vec<HeaderField<'a>>,
) -> Result<Request<'a>, RequestError> {
    if method != "GET" {
        return Err(RequestError::MethodNotAllowed);
    }
    if !http11 {
        return Err(RequestError::UnsupportedHttpVersion);
    }
    let (path, query) = resource.ok_or(RequestError::InvalidTarget)?;
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
