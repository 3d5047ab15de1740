//! The connection's echo path: a client's masked frame in, the event out, the same bytes
//! queued back and written — everything but the socket. Written against the API that both
//! 0.1 and 0.2 have (`handle_input`, `poll_event`, `send_binary`, `poll_transmit`,
//! `advance_transmit`), so the same file measures a before and an after.
//!
//! `cargo bench -p wswire-micro --bench connection`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wswire::connection::{Config, Connection, Event};

/// `n` masked binary frames of `size` bytes (key 0: payload as is), back to back.
fn frames(size: usize, n: usize) -> Vec<u8> {
    let mut one = vec![0x82];
    match size {
        0..=125 => one.push(0x80 | size as u8),
        126..=65535 => {
            one.push(0x80 | 126);
            one.extend_from_slice(&(size as u16).to_be_bytes());
        }
        _ => {
            one.push(0x80 | 127);
            one.extend_from_slice(&(size as u64).to_be_bytes());
        }
    }
    one.extend_from_slice(&[0; 4]);
    one.extend(std::iter::repeat_n(b'x', size));
    one.repeat(n)
}

fn echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("connection_echo");
    for (size, n) in [(16usize, 64usize), (125, 64), (16 * 1024, 8)] {
        let input = frames(size, n);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(BenchmarkId::new("server", size), |b| {
            let mut conn = Connection::server_open(Default::default(), Config::default());
            b.iter(|| {
                conn.handle_input(black_box(&input));
                let mut echoed = 0;
                while let Some(event) = conn.poll_event() {
                    if let Ok(Event::Binary { data, .. }) = event {
                        let data = data.to_vec();
                        conn.send_binary(&data).unwrap();
                        echoed += 1;
                    }
                }
                while let Some(out) = conn.poll_transmit() {
                    let n = black_box(out).len();
                    conn.advance_transmit(n);
                }
                assert_eq!(echoed, n);
            });
        });
    }
    g.finish();
}

criterion_group!(benches, echo);
criterion_main!(benches);
