//! The client's opening handshake (RFC 6455 §4.1): the request it builds and every check on
//! the server's response, fed whole, byte by byte and with trailing frame bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use wswire::extensions::{ClientNegotiator, ExtensionHeaderError, NegotiationError, Param};
use wswire::frame::Decoded;
use wswire::handshake::{
    BuildError, ClientHandshake, ClientRequest, Negotiated, ResponseError, SecWebSocketKey,
    StatusCode, WsUri,
};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

const P0: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

fn p0(old: &str, new: &str) -> String {
    assert!(P0.contains(old), "{old:?} not in P0");
    P0.replacen(old, new, 1)
}

fn p0_plus(line: &str) -> String {
    p0("\r\n\r\n", &format!("\r\n{line}\r\n\r\n"))
}

/// Offers `x-ext` (once with `a=1`, once bare) and accepts a response that only uses `a`.
#[derive(Debug)]
struct XExt;

impl ClientNegotiator for XExt {
    fn name(&self) -> &str {
        "x-ext"
    }
    fn offers(&self) -> Vec<Vec<Param>> {
        vec![vec![Param::new("a", Some("1")).unwrap()], vec![]]
    }
    fn check_response(&self, params: &[Param]) -> Result<(), NegotiationError> {
        if params.iter().all(|p| p.name() == "a") {
            Ok(())
        } else {
            Err(NegotiationError::new("unknown parameter"))
        }
    }
}

/// A client with the RFC key that offered `protocols` and, when `ext`, the `x-ext` extension.
fn client(protocols: &[&str], ext: bool) -> ClientHandshake {
    let mut r = ClientRequest::new("server.example.com", "/chat").unwrap();
    r.subprotocols(protocols).unwrap();
    if ext {
        r.extension(Box::new(XExt));
    }
    r.start_with_key(SecWebSocketKey::parse(KEY).unwrap())
}

fn whole(
    hs: &mut ClientHandshake,
    input: &[u8],
) -> Result<Option<(Negotiated, usize)>, ResponseError> {
    match hs.handle_input(input)? {
        Decoded::Incomplete { .. } => Ok(None),
        Decoded::Complete((value, consumed)) => Ok(Some((value, consumed))),
    }
}

fn bytewise(
    hs: &mut ClientHandshake,
    input: &[u8],
) -> Result<Option<(Negotiated, usize)>, ResponseError> {
    for (i, b) in input.iter().enumerate() {
        match hs.handle_input(core::slice::from_ref(b))? {
            Decoded::Incomplete { .. } => {}
            Decoded::Complete((value, consumed)) => {
                assert_eq!(consumed, 1);
                return Ok(Some((value, i + 1)));
            }
        }
    }
    Ok(None)
}

#[test]
fn the_request_has_the_mandatory_headers_and_only_configured_extras() {
    let hs = client(&[], false);
    assert_eq!(
        core::str::from_utf8(hs.request_bytes()).unwrap(),
        "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    assert_eq!(
        hs.expected_accept().as_str(),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    let uri = WsUri::parse("wss://example.com:8443/chat?x=1").unwrap();
    let mut r = ClientRequest::from_uri(&uri);
    r.origin("https://app.example").unwrap();
    r.subprotocols(["chat", "superchat"]).unwrap();
    r.extension(Box::new(XExt));
    r.header("Authorization", "Bearer t").unwrap();
    let hs = r.start_with_key(SecWebSocketKey::parse(KEY).unwrap());
    let text = core::str::from_utf8(hs.request_bytes()).unwrap();
    assert!(text.starts_with("GET /chat?x=1 HTTP/1.1\r\nHost: example.com:8443\r\n"));
    assert!(text.ends_with(
        "Origin: https://app.example\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
         Sec-WebSocket-Extensions: x-ext; a=1, x-ext\r\nAuthorization: Bearer t\r\n\r\n"
    ));
}

#[test]
fn keys_are_fresh_base64_of_16_bytes() {
    /// A counter standing in for a CSPRNG (never do this outside tests).
    struct Counter(u8);
    impl rand_core::TryRng for Counter {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(u32::from_le_bytes(
                self.try_next_u64()?.to_le_bytes()[..4].try_into().unwrap(),
            ))
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            let mut b = [0u8; 8];
            self.try_fill_bytes(&mut b)?;
            Ok(u64::from_le_bytes(b))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for d in dst {
                self.0 = self.0.wrapping_add(1);
                *d = self.0;
            }
            Ok(())
        }
    }
    impl rand_core::TryCryptoRng for Counter {}
    let mut rng = Counter(0);
    let a = SecWebSocketKey::random(&mut rng);
    let b = SecWebSocketKey::random(&mut rng);
    assert_eq!(a.as_str(), "AQIDBAUGBwgJCgsMDQ4PEA==");
    assert_ne!(a, b);
    for k in [a, b] {
        assert_eq!(k.as_str().len(), 24);
        assert!(k.as_str().ends_with("=="));
        assert_eq!(SecWebSocketKey::parse(k.as_str()), Some(k));
    }
    let hs = ClientRequest::new("h", "/").unwrap().start(&mut rng);
    let text = core::str::from_utf8(hs.request_bytes()).unwrap();
    assert!(
        text.contains("\r\nSec-WebSocket-Key: ISIjJCUmJygpKissLS4vMA==\r\n"),
        "{text}"
    );
}

#[test]
fn invalid_requests_are_refused_before_anything_is_sent() {
    let mut r = ClientRequest::new("h", "/").unwrap();
    assert_eq!(r.subprotocols(["f o"]).err().map(|_| ()), Some(()));
    for (bad, e) in [
        (vec!["f o"], BuildError::InvalidSubprotocol),
        (vec![""], BuildError::InvalidSubprotocol),
        (vec!["a@b"], BuildError::InvalidSubprotocol),
        (vec!["foo", "foo"], BuildError::DuplicateSubprotocol),
    ] {
        let mut r = ClientRequest::new("h", "/").unwrap();
        assert_eq!(r.subprotocols(bad).err(), Some(e));
    }
    assert_eq!(
        WsUri::parse("ws://example.com/#frag"),
        Err(BuildError::InvalidUri)
    );
    assert_eq!(
        WsUri::parse("http://example.com/"),
        Err(BuildError::InvalidUri)
    );
    assert_eq!(ClientRequest::new("", "/").err().map(|_| ()), Some(()));
    assert_eq!(ClientRequest::new("h", "chat").err().map(|_| ()), Some(()));
    assert_eq!(ClientRequest::new("h", "/a#b").err().map(|_| ()), Some(()));
    assert_eq!(ClientRequest::new("h", "/a b").err().map(|_| ()), Some(()));
    let mut r = ClientRequest::new("h", "/").unwrap();
    assert_eq!(r.header("Host", "x").err().map(|_| ()), Some(()));
    assert_eq!(r.header("X-A", "1\r\n2").err().map(|_| ()), Some(()));
    assert_eq!(r.origin("a b").err().map(|_| ()), Some(()));
}

#[test]
fn the_rfc_response_is_accepted_whole_bytewise_and_with_a_frame_behind_it() {
    let (n, consumed) = whole(&mut client(&[], false), P0.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(
        (n.subprotocol(), n.extensions().len(), consumed),
        (None, 0, P0.len())
    );
    assert_eq!(
        bytewise(&mut client(&[], false), P0.as_bytes()),
        Ok(Some((n.clone(), P0.len())))
    );
    let mut input = P0.as_bytes().to_vec();
    input.extend_from_slice(b"\x81\x02hi");
    let (m, consumed) = whole(&mut client(&[], false), &input).unwrap().unwrap();
    assert_eq!(m, n);
    assert_eq!(&input[consumed..], b"\x81\x02hi");
    for split in 0..input.len() {
        let mut hs = client(&[], false);
        let (a, b) = input.split_at(split);
        let leftover = match hs.handle_input(a).unwrap() {
            Decoded::Complete((_, consumed)) => [&a[consumed..], b].concat(),
            Decoded::Incomplete { .. } => match hs.handle_input(b).unwrap() {
                Decoded::Complete((_, consumed)) => b[consumed..].to_vec(),
                Decoded::Incomplete { .. } => panic!("split {split} never completed"),
            },
        };
        assert_eq!(leftover, b"\x81\x02hi", "split {split}");
    }
}

#[test]
fn other_statuses_expose_status_and_headers() {
    let redirect =
        "HTTP/1.1 302 Found\r\nLocation: wss://other.example/chat\r\nContent-Length: 4\r\n\r\nbody";
    for feed in [whole, bytewise] {
        let Err(ResponseError::UnexpectedStatus(s)) =
            feed(&mut client(&[], false), redirect.as_bytes())
        else {
            panic!("a 302 was not reported")
        };
        assert_eq!(s.status(), StatusCode::from_u16(302));
        assert_eq!(s.header("location"), Some(&b"wss://other.example/chat"[..]));
        assert_eq!(s.headers().len(), 2);
    }
    let mut hs = client(&[], false);
    let Err(ResponseError::UnexpectedStatus(s)) = hs.handle_input(redirect.as_bytes()) else {
        panic!()
    };
    assert_eq!(&redirect.as_bytes()[s.consumed()..], b"body");
    for status in [
        "100 Continue",
        "200 OK",
        "401 Unauthorized",
        "404 Not Found",
        "503 Service Unavailable",
    ] {
        let input = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
        let Err(ResponseError::UnexpectedStatus(s)) =
            whole(&mut client(&[], false), input.as_bytes())
        else {
            panic!("{status} not reported")
        };
        assert_eq!(s.status().to_string(), status[..3]);
    }
}

#[test]
fn each_invalid_response_fails_with_its_error() {
    let cases: Vec<(&str, String, ResponseError)> = vec![
        (
            "no Upgrade",
            p0("Upgrade: websocket\r\n", ""),
            ResponseError::InvalidUpgrade,
        ),
        (
            "Upgrade foo",
            p0("Upgrade: websocket", "Upgrade: foo"),
            ResponseError::InvalidUpgrade,
        ),
        (
            "no Connection",
            p0("Connection: Upgrade\r\n", ""),
            ResponseError::InvalidConnection,
        ),
        (
            "Connection keep-alive",
            p0("Connection: Upgrade", "Connection: keep-alive"),
            ResponseError::InvalidConnection,
        ),
        (
            "no accept",
            p0("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ""),
            ResponseError::MissingAccept,
        ),
        (
            "accept case changed",
            p0("s3pP", "S3pP"),
            ResponseError::WrongAccept,
        ),
        (
            "accept for another key",
            p0(
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=",
            ),
            ResponseError::WrongAccept,
        ),
        (
            "two accepts",
            p0_plus("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            ResponseError::DuplicateHeader("Sec-WebSocket-Accept"),
        ),
        (
            "HTTP/1.0",
            p0("HTTP/1.1", "HTTP/1.0"),
            ResponseError::UnsupportedHttpVersion,
        ),
        (
            "extension not offered",
            p0_plus("Sec-WebSocket-Extensions: permessage-deflate"),
            ResponseError::ExtensionNotOffered("permessage-deflate".into()),
        ),
        (
            "malformed extensions",
            p0_plus("Sec-WebSocket-Extensions: foo;="),
            ResponseError::InvalidExtensions(ExtensionHeaderError::InvalidToken),
        ),
        (
            "protocol not offered",
            p0_plus("Sec-WebSocket-Protocol: foo"),
            ResponseError::SubprotocolNotOffered,
        ),
        (
            "empty protocol",
            p0_plus("Sec-WebSocket-Protocol:"),
            ResponseError::InvalidSubprotocol,
        ),
        (
            "Malformed status line",
            p0("HTTP/1.1 101", "HTTP/1.1 1o1"),
            ResponseError::Malformed,
        ),
    ];
    for (name, input, expected) in cases {
        assert_eq!(
            whole(&mut client(&[], false), input.as_bytes()),
            Err(expected.clone()),
            "{name}"
        );
        assert_eq!(
            bytewise(&mut client(&[], false), input.as_bytes()),
            Err(expected),
            "{name}"
        );
    }
}

#[test]
fn lenient_where_the_rfc_is() {
    for input in [
        p0("Upgrade: websocket", "Upgrade: WebSocket"),
        p0("Connection: Upgrade", "Connection: keep-alive, upgrade"),
        p0("Accept: s3pP", "Accept:   s3pP").replacen("xOo=\r\n", "xOo=  \r\n", 1),
    ] {
        assert!(
            whole(&mut client(&[], false), input.as_bytes())
                .unwrap()
                .is_some(),
            "{input}"
        );
    }
}

#[test]
fn a_truncated_response_never_completes() {
    let mut hs = client(&[], false);
    assert_eq!(
        whole(
            &mut hs,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        ),
        Ok(None)
    );
}

#[test]
fn subprotocol_checks() {
    let offered = ["foo", "bar"];
    let with = |p: &str| p0_plus(&format!("Sec-WebSocket-Protocol: {p}"));
    let got = whole(&mut client(&offered, false), with("bar").as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(got.0.subprotocol(), Some("bar"));
    // The server may decline.
    let got = whole(&mut client(&offered, false), P0.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(got.0.subprotocol(), None);
    for (value, e) in [
        ("baz", ResponseError::SubprotocolNotOffered),
        ("Foo", ResponseError::SubprotocolNotOffered),
        ("foo, bar", ResponseError::InvalidSubprotocol),
    ] {
        assert_eq!(
            whole(&mut client(&offered, false), with(value).as_bytes()),
            Err(e),
            "{value}"
        );
    }
    let twice = p0_plus("Sec-WebSocket-Protocol: foo\r\nSec-WebSocket-Protocol: foo");
    assert_eq!(
        whole(&mut client(&offered, false), twice.as_bytes()),
        Err(ResponseError::DuplicateHeader("Sec-WebSocket-Protocol"))
    );
}

#[test]
fn extension_responses_are_checked_against_the_offers_and_the_hook() {
    let with = |v: &str| p0_plus(&format!("Sec-WebSocket-Extensions: {v}"));
    let (n, _) = whole(&mut client(&[], true), with("x-ext; a=\"1\"").as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(n.extensions().len(), 1);
    assert_eq!(n.extensions()[0].to_string(), "x-ext; a=1");
    assert_eq!(
        whole(&mut client(&[], true), with("x-ext; b").as_bytes()),
        Err(ResponseError::ExtensionRejected {
            name: "x-ext".into(),
            error: NegotiationError::new("unknown parameter"),
        })
    );
    assert_eq!(
        whole(&mut client(&[], true), with("x-ext, x-ext").as_bytes()),
        Err(ResponseError::DuplicateExtension("x-ext".into()))
    );
    // Lines form one list, so the same duplicate split over two lines also fails.
    let split = p0_plus("Sec-WebSocket-Extensions: x-ext\r\nSec-WebSocket-Extensions: x-ext");
    assert_eq!(
        whole(&mut client(&[], true), split.as_bytes()),
        Err(ResponseError::DuplicateExtension("x-ext".into()))
    );
    // An unoffered name, including a case variant, fails.
    for v in ["x-ext, foo", "X-Ext"] {
        let Err(ResponseError::ExtensionNotOffered(_)) =
            whole(&mut client(&[], true), with(v).as_bytes())
        else {
            panic!("{v} accepted")
        };
    }
}

#[test]
fn finished_client_handshakes_repeat_their_outcome() {
    let mut hs = client(&[], false);
    let first = whole(&mut hs, P0.as_bytes()).unwrap().unwrap();
    assert_eq!(whole(&mut hs, b"\x81\x00").unwrap().unwrap(), (first.0, 0));
    let mut bad = client(&[], false);
    let e = whole(&mut bad, p0("s3pP", "S3pP").as_bytes()).unwrap_err();
    assert_eq!(whole(&mut bad, P0.as_bytes()), Err(e));
}

#[test]
fn response_limits_bound_buffering() {
    let mut r = ClientRequest::new("h", "/").unwrap();
    r.limits_mut().max_head_bytes = 200;
    r.limits_mut().max_headers = 4;
    let mut hs = r.start_with_key(SecWebSocketKey::parse(KEY).unwrap());
    let big = format!("HTTP/1.1 101 Switching Protocols\r\nX: {}", "x".repeat(300));
    assert_eq!(
        whole(&mut hs, big.as_bytes()),
        Err(ResponseError::HeadTooLarge)
    );
    let mut r = ClientRequest::new("h", "/").unwrap();
    r.limits_mut().max_headers = 2;
    let mut hs = r.start_with_key(SecWebSocketKey::parse(KEY).unwrap());
    assert_eq!(
        whole(&mut hs, P0.as_bytes()),
        Err(ResponseError::TooManyHeaders)
    );
}
