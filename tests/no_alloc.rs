//! Zero heap allocations per frame in steady state on the read path, shown with a counting
//! global allocator: after a warm-up, decoding 10 000 frames allocates nothing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use wswire::Role;
use wswire::frame::MaskKey;
use wswire::recv::{Decoder, Delivery, Receiver, RecvConfig};
use wswire::send::{FixedMask, SendConfig, Sender};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Only this test's thread is counted: the test harness may allocate on its own threads.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn count() {
    if COUNTED.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// 100 masked client frames: text and binary, single-frame and fragmented, with pings.
fn client_stream() -> Vec<u8> {
    let mut tx = Sender::client_with(SendConfig::default(), FixedMask(MaskKey([1, 2, 3, 4])));
    let mut out = Vec::new();
    for i in 0..25u8 {
        tx.binary(&[i; 16], true, &mut out).unwrap();
        tx.text("héllo wörld, κόσμε", true, &mut out).unwrap();
        tx.text("frag-κ", false, &mut out).unwrap();
        tx.ping(&[i], &mut out).unwrap();
        tx.text("ment", true, &mut out).unwrap();
    }
    out
}

const ROUNDS: usize = 100; // × 100 frames = 10 000 frames

#[test]
fn steady_state_read_path_allocates_nothing() {
    COUNTED.with(|c| c.set(true));
    // The counter works: a known allocation is seen.
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    drop(std::hint::black_box(vec![0u8; 64]));
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed) - before,
        1,
        "the counter counts"
    );
    let stream = client_stream();

    // Zero-copy decoder over a caller buffer.
    let mut decoder = Decoder::new(Role::Server, RecvConfig::default());
    let mut buf = stream.clone();
    let mut events = 0;
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..ROUNDS {
        buf.copy_from_slice(&stream);
        let mut at = 0;
        loop {
            let step = decoder.decode(&mut buf[at..]).unwrap();
            let n = step.consumed;
            if step.event.is_some() {
                events += 1;
            } else if n == 0 {
                break;
            }
            at += n;
        }
    }
    assert_eq!(
        ALLOCATIONS.load(Ordering::Relaxed) - before,
        0,
        "Decoder allocated"
    );
    assert_eq!(events, ROUNDS * 125);

    // Buffered receiver in both delivery modes, fed in 1000-byte reads.
    for delivery in [Delivery::Messages, Delivery::Chunks] {
        let mut rx = Receiver::with_delivery(Role::Server, RecvConfig::default(), delivery);
        let drive = |rx: &mut Receiver| {
            let mut n = 0;
            for chunk in stream.chunks(1000) {
                rx.handle_input(chunk);
                while let Some(e) = rx.poll_event() {
                    e.unwrap();
                    n += 1;
                }
            }
            n
        };
        drive(&mut rx); // warm-up: buffers reach their working size
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        let mut n = 0;
        for _ in 0..ROUNDS {
            n += drive(&mut rx);
        }
        assert_eq!(
            ALLOCATIONS.load(Ordering::Relaxed) - before,
            0,
            "Receiver {delivery:?} allocated"
        );
        assert!(n >= ROUNDS * 100, "{n} events");
    }
}
