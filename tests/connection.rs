//! The connection as a whole: the opening handshake in both roles, messages, auto-pong and
//! its bound, timers, backpressure (RFC 6455 §5.5, §7).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Cx, Pair, drain_events, drain_output, hex};
use wswire::UsageError;
use wswire::connection::{Config, Connection, State};
use wswire::frame::{CloseCode, MaskKey};
use wswire::handshake::{ClientRequest, SecWebSocketKey, ServerConfig};
use wswire::send::{Compression, FixedMask};

fn handshaking_pair(server: ServerConfig) -> (Connection<FixedMask>, Connection) {
    let mut req = ClientRequest::new("example.com", "/chat?room=1").unwrap();
    req.subprotocols(["chat", "superchat"]).unwrap();
    let hs = req.start_with_key(SecWebSocketKey::from_nonce(*b"the sample nonce"));
    let client = Connection::client_with(hs, Config::default(), FixedMask(MaskKey([1, 2, 3, 4])));
    let server = Connection::server(Arc::new(server), Config::default());
    (client, server)
}

#[test]
fn opening_handshake_then_messages_both_ways() {
    let mut sc = ServerConfig::default();
    sc.subprotocols(["superchat"]).unwrap();
    let (mut client, mut server) = handshaking_pair(sc);
    assert_eq!(client.state(), State::Connecting);
    assert_eq!(client.send_text("too early"), Err(UsageError::NotOpen));
    // The request, and a frame sent in the same packet as the response is read.
    let request = drain_output(&mut client);
    assert!(request.starts_with(b"GET /chat?room=1 HTTP/1.1\r\n"));
    server.handle_input(&request);
    assert_eq!(drain_events(&mut server), [Cx::Open]);
    assert_eq!(server.request_target(), Some("/chat?room=1"));
    assert_eq!(server.negotiated().subprotocol(), Some("superchat"));
    server.send_text("welcome").unwrap();
    let response = drain_output(&mut server);
    assert!(response.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    // Fed one byte at a time, the 101 and the frame behind it both arrive.
    for b in &response {
        client.handle_input(std::slice::from_ref(b));
    }
    assert_eq!(
        drain_events(&mut client),
        [Cx::Open, Cx::Text("welcome".into())]
    );
    assert_eq!(client.negotiated().subprotocol(), Some("superchat"));
    client.send_binary(&[1, 2, 3]).unwrap();
    server.handle_input(&drain_output(&mut client));
    assert_eq!(drain_events(&mut server), [Cx::Binary(vec![1, 2, 3])]);
}

#[test]
fn a_refused_request_gets_its_http_response_and_the_transport_closes() {
    let mut server = Connection::server(Arc::new(ServerConfig::default()), Config::default());
    server.handle_input(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
    let ev = drain_events(&mut server);
    assert!(matches!(&ev[..], [Cx::Error(_)]), "{ev:?}");
    let out = String::from_utf8(drain_output(&mut server)).unwrap();
    assert!(out.starts_with("HTTP/1.1 426 "), "{out}");
    assert!(out.contains("Sec-WebSocket-Version: 13\r\n"));
    assert!(server.should_close_transport());
}

#[test]
fn a_bad_response_fails_the_client() {
    let (mut client, _) = handshaking_pair(ServerConfig::default());
    drain_output(&mut client);
    client.handle_input(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n");
    assert!(matches!(&drain_events(&mut client)[..], [Cx::Error(_)]));
    assert_eq!(client.state(), State::Closed);
    assert!(client.should_close_transport());
}

#[test]
fn close_while_connecting_abandons_the_handshake() {
    let (mut client, _) = handshaking_pair(ServerConfig::default());
    client.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(client.state(), State::Closed);
}

#[test]
fn auto_pong_echoes_each_ping_in_order() {
    let mut s = Connection::server_open(Default::default(), Config::default());
    let mut input = Vec::new();
    for i in 0..10u8 {
        input.extend_from_slice(&[0x89, 0x81, 0, 0, 0, 0, i]);
    }
    s.handle_input(&input);
    assert_eq!(drain_events(&mut s).len(), 10);
    let expected: Vec<u8> = (0..10u8).flat_map(|i| [0x8a, 0x01, i]).collect();
    assert_eq!(drain_output(&mut s), expected);
    // The client masks its pongs (RFC 6455 §5.7 example).
    let mut pair = Pair::open(Config::default());
    pair.client.handle_input(&hex("89 05 48 65 6c 6c 6f"));
    assert_eq!(
        drain_events(&mut pair.client),
        [Cx::Ping(b"Hello".to_vec())]
    );
    assert_eq!(
        drain_output(&mut pair.client),
        hex("8a 85 11 22 33 44 59 47 5f 28 7e")
    );
}

#[test]
fn auto_pong_can_be_turned_off() {
    let mut config = Config::default();
    config.auto_pong = false;
    let mut s = Connection::server_open(Default::default(), config);
    s.handle_input(&hex("89 80 00 00 00 00"));
    assert_eq!(drain_events(&mut s), [Cx::Ping(vec![])]);
    assert!(drain_output(&mut s).is_empty());
}

#[test]
fn a_ping_flood_cannot_grow_the_output_without_bound() {
    let mut s = Connection::server_open(Default::default(), Config::default());
    let ping = [0x89, 0xfd, 0, 0, 0, 0];
    let mut frame = ping.to_vec();
    frame.extend_from_slice(&[0x55; 125]);
    for _ in 0..1000 {
        s.handle_input(&frame);
        while s.poll_event().is_some() {}
    }
    // 16 pongs of 127 bytes at most, however many pings, until the output is written.
    assert_eq!(s.pending_output(), 16 * 127);
    assert!(s.pending_output() != 0);
    drain_output(&mut s);
    s.handle_input(&frame);
    while s.poll_event().is_some() {}
    assert_eq!(s.pending_output(), 127, "answered again once drained");
}

#[test]
fn keepalive_ping_then_idle_timeout() {
    let mut config = Config::default();
    config.keepalive_interval = Some(Duration::from_secs(10));
    config.idle_timeout = Some(Duration::from_secs(25));
    let mut s = Connection::server_open(Default::default(), config);
    s.handle_timeout(Duration::ZERO);
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(10)));
    s.handle_timeout(Duration::from_secs(10));
    assert_eq!(drain_output(&mut s), hex("89 00"));
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(25)));
    // Input resets the clock.
    s.handle_timeout(Duration::from_secs(12));
    s.handle_input(&hex("8a 80 00 00 00 00"));
    assert_eq!(drain_events(&mut s), [Cx::Pong(vec![])]);
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(22)));
    s.handle_timeout(Duration::from_secs(22));
    assert_eq!(drain_output(&mut s), hex("89 00"));
    s.handle_timeout(Duration::from_secs(37));
    assert_eq!(
        drain_events(&mut s),
        [common::ended(wswire::Error::IdleTimeout)]
    );
    assert!(s.should_close_transport());
}

#[test]
fn streamed_sends_and_fragment_config() {
    let mut config = Config::default();
    config.send.max_frame_payload = Some(3);
    let mut pair = Pair::open(config);
    pair.client
        .send_text_with("hello ", false, Compression::Auto)
        .unwrap();
    assert_eq!(
        pair.client.send_binary(b"x"),
        Err(UsageError::MessageInProgress {
            open: wswire::send::DataKind::Text
        })
    );
    pair.client.ping(b"mid").unwrap();
    pair.client
        .send_text_with("world", true, Compression::Auto)
        .unwrap();
    let (_, s) = pair.drive();
    assert_eq!(
        s,
        [Cx::Ping(b"mid".to_vec()), Cx::Text("hello world".into())]
    );
}
