//! permessage-deflate between two connections, through the handshake (RFC 7692 §5–§7): round
//! trips for every parameter combination in both roles, chunking invariance with compression
//! on, the close codes of deflate errors on a connection, opt-out, an agreement without a
//! codec (1011), a custom codec.
#![cfg(feature = "deflate")]

mod common;

use std::sync::Arc;

use common::deflate::{compress_message, receive_with};
use common::{Cx, Ev, drain_events, drain_output, hex, merge_pieces, splits};
use wswire::Role;
use wswire::connection::{Config, Connection, State};
use wswire::extensions::deflate::{
    ClientMaxWindowBits, Codec, DeflateClient, DeflateConfig, DeflateOffer, DeflateParams,
    DeflateServer,
};
use wswire::frame::MaskKey;
use wswire::handshake::{ClientRequest, SecWebSocketKey, ServerConfig};
use wswire::recv::{Delivery, Event, Receiver, RecvConfig};
use wswire::send::{Compression, DataKind, FixedMask, SendConfig, Sender};

fn handshake(
    server: DeflateServer,
    offer: DeflateOffer,
    config: Config,
) -> (Connection<FixedMask>, Connection) {
    let mut sc = ServerConfig::default();
    sc.extension(Box::new(server));
    let mut req = ClientRequest::new("example.com", "/").unwrap();
    req.extension(Box::new(DeflateClient::new(offer)));
    let hs = req.start_with_key(SecWebSocketKey::from_nonce(*b"the sample nonce"));
    let mut client = Connection::client_with(hs, config, FixedMask(MaskKey([1, 2, 3, 4])));
    let mut server = Connection::server(Arc::new(sc), config);
    server.handle_input(&drain_output(&mut client));
    assert_eq!(drain_events(&mut server), [Cx::Open]);
    client.handle_input(&drain_output(&mut server));
    assert_eq!(drain_events(&mut client), [Cx::Open]);
    (client, server)
}

fn messages() -> Vec<Vec<u8>> {
    vec![
        b"Hello".to_vec(),
        "héllo wörld ".repeat(200).into_bytes(),
        (0..3000u32).map(|i| (i * 31 % 251) as u8).collect(),
        "x".repeat(20_000).into_bytes(),
        Vec::new(),
        "héllo wörld ".repeat(200).into_bytes(),
    ]
}

/// Sends every message both ways (whole and streamed) and checks it arrives intact.
fn exchange(client: &mut Connection<FixedMask>, server: &mut Connection) -> (usize, usize) {
    let (mut c2s, mut s2c) = (0, 0);
    for (i, m) in messages().iter().enumerate() {
        let text = i != 2;
        let expect = if text {
            Cx::Text(String::from_utf8(m.clone()).unwrap())
        } else {
            Cx::Binary(m.clone())
        };
        // Whole.
        if text {
            client.send_text(std::str::from_utf8(m).unwrap()).unwrap();
            server.send_text(std::str::from_utf8(m).unwrap()).unwrap();
        } else {
            client.send_binary(m).unwrap();
            server.send_binary(m).unwrap();
        }
        // Streamed in three parts (split on a char boundary for text).
        let cut = (1..m.len()).find(|&c| !text || std::str::from_utf8(&m[..c]).is_ok());
        let parts: Vec<&[u8]> = match cut {
            Some(c) => vec![&m[..c], &m[c..], &[]],
            None => vec![&m[..]],
        };
        for (j, p) in parts.iter().enumerate() {
            let fin = j + 1 == parts.len();
            if text {
                let s = std::str::from_utf8(p).unwrap();
                client.send_text_with(s, fin, Compression::Auto).unwrap();
                server.send_text_with(s, fin, Compression::Auto).unwrap();
            } else {
                client.send_binary_with(p, fin, Compression::Auto).unwrap();
                server.send_binary_with(p, fin, Compression::Auto).unwrap();
            }
        }
        let wire = drain_output(client);
        c2s += wire.len();
        for chunk in wire.chunks(1000) {
            server.handle_input(chunk);
        }
        assert_eq!(
            drain_events(server),
            [expect.clone(), expect.clone()],
            "c->s {i}"
        );
        let wire = drain_output(server);
        s2c += wire.len();
        for chunk in wire.chunks(777) {
            client.handle_input(chunk);
        }
        assert_eq!(drain_events(client), [expect.clone(), expect], "s->c {i}");
    }
    (c2s, s2c)
}

#[test]
fn round_trips_for_every_parameter_combination_in_both_roles() {
    let plain: usize = messages().iter().map(Vec::len).sum::<usize>() * 2;
    let mut combos = 0;
    for snct in [false, true] {
        for cnct in [false, true] {
            for smwb in [None, Some(8), Some(9), Some(12), Some(15)] {
                for cmwb in [
                    ClientMaxWindowBits::Absent,
                    ClientMaxWindowBits::Supported,
                    ClientMaxWindowBits::Limit(9),
                    ClientMaxWindowBits::Limit(12),
                ] {
                    for server_policy in 0..3 {
                        let mut so = DeflateServer::default();
                        match server_policy {
                            1 => {
                                so.server_no_context_takeover = true;
                                so.client_no_context_takeover = true;
                            }
                            2 => {
                                so.server_max_window_bits = 10;
                                if cmwb != ClientMaxWindowBits::Absent {
                                    so.client_max_window_bits = 11;
                                }
                            }
                            _ => {}
                        }
                        let offer = DeflateOffer {
                            server_no_context_takeover: snct,
                            client_no_context_takeover: cnct,
                            server_max_window_bits: smwb,
                            client_max_window_bits: cmwb,
                        };
                        let mut config = Config::default();
                        if let ClientMaxWindowBits::Limit(b) = cmwb {
                            config.deflate.max_window_bits = b;
                        }
                        let (mut client, mut server) = handshake(so, offer, config);
                        let agreed =
                            DeflateParams::from_extensions(client.negotiated().extensions())
                                .unwrap()
                                .expect("deflate agreed");
                        assert_eq!(
                            Some(agreed),
                            DeflateParams::from_extensions(server.negotiated().extensions())
                                .unwrap()
                        );
                        let ctx = format!("{offer:?} {so:?} -> {agreed:?}");
                        // The compressors the connections build from what was agreed honour it.
                        let sc = config.deflate.compressor(&agreed, Role::Server);
                        let cc = config.deflate.compressor(&agreed, Role::Client);
                        assert_eq!(sc.is_some(), agreed.server_max_window_bits > 8, "{ctx}");
                        assert_eq!(cc.is_some(), agreed.client_max_window_bits > 8, "{ctx}");
                        if let Some(sc) = &sc {
                            assert!(sc.window_bits() <= agreed.server_max_window_bits, "{ctx}");
                            assert_eq!(sc.no_context_takeover(), agreed.server_no_context_takeover);
                        }
                        if let Some(cc) = &cc {
                            assert!(cc.window_bits() <= agreed.client_max_window_bits, "{ctx}");
                            if let ClientMaxWindowBits::Limit(b) = cmwb {
                                assert!(cc.window_bits() <= b, "{ctx}");
                            }
                            assert_eq!(cc.no_context_takeover(), agreed.client_no_context_takeover);
                        }
                        let (has_cc, has_sc) = (cc.is_some(), sc.is_some());
                        let (c2s, s2c) = exchange(&mut client, &mut server);
                        if has_cc {
                            assert!(c2s < plain / 2, "{ctx}: client sent {c2s} of {plain}");
                        }
                        if has_sc {
                            assert!(s2c < plain / 2, "{ctx}: server sent {s2c} of {plain}");
                        } else {
                            assert!(s2c > plain, "{ctx}: window 8 sends uncompressed");
                        }
                        combos += 1;
                    }
                }
            }
        }
    }
    assert_eq!(combos, 2 * 2 * 5 * 4 * 3);
}

#[test]
fn chunking_invariance_with_compression_on() {
    let (mut client, _) = handshake(
        DeflateServer::default(),
        DeflateOffer::default(),
        Config::default(),
    );
    let msgs = [
        "short".to_string(),
        "compressible text ".repeat(300),
        "κόσμε ".repeat(400),
    ];
    for m in &msgs {
        client.send_text(m).unwrap();
    }
    client.ping(b"p").unwrap();
    let wire = drain_output(&mut client);
    let expected: Vec<Ev> = msgs
        .iter()
        .map(|m| Ev::text(m))
        .chain([Ev::Ping(b"p".to_vec())])
        .collect();
    let params = DeflateParams::from_extensions(client.negotiated().extensions())
        .unwrap()
        .unwrap();
    for chunks in splits(&wire) {
        for delivery in [Delivery::Messages, Delivery::Chunks] {
            let got = receive_with(
                Role::Server,
                params,
                RecvConfig::default(),
                delivery,
                &chunks,
            );
            let got = if delivery == Delivery::Chunks {
                merge_pieces(&got)
            } else {
                got
            };
            assert_eq!(got, expected, "{delivery:?} {}", chunks.len());
        }
    }
    // Every two-way split.
    for cut in (0..wire.len()).step_by(7) {
        let got = receive_with(
            Role::Server,
            params,
            RecvConfig::default(),
            Delivery::Messages,
            &[&wire[..cut], &wire[cut..]],
        );
        assert_eq!(got, expected, "cut at {cut}");
    }
}

#[test]
fn connection_with_deflate_errors_fail_with_the_right_codes() {
    for (wire, code) in [
        ("c1 01 ff", 1007),
        ("c1 03 fa 0f 00", 1007),
        ("41 03 f2 48 cd c0 04 c9 c9 07 00", 1002),
    ] {
        let (mut client, _server) = handshake(
            DeflateServer::default(),
            DeflateOffer::default(),
            Config::default(),
        );
        client.handle_input(&hex(wire));
        let ev = drain_events(&mut client);
        assert!(matches!(ev.last(), Some(Cx::Error(_))), "{ev:?}");
        let out = drain_output(&mut client);
        // A masked Close with the code.
        assert_eq!(out[0], 0x88);
        let mut payload = out[6..].to_vec();
        wswire::frame::apply_mask(&mut payload, MaskKey([1, 2, 3, 4]), 0);
        assert_eq!(u16::from_be_bytes([payload[0], payload[1]]), code, "{wire}");
    }
    // The bomb through a connection.
    let mut config = Config::default();
    config.recv.max_message_size = 64 * 1024;
    let (mut client, _server) =
        handshake(DeflateServer::default(), DeflateOffer::default(), config);
    client.handle_input(&compress_message(
        DataKind::Binary,
        &vec![0; 1 << 20],
        DeflateParams::default(),
    ));
    let ev = drain_events(&mut client);
    assert!(
        matches!(ev.last(), Some(Cx::Error(e)) if e.contains("inflates past")),
        "{ev:?}"
    );
    assert_eq!(client.state(), State::Closed);
}

#[test]
fn opt_out_through_the_connection_and_no_negotiator_means_no_compression() {
    let (mut client, mut server) = handshake(
        DeflateServer::default(),
        DeflateOffer::default(),
        Config::default(),
    );
    let big = "y".repeat(5000);
    server.send_text_with(&big, true, Compression::Off).unwrap();
    let wire = drain_output(&mut server);
    assert_eq!(wire[0], 0x81);
    client.handle_input(&wire);
    assert_eq!(drain_events(&mut client), [Cx::Text(big.clone())]);
    server.send_text(&big).unwrap();
    let wire = drain_output(&mut server);
    assert_eq!(wire[0], 0xc1);
    // Without the negotiators nothing is agreed and nothing compressed.
    let mut pair = common::Pair::open(Config::default());
    pair.server.send_text(&big).unwrap();
    assert_eq!(drain_output(&mut pair.server)[0], 0x81);
}

#[test]
fn agreed_deflate_without_a_codec_fails_with_1011() {
    let mut config = Config::default();
    config.deflate.codec = None;
    let mut sc = ServerConfig::default();
    sc.extension(Box::new(DeflateServer::default()));
    let mut req = ClientRequest::new("example.com", "/").unwrap();
    req.extension(Box::new(DeflateClient::default()));
    let hs = req.start_with_key(SecWebSocketKey::from_nonce(*b"the sample nonce"));
    let mut client = Connection::client_with(hs, Config::default(), FixedMask(MaskKey([1; 4])));
    let mut server = Connection::server(Arc::new(sc), config);
    server.handle_input(&drain_output(&mut client));
    let ev = drain_events(&mut server);
    assert!(
        matches!(ev.last(), Some(Cx::Error(e)) if e.contains("no codec")),
        "{ev:?}"
    );
    let out = drain_output(&mut server);
    assert!(out.ends_with(&hex("88 02 03 f3")), "101 then Close 1011");
    assert!(server.should_close_transport());
}

#[test]
fn a_custom_codec_plugs_in() {
    // The flate2 codec under another name, to show the seam: Codec::new with two fns.
    fn inflater(bits: u8) -> Box<dyn wswire::extensions::deflate::Inflate> {
        Codec::flate2().new_inflater(bits)
    }
    fn deflater(bits: u8, level: u8) -> Option<Box<dyn wswire::extensions::deflate::Deflate>> {
        Codec::flate2().new_deflater(bits, level)
    }
    let codec = Codec::new("wrapped", inflater, deflater);
    assert_ne!(codec, Codec::flate2());
    assert_eq!(codec, codec);
    let mut config = DeflateConfig::default();
    config.codec = Some(codec);
    config.threshold = 0;
    let mut comp = config
        .compressor(&DeflateParams::default(), Role::Server)
        .unwrap();
    let mut tx = Sender::server(SendConfig::default());
    let mut out = Vec::new();
    tx.data_compressed(
        &mut comp,
        DataKind::Text,
        b"Hello",
        true,
        Compression::Auto,
        &mut out,
    )
    .unwrap();
    assert_eq!(out, hex("c1 07 f2 48 cd c9 c9 07 00"));
    let mut rx = Receiver::new(Role::Client, RecvConfig::default());
    rx.set_inflater(
        config
            .inflater(&DeflateParams::default(), Role::Client)
            .unwrap(),
    );
    rx.handle_input(&out);
    assert_eq!(
        rx.poll_event(),
        Some(Ok(Event::Text {
            data: "Hello",
            fin: true
        }))
    );
}
