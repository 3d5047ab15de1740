//! The server's refusals of invalid requests (RFC 6455 §4.2.1, §4.2.2): each with its status
//! and the headers its response must carry, and an error naming the offending header.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::handshake::{R0, bytewise, r0, r0_plus, whole};
use wswire::extensions::ExtensionHeaderError;
use wswire::handshake::{RequestError, ServerConfig};

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
