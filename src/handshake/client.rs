//! The client's side of the opening handshake (RFC 6455 §4.1): build the request, then read
//! and validate the server's response.

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::fields::{Fields, has_connection_upgrade, has_upgrade};
use super::head::{HeadBuffer, HeadReader, Keep, parse_response_head};
use super::headers::{is_extra_header, is_token, parse_extension_lines, trim_ows};
use super::negotiate::checked_subprotocols;
use super::{
    AcceptKey, BuildError, Limits, Negotiated, SecWebSocketKey, StatusCode, VERSION, write_header,
};
use crate::extensions::{
    self, ClientNegotiator, Extension, ExtensionHeaderError, NegotiationError,
};
use crate::frame::Decoded;

/// A `ws://` or `wss://` URI split into what the caller needs to connect and what the request
/// needs (RFC 6455 §3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WsUri {
    secure: bool,
    host: String,
    port: u16,
    resource: String,
}

impl WsUri {
    /// Parses `ws://host[:port][/path][?query]` or `wss://…`. The scheme is case-insensitive;
    /// an empty path becomes `/` (RFC 6455 §3); IPv6 hosts are bracketed (`ws://[::1]:9000/`).
    ///
    /// # Errors
    /// [`BuildError::InvalidUri`] for another scheme, a missing host, user information, a bad
    /// port, or a fragment (RFC 6455 §3: fragments MUST NOT be used).
    pub fn parse(uri: &str) -> Result<Self, BuildError> {
        let (scheme, rest) = uri.split_once("://").ok_or(BuildError::InvalidUri)?;
        let secure = if scheme.eq_ignore_ascii_case("ws") {
            false
        } else if scheme.eq_ignore_ascii_case("wss") {
            true
        } else {
            return Err(BuildError::InvalidUri);
        };
        if rest.contains('#') {
            return Err(BuildError::InvalidUri);
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, resource) = rest.split_at(end);
        if authority.contains('@') {
            return Err(BuildError::InvalidUri);
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (inner, after) = v6.split_once(']').ok_or(BuildError::InvalidUri)?;
            if inner.is_empty()
                || !inner
                    .bytes()
                    .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
            {
                return Err(BuildError::InvalidUri);
            }
            (
                authority
                    .get(..inner.len() + 2)
                    .ok_or(BuildError::InvalidUri)?,
                after,
            )
        } else {
            match authority.find(':') {
                Some(i) => authority.split_at(i),
                None => (authority, ""),
            }
        };
        if host.is_empty() || (!host.starts_with('[') && !is_reg_name(host)) {
            return Err(BuildError::InvalidUri);
        }
        let default_port = if secure { 443 } else { 80 };
        let port = match port.strip_prefix(':') {
            None if port.is_empty() => default_port,
            None => return Err(BuildError::InvalidUri),
            Some("") => default_port,
            Some(p) if p.bytes().all(|c| c.is_ascii_digit()) => {
                p.parse().map_err(|_| BuildError::InvalidUri)?
            }
            Some(_) => return Err(BuildError::InvalidUri),
        };
        let resource = if resource.starts_with('?') {
            alloc::format!("/{resource}")
        } else if resource.is_empty() {
            "/".to_owned()
        } else {
            resource.to_owned()
        };
        if !resource.bytes().all(|c| c.is_ascii_graphic()) {
            return Err(BuildError::InvalidUri);
        }
        Ok(Self {
            secure,
            host: host.to_owned(),
            port,
            resource,
        })
    }

    /// Whether the scheme is `wss` (TLS).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The host to connect to (IPv6 addresses keep their brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port to connect to (80 or 443 when the URI has none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The resource name: path and query (RFC 6455 §3).
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The `Host` header: the host, plus `:port` only when it is not the scheme's default
    /// (RFC 6455 §4.1 item 4).
    pub fn host_header(&self) -> String {
        if self.port == if self.secure { 443 } else { 80 } {
            self.host.clone()
        } else {
            alloc::format!("{}:{}", self.host, self.port)
        }
    }
}

/// `reg-name` / IPv4 characters (RFC 3986 §3.2.2), minus percent-encoding's special meaning.
fn is_reg_name(host: &str) -> bool {
    host.bytes().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'%'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            )
    })
}

/// What a client asks for: resource, host, origin, subprotocols, extensions, extra headers.
/// Turn it into a [`ClientHandshake`] with [`ClientRequest::start`].
#[derive(Debug)]
pub struct ClientRequest {
    host: String,
    resource: String,
    origin: Option<String>,
    subprotocols: Vec<String>,
    extensions: Vec<Box<dyn ClientNegotiator>>,
    headers: Vec<(String, String)>,
    limits: Limits,
}

impl ClientRequest {
    /// A request for `resource` (path and query, starting with `/`) at `host` (the `Host`
    /// header value, with `:port` when not the default).
    ///
    /// # Errors
    /// [`BuildError::InvalidHost`] or [`BuildError::InvalidResource`].
    pub fn new(host: &str, resource: &str) -> Result<Self, BuildError> {
        if host.is_empty()
            || !host
                .bytes()
                .all(|c| c.is_ascii_graphic() && !matches!(c, b'/' | b'?' | b'#' | b'@'))
        {
            return Err(BuildError::InvalidHost);
        }
        if !resource.starts_with('/')
            || resource.contains('#')
            || !resource.bytes().all(|c| c.is_ascii_graphic())
        {
            return Err(BuildError::InvalidResource);
        }
        Ok(Self {
            host: host.to_owned(),
            resource: resource.to_owned(),
            origin: None,
            subprotocols: Vec::new(),
            extensions: Vec::new(),
            headers: Vec::new(),
            limits: Limits::default(),
        })
    }

    /// A request for a parsed URI.
    pub fn from_uri(uri: &WsUri) -> Self {
        Self {
            host: uri.host_header(),
            resource: uri.resource.clone(),
            origin: None,
            subprotocols: Vec::new(),
            extensions: Vec::new(),
            headers: Vec::new(),
            limits: Limits::default(),
        }
    }

    /// Sends `Origin`, only when set (RFC 6455 §4.1 item 8).
    ///
    /// # Errors
    /// [`BuildError::InvalidHeader`] when `origin` is not visible ASCII.
    pub fn origin(&mut self, origin: &str) -> Result<&mut Self, BuildError> {
        if origin.is_empty() || !origin.bytes().all(|c| c.is_ascii_graphic()) {
            return Err(BuildError::InvalidHeader);
        }
        self.origin = Some(origin.to_owned());
        Ok(self)
    }

    /// The subprotocols to offer, most preferred first (replaces earlier ones).
    ///
    /// # Errors
    /// [`BuildError::InvalidSubprotocol`] for an empty or non-token value,
    /// [`BuildError::DuplicateSubprotocol`] for a repeat (RFC 6455 §4.1 item 10).
    pub fn subprotocols<I, S>(&mut self, list: I) -> Result<&mut Self, BuildError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.subprotocols = checked_subprotocols(list)?;
        Ok(self)
    }

    /// Offers an extension; its negotiator also validates the server's answer.
    pub fn extension(&mut self, negotiator: Box<dyn ClientNegotiator>) -> &mut Self {
        self.extensions.push(negotiator);
        self
    }

    /// Adds a header (e.g. `Authorization`, `Cookie`) after the mandatory ones.
    ///
    /// # Errors
    /// [`BuildError::InvalidHeader`] for a name that is not a token, a value with control
    /// bytes, or a field the handshake writes itself.
    pub fn header(&mut self, name: &str, value: &str) -> Result<&mut Self, BuildError> {
        if !is_extra_header(name, value) || name.eq_ignore_ascii_case("origin") {
            return Err(BuildError::InvalidHeader);
        }
        self.headers.push((name.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// The limits on the response's header block.
    pub fn limits_mut(&mut self) -> &mut Limits {
        &mut self.limits
    }

    /// Starts the handshake with a fresh key from a cryptographically secure generator
    /// (RFC 6455 §4.1 item 7, §10.3).
    pub fn start<R: rand_core::CryptoRng + ?Sized>(self, rng: &mut R) -> ClientHandshake {
        self.start_with_key(SecWebSocketKey::random(rng))
    }

    /// Starts the handshake with a given key (deterministic tests).
    pub fn start_with_key(self, key: SecWebSocketKey) -> ClientHandshake {
        let offers = self.offers();
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"GET ");
        out.extend_from_slice(self.resource.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        write_header(&mut out, "Host", &self.host);
        out.extend_from_slice(b"Upgrade: websocket\r\nConnection: Upgrade\r\n");
        write_header(&mut out, "Sec-WebSocket-Key", key.as_str());
        write_header(&mut out, "Sec-WebSocket-Version", VERSION);
        if let Some(o) = &self.origin {
            write_header(&mut out, "Origin", o);
        }
        if !self.subprotocols.is_empty() {
            write_header(
                &mut out,
                "Sec-WebSocket-Protocol",
                &self.subprotocols.join(", "),
            );
        }
        if !offers.is_empty() {
            write_header(
                &mut out,
                "Sec-WebSocket-Extensions",
                &extensions::format_header(&offers),
            );
        }
        for (n, v) in &self.headers {
            write_header(&mut out, n, v);
        }
        out.extend_from_slice(b"\r\n");
        ClientHandshake {
            request: out,
            accept: key.accept(),
            expected: Expected {
                subprotocols: self.subprotocols,
                offers,
                extensions: self.extensions,
            },
            limits: self.limits,
            reader: HeadReader::new(),
        }
    }

    pub(crate) fn offers(&self) -> Vec<Extension> {
        let mut offers = Vec::new();
        for n in &self.extensions {
            for params in n.offers() {
                if let Ok(e) = Extension::with_params(n.name(), params) {
                    offers.push(e);
                }
            }
        }
        offers
    }

    pub(crate) fn into_parts(self) -> (Expected, RequestParts) {
        let offers = self.offers();
        (
            Expected {
                subprotocols: self.subprotocols,
                offers,
                extensions: self.extensions,
            },
            RequestParts {
                host: self.host,
                resource: self.resource,
                origin: self.origin,
                headers: self.headers,
            },
        )
    }
}

/// The parts of a [`ClientRequest`] that are not about negotiation.
#[derive(Debug)]
pub(crate) struct RequestParts {
    pub(crate) host: String,
    pub(crate) resource: String,
    pub(crate) origin: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
}

/// What the client offered, against which the response is checked.
#[derive(Debug)]
pub(crate) struct Expected {
    pub(crate) subprotocols: Vec<String>,
    pub(crate) offers: Vec<Extension>,
    pub(crate) extensions: Vec<Box<dyn ClientNegotiator>>,
}

impl Expected {
    /// Checks the negotiation headers of a successful response (RFC 6455 §4.1, response items
    /// 5–6): a single offered subprotocol or none; only offered extensions, each once, each
    /// approved by its negotiator.
    pub(crate) fn check_negotiation<'a>(
        &self,
        protocol_lines: impl Iterator<Item = &'a [u8]>,
        extension_lines: impl Iterator<Item = &'a [u8]>,
    ) -> Result<Negotiated, ResponseError> {
        let mut subprotocol = None;
        for line in protocol_lines {
            if subprotocol.is_some() {
                return Err(ResponseError::DuplicateHeader("Sec-WebSocket-Protocol"));
            }
            let p = core::str::from_utf8(trim_ows(line))
                .ok()
                .filter(|p| is_token(p))
                .ok_or(ResponseError::InvalidSubprotocol)?;
            if !self.subprotocols.iter().any(|o| o == p) {
                return Err(ResponseError::SubprotocolNotOffered);
            }
            subprotocol = Some(p.to_owned());
        }
        let accepted =
            parse_extension_lines(extension_lines).map_err(ResponseError::InvalidExtensions)?;
        for (i, ext) in accepted.iter().enumerate() {
            let name = ext.name();
            if accepted
                .get(..i)
                .unwrap_or_default()
                .iter()
                .any(|e| e.name() == name)
            {
                return Err(ResponseError::DuplicateExtension(name.to_owned()));
            }
            if !self.offers.iter().any(|o| o.name() == name) {
                return Err(ResponseError::ExtensionNotOffered(name.to_owned()));
            }
            let Some(neg) = self.extensions.iter().find(|n| n.name() == name) else {
                return Err(ResponseError::ExtensionNotOffered(name.to_owned()));
            };
            neg.check_response(ext.params())
                .map_err(|error| ResponseError::ExtensionRejected {
                    name: name.to_owned(),
                    error,
                })?;
        }
        Ok(Negotiated {
            subprotocol,
            extensions: accepted,
        })
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

/// The client's handshake: the request to send and the incremental check of the response.
#[derive(Debug)]
pub struct ClientHandshake {
    request: Vec<u8>,
    accept: AcceptKey,
    expected: Expected,
    limits: Limits,
    reader: HeadReader<Negotiated, ResponseError>,
}

impl ClientHandshake {
    /// The request bytes to send before reading the response (RFC 6455 §4.1). No frame may be
    /// sent until the response has been accepted.
    pub fn request_bytes(&self) -> &[u8] {
        &self.request
    }

    /// The `Sec-WebSocket-Accept` value the response must carry.
    pub fn expected_accept(&self) -> AcceptKey {
        self.accept
    }

    /// Feeds bytes read from the server.
    ///
    /// Returns [`Decoded::Incomplete`] until the header block is complete, then what was
    /// negotiated and how many bytes of `input` belonged to the handshake: the rest of `input`
    /// is frame data for the connection (the server may send frames right behind its 101).
    /// Once complete (or failed), further calls consume nothing and return the same outcome.
    /// The end of the stream before completion is a failure the caller reports.
    ///
    /// # Errors
    /// A [`ResponseError`]; the connection must be closed.
    pub fn handle_input(
        &mut self,
        input: &[u8],
    ) -> Result<Decoded<(Negotiated, usize)>, ResponseError> {
        let (limits, accept, expected) = (&self.limits, self.accept, &self.expected);
        let parse = |head: &[u8], old: usize| {
            check_response(head, limits, accept, expected).map_err(|mut e| {
                // Where a refusal's head ends, counted in the last input like `consumed`.
                if let ResponseError::UnexpectedStatus(s) = &mut e {
                    s.consumed = s.consumed.saturating_sub(old);
                }
                e
            })
        };
        let over_limit =
            |head: &HeadBuffer| head.is_full(limits).then_some(ResponseError::HeadTooLarge);
        self.reader
            .read(input, limits.max_head_bytes, parse, over_limit)
    }
}

impl Keep<'_> for Negotiated {
    type Kept = Self;

    fn keep(&mut self, _: &[u8]) -> Self {
        self.clone()
    }

    fn lend(&mut self, _: &Self) {}

    fn again(kept: &Self, _: &[u8]) -> Self {
        kept.clone()
    }
}

/// Parses and checks a response head at the start of `buf` (RFC 6455 §4.1, response items
/// 1–6).
fn check_response(
    buf: &[u8],
    limits: &Limits,
    accept: AcceptKey,
    expected: &Expected,
) -> Result<Decoded<(Negotiated, usize)>, ResponseError> {
    let head = match parse_response_head(buf, limits)? {
        Decoded::Complete(head) => head,
        Decoded::Incomplete { needed } => return Ok(Decoded::Incomplete { needed }),
    };
    if head.code != 101 {
        return Err(ResponseError::UnexpectedStatus(Box::new(
            UnexpectedStatus {
                status: StatusCode::from_u16(head.code),
                headers: head
                    .fields
                    .iter()
                    .map(|h| (h.name.to_owned(), h.value.to_vec()))
                    .collect(),
                consumed: head.len,
            },
        )));
    }
    if !head.http11 {
        return Err(ResponseError::UnsupportedHttpVersion);
    }
    let f = Fields::new(&head.fields);
    if !has_upgrade(f) {
        return Err(ResponseError::InvalidUpgrade);
    }
    if !has_connection_upgrade(f) {
        return Err(ResponseError::InvalidConnection);
    }
    let got = f
        .single("Sec-WebSocket-Accept")
        .map_err(ResponseError::DuplicateHeader)?
        .ok_or(ResponseError::MissingAccept)?;
    if got != accept.as_str().as_bytes() {
        return Err(ResponseError::WrongAccept);
    }
    let negotiated = expected.check_negotiation(
        f.lines("Sec-WebSocket-Protocol"),
        f.lines("Sec-WebSocket-Extensions"),
    )?;
    Ok(Decoded::Complete((negotiated, head.len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_give_resource_host_header_and_refuse_fragments() {
        let u = WsUri::parse("ws://example.com").unwrap();
        assert_eq!(
            (u.resource(), u.host_header(), u.port()),
            ("/", "example.com".into(), 80)
        );
        let u = WsUri::parse("ws://example.com:80/chat?x=1").unwrap();
        assert_eq!(
            (u.resource(), u.host_header()),
            ("/chat?x=1", "example.com".into())
        );
        let u = WsUri::parse("WSS://example.com:8443/").unwrap();
        assert!(u.is_secure());
        assert_eq!(u.host_header(), "example.com:8443");
        let u = WsUri::parse("ws://[::1]:9000/").unwrap();
        assert_eq!((u.host(), u.host_header()), ("[::1]", "[::1]:9000".into()));
        let u = WsUri::parse("wss://example.com?q").unwrap();
        assert_eq!((u.resource(), u.port()), ("/?q", 443));
        for bad in [
            "ws://example.com/#frag",
            "http://example.com/",
            "ws://",
            "ws://u@example.com/",
            "ws://example.com:x/",
            "ws://example.com:99999/",
            "ws://[zz]/",
            "ws://exa mple.com/",
            "example.com",
        ] {
            assert_eq!(WsUri::parse(bad), Err(BuildError::InvalidUri), "{bad}");
        }
    }
}
