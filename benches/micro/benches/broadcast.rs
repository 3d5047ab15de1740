//! Broadcast: one 16 KiB binary message to 1,000 server `Connection`s in memory, framed once
//! (`PreparedMessage` + `send_prepared`) against framed per connection (`send_binary`, and
//! `send_binary_owned` of a clone), without permessage-deflate and with it (context takeover:
//! every connection compresses; no context takeover: the prepared message is compressed once).
//! Each connection's output is drained as a writer would: `poll_transmit_vectored` (the
//! slices a `writev` would take) then `advance_transmit`; `owned_writer` drains with
//! `take_transmit_buf` (a writer task's hand-off, shared frames not copied).
//!
//! `cargo bench -p wswire-micro --bench broadcast`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wswire::connection::{Config, Connection, Event};
use wswire::extensions::deflate::DeflateServer;
use wswire::handshake::{ClientRequest, SecWebSocketKey, ServerConfig};
use wswire::send::PreparedMessage;

const CONNECTIONS: usize = 1000;
const SIZE: usize = 16 * 1024;

/// A 16 KiB payload that compresses to about half (text-like letters from a small generator).
fn payload() -> Vec<u8> {
    let mut x = 0x2545_f491_u32;
    (0..SIZE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b"etaoinshrdlucmfw  ,."[(x % 20) as usize]
        })
        .collect()
}

/// `n` open server connections, through the handshake with a client's request (offering
/// permessage-deflate when `deflate` is set).
fn servers(deflate: Option<DeflateServer>, n: usize) -> Vec<Connection> {
    let mut sc = ServerConfig::default();
    if let Some(d) = deflate {
        sc.extension(Box::new(d));
    }
    let sc = Arc::new(sc);
    let mut request = ClientRequest::new("example.com", "/").unwrap();
    if deflate.is_some() {
        request.extension(Box::new(
            wswire::extensions::deflate::DeflateClient::default(),
        ));
    }
    let hs = request.start_with_key(SecWebSocketKey::from_nonce(*b"the sample nonce"));
    (0..n)
        .map(|_| {
            let mut c = Connection::server(sc.clone(), Config::default());
            c.handle_input(hs.request_bytes());
            assert!(matches!(c.poll_event(), Some(Ok(Event::Open))));
            assert_eq!(c.negotiated().extensions().is_empty(), deflate.is_none());
            while c.take_transmit().is_some() {}
            c
        })
        .collect()
}

/// Writes out everything `conn` queued, as a vectored writer would; returns the bytes.
fn drain(conn: &mut Connection) -> usize {
    let mut total = 0;
    loop {
        let mut bufs = [&[][..]; 16];
        let n = conn.poll_transmit_vectored(&mut bufs);
        if n == 0 {
            return total;
        }
        let len: usize = black_box(&bufs[..n]).iter().map(|b| b.len()).sum();
        conn.advance_transmit(len);
        total += len;
    }
}

fn broadcast(c: &mut Criterion) {
    let data = payload();
    let mut no_context = DeflateServer::default();
    no_context.server_no_context_takeover = true;
    let cases = [
        ("plain", None),
        ("deflate_context_takeover", Some(DeflateServer::default())),
        ("deflate_no_context_takeover", Some(no_context)),
    ];
    for (name, deflate) in cases {
        let mut g = c.benchmark_group(format!("broadcast_16k_x1000/{name}"));
        g.throughput(Throughput::Bytes((SIZE * CONNECTIONS) as u64));
        g.sample_size(10);
        let mut conns = servers(deflate, CONNECTIONS);
        g.bench_function("prepared", |b| {
            b.iter(|| {
                let message = PreparedMessage::binary(black_box(&data));
                let mut wire = 0;
                for conn in &mut conns {
                    conn.send_prepared(&message).unwrap();
                    wire += drain(conn);
                }
                wire
            });
        });
        g.bench_function("per_connection", |b| {
            b.iter(|| {
                let mut wire = 0;
                for conn in &mut conns {
                    conn.send_binary(black_box(&data)).unwrap();
                    wire += drain(conn);
                }
                wire
            });
        });
        if deflate.is_none() {
            g.bench_function("per_connection_owned_clone", |b| {
                b.iter(|| {
                    let mut wire = 0;
                    for conn in &mut conns {
                        conn.send_binary_owned(black_box(&data).clone()).unwrap();
                        wire += drain(conn);
                    }
                    wire
                });
            });
            g.bench_function("prepared_owned_writer", |b| {
                b.iter(|| {
                    let message = PreparedMessage::binary(black_box(&data));
                    let mut wire = 0;
                    for conn in &mut conns {
                        conn.send_prepared(&message).unwrap();
                        while let Some(buf) = conn.take_transmit_buf() {
                            wire += black_box(buf).len();
                        }
                    }
                    wire
                });
            });
        }
        g.finish();
    }
}

criterion_group!(benches, broadcast);
criterion_main!(benches);
