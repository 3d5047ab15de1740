//! Owned hand-offs: a whole message is taken out of the receiver (or the connection) as an
//! owned `Vec`/`String` without copying its payload when it was assembled or waited in the
//! input buffer over several reads, so an echo costs no payload copy beyond the socket read.
//! Checked by pointer identity and by counting the bytes allocated on this thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wswire::Role;
use wswire::connection::{Config, Connection, Event as ConnEvent};
use wswire::frame::MaskKey;
use wswire::recv::{Event, Message, Receiver, RecvConfig};
use wswire::send::{FixedMask, SendConfig, Sender};

struct Counting;

thread_local! {
    /// Bytes allocated by this thread (each test thread counts its own).
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

fn count(n: usize) {
    let _ = ALLOCATED.try_with(|c| c.set(c.get() + n));
}

fn allocated() -> usize {
    ALLOCATED.with(Cell::get)
}

#[allow(unsafe_code)]
// SAFETY: every method forwards to the system allocator unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's contract is passed through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size.saturating_sub(layout.size()));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const READ: usize = 64 * 1024;

fn client_frames(build: impl FnOnce(&mut Sender<FixedMask>, &mut Vec<u8>)) -> Vec<u8> {
    let mut tx = Sender::client_with(
        SendConfig::default(),
        FixedMask(MaskKey([0x37, 0xfa, 0x21, 0x3d])),
    );
    let mut out = Vec::new();
    build(&mut tx, &mut out);
    out
}

/// Feeds `wire` in socket-sized reads; calls `on` with each event and the receiver.
fn feed(rx: &mut Receiver, wire: &[u8], on: impl FnMut(&mut Receiver, usize, usize)) {
    feed_in_reads(rx, wire, READ, on);
}

/// Feeds `wire` in reads of up to `read` bytes, into the room offered (a frame that waits for
/// its last bytes is offered only what it needs, or 8 KiB); calls `on` with the receiver and
/// the address and length of each event's data (0, 0 for a control frame).
fn feed_in_reads(
    rx: &mut Receiver,
    wire: &[u8],
    read: usize,
    mut on: impl FnMut(&mut Receiver, usize, usize),
) {
    let mut rest = wire;
    while !rest.is_empty() {
        let spare = rx.spare_capacity(read.min(rest.len()));
        let n = spare.len().min(read).min(rest.len());
        spare[..n].copy_from_slice(&rest[..n]);
        rx.commit(n);
        rest = &rest[n..];
        loop {
            let (ptr, len) = match rx.poll_event() {
                None => break,
                Some(Ok(Event::Binary { data, .. } | Event::UncheckedText { data, .. })) => {
                    (data.as_ptr() as usize, data.len())
                }
                Some(Ok(Event::Text { data, .. })) => (data.as_ptr() as usize, data.len()),
                Some(Ok(_)) => (0, 0),
                Some(Err(e)) => panic!("{e}"),
            };
            on(rx, ptr, len);
        }
    }
}

#[test]
fn a_large_binary_message_over_several_reads_is_handed_over_without_a_copy() {
    let payload: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 7) as u8).collect();
    let wire = client_frames(|tx, out| tx.binary(&payload, true, out).unwrap());
    let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    let mut taken = None;
    feed(&mut rx, &wire, |rx, ptr, len| {
        let before = allocated();
        let Some(Message::Binary(bytes)) = rx.take_message() else {
            panic!("no message")
        };
        assert_eq!(bytes.as_ptr() as usize, ptr, "the input buffer itself");
        assert_eq!(bytes.len(), len);
        assert!(
            allocated() - before <= READ,
            "at most the bytes after it move"
        );
        taken = Some(bytes);
    });
    assert_eq!(taken.as_deref(), Some(&payload[..]));
}

#[test]
fn a_large_text_message_over_several_reads_is_handed_over_without_a_copy() {
    let text = "κόσμε and ascii ".repeat(20_000);
    let wire = client_frames(|tx, out| tx.text(&text, true, out).unwrap());
    let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    let mut got = None;
    feed(&mut rx, &wire, |rx, ptr, _| {
        let before = allocated();
        let Some(Message::Text(s)) = rx.take_message() else {
            panic!("no message")
        };
        assert_eq!(s.as_ptr() as usize, ptr);
        assert!(allocated() - before <= READ);
        got = Some(s);
    });
    assert_eq!(got.as_deref(), Some(text.as_str()));
}

#[test]
fn an_assembled_message_is_handed_over_as_its_assembly_buffer() {
    let parts = ["frag", "men", "ted ", "κόσμε"];
    let wire = client_frames(|tx, out| {
        for (i, p) in parts.iter().enumerate() {
            tx.text(p, i == parts.len() - 1, out).unwrap();
        }
    });
    let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    let mut got = Vec::new();
    feed(&mut rx, &wire, |rx, ptr, _| {
        let before = allocated();
        let Some(Message::Text(s)) = rx.take_message() else {
            panic!("no message")
        };
        assert_eq!(s.as_ptr() as usize, ptr);
        assert_eq!(allocated(), before, "nothing allocated");
        got.push(s);
    });
    assert_eq!(got, ["fragmented κόσμε"]);
}

#[test]
fn a_small_message_is_copied_once_and_only_data_messages_can_be_taken() {
    let wire = client_frames(|tx, out| {
        tx.binary(b"abc", true, out).unwrap();
        tx.ping(b"p", out).unwrap();
    });
    let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    rx.handle_input(&wire);
    assert!(matches!(rx.poll_event(), Some(Ok(Event::Binary { .. }))));
    assert_eq!(rx.take_message(), Some(Message::Binary(b"abc".to_vec())));
    assert_eq!(rx.take_message(), None, "taken already");
    assert!(matches!(rx.poll_event(), Some(Ok(Event::Ping(_)))));
    assert_eq!(rx.take_message(), None, "not a data message");
}

#[test]
fn an_echo_through_the_connection_makes_no_payload_copy() {
    let payload: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 13) as u8).collect();
    let wire = client_frames(|tx, out| tx.binary(&payload, true, out).unwrap());
    let mut server = Connection::server_open(Default::default(), Config::default());
    let mut echoed = 0;
    let mut rest = &wire[..];
    while !rest.is_empty() {
        let spare = server.input_buffer(READ.min(rest.len())).unwrap();
        let n = spare.len().min(READ).min(rest.len());
        spare[..n].copy_from_slice(&rest[..n]);
        server.commit_input(n);
        rest = &rest[n..];
        while let Some(event) = server.poll_event() {
            let ptr = match event {
                Ok(ConnEvent::Binary { data, fin: true }) => data.as_ptr() as usize,
                other => panic!("{other:?}"),
            };
            let before = allocated();
            let Some(Message::Binary(bytes)) = server.take_message() else {
                panic!("no message")
            };
            server.send_binary_owned(bytes).unwrap();
            assert!(allocated() - before <= 2 * READ, "only small buffers");
            // The payload goes out as its own slice, from the same memory.
            let mut slices: [&[u8]; 4] = [&[]; 4];
            let n = server.poll_transmit_vectored(&mut slices);
            assert!(
                slices[..n]
                    .iter()
                    .any(|s| s.as_ptr() as usize == ptr && s.len() == payload.len()),
                "payload slice not the received memory"
            );
            assert_eq!(slices[..n].concat()[slices[0].len()..], payload[..]);
            echoed += 1;
        }
    }
    assert_eq!(echoed, 1);
}

#[test]
fn a_text_is_taken_as_the_string_its_event_showed_and_not_after_more_input_or_an_error() {
    let text = "h\u{e9}llo \u{2713} ".repeat(100);
    let wire = client_frames(|tx, out| {
        tx.text(&text, true, out).unwrap();
        tx.text("second", true, out).unwrap();
    });
    let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    rx.handle_input(&wire);
    let Some(Ok(Event::Text { data, .. })) = rx.poll_event() else {
        panic!()
    };
    assert_eq!(data, text);
    assert_eq!(rx.take_message(), Some(Message::Text(text.clone())));
    // More input may move the buffer: the second message can no longer be taken after it.
    let Some(Ok(Event::Text { data, .. })) = rx.poll_event() else {
        panic!()
    };
    assert_eq!(data, "second");
    rx.handle_input(&client_frames(|tx, out| {
        tx.text("third", true, out).unwrap();
    }));
    assert_eq!(rx.take_message(), None, "input arrived since the event");
    // A text that turns out invalid at its end is an error, and nothing to take.
    let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    rx.handle_input(&[0x81, 0x82, 0, 0, 0, 0, b'a', 0xC3]);
    assert!(matches!(rx.poll_event(), Some(Err(_))));
    assert_eq!(rx.take_message(), None, "no message after an error");
}

/// Feeds `wire` in reads of `read` bytes into a server receiver; returns each message taken
/// and whether it was handed over as the memory its event showed (not copied).
fn take_all(wire: &[u8], read: usize) -> Vec<(Message, bool)> {
    let mut rx = Receiver::new(Role::Server, RecvConfig::default());
    let mut out = Vec::new();
    feed_in_reads(&mut rx, wire, read, |rx, ptr, _| {
        let message = rx.take_message().expect("a data message");
        let bytes = match &message {
            Message::Binary(b) | Message::UncheckedText(b) => b.as_ptr() as usize,
            Message::Text(t) => t.as_ptr() as usize,
            _ => 0,
        };
        out.push((message, bytes == ptr));
    });
    out
}

#[test]
fn a_message_of_16_kib_and_a_read_that_starts_the_buffer_is_handed_over_however_it_arrives() {
    let big: Vec<u8> = (0..16 * 1024).map(|i: u32| (i * 11) as u8).collect();
    let text = "κόσμε ".repeat(1500); // 16.5 KB of two-byte code points
    let small = vec![7u8; 15 * 1024];
    let wire = client_frames(|tx, out| tx.binary(&big, true, out).unwrap());
    let text_wire = client_frames(|tx, out| tx.text(&text, true, out).unwrap());
    let small_wire = client_frames(|tx, out| tx.binary(&small, true, out).unwrap());
    for read in [16 * 1024, 4096, 1000, 7] {
        let got = take_all(&wire, read);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, Message::Binary(big.clone()), "read {read}");
        assert!(got[0].1, "read {read}: handed over, not copied");
        let got = take_all(&text_wire, read);
        assert_eq!(got[0].0, Message::Text(text.clone()), "read {read}");
        assert!(got[0].1, "read {read}: text handed over");
        let got = take_all(&small_wire, read);
        assert_eq!(got[0].0, Message::Binary(small.clone()), "read {read}");
        assert!(!got[0].1, "read {read}: under 16 KiB is copied out");
    }
    // A read up to twice the message's size: still handed over (the room after it is
    // zero-filled at most once more than the message is long, which costs less than the copy).
    let after = vec![2u8; 10_000];
    let then_more = client_frames(|tx, out| {
        tx.binary(&big, true, out).unwrap();
        tx.binary(&after, true, out).unwrap();
    });
    let got = take_all(&then_more, 32 * 1024);
    assert_eq!(got[0].0, Message::Binary(big.clone()));
    assert!(got[0].1, "over half the read size: handed over");
    assert_eq!(got[1].0, Message::Binary(after));
    // Reads more than twice as large as the message: copied, since the room such a read needs
    // after it would be zero-filled again for every message.
    let filler = vec![1u8; 30_000];
    let two = client_frames(|tx, out| {
        tx.binary(&big, true, out).unwrap();
        tx.binary(&filler, true, out).unwrap();
    });
    let got = take_all(&two, 64 * 1024);
    assert_eq!(got[0].0, Message::Binary(big.clone()));
    assert!(!got[0].1, "under half the read size: copied out");
    assert_eq!(got[1].0, Message::Binary(filler));
}

#[test]
fn the_frames_around_a_handed_over_message_arrive_intact() {
    let big: Vec<u8> = (0..40_000).map(|i: u32| (i * 3) as u8).collect();
    let wire = client_frames(|tx, out| {
        tx.binary(&big, true, out).unwrap();
        tx.text("after", true, out).unwrap();
        tx.binary(&big[..20_000], true, out).unwrap();
    });
    for read in [32 * 1024, 3000, 13] {
        let got = take_all(&wire, read);
        let messages: Vec<&Message> = got.iter().map(|(m, _)| m).collect();
        assert_eq!(
            messages,
            [
                &Message::Binary(big.clone()),
                &Message::Text("after".to_owned()),
                &Message::Binary(big[..20_000].to_vec()),
            ],
            "read {read}"
        );
        // The first starts the buffer, so it is handed over.
        assert!(got[0].1, "read {read}");
    }
}

#[test]
fn an_echo_reads_the_next_message_into_the_payload_it_wrote() {
    let payload: Vec<u8> = (0..READ as u32).map(|i| (i * 5) as u8).collect();
    let wire = client_frames(|tx, out| tx.binary(&payload, true, out).unwrap());
    let mut server = Connection::server_open(Default::default(), Config::default());
    let mut sent_at = 0;
    for round in 0..3 {
        let before = allocated();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let spare = server.input_buffer(READ).unwrap();
            if round > 0 && sent_at != 0 {
                // The first read of this round goes into the payload written last round.
                assert_eq!(spare.as_ptr() as usize, sent_at, "round {round}");
                sent_at = 0;
            }
            let n = spare.len().min(READ).min(rest.len());
            spare[..n].copy_from_slice(&rest[..n]);
            server.commit_input(n);
            rest = &rest[n..];
        }
        let Some(Ok(ConnEvent::Binary { .. })) = server.poll_event() else {
            panic!("round {round}: no message")
        };
        let Some(Message::Binary(bytes)) = server.take_message() else {
            panic!("round {round}: not taken")
        };
        assert_eq!(bytes, payload);
        sent_at = bytes.as_ptr() as usize;
        server.send_binary_owned(bytes).unwrap();
        while let Some(out) = server.poll_transmit().map(<[u8]>::len) {
            server.advance_transmit(out);
        }
        if round == 2 {
            // In the steady state the receive buffer is the last payload written, and only
            // the bytes after the first read's room are allocated (the frame is a little
            // more than one read).
            assert!(
                allocated() - before < 4096,
                "round {round}: {}",
                allocated() - before
            );
        }
    }
}

/// Feeds `wire` (one binary frame, at most 8 KiB) to `server` in one read and takes the
/// message it carries.
fn receive_one(server: &mut Connection, wire: &[u8]) -> Vec<u8> {
    let spare = server.input_buffer(8192).unwrap();
    spare[..wire.len()].copy_from_slice(wire);
    server.commit_input(wire.len());
    let Some(Ok(ConnEvent::Binary { .. })) = server.poll_event() else {
        panic!("no message")
    };
    let Some(Message::Binary(bytes)) = server.take_message() else {
        panic!("not taken")
    };
    bytes
}

/// Sends `bytes` back as an owned message and writes all the output out.
fn echo(server: &mut Connection, bytes: Vec<u8>) {
    server.send_binary_owned(bytes).unwrap();
    while let Some(n) = server.poll_transmit().map(<[u8]>::len) {
        server.advance_transmit(n);
    }
}

#[test]
fn an_echo_of_small_messages_allocates_nothing_per_message() {
    // Copied messages (below 16 KiB) go into the payload the connection wrote or copied into
    // its output last time: in the steady state an echo allocates nothing, for a message under
    // 1 KiB (copied into the output) and one above it (written from its own buffer), also
    // once the messages get smaller (the latest payload is kept, not the largest).
    let mut server = Connection::server_open(Default::default(), Config::default());
    for size in [8000, 1024, 20] {
        let payload: Vec<u8> = (0..size as u32).map(|i| (i * 3) as u8).collect();
        let wire = client_frames(|tx, out| tx.binary(&payload, true, out).unwrap());
        for round in 0..4 {
            let before = allocated();
            let bytes = receive_one(&mut server, &wire);
            assert_eq!(bytes, payload, "size {size} round {round}");
            echo(&mut server, bytes);
            assert!(server.poll_event().is_none());
            if round >= 2 {
                assert_eq!(allocated() - before, 0, "size {size} round {round}");
            }
        }
    }
}

#[test]
fn a_kept_small_message_holds_no_more_than_twice_its_size() {
    // The spare payload a large echo left is not used for a much smaller message: a caller
    // that keeps small messages must not keep large buffers with them.
    let big: Vec<u8> = vec![7; 8000];
    let small: Vec<u8> = vec![9; 20];
    let mut server = Connection::server_open(Default::default(), Config::default());
    for (payload, keep) in [(&big, false), (&small, true)] {
        let wire = client_frames(|tx, out| tx.binary(payload, true, out).unwrap());
        let bytes = receive_one(&mut server, &wire);
        assert_eq!(&bytes, payload);
        if keep {
            assert!(bytes.capacity() <= 2 * 32, "{}", bytes.capacity());
        } else {
            echo(&mut server, bytes);
        }
    }
}
