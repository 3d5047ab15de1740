//! Property tests of the receiver and sender together:
//! (a) any sequence of messages sent by `Sender` is read back identically by `Receiver`, for
//!     both roles, with random fragmentation and pings interleaved;
//! (b) chunking invariance: any split of a byte stream, valid or not, gives the same events
//!     and the same error at the same point;
//! (c) streamed pieces and whole messages agree.

mod common;

use common::{Ev, decode_chunks, merge_pieces, receive, split_at};
use proptest::prelude::*;
use wswire::Role;
use wswire::frame::MaskKey;
use wswire::recv::{Delivery, RecvConfig};
use wswire::send::{FixedMask, SendConfig, Sender};

#[derive(Clone, Debug)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
}

#[derive(Clone, Debug)]
struct Plan {
    msg: Msg,
    /// Explicit pieces: cut points into the payload (each piece sent with fin = false but the
    /// last), and a ping after each piece when the flag is set.
    cuts: Vec<usize>,
    pings: bool,
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0usize..200, 2 => 120usize..140, 1 => 65_530usize..65_540, 1 => 0usize..=70_000]
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        size()
            .prop_flat_map(|n| proptest::collection::vec(any::<u8>(), n))
            .prop_map(Msg::Binary),
        (size(), any::<String>()).prop_map(|(n, seed)| {
            // A long string mixing the random seed's characters with ASCII.
            let mut s = String::new();
            let chars: Vec<char> = seed.chars().chain("aκ€🦀".chars()).collect();
            let mut i = 0;
            while s.len() < n {
                s.push(chars[i % chars.len()]);
                i += 1;
            }
            Msg::Text(s)
        }),
    ]
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        msg(),
        proptest::collection::vec(any::<usize>(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(msg, cuts, pings)| Plan { msg, cuts, pings })
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Sends the plans with a sender of `role` and returns the bytes and the events a receiver
/// must report.
fn send_all(role: Role, frame_size: Option<usize>, plans: &[Plan]) -> (Vec<u8>, Vec<Ev>) {
    let mut config = SendConfig::default();
    config.max_frame_payload = frame_size;
    let mut out = Vec::new();
    let mut expected = Vec::new();
    let mut server = Sender::server(config);
    let mut client = Sender::client_with(config, FixedMask(MaskKey([0x9a, 0x01, 0xfe, 0x33])));
    for (i, p) in plans.iter().enumerate() {
        let len = match &p.msg {
            Msg::Text(s) => s.len(),
            Msg::Binary(b) => b.len(),
        };
        let mut cuts: Vec<usize> = p.cuts.iter().map(|c| c % (len + 1)).collect();
        cuts.sort_unstable();
        cuts.push(len);
        let mut at = 0;
        for (k, &cut) in cuts.iter().enumerate() {
            let fin = k + 1 == cuts.len();
            match &p.msg {
                Msg::Text(s) => {
                    let end = if fin {
                        len
                    } else {
                        floor_boundary(s, cut).max(at)
                    };
                    let piece = &s[at..end];
                    at = end;
                    match role {
                        Role::Server => server.text(piece, fin, &mut out).unwrap(),
                        Role::Client => client.text(piece, fin, &mut out).unwrap(),
                    }
                }
                Msg::Binary(b) => {
                    let end = cut.max(at);
                    let piece = &b[at..end];
                    at = end;
                    match role {
                        Role::Server => server.binary(piece, fin, &mut out).unwrap(),
                        Role::Client => client.binary(piece, fin, &mut out).unwrap(),
                    }
                }
            }
            if p.pings && !fin {
                let payload = [i as u8, k as u8];
                match role {
                    Role::Server => server.ping(&payload, &mut out).unwrap(),
                    Role::Client => client.ping(&payload, &mut out).unwrap(),
                }
                expected.push(Ev::Ping(payload.to_vec()));
            }
        }
        expected.push(match &p.msg {
            Msg::Text(s) => Ev::Text(s.clone(), true),
            Msg::Binary(b) => Ev::Binary(b.clone(), true),
        });
    }
    (out, expected)
}

fn peer(role: Role) -> Role {
    match role {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    }
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Client), Just(Role::Server)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn a_sent_messages_come_back_identical(
        role in role(),
        frame_size in proptest::option::of(1usize..3000),
        plans in proptest::collection::vec(plan(), 0..6),
        cuts in proptest::collection::vec(any::<usize>(), 0..5),
    ) {
        let (bytes, expected) = send_all(role, frame_size, &plans);
        let chunks = split_at(&bytes, &cuts);
        let got = receive(peer(role), RecvConfig::default(), Delivery::Messages, &chunks);
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn b_any_split_gives_the_same_events_and_error(
        role in role(),
        plans in proptest::collection::vec(plan(), 1..4),
        corrupt in proptest::option::of((any::<usize>(), any::<u8>())),
        truncate in proptest::option::of(any::<usize>()),
        cuts in proptest::collection::vec(any::<usize>(), 1..8),
    ) {
        let (mut bytes, _) = send_all(role, Some(50), &plans);
        if let Some((at, x)) = corrupt {
            let i = at % bytes.len().max(1);
            if let Some(b) = bytes.get_mut(i) { *b ^= x; }
        }
        if let Some(t) = truncate {
            bytes.truncate(t % (bytes.len() + 1));
        }
        let me = peer(role);
        let cfg = RecvConfig::default();
        let whole = receive(me, cfg, Delivery::Messages, &[&bytes]);
        let chunks = split_at(&bytes, &cuts);
        prop_assert_eq!(&receive(me, cfg, Delivery::Messages, &chunks), &whole);
        prop_assert_eq!(&merge_pieces(&receive(me, cfg, Delivery::Chunks, &chunks)), &whole);
        prop_assert_eq!(&merge_pieces(&decode_chunks(me, cfg, &chunks)), &whole);
    }

    #[test]
    fn b_arbitrary_bytes_split_anywhere_agree(
        role in role(),
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 1..8),
    ) {
        let cfg = RecvConfig::default();
        let whole = receive(role, cfg, Delivery::Messages, &[&bytes]);
        let chunks = split_at(&bytes, &cuts);
        prop_assert_eq!(&receive(role, cfg, Delivery::Messages, &chunks), &whole);
        prop_assert_eq!(&merge_pieces(&decode_chunks(role, cfg, &chunks)), &whole);
    }

    #[test]
    fn c_streamed_pieces_agree_with_whole_messages(
        role in role(),
        plans in proptest::collection::vec(plan(), 1..5),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let (bytes, _) = send_all(role, Some(700), &plans);
        let chunks = split_at(&bytes, &cuts);
        let me = peer(role);
        let pieces = receive(me, RecvConfig::default(), Delivery::Chunks, &chunks);
        // Every text piece is whole code points; pieces concatenate to the messages.
        prop_assert_eq!(merge_pieces(&pieces), receive(me, RecvConfig::default(), Delivery::Messages, &chunks));
    }
}
