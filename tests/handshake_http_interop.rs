//! The `http` crate interop of the server handshake: the same rules (RFC 6455 §4.2.1) over an
//! `http::Request`, answered as an `http::Response`.
#![cfg(feature = "http")]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

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
