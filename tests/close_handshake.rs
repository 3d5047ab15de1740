//! The closing handshake and failing the connection (RFC 6455 §5.5.1, §7).

mod common;

use common::{Cx, Pair, drain_events, drain_output, ended, hex};
use wswire::connection::{Config, Connection, State};
use wswire::frame::CloseCode;
use wswire::{Error, UsageError};

fn server() -> Connection {
    Connection::server_open(Default::default(), Config::default())
}

#[test]
fn remote_close_is_echoed_and_the_server_closes_the_transport() {
    let mut s = server();
    s.handle_input(&hex("88 82 00 00 00 00 03 e8"));
    assert_eq!(drain_events(&mut s), [Cx::Close(1000, String::new())]);
    assert_eq!(drain_output(&mut s), hex("88 02 03 e8"));
    assert_eq!(s.state(), State::Closed);
    assert!(s.should_close_transport());
}

#[test]
fn empty_close_is_answered_with_an_empty_close() {
    let mut s = server();
    s.handle_input(&hex("88 80 00 00 00 00"));
    assert_eq!(drain_events(&mut s), [Cx::Close(1005, String::new())]);
    assert_eq!(drain_output(&mut s), hex("88 00"));
}

#[test]
fn input_after_the_peers_close_is_ignored() {
    let mut s = server();
    s.handle_input(&hex(
        "88 80 00 00 00 00 89 80 00 00 00 00 81 80 00 00 00 00",
    ));
    assert_eq!(drain_events(&mut s), [Cx::Close(1005, String::new())]);
    assert_eq!(
        drain_output(&mut s),
        hex("88 00"),
        "no pong after the close"
    );
    s.handle_input(&hex("89 80 00 00 00 00"));
    assert!(drain_events(&mut s).is_empty());
}

#[test]
fn local_close_then_the_peers() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(drain_output(&mut s), hex("88 02 03 e8"));
    assert_eq!(s.state(), State::CloseSent);
    assert_eq!(s.send_text("x"), Err(UsageError::SendAfterClose));
    // Data is still delivered and pings are still answered.
    s.handle_input(&hex("81 82 00 00 00 00 68 69 89 80 00 00 00 00"));
    assert_eq!(
        drain_events(&mut s),
        [Cx::Text("hi".into()), Cx::Ping(vec![])]
    );
    assert_eq!(drain_output(&mut s), hex("8a 00"));
    // The peer's close completes it; nothing more is sent.
    s.handle_input(&hex("88 82 00 00 00 00 03 e8"));
    assert_eq!(drain_events(&mut s), [Cx::Close(1000, String::new())]);
    assert!(drain_output(&mut s).is_empty());
    assert_eq!(s.state(), State::Closed);
    assert!(s.should_close_transport());
}

#[test]
fn simultaneous_close() {
    let mut pair = Pair::open(Config::default());
    pair.client.close(CloseCode::GOING_AWAY, "bye").unwrap();
    pair.server.close(CloseCode::NORMAL, "").unwrap();
    let (c, s) = pair.drive();
    assert_eq!(c, [Cx::Close(1000, String::new())]);
    assert_eq!(s, [Cx::Close(1001, "bye".into())]);
    assert_eq!(pair.client.state(), State::Closed);
    assert_eq!(pair.server.state(), State::Closed);
}

#[test]
fn closing_twice_is_a_no_op() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "").unwrap();
    let first = drain_output(&mut s);
    s.close(CloseCode::GOING_AWAY, "again").unwrap();
    assert!(drain_output(&mut s).is_empty());
    assert_eq!(first, hex("88 02 03 e8"));
}

#[test]
fn failing_sends_the_mapped_code_and_discards_input() {
    let mut s = server();
    s.handle_input(&hex("83 80 00 00 00 00 89 80 00 00 00 00"));
    let ev = drain_events(&mut s);
    assert!(matches!(&ev[..], [Cx::Error(_)]), "{ev:?}");
    assert_eq!(drain_output(&mut s), hex("88 02 03 ea"));
    assert!(s.should_close_transport());
    s.handle_input(&hex("89 80 00 00 00 00"));
    assert!(drain_events(&mut s).is_empty());
    for (bytes, code) in [("81 81 00 00 00 00 ff", "03 ef"), ("81 02 68 69", "03 ea")] {
        let mut s = server();
        s.handle_input(&hex(bytes));
        drain_events(&mut s);
        assert_eq!(drain_output(&mut s), hex(&format!("88 02 {code}")));
    }
}

#[test]
fn failing_while_closing_sends_no_second_close() {
    let mut s = server();
    s.close(CloseCode::NORMAL, "").unwrap();
    drain_output(&mut s);
    s.handle_input(&hex("83 80 00 00 00 00"));
    assert!(matches!(&drain_events(&mut s)[..], [Cx::Error(_)]));
    assert!(drain_output(&mut s).is_empty());
    assert!(s.should_close_transport());
}

#[test]
fn eof_without_close_is_abnormal() {
    let mut s = server();
    s.handle_input(&hex("81 85 00 00 00 00 48 65"));
    s.handle_eof();
    assert_eq!(drain_events(&mut s), [ended(Error::Eof)]);
    assert_eq!(Error::Eof.close_code(), CloseCode::ABNORMAL);
    assert!(drain_output(&mut s).is_empty(), "1006 is never sent");
    // Events already received are delivered before the end.
    let mut s = server();
    s.handle_input(&hex("81 82 00 00 00 00 68 69"));
    s.handle_eof();
    assert_eq!(
        drain_events(&mut s),
        [Cx::Text("hi".into()), ended(Error::Eof)]
    );
}

#[test]
fn client_waits_for_the_servers_eof_or_the_timeout() {
    let mut pair = Pair::open(Config::default());
    pair.client.close(CloseCode::NORMAL, "").unwrap();
    pair.drive();
    assert!(pair.server.should_close_transport());
    assert!(
        !pair.client.should_close_transport(),
        "client waits for the server's FIN"
    );
    pair.client.handle_eof();
    assert!(pair.client.should_close_transport());
    // Or the close timeout passes.
    let mut pair = Pair::open(Config::default());
    pair.client.handle_timeout(std::time::Duration::ZERO); // start the clock
    pair.server.close(CloseCode::NORMAL, "").unwrap();
    pair.drive();
    let deadline = pair.client.poll_timeout().expect("a close timer");
    assert_eq!(deadline, std::time::Duration::from_secs(30));
    pair.client.handle_timeout(deadline);
    assert!(pair.client.should_close_transport());
}

#[test]
fn close_timeout_when_the_peer_never_answers() {
    let mut s = server();
    s.handle_timeout(std::time::Duration::from_secs(5));
    s.close(CloseCode::NORMAL, "").unwrap();
    drain_output(&mut s);
    assert_eq!(s.poll_timeout(), Some(std::time::Duration::from_secs(35)));
    s.handle_timeout(std::time::Duration::from_secs(35));
    assert_eq!(drain_events(&mut s), [ended(Error::CloseTimeout)]);
    assert!(s.should_close_transport());
}

#[test]
fn sends_after_closed_are_refused() {
    let mut s = server();
    s.handle_input(&hex("88 80 00 00 00 00"));
    drain_events(&mut s);
    assert_eq!(s.send_binary(b"x"), Err(UsageError::SendAfterClose));
    assert_eq!(s.ping(b""), Err(UsageError::NotOpen));
}
