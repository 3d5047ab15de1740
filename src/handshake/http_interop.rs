//! Interop with the `http` crate (feature `http`): validate an [`http::Request`] that an
//! HTTP/1.1 stack (hyper, axum, …) already parsed, with the same rules as the byte-level
//! server, and answer with an [`http::Response`].
//!
//! The stack then performs the upgrade (e.g. `hyper::upgrade::on`) and hands the raw
//! connection's bytes to the frame layer. An HTTP/2 extended CONNECT goes through
//! [`super::h2`] instead: the `http` types do not carry `:protocol`.
//!
//! ```
//! use wswire::handshake::{ServerConfig, http_interop};
//!
//! let req = http::Request::get("/chat")
//!     .header("Host", "server.example.com")
//!     .header("Upgrade", "websocket")
//!     .header("Connection", "Upgrade")
//!     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
//!     .header("Sec-WebSocket-Version", "13")
//!     .body(())?;
//! let (response, negotiated) = http_interop::upgrade(&req, &ServerConfig::default())
//!     .map_err(|rejection| format!("refused with {}", rejection.status()))?;
//! assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
//! assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! assert_eq!(negotiated.subprotocol(), None);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::vec::Vec;

use super::headers::trim_ows;
use super::server::{resource, validate_parsed};
use super::{Accepted, HeaderField, Negotiated, Rejection, Request, RequestError, ServerConfig};
use crate::extensions;

/// Validates `req` as a WebSocket upgrade (RFC 6455 §4.2.1), exactly as
/// [`super::ServerHandshake`] does for bytes. HTTP/1.0, HTTP/2 and HTTP/3 requests are refused
/// with 505.
///
/// # Errors
/// A [`RequestError`]; answer with [`RequestError::rejection`] and
/// [`Rejection::to_http_response`].
///
/// ```
/// use wswire::handshake::http_interop;
///
/// let req = http::Request::get("/chat")
///     .header("Host", "server.example.com")
///     .header("Upgrade", "websocket")
///     .header("Connection", "Upgrade")
///     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
///     .header("Sec-WebSocket-Version", "13")
///     .header("Origin", "https://evil.example")
///     .body(())?;
/// let request = http_interop::validate(&req)?;
/// assert_eq!(request.path(), "/chat");
/// // Inspect before accepting: a page from another site is refused (RFC 6455 §10.2).
/// let refusal = request.check_origin(&["https://app.example"]).unwrap_err();
/// assert_eq!(refusal.to_http_response().status(), http::StatusCode::FORBIDDEN);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn validate<B>(req: &http::Request<B>) -> Result<Request<'_>, RequestError> {
    let http11 = req.version() == http::Version::HTTP_11;
    let uri = req.uri();
    let (target, resource) = match uri.path_and_query() {
        Some(pq) if uri.scheme().is_none() => (pq.as_str(), resource(pq.as_str())),
        // Absolute form: the resource name is the path (`/` when empty) and the query (RFC
        // 6455 §4.2.1 item 1); `http://host?q` has no path, so `pq.as_str()` is `?q`.
        Some(pq) if matches!(uri.scheme_str(), Some("http" | "https")) => {
            (pq.as_str(), Some((uri.path(), uri.query())))
        }
        // No resource name: refused as such, after the method and the version as the byte
        // server does.
        _ => ("", None),
    };
    let fields: Vec<HeaderField<'_>> = req
        .headers()
        .iter()
        .map(|(n, v)| HeaderField {
            name: n.as_str(),
            value: trim_ows(v.as_bytes()),
        })
        .collect();
    validate_parsed(req.method().as_str(), http11, target, resource, fields)
}

/// Validates and accepts with the config's choices in one step: the 101 response and what
/// was negotiated, or the rejection response.
///
/// # Errors
/// The response to send when the request is refused.
///
/// ```
/// use wswire::handshake::{ServerConfig, http_interop};
///
/// let req = http::Request::get("/chat")
///     .header("Host", "server.example.com")
///     .header("Upgrade", "websocket")
///     .header("Connection", "Upgrade")
///     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
///     .header("Sec-WebSocket-Version", "8") // a pre-RFC draft
///     .body(())?;
/// let refusal = http_interop::upgrade(&req, &ServerConfig::default()).unwrap_err();
/// // 426 naming the version this server speaks (RFC 6455 §4.2.2 /version/, §4.4).
/// assert_eq!(refusal.status(), http::StatusCode::UPGRADE_REQUIRED);
/// assert_eq!(refusal.headers()["sec-websocket-version"], "13");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn upgrade<B>(
    req: &http::Request<B>,
    config: &ServerConfig,
) -> Result<(http::Response<()>, Negotiated), http::Response<()>> {
    match validate(req) {
        Ok(r) => {
            let accepted = r.accept(config);
            Ok((accepted.to_http_response(), accepted.into_negotiated()))
        }
        Err(e) => Err(e.rejection().to_http_response()),
    }
}

impl Accepted {
    /// The 101 response as an [`http::Response`], with the same headers as
    /// [`Accepted::write_to`].
    ///
    /// ```
    /// use wswire::handshake::{ServerConfig, http_interop};
    ///
    /// let req = http::Request::get("/")
    ///     .header("Host", "server.example.com")
    ///     .header("Upgrade", "websocket")
    ///     .header("Connection", "Upgrade")
    ///     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
    ///     .header("Sec-WebSocket-Version", "13")
    ///     .header("Sec-WebSocket-Protocol", "chat")
    ///     .body(())?;
    /// let request = http_interop::validate(&req)?;
    /// let accepted = request.accept_with(&ServerConfig::default(), Some("chat"), &[])?;
    /// let response = accepted.to_http_response(); // hand it to the HTTP stack
    /// assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
    /// assert_eq!(response.headers()["sec-websocket-protocol"], "chat");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_http_response(&self) -> http::Response<()> {
        let mut b = http::Response::builder()
            .status(http::StatusCode::SWITCHING_PROTOCOLS)
            .header(http::header::UPGRADE, "websocket")
            .header(http::header::CONNECTION, "Upgrade")
            .header(
                http::header::SEC_WEBSOCKET_ACCEPT,
                self.accept_key().as_str(),
            );
        if let Some(p) = self.negotiated().subprotocol() {
            b = b.header(http::header::SEC_WEBSOCKET_PROTOCOL, p);
        }
        if !self.negotiated().extensions().is_empty() {
            b = b.header(
                http::header::SEC_WEBSOCKET_EXTENSIONS,
                extensions::format_header(self.negotiated().extensions()),
            );
        }
        for (n, v) in self.headers() {
            b = b.header(n.as_str(), v.as_str());
        }
        // Every name and value was checked when it was added, so the builder cannot fail; fall
        // back to a bare 500 rather than panic if that invariant were ever broken.
        b.body(()).unwrap_or_else(|_| internal_error())
    }
}

impl Rejection {
    /// The rejection as an [`http::Response`]: status, `Connection: close` and the extra
    /// headers. The body is not carried (the type is `()`); send [`Rejection::body_text`]
    /// with the stack's own framing if wanted.
    ///
    /// ```
    /// use wswire::handshake::{Rejection, StatusCode};
    ///
    /// let mut rejection = Rejection::new(StatusCode::SERVICE_UNAVAILABLE)?; // shutting down
    /// rejection.header("Retry-After", "120")?;
    /// let response = rejection.to_http_response();
    /// assert_eq!(response.status(), http::StatusCode::SERVICE_UNAVAILABLE);
    /// assert_eq!(response.headers()["connection"], "close");
    /// assert_eq!(response.headers()["retry-after"], "120");
    /// # Ok::<(), wswire::handshake::BuildError>(())
    /// ```
    pub fn to_http_response(&self) -> http::Response<()> {
        let mut b = http::Response::builder()
            .status(self.status().as_u16())
            .header(http::header::CONNECTION, "close");
        for (n, v) in self.headers() {
            b = b.header(n.as_str(), v.as_str());
        }
        b.body(()).unwrap_or_else(|_| internal_error())
    }
}

fn internal_error() -> http::Response<()> {
    let mut r = http::Response::new(());
    *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    r
}
