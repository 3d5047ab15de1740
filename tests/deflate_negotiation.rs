//! permessage-deflate negotiation (RFC 7692 §5, §7): the server's choice among offers, one row
//! per case, and the client's checks of the response, through the real handshakes. No DEFLATE
//! engine is needed, so this runs with `--no-default-features` too.

use wswire::extensions::deflate::{
    ClientMaxWindowBits, DeflateClient, DeflateOffer, DeflateParams, DeflateServer,
};
use wswire::extensions::{format_header, parse_header};
use wswire::frame::Decoded;
use wswire::handshake::{ClientRequest, ResponseError, SecWebSocketKey, ServerConfig};

fn server(options: DeflateServer) -> ServerConfig {
    let mut c = ServerConfig::default();
    c.extension(Box::new(options));
    c
}

/// The `Sec-WebSocket-Extensions` a server with `options` answers `offers` with.
fn answer(options: DeflateServer, offers: &str) -> String {
    let offers = parse_header(offers.as_bytes()).unwrap();
    format_header(&server(options).negotiate_extensions(&offers))
}

fn opts(f: impl FnOnce(&mut DeflateServer)) -> DeflateServer {
    let mut o = DeflateServer::default();
    f(&mut o);
    o
}

#[test]
fn server_choice_among_offers() {
    let d = DeflateServer::default();
    let pmd = "permessage-deflate";
    let cases: Vec<(&str, DeflateServer, &str, &str)> = vec![
        ("plain offer", d, pmd, pmd),
        (
            "client_max_window_bits without a value",
            d,
            "permessage-deflate; client_max_window_bits",
            pmd,
        ),
        (
            "client limited by us",
            opts(|o| o.client_max_window_bits = 10),
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits=10",
        ),
        (
            "all four parameters echoed",
            d,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11",
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11",
        ),
        (
            "server_max_window_bits echoed",
            d,
            "permessage-deflate; server_max_window_bits=10",
            "permessage-deflate; server_max_window_bits=10",
        ),
        (
            "own limit lower",
            opts(|o| o.server_max_window_bits = 9),
            "permessage-deflate; server_max_window_bits=10",
            "permessage-deflate; server_max_window_bits=9",
        ),
        (
            "server_no_context_takeover echoed",
            d,
            "permessage-deflate; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover",
        ),
        (
            "no context takeover by policy",
            opts(|o| {
                o.server_no_context_takeover = true;
                o.client_no_context_takeover = true;
            }),
            pmd,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        ),
        (
            "required client limit not offered",
            opts(|o| o.client_max_window_bits = 10),
            pmd,
            "",
        ),
        (
            "first offer declined, second accepted",
            opts(|o| {
                o.server_max_window_bits = 11;
                o.server_min_window_bits = 11;
            }),
            "permessage-deflate; server_max_window_bits=10, permessage-deflate",
            "permessage-deflate; server_max_window_bits=11",
        ),
        ("unknown parameter", d, "permessage-deflate; foo", ""),
        (
            "later valid offer",
            d,
            "permessage-deflate; foo, permessage-deflate; client_no_context_takeover",
            "permessage-deflate; client_no_context_takeover",
        ),
        (
            "duplicate parameter",
            d,
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "",
        ),
        (
            "quoted 10",
            d,
            "permessage-deflate; client_max_window_bits=\"10\"",
            "permessage-deflate; client_max_window_bits=10",
        ),
        (
            "client 8",
            d,
            "permessage-deflate; client_max_window_bits=8",
            "permessage-deflate; client_max_window_bits=8",
        ),
        (
            "server 8: accepted, we then send uncompressed",
            d,
            "permessage-deflate; server_max_window_bits=8",
            "permessage-deflate; server_max_window_bits=8",
        ),
        (
            "server 8 declined by policy",
            opts(|o| o.server_min_window_bits = 9),
            "permessage-deflate; server_max_window_bits=8, permessage-deflate",
            pmd,
        ),
        (
            "own window 8 is raised to 9",
            opts(|o| o.server_max_window_bits = 8),
            pmd,
            "permessage-deflate; server_max_window_bits=9",
        ),
        (
            "later offers skipped",
            d,
            "permessage-deflate; server_no_context_takeover, permessage-deflate",
            "permessage-deflate; server_no_context_takeover",
        ),
        ("unknown extension", d, "foo; bar", ""),
        (
            "unknown extension, then permessage-deflate",
            d,
            "foo; bar, permessage-deflate",
            pmd,
        ),
        ("case-sensitive name", d, "Permessage-Deflate", ""),
    ];
    for (item, o, offers, expected) in cases {
        assert_eq!(answer(o, offers), expected, "{item}: {offers}");
    }
    // Deflate not configured: the offer is ignored.
    let offers = parse_header(b"permessage-deflate").unwrap();
    assert!(
        ServerConfig::default()
            .negotiate_extensions(&offers)
            .is_empty()
    );
}

#[test]
fn invalid_offers_are_declined() {
    for bad in [
        "permessage-deflate; foo",
        "permessage-deflate; foo=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
        "permessage-deflate; client_no_context_takeover=10",
        "permessage-deflate; server_no_context_takeover=10",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=foo",
        "permessage-deflate; client_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=foo",
        "permessage-deflate; server_max_window_bits=08",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; server_max_window_bits=0x9",
        "permessage-deflate; server_max_window_bits=1e1",
        "permessage-deflate; server_max_window_bits=+9",
        "permessage-deflate; client_max_window_bits=09",
    ] {
        let offers = parse_header(bad.as_bytes()).unwrap();
        assert_eq!(
            DeflateOffer::parse(offers[0].params()),
            None,
            "{bad} parses"
        );
        assert_eq!(answer(DeflateServer::default(), bad), "", "{bad}");
        // And a later valid offer is still accepted (not a handshake failure).
        let two = format!("{bad}, permessage-deflate");
        assert_eq!(
            answer(DeflateServer::default(), &two),
            "permessage-deflate",
            "{two}"
        );
    }
}

#[test]
fn no_acceptable_offer_still_gives_101_without_the_extension() {
    let request = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
        Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=foo\r\n\r\n";
    let config = server(DeflateServer::default());
    let mut hs = wswire::handshake::ServerHandshake::new(&config);
    let Decoded::Complete((req, _)) = hs.handle_input(request).unwrap() else {
        panic!("complete")
    };
    let accepted = req.accept(&config);
    let bytes = accepted.to_bytes();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with("HTTP/1.1 101"), "{text}");
    assert!(!text.contains("Sec-WebSocket-Extensions"), "{text}");
}

fn client(offer: DeflateOffer) -> DeflateClient {
    DeflateClient::new(offer)
}

fn check(c: &DeflateClient, response: &str) -> Result<DeflateParams, String> {
    let ext = parse_header(response.as_bytes()).unwrap();
    c.check(ext[0].params()).map_err(|e| e.to_string())
}

#[cfg(feature = "deflate")] // the compressors need the default codec
#[test]
fn parameters_map_to_roles() {
    let p = DeflateParams {
        server_no_context_takeover: true,
        client_no_context_takeover: false,
        server_max_window_bits: 10,
        client_max_window_bits: 12,
    };
    use wswire::Role;
    use wswire::extensions::deflate::DeflateConfig;
    // A server compresses with the server_* parameters, a client with the client_* ones.
    let config = DeflateConfig::default();
    let server = config.compressor(&p, Role::Server).unwrap();
    assert_eq!(server.window_bits(), 10);
    assert!(server.no_context_takeover());
    let client = config.compressor(&p, Role::Client).unwrap();
    assert_eq!(client.window_bits(), 12);
    assert!(!client.no_context_takeover());
}

#[test]
fn client_checks_the_response() {
    let d = client(DeflateOffer::default());
    assert_eq!(
        format_header(&[wswire::extensions::Extension::with_params(
            "permessage-deflate",
            d.offer().to_params()
        )
        .unwrap()]),
        "permessage-deflate; client_max_window_bits",
        "the default offer"
    );
    assert_eq!(
        check(&d, "permessage-deflate"),
        Ok(DeflateParams::default()),
        "plain response"
    );
    assert_eq!(
        check(
            &d,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"
        ),
        Ok(DeflateParams {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 10,
            client_max_window_bits: 11,
        }),
        "all four parameters"
    );
    assert!(
        check(&d, "permessage-deflate; server_no_context_takeover").is_ok(),
        "server_no_context_takeover not offered"
    );
    assert!(
        check(&d, "permessage-deflate; client_no_context_takeover").is_ok(),
        "client_no_context_takeover not offered"
    );
    assert!(
        check(&d, "permessage-deflate; server_max_window_bits=12").is_ok(),
        "server_max_window_bits not offered"
    );
    assert!(
        check(&d, "permessage-deflate; client_max_window_bits").is_err(),
        "client_max_window_bits without a value"
    );
    assert!(
        check(&d, "permessage-deflate; client_max_window_bits=7").is_err(),
        "client_max_window_bits too small"
    );
    assert!(
        check(&d, "permessage-deflate; client_max_window_bits=16").is_err(),
        "client_max_window_bits too large"
    );
    let c10 = client(DeflateOffer {
        client_max_window_bits: ClientMaxWindowBits::Limit(10),
        ..DeflateOffer::default()
    });
    assert!(
        check(&c10, "permessage-deflate; client_max_window_bits=11").is_err(),
        "client_max_window_bits above our offer"
    );
    assert!(
        check(&c10, "permessage-deflate; client_max_window_bits=10").is_ok(),
        "client_max_window_bits equal to our offer"
    );
    assert!(
        check(&c10, "permessage-deflate").is_ok(),
        "client_max_window_bits left out"
    );
    let none = client(DeflateOffer {
        client_max_window_bits: ClientMaxWindowBits::Absent,
        ..DeflateOffer::default()
    });
    assert!(
        check(&none, "permessage-deflate; client_max_window_bits=10").is_err(),
        "client_max_window_bits not offered"
    );
    let s10 = client(DeflateOffer {
        server_max_window_bits: Some(10),
        ..DeflateOffer::default()
    });
    assert!(
        check(&s10, "permessage-deflate; server_max_window_bits=12").is_err(),
        "server_max_window_bits above our offer"
    );
    assert!(
        check(&s10, "permessage-deflate").is_err(),
        "server_max_window_bits left out"
    );
    assert!(
        check(&s10, "permessage-deflate; server_max_window_bits=9").is_ok(),
        "server_max_window_bits below our offer"
    );
    let snct = client(DeflateOffer {
        server_no_context_takeover: true,
        ..DeflateOffer::default()
    });
    assert!(
        check(&snct, "permessage-deflate").is_err(),
        "server_no_context_takeover left out"
    );
    assert!(
        check(&snct, "permessage-deflate; server_no_context_takeover").is_ok(),
        "server_no_context_takeover echoed"
    );
    for bad in [
        "permessage-deflate; foo",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=08",
    ] {
        assert!(check(&d, bad).is_err(), "{bad}");
    }
    // Our own limit of 8 is offered as 9 (we could not compress with 8).
    let c8 = client(DeflateOffer {
        client_max_window_bits: ClientMaxWindowBits::Limit(8),
        ..DeflateOffer::default()
    });
    assert_eq!(
        c8.offer().client_max_window_bits,
        ClientMaxWindowBits::Limit(9)
    );
}

/// Runs a client handshake offering `offer` against a canned 101 with `extensions` lines.
fn client_handshake(
    offer: DeflateOffer,
    extensions: &[&str],
) -> Result<DeflateParams, ResponseError> {
    let mut req = ClientRequest::new("example.com", "/").unwrap();
    req.extension(Box::new(DeflateClient::new(offer)));
    let key = SecWebSocketKey::from_nonce(*b"the sample nonce");
    let accept = key.accept();
    let mut hs = req.start_with_key(key);
    let mut response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
        accept.as_str()
    );
    for line in extensions {
        response.push_str(&format!("Sec-WebSocket-Extensions: {line}\r\n"));
    }
    response.push_str("\r\n");
    match hs.handle_input(response.as_bytes())? {
        Decoded::Complete((value, _)) => Ok(DeflateParams::from_extensions(value.extensions())
            .unwrap()
            .unwrap_or_default()),
        Decoded::Incomplete { .. } => panic!("need more"),
    }
}

#[test]
fn client_handshake_checks_the_extension_header() {
    let d = DeflateOffer::default();
    assert!(client_handshake(d, &["permessage-deflate"]).is_ok());
    assert!(matches!(
        client_handshake(d, &["permessage-deflate, permessage-deflate"]),
        Err(ResponseError::DuplicateExtension(_))
    ));
    assert!(matches!(
        client_handshake(d, &["permessage-deflate", "permessage-deflate"]),
        Err(ResponseError::DuplicateExtension(_))
    ));
    assert!(matches!(
        client_handshake(d, &["foo"]),
        Err(ResponseError::ExtensionNotOffered(_))
    ));
    assert!(matches!(
        client_handshake(d, &["permessage-deflate,foo"]),
        Err(ResponseError::ExtensionNotOffered(_))
    ));
    assert!(matches!(
        client_handshake(d, &["permessage-deflate; client_max_window_bits"]),
        Err(ResponseError::ExtensionRejected { .. })
    ));
}

#[test]
fn server_and_client_negotiators_agree_for_every_offer() {
    let bits = [None, Some(8), Some(9), Some(12), Some(15)];
    let cbits = [
        ClientMaxWindowBits::Absent,
        ClientMaxWindowBits::Supported,
        ClientMaxWindowBits::Limit(9),
        ClientMaxWindowBits::Limit(15),
    ];
    for snct in [false, true] {
        for cnct in [false, true] {
            for smwb in bits {
                for cmwb in cbits {
                    for policy in [
                        DeflateServer::default(),
                        opts(|o| o.server_max_window_bits = 10),
                        opts(|o| o.client_max_window_bits = 12),
                        opts(|o| o.server_no_context_takeover = true),
                    ] {
                        let offer = DeflateOffer {
                            server_no_context_takeover: snct,
                            client_no_context_takeover: cnct,
                            server_max_window_bits: smwb,
                            client_max_window_bits: cmwb,
                        };
                        let c = DeflateClient::new(offer);
                        let params = c.offer().to_params();
                        assert_eq!(DeflateOffer::parse(&params), Some(*c.offer()));
                        let Some(resp) = policy.accept(c.offer()) else {
                            // Declined only for a required client limit it could not set.
                            assert!(policy.client_max_window_bits < 15);
                            assert_eq!(cmwb, ClientMaxWindowBits::Absent);
                            continue;
                        };
                        let agreed = c
                            .check(&resp)
                            .unwrap_or_else(|e| panic!("{offer:?} {policy:?}: {e}"));
                        assert_eq!(agreed, DeflateParams::parse_response(&resp).unwrap());
                        if let Some(b) = smwb {
                            assert!(agreed.server_max_window_bits <= b);
                        }
                        if let ClientMaxWindowBits::Limit(b) = c.offer().client_max_window_bits {
                            assert!(agreed.client_max_window_bits <= b);
                        }
                        assert_eq!(
                            agreed.server_no_context_takeover,
                            snct || policy.server_no_context_takeover
                        );
                    }
                }
            }
        }
    }
}
