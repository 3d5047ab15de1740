//! Every row of the connection's state table (`wswire::connection` module docs), driven once:
//! the state before, what happens, the state after, what is queued and what is reported.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Cx, Pair, drain_events, drain_output, ended, hex};
use wswire::connection::{Config, Connection, State};
use wswire::extensions::deflate::DeflateServer;
use wswire::frame::{CloseCode, MaskKey};
use wswire::handshake::{ClientRequest, SecWebSocketKey, ServerConfig};
use wswire::send::FixedMask;
use wswire::{Error, ProtocolError};

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

fn connecting_server() -> Connection {
    Connection::server(Arc::new(ServerConfig::default()), Config::default())
}

fn connecting_client() -> Connection<FixedMask> {
    let req = ClientRequest::new("example.com", "/chat").unwrap();
    let hs = req.start_with_key(SecWebSocketKey::from_nonce(*b"the sample nonce"));
    let mut c = Connection::client_with(hs, Config::default(), FixedMask(MaskKey([0; 4])));
    drain_output(&mut c);
    c
}

fn open_server() -> Connection {
    Connection::server_open(Default::default(), Config::default())
}

fn close_sent_server() -> Connection {
    let mut s = open_server();
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(drain_output(&mut s), hex("88 02 03 e8"));
    s
}

/// A masked Close from a client with code 1000.
const CLIENT_CLOSE: &str = "88 82 00 00 00 00 03 e8";

#[test]
fn connecting_to_open_when_the_handshake_completes() {
    let mut s = connecting_server();
    s.handle_input(REQUEST);
    assert_eq!(s.state(), State::Open);
    assert_eq!(drain_events(&mut s), [Cx::Open]);
    assert!(drain_output(&mut s).starts_with(b"HTTP/1.1 101 "));
    let mut c = connecting_client();
    c.handle_input(RESPONSE);
    assert_eq!(c.state(), State::Open);
    assert_eq!(drain_events(&mut c), [Cx::Open]);
}

#[test]
fn connecting_to_closed_when_the_handshake_fails() {
    let mut s = connecting_server();
    s.handle_input(b"GET /chat HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(s.state(), State::Closed);
    assert!(matches!(s.poll_event(), Some(Err(Error::Request(_)))));
    assert_eq!(s.poll_event(), None);
    assert!(drain_output(&mut s).starts_with(b"HTTP/1.1 400 "));
    assert!(s.should_close_transport());
    let mut c = connecting_client();
    c.handle_input(b"HTTP/1.1 403 Forbidden\r\n\r\n");
    assert_eq!(c.state(), State::Closed);
    assert!(matches!(c.poll_event(), Some(Err(Error::Response(_)))));
    assert!(c.should_close_transport());
}

#[test]
fn connecting_to_closed_at_the_handshake_deadline_or_eof() {
    let mut s = connecting_server();
    s.handle_timeout(Duration::ZERO);
    s.handle_timeout(Duration::from_secs(10));
    assert_eq!(s.state(), State::Closed);
    assert_eq!(drain_events(&mut s), [ended(Error::HandshakeTimeout)]);
    assert!(s.should_close_transport());
    let mut c = connecting_client();
    c.handle_eof();
    assert_eq!(c.state(), State::Closed);
    assert_eq!(drain_events(&mut c), [ended(Error::Eof)]);
    assert!(c.should_close_transport());
}

#[test]
fn connecting_to_closed_when_the_caller_abandons_the_handshake() {
    let mut s = connecting_server();
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(s.state(), State::Closed);
    assert_eq!(drain_events(&mut s), []);
    assert!(drain_output(&mut s).is_empty());
    assert!(s.should_close_transport());
}

#[test]
fn open_to_close_sent_when_we_close() {
    let mut s = open_server();
    s.handle_timeout(Duration::ZERO);
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(s.state(), State::CloseSent);
    assert_eq!(drain_output(&mut s), hex("88 02 03 e8"));
    assert_eq!(
        s.poll_timeout(),
        Some(Duration::from_secs(30)),
        "close timer"
    );
    assert!(!s.should_close_transport());
}

#[test]
fn open_to_closed_when_the_peer_closes_with_our_reply_queued() {
    let mut s = open_server();
    s.handle_input(&hex(CLIENT_CLOSE));
    assert_eq!(drain_events(&mut s), [Cx::Close(1000, String::new())]);
    assert_eq!(s.state(), State::Closed);
    assert_eq!(drain_output(&mut s), hex("88 02 03 e8"), "the echoed code");
    assert!(s.should_close_transport(), "a server closes TCP first");
    assert_eq!(s.poll_event(), None, "nothing after the end");
}

#[test]
fn close_sent_to_closed_when_the_peer_answers() {
    let mut s = close_sent_server();
    s.handle_input(&hex(CLIENT_CLOSE));
    assert_eq!(drain_events(&mut s), [Cx::Close(1000, String::new())]);
    assert_eq!(s.state(), State::Closed);
    assert!(drain_output(&mut s).is_empty(), "no second Close");
    assert!(s.should_close_transport());
}

#[test]
fn open_or_close_sent_to_closed_on_a_protocol_error() {
    // Open: a Close with the error's code is queued.
    let mut s = open_server();
    s.handle_input(&hex("83 80 00 00 00 00")); // reserved opcode 3
    assert_eq!(
        s.state(),
        State::Open,
        "input is decoded as events are polled"
    );
    match s.poll_event() {
        Some(Err(e @ Error::Protocol(ProtocolError::Frame(_)))) => {
            assert_eq!(e.close_code(), CloseCode::PROTOCOL_ERROR);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(s.state(), State::Closed);
    assert_eq!(drain_output(&mut s), hex("88 02 03 ea"), "1002");
    // CloseSent: ours is out, so nothing more is sent.
    let mut s = close_sent_server();
    s.handle_input(&hex("83 80 00 00 00 00"));
    assert!(matches!(s.poll_event(), Some(Err(Error::Protocol(_)))));
    assert!(drain_output(&mut s).is_empty());
    assert!(s.should_close_transport());
}

#[test]
fn open_or_close_sent_to_closed_on_eof_or_the_idle_timer_after_the_events_received() {
    let mut s = open_server();
    s.handle_input(&hex("81 82 00 00 00 00 68 69"));
    s.handle_eof();
    assert_eq!(s.state(), State::Closed);
    assert_eq!(
        drain_events(&mut s),
        [Cx::Text("hi".into()), ended(Error::Eof)]
    );
    assert!(s.should_close_transport());
    let mut config = Config::default();
    config.idle_timeout = Some(Duration::from_secs(5));
    let mut s = Connection::server_open(Default::default(), config);
    s.handle_timeout(Duration::ZERO);
    s.close(CloseCode::NORMAL, "").unwrap();
    s.handle_timeout(Duration::from_secs(5));
    assert_eq!(s.state(), State::Closed);
    assert_eq!(drain_events(&mut s), [ended(Error::IdleTimeout)]);
}

#[test]
fn close_sent_to_closed_at_the_close_timeout() {
    let mut s = close_sent_server();
    s.handle_timeout(Duration::ZERO);
    s.handle_timeout(Duration::from_secs(30));
    assert_eq!(s.state(), State::Closed);
    assert_eq!(drain_events(&mut s), [ended(Error::CloseTimeout)]);
    assert_eq!(Error::CloseTimeout.close_code(), CloseCode::ABNORMAL);
}

#[test]
fn a_closed_client_waits_for_the_servers_eof_or_the_close_timer() {
    let mut pair = Pair::open(Config::default());
    pair.client.handle_timeout(Duration::ZERO);
    pair.server.close(CloseCode::NORMAL, "").unwrap();
    pair.drive();
    assert_eq!(pair.client.state(), State::Closed);
    assert!(!pair.client.should_close_transport());
    pair.client.handle_eof();
    assert!(pair.client.should_close_transport());
    assert_eq!(drain_events(&mut pair.client), [], "the end was the Close");
    let mut pair = Pair::open(Config::default());
    pair.client.handle_timeout(Duration::ZERO);
    pair.server.close(CloseCode::NORMAL, "").unwrap();
    pair.drive();
    pair.client.handle_timeout(Duration::from_secs(30));
    assert!(pair.client.should_close_transport());
    assert_eq!(drain_events(&mut pair.client), []);
}

#[test]
fn closed_ignores_input_and_reports_its_end_once() {
    let mut s = open_server();
    s.handle_input(&hex(CLIENT_CLOSE));
    assert_eq!(drain_events(&mut s).len(), 1);
    s.handle_input(&hex("81 82 00 00 00 00 68 69"));
    s.handle_eof();
    s.handle_timeout(Duration::from_secs(1000));
    assert_eq!(drain_events(&mut s), []);
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn a_close_received_before_eof_is_the_only_end_reported() {
    let mut s = open_server();
    s.handle_input(&hex(CLIENT_CLOSE));
    s.handle_eof();
    assert_eq!(drain_events(&mut s), [Cx::Close(1000, String::new())]);
}

#[test]
fn an_agreed_extension_that_cannot_run_fails_with_1011() {
    let mut sc = ServerConfig::default();
    sc.extension(Box::new(DeflateServer::default()));
    let mut config = Config::default();
    config.deflate.codec = None;
    let mut s = Connection::server(Arc::new(sc), config);
    let mut request = REQUEST[..REQUEST.len() - 2].to_vec();
    request.extend_from_slice(b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n");
    request.extend_from_slice(&hex("c1 80 00 00 00 00")); // a compressed frame behind it
    s.handle_input(&request);
    assert_eq!(s.poll_event(), Some(Ok(wswire::Event::Open)));
    assert!(matches!(s.poll_event(), Some(Err(Error::Extension(_)))));
    assert_eq!(s.poll_event(), None, "the buffered frame is discarded");
    let out = drain_output(&mut s);
    assert!(out.ends_with(&hex("88 02 03 f3")), "1011 after the 101");
    assert!(s.should_close_transport());
}
