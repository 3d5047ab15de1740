//! The server's side of the opening handshake (RFC 6455 §4.2): read and validate the
//! client's request, then accept it with a 101 or refuse it with an HTTP error.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::mem::MaybeUninit;

use super::headers::{is_extra_header, lists_contain, parse_token_list, trim_ows};
use super::{
    AcceptKey, BuildError, HeadBuffer, HeaderField, Limits, Negotiated, Progress, Rejection,
    SecWebSocketKey, StatusCode, VERSION, negotiate_extensions, select_subprotocol, write_header,
    write_status_line,
};
use crate::extensions::{self, Extension, ExtensionHeaderError, ServerNegotiator};

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

pub(crate) fn checked_subprotocols<I, S>(list: I) -> Result<Vec<String>, BuildError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out: Vec<String> = Vec::new();
    for p in list {
        let p = p.as_ref();
        if !super::headers::is_token(p) {
            return Err(BuildError::InvalidSubprotocol);
        }
        if out.iter().any(|q| q == p) {
            return Err(BuildError::DuplicateSubprotocol);
        }
        out.push(p.to_string());
    }
    Ok(out)
}

/// Why the server refuses a request. Each error knows the HTTP response to answer with
/// ([`RequestError::status`], [`RequestError::rejection`]); the peer sent it, so the
/// connection is closed after that response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestError {
    /// Not parseable as HTTP/1.x (RFC 9112 §2.2, §5; e.g. a field without `:`, whitespace
    /// before the colon). 400.
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
    origin: Option<&'a str>,
    key: SecWebSocketKey,
    subprotocols: Vec<&'a str>,
    extensions: Vec<Extension>,
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
        self.origin
    }

    /// The client's key.
    pub fn key(&self) -> SecWebSocketKey {
        self.key
    }

    /// The offered subprotocols in the client's order, all header lines joined.
    pub fn subprotocols(&self) -> &[&'a str] {
        &self.subprotocols
    }

    /// The extension offers in the client's order, all header lines joined (RFC 6455 §9.1).
    pub fn extension_offers(&self) -> &[Extension] {
        &self.extensions
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
        match self.origin {
            Some(o) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(o)) => {
                Err(Rejection::with_status(StatusCode::FORBIDDEN))
            }
            _ => Ok(()),
        }
    }

    /// Accepts with the config's choices: its first preferred subprotocol the client offered
    /// (or none), the extensions its negotiators accept, its extra headers.
    pub fn accept(&self, config: &ServerConfig) -> Accepted {
        let subprotocol = config.select_subprotocol(&self.subprotocols);
        self.accepted(config, subprotocol, Vec::new())
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
        if subprotocol.is_some_and(|p| !self.subprotocols.contains(&p)) {
            return Err(BuildError::SubprotocolNotOffered);
        }
        let mut headers = Vec::with_capacity(extra_headers.len());
        for (n, v) in extra_headers {
            if !is_extra_header(n, v) {
                return Err(BuildError::InvalidHeader);
            }
            headers.push((n.to_string(), v.to_string()));
        }
        Ok(self.accepted(config, subprotocol, headers))
    }

    fn accepted(
        &self,
        config: &ServerConfig,
        subprotocol: Option<&str>,
        mut headers: Vec<(String, String)>,
    ) -> Accepted {
        if !config.extra_headers().is_empty() {
            let mut all = config.extra_headers().to_vec();
            all.append(&mut headers);
            headers = all;
        }
        Accepted {
            accept: self.key.accept(),
            negotiated: Negotiated {
                subprotocol: subprotocol.map(ToString::to_string),
                extensions: config.negotiate_extensions(&self.extensions),
            },
            headers,
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
        write_header(out, "Sec-WebSocket-Accept", self.accept.as_str());
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
    head: HeadBuffer,
    state: State,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Reading,
    Done,
    Failed(RequestError),
}

impl ServerHandshake {
    /// A handshake using `config`'s limits.
    pub fn new(config: &ServerConfig) -> Self {
        Self {
            limits: config.limits,
            head: HeadBuffer::default(),
            state: State::Reading,
        }
    }

    /// Feeds bytes read from the client.
    ///
    /// Returns [`Progress::NeedMore`] until the blank line that ends the header block; then
    /// the validated request and how many bytes of `input` it used — the rest of `input` is
    /// frame data for the connection. Once complete (or failed), further calls consume nothing
    /// and return the same outcome.
    ///
    /// # Errors
    /// A [`RequestError`] carrying the response to send (then close the transport).
    pub fn handle_input(&mut self, input: &[u8]) -> Result<Progress<Request<'_>>, RequestError> {
        match self.state {
            State::Failed(e) => return Err(e),
            State::Done => {
                return match parse_request(&self.head.buf, &self.limits) {
                    Ok(Progress::Complete { value, .. }) => {
                        Ok(Progress::Complete { value, consumed: 0 })
                    }
                    Ok(Progress::NeedMore) => Ok(Progress::NeedMore),
                    Err(e) => Err(e),
                };
            }
            State::Reading => {}
        }
        let old = self.head.buf.len();
        let scan = self.head.push(input, self.limits.max_head_bytes);
        if scan.line_ended {
            match parse_request(&self.head.buf, &self.limits) {
                Ok(Progress::Complete { value, consumed }) => {
                    self.state = State::Done;
                    let consumed = consumed.saturating_sub(old);
                    return Ok(Progress::Complete { value, consumed });
                }
                Ok(Progress::NeedMore) => {}
                Err(e) => {
                    self.state = State::Failed(e);
                    return Err(e);
                }
            }
        }
        let over_line = match self.head.first_line_end {
            Some(end) => end > self.limits.max_request_line,
            None => self.head.buf.len() > self.limits.max_request_line,
        };
        let e = if over_line {
            RequestError::RequestLineTooLong
        } else if self.head.unfinished_line() > self.limits.max_header_line {
            RequestError::HeaderLineTooLong
        } else if self.head.buf.len() >= self.limits.max_head_bytes {
            RequestError::HeadTooLarge
        } else {
            return Ok(Progress::NeedMore);
        };
        self.state = State::Failed(e);
        Err(e)
    }
}

/// The longest field line (name to the end of the value) of a parsed head in `buf`.
fn longest_field(buf: &[u8], headers: &[httparse::Header<'_>]) -> usize {
    let at = |s: &[u8]| (s.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    headers
        .iter()
        .map(|h| at(h.value) + h.value.len() - at(h.name.as_bytes()))
        .max()
        .unwrap_or(0)
}

/// Parses and validates a request from the start of `buf`, the caller's buffer (the stateless
/// form of [`ServerHandshake`], in the style of `httparse`). `consumed` in the result is the
/// length of the header block within `buf`.
///
/// # Errors
/// A [`RequestError`] for a request that can never become valid, including one whose header
/// block exceeds the limits ([`RequestError::HeadTooLarge`] once `buf` holds
/// [`Limits::max_head_bytes`] bytes without a complete block).
pub fn parse_request<'b>(
    buf: &'b [u8],
    limits: &Limits,
) -> Result<Progress<Request<'b>>, RequestError> {
    const STACK: usize = 32;
    let mut stack = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; STACK];
    let mut heap: Vec<MaybeUninit<httparse::Header<'_>>> = Vec::new();
    let slots: &mut [MaybeUninit<httparse::Header<'_>>] = if limits.max_headers <= STACK {
        stack.get_mut(..limits.max_headers).unwrap_or_default()
    } else {
        heap.resize_with(limits.max_headers, MaybeUninit::uninit);
        &mut heap
    };
    if super::starts_with_empty_lines(buf) {
        return Err(RequestError::Malformed);
    }
    let mut req = httparse::Request::new(&mut []);
    let parsed = req.parse_with_uninit_headers(buf, slots);
    let first_line_end = buf.iter().position(|&c| c == b'\n');
    let line_too_long = match first_line_end {
        Some(end) => end > limits.max_request_line,
        None => buf.len() > limits.max_request_line,
    };
    let n = match parsed {
        _ if line_too_long => return Err(RequestError::RequestLineTooLong),
        Ok(httparse::Status::Partial)
            if super::longest_field_line(buf) > limits.max_header_line =>
        {
            return Err(RequestError::HeaderLineTooLong);
        }
        Ok(httparse::Status::Complete(_))
            if longest_field(buf, req.headers) > limits.max_header_line =>
        {
            return Err(RequestError::HeaderLineTooLong);
        }
        Ok(httparse::Status::Complete(n)) if n <= limits.max_head_bytes => n,
        Ok(httparse::Status::Complete(_)) => return Err(RequestError::HeadTooLarge),
        Ok(httparse::Status::Partial) if buf.len() >= limits.max_head_bytes => {
            return Err(RequestError::HeadTooLarge);
        }
        Ok(httparse::Status::Partial) => return Ok(Progress::NeedMore),
        Err(httparse::Error::TooManyHeaders) => return Err(RequestError::TooManyHeaders),
        Err(httparse::Error::Version) => return Err(RequestError::UnsupportedHttpVersion),
        Err(_) => return Err(RequestError::Malformed),
    };
    let (Some(method), Some(target), Some(version)) = (req.method, req.path, req.version) else {
        return Err(RequestError::Malformed);
    };
    let fields = req
        .headers
        .iter()
        .map(|h| HeaderField {
            name: h.name,
            value: trim_ows(h.value),
        })
        .collect();
    let value = validate(method, version == 1, target, fields)?;
    Ok(Progress::Complete { value, consumed: n })
}

/// The single header `name`: `Ok(None)` when absent, an error when repeated.
fn single<'a>(
    headers: &[HeaderField<'a>],
    name: &'static str,
) -> Result<Option<&'a [u8]>, RequestError> {
    let mut found = None;
    for h in headers.iter().filter(|h| h.name.eq_ignore_ascii_case(name)) {
        if found.is_some() {
            return Err(RequestError::DuplicateHeader(name));
        }
        found = Some(h.value);
    }
    Ok(found)
}

fn lines<'h, 'a>(
    headers: &'h [HeaderField<'a>],
    name: &'static str,
) -> impl Iterator<Item = &'a [u8]> + 'h {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

/// Visible ASCII (`VCHAR`) and nothing else, as a `str`.
fn visible_ascii(v: &[u8]) -> Option<&str> {
    if v.is_empty() || !v.iter().all(|c| c.is_ascii_graphic()) {
        return None;
    }
    core::str::from_utf8(v).ok()
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
/// failure wins): method, HTTP version, target, `Host`, `Upgrade`, `Connection`,
/// `Sec-WebSocket-Version`, `Sec-WebSocket-Key`, `Origin`, body framing,
/// `Sec-WebSocket-Protocol`, `Sec-WebSocket-Extensions`. The version is checked before the key
/// so that a client speaking another version learns, through 426 + `Sec-WebSocket-Version: 13`,
/// which one to retry with.
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
    let host = single(&headers, "Host")?.ok_or(RequestError::MissingHost)?;
    let host = visible_ascii(host).ok_or(RequestError::InvalidHost)?;
    if !lists_contain(lines(&headers, "Upgrade"), "websocket") {
        return Err(RequestError::InvalidUpgrade);
    }
    if !lists_contain(lines(&headers, "Connection"), "upgrade") {
        return Err(RequestError::InvalidConnection);
    }
    match single(&headers, "Sec-WebSocket-Version")? {
        None => return Err(RequestError::MissingVersion),
        Some(v) if v != VERSION.as_bytes() => return Err(RequestError::UnsupportedVersion),
        Some(_) => {}
    }
    let key = single(&headers, "Sec-WebSocket-Key")?.ok_or(RequestError::MissingKey)?;
    let key = core::str::from_utf8(key)
        .ok()
        .and_then(SecWebSocketKey::parse)
        .ok_or(RequestError::InvalidKey)?;
    let origin = match single(&headers, "Origin")? {
        Some(o) => Some(visible_ascii(o).ok_or(RequestError::InvalidOrigin)?),
        None => None,
    };
    if lines(&headers, "Transfer-Encoding").next().is_some()
        || single(&headers, "Content-Length")?.is_some_and(|v| v != b"0")
    {
        return Err(RequestError::UnexpectedBody);
    }
    let mut subprotocols = Vec::new();
    if lines(&headers, "Sec-WebSocket-Protocol").next().is_some() {
        parse_token_list(lines(&headers, "Sec-WebSocket-Protocol"), &mut subprotocols)
            .map_err(|_| RequestError::InvalidSubprotocols)?;
    }
    let mut extensions = Vec::new();
    let mut any = false;
    for line in lines(&headers, "Sec-WebSocket-Extensions") {
        any = true;
        extensions::parse_header_into(line, &mut extensions)
            .map_err(RequestError::InvalidExtensions)?;
    }
    if any && extensions.is_empty() {
        return Err(RequestError::InvalidExtensions(ExtensionHeaderError::Empty));
    }
    Ok(Request {
        target,
        path,
        query,
        host,
        origin,
        key,
        subprotocols,
        extensions,
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
