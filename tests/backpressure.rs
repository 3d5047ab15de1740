//! The outbound high-water mark (`Config::outbound_high_water`): a peer that stops reading
//! makes the connection refuse further data sends once the mark is reached, so its queued
//! output stays at the mark plus one message; writing some out makes room again.

mod common;

use common::{Cx, drain_events, hex};
use wswire::UsageError;
use wswire::connection::{Config, Connection};

fn server(mark: Option<usize>) -> Connection {
    let mut config = Config::default();
    config.outbound_high_water = mark;
    Connection::server_open(Default::default(), config)
}

#[test]
fn a_slow_reader_holds_at_most_the_mark_plus_one_message() {
    let mut s = server(Some(64 * 1024));
    let message = vec![7u8; 1000];
    let mut sent = 0;
    while s.is_send_ready() {
        s.send_binary(&message).unwrap();
        sent += 1;
        assert!(sent < 1000, "the mark never stopped the sender");
    }
    let held = s.pending_output();
    assert!(held >= 64 * 1024, "stopped below the mark: {held}");
    assert!(
        held < 64 * 1024 + 1004,
        "more than one message over the mark: {held}"
    );
    assert_eq!(
        s.send_binary(&message),
        Err(UsageError::OutputFull {
            pending: held,
            limit: 64 * 1024
        })
    );
    assert_eq!(s.pending_output(), held, "a refused send queues nothing");
    // Owned sends are bounded the same way.
    assert!(matches!(
        s.send_binary_owned(vec![0; 4096]),
        Err(UsageError::OutputFull { .. })
    ));
    // Pings are still answered.
    s.handle_input(&hex("89 80 00 00 00 00"));
    assert_eq!(drain_events(&mut s), [Cx::Ping(vec![])]);
    assert_eq!(s.pending_output(), held + 2);
    // The peer reads some: room again.
    let first = s.poll_transmit().unwrap().len();
    s.advance_transmit(first.min(8 * 1024));
    assert!(s.is_send_ready());
    s.send_binary(&message).unwrap();
}

#[test]
fn without_a_mark_sends_are_never_refused_for_output() {
    let mut s = server(None);
    for _ in 0..200 {
        s.send_binary(&[1u8; 1000]).unwrap();
    }
    assert!(s.pending_output() > 200_000);
    assert!(s.is_send_ready());
}
