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
use core::fmt;

use super::client::{Expected, RequestParts, ResponseError, UnexpectedStatus};
use super::headers::{is_extra_header, parse_token_list};
use super::{BuildError, ClientRequest, Negotiated, ServerConfig, StatusCode, VERSION};
use crate::extensions::{self, Extension, ExtensionHeaderError};

/// Why an extended CONNECT is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectError {
    /// A malformed header list (RFC 9113 §8.2, §8.3): an upper-case field name, a
    /// pseudo-header after a regular field, an unknown or repeated pseudo-header, a
    /// connection-specific field (`connection`, `upgrade`, `keep-alive`, `proxy-connection`,
    /// `transfer-encoding`), or `:protocol` on a method other than CONNECT. The stack should
    /// treat it as a stream error of type PROTOCOL_ERROR; if it answers instead, 400.
    Malformed,
    /// Not an extended CONNECT: `:method` other than CONNECT, or no `:protocol`. 400.
    NotExtendedConnect,
    /// `:protocol` other than `websocket` (RFC 8441 §4). 400.
    UnsupportedProtocol,
    /// A required pseudo-header is missing (RFC 8441 §4: `:scheme`, `:path`, `:authority`). 400.
    MissingPseudoHeader(&'static str),
    /// `:scheme` other than `https` or `http`, an empty `:authority`, or a `:path` that does
    /// not start with `/` or holds a fragment. 400.
    InvalidPseudoHeader(&'static str),
    /// A field that must appear at most once appeared twice. 400.
    DuplicateHeader(&'static str),
    /// No `sec-websocket-version`. 400 with `sec-websocket-version: 13`.
    MissingVersion,
    /// `sec-websocket-version` other than `13`. 426 with `sec-websocket-version: 13`.
    UnsupportedVersion,
    /// An `origin` that is not visible ASCII. 400.
    InvalidOrigin,
    /// A `sec-websocket-protocol` that is not a list of unique tokens. 400.
    InvalidSubprotocols,
    /// A `sec-websocket-extensions` outside the grammar (RFC 6455 §9.1). 400.
    InvalidExtensions(ExtensionHeaderError),
}

impl ConnectError {
    /// The status to answer with.
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::UnsupportedVersion => StatusCode::UPGRADE_REQUIRED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The whole response header list: `:status` first, then `sec-websocket-version: 13` for
    /// version failures.
    pub fn response_headers(&self) -> Vec<(String, String)> {
        let mut v = alloc::vec![(":status".to_string(), self.status().to_string())];
        if matches!(self, Self::MissingVersion | Self::UnsupportedVersion) {
            v.push(("sec-websocket-version".to_string(), VERSION.to_string()));
        }
        v
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("malformed extended CONNECT header list"),
            Self::NotExtendedConnect => f.write_str("not an extended CONNECT request"),
            Self::UnsupportedProtocol => f.write_str(":protocol must be websocket"),
            Self::MissingPseudoHeader(h) => write!(f, "missing {h}"),
            Self::InvalidPseudoHeader(h) => write!(f, "invalid {h}"),
            Self::DuplicateHeader(h) => write!(f, "duplicate {h}"),
            Self::MissingVersion => f.write_str("missing sec-websocket-version"),
            Self::UnsupportedVersion => f.write_str("unsupported sec-websocket-version"),
            Self::InvalidOrigin => f.write_str("invalid origin"),
            Self::InvalidSubprotocols => f.write_str("invalid sec-websocket-protocol"),
            Self::InvalidExtensions(e) => write!(f, "invalid extensions: {e}"),
        }
    }
}

impl core::error::Error for ConnectError {}

/// A valid extended CONNECT for WebSocket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectRequest<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
    origin: Option<&'a str>,
    subprotocols: Vec<&'a str>,
    extensions: Vec<Extension>,
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
/// and `:protocol`, the other pseudo-headers, `sec-websocket-version`, `origin`,
/// `sec-websocket-protocol`, `sec-websocket-extensions`.
///
/// # Errors
/// A [`ConnectError`] with the status to answer with.
pub fn parse_connect_request<'a>(
    headers: &'a [(&'a str, &'a str)],
) -> Result<ConnectRequest<'a>, ConnectError> {
    let mut pseudo: [Option<&'a str>; 5] = [None; 5];
    let mut regular = false;
    for &(name, value) in headers {
        if name.bytes().any(|c| c.is_ascii_uppercase()) || name.is_empty() {
            return Err(ConnectError::Malformed);
        }
        if name.starts_with(':') {
            let i = PSEUDO
                .iter()
                .position(|p| *p == name)
                .ok_or(ConnectError::Malformed)?;
            let slot = pseudo.get_mut(i).ok_or(ConnectError::Malformed)?;
            if regular || slot.is_some() {
                return Err(ConnectError::Malformed);
            }
            *slot = Some(value);
        } else {
            regular = true;
            if CONNECTION_SPECIFIC.contains(&name) {
                return Err(ConnectError::Malformed);
            }
        }
    }
    let [method, protocol, scheme, path, authority] = pseudo;
    match (method, protocol) {
        (Some("CONNECT"), Some("websocket")) => {}
        (Some("CONNECT"), Some(_)) => return Err(ConnectError::UnsupportedProtocol),
        (Some(_), Some(_)) => return Err(ConnectError::Malformed),
        _ => return Err(ConnectError::NotExtendedConnect),
    }
    let scheme = scheme.ok_or(ConnectError::MissingPseudoHeader(":scheme"))?;
    let path = path.ok_or(ConnectError::MissingPseudoHeader(":path"))?;
    let authority = authority.ok_or(ConnectError::MissingPseudoHeader(":authority"))?;
    if scheme != "https" && scheme != "http" {
        return Err(ConnectError::InvalidPseudoHeader(":scheme"));
    }
    if !path.starts_with('/') || path.contains('#') || !path.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(ConnectError::InvalidPseudoHeader(":path"));
    }
    if authority.is_empty() || !authority.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(ConnectError::InvalidPseudoHeader(":authority"));
    }
    let single = |name: &'static str| -> Result<Option<&'a str>, ConnectError> {
        let mut it = headers.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v);
        let first = it.next();
        if it.next().is_some() {
            return Err(ConnectError::DuplicateHeader(name));
        }
        Ok(first)
    };
    match single("sec-websocket-version")? {
        None => return Err(ConnectError::MissingVersion),
        Some(v) if v.trim_matches([' ', '\t']) != VERSION => {
            return Err(ConnectError::UnsupportedVersion);
        }
        Some(_) => {}
    }
    let origin = match single("origin")? {
        Some(o) if o.is_empty() || !o.bytes().all(|c| c.is_ascii_graphic()) => {
            return Err(ConnectError::InvalidOrigin);
        }
        o => o,
    };
    let lines = |name: &'static str| {
        headers
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_bytes())
    };
    let mut subprotocols = Vec::new();
    if lines("sec-websocket-protocol").next().is_some() {
        parse_token_list(lines("sec-websocket-protocol"), &mut subprotocols)
            .map_err(|_| ConnectError::InvalidSubprotocols)?;
    }
    let mut offers = Vec::new();
    let mut any = false;
    for line in lines("sec-websocket-extensions") {
        any = true;
        extensions::parse_header_into(line, &mut offers)
            .map_err(ConnectError::InvalidExtensions)?;
    }
    if any && offers.is_empty() {
        return Err(ConnectError::InvalidExtensions(ExtensionHeaderError::Empty));
    }
    Ok(ConnectRequest {
        scheme,
        authority,
        path,
        origin,
        subprotocols,
        extensions: offers,
        headers,
    })
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
        self.origin
    }

    /// The offered subprotocols, in order.
    pub fn subprotocols(&self) -> &[&'a str] {
        &self.subprotocols
    }

    /// The extension offers, in order.
    pub fn extension_offers(&self) -> &[Extension] {
        &self.extensions
    }

    /// The whole header list as received.
    pub fn headers(&self) -> &'a [(&'a str, &'a str)] {
        self.headers
    }

    /// Accepts with the config's subprotocol preferences, extension negotiators and extra
    /// headers.
    pub fn accept(&self, config: &ServerConfig) -> ConnectAccepted {
        let subprotocol = config.select_subprotocol(&self.subprotocols);
        self.accepted(config, subprotocol, &[])
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
        if subprotocol.is_some_and(|p| !self.subprotocols.contains(&p)) {
            return Err(BuildError::SubprotocolNotOffered);
        }
        if extra_headers.iter().any(|(n, v)| !is_extra_header(n, v)) {
            return Err(BuildError::InvalidHeader);
        }
        Ok(self.accepted(config, subprotocol, extra_headers))
    }

    fn accepted(
        &self,
        config: &ServerConfig,
        subprotocol: Option<&str>,
        extra: &[(&str, &str)],
    ) -> ConnectAccepted {
        let extensions = config.negotiate_extensions(&self.extensions);
        let mut headers = alloc::vec![(":status".to_string(), "200".to_string())];
        if let Some(p) = subprotocol {
            headers.push(("sec-websocket-protocol".to_string(), p.to_string()));
        }
        if !extensions.is_empty() {
            headers.push((
                "sec-websocket-extensions".to_string(),
                extensions::format_header(&extensions),
            ));
        }
        let config_headers = config
            .extra_headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()));
        for (n, v) in config_headers.chain(extra.iter().copied()) {
            headers.push((n.to_ascii_lowercase(), v.to_string()));
        }
        ConnectAccepted {
            negotiated: Negotiated {
                subprotocol: subprotocol.map(ToString::to_string),
                extensions,
            },
            headers,
        }
    }
}

/// An accepted extended CONNECT: the response header list and what was negotiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectAccepted {
    negotiated: Negotiated,
    headers: Vec<(String, String)>,
}

impl ConnectAccepted {
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
