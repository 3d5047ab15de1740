//! permessage-deflate on the sending side (RFC 7692 §6.1, §7.2.3): the §7.2.3 vectors
//! outbound, RSV1 only on a streamed message's first frame, the threshold and per-message
//! opt-out, our window honoured, a window of 8 bits meaning uncompressed.
#![cfg(feature = "deflate")]

mod common;

use common::deflate::{check, compress_message};
use common::{Ev, hex};
use wswire::Role;
use wswire::extensions::deflate::{DeflateConfig, DeflateParams};
use wswire::recv::RecvConfig;
use wswire::send::{Compression, DataKind, SendConfig, Sender};

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
    assert_eq!(
        hello(DeflateParams::default(), 1),
        hex("c1 07 f2 48 cd c9 c9 07 00")
    );
    assert_eq!(
        hello(DeflateParams::default(), 2),
        hex("c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00")
    );
    let nct = DeflateParams {
        server_no_context_takeover: true,
        ..DeflateParams::default()
    };
    assert_eq!(
        hello(nct, 2),
        hex("c1 07 f2 48 cd c9 c9 07 00 c1 07 f2 48 cd c9 c9 07 00")
    );
    // The empty message.
    assert_eq!(
        compress_message(DataKind::Text, b"", DeflateParams::default()),
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
    let mut comp = c
        .compressor(&DeflateParams::default(), Role::Server)
        .unwrap();
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
        DeflateParams::default(),
        RecvConfig::default(),
        &out,
        &[Ev::Ping(vec![]), Ev::text("12312")],
    );
    // Fragmentation by max_frame_payload splits the compressed payload; RSV1 on the first.
    let mut tx = Sender::server(SendConfig::default());
    tx.config_mut().max_frame_payload = Some(4);
    let mut out = Vec::new();
    let mut comp = c
        .compressor(&DeflateParams::default(), Role::Server)
        .unwrap();
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
    check(
        DeflateParams::default(),
        RecvConfig::default(),
        &out,
        &[Ev::text("Hello")],
    );
}

#[test]
fn threshold_and_per_message_opt_out() {
    let c = DeflateConfig::default();
    assert_eq!(c.threshold, 1024);
    let mut comp = c
        .compressor(&DeflateParams::default(), Role::Server)
        .unwrap();
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
            ..DeflateParams::default()
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
        ..DeflateParams::default()
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
            ..DeflateParams::default()
        },
    );
    check(
        params,
        RecvConfig::default(),
        &wire,
        &[Ev::text("Hello Hello Hello")],
    );
}
