//! What the server application chooses in the opening handshake (RFC 6455 §4.2.2): its own
//! rejections, the subprotocol, the extensions (offers go to the negotiators, unknown ones
//! are declined), and the extra headers, which come after the mandatory ones.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::handshake::{R0, R0_101, r0_plus};
use wswire::extensions::{Extension, Param, ServerNegotiator};
use wswire::frame::Decoded;
use wswire::handshake::{BuildError, Rejection, ServerConfig, ServerHandshake, StatusCode};

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
