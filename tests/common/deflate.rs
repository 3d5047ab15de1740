//! permessage-deflate helpers shared by `tests/deflate.rs`, `tests/deflate_send.rs` and
//! `tests/deflate_connections.rs`.

use wswire::Role;
use wswire::extensions::deflate::{DeflateConfig, DeflateParams};
use wswire::recv::{Delivery, Receiver, RecvConfig};
use wswire::send::{Compression, DataKind, SendConfig, Sender};

use super::{Ev, merge_pieces, splits};

/// A receiver of `role` that inflates under `params` (the default codec).
pub fn inflating_receiver(
    role: Role,
    params: DeflateParams,
    config: RecvConfig,
    delivery: Delivery,
) -> Receiver {
    let mut rx = Receiver::with_delivery(role, config, delivery);
    rx.set_inflater(DeflateConfig::default().inflater(&params, role).unwrap());
    rx
}

/// Feeds `chunks` to a deflate-enabled receiver; records events and the failure code.
pub fn receive_with(
    role: Role,
    params: DeflateParams,
    config: RecvConfig,
    delivery: Delivery,
    chunks: &[&[u8]],
) -> Vec<Ev> {
    let mut rx = inflating_receiver(role, params, config, delivery);
    let mut out = Vec::new();
    for chunk in chunks {
        rx.handle_input(chunk);
        while let Some(r) = rx.poll_event() {
            assert!(
                !matches!(out.last(), Some(Ev::Fail(_))),
                "event after failure"
            );
            match r {
                Ok(e) => out.push(Ev::from_event(&e)),
                Err(e) => out.push(Ev::Fail(e.close_code().as_u16())),
            }
        }
    }
    out
}

/// Compresses `data` as one message with our own sender (server role, unmasked).
pub fn compress_message(kind: DataKind, data: &[u8], params: DeflateParams) -> Vec<u8> {
    let mut c = DeflateConfig::default();
    c.threshold = 0;
    let mut comp = c.compressor(&params, Role::Server).unwrap();
    let mut tx = Sender::server(SendConfig::default());
    let mut out = Vec::new();
    tx.data_compressed(&mut comp, kind, data, true, Compression::Auto, &mut out)
        .unwrap();
    out
}

/// Every split of `wire` and both delivery modes give the same messages (pieces merged).
pub fn check(params: DeflateParams, config: RecvConfig, wire: &[u8], expected: &[Ev]) {
    for chunks in splits(wire) {
        for delivery in [Delivery::Messages, Delivery::Chunks] {
            let got = receive_with(Role::Client, params, config, delivery, &chunks);
            let got = if delivery == Delivery::Chunks {
                merge_pieces(&got)
            } else {
                got
            };
            assert_eq!(got, expected, "{delivery:?}, {} chunks", chunks.len());
        }
    }
}
