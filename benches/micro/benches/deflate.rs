//! permessage-deflate throughput: compressing (`Sender::data_compressed`) and receiving with
//! inflation (`Receiver` + `MessageInflater`) for 1 KiB, 16 KiB and 1 MiB text messages, with
//! context takeover on and off (level 6, zlib's and `ws`'s default; and takeover at level 1),
//! beside the same messages uncompressed. Each iteration handles a set of different messages
//! (at least four and 64 KiB) in a steady-state stream, and throughput counts uncompressed
//! bytes.
//!
//! `cargo bench -p wswire-micro --bench deflate`. Memory per connection is measured by
//! `tests/deflate_memory.rs` (a counting allocator).
#![allow(missing_docs, clippy::unwrap_used)]

use core::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wswire::Role;
use wswire::extensions::deflate::{Compressor, DeflateConfig, DeflateParams};
use wswire::recv::{Event, Receiver, RecvConfig};
use wswire::send::{Compression, DataKind, SendConfig, Sender};

const SIZES: [(usize, &str); 3] = [(1024, "1KiB"), (16 * 1024, "16KiB"), (1 << 20, "1MiB")];

/// JSON-ish chat text: words from a fixed pseudo-random vocabulary of 2048, drawn with a
/// Zipf-like skew, with record punctuation now and then. zlib level 6 compresses it about
/// 2.9x (a handful of repeated words would compress absurdly well and run zlib's match search
/// into its worst case).
fn text(n: usize, seed: u32) -> String {
    let mut x: u32 = 0x9e37_79b9;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    let vocab: Vec<String> = (0..2048)
        .map(|_| {
            let len = 2 + next() % 9;
            (0..len)
                .map(|_| char::from(b'a' + (next() % 26) as u8))
                .collect()
        })
        .collect();
    let mut y = seed.wrapping_mul(2_654_435_761) | 1;
    let mut s = String::with_capacity(n + 32);
    while s.len() < n {
        y ^= y << 13;
        y ^= y >> 17;
        y ^= y << 5;
        let r = (y >> 8) % 2048;
        match y & 15 {
            0 => {
                s.push_str("{\"id\":");
                s.push_str(&(y % 100_000).to_string());
                s.push_str(",\"text\":\"");
            }
            1 => s.push_str("\"}\n"),
            _ => {}
        }
        s.push_str(&vocab[(r * r / 2048) as usize]);
        s.push(' ');
    }
    s.truncate(n);
    s
}

/// Distinct messages per iteration: at least 4, and at least 64 KiB of them, so that with
/// context takeover the 32 KiB window never holds an identical earlier message.
fn messages(n: usize) -> Vec<String> {
    let count = (64 * 1024 / n).max(4);
    (0..count).map(|i| text(n, i as u32 + 1)).collect()
}

fn params(no_context_takeover: bool) -> DeflateParams {
    DeflateParams {
        server_no_context_takeover: no_context_takeover,
        ..DeflateParams::default()
    }
}

/// (name, `Some((no_context_takeover, level))` or `None` for uncompressed).
fn modes() -> [(&'static str, Option<(bool, u8)>); 4] {
    [
        ("takeover", Some((false, 6))),
        ("no_takeover", Some((true, 6))),
        ("takeover_level1", Some((false, 1))),
        ("uncompressed", None),
    ]
}

fn compressor(mode: Option<(bool, u8)>) -> Option<Compressor> {
    mode.map(|(nct, level)| {
        let mut c = DeflateConfig::default();
        c.threshold = 0;
        c.level = level;
        c.compressor(&params(nct), Role::Server).unwrap()
    })
}

fn compress(c: &mut Criterion) {
    let mut g = c.benchmark_group("deflate_compress");
    for (n, label) in SIZES {
        let msgs = messages(n);
        let bytes: usize = msgs.iter().map(String::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.sample_size(if n >= 1 << 20 { 10 } else { 50 });
        for (mode, m) in modes() {
            let mut tx = Sender::server(SendConfig::default());
            let mut out = Vec::with_capacity(2 * bytes);
            let mut comp = compressor(m);
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
                                    Compression::Auto,
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
fn stream(msgs: &[String], mode: Option<(bool, u8)>) -> (Vec<u8>, Vec<u8>) {
    let mut tx = Sender::server(SendConfig::default());
    let mut comp = compressor(mode);
    let mut warm = Vec::new();
    let mut round = Vec::new();
    for r in 0..3 {
        let out = if r < 2 { &mut warm } else { &mut round };
        for m in msgs {
            match &mut comp {
                Some(c) => tx
                    .data_compressed(
                        c,
                        DataKind::Text,
                        m.as_bytes(),
                        true,
                        Compression::Auto,
                        out,
                    )
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
        let msgs = messages(n);
        let bytes: usize = msgs.iter().map(String::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.sample_size(if n >= 1 << 20 { 10 } else { 50 });
        for (mode, m) in modes() {
            let (warm, round) = stream(&msgs, m);
            let mut config = RecvConfig::default();
            config.max_message_size = 16 << 20;
            let mut rx = Receiver::new(Role::Client, config);
            if let Some((nct, _)) = m {
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
                    assert_eq!(total, bytes);
                    total
                });
            });
        }
    }
    g.finish();
}

criterion_group!(benches, compress, decompress);
criterion_main!(benches);
