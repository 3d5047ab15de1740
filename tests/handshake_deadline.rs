//! The opening handshake has a deadline (`Config::handshake_timeout`, 10 s by default) in both
//! roles: a peer that sends nothing, or trickles its request a byte at a time, is given up on
//! with `Error::HandshakeTimeout` (1006) and the transport is closed. The clock starts at the first `handle_timeout`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Cx, drain_events, drain_output, ended};
use wswire::Error;
use wswire::connection::{Config, Connection, State};
use wswire::frame::MaskKey;
use wswire::handshake::{ClientRequest, SecWebSocketKey, ServerConfig};
use wswire::send::FixedMask;

const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

fn server(config: Config) -> Connection {
    Connection::server(Arc::new(ServerConfig::default()), config)
}

fn client(config: Config) -> Connection<FixedMask> {
    let req = ClientRequest::new("example.com", "/chat").unwrap();
    let hs = req.start_with_key(SecWebSocketKey::from_nonce(*b"the sample nonce"));
    Connection::client_with(hs, config, FixedMask(MaskKey([1, 2, 3, 4])))
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn before_the_clock_starts_the_next_timeout_is_now() {
    let s = server(Config::default());
    assert_eq!(s.poll_timeout(), Some(Duration::ZERO));
    let c = client(Config::default());
    assert_eq!(c.poll_timeout(), Some(Duration::ZERO));
}

#[test]
fn a_silent_client_is_closed_at_the_server_handshake_deadline() {
    let mut s = server(Config::default());
    s.handle_timeout(secs(100)); // starts the clock: the deadline is 10 s later
    assert_eq!(s.poll_timeout(), Some(secs(110)));
    s.handle_timeout(secs(109));
    assert_eq!(s.state(), State::Connecting);
    assert!(drain_events(&mut s).is_empty());
    s.handle_timeout(secs(110));
    assert_eq!(s.state(), State::Closed);
    assert_eq!(drain_events(&mut s), [ended(Error::HandshakeTimeout)]);
    assert!(drain_output(&mut s).is_empty(), "no HTTP response is sent");
    assert!(s.should_close_transport());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_request_trickled_at_one_byte_per_second_is_cut_off_at_the_deadline() {
    let mut s = server(Config::default());
    s.handle_timeout(Duration::ZERO);
    let mut sent = 0;
    for (t, byte) in REQUEST.iter().enumerate() {
        s.handle_timeout(secs(t as u64));
        if s.state() == State::Closed {
            break;
        }
        s.handle_input(std::slice::from_ref(byte));
        sent += 1;
    }
    assert_eq!(sent, 10, "ten bytes in ten seconds, then the deadline");
    assert_eq!(drain_events(&mut s), [ended(Error::HandshakeTimeout)]);
    assert!(s.should_close_transport());
}

#[test]
fn a_handshake_completed_in_time_stops_the_deadline() {
    let mut s = server(Config::default());
    s.handle_timeout(secs(5));
    s.handle_timeout(secs(14));
    s.handle_input(REQUEST);
    assert_eq!(drain_events(&mut s), [Cx::Open]);
    assert_eq!(s.poll_timeout(), None, "no timer runs once open by default");
    s.handle_timeout(secs(3600));
    assert_eq!(s.state(), State::Open);
}

#[test]
fn a_server_that_never_answers_is_given_up_on_by_the_client() {
    let mut config = Config::default();
    config.handshake_timeout = Some(secs(3));
    let mut c = client(config);
    c.handle_timeout(secs(1));
    assert!(drain_output(&mut c).starts_with(b"GET /chat HTTP/1.1\r\n"));
    assert_eq!(c.poll_timeout(), Some(secs(4)));
    // Half a response, then nothing.
    c.handle_input(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n");
    c.handle_timeout(secs(4));
    assert_eq!(drain_events(&mut c), [ended(Error::HandshakeTimeout)]);
    assert!(c.should_close_transport());
}

#[test]
fn no_deadline_when_disabled() {
    let mut config = Config::default();
    config.handshake_timeout = None;
    let mut s = server(config);
    s.handle_timeout(Duration::ZERO);
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(secs(1_000_000));
    assert_eq!(s.state(), State::Connecting);
}

#[test]
fn a_close_before_the_clock_starts_counts_from_its_start() {
    let mut s = Connection::server_open(Default::default(), Config::default());
    s.close(wswire::frame::CloseCode::NORMAL, "").unwrap();
    drain_output(&mut s);
    s.handle_timeout(secs(1000));
    assert_eq!(
        s.state(),
        State::CloseSent,
        "the close timer starts with the clock"
    );
    assert_eq!(s.poll_timeout(), Some(secs(1030)));
}
