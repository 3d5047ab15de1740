//! Pure-codec benchmarks: header decode, masking, UTF-8 validation, each beside a `memcpy`
//! of the same bytes in the same run. `cargo bench -p wswire-micro --bench codecs`.
#![allow(missing_docs, clippy::unwrap_used)]

use core::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wswire::frame::{Decoded, FrameHeader, MaskKey, apply_mask, copy_masked};
use wswire::utf8::Utf8Validator;

const SIZES: [usize; 6] = [16, 125, 1024, 16 * 1024, 64 * 1024, 1024 * 1024];
const KEY: MaskKey = MaskKey([0x37, 0xfa, 0x21, 0x3d]);

fn ascii(n: usize) -> Vec<u8> {
    b"The quick brown fox jumps over the lazy dog. "
        .iter()
        .copied()
        .cycle()
        .take(n)
        .collect()
}

/// Mixed 2-, 3- and 4-byte code points, cut back to a code-point boundary.
fn multibyte(n: usize) -> Vec<u8> {
    let s = "κόσμε — 日本語のテキスト, émigré, 🦀 and some ascii; ";
    let mut v: Vec<u8> = s.bytes().cycle().take(n).collect();
    while core::str::from_utf8(&v).is_err() {
        v.pop();
    }
    v
}

fn header(c: &mut Criterion) {
    let mut g = c.benchmark_group("header_decode");
    let cases: [(&str, &[u8]); 4] = [
        ("7bit_unmasked", &[0x82, 0x10]),
        ("7bit_unmasked_in_stream", &[0x82, 0x10, 1, 2, 3, 4, 5, 6]),
        ("7bit_masked", &[0x82, 0x90, 1, 2, 3, 4]),
        (
            "64bit_masked",
            &[0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4],
        ),
    ];
    for (name, bytes) in cases {
        g.bench_function(name, |b| {
            b.iter(|| match FrameHeader::decode(black_box(bytes)) {
                Ok(Decoded::Complete((h, n))) => (h.payload_len, n),
                _ => unreachable!(),
            });
        });
    }
    g.finish();
}

fn mask(c: &mut Criterion) {
    let mut g = c.benchmark_group("mask");
    for &n in &SIZES {
        g.throughput(Throughput::Bytes(n as u64));
        let src = ascii(n);
        let mut dst = vec![0u8; n];
        g.bench_with_input(BenchmarkId::new("memcpy", n), &n, |b, _| {
            b.iter(|| dst.copy_from_slice(black_box(&src)));
        });
        g.bench_with_input(BenchmarkId::new("in_place", n), &n, |b, _| {
            b.iter(|| apply_mask(black_box(&mut dst), KEY, 0));
        });
        g.bench_with_input(BenchmarkId::new("copy_masked", n), &n, |b, _| {
            b.iter(|| copy_masked(black_box(&mut dst), black_box(&src), KEY, 0));
        });
        // The portable (baseline) loop is reachable only through the fuzz-only module:
        // `RUSTFLAGS='--cfg fuzzing' cargo bench -p wswire-micro --bench codecs -- mask` adds these columns.
        #[cfg(fuzzing)]
        {
            g.bench_with_input(BenchmarkId::new("in_place_portable", n), &n, |b, _| {
                b.iter(|| wswire::fuzzing::apply_mask_portable(black_box(&mut dst), KEY, 0));
            });
            g.bench_with_input(BenchmarkId::new("copy_masked_portable", n), &n, |b, _| {
                b.iter(|| wswire::fuzzing::copy_masked_portable(black_box(&mut dst), &src, KEY));
            });
        }
    }
    g.finish();
}

fn utf8(c: &mut Criterion) {
    for (kind, make) in [
        ("ascii", ascii as fn(usize) -> Vec<u8>),
        ("multibyte", multibyte),
    ] {
        let mut g = c.benchmark_group(format!("utf8_{kind}"));
        for &n in &SIZES {
            let src = make(n);
            let mut dst = vec![0u8; src.len()];
            g.throughput(Throughput::Bytes(src.len() as u64));
            g.bench_with_input(BenchmarkId::new("memcpy", n), &n, |b, _| {
                b.iter(|| dst.copy_from_slice(black_box(&src)));
            });
            g.bench_with_input(BenchmarkId::new("core_from_utf8", n), &n, |b, _| {
                b.iter(|| core::str::from_utf8(black_box(&src)).is_ok());
            });
            g.bench_with_input(BenchmarkId::new("simdutf8_compat", n), &n, |b, _| {
                b.iter(|| simdutf8::compat::from_utf8(black_box(&src)).is_ok());
            });
            g.bench_with_input(BenchmarkId::new("wswire", n), &n, |b, _| {
                b.iter(|| {
                    let mut v = Utf8Validator::new();
                    v.feed(black_box(&src)).unwrap();
                    v.finish().is_ok()
                });
            });
        }
        g.finish();
    }
}

criterion_group!(benches, header, mask, utf8);
criterion_main!(benches);
