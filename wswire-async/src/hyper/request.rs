//! The request [`upgrade_with`](super::upgrade_with)'s `decide` sees: an HTTP/1.1 Upgrade or
//! an HTTP/2 extended CONNECT (RFC 8441), validated by wswire's handshake module, with what
//! both have in common.

use std::fmt;

use wswire::extensions::Extension;
use wswire::handshake::h2::{self, ConnectAccepted, ConnectRequest};
use wswire::handshake::{
    Accepted, BuildError, Negotiated, Rejection, Request, RequestError, ServerConfig, http_interop,
};

/// Which HTTP carried a WebSocket's opening handshake, and so carries the WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// An HTTP/1.1 Upgrade (RFC 6455 §4): the connection is the WebSocket's.
    Http1,
    /// An HTTP/2 extended CONNECT (RFC 8441): one stream of a connection is the WebSocket's.
    Http2,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Http1 => "HTTP/1.1",
            Self::Http2 => "HTTP/2",
        })
    }
}

/// A valid WebSocket request, over either HTTP: what [`upgrade_with`](super::upgrade_with)'s
/// `decide` answers with [`accept`](Self::accept) / [`accept_with`](Self::accept_with), or a
/// [`Rejection`]. The variants give the whole request of each kind.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum UpgradeRequest<'a> {
    /// An HTTP/1.1 Upgrade, as [`http_interop::validate`] checked it.
    Http1(Request<'a>),
    /// An HTTP/2 extended CONNECT, as [`h2::parse_connect_request`] checked it.
    Http2(ConnectRequest<'a>),
}

/// An accepted request, from [`UpgradeRequest::accept`] or [`UpgradeRequest::accept_with`]:
/// the response for the request's HTTP (101, or 200 for an extended CONNECT) and what was
/// negotiated.
#[derive(Clone, Debug)]
pub struct Acceptance(pub(crate) Answer);

#[derive(Clone, Debug)]
pub(crate) enum Answer {
    Http1(Accepted),
    Http2(ConnectAccepted),
}

impl Acceptance {
    /// What was negotiated (subprotocol, extensions).
    pub fn negotiated(&self) -> &Negotiated {
        match &self.0 {
            Answer::Http1(a) => a.negotiated(),
            Answer::Http2(a) => a.negotiated(),
        }
    }
}

impl<'a> UpgradeRequest<'a> {
    /// The HTTP that carries it.
    pub fn transport(&self) -> Transport {
        match self {
            Self::Http1(_) => Transport::Http1,
            Self::Http2(_) => Transport::Http2,
        }
    }

    /// The request target: path and query (`:path` over HTTP/2).
    pub fn target(&self) -> &'a str {
        match self {
            Self::Http1(r) => r.target(),
            Self::Http2(r) => r.path(),
        }
    }

    /// The path, without the query.
    pub fn path(&self) -> &'a str {
        let target = self.target();
        target.split_once('?').map_or(target, |(path, _)| path)
    }

    /// `Origin`, if sent.
    pub fn origin(&self) -> Option<&'a str> {
        match self {
            Self::Http1(r) => r.origin(),
            Self::Http2(r) => r.origin(),
        }
    }

    /// The offered subprotocols, in the client's order.
    pub fn subprotocols(&self) -> &[&'a str] {
        match self {
            Self::Http1(r) => r.subprotocols(),
            Self::Http2(r) => r.subprotocols(),
        }
    }

    /// The extension offers, in the client's order.
    pub fn extension_offers(&self) -> &[Extension] {
        match self {
            Self::Http1(r) => r.extension_offers(),
            Self::Http2(r) => r.extension_offers(),
        }
    }

    /// The first value of the header `name` (ASCII-case-insensitively), surrounding
    /// whitespace removed.
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        match self {
            Self::Http1(r) => r.header(name),
            Self::Http2(r) => r
                .headers()
                .iter()
                .find(|(n, _)| !n.starts_with(':') && n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim_matches([' ', '\t']).as_bytes()),
        }
    }

    /// A 403 unless `Origin` is absent or one of `allowed` (RFC 6455 §10.2).
    ///
    /// # Errors
    /// The 403 rejection to return from `decide`.
    pub fn check_origin(&self, allowed: &[&str]) -> Result<(), Rejection> {
        match self {
            Self::Http1(r) => r.check_origin(allowed),
            Self::Http2(r) => r.check_origin(allowed),
        }
    }

    /// Accepts with the config's choices (subprotocol preferences, extensions, extra
    /// headers).
    pub fn accept(&self, server: &ServerConfig) -> Acceptance {
        Acceptance(match self {
            Self::Http1(r) => Answer::Http1(r.accept(server)),
            Self::Http2(r) => Answer::Http2(r.accept(server)),
        })
    }

    /// Accepts with the application's subprotocol (one the client offered, or none) and
    /// extra headers for this response.
    ///
    /// # Errors
    /// [`BuildError::SubprotocolNotOffered`] or [`BuildError::InvalidHeader`].
    pub fn accept_with(
        &self,
        server: &ServerConfig,
        subprotocol: Option<&str>,
        extra_headers: &[(&str, &str)],
    ) -> Result<Acceptance, BuildError> {
        Ok(Acceptance(match self {
            Self::Http1(r) => Answer::Http1(r.accept_with(server, subprotocol, extra_headers)?),
            Self::Http2(r) => Answer::Http2(r.accept_with(server, subprotocol, extra_headers)?),
        }))
    }
}

/// Whether `req` is an HTTP/2 CONNECT, to be checked as an extended CONNECT (RFC 8441 §4).
fn is_h2_connect<B>(req: &http::Request<B>) -> bool {
    req.version() == http::Version::HTTP_2 && req.method() == http::Method::CONNECT
}

/// An HTTP/2 request as the header list RFC 8441 describes: the pseudo-headers (`:protocol`
/// from hyper's extension, the others from the URI), then the regular fields. `None` for a
/// field value that is not UTF-8.
fn header_list<B>(req: &http::Request<B>) -> Option<Vec<(&str, &str)>> {
    let uri = req.uri();
    let mut list = vec![(":method", req.method().as_str())];
    #[cfg(feature = "h2")]
    if let Some(protocol) = req.extensions().get::<::hyper::ext::Protocol>() {
        list.push((":protocol", protocol.as_str()));
    }
    let pseudo = [
        (":scheme", uri.scheme_str()),
        (
            ":path",
            uri.path_and_query().map(http::uri::PathAndQuery::as_str),
        ),
        (
            ":authority",
            uri.authority().map(http::uri::Authority::as_str),
        ),
    ];
    list.extend(pseudo.into_iter().filter_map(|(n, v)| Some((n, v?))));
    for (name, value) in req.headers() {
        list.push((name.as_str(), std::str::from_utf8(value.as_bytes()).ok()?));
    }
    Some(list)
}

/// Validates `req` with wswire's checks for its HTTP (an HTTP/2 CONNECT as an extended
/// CONNECT, anything else as an HTTP/1.1 Upgrade) and runs `f` on the valid request.
pub(crate) fn with_request<B, T>(
    req: &http::Request<B>,
    f: impl FnOnce(&UpgradeRequest<'_>) -> T,
) -> Result<T, RequestError> {
    if is_h2_connect(req) {
        let list = header_list(req).ok_or(RequestError::Malformed)?;
        let request = h2::parse_connect_request(&list)?;
        Ok(f(&UpgradeRequest::Http2(request)))
    } else {
        let request = http_interop::validate(req)?;
        Ok(f(&UpgradeRequest::Http1(request)))
    }
}

/// The HTTP that carries `req`'s WebSocket, if it is one.
pub(crate) fn transport_of<B>(req: &http::Request<B>) -> Transport {
    if is_h2_connect(req) {
        Transport::Http2
    } else {
        Transport::Http1
    }
}

/// An accepted request's response: the 101 with its headers, or the 200 from
/// [`ConnectAccepted::headers`].
pub(crate) fn accepted_response(answer: &Answer) -> http::Response<String> {
    match answer {
        Answer::Http1(a) => a.to_http_response().map(|()| String::new()),
        Answer::Http2(a) => {
            list_response(a.headers().iter().map(|(n, v)| (n.as_str(), v.as_str())))
        }
    }
}

/// A response from an HTTP/2 header list: `:status`, then the fields (checked by wswire
/// when they were added; one that `http` refuses is left out).
pub(crate) fn list_response<'a>(
    list: impl Iterator<Item = (&'a str, &'a str)>,
) -> http::Response<String> {
    let mut response = http::Response::new(String::new());
    for (name, value) in list {
        if name == ":status" {
            if let Ok(status) = http::StatusCode::from_bytes(value.as_bytes()) {
                *response.status_mut() = status;
            }
        } else if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(n, v);
        }
    }
    response
}

#[cfg(all(test, feature = "h2"))]
mod tests {
    use super::*;

    fn connect(version: &str) -> http::Request<()> {
        let mut req = http::Request::builder()
            .method(http::Method::CONNECT)
            .version(http::Version::HTTP_2)
            .uri("https://example.com/chat?room=1")
            .header("sec-websocket-version", version)
            .header("sec-websocket-protocol", "chat, superchat")
            .body(())
            .unwrap();
        let protocol = ::hyper::ext::Protocol::from_static("websocket");
        req.extensions_mut().insert(protocol);
        req
    }

    #[test]
    fn an_http2_connect_is_checked_as_an_extended_connect_and_answered_with_a_200() {
        let mut server = ServerConfig::default();
        server.subprotocols(["superchat"]).unwrap();
        let req = connect("13");
        let answer = with_request(&req, |r| {
            assert_eq!(r.transport(), Transport::Http2);
            assert_eq!((r.target(), r.path()), ("/chat?room=1", "/chat"));
            assert_eq!(r.header("Sec-WebSocket-Version"), Some(&b"13"[..]));
            r.accept(&server)
        })
        .unwrap();
        let response = accepted_response(&answer.0);
        assert_eq!(response.status(), http::StatusCode::OK);
        assert_eq!(response.headers()["sec-websocket-protocol"], "superchat");
        assert!(!response.headers().contains_key("sec-websocket-accept"));
    }

    #[test]
    fn an_http2_refusal_carries_the_fields_of_rejection_headers() {
        let err = with_request(&connect("8"), |_| ()).unwrap_err();
        assert_eq!(err, RequestError::UnsupportedVersion);
        let response = crate::hyper::refusal_response(&err.rejection(), Transport::Http2);
        let mut fields = vec![(":status".to_owned(), response.status().as_str().to_owned())];
        for (n, v) in response.headers() {
            if n != http::header::CONTENT_TYPE {
                fields.push((n.as_str().to_owned(), v.to_str().unwrap().to_owned()));
            }
        }
        assert_eq!(fields, h2::rejection_headers(&err));
        // A CONNECT without `:protocol` is a tunnel request, not a WebSocket.
        let mut tunnel = connect("13");
        tunnel.extensions_mut().clear();
        let err = with_request(&tunnel, |_| ()).unwrap_err();
        assert_eq!(err, RequestError::NotExtendedConnect);
    }
}
