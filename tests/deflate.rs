//! permessage-deflate data path (RFC 7692 §6, §7.2): the §7.2.3 vectors inbound and outbound,
//! RSV1 rules, inflate errors (1007), size limits and bombs (1009), round trips through two
//! connections for every parameter combination in both roles, chunking invariance, window
//! honouring, threshold and per-message opt-out.
#![cfg(feature = "deflate")]

mod common;

use std::sync::Arc;

use common::{Cx, Ev, drain_events, drain_output, hex, merge_pieces, splits};
use wswire::Role;
use wswire::connection::{Config, Connection, State};
use wswire::extensions::deflate::{
    ClientMaxWindowBits, Codec, DeflateClient, DeflateConfig, DeflateOffer, DeflateParams,
    DeflateServer,
};
use wswire::frame::MaskKey;
use wswire::handshake::{ClientRequest, SecWebSocketKey, ServerConfig};
use wswire::recv::{Delivery, Event, Receiver, RecvConfig};
use wswire::send::{Compression, DataKind, FixedMask, SendConfig, Sender};

fn receiver(role: Role, params: DeflateParams, config: RecvConfig, delivery: Delivery) -> Receiver {
    let mut rx = Receiver::with_delivery(role, config, delivery);
    rx.set_inflater(DeflateConfig::default().inflater(&params, role).unwrap());
    rx
}

/// Feeds `chunks` to a deflate-enabled receiver; records events and the failure code.
fn receive_with(
    role: Role,
    params: DeflateParams,
    config: RecvConfig,
    delivery: Delivery,
    chunks: &[&[u8]],
) -> Vec<Ev> {
    let mut rx = receiver(role, params, config, delivery);
    let mut out = Vec::new();
    for chunk in chunks {
        rx.handle_input(chunk);
        while let Some(r) = rx.poll_event() {
            assert!(
                !matches!(out.last(), Some(Ev::Fail(_))),
                "event after failure"
            );
            match r {
                Ok(e) => out.push(Ev::from_event(&e)),
                Err(e) => out.push(Ev::Fail(e.close_code().as_u16())),
            }
        }
    }
    out
}

/// Every split of `wire` and both delivery modes give the same messages (pieces merged).
fn check(params: DeflateParams, config: RecvConfig, wire: &[u8], expected: &[Ev]) {
    for chunks in splits(wire) {
        for delivery in [Delivery::Messages, Delivery::Chunks] {
            let got = receive_with(Role::Client, params, config, delivery, &chunks);
            let got = if delivery == Delivery::Chunks {
                merge_pieces(&got)
            } else {
                got
            };
            assert_eq!(got, expected, "{delivery:?}, {} chunks", chunks.len());
        }
    }
}

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

/// Compresses `data` as one message with our own sender (server role, unmasked).
fn compress_message(kind: DataKind, data: &[u8], params: DeflateParams) -> Vec<u8> {
    let mut c = DeflateConfig::default();
    c.threshold = 0;
    let mut comp = c.compressor(&params, Role::Server).unwrap();
    let mut tx = Sender::server(SendConfig::default());
    let mut out = Vec::new();
    tx.data_compressed(&mut comp, kind, data, true, Compression::Auto, &mut out)
        .unwrap();
    out
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
fn outbound_vectors() {
    let hello = |params: DeflateParams, n: usize| {
        let mut c = DeflateConfig::default();
        c.threshold = 0;
        let mut comp = c.compressor(&params, Role::Server).unwrap();
        let mut tx = Sender::server(SendConfig::default());
        let mut out = Vec::new();
        for _ in 0..n {
            tx.data_compressed(
                &mut comp,
                DataKind::Text,
                b"Hello",
                true,
                Compression::Auto,
                &mut out,
            )
            .unwrap();
        }
        out
    };
    assert_eq!(hello(default(), 1), hex("c1 07 f2 48 cd c9 c9 07 00"));
    assert_eq!(
        hello(default(), 2),
        hex("c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00")
    );
    let nct = DeflateParams {
        server_no_context_takeover: true,
        ..default()
    };
    assert_eq!(
        hello(nct, 2),
        hex("c1 07 f2 48 cd c9 c9 07 00 c1 07 f2 48 cd c9 c9 07 00")
    );
    // The empty message.
    assert_eq!(
        compress_message(DataKind::Text, b"", default()),
        hex("c1 01 00")
    );
    // Control frames are never compressed and never carry RSV1.
    let mut tx = Sender::server(SendConfig::default());
    let mut out = Vec::new();
    tx.ping(b"Hello", &mut out).unwrap();
    assert_eq!(out, hex("89 05 48 65 6c 6c 6f"));
}

#[test]
fn streamed_message_rsv1_only_on_the_first_frame() {
    let mut c = DeflateConfig::default();
    c.threshold = 0;
    let mut comp = c.compressor(&default(), Role::Server).unwrap();
    let mut tx = Sender::server(SendConfig::default());
    let mut out = Vec::new();
    tx.data_compressed(
        &mut comp,
        DataKind::Text,
        b"123",
        false,
        Compression::Auto,
        &mut out,
    )
    .unwrap();
    let first_len = out.len();
    tx.ping(b"", &mut out).unwrap();
    tx.data_compressed(
        &mut comp,
        DataKind::Text,
        b"12",
        true,
        Compression::Off,
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0], 0x41, "text, RSV1, no FIN");
    assert_eq!(out[first_len], 0x89);
    assert_eq!(out[first_len + 2], 0x80, "continuation, FIN, no RSV1");
    // Non-final frames keep their 00 00 ff ff.
    assert_eq!(&out[first_len - 4..first_len], &[0, 0, 0xff, 0xff]);
    check(
        default(),
        RecvConfig::default(),
        &out,
        &[Ev::Ping(vec![]), text("12312")],
    );
    // Fragmentation by max_frame_payload splits the compressed payload; RSV1 on the first.
    let mut tx = Sender::server(SendConfig::default());
    tx.config_mut().max_frame_payload = Some(4);
    let mut out = Vec::new();
    let mut comp = c.compressor(&default(), Role::Server).unwrap();
    tx.data_compressed(
        &mut comp,
        DataKind::Text,
        b"Hello",
        true,
        Compression::Auto,
        &mut out,
    )
    .unwrap();
    assert_eq!(out, hex("41 04 f2 48 cd c9 80 03 c9 07 00"));
    check(default(), RecvConfig::default(), &out, &[text("Hello")]);
}

#[test]
fn threshold_and_per_message_opt_out() {
    let c = DeflateConfig::default();
    assert_eq!(c.threshold, 1024);
    let mut comp = c.compressor(&default(), Role::Server).unwrap();
    let mut tx = Sender::server(SendConfig::default());
    let small = "x".repeat(1023);
    let big = "x".repeat(1024);
    let mut out = Vec::new();
    tx.data_compressed(
        &mut comp,
        DataKind::Text,
        small.as_bytes(),
        true,
        Compression::Auto,
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0], 0x81, "below the threshold: uncompressed");
    out.clear();
    tx.data_compressed(
        &mut comp,
        DataKind::Text,
        big.as_bytes(),
        true,
        Compression::Auto,
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0], 0xc1, "at the threshold: compressed");
    assert!(out.len() < 100);
    out.clear();
    tx.data_compressed(
        &mut comp,
        DataKind::Text,
        big.as_bytes(),
        true,
        Compression::Off,
        &mut out,
    )
    .unwrap();
    assert_eq!(out[0], 0x81, "opted out");
    assert_eq!(out.len(), 4 + 1024);
}

#[test]
fn our_window_is_honoured() {
    // Text whose repeats are 600 bytes apart: a 9-bit (512-byte) window cannot reach them.
    let mut seed = 12345u32;
    let block: Vec<u8> = (0..600)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            b'a' + (seed >> 16) as u8 % 26
        })
        .collect();
    let data = block.repeat(20);
    for bits in [9u8, 10, 12, 15] {
        let params = DeflateParams {
            server_max_window_bits: bits,
            ..default()
        };
        let wire = compress_message(DataKind::Binary, &data, params);
        // Inflate with a decoder whose window is exactly 2^bits, one small output at a time
        // so that every back-reference goes through the window.
        let payload_at = if wire[1] & 0x7f == 126 { 4 } else { 2 };
        let mut payload = wire[payload_at..].to_vec();
        payload.extend_from_slice(&[0, 0, 0xff, 0xff]);
        let mut d = flate2::Decompress::new_with_window_bits(false, bits);
        let mut got = Vec::new();
        let mut input = &payload[..];
        let mut buf = [0u8; 64];
        loop {
            let before = (d.total_in(), d.total_out());
            d.decompress(input, &mut buf, flate2::FlushDecompress::None)
                .unwrap_or_else(|e| panic!("{bits} bits: {e}"));
            let used = (d.total_in() - before.0) as usize;
            let n = (d.total_out() - before.1) as usize;
            input = &input[used..];
            got.extend_from_slice(&buf[..n]);
            if used == 0 && n == 0 {
                break;
            }
        }
        assert_eq!(got, data, "{bits} bits");
        if bits == 9 {
            assert!(
                wire.len() > data.len() / 2,
                "a 512-byte window cannot reach back 600"
            );
        } else {
            assert!(wire.len() < data.len() / 4, "{bits}: {}", wire.len());
        }
    }
}

#[test]
fn window_bits_8_means_we_send_uncompressed() {
    let params = DeflateParams {
        server_max_window_bits: 8,
        client_max_window_bits: 8,
        ..default()
    };
    let c = DeflateConfig::default();
    assert!(c.compressor(&params, Role::Server).is_none());
    assert!(c.compressor(&params, Role::Client).is_none());
    // But we inflate what an 8-bit peer sends (zlib makes it with a 9-bit window, which is
    // what any 8-bit stream looks like to an inflater with a larger window).
    let wire = compress_message(
        DataKind::Text,
        b"Hello Hello Hello",
        DeflateParams {
            server_max_window_bits: 9,
            ..default()
        },
    );
    check(
        params,
        RecvConfig::default(),
        &wire,
        &[text("Hello Hello Hello")],
    );
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

// ---- Connections, through the handshake ----

fn handshake(
    server: DeflateServer,
    offer: DeflateOffer,
    config: Config,
) -> (Connection<FixedMask>, Connection) {
    let mut sc = ServerConfig::default();
    sc.extension(Box::new(server));
    let mut req = ClientRequest::new("example.com", "/").unwrap();
    req.extension(Box::new(DeflateClient::new(offer)));
    let hs = req.start_with_key(SecWebSocketKey::from_nonce(*b"the sample nonce"));
    let mut client = Connection::client_with(hs, config, FixedMask(MaskKey([1, 2, 3, 4])));
    let mut server = Connection::server(Arc::new(sc), config);
    server.handle_input(&drain_output(&mut client));
    assert_eq!(drain_events(&mut server), [Cx::Open]);
    client.handle_input(&drain_output(&mut server));
    assert_eq!(drain_events(&mut client), [Cx::Open]);
    (client, server)
}

fn messages() -> Vec<Vec<u8>> {
    vec![
        b"Hello".to_vec(),
        "héllo wörld ".repeat(200).into_bytes(),
        (0..3000u32).map(|i| (i * 31 % 251) as u8).collect(),
        "x".repeat(20_000).into_bytes(),
        Vec::new(),
        "héllo wörld ".repeat(200).into_bytes(),
    ]
}

/// Sends every message both ways (whole and streamed) and checks it arrives intact.
fn exchange(client: &mut Connection<FixedMask>, server: &mut Connection) -> (usize, usize) {
    let (mut c2s, mut s2c) = (0, 0);
    for (i, m) in messages().iter().enumerate() {
        let text = i != 2;
        let expect = if text {
            Cx::Text(String::from_utf8(m.clone()).unwrap())
        } else {
            Cx::Binary(m.clone())
        };
        // Whole.
        if text {
            client.send_text(std::str::from_utf8(m).unwrap()).unwrap();
            server.send_text(std::str::from_utf8(m).unwrap()).unwrap();
        } else {
            client.send_binary(m).unwrap();
            server.send_binary(m).unwrap();
        }
        // Streamed in three parts (split on a char boundary for text).
        let cut = (1..m.len()).find(|&c| !text || std::str::from_utf8(&m[..c]).is_ok());
        let parts: Vec<&[u8]> = match cut {
            Some(c) => vec![&m[..c], &m[c..], &[]],
            None => vec![&m[..]],
        };
        for (j, p) in parts.iter().enumerate() {
            let fin = j + 1 == parts.len();
            if text {
                let s = std::str::from_utf8(p).unwrap();
                client.send_text_with(s, fin, Compression::Auto).unwrap();
                server.send_text_with(s, fin, Compression::Auto).unwrap();
            } else {
                client.send_binary_with(p, fin, Compression::Auto).unwrap();
                server.send_binary_with(p, fin, Compression::Auto).unwrap();
            }
        }
        let wire = drain_output(client);
        c2s += wire.len();
        for chunk in wire.chunks(1000) {
            server.handle_input(chunk);
        }
        assert_eq!(
            drain_events(server),
            [expect.clone(), expect.clone()],
            "c->s {i}"
        );
        let wire = drain_output(server);
        s2c += wire.len();
        for chunk in wire.chunks(777) {
            client.handle_input(chunk);
        }
        assert_eq!(drain_events(client), [expect.clone(), expect], "s->c {i}");
    }
    (c2s, s2c)
}

#[test]
fn round_trips_for_every_parameter_combination_in_both_roles() {
    let plain: usize = messages().iter().map(Vec::len).sum::<usize>() * 2;
    let mut combos = 0;
    for snct in [false, true] {
        for cnct in [false, true] {
            for smwb in [None, Some(8), Some(9), Some(12), Some(15)] {
                for cmwb in [
                    ClientMaxWindowBits::Absent,
                    ClientMaxWindowBits::Supported,
                    ClientMaxWindowBits::Limit(9),
                    ClientMaxWindowBits::Limit(12),
                ] {
                    for server_policy in 0..3 {
                        let mut so = DeflateServer::default();
                        match server_policy {
                            1 => {
                                so.server_no_context_takeover = true;
                                so.client_no_context_takeover = true;
                            }
                            2 => {
                                so.server_max_window_bits = 10;
                                if cmwb != ClientMaxWindowBits::Absent {
                                    so.client_max_window_bits = 11;
                                }
                            }
                            _ => {}
                        }
                        let offer = DeflateOffer {
                            server_no_context_takeover: snct,
                            client_no_context_takeover: cnct,
                            server_max_window_bits: smwb,
                            client_max_window_bits: cmwb,
                        };
                        let mut config = Config::default();
                        if let ClientMaxWindowBits::Limit(b) = cmwb {
                            config.deflate.max_window_bits = b;
                        }
                        let (mut client, mut server) = handshake(so, offer, config);
                        let agreed =
                            DeflateParams::from_extensions(client.negotiated().extensions())
                                .unwrap()
                                .expect("deflate agreed");
                        assert_eq!(
                            Some(agreed),
                            DeflateParams::from_extensions(server.negotiated().extensions())
                                .unwrap()
                        );
                        let ctx = format!("{offer:?} {so:?} -> {agreed:?}");
                        // The compressors the connections build from what was agreed honour it.
                        let sc = config.deflate.compressor(&agreed, Role::Server);
                        let cc = config.deflate.compressor(&agreed, Role::Client);
                        assert_eq!(sc.is_some(), agreed.server_max_window_bits > 8, "{ctx}");
                        assert_eq!(cc.is_some(), agreed.client_max_window_bits > 8, "{ctx}");
                        if let Some(sc) = &sc {
                            assert!(sc.window_bits() <= agreed.server_max_window_bits, "{ctx}");
                            assert_eq!(sc.no_context_takeover(), agreed.server_no_context_takeover);
                        }
                        if let Some(cc) = &cc {
                            assert!(cc.window_bits() <= agreed.client_max_window_bits, "{ctx}");
                            if let ClientMaxWindowBits::Limit(b) = cmwb {
                                assert!(cc.window_bits() <= b, "{ctx}");
                            }
                            assert_eq!(cc.no_context_takeover(), agreed.client_no_context_takeover);
                        }
                        let (has_cc, has_sc) = (cc.is_some(), sc.is_some());
                        let (c2s, s2c) = exchange(&mut client, &mut server);
                        if has_cc {
                            assert!(c2s < plain / 2, "{ctx}: client sent {c2s} of {plain}");
                        }
                        if has_sc {
                            assert!(s2c < plain / 2, "{ctx}: server sent {s2c} of {plain}");
                        } else {
                            assert!(s2c > plain, "{ctx}: window 8 sends uncompressed");
                        }
                        combos += 1;
                    }
                }
            }
        }
    }
    assert_eq!(combos, 2 * 2 * 5 * 4 * 3);
}

#[test]
fn chunking_invariance_with_compression_on() {
    let (mut client, _) = handshake(
        DeflateServer::default(),
        DeflateOffer::default(),
        Config::default(),
    );
    let msgs = [
        "short".to_string(),
        "compressible text ".repeat(300),
        "κόσμε ".repeat(400),
    ];
    for m in &msgs {
        client.send_text(m).unwrap();
    }
    client.ping(b"p").unwrap();
    let wire = drain_output(&mut client);
    let expected: Vec<Ev> = msgs
        .iter()
        .map(|m| Ev::text(m))
        .chain([Ev::Ping(b"p".to_vec())])
        .collect();
    let params = DeflateParams::from_extensions(client.negotiated().extensions())
        .unwrap()
        .unwrap();
    for chunks in splits(&wire) {
        for delivery in [Delivery::Messages, Delivery::Chunks] {
            let got = receive_with(
                Role::Server,
                params,
                RecvConfig::default(),
                delivery,
                &chunks,
            );
            let got = if delivery == Delivery::Chunks {
                merge_pieces(&got)
            } else {
                got
            };
            assert_eq!(got, expected, "{delivery:?} {}", chunks.len());
        }
    }
    // Every two-way split.
    for cut in (0..wire.len()).step_by(7) {
        let got = receive_with(
            Role::Server,
            params,
            RecvConfig::default(),
            Delivery::Messages,
            &[&wire[..cut], &wire[cut..]],
        );
        assert_eq!(got, expected, "cut at {cut}");
    }
}

#[test]
fn connection_with_deflate_errors_fail_with_the_right_codes() {
    for (wire, code) in [
        ("c1 01 ff", 1007),
        ("c1 03 fa 0f 00", 1007),
        ("41 03 f2 48 cd c0 04 c9 c9 07 00", 1002),
    ] {
        let (mut client, _server) = handshake(
            DeflateServer::default(),
            DeflateOffer::default(),
            Config::default(),
        );
        client.handle_input(&hex(wire));
        let ev = drain_events(&mut client);
        assert!(matches!(ev.last(), Some(Cx::Error(_))), "{ev:?}");
        let out = drain_output(&mut client);
        // A masked Close with the code.
        assert_eq!(out[0], 0x88);
        let mut payload = out[6..].to_vec();
        wswire::frame::apply_mask(&mut payload, MaskKey([1, 2, 3, 4]), 0);
        assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), code, "{wire}");
    }
    // The bomb through a connection.
    let mut config = Config::default();
    config.recv.max_message_size = 64 * 1024;
    let (mut client, _server) =
        handshake(DeflateServer::default(), DeflateOffer::default(), config);
    client.handle_input(&compress_message(
        DataKind::Binary,
        &vec![0; 1 << 20],
        default(),
    ));
    let ev = drain_events(&mut client);
    assert!(
        matches!(ev.last(), Some(Cx::Error(e)) if e.contains("inflates past")),
        "{ev:?}"
    );
    assert_eq!(client.state(), State::Closed);
}

#[test]
fn opt_out_through_the_connection_and_no_negotiator_means_no_compression() {
    let (mut client, mut server) = handshake(
        DeflateServer::default(),
        DeflateOffer::default(),
        Config::default(),
    );
    let big = "y".repeat(5000);
    server.send_text_with(&big, true, Compression::Off).unwrap();
    let wire = drain_output(&mut server);
    assert_eq!(wire[0], 0x81);
    client.handle_input(&wire);
    assert_eq!(drain_events(&mut client), [Cx::Text(big.clone())]);
    server.send_text(&big).unwrap();
    let wire = drain_output(&mut server);
    assert_eq!(wire[0], 0xc1);
    // Without the negotiators nothing is agreed and nothing compressed.
    let mut pair = common::Pair::open(Config::default());
    pair.server.send_text(&big).unwrap();
    assert_eq!(drain_output(&mut pair.server)[0], 0x81);
}

#[test]
fn agreed_deflate_without_a_codec_fails_with_1011() {
    let mut config = Config::default();
    config.deflate.codec = None;
    let mut sc = ServerConfig::default();
    sc.extension(Box::new(DeflateServer::default()));
    let mut req = ClientRequest::new("example.com", "/").unwrap();
    req.extension(Box::new(DeflateClient::default()));
    let hs = req.start_with_key(SecWebSocketKey::from_nonce(*b"the sample nonce"));
    let mut client = Connection::client_with(hs, Config::default(), FixedMask(MaskKey([1; 4])));
    let mut server = Connection::server(Arc::new(sc), config);
    server.handle_input(&drain_output(&mut client));
    let ev = drain_events(&mut server);
    assert!(
        matches!(ev.last(), Some(Cx::Error(e)) if e.contains("no codec")),
        "{ev:?}"
    );
    let out = drain_output(&mut server);
    assert!(out.ends_with(&hex("88 02 03 f3")), "101 then Close 1011");
    assert!(server.should_close_transport());
}

#[test]
fn a_custom_codec_plugs_in() {
    // The flate2 codec under another name, to show the seam: Codec::new with two fns.
    fn inflater(bits: u8) -> Box<dyn wswire::extensions::deflate::Inflate> {
        Codec::flate2().new_inflater(bits)
    }
    fn deflater(bits: u8, level: u8) -> Option<Box<dyn wswire::extensions::deflate::Deflate>> {
        Codec::flate2().new_deflater(bits, level)
    }
    let codec = Codec::new("wrapped", inflater, deflater);
    assert_ne!(codec, Codec::flate2());
    assert_eq!(codec, codec);
    let mut config = DeflateConfig::default();
    config.codec = Some(codec);
    config.threshold = 0;
    let mut comp = config.compressor(&default(), Role::Server).unwrap();
    let mut tx = Sender::server(SendConfig::default());
    let mut out = Vec::new();
    tx.data_compressed(
        &mut comp,
        DataKind::Text,
        b"Hello",
        true,
        Compression::Auto,
        &mut out,
    )
    .unwrap();
    assert_eq!(out, hex("c1 07 f2 48 cd c9 c9 07 00"));
    let mut rx = Receiver::new(Role::Client, RecvConfig::default());
    rx.set_inflater(config.inflater(&default(), Role::Client).unwrap());
    rx.handle_input(&out);
    assert_eq!(
        rx.poll_event(),
        Some(Ok(Event::Text {
            data: "Hello",
            fin: true
        }))
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
