//! permessage-deflate on the receiving side (RFC 7692 §6.2, §7.2): the §7.2.3 vectors inbound,
//! RSV1 rules, inflate errors (1007), size limits and bombs (1009), chunked delivery. The
//! sending side: `tests/deflate_send.rs`; between two connections:
//! `tests/deflate_connections.rs`.
#![cfg(feature = "deflate")]

mod common;

use common::deflate::{check, compress_message, receive_with};
use common::{Ev, hex, merge_pieces, splits};
use wswire::Role;
use wswire::extensions::deflate::{DeflateConfig, DeflateParams};
use wswire::frame::MaskKey;
use wswire::recv::{Delivery, RecvConfig};
use wswire::send::{Compression, DataKind, SendConfig, Sender};

fn default() -> DeflateParams {
    DeflateParams::default()
}

fn text(s: &str) -> Ev {
    Ev::text(s)
}

#[test]
fn rfc_7692_examples_inflate() {
    let cases: &[(&str, &[&str])] = &[
        ("c1 07 f2 48 cd c9 c9 07 00", &["Hello"]),
        ("41 03 f2 48 cd | 80 04 c9 c9 07 00", &["Hello"]),
        (
            "c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00",
            &["Hello", "Hello"],
        ),
        ("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00", &["Hello"]),
        (
            "c1 08 f3 48 cd c9 c9 07 00 00 c1 07 f2 48 cd c9 c9 07 00",
            &["Hello", "Hello"],
        ),
        ("c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00", &["Hello"]),
        ("c1 01 00", &[""]),
        // An uncompressed message on a deflate connection is not inflated.
        ("81 05 48 65 6c 6c 6f", &["Hello"]),
        // Mixed: compressed, plain, compressed (context kept across the plain one).
        (
            "c1 07 f2 48 cd c9 c9 07 00 81 02 68 69 c1 05 f2 00 11 00 00",
            &["Hello", "hi", "Hello"],
        ),
        // An empty compressed payload leaves the inflater untouched.
        ("c1 00 c1 07 f2 48 cd c9 c9 07 00", &["", "Hello"]),
    ];
    for (wire, msgs) in cases {
        let expected: Vec<Ev> = msgs.iter().map(|m| text(m)).collect();
        check(default(), RecvConfig::default(), &hex(wire), &expected);
    }
}

#[test]
fn rfc_7692_example_as_a_server_with_masked_frames() {
    // RFC 7692 §7.2.3.1 "Hello" masked with 37 fa 21 3d.
    let mut payload = hex("f2 48 cd c9 c9 07 00");
    wswire::frame::apply_mask(&mut payload, MaskKey([0x37, 0xfa, 0x21, 0x3d]), 0);
    let mut wire = hex("c1 87 37 fa 21 3d");
    wire.extend_from_slice(&payload);
    for chunks in splits(&wire) {
        let got = receive_with(
            Role::Server,
            default(),
            RecvConfig::default(),
            Delivery::Messages,
            &chunks,
        );
        assert_eq!(got, [text("Hello")]);
    }
}

#[test]
fn no_context_takeover_resets_the_inflater() {
    let params = DeflateParams {
        server_no_context_takeover: true,
        ..default()
    };
    check(
        params,
        RecvConfig::default(),
        &hex("c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00"),
        &[text("Hello"), Ev::Fail(1007)],
    );
}

#[test]
fn control_frames_between_compressed_fragments() {
    let got = receive_with(
        Role::Client,
        default(),
        RecvConfig::default(),
        Delivery::Messages,
        &[
            &hex("41 03 f2 48 cd"),
            &hex("89 00"),
            &hex("80 04 c9 c9 07 00"),
        ],
    );
    assert_eq!(got, [Ev::Ping(vec![]), text("Hello")]);
}

#[test]
fn rsv1_outside_a_first_data_frame_is_1002() {
    for wire in [
        "41 03 f2 48 cd c0 04 c9 c9 07 00",
        "41 03 f2 48 cd 40 00",
        "01 03 48 65 6c c0 02 6c 6f",
        "c9 00",
        "ca 00",
        "c8 02 03 e8",
        // RSV2 / RSV3 stay forbidden.
        "a1 01 00",
        "91 01 00",
    ] {
        let got = receive_with(
            Role::Client,
            default(),
            RecvConfig::default(),
            Delivery::Messages,
            &[&hex(wire)],
        );
        assert_eq!(got.last(), Some(&Ev::Fail(1002)), "{wire}");
    }
}

#[test]
fn rsv1_without_deflate_is_still_1002() {
    let got = common::receive(
        Role::Client,
        RecvConfig::default(),
        Delivery::Messages,
        &[&hex("c1 07 f2 48 cd c9 c9 07 00")],
    );
    assert_eq!(got, [Ev::Fail(1002)]);
}

#[test]
fn invalid_data_and_invalid_inflated_text_are_1007() {
    check(
        default(),
        RecvConfig::default(),
        &hex("c1 01 ff"),
        &[Ev::Fail(1007)],
    );
    check(
        default(),
        RecvConfig::default(),
        &hex("c1 03 fa 0f 00"),
        &[Ev::Fail(1007)],
    );
    // A binary message may inflate to anything.
    check(
        default(),
        RecvConfig::default(),
        &hex("c2 03 fa 0f 00"),
        &[Ev::binary(&[0xff])],
    );
}

#[test]
fn text_that_ends_inside_a_code_point_after_inflation_is_1007() {
    let wire = compress_message(
        DataKind::Text,
        "ok\u{3ba}".as_bytes()[..3].as_ref(),
        default(),
    );
    check(default(), RecvConfig::default(), &wire, &[Ev::Fail(1007)]);
    // Invalid UTF-8 deep inside a long message fails too (fail-fast in chunks mode).
    let mut bad = "a".repeat(40_000).into_bytes();
    bad[30_000] = 0xff;
    let wire = compress_message(DataKind::Text, &bad, default());
    let got = receive_with(
        Role::Client,
        default(),
        RecvConfig::default(),
        Delivery::Chunks,
        &[&wire],
    );
    assert_eq!(got.last(), Some(&Ev::Fail(1007)));
    assert!(got.len() >= 2, "valid pieces before the failure: {got:?}");
}

#[test]
fn the_limit_applies_to_the_inflated_size() {
    let mut config = RecvConfig::default();
    config.max_message_size = 25;
    check(
        default(),
        config,
        &hex("c1 06 72 74 24 15 00 00"),
        &[Ev::Fail(1009)],
    );
    // Two fragments, each "A" x 15: the second crosses 25.
    let a15 = compress_message(DataKind::Text, &[b'A'; 15], default());
    let mut tx = Sender::server(SendConfig::default());
    let mut c = DeflateConfig::default();
    c.threshold = 0;
    let mut comp = c.compressor(&default(), Role::Server).unwrap();
    let mut wire = Vec::new();
    tx.data_compressed(
        &mut comp,
        DataKind::Text,
        &[b'A'; 15],
        false,
        Compression::Auto,
        &mut wire,
    )
    .unwrap();
    tx.data_compressed(
        &mut comp,
        DataKind::Text,
        &[b'A'; 15],
        true,
        Compression::Auto,
        &mut wire,
    )
    .unwrap();
    check(default(), config, &wire, &[Ev::Fail(1009)]);
    // Exactly at the limit is fine.
    config.max_message_size = 15;
    check(default(), config, &a15, &[Ev::Text("A".repeat(15), true)]);
}

/// zlib-rs can find invalid data in the call that filled the output (it reads the next
/// block's header): what it wrote still counts against the limit. Found by the `inflate` fuzz
/// target: 1007 when the payload arrived in one read, 1009 when it arrived in pieces.
#[test]
fn a_message_past_the_limit_before_its_corruption_is_1009_however_it_arrives() {
    // 17 bytes, one past the limit, ending where the block ends.
    let good = compress_message(DataKind::Binary, b"hello hello hello", default());
    // That payload (a short unmasked frame), then a stored block whose lengths disagree.
    let mut payload = good[2..].to_vec();
    payload.extend_from_slice(&hex("05 00 00 00"));
    let mut wire = vec![0xc2, u8::try_from(payload.len()).unwrap()];
    wire.extend_from_slice(&payload);
    let mut config = RecvConfig::default();
    config.max_message_size = 16;
    check(default(), config, &wire, &[Ev::Fail(1009)]);
    // With room for all 17 bytes, the corruption is what fails.
    config.max_message_size = 17;
    check(default(), config, &wire, &[Ev::Fail(1007)]);
}

/// The data bytes (text and binary) among `events`.
fn data_bytes(events: &[Ev]) -> usize {
    events
        .iter()
        .map(|e| match e {
            Ev::Text(t, _) => t.len(),
            Ev::Binary(b, _) => b.len(),
            _ => 0,
        })
        .sum()
}

#[test]
fn a_bomb_stops_at_the_limit() {
    // 1 MiB of zeros (about 1 KiB compressed) against a 64 KiB limit.
    let wire = compress_message(DataKind::Binary, &vec![0u8; 1 << 20], default());
    assert!(wire.len() < 2048, "{}", wire.len());
    let mut config = RecvConfig::default();
    config.max_message_size = 64 * 1024;
    for delivery in [Delivery::Messages, Delivery::Chunks] {
        let got = receive_with(Role::Client, default(), config, delivery, &[&wire]);
        assert_eq!(got.last(), Some(&Ev::Fail(1009)));
        let inflated = data_bytes(&got);
        assert!(inflated <= 64 * 1024, "{inflated}");
    }
}

#[test]
fn by_default_a_bomb_stops_at_1_mib() {
    // 63 MiB of text, about 64 KiB compressed, against the default limit (1 MiB).
    let wire = compress_message(DataKind::Text, &vec![b'a'; 63 << 20], default());
    assert!(wire.len() < 128 * 1024, "{}", wire.len());
    let config = RecvConfig::default();
    assert_eq!(config.max_message_size, 1 << 20);
    let got = receive_with(Role::Client, default(), config, Delivery::Chunks, &[&wire]);
    assert_eq!(got.last(), Some(&Ev::Fail(1009)));
    let inflated = data_bytes(&got);
    assert!(inflated <= 1 << 20, "{inflated}");
    let whole = receive_with(
        Role::Client,
        default(),
        config,
        Delivery::Messages,
        &[&wire],
    );
    assert_eq!(whole, [Ev::Fail(1009)]);
}

#[test]
fn by_default_a_1_mib_message_that_compresses_badly_passes() {
    // 1 MiB in DEFLATE stored blocks (5 bytes of header per 65,535 bytes): the compressed
    // payload is larger than the 1 MiB limit, the message is not.
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i * 31 + 7) as u8).collect();
    let mut payload = Vec::new();
    for block in data.chunks(65_535) {
        let len = u16::try_from(block.len()).unwrap();
        payload.push(0x00); // BFINAL 0, BTYPE 00 (stored)
        payload.extend_from_slice(&len.to_le_bytes());
        payload.extend_from_slice(&(!len).to_le_bytes());
        payload.extend_from_slice(block);
    }
    assert!(payload.len() > 1 << 20);
    let mut wire = vec![0xc2, 127];
    wire.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    wire.extend_from_slice(&payload);
    for delivery in [Delivery::Messages, Delivery::Chunks] {
        let got = receive_with(
            Role::Client,
            default(),
            RecvConfig::default(),
            delivery,
            &[&wire],
        );
        let bytes: Vec<u8> = got
            .iter()
            .flat_map(|e| match e {
                Ev::Binary(b, _) => b.clone(),
                other => panic!("{delivery:?}: unexpected {other:?}"),
            })
            .collect();
        assert!(bytes == data, "{delivery:?}: {} bytes", bytes.len());
    }
}

#[test]
fn compressed_chunk_delivery_is_bounded_by_the_buffer() {
    // 1 MiB of text in chunks: pieces are at most the 16 KiB inflate buffer.
    let data = "wswire permessage-deflate ".repeat(40_000);
    let wire = compress_message(DataKind::Text, data.as_bytes(), default());
    let got = receive_with(
        Role::Client,
        default(),
        RecvConfig::default(),
        Delivery::Chunks,
        &[&wire],
    );
    assert!(got.len() > 60, "{}", got.len());
    for e in &got {
        if let Ev::Text(s, _) = e {
            assert!(s.len() <= 16 * 1024);
        }
    }
    assert_eq!(merge_pieces(&got), [Ev::Text(data, true)]);
}

#[test]
fn multibyte_text_split_across_inflate_buffers() {
    // Code points straddle every 16 KiB boundary of the inflate buffer.
    let data: String = "aκ€😀".repeat(20_000);
    let wire = compress_message(DataKind::Text, data.as_bytes(), default());
    for delivery in [Delivery::Messages, Delivery::Chunks] {
        for chunks in splits(&wire) {
            let got = receive_with(
                Role::Client,
                default(),
                RecvConfig::default(),
                delivery,
                &chunks,
            );
            assert_eq!(merge_pieces(&got), [Ev::Text(data.clone(), true)]);
        }
    }
}

#[test]
fn unchecked_text_is_inflated_too() {
    let mut config = RecvConfig::default();
    config.validate_utf8 = false;
    let got = receive_with(
        Role::Client,
        default(),
        config,
        Delivery::Messages,
        &[&hex("c1 07 f2 48 cd c9 c9 07 00")],
    );
    assert_eq!(got, [Ev::Unchecked(b"Hello".to_vec(), true)]);
}

#[test]
fn close_after_compressed_message_and_input_after_close_is_ignored() {
    // Everything after a Close is ignored, here with permessage-deflate agreed.
    check(
        default(),
        RecvConfig::default(),
        &hex("c1 01 00 88 00 81 00"),
        &[text(""), Ev::Close(None)],
    );
}

/// Found by the `inflate` fuzz target (seed `fuzz/corpus/inflate/regression-limit-before-ping`):
/// a first fragment that inflates past the limit, then a Ping, then the continuation. The
/// message is too big at the first fragment, so the Ping after it is never delivered, however
/// the bytes arrive; before, when the fragment arrived in one read the Ping was delivered and
/// the 1009 came at the continuation.
#[test]
fn a_fragment_past_the_limit_fails_before_the_frames_after_it() {
    // "hello hello hello ..." compressed, in two fragments around an empty Ping.
    let a = [
        0xcau8, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x90, 0x00, 0x00,
    ];
    let b = [
        0x02u8, 0x03, 0x72, 0x06, 0x23, 0x0f, 0x01, 0xa4, 0x02, 0x05, 0x00,
    ];
    let mut wire = vec![0x42, 11];
    wire.extend_from_slice(&a);
    wire.extend_from_slice(&[0x89, 0x00, 0x80, 11]);
    wire.extend_from_slice(&b);
    let mut config = RecvConfig::default();
    config.max_message_size = 16;
    for chunks in splits(&wire) {
        for delivery in [Delivery::Messages, Delivery::Chunks] {
            let got = receive_with(Role::Client, default(), config, delivery, &chunks);
            assert_eq!(got.last(), Some(&Ev::Fail(1009)), "{delivery:?} {got:?}");
            assert!(
                !got.iter().any(|e| matches!(e, Ev::Ping(_))),
                "{delivery:?} {got:?}"
            );
            let delivered = data_bytes(&got);
            assert!(delivered <= 16, "{delivered}");
        }
    }
}
