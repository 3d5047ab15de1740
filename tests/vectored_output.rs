//! Owned sends and the vectored transmit: a large payload is written from the caller's own
//! buffer (never copied into the output), in order with everything else, and partial writes
//! that stop anywhere resume correctly.

mod common;

use common::{Cx, Pair, drain_events, hex};
use wswire::connection::{Config, Connection};

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

/// Writes everything the connection has, `step` bytes at a time, through the vectored API.
fn drain_vectored<M: wswire::send::MaskGen>(c: &mut Connection<M>, step: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    loop {
        let mut bufs: [&[u8]; 8] = [&[]; 8];
        let n = c.poll_transmit_vectored(&mut bufs);
        if n == 0 {
            return wire;
        }
        let mut budget = step;
        let mut wrote = 0;
        for b in &bufs[..n] {
            let take = b.len().min(budget);
            wire.extend_from_slice(&b[..take]);
            budget -= take;
            wrote += take;
            if budget == 0 {
                break;
            }
        }
        c.advance_transmit(wrote);
    }
}

#[test]
fn server_owned_payload_is_its_own_slice_between_other_frames() {
    let mut s = Connection::server_open(Default::default(), Config::default());
    let data = payload(5000);
    s.send_text("a").unwrap();
    s.send_binary_owned(data.clone()).unwrap();
    s.ping(b"p").unwrap();
    let mut bufs: [&[u8]; 8] = [&[]; 8];
    let n = s.poll_transmit_vectored(&mut bufs);
    assert_eq!(
        n, 3,
        "inline (text + header), the owned payload, inline (ping)"
    );
    assert_eq!(bufs[0], &hex("81 01 61 82 7e 13 88")[..]);
    assert_eq!(bufs[1], &data[..]);
    assert_eq!(bufs[2], &hex("89 01 70")[..]);
    assert_eq!(s.pending_output(), 3 + 4 + 5000 + 3);
}

#[test]
fn partial_writes_resume_anywhere_and_the_peer_reads_it_all() {
    for step in [1usize, 3, 7, 1000, 4099, 100_000] {
        let mut pair = Pair::open(Config::default());
        let big = payload(70_000);
        pair.server.send_binary_owned(big.clone()).unwrap();
        pair.server.send_text_owned("x".repeat(2000)).unwrap();
        pair.server.send_text("tail").unwrap();
        let wire = drain_vectored(&mut pair.server, step);
        assert_eq!(pair.server.pending_output(), 0);
        pair.client.handle_input(&wire);
        assert_eq!(
            drain_events(&mut pair.client),
            [
                Cx::Binary(big),
                Cx::Text("x".repeat(2000)),
                Cx::Text("tail".into())
            ],
            "step {step}"
        );
    }
}

#[test]
fn client_owned_payload_is_masked_in_place() {
    let mut pair = Pair::open(Config::default());
    let data = payload(3000);
    pair.client.send_binary_owned(data.clone()).unwrap();
    let mut wire = Vec::new();
    while let Some(b) = pair.client.poll_transmit() {
        let b = b.to_vec();
        pair.client.advance_transmit(b.len());
        wire.extend_from_slice(&b);
    }
    assert_eq!(&wire[..2], &[0x82, 0xfe]);
    assert_ne!(&wire[8..], &data[..], "masked on the wire");
    pair.server.handle_input(&wire);
    assert_eq!(drain_events(&mut pair.server), [Cx::Binary(data)]);
}

#[test]
fn small_or_fragmented_owned_sends_take_the_copying_path() {
    let mut config = Config::default();
    config.send.max_frame_payload = Some(1500);
    let mut pair = Pair::open(config);
    pair.server.send_binary_owned(payload(10)).unwrap();
    pair.server.send_binary_owned(payload(4000)).unwrap();
    let mut bufs: [&[u8]; 8] = [&[]; 8];
    assert_eq!(
        pair.server.poll_transmit_vectored(&mut bufs),
        1,
        "all inline"
    );
    let (c, _) = pair.drive();
    assert_eq!(c, [Cx::Binary(payload(10)), Cx::Binary(payload(4000))]);
}
