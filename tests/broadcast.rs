//! Broadcast with `PreparedMessage`: one message framed once and queued on many server
//! connections decodes, on a client receiving each output, to the message — without
//! permessage-deflate, with it (context takeover: each connection compresses; no context
//! takeover: compressed once and shared), fragmented, and from a client (a masked copy).
//! The bytes are shared where the docs say (observable through `take_transmit_buf` and the
//! vectored slices); the connection's rules (state, open messages, high-water mark) apply.

mod common;

use std::sync::Arc;

use common::{Cx, drain_events, drain_output};
use proptest::prelude::*;
use wswire::connection::{Config, Connection};
use wswire::extensions::deflate::{DeflateClient, DeflateOffer, DeflateServer};
use wswire::frame::MaskKey;
use wswire::handshake::{ClientRequest, SecWebSocketKey, ServerConfig};
use wswire::send::{Compression, FixedMask, PreparedMessage};
use wswire::{CloseCode, UsageError};

/// A server and its client, through the handshake (permessage-deflate when `deflate`).
fn pair(deflate: Option<DeflateServer>, config: Config) -> (Connection<FixedMask>, Connection) {
    let mut sc = ServerConfig::default();
    let mut req = ClientRequest::new("example.com", "/").unwrap();
    if let Some(d) = deflate {
        sc.extension(Box::new(d));
        req.extension(Box::new(DeflateClient::new(DeflateOffer::default())));
    }
    let hs = req.start_with_key(SecWebSocketKey::from_nonce(*b"the sample nonce"));
    let mut client = Connection::client_with(hs, config, FixedMask(MaskKey([1, 2, 3, 4])));
    let mut server = Connection::server(Arc::new(sc), config);
    server.handle_input(&drain_output(&mut client));
    assert_eq!(drain_events(&mut server), [Cx::Open]);
    client.handle_input(&drain_output(&mut server));
    assert_eq!(drain_events(&mut client), [Cx::Open]);
    (client, server)
}

fn no_context(bits: u8) -> DeflateServer {
    let mut d = DeflateServer::default();
    d.server_no_context_takeover = true;
    d.server_max_window_bits = bits;
    d
}

/// `len` bytes of text that compress to about two thirds (letters from a small generator),
/// so compressed messages stay above the 1 KiB under which output is copied.
fn text(len: usize) -> String {
    let mut x = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            char::from(b"abcdefghijklmnopqrstuvwxyz  .,"[(x % 30) as usize])
        })
        .collect()
}

/// Everything a server queued, decoded by its client.
fn delivered(client: &mut Connection<FixedMask>, server: &mut Connection) -> Vec<Cx> {
    let wire = drain_output(server);
    for chunk in wire.chunks(777) {
        client.handle_input(chunk);
    }
    drain_events(client)
}

/// Sends `message` to `n` fresh pairs (each first sent `before`, so contexts differ) and
/// checks every client receives both; returns the servers' first output buffers after it.
fn broadcast(
    deflate: Option<DeflateServer>,
    config: Config,
    before: &str,
    message: &PreparedMessage,
    n: usize,
) -> Vec<wswire::connection::TransmitBuf> {
    let expect = Cx::Text(String::from_utf8(message.payload().to_vec()).unwrap());
    let mut firsts = Vec::new();
    for i in 0..n {
        let (mut client, mut server) = pair(deflate, config);
        let before = format!("{before}{i}");
        server.send_text(&before).unwrap();
        assert_eq!(delivered(&mut client, &mut server), [Cx::Text(before)]);
        server.send_prepared(message).unwrap();
        let first = server.take_transmit_buf().unwrap();
        client.handle_input(&first);
        firsts.push(first);
        assert_eq!(
            delivered(&mut client, &mut server),
            std::slice::from_ref(&expect),
            "{i}"
        );
    }
    firsts
}

#[test]
fn a_prepared_message_decodes_on_every_connection_and_shares_its_frame() {
    let message = PreparedMessage::text(&text(16 * 1024));
    let firsts = broadcast(None, Config::default(), "", &message, 5);
    for buf in &firsts {
        assert!(buf.is_shared());
        assert_eq!(&buf[..], message.frame());
        assert_eq!(buf.as_ptr(), message.frame().as_ptr());
    }
}

#[test]
fn the_vectored_output_of_every_connection_points_at_the_same_bytes() {
    let message = PreparedMessage::binary(&[0xab; 5000]);
    for _ in 0..3 {
        let mut server = Connection::server_open(Default::default(), Config::default());
        server.send_text("first").unwrap();
        server.send_prepared(&message).unwrap();
        server.send_text("last").unwrap();
        let mut bufs = [&[][..]; 8];
        let n = server.poll_transmit_vectored(&mut bufs);
        assert_eq!(n, 3);
        assert_eq!(bufs[0], b"\x81\x05first");
        assert_eq!(bufs[1].as_ptr(), message.frame().as_ptr());
        assert_eq!(bufs[2], b"\x81\x04last");
        assert_eq!(server.pending_output(), 7 + message.frame().len() + 6);
    }
}

#[test]
fn take_transmit_still_hands_out_owned_copies_of_shared_frames() {
    let message = PreparedMessage::binary(&[1; 2000]);
    let mut server = Connection::server_open(Default::default(), Config::default());
    server.send_prepared(&message).unwrap();
    assert_eq!(server.take_transmit().unwrap(), message.frame());
    assert_eq!(server.take_transmit(), None);
    assert_eq!(server.pending_output(), 0);
}

#[test]
fn a_small_prepared_message_is_copied_into_the_output() {
    let message = PreparedMessage::text("hi all");
    let mut server = Connection::server_open(Default::default(), Config::default());
    server.send_prepared(&message).unwrap();
    server.send_text("!").unwrap();
    let buf = server.take_transmit_buf().unwrap();
    assert!(!buf.is_shared());
    assert_eq!(&buf[..], b"\x81\x06hi all\x81\x01!");
}

#[test]
fn fragmenting_connections_share_frames_made_once_per_frame_size_with_std() {
    let message = PreparedMessage::text(&text(10_000));
    let mut config = Config::default();
    config.send.max_frame_payload = Some(3000);
    let firsts = broadcast(None, config, "", &message, 3);
    // The frames are kept in a lazy cache that needs `std`; without it each connection frames
    // the message into its own output.
    let std = cfg!(feature = "std");
    assert!(firsts.iter().all(|b| b.is_shared() == std));
    assert!(
        firsts[1..]
            .iter()
            .all(|b| (b.as_ptr() == firsts[0].as_ptr()) == std)
    );
    assert_eq!(firsts[0][..2], [0x01, 126]); // a first fragment
    let mut own = Connection::server_open(Default::default(), config);
    own.send_text(&text(10_000)).unwrap();
    assert_eq!(own.take_transmit().unwrap(), &firsts[0][..]);
}

#[cfg(feature = "deflate")]
#[test]
fn with_context_takeover_each_connection_compresses_the_message_itself() {
    let message = PreparedMessage::text(&text(16 * 1024));
    let firsts = broadcast(
        Some(DeflateServer::default()),
        Config::default(),
        &text(3000),
        &message,
        4,
    );
    for buf in &firsts {
        assert!(!buf.is_shared());
        assert_eq!(buf[0], 0xc1); // FIN, RSV1, text
        assert!(buf.len() < 16 * 1024);
    }
}

#[cfg(feature = "deflate")]
#[test]
fn without_context_takeover_the_compressed_frames_are_made_once_and_shared() {
    let message = PreparedMessage::text(&text(16 * 1024));
    let firsts = broadcast(
        Some(no_context(15)),
        Config::default(),
        &text(3000),
        &message,
        4,
    );
    for buf in &firsts {
        assert!(buf.is_shared());
        assert_eq!(buf[0], 0xc1);
        assert!(buf.len() < 16 * 1024);
        assert_eq!(buf.as_ptr(), firsts[0].as_ptr());
    }
    // Another window is another form, shared among its own connections.
    let other = broadcast(Some(no_context(10)), Config::default(), "w10 ", &message, 2);
    assert!(other[0].is_shared());
    assert_eq!(other[0].as_ptr(), other[1].as_ptr());
    assert_ne!(other[0].as_ptr(), firsts[0].as_ptr());
}

#[cfg(feature = "deflate")]
#[test]
fn under_the_deflate_threshold_the_plain_frame_is_shared() {
    let message = PreparedMessage::binary(&[9; 1023]);
    for deflate in [DeflateServer::default(), no_context(15)] {
        let (mut client, mut server) = pair(Some(deflate), Config::default());
        server.send_prepared(&message).unwrap();
        let buf = server.take_transmit_buf().unwrap();
        assert_eq!(buf.as_ptr(), message.frame().as_ptr());
        client.handle_input(&buf);
        assert_eq!(drain_events(&mut client), [Cx::Binary(vec![9; 1023])]);
    }
}

#[cfg(feature = "deflate")]
#[test]
fn a_client_sends_a_masked_copy() {
    let message = PreparedMessage::text(&text(4000));
    for deflate in [None, Some(DeflateServer::default()), Some(no_context(12))] {
        let (mut client, mut server) = pair(deflate, Config::default());
        client.send_prepared(&message).unwrap();
        let buf = client.take_transmit_buf().unwrap();
        assert!(!buf.is_shared());
        assert_eq!(buf[1] & 0x80, 0x80, "masked");
        server.handle_input(&buf);
        assert_eq!(drain_events(&mut server), [Cx::Text(text(4000))]);
    }
}

#[test]
fn send_prepared_follows_the_connection_rules() {
    let message = PreparedMessage::binary(&[5; 4096]);
    let mut server = Connection::server(Default::default(), Config::default());
    assert_eq!(server.send_prepared(&message), Err(UsageError::NotOpen));

    let mut server = Connection::server_open(Default::default(), Config::default());
    server
        .send_binary_with(b"part", false, Compression::Auto)
        .unwrap();
    assert!(matches!(
        server.send_prepared(&message),
        Err(UsageError::MessageInProgress { .. })
    ));

    let mut server = Connection::server_open(Default::default(), Config::default());
    server.close(CloseCode::NORMAL, "").unwrap();
    assert_eq!(
        server.send_prepared(&message),
        Err(UsageError::SendAfterClose)
    );
}

#[test]
fn the_high_water_mark_counts_shared_frames() {
    let message = PreparedMessage::binary(&[5; 16 * 1024]);
    let mut config = Config::default();
    config.outbound_high_water = Some(10_000);
    let mut server = Connection::server_open(Default::default(), config);
    server.send_prepared(&message).unwrap();
    assert_eq!(server.pending_output(), message.frame().len());
    assert!(!server.is_send_ready());
    assert!(matches!(
        server.send_prepared(&message),
        Err(UsageError::OutputFull { .. })
    ));
    server.advance_transmit(message.frame().len() - 100);
    assert!(server.is_send_ready());
    assert_eq!(
        server.poll_transmit(),
        Some(&message.frame()[16 * 1024 + 4 - 100..])
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn prepared_messages_round_trip(
        payload in proptest::collection::vec(0u8..4, 0..6000),
        max_frame in proptest::option::of(1usize..3000),
        deflate in 0u8..3,
    ) {
        let deflate = match deflate {
            0 => None,
            1 => Some(DeflateServer::default()),
            _ => Some(no_context(11)),
        };
        let mut config = Config::default();
        config.send.max_frame_payload = max_frame;
        if !cfg!(feature = "deflate") && deflate.is_some() {
            return Ok(());
        }
        let message = PreparedMessage::binary(&payload);
        let (mut client, mut server) = pair(deflate, config);
        for _ in 0..2 {
            server.send_prepared(&message).unwrap();
            prop_assert_eq!(delivered(&mut client, &mut server), [Cx::Binary(payload.clone())]);
        }
    }
}
