//! Memory held by a [`Receiver`] after large messages, measured with a counting global
//! allocator (live bytes and their peak): a large message may cost one copy of itself while it
//! is being received, but that memory must come back once it has been handed out, and a frame
//! that announces a large payload may cost only the bytes that actually arrived.
//!
//! Input is fed like a socket read loop does (64 KiB reads into
//! [`Receiver::spare_capacity`], then [`Receiver::commit`]), and events are drained fully
//! after every read. "Held" is the live bytes while the receiver is alive minus the live bytes
//! just before it was created; the wire images are allocated before that baseline.
//!
//! `cargo test --release --test recv_memory -- --nocapture` prints the table. (It also runs
//! in debug builds, as CI does, in well under a minute.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use wswire::Role;
use wswire::frame::{MaskKey, apply_mask};
use wswire::recv::{Event, Receiver, RecvConfig};
use wswire::send::{DataKind, FixedMask, SendConfig, Sender};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    /// Only the test's own thread is counted (the harness's threads are not).
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

fn grow(delta: isize) {
    if counted() {
        let now = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

fn shrink(delta: isize) {
    if counted() {
        LIVE.fetch_sub(delta, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size() as isize);
        // SAFETY: the caller's contract is passed through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    // A realloc counts as its size change (the system allocator moves large blocks with
    // mremap, without holding both at once).
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let delta = new_size as isize - layout.size() as isize;
        if delta >= 0 {
            grow(delta);
        } else {
            shrink(-delta);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Starts a measurement: the current live bytes, with the peak reset to them.
fn baseline() -> isize {
    let now = live();
    PEAK.store(now, Ordering::Relaxed);
    now
}

fn peak() -> isize {
    PEAK.load(Ordering::Relaxed)
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
/// The size of one transport read.
const READ: usize = 64 * KIB;

const MASK: FixedMask = FixedMask(MaskKey([0x37, 0xfa, 0x21, 0x3d]));

/// A message the receiver must deliver next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Expect {
    text: bool,
    len: usize,
    first: u8,
    last: u8,
}

impl Expect {
    fn of(text: bool, data: &[u8]) -> Self {
        Self {
            text,
            len: data.len(),
            first: data[0],
            last: data[data.len() - 1],
        }
    }
}

/// `n` bytes repeating `pattern`, filled by doubling copies (fast even in debug builds), with
/// `first` and `last` at the ends.
fn fill(pattern: &[u8], n: usize, first: u8, last: u8) -> Vec<u8> {
    let mut v = Vec::with_capacity(n);
    v.extend_from_slice(&pattern[..pattern.len().min(n)]);
    while v.len() < n {
        let k = v.len().min(n - v.len());
        v.extend_from_within(..k);
    }
    v[0] = first;
    v[n - 1] = last;
    v
}

/// A binary pattern of 4093 bytes (prime, so it does not line up with the mask or reads).
fn binary_pattern() -> Vec<u8> {
    (0..4093usize)
        .map(|i| (i.wrapping_mul(131) >> 3) as u8)
        .collect()
}

/// Delivers everything the receiver has, checking each message against `expect`; every
/// event is dropped before the next poll.
fn drain(rx: &mut Receiver, expect: &mut VecDeque<Expect>) {
    while let Some(r) = rx.poll_event() {
        let got = match r {
            Ok(Event::Text { data, fin: true }) => Expect::of(true, data.as_bytes()),
            Ok(Event::Binary { data, fin: true }) => Expect::of(false, data),
            Ok(other) => panic!("unexpected event {other:?}"),
            Err(e) => panic!("protocol error: {e}"),
        };
        let want = expect.pop_front().expect("a message beyond those sent");
        assert_eq!(got, want);
    }
}

/// Feeds `wire` in reads of at most [`READ`] bytes, as a socket would, draining after each.
fn feed(rx: &mut Receiver, wire: &[u8], expect: &mut VecDeque<Expect>) {
    let mut at = 0;
    while at < wire.len() {
        let spare = rx.spare_capacity(READ);
        let n = spare.len().min(READ).min(wire.len() - at);
        spare[..n].copy_from_slice(&wire[at..at + n]);
        rx.commit(n);
        at += n;
        drain(rx, expect);
    }
}

/// Ten small text messages (100 bytes each), each its own client frame.
fn small_client_frames(tx: &mut Sender<FixedMask>) -> (Vec<Vec<u8>>, Vec<Expect>) {
    let mut frames = Vec::new();
    let mut expect = Vec::new();
    for i in 0..10u8 {
        let msg = fill(b"small message ", 100, b'a' + i, b'0' + i);
        let mut out = Vec::new();
        tx.text(std::str::from_utf8(&msg).unwrap(), true, &mut out)
            .unwrap();
        frames.push(out);
        expect.push(Expect::of(true, &msg));
    }
    (frames, expect)
}

/// One row of the printed table.
struct Row {
    case: &'static str,
    peak: isize,
    held_after_big: isize,
    held_after: isize,
}

fn mib(bytes: isize) -> String {
    format!("{:.2} MiB", bytes as f64 / MIB as f64)
}

fn check(failures: &mut Vec<String>, ok: bool, what: &str, value: isize, bound: isize) {
    if !ok {
        failures.push(format!(
            "{what}: {value} bytes ({}) > bound {bound} bytes ({})",
            mib(value),
            mib(bound)
        ));
    }
}

/// Case 1: one 60 MiB masked binary frame, then ten small messages (server role).
fn large_binary(rows: &mut Vec<Row>, failures: &mut Vec<String>) {
    const SIZE: usize = 60 * MIB;
    let mut tx = Sender::client_with(SendConfig::default(), MASK);
    let payload = fill(&binary_pattern(), SIZE, 0xa5, 0x5a);
    let mut big = Vec::with_capacity(SIZE + 14);
    tx.binary(&payload, true, &mut big).unwrap();
    let mut expect = VecDeque::from([Expect::of(false, &payload)]);
    drop(payload);
    let (small, small_expect) = small_client_frames(&mut tx);
    expect.extend(small_expect);

    let base = baseline();
    let mut rx = Receiver::new(Role::Server, large_messages());
    feed(&mut rx, &big, &mut expect);
    assert_eq!(expect.len(), 10, "the large message was not delivered");
    let peak = peak() - base;
    let held_after_big = live() - base;
    for frame in &small {
        feed(&mut rx, frame, &mut expect);
    }
    assert!(expect.is_empty(), "{} messages missing", expect.len());
    let held_after = live() - base;
    drop(rx);

    // While the message arrives the receiver may hold one copy of it; the slack (1 MiB) is
    // for a read's worth of room and bookkeeping. Growth must follow the bytes received: a
    // buffer that doubles ahead of them ends up near 2x (or at the next power of two, 64 MiB).
    let peak_bound = (SIZE + MIB) as isize;
    check(
        failures,
        peak <= peak_bound,
        "case 1 (60 MiB binary) peak",
        peak,
        peak_bound,
    );
    // What the receiver keeps after a message for reads of 64 KiB: 2¼ × the read size (room
    // for a frame of that size and the next read), not the message.
    let held_bound = (144 * KIB) as isize;
    check(
        failures,
        held_after <= held_bound,
        "case 1 (60 MiB binary) held after",
        held_after,
        held_bound,
    );
    rows.push(Row {
        case: "1: 60 MiB binary + 10 small (server)",
        peak,
        held_after_big,
        held_after,
    });
}

/// Case 2: a header announcing a 64 MiB binary frame, then only 32 MiB of its payload.
fn announced_not_sent(rows: &mut Vec<Row>, failures: &mut Vec<String>) {
    const ANNOUNCED: usize = 64 * MIB;
    const SENT: usize = 32 * MIB;
    let mut tx = Sender::client_with(SendConfig::default(), MASK);
    let header = tx.frame_header(DataKind::Binary, ANNOUNCED, true).unwrap();
    let mut payload = fill(&binary_pattern(), SENT, 0xa5, 0x5a);
    apply_mask(&mut payload, header.mask().unwrap(), 0);
    let mut wire = Vec::with_capacity(header.as_bytes().len() + SENT);
    wire.extend_from_slice(header.as_bytes());
    wire.extend_from_slice(&payload);
    drop(payload);
    let mut expect = VecDeque::new();

    let base = baseline();
    let mut rx = Receiver::new(Role::Server, large_messages());
    feed(&mut rx, &wire, &mut expect);
    let peak = peak() - base;
    let held = live() - base;
    drop(rx);

    // What arrived (32 MiB) plus 1 MiB of slack; not the announced 64 MiB.
    let held_bound = (SENT + MIB) as isize;
    check(
        failures,
        held <= held_bound,
        "case 2 (64 MiB announced, 32 MiB sent) held",
        held,
        held_bound,
    );
    rows.push(Row {
        case: "2: 64 MiB announced, 32 MiB sent (server)",
        peak,
        held_after_big: held,
        held_after: held,
    });
}

/// Case 4: a message refused past the default 1 MiB limit, its first fragment (1 MiB) already
/// buffered: once the error is out, the receiver holds no more than it keeps between
/// messages, without being polled again (a failed connection waiting for the peer's Close may
/// never poll it).
fn failed_message(rows: &mut Vec<Row>, failures: &mut Vec<String>) {
    let mut tx = Sender::client_with(SendConfig::default(), MASK);
    let first = fill(&binary_pattern(), MIB, 0xa5, 0x5a);
    let mut wire = Vec::new();
    tx.binary(&first, false, &mut wire).unwrap();
    tx.binary(b"!", true, &mut wire).unwrap();
    drop(first);

    let base = baseline();
    let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    let mut code = None;
    for chunk in wire.chunks(READ) {
        rx.handle_input(chunk);
        match rx.poll_event() {
            None => {}
            Some(Err(e)) => {
                code = Some(e.close_code().as_u16());
                break;
            }
            Some(Ok(other)) => panic!("unexpected {other:?}"),
        }
    }
    let peak = peak() - base;
    let held = live() - base;
    drop(rx);
    if code != Some(1009) {
        failures.push(format!("case 4: ended with {code:?}, expected 1009"));
    }
    let held_bound = (64 * KIB) as isize;
    check(
        failures,
        held <= held_bound,
        "case 4 (1 MiB fragment, then refused at the limit) held after the error",
        held,
        held_bound,
    );
    rows.push(Row {
        case: "4: 1 MiB fragment, then 1009 (server, default limit)",
        peak,
        held_after_big: held,
        held_after: held,
    });
}

/// Case 3: permessage-deflate (client role): a 63 MiB text message arriving compressed, then
/// ten small messages, compressed and not in turn.
#[cfg(feature = "deflate")]
fn large_compressed_text(rows: &mut Vec<Row>, failures: &mut Vec<String>, notes: &mut Vec<String>) {
    use wswire::extensions::deflate::{DeflateConfig, DeflateParams};

    const SIZE: usize = 63 * MIB;
    let params = DeflateParams::default();
    let mut config = DeflateConfig::default();
    config.threshold = 0;
    let mut compressor = config.compressor(&params, Role::Server).unwrap();
    let mut tx = Sender::server(SendConfig::default());
    let mut send = |msg: &[u8], compress: bool| {
        let mut out = Vec::new();
        tx.data_compressed(
            &mut compressor,
            DataKind::Text,
            msg,
            true,
            if compress {
                wswire::send::Compression::Auto
            } else {
                wswire::send::Compression::Off
            },
            &mut out,
        )
        .unwrap();
        out
    };
    // One context for the whole stream (context takeover), so the frames are built in order.
    let plain = fill(b"uncompressed message ", 100, b'u', b'U');
    let plain_wire = send(&plain, false);
    let warm = fill(b"warm-up message ", 100, b'w', b'W');
    let warm_wire = send(&warm, true);
    assert_eq!((plain_wire[0], warm_wire[0]), (0x81, 0xc1));
    let text = fill(
        b"The quick brown fox jumps over the lazy dog. ",
        SIZE,
        b'<',
        b'>',
    );
    let big = send(&text, true);
    assert_eq!(big[0], 0xc1, "one compressed text frame (FIN, RSV1)");
    let mut expect = VecDeque::from([
        Expect::of(true, &plain),
        Expect::of(true, &warm),
        Expect::of(true, &text),
    ]);
    drop(text);
    let mut small = Vec::new();
    for i in 0..10u8 {
        let msg = fill(b"small message ", 100, b'a' + i, b'0' + i);
        small.push(send(&msg, i % 2 == 0));
        expect.push_back(Expect::of(true, &msg));
    }
    let inflater = DeflateConfig::default()
        .inflater(&params, Role::Client)
        .unwrap();

    let base = baseline();
    let mut rx = Receiver::new(Role::Client, large_messages());
    rx.set_inflater(inflater);
    feed(&mut rx, &plain_wire, &mut expect);
    let held_plain = live() - base;
    feed(&mut rx, &warm_wire, &mut expect);
    // The inflater's own state (engine and output buffer), allowed on top of the bound: what
    // one small compressed message added to a receiver that had seen an uncompressed one.
    let engine = live() - base - held_plain;
    feed(&mut rx, &big, &mut expect);
    assert_eq!(expect.len(), 10, "the large message was not delivered");
    let peak = peak() - base;
    let held_after_big = live() - base;
    for frame in &small {
        feed(&mut rx, frame, &mut expect);
    }
    assert!(expect.is_empty(), "{} messages missing", expect.len());
    let held_after = live() - base;
    drop(rx);

    // One copy of the text plus a few MiB: the inflater's state, its output buffer, and the
    // compressed input (about 1/1000 of the text). NB: a buffer that doubles but is capped
    // at `max_message_size` (64 MiB) also fits this bound.
    let peak_bound = (SIZE + 2 * MIB) as isize;
    check(
        failures,
        peak <= peak_bound,
        "case 3 (63 MiB compressed text) peak",
        peak,
        peak_bound,
    );
    let held_bound = (128 * KIB) as isize + engine;
    check(
        failures,
        held_after <= held_bound,
        "case 3 (63 MiB compressed text) held after (128 KiB + inflater state)",
        held_after,
        held_bound,
    );
    rows.push(Row {
        case: "3: 63 MiB deflated text + 10 small (client)",
        peak,
        held_after_big,
        held_after,
    });
    notes.push(format!(
        "case 3: after one small uncompressed message {held_plain} B; inflater state (added \
         by one small compressed message) {engine} B; compressed wire of the 63 MiB text {} B",
        big.len()
    ));
}

// One test function, so that nothing else allocates on the counted thread while measuring.
#[test]
fn memory_comes_back_after_large_messages() {
    COUNTED.set(true);
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    #[cfg_attr(not(feature = "deflate"), allow(unused_mut))]
    let mut notes: Vec<String> = Vec::new();
    let mut timings = String::new();

    let t = Instant::now();
    large_binary(&mut rows, &mut failures);
    let _ = write!(timings, "case 1 {:.2?}", t.elapsed());
    let t = Instant::now();
    announced_not_sent(&mut rows, &mut failures);
    let _ = write!(timings, ", case 2 {:.2?}", t.elapsed());
    failed_message(&mut rows, &mut failures);
    #[cfg(feature = "deflate")]
    {
        let t = Instant::now();
        large_compressed_text(&mut rows, &mut failures, &mut notes);
        let _ = write!(timings, ", case 3 {:.2?}", t.elapsed());
    }
    COUNTED.set(false);

    println!("| case | peak | held after the large message | held after |");
    println!("| --- | ---: | ---: | ---: |");
    for r in &rows {
        println!(
            "| {} | {} ({}) | {} ({}) | {} ({}) |",
            r.case,
            r.peak,
            mib(r.peak),
            r.held_after_big,
            mib(r.held_after_big),
            r.held_after,
            mib(r.held_after),
        );
    }
    for note in &notes {
        println!("{note}");
    }
    println!("time: {timings}");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The default receive configuration with a 64 MiB message limit (the default is 1 MiB), for
/// the large messages these tests send.
fn large_messages() -> RecvConfig {
    let mut config = RecvConfig::default();
    config.max_message_size = 64 << 20;
    config.max_frame_payload = 64 << 20;
    config
}
