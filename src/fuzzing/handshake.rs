//! Harnesses for the opening handshake and the extensions grammar.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::extensions::{
    ClientNegotiator, Extension, NegotiationError, Param, ServerNegotiator, format_header,
    parse_header,
};
use crate::frame::Decoded;
use crate::handshake::h2::{parse_connect_request, rejection_headers};
use crate::handshake::{
    ClientHandshake, ClientRequest, Negotiated, Request, RequestError, ResponseError,
    SecWebSocketKey, ServerConfig, ServerHandshake, StatusCode,
};

/// Accepts every offer of its extension, echoing the offer's parameters.
#[derive(Debug)]
struct Echo(&'static str);

impl ServerNegotiator for Echo {
    fn name(&self) -> &str {
        self.0
    }
    fn negotiate(&self, offer: &[Param]) -> Option<Vec<Param>> {
        // Decline offers with a parameter named `decline`, to exercise "try the next offer".
        (!offer.iter().any(|p| p.name() == "decline")).then(|| offer.to_vec())
    }
}

/// A client negotiator that offered `offers` and accepts a response whose parameter names
/// all appear in one of them.
#[derive(Debug)]
struct Offered {
    name: String,
    offers: Vec<Vec<Param>>,
}

impl ClientNegotiator for Offered {
    fn name(&self) -> &str {
        &self.name
    }
    fn offers(&self) -> Vec<Vec<Param>> {
        self.offers.clone()
    }
    fn check_response(&self, params: &[Param]) -> Result<(), NegotiationError> {
        let ok = self.offers.iter().any(|o| {
            params
                .iter()
                .all(|p| o.iter().any(|q| q.name() == p.name()))
        });
        if ok {
            Ok(())
        } else {
            Err(NegotiationError::new("parameter not offered"))
        }
    }
}

fn server_config() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.subprotocols(["chat", "superchat"]).unwrap();
    c.extension(Box::new(Echo("permessage-deflate")))
        .extension(Box::new(Echo("x-test")));
    let limits = c.limits_mut();
    limits.max_head_bytes = 4096;
    limits.max_headers = 40;
    c
}

type Fed<T, E> = Result<Decoded<(T, usize)>, E>;

/// The same input fed whole and one byte at a time. Completion must agree exactly; an error
/// seen byte by byte must be the whole input's error; the whole input may fail early where the
/// byte-by-byte run still waits for a line end. "Incomplete" always asks for at least a byte.
fn compare_feeds<T: PartialEq + core::fmt::Debug, E: PartialEq + core::fmt::Debug>(
    whole: Fed<T, E>,
    mut feed: impl FnMut(&[u8]) -> Fed<T, E>,
    data: &[u8],
) {
    if let Ok(Decoded::Incomplete { needed }) = whole {
        assert!(needed >= 1);
    }
    let mut bytewise = Ok(Decoded::Incomplete { needed: 1 });
    let mut at = data.len();
    for (i, b) in data.iter().enumerate() {
        bytewise = feed(core::slice::from_ref(b));
        match bytewise {
            Ok(Decoded::Incomplete { needed }) => assert!(needed >= 1),
            _ => {
                at = i;
                break;
            }
        }
    }
    match (&whole, bytewise) {
        (Ok(Decoded::Complete((value, consumed))), Ok(Decoded::Complete((v, c)))) => {
            assert_eq!(*value, v, "byte-by-byte request differs");
            assert_eq!(c, 1);
            assert_eq!(*consumed, at + 1, "byte-by-byte completion at another byte");
        }
        (Ok(Decoded::Incomplete { .. }), Ok(Decoded::Incomplete { .. })) => {}
        (Err(e), Err(f)) => assert_eq!(*e, f, "byte-by-byte error differs"),
        (Err(_), Ok(Decoded::Incomplete { .. })) => {}
        (w, b) => panic!("whole: {w:?}, byte by byte: {b:?}"),
    }
}

/// The client that sent what `req` holds: same key, subprotocols and extension offers.
fn matching_client(req: &Request<'_>) -> ClientHandshake {
    matching_request(req.subprotocols(), req.extension_offers()).start_with_key(req.key())
}

/// A client request offering exactly `subprotocols` and `offers` (grouped by extension name).
fn matching_request(subprotocols: &[&str], offers: &[Extension]) -> ClientRequest {
    let mut c = ClientRequest::new("h", "/").unwrap();
    c.subprotocols(subprotocols).unwrap();
    let mut names: Vec<&str> = offers.iter().map(Extension::name).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let params = offers
            .iter()
            .filter(|e| e.name() == name)
            .map(|e| e.params().to_vec())
            .collect();
        c.extension(Box::new(Offered {
            name: name.to_string(),
            offers: params,
        }));
    }
    c
}

fn check_rejection(status: StatusCode, bytes: &[u8], needs: &[(&str, &str)]) {
    assert!(
        matches!(status.as_u16(), 400 | 403 | 405 | 414 | 426 | 431 | 505),
        "undocumented status {status}"
    );
    let mut client = ClientRequest::new("h", "/")
        .unwrap()
        .start_with_key(SecWebSocketKey::from_nonce([0; 16]));
    let Err(ResponseError::UnexpectedStatus(s)) = client.handle_input(bytes) else {
        panic!("a rejection is not a readable HTTP response")
    };
    assert_eq!(s.status(), status);
    for (n, v) in needs {
        assert_eq!(s.header(n), Some(v.as_bytes()), "rejection lacks {n}");
    }
}

/// Oracle: a request is accepted, or rejected with a documented [`RequestError`] whose
/// rejection is a well-formed HTTP response with the documented status and headers; whole and
/// byte-by-byte feeding agree; an accepted request yields a 101 that the matching client
/// accepts with the same negotiated values and the trailing bytes left over. The same bytes
/// read as an RFC 8441 header list (`name: value` lines) are accepted (and the 200 satisfies
/// the matching client) or rejected with 400/426. With the `http` feature, the same request
/// through the `http`-crate front end gets the same verdict (`handshake_http.rs`).
pub fn handshake_request(data: &[u8]) {
    let config = server_config();
    let mut hs = ServerHandshake::new(&config);
    let whole = hs.handle_input(data);
    let mut one = ServerHandshake::new(&config);
    let owned = |r: Fed<Request<'_>, RequestError>| match r {
        Ok(Decoded::Complete((value, consumed))) => {
            Ok(Decoded::Complete((alloc::format!("{value:?}"), consumed)))
        }
        Ok(Decoded::Incomplete { needed }) => Ok(Decoded::Incomplete { needed }),
        Err(e) => Err(e),
    };
    compare_feeds(owned(whole.clone()), |b| owned(one.handle_input(b)), data);
    #[cfg(feature = "http")]
    super::handshake_http::http_request(data, &config, &whole);
    match whole {
        Ok(Decoded::Incomplete { .. }) => {}
        Err(e) => {
            let needs: &[(&str, &str)] = match e {
                RequestError::MethodNotAllowed => &[("Allow", "GET")],
                RequestError::MissingVersion | RequestError::UnsupportedVersion => {
                    &[("Sec-WebSocket-Version", "13")]
                }
                _ => &[],
            };
            assert!(!e.to_string().is_empty());
            check_rejection(e.status(), &e.rejection().to_bytes(), needs);
        }
        Ok(Decoded::Complete((req, consumed))) => {
            assert!(consumed <= data.len());
            let accepted = req.accept(&config);
            if let Some(p) = accepted.negotiated().subprotocol() {
                assert!(req.subprotocols().contains(&p));
            }
            let mut response = accepted.to_bytes();
            response.extend_from_slice(b"\x81\x00");
            let mut client = matching_client(&req);
            match client.handle_input(&response) {
                Ok(Decoded::Complete((value, consumed))) => {
                    assert_eq!(&value, accepted.negotiated());
                    assert_eq!(&response[consumed..], b"\x81\x00");
                }
                other => panic!("client refused the server's 101: {other:?}\n{req:?}"),
            }
            if let Err(r) = req.check_origin(&["https://good.example"]) {
                check_rejection(r.status(), &r.to_bytes(), &[]);
            }
        }
    }
    h2_request(data, &config);
}

fn h2_request(data: &[u8], config: &ServerConfig) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let list: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| {
            let (n, v) = l.get(1..)?.split_once(':')?;
            Some((l.get(..n.len() + 1)?, v.trim_start()))
        })
        .collect();
    match parse_connect_request(&list) {
        Err(e) => {
            assert!(matches!(e.status().as_u16(), 400 | 426));
            let h = rejection_headers(&e);
            assert_eq!(h[0], (":status".into(), e.status().to_string()));
            if matches!(
                e,
                RequestError::MissingVersion | RequestError::UnsupportedVersion
            ) {
                assert!(h.contains(&("sec-websocket-version".into(), "13".into())));
            }
        }
        Ok(req) => {
            let accepted = req.accept(config);
            let c = matching_request(req.subprotocols(), req.extension_offers());
            let client = c.start_h2(req.scheme() == "https");
            let response: Vec<(&str, &str)> = accepted
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            assert_eq!(
                client.check_response(&response).as_ref(),
                Ok(accepted.negotiated())
            );
        }
    }
}

fn fuzz_client() -> ClientHandshake {
    let mut c = ClientRequest::new("server.example.com", "/chat").unwrap();
    c.subprotocols(["chat", "superchat"]).unwrap();
    c.extension(Box::new(Offered {
        name: "x-test".into(),
        offers: alloc::vec![alloc::vec![Param::new("a", Some("1")).unwrap()], Vec::new()],
    }));
    let limits = c.limits_mut();
    limits.max_head_bytes = 4096;
    limits.max_headers = 40;
    c.start_with_key(SecWebSocketKey::parse("dGhlIHNhbXBsZSBub25jZQ==").unwrap())
}

fn check_negotiated(n: &Negotiated) {
    if let Some(p) = n.subprotocol() {
        assert!(p == "chat" || p == "superchat", "not offered: {p}");
    }
    let exts = n.extensions();
    assert!(exts.len() <= 1, "an extension accepted twice");
    for e in exts {
        assert_eq!(e.name(), "x-test");
        assert!(e.params().iter().all(|p| p.name() == "a"));
    }
}

/// Oracle: a response is accepted only with an offered subprotocol and offered extensions
/// (each once, approved by the negotiator), or fails with a documented [`ResponseError`];
/// whole and byte-by-byte feeding agree; a non-101 exposes its status and header count within
/// the input.
pub fn handshake_response(data: &[u8]) {
    let mut hs = fuzz_client();
    let whole = hs.handle_input(data);
    let mut one = fuzz_client();
    // Where a non-101 head ended is relative to each feed's last input; compare the rest.
    let norm = |r: Fed<Negotiated, ResponseError>| match r {
        Err(ResponseError::UnexpectedStatus(mut s)) => {
            s.consumed = 0;
            Err(ResponseError::UnexpectedStatus(s))
        }
        r => r,
    };
    compare_feeds(norm(whole.clone()), |b| norm(one.handle_input(b)), data);
    match whole {
        Ok(Decoded::Incomplete { .. }) => {}
        Ok(Decoded::Complete((value, consumed))) => {
            assert!(consumed <= data.len());
            check_negotiated(&value);
            assert_eq!(hs.handle_input(b"more"), Ok(Decoded::Complete((value, 0))));
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            if let ResponseError::UnexpectedStatus(s) = &e {
                assert_ne!(s.status().as_u16(), 101);
                assert!(s.consumed() <= data.len());
            }
        }
    }
}

/// Oracle: a header value parses, and then formats to a value that parses to the same list
/// (and formats identically); or it fails with a documented error. Negotiating over the
/// offers accepts only offered names, each at most once.
pub fn extensions_header(data: &[u8]) {
    match parse_header(data) {
        Err(e) => assert!(!e.to_string().is_empty()),
        Ok(list) => {
            assert!(!list.is_empty());
            let text = format_header(&list);
            let again = parse_header(text.as_bytes()).expect("formatted header re-parses");
            assert_eq!(again, list);
            assert_eq!(format_header(&again), text);
            let accepted = server_config().negotiate_extensions(&list);
            for (i, e) in accepted.iter().enumerate() {
                assert!(list.iter().any(|o| o.name() == e.name()));
                assert!(accepted[..i].iter().all(|p| p.name() != e.name()));
            }
        }
    }
}
