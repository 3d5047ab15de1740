//! Opening-handshake benchmark: parse + validate a typical Chrome upgrade request and build
//! the 101 response into a reused buffer. Target ≤ 1 µs. `cargo bench -p wswire-micro --bench handshake`.
#![allow(missing_docs, clippy::unwrap_used)]

use core::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use wswire::frame::Decoded;
use wswire::handshake::{ServerConfig, ServerHandshake, parse_request};

/// What Chrome 126 sends for `new WebSocket("ws://localhost:8080/chat")`.
const CHROME: &[u8] = b"GET /chat HTTP/1.1\r\nHost: localhost:8080\r\nConnection: Upgrade\r\n\
Pragma: no-cache\r\nCache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) \
AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36\r\nUpgrade: websocket\r\n\
Origin: http://localhost:8080\r\nSec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

fn handshake(c: &mut Criterion) {
    let config = ServerConfig::default();
    let mut out = Vec::with_capacity(256);
    let mut g = c.benchmark_group("handshake");
    g.bench_function("chrome_parse_validate_respond", |b| {
        b.iter(|| {
            let Ok(Decoded::Complete((value, _))) =
                parse_request(black_box(CHROME), config.limits())
            else {
                unreachable!()
            };
            out.clear();
            value.accept(&config).write_to(&mut out);
            black_box(&out);
        });
    });
    g.bench_function("chrome_push_api", |b| {
        b.iter(|| {
            let mut hs = ServerHandshake::new(&config);
            let Ok(Decoded::Complete((value, _))) = hs.handle_input(black_box(CHROME)) else {
                unreachable!()
            };
            out.clear();
            value.accept(&config).write_to(&mut out);
            black_box(&out);
        });
    });
    g.finish();
}

criterion_group!(benches, handshake);
criterion_main!(benches);
