//! permessage-deflate throughput: compressing (`Sender::data_compressed`) and receiving with
//! inflation (`Receiver` + `MessageInflater`) for 1 KiB, 16 KiB and 1 MiB text messages, with
//! context takeover on and off, beside the same messages uncompressed. Each iteration handles
//! four different messages in a steady-state stream (the window holds earlier ones), and
//! throughput counts uncompressed bytes.
//!
//! `cargo bench --features deflate --bench deflate`. Memory per connection is measured by
//! `tests/deflate_memory.rs` (a counting allocator).
#![allow(missing_docs, clippy::unwrap_used)]

use core::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wswire::Role;
use wswire::extensions::deflate::{DeflateConfig, DeflateParams};
use wswire::recv::{Event, Receiver, RecvConfig};
use wswire::send::{DataKind, SendConfig, Sender};

const SIZES: [(usize, &str); 3] = [(1024, "1KiB"), (16 * 1024, "16KiB"), (1 << 20, "1MiB")];

/// Chat- or JSON-like text: words from a small vocabulary in a pseudo-random order, so it
/// compresses about 3-4x (not a repeated sentence, which would compress absurdly well).
fn text(n: usize, seed: u32) -> String {
    const WORDS: [&str; 32] = [
        "the",
        "message",
        "\"id\":",
        "user",
        "connection",
        "frame",
        "{\"type\":",
        "payload",
        "server",
        "client",
        "deflate",
        "window",
        "context",
        "takeover",
        "and",
        "of",
        "to",
        "in",
        "is",
        "websocket",
        "\"ts\":",
        "12345,",
        "true,",
        "false}",
        "data",
        "stream",
        "bytes",
        "compressed",
        "a",
        "with",
        "for",
        "κόσμε",
    ];
    let mut s = String::with_capacity(n + 16);
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    while s.len() < n {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s.push_str(WORDS[(x % 32) as usize]);
        s.push(if x & 0x300 == 0 { '\n' } else { ' ' });
    }
    while s.len() > n {
        s.pop();
    }
    s
}

fn params(no_context_takeover: bool) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: no_context_takeover,
        ..DeflateParams::default()
    }
}

fn modes() -> [(&'static str, Option<bool>); 3] {
    [
        ("takeover", Some(false)),
        ("no_takeover", Some(true)),
        ("uncompressed", None),
    ]
}

fn compress(c: &mut Criterion) {
    let mut g = c.benchmark_group("deflate_compress");
    for (n, label) in SIZES {
        let msgs: Vec<String> = (0..4).map(|i| text(n, i + 1)).collect();
        g.throughput(Throughput::Bytes(4 * n as u64));
        if n >= 1 << 20 {
            g.sample_size(20);
        } else {
            g.sample_size(100);
        }
        for (mode, nct) in modes() {
            let mut tx = Sender::server(SendConfig::default());
            let mut out = Vec::with_capacity(8 * n);
            let mut comp = nct.map(|nct| {
                DeflateConfig::default()
                    .compressor(&params(nct), Role::Server)
                    .unwrap()
            });
            g.bench_function(BenchmarkId::new(mode, label), |b| {
                b.iter(|| {
                    out.clear();
                    for m in &msgs {
                        match &mut comp {
                            Some(comp) => tx
                                .data_compressed(
                                    comp,
                                    DataKind::Text,
                                    m.as_bytes(),
                                    true,
                                    true,
                                    &mut out,
                                )
                                .unwrap(),
                            None => tx.text(m, true, &mut out).unwrap(),
                        }
                    }
                    black_box(out.len())
                });
            });
        }
    }
    g.finish();
}

/// The frames of four messages, in steady state: a stream compressed over three rounds, of
/// which the last round's frames are returned, after the first two (to warm a receiver).
fn stream(msgs: &[String], nct: Option<bool>) -> (Vec<u8>, Vec<u8>) {
    let mut tx = Sender::server(SendConfig::default());
    let mut comp = nct.map(|nct| {
        let mut c = DeflateConfig::default();
        c.threshold = 0;
        c.compressor(&params(nct), Role::Server).unwrap()
    });
    let mut warm = Vec::new();
    let mut round = Vec::new();
    for r in 0..3 {
        let out = if r < 2 { &mut warm } else { &mut round };
        for m in msgs {
            match &mut comp {
                Some(c) => tx
                    .data_compressed(c, DataKind::Text, m.as_bytes(), true, true, out)
                    .unwrap(),
                None => tx.text(m, true, out).unwrap(),
            }
        }
    }
    (warm, round)
}

fn decompress(c: &mut Criterion) {
    let mut g = c.benchmark_group("deflate_receive");
    for (n, label) in SIZES {
        let msgs: Vec<String> = (0..4).map(|i| text(n, i + 1)).collect();
        g.throughput(Throughput::Bytes(4 * n as u64));
        if n >= 1 << 20 {
            g.sample_size(20);
        } else {
            g.sample_size(100);
        }
        for (mode, nct) in modes() {
            let (warm, round) = stream(&msgs, nct);
            let mut config = RecvConfig::default();
            config.max_message_size = 16 << 20;
            let mut rx = Receiver::new(Role::Client, config);
            if let Some(nct) = nct {
                rx.set_inflater(
                    DeflateConfig::default()
                        .inflater(&params(nct), Role::Client)
                        .unwrap(),
                );
            }
            rx.handle_input(&warm);
            while let Some(e) = rx.poll_event() {
                e.unwrap();
            }
            g.bench_function(BenchmarkId::new(mode, label), |b| {
                b.iter(|| {
                    rx.handle_input(black_box(&round));
                    let mut total = 0;
                    while let Some(e) = rx.poll_event() {
                        match e.unwrap() {
                            Event::Text { data, .. } => total += data.len(),
                            other => panic!("{other:?}"),
                        }
                    }
                    assert_eq!(total, 4 * n);
                    total
                });
            });
        }
    }
    g.finish();
}

criterion_group!(benches, compress, decompress);
criterion_main!(benches);
