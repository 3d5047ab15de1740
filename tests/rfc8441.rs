//! WebSockets over HTTP/2 and HTTP/3 (RFC 8441, RFC 9220): the extended CONNECT validated over
//! plain header lists, its 200 response, and the client's check of it.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use wswire::extensions::{ClientNegotiator, NegotiationError, Param, ServerNegotiator};
use wswire::handshake::h2::{parse_connect_request, rejection_headers};
use wswire::handshake::{ClientRequest, RequestError, ResponseError, ServerConfig};

fn base() -> Vec<(&'static str, &'static str)> {
    vec![
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":path", "/chat?room=1"),
        (":authority", "server.example.com"),
        ("sec-websocket-version", "13"),
        ("origin", "https://app.example"),
    ]
}

fn without(name: &str) -> Vec<(&'static str, &'static str)> {
    base().into_iter().filter(|(n, _)| *n != name).collect()
}

fn with(name: &'static str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut v = without(name);
    v.push((name, value));
    v
}

#[derive(Debug)]
struct Ext;

impl ServerNegotiator for Ext {
    fn name(&self) -> &str {
        "x-ext"
    }
    fn negotiate(&self, offer: &[Param]) -> Option<Vec<Param>> {
        Some(offer.to_vec())
    }
}

impl ClientNegotiator for Ext {
    fn name(&self) -> &str {
        "x-ext"
    }
    fn offers(&self) -> Vec<Vec<Param>> {
        vec![vec![Param::new("a", Some("1")).unwrap()]]
    }
    fn check_response(&self, params: &[Param]) -> Result<(), NegotiationError> {
        if params.len() <= 1 {
            Ok(())
        } else {
            Err(NegotiationError::new("too many"))
        }
    }
}

#[test]
fn a_valid_extended_connect_is_exposed() {
    let list = base();
    let req = parse_connect_request(&list).unwrap();
    assert_eq!(req.scheme(), "https");
    assert_eq!(req.authority(), "server.example.com");
    assert_eq!(req.path(), "/chat?room=1");
    assert_eq!(req.origin(), Some("https://app.example"));
    assert!(req.subprotocols().is_empty());
    assert_eq!(req.headers().len(), list.len());
    let accepted = req.accept(&ServerConfig::default());
    assert_eq!(
        accepted.headers(),
        &[(":status".to_string(), "200".to_string())]
    );
}

#[test]
fn a_key_is_ignored_and_no_accept_is_sent() {
    let list = with("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==");
    let accepted = parse_connect_request(&list)
        .unwrap()
        .accept(&ServerConfig::default());
    assert!(
        accepted
            .headers()
            .iter()
            .all(|(n, _)| n != "sec-websocket-accept")
    );
}

#[test]
fn invalid_requests_are_refused_with_their_status() {
    type Case = (
        &'static str,
        Vec<(&'static str, &'static str)>,
        RequestError,
        u16,
    );
    let cases: Vec<Case> = vec![
        (
            "no :path",
            without(":path"),
            RequestError::MissingPseudoHeader(":path"),
            400,
        ),
        (
            "no :scheme",
            without(":scheme"),
            RequestError::MissingPseudoHeader(":scheme"),
            400,
        ),
        (
            "no :authority",
            without(":authority"),
            RequestError::MissingPseudoHeader(":authority"),
            400,
        ),
        (
            "no :protocol",
            without(":protocol"),
            RequestError::NotExtendedConnect,
            400,
        ),
        (
            "GET",
            with(":method", "GET").into_iter().rev().collect(),
            RequestError::Malformed,
            400,
        ),
        (
            ":protocol on GET",
            {
                let mut v = base();
                v[0] = (":method", "GET");
                v
            },
            RequestError::Malformed,
            400,
        ),
        (
            "other protocol",
            {
                let mut v = base();
                v[1] = (":protocol", "webtransport");
                v
            },
            RequestError::UnsupportedProtocol,
            400,
        ),
        (
            "connection header",
            with("connection", "upgrade"),
            RequestError::Malformed,
            400,
        ),
        (
            "upgrade header",
            with("upgrade", "websocket"),
            RequestError::Malformed,
            400,
        ),
        (
            "upper-case name",
            with("Origin", "x"),
            RequestError::Malformed,
            400,
        ),
        (
            "pseudo after regular",
            {
                let mut v = without(":authority");
                v.push((":authority", "a"));
                v
            },
            RequestError::Malformed,
            400,
        ),
        (
            "unknown pseudo",
            with(":foo", "x"),
            RequestError::Malformed,
            400,
        ),
        (
            "bad scheme",
            {
                let mut v = base();
                v[2] = (":scheme", "wss");
                v
            },
            RequestError::InvalidPseudoHeader(":scheme"),
            400,
        ),
        (
            "path without slash",
            {
                let mut v = base();
                v[3] = (":path", "chat");
                v
            },
            RequestError::InvalidPseudoHeader(":path"),
            400,
        ),
        (
            "no version",
            without("sec-websocket-version"),
            RequestError::MissingVersion,
            400,
        ),
        (
            "version 8",
            with("sec-websocket-version", "8"),
            RequestError::UnsupportedVersion,
            426,
        ),
        (
            "two versions",
            {
                let mut v = base();
                v.push(("sec-websocket-version", "13"));
                v
            },
            RequestError::DuplicateHeader("Sec-WebSocket-Version"),
            400,
        ),
        (
            "bad subprotocol",
            with("sec-websocket-protocol", "a;b"),
            RequestError::InvalidSubprotocols,
            400,
        ),
    ];
    for (name, list, error, status) in cases {
        let e = parse_connect_request(&list).expect_err(name);
        assert_eq!(e, error, "{name}");
        assert_eq!(e.status().as_u16(), status, "{name}");
        let h = rejection_headers(&e);
        assert_eq!(h[0], (":status".to_string(), status.to_string()), "{name}");
        let has_version = h.contains(&("sec-websocket-version".into(), "13".into()));
        assert_eq!(
            has_version,
            matches!(
                e,
                RequestError::MissingVersion | RequestError::UnsupportedVersion
            ),
            "{name}"
        );
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn client_and_server_agree_on_subprotocol_and_extensions() {
    let mut config = ServerConfig::default();
    config.subprotocols(["superchat", "chat"]).unwrap();
    config.extension(Box::new(Ext));
    config.header("X-Server", "1").unwrap();
    let mut req = ClientRequest::new("server.example.com:8443", "/chat").unwrap();
    req.subprotocols(["chat", "superchat"]).unwrap();
    req.origin("https://app.example").unwrap();
    req.extension(Box::new(Ext));
    req.header("Authorization", "Bearer t").unwrap();
    let client = req.start_h2(true);
    let sent: Vec<(&str, &str)> = client
        .request_headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        &sent[..6],
        &[
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "https"),
            (":path", "/chat"),
            (":authority", "server.example.com:8443"),
            ("sec-websocket-version", "13"),
        ]
    );
    assert!(sent.contains(&("authorization", "Bearer t")));
    assert!(sent.iter().all(|(n, _)| *n != "sec-websocket-key"));
    let request = parse_connect_request(&sent).unwrap();
    let accepted = request.accept(&config);
    let response: Vec<(&str, &str)> = accepted
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        response,
        [
            (":status", "200"),
            ("sec-websocket-protocol", "superchat"),
            ("sec-websocket-extensions", "x-ext; a=1"),
            ("x-server", "1"),
        ]
    );
    let negotiated = client.check_response(&response).unwrap();
    assert_eq!(&negotiated, accepted.negotiated());
    // An application-chosen protocol, and the refusal of one not offered, over HTTP/2 too.
    assert_eq!(
        request
            .accept_with(&config, Some("chat"), &[])
            .unwrap()
            .negotiated()
            .subprotocol(),
        Some("chat")
    );
    assert!(request.accept_with(&config, Some("other"), &[]).is_err());
}

#[test]
fn client_checks_of_the_response() {
    let mut req = ClientRequest::new("h", "/").unwrap();
    req.subprotocols(["chat"]).unwrap();
    req.extension(Box::new(Ext));
    let client = req.start_h2(false);
    assert_eq!(
        client.request_headers()[2],
        (":scheme".into(), "http".into())
    );
    assert!(client.check_response(&[(":status", "200")]).is_ok());
    assert!(client.check_response(&[(":status", "204")]).is_ok());
    let Err(ResponseError::UnexpectedStatus(s)) =
        client.check_response(&[(":status", "403"), ("x-why", "no")])
    else {
        panic!("403 accepted")
    };
    assert_eq!(
        (s.status().as_u16(), s.header("x-why")),
        (403, Some(&b"no"[..]))
    );
    // 101 is not used over HTTP/2.
    assert!(matches!(
        client.check_response(&[(":status", "101")]),
        Err(ResponseError::UnexpectedStatus(_))
    ));
    for bad in [
        vec![],
        vec![(":status", "20")],
        vec![(":status", "200"), (":status", "200")],
        vec![(":status", "200"), (":foo", "x")],
        vec![(":status", "200"), ("Sec-WebSocket-Protocol", "chat")],
    ] {
        assert_eq!(
            client.check_response(&bad),
            Err(ResponseError::MalformedHeaderList),
            "{bad:?}"
        );
    }
    assert_eq!(
        client.check_response(&[(":status", "200"), ("sec-websocket-protocol", "other")]),
        Err(ResponseError::SubprotocolNotOffered)
    );
    assert_eq!(
        client.check_response(&[(":status", "200"), ("sec-websocket-extensions", "y")]),
        Err(ResponseError::ExtensionNotOffered("y".into()))
    );
    assert!(matches!(
        client.check_response(&[
            (":status", "200"),
            ("sec-websocket-extensions", "x-ext; a; b")
        ]),
        Err(ResponseError::ExtensionRejected { .. })
    ));
}
