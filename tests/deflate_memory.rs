//! Memory held per connection by permessage-deflate, measured with a counting global
//! allocator (live bytes): nothing until a compressed message is sent or received; then the
//! engine state and the reused buffers. Also: receiving uncompressed messages on a deflate
//! connection stays allocation-free in steady state, and a compressed message reuses the
//! per-connection buffers (no allocation per message once warm, below the retain limit).
//!
//! `cargo test --features deflate --test deflate_memory -- --nocapture` prints the table.
#![cfg(feature = "deflate")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use wswire::Role;
use wswire::extensions::deflate::{DeflateConfig, DeflateParams};
use wswire::recv::{Receiver, RecvConfig};
use wswire::send::{Compression, DataKind, SendConfig, Sender};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn allocations() -> usize {
    ALLOCATIONS.load(Ordering::Relaxed)
}

fn text(n: usize) -> String {
    let words = [
        "alpha ",
        "beta ",
        "gamma ",
        "delta ",
        "κόσμε ",
        "{\"id\":1} ",
    ];
    let mut s = String::new();
    let mut i = 7usize;
    while s.len() < n {
        i = i.wrapping_mul(31).wrapping_add(17) % 1009;
        s.push_str(words[i % words.len()]);
    }
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

/// Frames of `msgs` compressed by a server with `params`.
fn compressed(msgs: &[String], params: &DeflateParams) -> Vec<u8> {
    let mut c = DeflateConfig::default();
    c.threshold = 0;
    let mut comp = c.compressor(params, Role::Server).unwrap();
    let mut tx = Sender::server(SendConfig::default());
    let mut out = Vec::new();
    for m in msgs {
        tx.data_compressed(
            &mut comp,
            DataKind::Text,
            m.as_bytes(),
            true,
            Compression::Auto,
            &mut out,
        )
        .unwrap();
    }
    out
}

fn drain(rx: &mut Receiver) -> usize {
    let mut n = 0;
    while let Some(e) = rx.poll_event() {
        e.unwrap();
        n += 1;
    }
    n
}

// One test function, so that no other test thread allocates while measuring.
#[test]
fn memory_per_connection() {
    let p = DeflateParams::default();
    let msg = text(4096);
    let wire = compressed(std::slice::from_ref(&msg), &p);
    let mut rows: Vec<(String, isize)> = Vec::new();

    // Receive side.
    let mut rx = Receiver::new(Role::Client, RecvConfig::default());
    rx.handle_input(&[0x81, 0x02, b'h', b'i']);
    drain(&mut rx);
    let base = live();
    rx.set_inflater(DeflateConfig::default().inflater(&p, Role::Client).unwrap());
    let idle = live() - base;
    rows.push((
        "receiver: inflater set, no compressed message yet".into(),
        idle,
    ));
    rx.handle_input(&wire);
    assert_eq!(drain(&mut rx), 1);
    let inflating = live() - base;
    rows.push((
        "receiver: after a compressed message (engine + 16 KiB buffer)".into(),
        inflating,
    ));
    assert!(idle < 256, "{idle}");
    assert!(inflating < 96 * 1024, "{inflating}");

    // Steady state: more compressed messages allocate nothing beyond the message assembly
    // (kept below the retain limit), and uncompressed messages nothing at all.
    let msgs: Vec<String> = (0..50).map(|i| text(1000 + i * 37)).collect();
    let stream = compressed(&msgs, &p);
    let mut rx2 = Receiver::new(Role::Client, RecvConfig::default());
    rx2.set_inflater(DeflateConfig::default().inflater(&p, Role::Client).unwrap());
    rx2.handle_input(&stream);
    assert_eq!(drain(&mut rx2), 50);
    let plain: Vec<u8> = [0x81u8, 0x05]
        .iter()
        .chain(b"hello")
        .copied()
        .cycle()
        .take(7 * 100)
        .collect();
    rx2.handle_input(&plain);
    drain(&mut rx2);
    let before = allocations();
    for _ in 0..10 {
        rx2.handle_input(&plain);
        assert_eq!(drain(&mut rx2), 100);
    }
    assert_eq!(
        allocations() - before,
        0,
        "uncompressed messages on a deflate connection allocated"
    );

    // Send side, by window and level.
    for (bits, level) in [(15u8, 6u8), (15, 1), (12, 6), (9, 6)] {
        let params = DeflateParams {
            server_max_window_bits: bits,
            ..DeflateParams::default()
        };
        let mut c = DeflateConfig::default();
        c.threshold = 0;
        c.level = level;
        let mut tx = Sender::server(SendConfig::default());
        let mut out = Vec::with_capacity(64 * 1024);
        let base = live();
        let mut comp = c.compressor(&params, Role::Server).unwrap();
        let idle = live() - base;
        tx.data_compressed(
            &mut comp,
            DataKind::Text,
            msg.as_bytes(),
            true,
            Compression::Auto,
            &mut out,
        )
        .unwrap();
        let held = live() - base;
        rows.push((
            format!("compressor {bits} bits level {level}: created"),
            idle,
        ));
        rows.push((
            format!("compressor {bits} bits level {level}: after a message"),
            held,
        ));
        assert!(idle < 256, "{idle}");
        assert!(held < 512 * 1024, "{held}");
        // Warm: more messages allocate nothing.
        let before = allocations();
        for _ in 0..20 {
            out.clear();
            tx.data_compressed(
                &mut comp,
                DataKind::Text,
                msg.as_bytes(),
                true,
                Compression::Auto,
                &mut out,
            )
            .unwrap();
        }
        assert_eq!(allocations() - before, 0, "compressing allocated when warm");
    }

    println!("| what | live bytes |\n| --- | ---: |");
    for (what, bytes) in &rows {
        println!("| {what} | {bytes} |");
    }
}
