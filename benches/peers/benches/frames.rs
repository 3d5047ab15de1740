//! wswire's frame read and write paths beside tungstenite, fastwebsockets and
//! tokio-websockets and a memcpy of the same payload bytes, all in one run (issue 3).
//!
//! `cd benches/peers && cargo bench --bench frames -- --warm-up-time 1 --measurement-time 3`
//!
//! # Fairness
//! - **Read** (server role, masked frames): one iteration decodes a whole input buffer of
//!   `frames_per_iter(size)` frames (about 64 KiB of payload for small sizes, one frame at
//!   64 KiB and 1 MiB). Decoding unmasks in place, so every contender (memcpy included) gets a
//!   fresh copy of the masked wire image from `iter_batched_ref`'s **untimed** setup; the
//!   peers copy it into their own buffers inside the timed routine, exactly as
//!   `wswire::recv::Receiver::handle_input` does, while `Decoder` works on it in place (that
//!   is its API). Every contender unmasks, validates UTF-8 for text, and hands over each
//!   message; stream-based peers and `Receiver`s are built once and reused, so their buffers
//!   are warm. The peers' transports are an in-memory stream; async ones are polled once
//!   with a no-op waker (no runtime cost at all, see `wswire_peer_benches::now`).
//! - **Straddle** (`straddle_*`, 1 KiB to 1 MiB): the same wire images, but read at most
//!   64 KiB (`SOCKET_READ`) at a time, as a tokio server reads a socket, so frames straddle
//!   reads. `wswire_receiver_64k_reads` copies each 64 KiB piece into `spare_capacity` and
//!   polls after each `commit`; the peers read from a `MemStream` with `max_read` set; every
//!   contender hands over whole messages (fastwebsockets through `FragmentCollector`).
//!   `wswire_receiver_one_read` and `wswire_decoder` see the whole batch in one buffer.
//! - UTF-8: wswire uses simdutf8 (run-time AVX2/SSE4.2 detection); fastwebsockets with its
//!   `simd` feature (simdutf8); tokio-websockets always uses simdutf8; tungstenite has no
//!   SIMD option and uses `core::str::from_utf8`.
//! - **Write** (binary messages, one frame each): the transport drops what it is given, so
//!   the cost measured is framing into the contender's own output (wswire: a reused `Vec`,
//!   a reused slice, or a header for a vectored write; tungstenite: its out buffer;
//!   fastwebsockets: its small-frame buffer, or a vectored write of header + payload above
//!   1 KiB; tokio-websockets: its frame queue, vectored). A socket write would add the same
//!   kernel copy to each. Clients mask: wswire with `RandomMask(rand::rng())` (ThreadRng,
//!   ChaCha12, a CSPRNG), as tungstenite (`rand::random`), fastwebsockets (rand 0.8
//!   ThreadRng) and tokio-websockets (feature `rand`, ThreadRng) do; `wswire_into_fixedkey`
//!   shows the same path with no key-generation cost. fastwebsockets masks the caller's
//!   payload in place (`Payload::BorrowedMut`); tokio-websockets copies a shared `Bytes`
//!   payload before masking it (its API takes ownership).
#![allow(missing_docs, clippy::unwrap_used)]

use core::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::{SinkExt, StreamExt};
use wswire::Role;
use wswire::frame::MaskKey;
use wswire::recv::{Decoder, Delivery, Event, Receiver, RecvConfig};
use wswire::send::{DataKind, FixedMask, SendConfig, Sender};
use wswire_peer_benches::{
    Kind, MemStream, SIZES, SOCKET_READ, STRADDLE_SIZES, SharedStream, Wire, frames_per_iter,
    masked_wire, now, payload,
};

/// The input buffers are up to ~1.1 MiB: keep batches small.
const BATCH: BatchSize = BatchSize::LargeInput;

fn count_event(ev: &Event<'_>) -> usize {
    match ev {
        Event::Text { data, .. } => black_box(data.len()),
        Event::Binary { data, .. } => black_box(data.len()),
        _ => unreachable!("only data frames are sent"),
    }
}

fn read(c: &mut Criterion) {
    for kind in Kind::ALL {
        let mut g = c.benchmark_group(format!("read_{}", kind.name()));
        for &size in &SIZES {
            let wire = masked_wire(kind, size);
            let Wire {
                frames,
                payload_bytes,
                ..
            } = wire;
            g.throughput(Throughput::Bytes(payload_bytes as u64));
            let setup = || wire.bytes.clone();

            let mut dst = vec![0u8; payload_bytes];
            g.bench_function(BenchmarkId::new("memcpy", size), |b| {
                b.iter_batched_ref(
                    setup,
                    |input| dst.copy_from_slice(&input[..payload_bytes]),
                    BATCH,
                );
            });

            g.bench_function(BenchmarkId::new("wswire_decoder", size), |b| {
                let mut dec = Decoder::new(Role::Server, RecvConfig::default());
                b.iter_batched_ref(
                    setup,
                    |input| {
                        let mut buf = &mut input[..];
                        let mut n = 0;
                        while !buf.is_empty() {
                            let step = dec.decode(buf).unwrap();
                            let consumed = step.consumed;
                            count_event(&step.event.unwrap());
                            n += 1;
                            buf = &mut buf[consumed..];
                        }
                        assert_eq!(n, frames);
                    },
                    BATCH,
                );
            });

            for (name, delivery) in [
                ("wswire_receiver_messages", Delivery::Messages),
                ("wswire_receiver_chunks", Delivery::Chunks),
            ] {
                g.bench_function(BenchmarkId::new(name, size), |b| {
                    let mut rx =
                        Receiver::with_delivery(Role::Server, RecvConfig::default(), delivery);
                    b.iter_batched_ref(
                        setup,
                        |input| {
                            rx.handle_input(input);
                            let mut n = 0;
                            while let Some(ev) = rx.poll_event() {
                                count_event(&ev.unwrap());
                                n += 1;
                            }
                            assert_eq!(n, frames);
                        },
                        BATCH,
                    );
                });
            }

            g.bench_function(BenchmarkId::new("tungstenite", size), |b| {
                let mut ws = tungstenite::WebSocket::from_raw_socket(
                    MemStream::default(),
                    tungstenite::protocol::Role::Server,
                    None,
                );
                b.iter_batched_ref(
                    setup,
                    |input| {
                        ws.get_mut().swap_input(input);
                        for _ in 0..frames {
                            match ws.read().unwrap() {
                                tungstenite::Message::Text(t) => black_box(t.as_str().len()),
                                tungstenite::Message::Binary(d) => black_box(d.len()),
                                _ => unreachable!(),
                            };
                        }
                    },
                    BATCH,
                );
            });

            g.bench_function(BenchmarkId::new("fastwebsockets", size), |b| {
                // fastwebsockets 0.10 has no `get_mut`: keep a handle to the stream.
                let stream = SharedStream::default();
                let mut ws = fastwebsockets::WebSocket::after_handshake(
                    stream.clone(),
                    fastwebsockets::Role::Server,
                );
                b.iter_batched_ref(
                    setup,
                    |input| {
                        stream.0.borrow_mut().swap_input(input);
                        now(async {
                            for _ in 0..frames {
                                let f = ws.read_frame().await.unwrap();
                                // `read_frame` unmasks and, for a final text frame, checks
                                // UTF-8 (simdutf8) before returning.
                                black_box(f.payload.len());
                            }
                        });
                    },
                    BATCH,
                );
            });

            g.bench_function(BenchmarkId::new("tokio_websockets", size), |b| {
                let mut ws = tokio_websockets::ServerBuilder::new().serve(MemStream::default());
                b.iter_batched_ref(
                    setup,
                    |input| {
                        ws.get_mut().swap_input(input);
                        now(async {
                            for _ in 0..frames {
                                let m = ws.next().await.unwrap().unwrap();
                                match m.as_text() {
                                    Some(t) => black_box(t.len()),
                                    None => black_box(m.as_payload().len()),
                                };
                            }
                        });
                    },
                    BATCH,
                );
            });
        }
        g.finish();
    }
}

/// The payload length of a whole data message (`fin`), which is all the `straddle_*` groups
/// may see.
fn message_len(ev: &Event<'_>) -> usize {
    match *ev {
        Event::Text { data, fin: true } => black_box(data.len()),
        Event::Binary { data, fin: true } => black_box(data.len()),
        _ => unreachable!("only whole data messages are expected, got {ev:?}"),
    }
}

/// Frames that straddle socket reads: the wire of the `read` group handed over at most
/// `SOCKET_READ` (64 KiB) bytes per read, as a tokio server reads a socket, so that frame
/// boundaries fall inside reads (1 KiB and 16 KiB: the last frame of the batch; 64 KiB and
/// 1 MiB: the single frame spans 2 and 17 reads). `wswire_receiver_one_read` and
/// `wswire_decoder` get the whole batch at once, for comparison. Every contender hands over
/// each message whole (text validated) and checks the count and the payload bytes.
fn straddle(c: &mut Criterion) {
    for kind in Kind::ALL {
        let mut g = c.benchmark_group(format!("straddle_{}", kind.name()));
        for &size in &STRADDLE_SIZES {
            let wire = masked_wire(kind, size);
            let Wire {
                frames,
                payload_bytes,
                ..
            } = wire;
            g.throughput(Throughput::Bytes(payload_bytes as u64));
            let setup = || wire.bytes.clone();

            let mut dst = vec![0u8; payload_bytes];
            g.bench_function(BenchmarkId::new("memcpy", size), |b| {
                b.iter_batched_ref(
                    setup,
                    |input| dst.copy_from_slice(&input[..payload_bytes]),
                    BATCH,
                );
            });

            g.bench_function(BenchmarkId::new("wswire_decoder", size), |b| {
                let mut dec = Decoder::new(Role::Server, RecvConfig::default());
                b.iter_batched_ref(
                    setup,
                    |input| {
                        let mut buf = &mut input[..];
                        let (mut n, mut bytes) = (0, 0);
                        while !buf.is_empty() {
                            let step = dec.decode(buf).unwrap();
                            let consumed = step.consumed;
                            bytes += message_len(&step.event.unwrap());
                            n += 1;
                            buf = &mut buf[consumed..];
                        }
                        assert_eq!((n, bytes), (frames, payload_bytes));
                    },
                    BATCH,
                );
            });

            g.bench_function(BenchmarkId::new("wswire_receiver_one_read", size), |b| {
                let mut rx = Receiver::with_delivery(
                    Role::Server,
                    RecvConfig::default(),
                    Delivery::Messages,
                );
                b.iter_batched_ref(
                    setup,
                    |input| {
                        rx.handle_input(input);
                        let (mut n, mut bytes) = (0, 0);
                        while let Some(ev) = rx.poll_event() {
                            bytes += message_len(&ev.unwrap());
                            n += 1;
                        }
                        assert_eq!((n, bytes), (frames, payload_bytes));
                    },
                    BATCH,
                );
            });

            g.bench_function(BenchmarkId::new("wswire_receiver_64k_reads", size), |b| {
                let mut rx = Receiver::with_delivery(
                    Role::Server,
                    RecvConfig::default(),
                    Delivery::Messages,
                );
                b.iter_batched_ref(
                    setup,
                    |input| {
                        // As a tokio echo server feeds it: read up to 64 KiB straight into
                        // the receiver's spare capacity, commit, drain the events.
                        let mut rest = &input[..];
                        let (mut n, mut bytes) = (0, 0);
                        while !rest.is_empty() {
                            let spare = rx.spare_capacity(SOCKET_READ);
                            let len = spare.len().min(SOCKET_READ).min(rest.len());
                            spare[..len].copy_from_slice(&rest[..len]);
                            rx.commit(len);
                            rest = &rest[len..];
                            while let Some(ev) = rx.poll_event() {
                                bytes += message_len(&ev.unwrap());
                                n += 1;
                            }
                        }
                        assert_eq!((n, bytes), (frames, payload_bytes));
                    },
                    BATCH,
                );
            });

            // The peers read from a `MemStream` capped at 64 KiB per read. Each reads exactly
            // `frames` messages (fewer would fail on EOF) and the stream must be drained, so
            // with the payload bytes adding up no message is left over.
            g.bench_function(BenchmarkId::new("tungstenite", size), |b| {
                let mut ws = tungstenite::WebSocket::from_raw_socket(
                    MemStream::capped(SOCKET_READ),
                    tungstenite::protocol::Role::Server,
                    None,
                );
                b.iter_batched_ref(
                    setup,
                    |input| {
                        ws.get_mut().swap_input(input);
                        let mut bytes = 0;
                        for _ in 0..frames {
                            bytes += match ws.read().unwrap() {
                                tungstenite::Message::Text(t) if kind.is_text() => {
                                    black_box(t.as_str().len())
                                }
                                tungstenite::Message::Binary(d) if !kind.is_text() => {
                                    black_box(d.len())
                                }
                                _ => unreachable!(),
                            };
                        }
                        assert!(ws.get_ref().is_drained());
                        assert_eq!(bytes, payload_bytes);
                    },
                    BATCH,
                );
            });

            g.bench_function(BenchmarkId::new("fastwebsockets", size), |b| {
                // `FragmentCollector`: whole messages (a final text frame is checked for
                // UTF-8 with simdutf8 before it is returned). It has no `get_mut`: keep a
                // handle to the stream.
                let stream = SharedStream::capped(SOCKET_READ);
                let mut ws = fastwebsockets::FragmentCollector::new(
                    fastwebsockets::WebSocket::after_handshake(
                        stream.clone(),
                        fastwebsockets::Role::Server,
                    ),
                );
                let opcode = if kind.is_text() {
                    fastwebsockets::OpCode::Text
                } else {
                    fastwebsockets::OpCode::Binary
                };
                b.iter_batched_ref(
                    setup,
                    |input| {
                        stream.0.borrow_mut().swap_input(input);
                        let bytes = now(async {
                            let mut bytes = 0;
                            for _ in 0..frames {
                                let f = ws.read_frame().await.unwrap();
                                assert!(f.fin && f.opcode == opcode);
                                bytes += black_box(f.payload.len());
                            }
                            bytes
                        });
                        assert!(stream.0.borrow().is_drained());
                        assert_eq!(bytes, payload_bytes);
                    },
                    BATCH,
                );
            });

            g.bench_function(BenchmarkId::new("tokio_websockets", size), |b| {
                let mut ws =
                    tokio_websockets::ServerBuilder::new().serve(MemStream::capped(SOCKET_READ));
                b.iter_batched_ref(
                    setup,
                    |input| {
                        ws.get_mut().swap_input(input);
                        let bytes = now(async {
                            let mut bytes = 0;
                            for _ in 0..frames {
                                let m = ws.next().await.unwrap().unwrap();
                                bytes += match m.as_text() {
                                    Some(t) if kind.is_text() => black_box(t.len()),
                                    None if !kind.is_text() => black_box(m.as_payload().len()),
                                    _ => unreachable!(),
                                };
                            }
                            bytes
                        });
                        assert!(ws.get_ref().is_drained());
                        assert_eq!(bytes, payload_bytes);
                    },
                    BATCH,
                );
            });
        }
        g.finish();
    }
}

fn write(c: &mut Criterion) {
    for role in ["server", "client"] {
        let client = role == "client";
        let mut g = c.benchmark_group(format!("write_{role}"));
        for &size in &SIZES {
            let p = payload(Kind::Binary, size);
            let frames = frames_per_iter(size);
            g.throughput(Throughput::Bytes((frames * size) as u64));
            let mut dst = vec![0u8; frames * size];
            g.bench_function(BenchmarkId::new("memcpy", size), |b| {
                b.iter(|| {
                    for chunk in dst.chunks_exact_mut(size) {
                        chunk.copy_from_slice(black_box(&p));
                    }
                });
            });

            let mut out = Vec::new();
            let mut slice = vec![0u8; frames * (size + 14)];
            if client {
                let mut tx = Sender::client(SendConfig::default(), rand::rng());
                g.bench_function(BenchmarkId::new("wswire_vec", size), |b| {
                    b.iter(|| {
                        out.clear();
                        for _ in 0..frames {
                            tx.binary(black_box(&p), true, &mut out).unwrap();
                        }
                    });
                });
                g.bench_function(BenchmarkId::new("wswire_into", size), |b| {
                    b.iter(|| {
                        let mut at = 0;
                        for _ in 0..frames {
                            at += tx
                                .binary_into(black_box(&p), true, &mut slice[at..])
                                .unwrap();
                        }
                    });
                });
                let key = MaskKey([0x37, 0xfa, 0x21, 0x3d]);
                let mut tx = Sender::client_with(SendConfig::default(), FixedMask(key));
                g.bench_function(BenchmarkId::new("wswire_into_fixedkey", size), |b| {
                    b.iter(|| {
                        let mut at = 0;
                        for _ in 0..frames {
                            at += tx
                                .binary_into(black_box(&p), true, &mut slice[at..])
                                .unwrap();
                        }
                    });
                });
            } else {
                let mut tx = Sender::server(SendConfig::default());
                g.bench_function(BenchmarkId::new("wswire_vec", size), |b| {
                    b.iter(|| {
                        out.clear();
                        for _ in 0..frames {
                            tx.binary(black_box(&p), true, &mut out).unwrap();
                        }
                    });
                });
                let text = payload(Kind::Ascii, size);
                let text = core::str::from_utf8(&text).unwrap();
                g.bench_function(BenchmarkId::new("wswire_text_vec", size), |b| {
                    b.iter(|| {
                        out.clear();
                        for _ in 0..frames {
                            tx.text(black_box(text), true, &mut out).unwrap();
                        }
                    });
                });
                g.bench_function(BenchmarkId::new("wswire_into", size), |b| {
                    b.iter(|| {
                        let mut at = 0;
                        for _ in 0..frames {
                            at += tx
                                .binary_into(black_box(&p), true, &mut slice[at..])
                                .unwrap();
                        }
                    });
                });
                g.bench_function(BenchmarkId::new("wswire_vectored", size), |b| {
                    // The zero-copy path the vectored peers take: a header, then the
                    // caller's payload slice as the second iovec.
                    let mut w = MemStream::default();
                    b.iter(|| {
                        for _ in 0..frames {
                            let h = tx.frame_header(DataKind::Binary, size, true).unwrap();
                            std::io::Write::write_vectored(
                                &mut w,
                                &[
                                    std::io::IoSlice::new(h.as_bytes()),
                                    std::io::IoSlice::new(&p),
                                ],
                            )
                            .unwrap();
                        }
                    });
                });
            }

            let bytes = bytes::Bytes::from(p.clone());
            g.bench_function(BenchmarkId::new("tungstenite", size), |b| {
                let role = if client {
                    tungstenite::protocol::Role::Client
                } else {
                    tungstenite::protocol::Role::Server
                };
                let mut ws =
                    tungstenite::WebSocket::from_raw_socket(MemStream::default(), role, None);
                b.iter(|| {
                    for _ in 0..frames {
                        ws.write(tungstenite::Message::Binary(bytes.clone()))
                            .unwrap();
                    }
                    ws.flush().unwrap();
                });
            });

            let mut pm = p.clone();
            g.bench_function(BenchmarkId::new("fastwebsockets", size), |b| {
                let role = if client {
                    fastwebsockets::Role::Client
                } else {
                    fastwebsockets::Role::Server
                };
                let mut ws = fastwebsockets::WebSocket::after_handshake(MemStream::default(), role);
                b.iter(|| {
                    now(async {
                        for _ in 0..frames {
                            let f = fastwebsockets::Frame::new(
                                true,
                                fastwebsockets::OpCode::Binary,
                                None,
                                fastwebsockets::Payload::BorrowedMut(&mut pm),
                            );
                            ws.write_frame(f).await.unwrap();
                        }
                        ws.flush().await.unwrap();
                    });
                });
            });

            g.bench_function(BenchmarkId::new("tokio_websockets", size), |b| {
                let mut ws = if client {
                    tokio_websockets::ClientBuilder::new().take_over(MemStream::default())
                } else {
                    tokio_websockets::ServerBuilder::new().serve(MemStream::default())
                };
                b.iter(|| {
                    now(async {
                        for _ in 0..frames {
                            ws.feed(tokio_websockets::Message::binary(bytes.clone()))
                                .await
                                .unwrap();
                        }
                        ws.flush().await.unwrap();
                    });
                });
            });
        }
        g.finish();
    }
}

/// Evidence for the multibyte read path: the validator wswire uses (`compat`, which reports
/// the error position) against the one fastwebsockets and tokio-websockets use (`basic`).
fn utf8(c: &mut Criterion) {
    for kind in [Kind::Ascii, Kind::Multibyte] {
        let mut g = c.benchmark_group(format!("simdutf8_{}", kind.name()));
        for &size in &SIZES {
            let p = payload(kind, size);
            g.throughput(Throughput::Bytes(p.len() as u64));
            g.bench_function(BenchmarkId::new("basic", size), |b| {
                b.iter(|| simdutf8::basic::from_utf8(black_box(&p)).is_ok());
            });
            g.bench_function(BenchmarkId::new("compat", size), |b| {
                b.iter(|| simdutf8::compat::from_utf8(black_box(&p)).is_ok());
            });
            g.bench_function(BenchmarkId::new("core", size), |b| {
                b.iter(|| core::str::from_utf8(black_box(&p)).is_ok());
            });
        }
        g.finish();
    }
}

criterion_group!(benches, read, straddle, write, utf8);
criterion_main!(benches);
