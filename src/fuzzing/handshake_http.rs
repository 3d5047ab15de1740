//! The `http`-crate front end of the server handshake against the byte-level one (feature
//! `http`): the same request, parsed as hyper parses it (httparse) into an [`http::Request`],
//! must get the same verdict from [`http_interop::validate`] as the bytes get from
//! [`ServerHandshake`](crate::handshake::ServerHandshake), and an accepted one the same 101.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use alloc::string::String;
use alloc::vec::Vec;

use crate::frame::Decoded;
use crate::handshake::{Request, RequestError, ServerConfig, http_interop};

/// Where the two front ends may differ, each by design:
/// - the head's limits (size, field count, line lengths) are the byte server's: behind an
///   HTTP stack, the stack bounds the head before the WebSocket rules run;
/// - leading empty lines are refused by the byte server (RFC 9112 §2.2 lets a server ignore
///   them; a WebSocket client never sends them) and skipped by httparse;
/// - a request target or field that the `http` types cannot hold never reaches
///   [`http_interop::validate`]: the HTTP stack answers 400 itself;
/// - a target with a fragment (`/chat#x`): [`http::Uri`] keeps no fragment, so the `http`
///   front end sees `/chat`, where the byte server refuses the target (RFC 9112 §3.2: no
///   request-target form has one). Left out.
fn limit_or_framing(e: &RequestError) -> bool {
    matches!(
        e,
        RequestError::HeadTooLarge
            | RequestError::TooManyHeaders
            | RequestError::RequestLineTooLong
            | RequestError::HeaderLineTooLong
            | RequestError::Malformed
    )
}

/// The request as hyper would hand it over: `None` if httparse finds no complete head or the
/// `http` types refuse a part of it.
fn to_http(data: &[u8]) -> Option<http::Request<()>> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut slots);
    let httparse::Status::Complete(_) = req.parse(data).ok()? else {
        return None;
    };
    let version = match req.version? {
        0 => http::Version::HTTP_10,
        _ => http::Version::HTTP_11,
    };
    if req.path?.contains('#') {
        return None;
    }
    let mut b = http::Request::builder()
        .method(http::Method::from_bytes(req.method?.as_bytes()).ok()?)
        .uri(http::Uri::try_from(req.path?).ok()?)
        .version(version);
    for h in req.headers.iter() {
        let name = http::HeaderName::from_bytes(h.name.as_bytes()).ok()?;
        b = b.header(name, http::HeaderValue::from_bytes(h.value).ok()?);
    }
    b.body(()).ok()
}

/// What both front ends must agree on about an accepted request.
fn summary(r: &Request<'_>) -> String {
    alloc::format!(
        "path={:?} query={:?} host={:?} key={:?} origin={:?} protocols={:?} offers={:?}",
        r.path(),
        r.query(),
        r.host(),
        r.key(),
        r.origin(),
        r.subprotocols(),
        r.extension_offers()
    )
}

/// The 101's status and fields, names lower-cased, from the bytes the byte server sends.
fn fields_of_bytes(response: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut slots = [httparse::EMPTY_HEADER; 16];
    let mut r = httparse::Response::new(&mut slots);
    assert!(matches!(
        r.parse(response),
        Ok(httparse::Status::Complete(_))
    ));
    assert_eq!(r.code, Some(101));
    r.headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
        .collect()
}

/// Oracle: see the module docs. `whole` is the byte server's verdict on all of `data`.
pub(super) fn http_request(
    data: &[u8],
    config: &ServerConfig,
    whole: &Result<Decoded<(Request<'_>, usize)>, RequestError>,
) {
    let Some(req) = to_http(data) else {
        return;
    };
    match (whole, http_interop::validate(&req)) {
        (Err(e), _) if limit_or_framing(e) => {}
        (Ok(Decoded::Complete((bytes, _))), Ok(parsed)) => {
            assert_eq!(summary(bytes), summary(&parsed), "accepted differently");
            let accepted = parsed.accept(config);
            let response = accepted.to_http_response();
            assert_eq!(response.status(), http::StatusCode::SWITCHING_PROTOCOLS);
            let from_http: Vec<(String, Vec<u8>)> = response
                .headers()
                .iter()
                .map(|(n, v)| (String::from(n.as_str()), v.as_bytes().to_vec()))
                .collect();
            assert_eq!(
                from_http,
                fields_of_bytes(&bytes.accept(config).to_bytes()),
                "the 101s differ"
            );
        }
        (Err(b), Err(h)) => assert_eq!(*b, h, "refused for different reasons"),
        (b, h) => panic!("byte server: {b:?}\nhttp front end: {h:?}"),
    }
}
