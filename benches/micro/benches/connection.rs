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

criterion_group!(benches, echo, take_text);
criterion_main!(benches);

/// Text messages taken out of a `Receiver` as owned `String`s (`take_message`): 16 KiB of
/// (1, 16 and 64 KiB) mostly ASCII with a multi-byte character every 40 bytes, eight in one read, as the adapter's
/// echo does for each message.
fn take_text(c: &mut Criterion) {
    use wswire::Role;
    use wswire::recv::{Receiver, RecvConfig};
    let mut g = c.benchmark_group("take_text");
    for size in [1024usize, 16 * 1024, 64 * 1024] {
        let mut text = String::with_capacity(size);
        while text.len() < size {
            text.push_str(if text.len() % 40 == 20 { "\u{e9}" } else { "x" });
        }
        let mut frame = vec![0x81];
        match u16::try_from(text.len()) {
            Ok(n) => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&n.to_be_bytes());
            }
            Err(_) => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(text.len() as u64).to_be_bytes());
            }
        }
        frame.extend_from_slice(&[0; 4]);
        frame.extend_from_slice(text.as_bytes());
        let input = frame.repeat(8);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(BenchmarkId::new("receiver", size), |b| {
            let mut rx = Receiver::new(Role::Server, RecvConfig::default());
            b.iter(|| {
                rx.handle_input(black_box(&input));
                let mut n = 0;
                while let Some(Ok(_)) = rx.poll_event() {
                    n += rx.take_message().map_or(0, |m| match m {
                        wswire::recv::Message::Text(t) => t.len(),
                        _ => 0,
                    });
                }
                black_box(n)
            });
        });
    }
    g.finish();
}
