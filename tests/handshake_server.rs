//! The server's opening handshake (RFC 6455 §4.2): valid requests accepted, the 101 response,
//! incremental input (whole, byte by byte, with trailing frame bytes), the size limits, the
//! request's parts. Refusals: `tests/handshake_server_rejections.rs`; the application's
//! choices (subprotocol, extensions, headers): `tests/handshake_server_choices.rs`; over the
//! `http` crate: `tests/handshake_http_interop.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::handshake::{R0, R0_101, bytewise, r0, r0_plus, whole};
use wswire::frame::Decoded;
use wswire::handshake::{
    Limits, RequestError, ServerConfig, ServerHandshake, StatusCode, parse_request,
};

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
