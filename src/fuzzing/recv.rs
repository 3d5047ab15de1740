//! Harnesses for the receiver and sender.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use alloc::string::String;
use alloc::vec::Vec;

use crate::Role;
use crate::frame::{MAX_CONTROL_PAYLOAD, MaskKey};
use crate::recv::{Decoder, Delivery, Event, Receiver, RecvConfig};
use crate::send::{FixedMask, SendConfig, Sender};

/// An owned event, or the close code of the failure that ended decoding.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Owned {
    Text(String, bool),
    Binary(Vec<u8>, bool),
    Unchecked(Vec<u8>, bool),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
    Fail(u16),
}

impl Owned {
    fn of(e: &Event<'_>) -> Self {
        match *e {
            Event::Text { data, fin } => Self::Text(data.into(), fin),
            Event::Binary { data, fin } => Self::Binary(data.into(), fin),
            Event::UncheckedText { data, fin } => Self::Unchecked(data.into(), fin),
            Event::Ping(p) => Self::Ping(p.into()),
            Event::Pong(p) => Self::Pong(p.into()),
            Event::Close { code, reason } => Self::Close(
                (code != crate::frame::CloseCode::NO_STATUS_RECEIVED)
                    .then(|| (code.as_u16(), reason.into())),
            ),
            Event::Open => Self::Fail(0),
        }
    }
}

/// Input layout: byte 0 picks limits and options, byte 1 the read size; the rest is the
/// stream.
fn setup(data: &[u8]) -> Option<(RecvConfig, usize, &[u8])> {
    let (&opts, rest) = data.split_first()?;
    let (&step, stream) = rest.split_first()?;
    let mut config = RecvConfig {
        max_message_size: [64, 1000, 70_000, 1 << 20][usize::from(opts & 3)],
        max_frame_payload: [32, 1 << 20][usize::from(opts >> 2 & 1)],
        ..RecvConfig::default()
    };
    if opts & 0x08 != 0 {
        config.max_fragments = Some(4);
    }
    if opts & 0x10 != 0 {
        config.allowed_rsv = crate::frame::Rsv::RSV1;
    }
    if opts & 0x20 != 0 {
        config.validate_utf8 = false;
    }
    if opts & 0x40 != 0 {
        config.length_rule = crate::frame::LengthRule::AllowNonMinimal;
    }
    Some((config, usize::from(step).max(1), stream))
}

/// Feeds `chunks` to a buffered receiver and checks the per-event oracles.
fn run(
    role: Role,
    config: RecvConfig,
    delivery: Delivery,
    chunks: &mut dyn Iterator<Item = &[u8]>,
) -> Vec<Owned> {
    let mut rx = Receiver::with_delivery(role, config, delivery);
    let mut out = Vec::new();
    let mut ended = false;
    for chunk in chunks {
        rx.handle_input(chunk);
        while let Some(r) = rx.poll_event() {
            assert!(!ended, "an event after Close or a failure");
            match r {
                Ok(e) => {
                    let o = Owned::of(&e);
                    match &o {
                        Owned::Text(s, _) => assert!(s.len() as u64 <= config.max_message_size),
                        Owned::Binary(b, _) | Owned::Unchecked(b, _) => {
                            assert!(b.len() as u64 <= config.max_message_size);
                        }
                        Owned::Ping(p) | Owned::Pong(p) => assert!(p.len() <= MAX_CONTROL_PAYLOAD),
                        Owned::Close(_) => ended = true,
                        Owned::Fail(_) => {}
                    }
                    out.push(o);
                }
                Err(e) => {
                    let code = e.close_code();
                    assert!(code.is_sendable(), "{e}: unsendable close code {code}");
                    assert!(
                        matches!(code.as_u16(), 1002 | 1007 | 1008 | 1009),
                        "{e}: {code}"
                    );
                    ended = true;
                    out.push(Owned::Fail(code.as_u16()));
                }
            }
        }
    }
    out
}

/// Merges data pieces into messages, as whole-message delivery does.
fn merge(events: &[Owned]) -> Vec<Owned> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut bytes = Vec::new();
    for e in events {
        match e {
            Owned::Text(s, fin) => {
                text.push_str(s);
                if *fin {
                    out.push(Owned::Text(core::mem::take(&mut text), true));
                }
            }
            Owned::Binary(b, fin) | Owned::Unchecked(b, fin) => {
                bytes.extend_from_slice(b);
                if *fin {
                    let b = core::mem::take(&mut bytes);
                    out.push(if matches!(e, Owned::Binary(..)) {
                        Owned::Binary(b, true)
                    } else {
                        Owned::Unchecked(b, true)
                    });
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}

fn receiver(role: Role, data: &[u8]) {
    let Some((config, step, stream)) = setup(data) else {
        return;
    };
    let whole = run(
        role,
        config,
        Delivery::Messages,
        &mut core::iter::once(stream),
    );
    let chunked = run(role, config, Delivery::Messages, &mut stream.chunks(step));
    assert_eq!(chunked, whole, "chunking changed the events");
    let pieces = run(role, config, Delivery::Chunks, &mut stream.chunks(step));
    assert_eq!(
        merge(&pieces),
        whole,
        "streamed pieces disagree with whole messages"
    );
    // The zero-copy decoder over a caller buffer that grows as bytes arrive.
    let mut decoder = Decoder::new(role, config);
    let mut buf: Vec<u8> = Vec::new();
    let mut events = Vec::new();
    for chunk in stream.chunks(step) {
        buf.extend_from_slice(chunk);
        let mut at = 0;
        loop {
            match decoder.decode(&mut buf[at..]) {
                Ok(s) => {
                    let n = s.consumed;
                    match s.event {
                        Some(e) => events.push(Owned::of(&e)),
                        None if n == 0 => break,
                        None => {}
                    }
                    at += n;
                }
                Err(e) => {
                    events.push(Owned::Fail(e.close_code().as_u16()));
                    at = buf.len();
                }
            }
        }
        buf.drain(..at);
        assert!(
            buf.len() < crate::recv::MIN_DECODE_BUFFER + step,
            "decoder held back too much"
        );
    }
    assert_eq!(merge(&events), whole, "Decoder disagrees with Receiver");
}

/// Oracle: arbitrary bytes in arbitrary chunks to a server: no panic; every error carries a
/// sendable close code (1002/1007/1008/1009); no event exceeds the limits; nothing after Close
/// or an error; the same events whole, chunked, streamed and through the zero-copy decoder.
pub fn receiver_server(data: &[u8]) {
    receiver(Role::Server, data);
}

/// As [`receiver_server`], for a client (unmasked frames expected).
pub fn receiver_client(data: &[u8]) {
    receiver(Role::Client, data);
}

/// Oracle: whatever a client accepts, re-sent by a server `Sender` (as whole messages, or in
/// the original pieces) and decoded again, gives the same events.
pub fn roundtrip(data: &[u8]) {
    let Some((mut config, step, stream)) = setup(data) else {
        return;
    };
    config.allowed_rsv = crate::frame::Rsv::NONE;
    config.validate_utf8 = true;
    // Pieces are re-sent as frames of their own, so a fragment count would not carry over.
    config.max_fragments = None;
    let role = if step % 2 == 0 {
        Role::Server
    } else {
        Role::Client
    };
    let first = run(role, config, Delivery::Chunks, &mut stream.chunks(step));
    let mut out = Vec::new();
    let mut server = Sender::server(SendConfig::default());
    let mut client = Sender::client_with(SendConfig::default(), FixedMask(MaskKey([7, 0, 255, 1])));
    let mut expected = Vec::new();
    for e in &first {
        // Re-send as the peer of `role` would: a client receives from a server.
        let r = match (role, e) {
            (_, Owned::Fail(_)) => break,
            (Role::Client, Owned::Text(s, fin)) => server.text(s, *fin, &mut out),
            (Role::Server, Owned::Text(s, fin)) => client.text(s, *fin, &mut out),
            (Role::Client, Owned::Binary(b, fin)) => server.binary(b, *fin, &mut out),
            (Role::Server, Owned::Binary(b, fin)) => client.binary(b, *fin, &mut out),
            (Role::Client, Owned::Ping(p)) => server.ping(p, &mut out),
            (Role::Server, Owned::Ping(p)) => client.ping(p, &mut out),
            (Role::Client, Owned::Pong(p)) => server.pong(p, &mut out),
            (Role::Server, Owned::Pong(p)) => client.pong(p, &mut out),
            (_, Owned::Close(c)) => {
                let frame = c.as_ref().map(|(code, reason)| crate::frame::CloseFrame {
                    code: (*code).into(),
                    reason,
                });
                match role {
                    Role::Client => server.close(frame, &mut out),
                    Role::Server => client.close(frame, &mut out),
                }
            }
            (_, Owned::Unchecked(..)) => unreachable!("validation is on"),
        };
        r.expect("an accepted event can be sent back");
        expected.push(e.clone());
    }
    let again = run(
        role,
        config,
        Delivery::Chunks,
        &mut core::iter::once(&out[..]),
    );
    assert_eq!(
        merge(&again),
        merge(&expected),
        "re-encoded stream decodes differently"
    );
}
