//! Zero heap allocations per frame in steady state on the read path (issue 3): a counting
//! global allocator around `Decoder::decode` and `Receiver::handle_input`/`poll_event` in both
//! delivery modes, over at least 10 000 frames after a warm-up.
//!
//! `cd benches/peers && cargo test --release --test alloc -- --nocapture`
#![allow(missing_docs, clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use wswire::Role;
use wswire::frame::MaskKey;
use wswire::recv::{Decoder, Delivery, Event, Receiver, RecvConfig};
use wswire::send::{FixedMask, SendConfig, Sender};
use wswire_peer_benches::{Kind, masked_wire, payload};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to `System`, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const FRAMES: usize = 10_000;

fn data_len(ev: Event<'_>) -> usize {
    match ev {
        Event::Text { data, .. } => data.len(),
        Event::Binary { data, .. } => data.len(),
        other => panic!("unexpected {other:?}"),
    }
}

/// Workloads: (name, wire image, frames in it). All inputs are made before counting.
fn workloads() -> Vec<(String, Vec<u8>, usize)> {
    let mut w = Vec::new();
    for kind in Kind::ALL {
        for size in [16, 125, 1024, 16 * 1024] {
            let wire = masked_wire(kind, size);
            w.push((format!("{}_{size}", kind.name()), wire.bytes, wire.frames));
        }
    }
    // Fragmented: 4 KiB text messages in 1 KiB frames (assembled in `Messages` mode).
    let mut config = SendConfig::default();
    config.max_frame_payload = Some(1024);
    let mut tx = Sender::client_with(config, FixedMask(MaskKey([1, 2, 3, 4])));
    let text = payload(Kind::Multibyte, 4096);
    let text = core::str::from_utf8(&text).unwrap();
    let mut bytes = Vec::new();
    for _ in 0..16 {
        tx.text(text, true, &mut bytes).unwrap();
    }
    let frames = 16 * text.len().div_ceil(1024);
    w.push(("multibyte_4KiB_fragmented".into(), bytes, frames));
    w
}

/// Runs `pass` over copies of `wire` until `FRAMES` frames are done, after two warm-up passes;
/// returns the allocations counted (the copies are made outside the count).
fn count(wire: &[u8], frames_per_pass: usize, mut pass: impl FnMut(&mut [u8]) -> usize) -> usize {
    let passes = FRAMES.div_ceil(frames_per_pass);
    let mut copies: Vec<Vec<u8>> = (0..passes + 2).map(|_| wire.to_vec()).collect();
    for copy in &mut copies[..2] {
        pass(copy);
    }
    let before = ALLOCS.load(Relaxed);
    let mut frames = 0;
    for copy in &mut copies[2..] {
        frames += pass(copy);
    }
    let n = ALLOCS.load(Relaxed) - before;
    assert!(frames >= FRAMES);
    n
}

#[test]
fn read_path_allocates_nothing_per_frame() {
    // The counter works: a positive control.
    let before = ALLOCS.load(Relaxed);
    std::hint::black_box(vec![0u8; 10]);
    assert_eq!(ALLOCS.load(Relaxed) - before, 1);
    let mut failures = Vec::new();
    println!(
        "{:<28} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "workload", "frames", "decoder", "rx_msgs", "rx_chunks", "rx_1500B"
    );
    for (name, wire, frames) in workloads() {
        let mut dec = Decoder::new(Role::Server, RecvConfig::default());
        let decoder = count(&wire, frames, |buf| {
            let mut buf = buf;
            let mut events = 0;
            while !buf.is_empty() {
                let step = dec.decode(buf).unwrap();
                let consumed = step.consumed;
                if let Some(ev) = step.event {
                    data_len(ev);
                    events += 1;
                }
                buf = &mut buf[consumed..];
            }
            events.min(frames)
        });
        let mut rx_counts = Vec::new();
        for (delivery, read_size) in [
            (Delivery::Messages, usize::MAX),
            (Delivery::Chunks, usize::MAX),
            (Delivery::Messages, 1500),
        ] {
            let mut rx = Receiver::with_delivery(Role::Server, RecvConfig::default(), delivery);
            rx_counts.push(count(&wire, frames, |buf| {
                // Whole buffer at once, or TCP-sized reads straight into the spare space.
                for chunk in buf.chunks(read_size) {
                    let spare = rx.spare_capacity(chunk.len());
                    spare[..chunk.len()].copy_from_slice(chunk);
                    rx.commit(chunk.len());
                    while let Some(ev) = rx.poll_event() {
                        data_len(ev.unwrap());
                    }
                }
                frames
            }));
        }
        println!(
            "{name:<28} {:>8} {decoder:>9} {:>9} {:>9} {:>9}",
            FRAMES.div_ceil(frames) * frames,
            rx_counts[0],
            rx_counts[1],
            rx_counts[2]
        );
        if decoder != 0 || rx_counts.iter().any(|&n| n != 0) {
            failures.push(name);
        }
    }
    assert!(
        failures.is_empty(),
        "allocations in steady state: {failures:?}"
    );
}
