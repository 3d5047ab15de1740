//! WebSockets over HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220): the extended CONNECT, validated
//! over a plain list of `(name, value)` header fields, independent of any HTTP/2 or HTTP/3
//! library.
//!
//! The HTTP/2 or HTTP/3 stack decodes the header block (pseudo-headers included, in order) and
//! hands it here; it also owns `SETTINGS_ENABLE_CONNECT_PROTOCOL` (RFC 8441 §3: a client must
//! not send an extended CONNECT before the server advertised it) and the stream. After
//! success the stream carries ordinary RFC 6455 frames (client masks), END_STREAM standing in
//! for TCP FIN and RST_STREAM for TCP RST (close code 1006).
//!
//! What differs from HTTP/1.1 (RFC 8441 §4–5): `:method CONNECT` with `:protocol websocket`;
//! `:scheme`, `:path`, `:authority` are all required; no `Upgrade`/`Connection` (they would make
//! the message malformed, RFC 9113 §8.2.2); no key and no accept (a `sec-websocket-key` the
//! client sends anyway is ignored); success is a 2xx, not 101.
//!
//! ```
//! use wswire::handshake::{ClientRequest, ServerConfig, h2};
//!
//! let mut config = ServerConfig::default();
//! config.subprotocols(["chat"])?;
//! let mut req = ClientRequest::new("server.example.com", "/chat")?;
//! req.subprotocols(["chat", "superchat"])?;
//! let client = req.start_h2(true);
//! // The HTTP/2 stack sends `client.request_headers()` and delivers them, decoded, at the server:
//! let received: Vec<(&str, &str)> = client
//!     .request_headers()
//!     .iter()
//!     .map(|(n, v)| (n.as_str(), v.as_str()))
//!     .collect();
//! let request = h2::parse_connect_request(&received)?;
//! let accepted = request.accept(&config);
//! assert_eq!(accepted.headers()[0], (":status".to_string(), "200".to_string()));
//! let response: Vec<(&str, &str)> =
//!     accepted.headers().iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
//! let negotiated = client.check_response(&response)?;
//! assert_eq!(negotiated.subprotocol(), Some("chat"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::client::{Expected, RequestParts};
use super::fields::{Fields, Offer, check_extended_connect};
use super::headers::trim_ows;
use super::negotiate::Agreement;
use super::{
    BuildError, ClientRequest, HeaderField, Negotiated, Rejection, RequestError, ResponseError,
    ServerConfig, StatusCode, UnexpectedStatus, VERSION,
};
use crate::extensions::{self, Extension};

/// The response header list refusing an extended CONNECT with `error`: `:status` first, then
/// the fields the error calls for ([`RequestError::response_headers`], names lower-cased),
/// e.g. `sec-websocket-version: 13` for version failures.
pub fn rejection_headers(error: &RequestError) -> Vec<(String, String)> {
    let mut v = alloc::vec![(":status".to_string(), error.status().to_string())];
    for (n, value) in error.response_headers() {
        v.push((n.to_ascii_lowercase(), (*value).to_string()));
    }
    v
}

/// A valid extended CONNECT for WebSocket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRequest<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
    offer: Offer<'a>,
    headers: &'a [(&'a str, &'a str)],
}

const PSEUDO: [&str; 5] = [":method", ":protocol", ":scheme", ":path", ":authority"];
const CONNECTION_SPECIFIC: [&str; 5] = [
    "connection",
    "upgrade",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
];

/// Validates an extended CONNECT header list (RFC 8441 §4, §5; RFC 9220 §3), pseudo-headers
/// included, in the order received. Checks, first failure wins: list well-formedness, method
/// and `:protocol`, the other pseudo-headers, then the WebSocket fields as over HTTP/1.1
/// (`sec-websocket-version`, `origin`, `sec-websocket-protocol`, `sec-websocket-extensions`;
/// values compared without surrounding whitespace).
///
/// # Errors
/// A [`RequestError`] with the status to answer with (400 or 426; see
/// [`rejection_headers`]).
///
/// ```
/// use wswire::handshake::{RequestError, h2};
///
/// let headers = [
///     (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
///     (":path", "/chat?room=1"), (":authority", "example.com"), ("sec-websocket-version", "13"),
/// ];
/// let request = h2::parse_connect_request(&headers)?;
/// assert_eq!((request.path(), request.authority()), ("/chat?room=1", "example.com"));
/// // A classic CONNECT (no `:protocol`) is a tunnel, not a WebSocket (RFC 8441 §4).
/// let tunnel = [(":method", "CONNECT"), (":authority", "example.com:443")];
/// let err = h2::parse_connect_request(&tunnel).unwrap_err();
/// assert_eq!(err, RequestError::NotExtendedConnect);
/// assert_eq!(h2::rejection_headers(&err), [(":status".to_string(), "400".to_string())]);
/// # Ok::<(), RequestError>(())
/// ```
pub fn parse_connect_request<'a>(
    headers: &'a [(&'a str, &'a str)],
) -> Result<ConnectRequest<'a>, RequestError> {
    let [method, protocol, scheme, path, authority] = pseudo_headers(headers)?;
    match (method, protocol) {
        (Some("CONNECT"), Some("websocket")) => {}
        (Some("CONNECT"), Some(_)) => return Err(RequestError::UnsupportedProtocol),
        (Some(_), Some(_)) => return Err(RequestError::Malformed),
        _ => return Err(RequestError::NotExtendedConnect),
    }
    let scheme = scheme.ok_or(RequestError::MissingPseudoHeader(":scheme"))?;
    let path = path.ok_or(RequestError::MissingPseudoHeader(":path"))?;
    let authority = authority.ok_or(RequestError::MissingPseudoHeader(":authority"))?;
    if scheme != "https" && scheme != "http" {
        return Err(RequestError::InvalidPseudoHeader(":scheme"));
    }
    if !path.starts_with('/') || path.contains('#') || !path.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(RequestError::InvalidPseudoHeader(":path"));
    }
    if authority.is_empty() || !authority.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(RequestError::InvalidPseudoHeader(":authority"));
    }
    let fields: Vec<HeaderField<'a>> = headers
        .iter()
        .filter(|(n, _)| !n.starts_with(':'))
        .map(|&(name, value)| HeaderField {
            name,
            value: trim_ows(value.as_bytes()),
        })
        .collect();
    let offer = check_extended_connect(Fields::new(&fields))?;
    Ok(ConnectRequest {
        scheme,
        authority,
        path,
        offer,
        headers,
    })
}

/// The pseudo-headers `[:method, :protocol, :scheme, :path, :authority]` of a well-formed
/// header list (RFC 9113 §8.2, §8.3): lower-case names, pseudo-headers first, each known and
/// at most once, no connection-specific field.
fn pseudo_headers<'a>(
    headers: &'a [(&'a str, &'a str)],
) -> Result<[Option<&'a str>; 5], RequestError> {
    let mut pseudo: [Option<&'a str>; 5] = [None; 5];
    let mut regular = false;
    for &(name, value) in headers {
        if name.bytes().any(|c| c.is_ascii_uppercase()) || name.is_empty() {
            return Err(RequestError::Malformed);
        }
        if name.starts_with(':') {
            let i = PSEUDO
                .iter()
                .position(|p| *p == name)
                .ok_or(RequestError::Malformed)?;
            let slot = pseudo.get_mut(i).ok_or(RequestError::Malformed)?;
            if regular || slot.is_some() {
                return Err(RequestError::Malformed);
            }
            *slot = Some(value);
        } else {
            regular = true;
            if CONNECTION_SPECIFIC.contains(&name) {
                return Err(RequestError::Malformed);
            }
        }
    }
    Ok(pseudo)
}

impl<'a> ConnectRequest<'a> {
    /// `:scheme`: `https` (wss) or `http` (ws).
    pub fn scheme(&self) -> &'a str {
        self.scheme
    }

    /// `:authority`, standing in for `Host`.
    pub fn authority(&self) -> &'a str {
        self.authority
    }

    /// `:path`, the resource name with any query.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// `origin`, if sent.
    pub fn origin(&self) -> Option<&'a str> {
        self.offer.origin
    }

    /// The offered subprotocols, in order.
    pub fn subprotocols(&self) -> &[&'a str] {
        &self.offer.subprotocols
    }

    /// The extension offers, in order.
    pub fn extension_offers(&self) -> &[Extension] {
        &self.offer.extensions
    }

    /// The whole header list as received.
    pub fn headers(&self) -> &'a [(&'a str, &'a str)] {
        self.headers
    }

    /// A 403 [`Rejection`] unless `origin` is absent or equals one of `allowed`
    /// (ASCII-case-insensitively): the rule of
    /// [`Request::check_origin`](super::Request::check_origin) over HTTP/1.1 (RFC 6455 §10.2).
    ///
    /// # Errors
    /// The 403 rejection to send.
    ///
    /// ```
    /// use wswire::handshake::h2;
    ///
    /// let headers = [
    ///     (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
    ///     (":path", "/"), (":authority", "app.example"), ("sec-websocket-version", "13"),
    ///     ("origin", "https://evil.example"),
    /// ];
    /// let request = h2::parse_connect_request(&headers)?;
    /// assert!(request.check_origin(&["https://APP.example", "https://evil.example"]).is_ok());
    /// assert_eq!(request.check_origin(&["https://app.example"]).unwrap_err().status().as_u16(), 403);
    /// # Ok::<(), wswire::handshake::RequestError>(())
    /// ```
    pub fn check_origin(&self, allowed: &[&str]) -> Result<(), Rejection> {
        match self.offer.origin {
            Some(o) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(o)) => {
                Err(Rejection::with_status(StatusCode::FORBIDDEN))
            }
            _ => Ok(()),
        }
    }

    /// Accepts with the config's subprotocol preferences, extension negotiators and extra
    /// headers.
    ///
    /// ```
    /// use wswire::handshake::{ServerConfig, h2};
    ///
    /// let mut config = ServerConfig::default();
    /// config.subprotocols(["chat"])?;
    /// let headers = [
    ///     (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
    ///     (":path", "/"), (":authority", "example.com"), ("sec-websocket-version", "13"),
    ///     ("sec-websocket-protocol", "superchat, chat"),
    /// ];
    /// let accepted = h2::parse_connect_request(&headers)?.accept(&config);
    /// // A 200 and no accept key: `:protocol` supersedes the key exchange (RFC 8441 §5).
    /// let response: Vec<(&str, &str)> =
    ///     accepted.headers().iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    /// assert_eq!(response, [(":status", "200"), ("sec-websocket-protocol", "chat")]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn accept(&self, config: &ServerConfig) -> ConnectAccepted {
        ConnectAccepted::new(self.offer.accept(config))
    }

    /// Accepts with an application-chosen subprotocol (or none) and extra headers.
    ///
    /// # Errors
    /// [`BuildError::SubprotocolNotOffered`] or [`BuildError::InvalidHeader`].
    pub fn accept_with(
        &self,
        config: &ServerConfig,
        subprotocol: Option<&str>,
        extra_headers: &[(&str, &str)],
    ) -> Result<ConnectAccepted, BuildError> {
        let agreement = self.offer.accept_with(config, subprotocol, extra_headers)?;
        Ok(ConnectAccepted::new(agreement))
    }
}

/// An accepted extended CONNECT: the response header list and what was negotiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectAccepted {
    negotiated: Negotiated,
    headers: Vec<(String, String)>,
}

impl ConnectAccepted {
    fn new(agreement: Agreement) -> Self {
        let Agreement {
            negotiated,
            headers: extra,
        } = agreement;
        let mut headers = alloc::vec![(":status".to_string(), "200".to_string())];
        if let Some(p) = negotiated.subprotocol() {
            headers.push(("sec-websocket-protocol".to_string(), p.to_string()));
        }
        if !negotiated.extensions().is_empty() {
            headers.push((
                "sec-websocket-extensions".to_string(),
                extensions::format_header(negotiated.extensions()),
            ));
        }
        for (n, v) in extra {
            headers.push((n.to_ascii_lowercase(), v));
        }
        Self {
            negotiated,
            headers,
        }
    }

    /// The response header list: `:status` `200`, then `sec-websocket-protocol` and
    /// `sec-websocket-extensions` when chosen, then extra headers (names lower-cased).
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// What was negotiated.
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// What was negotiated, owned.
    pub fn into_negotiated(self) -> Negotiated {
        self.negotiated
    }
}

/// A client's extended CONNECT: the request header list and the check of the response.
#[derive(Debug)]
pub struct ConnectClient {
    headers: Vec<(String, String)>,
    expected: Expected,
}

impl ClientRequest {
    /// Starts an RFC 8441 / RFC 9220 handshake: `secure` picks `:scheme` `https` (wss) or
    /// `http` (ws). The host becomes `:authority`; no key is sent.
    ///
    /// ```
    /// use wswire::handshake::ClientRequest;
    ///
    /// let mut request = ClientRequest::new("example.com", "/chat")?;
    /// request.subprotocols(["chat"])?;
    /// let client = request.start_h2(true); // wss://
    /// let sent: Vec<(&str, &str)> =
    ///     client.request_headers().iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    /// assert_eq!(sent, [
    ///     (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
    ///     (":path", "/chat"), (":authority", "example.com"),
    ///     ("sec-websocket-version", "13"), ("sec-websocket-protocol", "chat"),
    /// ]);
    /// # Ok::<(), wswire::handshake::BuildError>(())
    /// ```
    pub fn start_h2(self, secure: bool) -> ConnectClient {
        let (expected, parts) = self.into_parts();
        let RequestParts {
            host,
            resource,
            origin,
            headers: extra,
        } = parts;
        let mut headers = alloc::vec![
            (":method".to_string(), "CONNECT".to_string()),
            (":protocol".to_string(), "websocket".to_string()),
            (
                ":scheme".to_string(),
                (if secure { "https" } else { "http" }).to_string()
            ),
            (":path".to_string(), resource),
            (":authority".to_string(), host),
            ("sec-websocket-version".to_string(), VERSION.to_string()),
        ];
        if let Some(o) = origin {
            headers.push(("origin".to_string(), o));
        }
        if !expected.subprotocols.is_empty() {
            headers.push((
                "sec-websocket-protocol".to_string(),
                expected.subprotocols.join(", "),
            ));
        }
        if !expected.offers.is_empty() {
            headers.push((
                "sec-websocket-extensions".to_string(),
                extensions::format_header(&expected.offers),
            ));
        }
        for (n, v) in extra {
            headers.push((n.to_ascii_lowercase(), v));
        }
        ConnectClient { headers, expected }
    }
}

impl ConnectClient {
    /// The request header list to send, pseudo-headers first.
    pub fn request_headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Checks the response header list (RFC 8441 §5): exactly one `:status`; a 2xx succeeds,
    /// anything else is [`ResponseError::UnexpectedStatus`]; then the same subprotocol and
    /// extension checks as over HTTP/1.1.
    ///
    /// # Errors
    /// A [`ResponseError`]; the stream must be reset.
    ///
    /// ```
    /// use wswire::handshake::{ClientRequest, ResponseError, StatusCode};
    ///
    /// let mut request = ClientRequest::new("example.com", "/chat")?;
    /// request.subprotocols(["chat"])?;
    /// let client = request.start_h2(true);
    /// let ok = client.check_response(&[(":status", "200"), ("sec-websocket-protocol", "chat")])?;
    /// assert_eq!(ok.subprotocol(), Some("chat"));
    /// // Any status outside 2xx is a refusal, with its fields for the caller to inspect.
    /// let refused = client.check_response(&[(":status", "403")]).unwrap_err();
    /// let ResponseError::UnexpectedStatus(s) = refused else { unreachable!() };
    /// assert_eq!(s.status(), StatusCode::FORBIDDEN);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_response(&self, headers: &[(&str, &str)]) -> Result<Negotiated, ResponseError> {
        let mut status = None;
        for &(name, value) in headers {
            if name.bytes().any(|c| c.is_ascii_uppercase()) {
                return Err(ResponseError::MalformedHeaderList);
            }
            if name == ":status" {
                if status.is_some() {
                    return Err(ResponseError::MalformedHeaderList);
                }
                let code = (value.len() == 3 && value.bytes().all(|c| c.is_ascii_digit()))
                    .then(|| value.parse::<u16>().ok())
                    .flatten()
                    .ok_or(ResponseError::MalformedHeaderList)?;
                status = Some(StatusCode::from_u16(code));
            } else if name.starts_with(':') {
                return Err(ResponseError::MalformedHeaderList);
            }
        }
        let status = status.ok_or(ResponseError::MalformedHeaderList)?;
        if !(200..300).contains(&status.as_u16()) {
            return Err(ResponseError::UnexpectedStatus(alloc::boxed::Box::new(
                UnexpectedStatus {
                    status,
                    headers: headers
                        .iter()
                        .filter(|(n, _)| !n.starts_with(':'))
                        .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                        .collect(),
                    consumed: 0,
                },
            )));
        }
        let lines = |name: &'static str| {
            headers
                .iter()
                .filter(move |(n, _)| *n == name)
                .map(|(_, v)| v.as_bytes())
        };
        self.expected.check_negotiation(
            lines("sec-websocket-protocol"),
            lines("sec-websocket-extensions"),
        )
    }
}
