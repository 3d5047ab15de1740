//! The client's side of the opening handshake (RFC 6455 §4.1): build the request, then read
//! and validate the server's response.

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::fields::{Fields, has_connection_upgrade, has_upgrade};
use super::head::{HeadBuffer, HeadReader, Keep, parse_response_head};
use super::headers::{is_extra_header, is_token, parse_extension_lines, trim_ows};
use super::negotiate::checked_subprotocols;
use super::{
    AcceptKey, BuildError, Limits, Negotiated, ResponseError, SecWebSocketKey, StatusCode,
    UnexpectedStatus, VERSION, WsUri, write_header,
};
use crate::extensions::{self, ClientNegotiator, Extension};
use crate::frame::Decoded;

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
    /// ```
    /// use wswire::handshake::{BuildError, ClientRequest, SecWebSocketKey};
    ///
    /// let mut request = ClientRequest::new("example.com:8080", "/chat?room=1")?;
    /// request.header("Authorization", "Bearer t0k3n")?;
    /// let hs = request.start_with_key(SecWebSocketKey::from_nonce([7; 16]));
    /// let head = b"GET /chat?room=1 HTTP/1.1\r\nHost: example.com:8080\r\n";
    /// assert!(hs.request_bytes().starts_with(head));
    /// // The resource is a path and query, never a URI or a fragment (RFC 6455 §3).
    /// let err = ClientRequest::new("example.com", "/chat#top").unwrap_err();
    /// assert_eq!(err, BuildError::InvalidResource);
    /// # Ok::<(), BuildError>(())
    /// ```
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

    /// A request for a parsed URI: its resource name, and its host as the `Host` header (with
    /// the port only when it is not the scheme's default, RFC 6455 §4.1 item 4).
    ///
    /// ```
    /// use wswire::handshake::{ClientRequest, SecWebSocketKey, WsUri};
    ///
    /// let uri = WsUri::parse("ws://example.com:80/chat")?;
    /// // Open the transport to (uri.host(), uri.port()), with TLS when uri.is_secure().
    /// let hs = ClientRequest::from_uri(&uri).start_with_key(SecWebSocketKey::from_nonce([7; 16]));
    /// assert!(hs.request_bytes().starts_with(b"GET /chat HTTP/1.1\r\nHost: example.com\r\n"));
    /// # Ok::<(), wswire::handshake::BuildError>(())
    /// ```
    pub fn from_uri(uri: &WsUri) -> Self {
        Self {
            host: uri.host_header(),
            resource: uri.resource().to_owned(),
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
    ///
    /// ```
    /// use wswire::handshake::{ClientRequest, accept_key};
    /// use wswire::rand_core::UnwrapErr;
    ///
    /// let mut rng = UnwrapErr(getrandom::SysRng); // the OS's generator, as a CryptoRng
    /// let hs = ClientRequest::new("example.com", "/chat")?.start(&mut rng);
    /// let request = std::str::from_utf8(hs.request_bytes())?;
    /// let key = request.lines().find_map(|l| l.strip_prefix("Sec-WebSocket-Key: ")).unwrap();
    /// assert_eq!(key.len(), 24); // base64 of a fresh 16-byte nonce
    /// // The server must answer with the accept value derived from it (RFC 6455 §4.2.2 step 5).
    /// assert_eq!(hs.expected_accept(), accept_key(key));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start<R: rand_core::CryptoRng + ?Sized>(self, rng: &mut R) -> ClientHandshake {
        self.start_with_key(SecWebSocketKey::random(rng))
    }

    /// Starts the handshake with a given key (deterministic tests).
    ///
    /// ```
    /// use wswire::handshake::{ClientRequest, SecWebSocketKey};
    ///
    /// // RFC 6455 §1.3's sample nonce, for reproducible bytes.
    /// let key = SecWebSocketKey::from_nonce(*b"the sample nonce");
    /// let hs = ClientRequest::new("server.example.com", "/chat")?.start_with_key(key);
    /// assert_eq!(hs.request_bytes(), b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\n\
    ///     Upgrade: websocket\r\nConnection: Upgrade\r\n\
    ///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    /// assert_eq!(hs.expected_accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /// # Ok::<(), wswire::handshake::BuildError>(())
    /// ```
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
    /// ```
    /// use wswire::Decoded;
    /// use wswire::handshake::{ClientRequest, Limits, SecWebSocketKey, ServerConfig};
    /// use wswire::handshake::parse_request;
    ///
    /// let key = SecWebSocketKey::from_nonce(*b"the sample nonce");
    /// let mut hs = ClientRequest::new("example.com", "/")?.start_with_key(key);
    /// // The server's side answers (in-process here; normally across the socket).
    /// let limits = Limits::default();
    /// let Decoded::Complete((request, _)) = parse_request(hs.request_bytes(), &limits)? else {
    ///     unreachable!()
    /// };
    /// let mut input = request.accept(&ServerConfig::default()).to_bytes();
    /// input.extend_from_slice(b"\x81\x02hi"); // a frame right behind the 101
    /// // Read in two pieces: the first ends inside the header block.
    /// assert!(matches!(hs.handle_input(&input[..20])?, Decoded::Incomplete { .. }));
    /// let Decoded::Complete((negotiated, consumed)) = hs.handle_input(&input[20..])? else {
    ///     unreachable!()
    /// };
    /// assert_eq!(negotiated.subprotocol(), None);
    /// assert_eq!(&input[20 + consumed..], b"\x81\x02hi"); // for the frame layer
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
