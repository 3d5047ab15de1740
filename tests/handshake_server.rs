//! The server's opening handshake (RFC 6455 §4.2): request validation with the status and
//! headers of each rejection, the 101 response, subprotocol and extension selection, and
//! incremental input (whole, byte by byte, with trailing frame bytes).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use wswire::extensions::{Extension, ExtensionHeaderError, Param, ServerNegotiator};
use wswire::frame::Decoded;
use wswire::handshake::{
    BuildError, Limits, Rejection, RequestError, ServerConfig, ServerHandshake, StatusCode,
    parse_request,
};

const R0: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

const R0_101: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/// R0 with `old` replaced by `new` (which must occur).
fn r0(old: &str, new: &str) -> String {
    assert!(R0.contains(old), "{old:?} not in R0");
    R0.replacen(old, new, 1)
}

/// R0 with one more header line.
fn r0_plus(line: &str) -> String {
    r0("\r\n\r\n", &format!("\r\n{line}\r\n\r\n"))
}

/// Feeds `input` whole; returns the request's debug form and the consumed count, or the error.
fn whole(config: &ServerConfig, input: &[u8]) -> Result<Option<(String, usize)>, RequestError> {
    let mut hs = ServerHandshake::new(config);
    match hs.handle_input(input)? {
        Decoded::Incomplete { .. } => Ok(None),
        Decoded::Complete((value, consumed)) => Ok(Some((format!("{value:?}"), consumed))),
    }
}

/// Feeds `input` one byte at a time; the consumed count is the total over all calls.
fn bytewise(config: &ServerConfig, input: &[u8]) -> Result<Option<(String, usize)>, RequestError> {
    let mut hs = ServerHandshake::new(config);
    for (i, b) in input.iter().enumerate() {
        match hs.handle_input(core::slice::from_ref(b))? {
            Decoded::Incomplete { .. } => {}
            Decoded::Complete((value, consumed)) => {
                assert_eq!(consumed, 1);
                return Ok(Some((format!("{value:?}"), i + 1)));
            }
        }
    }
    Ok(None)
}

/// A rejection case: label, request, status, headers the response must carry.
type Case = (
    &'static str,
    String,
    u16,
    &'static [(&'static str, &'static str)],
);

fn rejections() -> Vec<Case> {
    const ALLOW: &[(&str, &str)] = &[("Allow", "GET")];
    const VER: &[(&str, &str)] = &[("Sec-WebSocket-Version", "13")];
    vec![
        ("POST", r0("GET", "POST"), 405, ALLOW),
        ("PUT", r0("GET", "PUT"), 405, ALLOW),
        ("HEAD", r0("GET", "HEAD"), 405, ALLOW),
        ("OPTIONS", r0("GET", "OPTIONS"), 405, ALLOW),
        ("lower-case get", r0("GET", "get"), 405, ALLOW),
        ("HTTP/1.0", r0("HTTP/1.1", "HTTP/1.0"), 505, &[]),
        ("HTTP/2.0", r0("HTTP/1.1", "HTTP/2.0"), 505, &[]),
        ("no Host", r0("Host: server.example.com\r\n", ""), 400, &[]),
        (
            "empty Host",
            r0("Host: server.example.com", "Host:"),
            400,
            &[],
        ),
        ("two Host", r0_plus("Host: other.example"), 400, &[]),
        ("no Upgrade", r0("Upgrade: websocket\r\n", ""), 400, &[]),
        (
            "Upgrade foo",
            r0("Upgrade: websocket", "Upgrade: foo"),
            400,
            &[],
        ),
        (
            "Upgrade websocket/13",
            r0("Upgrade: websocket", "Upgrade: websocket/13"),
            400,
            &[],
        ),
        ("no Connection", r0("Connection: Upgrade\r\n", ""), 400, &[]),
        (
            "No-Upgrade",
            r0("Connection: Upgrade", "Connection: keep-alive, No-Upgrade"),
            400,
            &[],
        ),
        (
            "no key",
            r0("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
            400,
            &[],
        ),
        (
            "8-byte key",
            r0("dGhlIHNhbXBsZSBub25jZQ==", "P5l8BJcZwRc="),
            400,
            &[],
        ),
        (
            "base64url key",
            r0("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ-_"),
            400,
            &[],
        ),
        (
            "bad pad key",
            r0("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ=!"),
            400,
            &[],
        ),
        (
            "two keys",
            r0_plus("Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA=="),
            400,
            &[],
        ),
        (
            "no version",
            r0("Sec-WebSocket-Version: 13\r\n", ""),
            400,
            VER,
        ),
        ("version 12", r0("Version: 13", "Version: 12"), 426, VER),
        ("version 8", r0("Version: 13", "Version: 8"), 426, VER),
        ("version 013", r0("Version: 13", "Version: 013"), 426, VER),
        ("version 13.0", r0("Version: 13", "Version: 13.0"), 426, VER),
        ("version 0xd", r0("Version: 13", "Version: 0xd"), 426, VER),
        ("version +13", r0("Version: 13", "Version: +13"), 426, VER),
        (
            "two versions",
            r0_plus("Sec-WebSocket-Version: 13"),
            400,
            &[],
        ),
        (
            "Hixie-76",
            "GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nUpgrade: WebSocket\r\n\
             Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n\r\n^n:ds[4U"
                .to_string(),
            400,
            VER,
        ),
        (
            "two Origin",
            r0_plus("Origin: https://a.example\r\nOrigin: https://b.example"),
            400,
            &[],
        ),
        (
            "bad subprotocol",
            r0_plus("Sec-WebSocket-Protocol: foo;bar"),
            400,
            &[],
        ),
        (
            "subprotocol f@o",
            r0_plus("Sec-WebSocket-Protocol: f@o"),
            400,
            &[],
        ),
        (
            "subprotocol f oo",
            r0_plus("Sec-WebSocket-Protocol: f oo"),
            400,
            &[],
        ),
        (
            "subprotocol only comma",
            r0_plus("Sec-WebSocket-Protocol: ,"),
            400,
            &[],
        ),
        (
            "empty subprotocol",
            r0_plus("Sec-WebSocket-Protocol:"),
            400,
            &[],
        ),
        (
            "duplicate subprotocol",
            r0_plus("Sec-WebSocket-Protocol: foo,bar,foo"),
            400,
            &[],
        ),
        (
            "duplicate subprotocol across lines",
            r0_plus("Sec-WebSocket-Protocol: foo\r\nSec-WebSocket-Protocol: foo"),
            400,
            &[],
        ),
        (
            "non-ASCII subprotocol",
            r0_plus("Sec-WebSocket-Protocol: ch\u{e4}t"),
            400,
            &[],
        ),
        (
            "bad ext =",
            r0_plus("Sec-WebSocket-Extensions: permessage-deflate; ="),
            400,
            &[],
        ),
        (
            "bad ext ;;",
            r0_plus("Sec-WebSocket-Extensions: foo;;"),
            400,
            &[],
        ),
        ("empty ext", r0_plus("Sec-WebSocket-Extensions:"), 400, &[]),
        (
            "quoted comma",
            r0_plus("Sec-WebSocket-Extensions: permessage-deflate; x=\"a,b\""),
            400,
            &[],
        ),
        (
            "body",
            format!("{}hello", r0_plus("Content-Length: 5")),
            400,
            &[],
        ),
        ("chunked", r0_plus("Transfer-Encoding: chunked"), 400, &[]),
        ("no colon", r0_plus("Host example.com"), 400, &[]),
        ("space before colon", r0("Host: ", "Host : "), 400, &[]),
        ("asterisk", r0("GET /chat", "GET *"), 400, &[]),
        (
            "authority form",
            r0("GET /chat", "GET server.example.com:80"),
            400,
            &[],
        ),
        (
            "RFC 6455 §3 fragment",
            r0("GET /chat", "GET /chat#x"),
            400,
            &[],
        ),
        ("two leading empty lines", format!("\r\n\r\n{R0}"), 400, &[]),
    ]
}

#[test]
fn each_invalid_request_is_rejected_with_its_status_and_headers() {
    let config = ServerConfig::default();
    for (name, input, status, headers) in rejections() {
        let e = whole(&config, input.as_bytes()).expect_err(name);
        assert_eq!(e.status().as_u16(), status, "{name}: {e}");
        let r = e.rejection();
        assert_eq!(r.status().as_u16(), status, "{name}");
        let bytes = String::from_utf8(r.to_bytes()).unwrap();
        assert!(
            bytes.starts_with(&format!("HTTP/1.1 {status} ")),
            "{name}: {bytes}"
        );
        assert!(bytes.contains("\r\nConnection: close\r\n"), "{name}");
        let body = r.body_text();
        assert!(
            !body.is_empty() && bytes.ends_with(&format!("\r\n\r\n{body}")),
            "{name}"
        );
        assert!(
            bytes.contains(&format!("\r\nContent-Length: {}\r\n", body.len())),
            "{name}"
        );
        for (h, v) in headers {
            assert!(
                bytes.contains(&format!("\r\n{h}: {v}\r\n")),
                "{name}: no {h}"
            );
        }
        // The same error byte by byte, or (for a request whose block never ends) a wait.
        match bytewise(&config, input.as_bytes()) {
            Err(f) => assert_eq!(f, e, "{name}"),
            other => panic!("{name}: byte by byte gave {other:?}"),
        }
    }
}

#[test]
fn errors_name_the_offending_header() {
    let config = ServerConfig::default();
    let cases = [
        (r0_plus("Host: x"), RequestError::DuplicateHeader("Host")),
        (
            r0_plus("Sec-WebSocket-Version: 13"),
            RequestError::DuplicateHeader("Sec-WebSocket-Version"),
        ),
        (
            r0("Version: 13", "Version: 12"),
            RequestError::UnsupportedVersion,
        ),
        (
            r0("Sec-WebSocket-Version: 13\r\n", ""),
            RequestError::MissingVersion,
        ),
        (
            r0_plus("Sec-WebSocket-Extensions: foo;bar=\"baz\"qux"),
            RequestError::InvalidExtensions(ExtensionHeaderError::InvalidQuotedString),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(whole(&config, input.as_bytes()), Err(expected));
    }
}

/// Requests that must be accepted (RFC 6455 §4.2.1, §4.2.2): the RFC's own, `Upgrade` and
/// `Connection` in any case or as lists, `Connection` over two lines, keys with odd padding
/// bits or surrounding spaces, and an absolute-form target.
#[test]
fn valid_variants_are_accepted() {
    let config = ServerConfig::default();
    let cases = [
        (
            "RFC request",
            R0.to_string(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
        (
            "Upgrade WebSocket",
            r0("Upgrade: websocket", "Upgrade: WebSocket"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
        (
            "Upgrade WEBSOCKET",
            r0("Upgrade: websocket", "Upgrade: WEBSOCKET"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
        (
            "Upgrade list",
            r0("Upgrade: websocket", "Upgrade: websocket, h2c"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
        (
            "Connection list",
            r0("Connection: Upgrade", "Connection: keep-alive, Upgrade"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
        (
            "Connection lower case",
            r0("Connection: Upgrade", "Connection: upgrade"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
        (
            "Connection over two lines",
            r0(
                "Connection: Upgrade",
                "Connection: keep-alive\r\nConnection: Upgrade",
            ),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
        (
            "key with odd padding bits",
            r0("dGhlIHNhbXBsZSBub25jZQ==", "AQIDBAUGBwgJCgsMDQ4PEC=="),
            "OfS0wDaT5NoxF2gqm7Zj2YtetzM=",
        ),
        (
            "canonical key",
            r0("dGhlIHNhbXBsZSBub25jZQ==", "AQIDBAUGBwgJCgsMDQ4PEA=="),
            "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=",
        ),
        (
            "key with spaces",
            r0(
                "Key: dGhlIHNhbXBsZSBub25jZQ==",
                "Key:   dGhlIHNhbXBsZSBub25jZQ==  ",
            ),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
        (
            "absolute form",
            r0("GET /chat", "GET http://server.example.com/chat"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
        (
            "Content-Length: 0",
            r0_plus("Content-Length: 0"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
        (
            "one leading empty line",
            format!("\r\n{R0}"),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        ),
    ];
    for (name, input, accept) in cases {
        let mut hs = ServerHandshake::new(&config);
        let Ok(Decoded::Complete((value, consumed))) = hs.handle_input(input.as_bytes()) else {
            panic!("{name} refused")
        };
        assert_eq!(consumed, input.len(), "{name}");
        assert_eq!(value.path(), "/chat", "{name}");
        let resp = String::from_utf8(value.accept(&config).to_bytes()).unwrap();
        assert!(
            resp.contains(&format!("\r\nSec-WebSocket-Accept: {accept}\r\n")),
            "{name}"
        );
    }
}

#[test]
fn the_rfc_request_gets_exactly_the_rfc_response() {
    let config = ServerConfig::default();
    let mut hs = ServerHandshake::new(&config);
    let Ok(Decoded::Complete((value, consumed))) = hs.handle_input(R0.as_bytes()) else {
        panic!("R0 refused")
    };
    assert_eq!(consumed, R0.len());
    assert_eq!(value.target(), "/chat");
    assert_eq!(value.host(), "server.example.com");
    assert_eq!(value.subprotocols(), &[] as &[&str]);
    assert!(value.extension_offers().is_empty());
    assert_eq!(value.key().as_str(), "dGhlIHNhbXBsZSBub25jZQ==");
    let accepted = value.accept(&config);
    assert_eq!(accepted.to_bytes(), R0_101.as_bytes());
    assert_eq!(
        accepted.accept_key().as_str(),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    assert_eq!(accepted.negotiated().subprotocol(), None);
    assert!(accepted.negotiated().extensions().is_empty());
}

#[test]
fn whole_bytewise_and_trailing_bytes_agree() {
    let config = ServerConfig::default();
    let frame = b"\x81\x85\x00\x00\x00\x00Hello";
    let whole_r0 = whole(&config, R0.as_bytes()).unwrap().unwrap();
    assert_eq!(bytewise(&config, R0.as_bytes()).unwrap().unwrap(), whole_r0);
    // With a frame in the same read: the request is the same and the frame is left over.
    let mut input = R0.as_bytes().to_vec();
    input.extend_from_slice(frame);
    let (req, consumed) = whole(&config, &input).unwrap().unwrap();
    assert_eq!(req, whole_r0.0);
    assert_eq!(&input[consumed..], frame);
    // Split at every point: the leftover of the completing chunk is always the frame.
    for split in 0..input.len() {
        let mut hs = ServerHandshake::new(&config);
        let (a, b) = input.split_at(split);
        let (chunk, value) = match hs.handle_input(a).unwrap() {
            Decoded::Complete((value, consumed)) => (&a[consumed..], format!("{value:?}")),
            Decoded::Incomplete { .. } => match hs.handle_input(b).unwrap() {
                Decoded::Complete((value, consumed)) => (&b[consumed..], format!("{value:?}")),
                Decoded::Incomplete { .. } => panic!("split {split}: never completed"),
            },
        };
        assert_eq!(value, whole_r0.0, "split {split}");
        let mut leftover = chunk.to_vec();
        if split < R0.len() {
            assert_eq!(leftover, frame, "split {split}");
        } else {
            leftover.extend_from_slice(b);
            assert_eq!(leftover, frame, "split {split}");
        }
    }
}

#[test]
fn finished_handshakes_repeat_their_outcome_and_consume_nothing() {
    let config = ServerConfig::default();
    let mut hs = ServerHandshake::new(&config);
    let input = r0_plus("Sec-WebSocket-Protocol: chat, superchat").replacen(
        "\r\n\r\n",
        "\r\nOrigin: https://a.example\r\nSec-WebSocket-Extensions: x; a=1\r\n\r\n",
        1,
    );
    let first = match hs.handle_input(input.as_bytes()) {
        Ok(Decoded::Complete((value, _))) => format!("{value:?}"),
        other => panic!("refused: {other:?}"),
    };
    // Later calls hand out the kept request, equal in every part, and consume nothing.
    for _ in 0..2 {
        let Ok(Decoded::Complete((value, 0))) = hs.handle_input(b"\x81\x00") else {
            panic!("a second call changed the outcome")
        };
        assert_eq!(format!("{value:?}"), first);
        assert_eq!(value.path(), "/chat");
        assert_eq!(value.subprotocols(), ["chat", "superchat"]);
        assert_eq!(value.extension_offers().len(), 1);
    }
    let mut bad = ServerHandshake::new(&config);
    let bad_input = r0("GET", "PUT");
    assert_eq!(
        bad.handle_input(bad_input.as_bytes()).err(),
        Some(RequestError::MethodNotAllowed)
    );
    assert_eq!(
        bad.handle_input(R0.as_bytes()).err(),
        Some(RequestError::MethodNotAllowed)
    );
    assert_eq!(
        hs.handle_input(&[])
            .map(|p| matches!(p, Decoded::Complete(_))),
        Ok(true)
    );
}

#[test]
fn limits_answer_414_and_431_without_unbounded_buffering() {
    let mut config = ServerConfig::default();
    let limits = config.limits_mut();
    limits.max_head_bytes = 1024;
    limits.max_headers = 8;
    limits.max_request_line = 256;
    // A request line over the limit: 414 as soon as the limit is passed, newline or not.
    let long = format!("GET /{} HTTP/1.1\r\n", "a".repeat(300));
    assert_eq!(
        whole(&config, long.as_bytes()),
        Err(RequestError::RequestLineTooLong)
    );
    assert_eq!(
        whole(&config, &long.as_bytes()[..280]),
        Err(RequestError::RequestLineTooLong)
    );
    assert_eq!(RequestError::RequestLineTooLong.status().as_u16(), 414);
    // Too many fields.
    let many = r0_plus(
        &(0..8)
            .map(|i| format!("X-{i}: v"))
            .collect::<Vec<_>>()
            .join("\r\n"),
    );
    assert_eq!(
        whole(&config, many.as_bytes()),
        Err(RequestError::TooManyHeaders)
    );
    assert_eq!(
        bytewise(&config, many.as_bytes()),
        Err(RequestError::TooManyHeaders)
    );
    // A block that never ends: 431 once the limit is reached, whether fed whole or in pieces.
    let endless = format!("GET / HTTP/1.1\r\nX-Big: {}", "b".repeat(5000));
    assert_eq!(
        whole(&config, endless.as_bytes()),
        Err(RequestError::HeadTooLarge)
    );
    assert_eq!(
        bytewise(&config, endless.as_bytes()),
        Err(RequestError::HeadTooLarge)
    );
    assert_eq!(RequestError::HeadTooLarge.status().as_u16(), 431);
    // A block just under the limit passes.
    let mut fits = R0.to_string();
    let pad = 1024 - R0.len() - "X-Pad: \r\n".len();
    fits = fits.replacen(
        "\r\n\r\n",
        &format!("\r\nX-Pad: {}\r\n\r\n", "p".repeat(pad)),
        1,
    );
    assert_eq!(fits.len(), 1024);
    assert!(whole(&config, fits.as_bytes()).unwrap().is_some());
    // More than 32 fields uses the heap path of the parser; the default limit is 128.
    let config = ServerConfig::default();
    assert_eq!(Limits::default(), *config.limits());
    let fifty = r0_plus(
        &(0..50)
            .map(|i| format!("X-{i}: v"))
            .collect::<Vec<_>>()
            .join("\r\n"),
    );
    assert!(whole(&config, fifty.as_bytes()).unwrap().is_some());
}

#[test]
fn parse_request_works_on_the_callers_buffer() {
    let limits = Limits::default();
    // "Need more" says how much could still end the head: "\n\n" within a line, and after a
    // line end a bare LF (which RFC 9112 §2.2 lets a recipient take as one).
    assert_eq!(
        parse_request(&R0.as_bytes()[..18], &limits),
        Ok(Decoded::Incomplete { needed: 2 })
    );
    assert_eq!(
        parse_request(&R0.as_bytes()[..20], &limits),
        Ok(Decoded::Incomplete { needed: 1 })
    );
    let short = &R0.as_bytes()[..R0.len() - 1];
    assert_eq!(
        parse_request(short, &limits),
        Ok(Decoded::Incomplete { needed: 1 })
    );
    let mut hs = ServerHandshake::new(&ServerConfig::default());
    assert_eq!(
        hs.handle_input(short)
            .map(|d| matches!(d, Decoded::Incomplete { needed: 1 })),
        Ok(true)
    );
    let mut buf = R0.as_bytes().to_vec();
    buf.extend_from_slice(b"\x88\x80");
    let Ok(Decoded::Complete((value, consumed))) = parse_request(&buf, &limits) else {
        panic!("R0 refused")
    };
    assert_eq!((value.path(), consumed), ("/chat", R0.len()));
}

#[test]
fn request_exposes_path_query_origin_and_headers() {
    let config = ServerConfig::default();
    let input = r0("GET /chat", "GET /chat?room=1&x").replacen(
        "\r\n\r\n",
        "\r\nOrigin: https://good.example\r\nCookie: a=b\r\n\r\n",
        1,
    );
    let mut hs = ServerHandshake::new(&config);
    let Ok(Decoded::Complete((req, _))) = hs.handle_input(input.as_bytes()) else {
        panic!("refused")
    };
    assert_eq!((req.path(), req.query()), ("/chat", Some("room=1&x")));
    assert_eq!(req.target(), "/chat?room=1&x");
    assert_eq!(req.origin(), Some("https://good.example"));
    assert_eq!(req.header("cookie"), Some(&b"a=b"[..]));
    assert_eq!(req.headers().len(), 7);
    // Origin policy (RFC 6455 §4.2.2).
    assert_eq!(req.check_origin(&["https://GOOD.example"]), Ok(()));
    let r = req.check_origin(&["https://other.example"]).unwrap_err();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.to_bytes().starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
    // Without Origin (non-browser clients) the check passes.
    let mut hs = ServerHandshake::new(&config);
    let Ok(Decoded::Complete((plain, _))) = hs.handle_input(R0.as_bytes()) else {
        panic!("refused")
    };
    assert_eq!(plain.check_origin(&["https://good.example"]), Ok(()));
}

#[test]
fn application_rejections() {
    let not_found = Rejection::new(StatusCode::NOT_FOUND).unwrap();
    assert!(
        not_found
            .to_bytes()
            .starts_with(b"HTTP/1.1 404 Not Found\r\nConnection: close\r\n")
    );
    let mut busy = Rejection::new(StatusCode::SERVICE_UNAVAILABLE).unwrap();
    busy.header("Retry-After", "120")
        .unwrap()
        .body("shutting down");
    let bytes = String::from_utf8(busy.to_bytes()).unwrap();
    assert!(bytes.contains("\r\nRetry-After: 120\r\n"));
    assert!(bytes.ends_with("\r\nContent-Length: 13\r\nRetry-After: 120\r\n\r\nshutting down"));
    let mut auth = Rejection::new(StatusCode::UNAUTHORIZED).unwrap();
    auth.header("WWW-Authenticate", "Bearer").unwrap();
    assert_eq!(
        auth.headers(),
        &[("WWW-Authenticate".to_string(), "Bearer".to_string())]
    );
    assert_eq!(
        Rejection::new(StatusCode::SWITCHING_PROTOCOLS),
        Err(BuildError::InvalidStatus)
    );
    assert_eq!(
        auth.header("X-Evil", "a\r\nSet-Cookie: x").err(),
        Some(BuildError::InvalidHeader)
    );
}

fn accept_with_protocols(offer: &str, config: &ServerConfig) -> Option<String> {
    let input = r0_plus(&format!("Sec-WebSocket-Protocol: {offer}"));
    let mut hs = ServerHandshake::new(config);
    let Ok(Decoded::Complete((value, _))) = hs.handle_input(input.as_bytes()) else {
        panic!("refused {offer}")
    };
    let accepted = value.accept(config);
    let bytes = String::from_utf8(accepted.to_bytes()).unwrap();
    let header = bytes
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Protocol: "))
        .map(str::to_string);
    assert_eq!(header.as_deref(), accepted.negotiated().subprotocol());
    header
}

#[test]
fn subprotocol_selection() {
    // The default config never selects one; the header is then absent (RFC 6455 §4.2.2).
    let none = ServerConfig::default();
    assert_eq!(accept_with_protocols("foo, bar", &none), None);
    // Server preference order wins over the client's (preference list).
    let mut prefs = ServerConfig::default();
    prefs.subprotocols(["bar", "foo"]).unwrap();
    assert_eq!(
        accept_with_protocols("foo, bar", &prefs).as_deref(),
        Some("bar")
    );
    assert_eq!(accept_with_protocols("baz", &prefs), None);
    // OWS, several lines, empty elements.
    let input = r0_plus(
        "Sec-WebSocket-Protocol: foo , bar\t, \tbaz\t ,  qux\t\t,norf\r\nSec-WebSocket-Protocol: x,,",
    );
    let mut hs = ServerHandshake::new(&none);
    let Ok(Decoded::Complete((value, _))) = hs.handle_input(input.as_bytes()) else {
        panic!("refused")
    };
    assert_eq!(
        value.subprotocols(),
        ["foo", "bar", "baz", "qux", "norf", "x"]
    );
    // Application choice (a closure over the offers), and an error for a choice not offered.
    fn choose<'a>(offers: &[&'a str]) -> Option<&'a str> {
        offers.iter().rev().copied().find(|p| p.len() == 3)
    }
    let chosen = choose(value.subprotocols());
    let accepted = value
        .accept_with(&none, chosen, &[("Set-Cookie", "s=1")])
        .unwrap();
    assert_eq!(accepted.negotiated().subprotocol(), Some("qux"));
    let bytes = String::from_utf8(accepted.to_bytes()).unwrap();
    assert!(
        bytes.ends_with("Sec-WebSocket-Protocol: qux\r\nSet-Cookie: s=1\r\n\r\n"),
        "{bytes}"
    );
    assert_eq!(
        value.accept_with(&none, Some("Foo"), &[]),
        Err(BuildError::SubprotocolNotOffered)
    );
    assert_eq!(
        value.accept_with(&none, None, &[("Sec-WebSocket-Accept", "x")]),
        Err(BuildError::InvalidHeader)
    );
    assert_eq!(
        ServerConfig::default()
            .subprotocols(["a", "a"])
            .err()
            .map(|_| ()),
        Some(())
    );
}

/// Accepts `x-ext` offers without parameters, answering `x-ext; ok`.
#[derive(Debug)]
struct NoParams;

impl ServerNegotiator for NoParams {
    fn name(&self) -> &str {
        "x-ext"
    }
    fn negotiate(&self, offer: &[Param]) -> Option<Vec<Param>> {
        offer
            .is_empty()
            .then(|| vec![Param::new("ok", None).unwrap()])
    }
}

/// Accepts any `x-other` offer as is.
#[derive(Debug)]
struct Other;

impl ServerNegotiator for Other {
    fn name(&self) -> &str {
        "x-other"
    }
    fn negotiate(&self, offer: &[Param]) -> Option<Vec<Param>> {
        Some(offer.to_vec())
    }
}

fn negotiate(header: &str, config: &ServerConfig) -> (Vec<Extension>, String) {
    let input = r0_plus(&format!("Sec-WebSocket-Extensions: {header}"));
    let mut hs = ServerHandshake::new(config);
    let Ok(Decoded::Complete((value, _))) = hs.handle_input(input.as_bytes()) else {
        panic!("refused {header}")
    };
    let accepted = value.accept(config);
    let bytes = String::from_utf8(accepted.to_bytes()).unwrap();
    let line = bytes
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Extensions: "))
        .unwrap_or("")
        .to_string();
    (accepted.into_negotiated().into_parts().1, line)
}

#[test]
fn extension_offers_go_to_the_negotiators_and_unknown_ones_are_declined() {
    let mut config = ServerConfig::default();
    config
        .extension(Box::new(NoParams))
        .extension(Box::new(Other));
    // Unknown offers are ignored, no header.
    assert_eq!(negotiate("foo; bar", &config), (vec![], String::new()));
    assert_eq!(negotiate("foo", &ServerConfig::default()).1, "");
    // Names are case-sensitive.
    assert_eq!(negotiate("X-Ext", &config).1, "");
    // The first acceptable offer wins, later offers of the same name are skipped.
    let (exts, line) = negotiate("x-ext; a=1, x-ext, x-ext", &config);
    assert_eq!(line, "x-ext; ok");
    assert_eq!(exts.len(), 1);
    // The response follows the client's order, each negotiator at most once.
    let (_, line) = negotiate("x-other; q=\"v\", foo, x-ext, x-other", &config);
    assert_eq!(line, "x-other; q=v, x-ext; ok");
    // Lines are one list.
    let input = r0_plus("Sec-WebSocket-Extensions: foo\r\nSec-WebSocket-Extensions: x-ext");
    let mut hs = ServerHandshake::new(&config);
    let Ok(Decoded::Complete((value, _))) = hs.handle_input(input.as_bytes()) else {
        panic!("refused")
    };
    let names: Vec<&str> = value
        .extension_offers()
        .iter()
        .map(Extension::name)
        .collect();
    assert_eq!(names, ["foo", "x-ext"]);
}

#[test]
fn config_headers_come_after_the_mandatory_ones() {
    let mut config = ServerConfig::default();
    config.header("Set-Cookie", "id=1").unwrap();
    assert_eq!(
        config.header("Upgrade", "h2c").err(),
        Some(BuildError::InvalidHeader)
    );
    let mut hs = ServerHandshake::new(&config);
    let Ok(Decoded::Complete((value, _))) = hs.handle_input(R0.as_bytes()) else {
        panic!("refused")
    };
    let bytes = value
        .accept_with(&config, None, &[("X-Per-Request", "2")])
        .unwrap()
        .to_bytes();
    let expected = R0_101.replacen(
        "\r\n\r\n",
        "\r\nSet-Cookie: id=1\r\nX-Per-Request: 2\r\n\r\n",
        1,
    );
    assert_eq!(String::from_utf8(bytes).unwrap(), expected);
}

/// The `http` crate interop: the same rules over an `http::Request`.
#[cfg(feature = "http")]
mod http_interop {
    use wswire::handshake::{RequestError, ServerConfig, http_interop};

    fn r0() -> http::request::Builder {
        http::Request::get("/chat")
            .header("Host", "server.example.com")
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("Sec-WebSocket-Version", "13")
    }

    #[test]
    fn accepts_with_a_101_and_the_negotiated_values() {
        let mut config = ServerConfig::default();
        config.subprotocols(["chat"]).unwrap();
        config.header("Set-Cookie", "a=1").unwrap();
        let req = r0()
            .header("Sec-WebSocket-Protocol", "chat, x")
            .body(())
            .unwrap();
        let (resp, negotiated) = http_interop::upgrade(&req, &config).unwrap();
        assert_eq!(resp.status(), http::StatusCode::SWITCHING_PROTOCOLS);
        let h = resp.headers();
        assert_eq!(h["upgrade"], "websocket");
        assert_eq!(h["connection"], "Upgrade");
        assert_eq!(h["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(h["sec-websocket-protocol"], "chat");
        assert_eq!(h["set-cookie"], "a=1");
        assert_eq!(negotiated.subprotocol(), Some("chat"));
        let absolute = http::Request::get("http://server.example.com/chat?x=1")
            .header("Host", "server.example.com")
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("Sec-WebSocket-Version", "13")
            .body(())
            .unwrap();
        let req = http_interop::validate(&absolute).unwrap();
        assert_eq!((req.path(), req.query()), ("/chat", Some("x=1")));
    }

    /// `http://host?q` has no path: its resource name is `/` with the query (RFC 6455 §4.2.1
    /// item 1), as the byte server reads it, though `http::Uri` holds `?q` as its path and
    /// query (found by the handshake_request fuzz target's `http` front-end oracle).
    #[test]
    fn an_absolute_target_without_a_path_keeps_its_query() {
        let req = r0().uri("http://server.example.com?x=1").body(()).unwrap();
        let req = http_interop::validate(&req).unwrap();
        assert_eq!((req.path(), req.query()), ("/", Some("x=1")));
    }

    /// The method and the version are checked before the target, as by the byte server.
    #[test]
    fn the_method_is_refused_before_the_target() {
        let req = r0().method("POST").uri("*").body(()).unwrap();
        assert_eq!(
            http_interop::validate(&req).unwrap_err(),
            RequestError::MethodNotAllowed
        );
    }

    #[test]
    fn rejects_with_the_same_statuses_and_headers() {
        let cases = [
            (
                r0().method("POST").body(()).unwrap(),
                RequestError::MethodNotAllowed,
                Some(("allow", "GET")),
            ),
            (
                r0().version(http::Version::HTTP_10).body(()).unwrap(),
                RequestError::UnsupportedHttpVersion,
                None,
            ),
            (
                r0().version(http::Version::HTTP_2).body(()).unwrap(),
                RequestError::UnsupportedHttpVersion,
                None,
            ),
            (
                r0().header("Sec-WebSocket-Version", "13").body(()).unwrap(),
                RequestError::DuplicateHeader("Sec-WebSocket-Version"),
                None,
            ),
            (
                {
                    let mut r = r0().body(()).unwrap();
                    r.headers_mut()
                        .insert("sec-websocket-version", "8".parse().unwrap());
                    r
                },
                RequestError::UnsupportedVersion,
                Some(("sec-websocket-version", "13")),
            ),
        ];
        for (req, error, header) in cases {
            assert_eq!(http_interop::validate(&req).err(), Some(error));
            let resp = http_interop::upgrade(&req, &ServerConfig::default()).unwrap_err();
            assert_eq!(resp.status().as_u16(), error.status().as_u16());
            assert_eq!(resp.headers()["connection"], "close");
            if let Some((n, v)) = header {
                assert_eq!(resp.headers()[n], v);
            }
        }
    }
}

#[test]
fn a_header_line_over_8_kib_is_refused_with_431_as_soon_as_it_is_that_long() {
    let config = ServerConfig::default();
    // 9 KiB in one field, well under the 16 KiB head limit.
    let long = r0_plus(&format!("X-Big: {}", "b".repeat(9 * 1024)));
    assert_eq!(
        whole(&config, long.as_bytes()),
        Err(RequestError::HeaderLineTooLong)
    );
    assert_eq!(
        bytewise(&config, long.as_bytes()),
        Err(RequestError::HeaderLineTooLong)
    );
    assert_eq!(
        parse_request(long.as_bytes(), config.limits()).map(|_| ()),
        Err(RequestError::HeaderLineTooLong)
    );
    assert_eq!(RequestError::HeaderLineTooLong.status().as_u16(), 431);
    // Unfinished: refused once the line passes the limit, not at the 16 KiB head limit.
    let start = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}",
        "b".repeat(8 * 1024)
    );
    assert_eq!(
        whole(&config, start.as_bytes()),
        Err(RequestError::HeaderLineTooLong)
    );
    // Exactly 8 KiB is accepted.
    let name = "X-Big: ";
    let fits = r0_plus(&format!("{name}{}", "b".repeat(8 * 1024 - name.len())));
    assert!(matches!(whole(&config, fits.as_bytes()), Ok(Some(_))));
    // Bytes after the head (frames in the same packet) are not header lines.
    let mut with_frames = R0.as_bytes().to_vec();
    with_frames.extend(std::iter::repeat_n(b'x', 10 * 1024));
    assert!(matches!(whole(&config, &with_frames), Ok(Some(_))));
}

#[test]
fn once_complete_every_later_call_hands_out_the_same_request_and_consumes_nothing() {
    let config = ServerConfig::default();
    let mut hs = ServerHandshake::new(&config);
    let head = r0_plus(
        "Sec-WebSocket-Protocol: chat, superchat\r\n\
         Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
         Origin: http://example.com",
    );
    let first = match hs.handle_input(head.as_bytes()) {
        Ok(Decoded::Complete((req, used))) => {
            assert_eq!(used, head.len());
            format!("{req:?}")
        }
        other => panic!("{other:?}"),
    };
    assert!(
        first.contains("superchat") && first.contains("client_max_window_bits"),
        "{first}"
    );
    // The second call builds the kept copy, the third reads it: both equal the first, and
    // bytes pushed after the head are not the handshake's.
    for _ in 0..2 {
        match hs.handle_input(b"\x81\x85more") {
            Ok(Decoded::Complete((req, used))) => {
                assert_eq!(used, 0);
                assert_eq!(format!("{req:?}"), first);
            }
            other => panic!("{other:?}"),
        }
    }
}
