//! Single-frame messages that straddle reads (RFC 6455 §5.2 frames split by the transport at
//! any byte): the `Receiver` keeps such a frame in its input buffer, unmasking and validating
//! the bytes as they arrive, and hands it over whole. Text stays fail-fast (§8.1): an invalid
//! byte fails the connection when it arrives, not when the frame is complete.

mod common;

use common::{Ev, receive, split_at};
use proptest::prelude::*;
use wswire::Role;
use wswire::frame::MaskKey;
use wswire::recv::{Delivery, Event, Receiver, RecvConfig};
use wswire::send::{FixedMask, SendConfig, Sender};

fn masked_text(text: &str) -> Vec<u8> {
    let mut tx = Sender::client_with(
        SendConfig::default(),
        FixedMask(MaskKey([0x37, 0xfa, 0x21, 0x3d])),
    );
    let mut out = Vec::new();
    tx.text(text, true, &mut out).unwrap();
    out
}

/// A masked single text frame whose payload is `payload` (not necessarily UTF-8).
fn masked_raw_text(payload: &[u8]) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    assert!(payload.len() < 126);
    #[expect(clippy::cast_possible_truncation, reason = "asserted < 126")]
    let mut out = vec![0x81, 0x80 | payload.len() as u8];
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

#[test]
fn a_text_frame_arriving_byte_by_byte_is_delivered_once_whole() {
    let text = "κόσμε — 日本語, 🦀 and ascii ".repeat(40);
    let wire = masked_text(&text);
    let chunks: Vec<&[u8]> = wire.chunks(1).collect();
    let got = receive(
        Role::Server,
        RecvConfig::default(),
        Delivery::Messages,
        &chunks,
    );
    assert_eq!(got, [Ev::text(&text)]);
}

#[test]
fn invalid_text_fails_when_the_byte_arrives_not_at_the_end_of_the_frame() {
    // 40 valid bytes, then 0xFF, then more: the frame is held while it arrives.
    let mut payload = vec![b'a'; 40];
    payload.push(0xff);
    payload.extend_from_slice(&[b'b'; 60]);
    let wire = masked_raw_text(&payload);
    let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    // Header and the valid bytes: nothing yet.
    rx.handle_input(&wire[..6 + 40]);
    assert!(rx.poll_event().is_none());
    // The invalid byte: 1007 at once, with 60 bytes of the frame still to come.
    rx.handle_input(&wire[6 + 40..6 + 41]);
    let err = rx.poll_event().unwrap().unwrap_err();
    assert_eq!(err.close_code().as_u16(), 1007);
    // Nothing after the failure.
    rx.handle_input(&wire[6 + 41..]);
    assert!(rx.poll_event().is_none());
}

#[test]
fn text_ending_inside_a_code_point_fails_at_the_end_of_a_held_frame() {
    let mut payload = b"abc".to_vec();
    payload.extend_from_slice(&"κ".as_bytes()[..1]);
    let wire = masked_raw_text(&payload);
    let chunks: Vec<&[u8]> = wire.chunks(2).collect();
    let got = receive(
        Role::Server,
        RecvConfig::default(),
        Delivery::Messages,
        &chunks,
    );
    assert_eq!(got, [Ev::Fail(1007)]);
}

#[test]
fn a_held_frame_is_handed_over_from_the_input_buffer_and_the_next_frame_follows() {
    let a = "x".repeat(5000);
    let b = "second";
    let mut wire = masked_text(&a);
    wire.extend_from_slice(&masked_text(b));
    let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    rx.handle_input(&wire[..3000]);
    assert!(rx.poll_event().is_none());
    rx.handle_input(&wire[3000..]);
    assert_eq!(
        rx.poll_event(),
        Some(Ok(Event::Text {
            data: &a,
            fin: true
        }))
    );
    assert_eq!(
        rx.poll_event(),
        Some(Ok(Event::Text { data: b, fin: true }))
    );
    assert!(rx.poll_event().is_none());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any text, in one frame, split anywhere: the same string comes out as one message, and
    /// any single corrupted byte gives the same outcome however the bytes are split.
    #[test]
    fn held_text_matches_the_standard_library_under_any_split(
        text in "\\PC{0,120}",
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
        corrupt in proptest::option::of((any::<usize>(), any::<u8>())),
    ) {
        let mut payload = text.into_bytes();
        if let Some((at, byte)) = corrupt && !payload.is_empty() {
            let at = at % payload.len();
            payload[at] = byte;
        }
        prop_assume!(payload.len() < 126);
        let wire = masked_raw_text(&payload);
        let whole = receive(Role::Server, RecvConfig::default(), Delivery::Messages, &[&wire]);
        let split = receive(
            Role::Server,
            RecvConfig::default(),
            Delivery::Messages,
            &split_at(&wire, &cuts),
        );
        let expected = match core::str::from_utf8(&payload) {
            Ok(s) => vec![Ev::text(s)],
            Err(_) => vec![Ev::Fail(1007)],
        };
        prop_assert_eq!(&whole, &expected);
        prop_assert_eq!(&split, &expected);
    }
}
