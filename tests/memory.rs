//! Memory a [`Connection`] holds between messages, measured with a counting global allocator
//! (live bytes, counted per thread so that tests running side by side do not mix): an open
//! connection that has exchanged a message holds at most 16 KiB without permessage-deflate,
//! at most 64 KiB with it when no context is kept between messages, and the figure documented
//! in `wswire::extensions::deflate` with context takeover; and after one large message (8 MiB,
//! or a 63 MiB deflate "bomb" of 64 KiB on the wire) has been received and echoed, no more
//! than that.
//!
//! "Held" is what dropping the connection gives back, plus the struct itself.
//!
//! `cargo test --release --test memory -- --nocapture` prints the figures. (It also runs in
//! debug builds, as CI does.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wswire::connection::{Config, Connection, Event};
use wswire::frame::MaskKey;
use wswire::recv::Message;
use wswire::send::{FixedMask, MaskGen};

struct Counting;

thread_local! {
    /// Live bytes allocated (minus freed) by this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|l| l.set(l.get() + delta));
}

// SAFETY: forwards to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract is passed through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// What dropping `value` gives back, plus its own size.
fn held<T>(value: T) -> usize {
    let before = live();
    drop(value);
    usize::try_from(before - live()).unwrap() + size_of::<T>()
}

const KIB: usize = 1024;
/// Without permessage-deflate (the bound).
const PLAIN_IDLE_MAX: usize = 16 * KIB;
/// With permessage-deflate and no context kept between messages.
#[cfg(feature = "deflate")]
const NO_TAKEOVER_IDLE_MAX: usize = 64 * KIB;
/// With context takeover at the default settings (15 window bits, memory level 8): the
/// bound documented in `wswire::extensions::deflate`.
#[cfg(feature = "deflate")]
const TAKEOVER_IDLE_MAX: usize = 512 * KIB;
/// What a large message may leave behind beyond the idle figure: the input and output
/// buffers are shrunk back to 8 KiB each, where a small message may have left them smaller.
const AFTER_LARGE_SLACK: usize = 16 * KIB;

type Client = Connection<FixedMask>;

/// Moves everything `from` has to send into `to`.
fn pump<A: MaskGen, B: MaskGen>(from: &mut Connection<A>, to: &mut Connection<B>) {
    while let Some(bytes) = from.take_transmit() {
        to.handle_input(&bytes);
    }
}

/// Echoes every data message `server` has; returns their lengths.
fn echo(server: &mut Connection) -> Vec<usize> {
    let mut lens = Vec::new();
    while let Some(event) = server.poll_event() {
        let data = matches!(event.unwrap(), Event::Text { .. } | Event::Binary { .. });
        if data {
            match server.take_message().unwrap() {
                Message::Text(t) => {
                    lens.push(t.len());
                    server.send_text_owned(t).unwrap();
                }
                Message::Binary(b) => {
                    lens.push(b.len());
                    server.send_binary_owned(b).unwrap();
                }
                other => panic!("not a validated data message: {other:?}"),
            }
        }
    }
    lens
}

/// The lengths of the data messages `client` has received.
fn received<M: MaskGen>(client: &mut Connection<M>) -> Vec<usize> {
    let mut lens = Vec::new();
    while let Some(event) = client.poll_event() {
        match event.unwrap() {
            Event::Text { data, .. } => lens.push(data.len()),
            Event::Binary { data, .. } => lens.push(data.len()),
            _ => {}
        }
    }
    lens
}

/// One message there and back: `send` queues it on the client.
fn round_trip(
    client: &mut Client,
    server: &mut Connection,
    len: usize,
    send: impl FnOnce(&mut Client),
) {
    send(client);
    pump(client, server);
    assert_eq!(echo(server), [len]);
    pump(server, client);
    assert_eq!(received(client), [len]);
}

/// A 4 KiB text message (compressed when deflate is agreed) there and back.
fn small(client: &mut Client, server: &mut Connection) {
    let text = "a small message, compressible ".repeat(140);
    round_trip(client, server, text.len(), |c| c.send_text(&text).unwrap());
}

fn mask() -> FixedMask {
    FixedMask(MaskKey([0x37, 0xfa, 0x21, 0x3d]))
}

fn plain_pair() -> (Client, Connection) {
    let config = large_messages();
    (
        Connection::client_open(Default::default(), config, mask()),
        Connection::server_open(Default::default(), config),
    )
}

#[cfg(feature = "deflate")]
fn deflate_pair(no_context_takeover: bool) -> (Client, Connection) {
    use std::sync::Arc;
    use wswire::extensions::deflate::{DeflateClient, DeflateOffer, DeflateServer};
    use wswire::handshake::{ClientRequest, SecWebSocketKey, ServerConfig};
    let mut so = DeflateServer::default();
    so.server_no_context_takeover = no_context_takeover;
    so.client_no_context_takeover = no_context_takeover;
    let mut sc = ServerConfig::default();
    sc.extension(Box::new(so));
    let mut req = ClientRequest::new("example.com", "/").unwrap();
    req.extension(Box::new(DeflateClient::new(DeflateOffer::default())));
    let hs = req.start_with_key(SecWebSocketKey::from_nonce(*b"the sample nonce"));
    let config = large_messages();
    let mut client = Connection::client_with(hs, config, mask());
    let mut server = Connection::server(Arc::new(sc), config);
    pump(&mut client, &mut server);
    assert!(server.poll_event().unwrap().is_ok()); // Open
    pump(&mut server, &mut client);
    assert!(client.poll_event().unwrap().is_ok()); // Open
    assert!(!client.negotiated().extensions().is_empty());
    (client, server)
}

/// Per connection (server, client): what it holds after a small message, and after a small
/// one, then `large`, then nothing more.
fn measure(
    name: &str,
    make: impl Fn() -> (Client, Connection),
    large: impl Fn(&mut Client, &mut Connection),
) -> [(usize, usize); 2] {
    let (mut client, mut server) = make();
    small(&mut client, &mut server);
    let idle = (held(server), held(client));
    let (mut client, mut server) = make();
    small(&mut client, &mut server);
    large(&mut client, &mut server);
    let after = (held(server), held(client));
    println!(
        "{name}: idle server {} client {}; after the large message server {} client {}",
        idle.0, idle.1, after.0, after.1
    );
    for (i, a) in [(idle.0, after.0), (idle.1, after.1)] {
        assert!(a <= i + AFTER_LARGE_SLACK, "{name}: {a} after vs {i} idle");
    }
    [idle, after]
}

fn eight_mib(client: &mut Client, server: &mut Connection) {
    let data = vec![0x5a; 8 << 20];
    round_trip(client, server, data.len(), |c| {
        c.send_binary(&data).unwrap();
    });
}

#[test]
fn without_deflate_an_idle_connection_holds_16_kib_at_most() {
    for (server, client) in measure("no deflate, 8 MiB", plain_pair, eight_mib) {
        assert!(server <= PLAIN_IDLE_MAX, "server holds {server}");
        assert!(client <= PLAIN_IDLE_MAX, "client holds {client}");
    }
}

/// 63 MiB of text, 64 KiB compressed, under the default 64 MiB `max_message_size`.
#[cfg(feature = "deflate")]
fn bomb(client: &mut Client, server: &mut Connection) {
    let text = "a".repeat(63 << 20); // deflate shrinks it ~1000-fold
    client.send_text(&text).unwrap();
    assert!(
        client.pending_output() < 128 * KIB,
        "{}",
        client.pending_output()
    );
    drop(text);
    pump(client, server);
    assert_eq!(echo(server), [63 << 20]);
    pump(server, client);
    assert_eq!(received(client), [63 << 20]);
}

#[cfg(feature = "deflate")]
#[test]
fn with_deflate_and_no_context_takeover_an_idle_connection_holds_64_kib_at_most() {
    let make = || deflate_pair(true);
    for (server, client) in measure("deflate, no context takeover, bomb", make, bomb) {
        assert!(server <= NO_TAKEOVER_IDLE_MAX, "server holds {server}");
        assert!(client <= NO_TAKEOVER_IDLE_MAX, "client holds {client}");
    }
    measure("deflate, no context takeover, 8 MiB", make, eight_mib);
}

#[cfg(feature = "deflate")]
#[test]
fn with_context_takeover_a_connection_holds_the_documented_figure() {
    let make = || deflate_pair(false);
    for (server, client) in measure("deflate, context takeover, bomb", make, bomb) {
        assert!(server <= TAKEOVER_IDLE_MAX, "server holds {server}");
        assert!(client <= TAKEOVER_IDLE_MAX, "client holds {client}");
    }
}

#[test]
fn a_connection_that_only_opened_allocates_nothing_for_its_buffers() {
    let (client, server) = plain_pair();
    let server = held(server) - size_of::<Connection>();
    let client = held(client) - size_of::<Client>();
    println!("opened, nothing exchanged: server {server} client {client} (beyond the structs)");
    assert!(server <= 256, "{server}");
    assert!(client <= 256, "{client}");
}

/// The default configuration with a 64 MiB message limit (the default is 1 MiB), for the
/// 8 MiB and 63 MiB messages these tests send.
fn large_messages() -> Config {
    let mut config = Config::default();
    config.recv.max_message_size = 64 << 20;
    config.recv.max_frame_payload = 64 << 20;
    config
}
