//! Property tests of the handshake: for any offered and chosen subprotocols and extensions,
//! client request → server validation → server response → client validation succeeds and
//! both ends agree, under any chunking of either message; and the extensions header
//! round-trips through format and parse.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use proptest::prelude::*;
use wswire::extensions::{
    ClientNegotiator, Extension, NegotiationError, Param, ServerNegotiator, format_header,
    parse_header,
};
use wswire::frame::Decoded;
use wswire::handshake::{
    ClientRequest, Negotiated, SecWebSocketKey, ServerConfig, ServerHandshake, h2,
};

const NAMES: [&str; 4] = ["x-a", "x-b", "x-c", "permessage-deflate"];
const PROTOCOLS: [&str; 5] = ["chat", "superchat", "v1.json", "mqtt", "wamp.2.msgpack"];

/// Server side: accepts an offer unless it carries `no`, answering with the offer's
/// parameters plus `srv`.
#[derive(Debug)]
struct Srv(&'static str);

impl ServerNegotiator for Srv {
    fn name(&self) -> &str {
        self.0
    }
    fn negotiate(&self, offer: &[Param]) -> Option<Vec<Param>> {
        if offer.iter().any(|p| p.name() == "no") {
            return None;
        }
        let mut v = offer.to_vec();
        v.push(Param::new("srv", None).unwrap());
        Some(v)
    }
}

/// Client side: offers the given parameter lists; accepts a response that is one of them
/// plus `srv`.
#[derive(Debug)]
struct Cli(&'static str, Vec<Vec<Param>>);

impl ClientNegotiator for Cli {
    fn name(&self) -> &str {
        self.0
    }
    fn offers(&self) -> Vec<Vec<Param>> {
        self.1.clone()
    }
    fn check_response(&self, params: &[Param]) -> Result<(), NegotiationError> {
        let ok = params.split_last().is_some_and(|(last, rest)| {
            last.name() == "srv" && self.1.iter().any(|o| o.as_slice() == rest)
        });
        if ok {
            Ok(())
        } else {
            Err(NegotiationError::new("not an offered configuration"))
        }
    }
}

fn token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,8}"
}

fn param() -> impl Strategy<Value = Param> {
    (
        prop_oneof![token(), Just("no".to_string())],
        proptest::option::of(token()),
    )
        .prop_map(|(n, v)| Param::new(&n, v.as_deref()).unwrap())
}

/// For each extension name: whether the client offers it, with which parameter lists.
fn client_offers() -> impl Strategy<Value = Vec<(usize, Vec<Vec<Param>>)>> {
    proptest::collection::vec(
        (
            0..NAMES.len(),
            proptest::collection::vec(proptest::collection::vec(param(), 0..3), 1..3),
        ),
        0..4,
    )
    .prop_map(|mut v| {
        v.sort_by_key(|(i, _)| *i);
        v.dedup_by_key(|(i, _)| *i);
        v
    })
}

fn subset(all: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
    proptest::sample::subsequence(all, 0..=all.len()).prop_shuffle()
}

fn feed_in_chunks<T>(
    bytes: &[u8],
    cuts: &[usize],
    mut feed: impl FnMut(&[u8]) -> Decoded<(T, usize)>,
) -> (T, Vec<u8>) {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.dedup();
    for w in points.windows(2) {
        let chunk = &bytes[w[0]..w[1]];
        if let Decoded::Complete((value, consumed)) = feed(chunk) {
            let mut rest = chunk[consumed..].to_vec();
            rest.extend_from_slice(&bytes[w[1]..]);
            return (value, rest);
        }
    }
    panic!("never completed")
}

proptest! {
    #[test]
    fn client_and_server_agree_on_any_offers_and_choices(
        offered in subset(&PROTOCOLS),
        prefs in subset(&PROTOCOLS),
        offers in client_offers(),
        server_exts in proptest::sample::subsequence(&NAMES[..], 0..=NAMES.len()),
        nonce in any::<[u8; 16]>(),
        request_cuts in proptest::collection::vec(any::<usize>(), 0..4),
        response_cuts in proptest::collection::vec(any::<usize>(), 0..4),
        explicit in any::<Option<prop::sample::Index>>(),
    ) {
        let mut config = ServerConfig::default();
        config.subprotocols(&prefs).unwrap();
        for n in &server_exts {
            config.extension(Box::new(Srv(n)));
        }
        let mut request = ClientRequest::new("server.example.com", "/chat").unwrap();
        request.subprotocols(&offered).unwrap();
        for (i, params) in &offers {
            request.extension(Box::new(Cli(NAMES[*i], params.clone())));
        }
        let mut client = request.start_with_key(SecWebSocketKey::from_nonce(nonce));

        let mut req_bytes = client.request_bytes().to_vec();
        req_bytes.extend_from_slice(b"\x81\x80\x01\x02\x03\x04");
        let mut server = ServerHandshake::new(&config);
        let (accepted, leftover) = feed_in_chunks(&req_bytes, &request_cuts, |c| {
            match server.handle_input(c).unwrap() {
                Decoded::Incomplete { needed } => Decoded::Incomplete { needed },
                Decoded::Complete((value, consumed)) => {
                    assert_eq!(value.subprotocols(), offered.as_slice());
                    let chosen = explicit
                        .as_ref()
                        .filter(|_| !offered.is_empty())
                        .map(|ix| *ix.get(&offered));
                    let accepted = match chosen {
                        Some(p) => value.accept_with(&config, Some(p), &[]).unwrap(),
                        None => value.accept(&config),
                    };
                    Decoded::Complete((accepted, consumed))
                }
            }
        });
        prop_assert_eq!(leftover, b"\x81\x80\x01\x02\x03\x04".to_vec());

        // The server's choices are the documented ones.
        let expected_protocol = match explicit.as_ref().filter(|_| !offered.is_empty()) {
            Some(ix) => Some(*ix.get(&offered)),
            None => prefs.iter().copied().find(|p| offered.contains(p)),
        };
        prop_assert_eq!(accepted.negotiated().subprotocol(), expected_protocol);
        for e in accepted.negotiated().extensions() {
            prop_assert!(server_exts.contains(&e.name()));
            prop_assert!(offers.iter().any(|(i, _)| NAMES[*i] == e.name()));
        }

        let mut resp_bytes = accepted.to_bytes();
        resp_bytes.extend_from_slice(b"\x81\x02hi");
        let (negotiated, leftover): (Negotiated, _) =
            feed_in_chunks(&resp_bytes, &response_cuts, |c| client.handle_input(c).unwrap());
        prop_assert_eq!(leftover, b"\x81\x02hi".to_vec());
        prop_assert_eq!(&negotiated, accepted.negotiated());

        // The same negotiation over an RFC 8441 header list gives the same outcome.
        let mut request = ClientRequest::new("server.example.com", "/chat").unwrap();
        request.subprotocols(&offered).unwrap();
        for (i, params) in &offers {
            request.extension(Box::new(Cli(NAMES[*i], params.clone())));
        }
        let connect = request.start_h2(true);
        let list: Vec<(&str, &str)> =
            connect.request_headers().iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let h2_req = h2::parse_connect_request(&list).unwrap();
        let h2_accepted = match explicit.as_ref().filter(|_| !offered.is_empty()) {
            Some(ix) => h2_req.accept_with(&config, Some(*ix.get(&offered)), &[]).unwrap(),
            None => h2_req.accept(&config),
        };
        prop_assert_eq!(h2_accepted.negotiated(), accepted.negotiated());
        let resp: Vec<(&str, &str)> =
            h2_accepted.headers().iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        prop_assert_eq!(connect.check_response(&resp).unwrap(), negotiated);
    }

    #[test]
    fn extension_headers_round_trip(
        list in proptest::collection::vec(
            (token(), proptest::collection::vec(param(), 0..4)),
            1..5,
        )
    ) {
        let list: Vec<Extension> =
            list.iter().map(|(n, p)| Extension::with_params(n, p.clone()).unwrap()).collect();
        let text = format_header(&list);
        prop_assert_eq!(parse_header(text.as_bytes()).unwrap(), list);
    }

    #[test]
    fn extension_parsing_never_panics_and_round_trips_what_it_accepts(
        bytes in proptest::collection::vec(any::<u8>(), 0..64)
    ) {
        if let Ok(list) = parse_header(&bytes) {
            prop_assert_eq!(parse_header(format_header(&list).as_bytes()).unwrap(), list);
        }
    }
}
