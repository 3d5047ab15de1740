//! Property tests for the pure codecs.

mod common;

use common::split_at;
use proptest::prelude::*;
use wswire::frame::{
    Decoded, FrameHeader, MAX_HEADER_LEN, MaskKey, Opcode, Rsv, apply_mask, copy_masked,
};
use wswire::utf8::Utf8Validator;

fn opcode() -> impl Strategy<Value = Opcode> {
    prop_oneof![
        Just(Opcode::Continuation),
        Just(Opcode::Text),
        Just(Opcode::Binary),
        Just(Opcode::Close),
        Just(Opcode::Ping),
        Just(Opcode::Pong),
    ]
}

fn payload_len() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..=125,
        126u64..=0xFFFF,
        0x1_0000u64..(1 << 63),
        Just((1u64 << 63) - 1)
    ]
}

/// Every header RFC 6455 allows.
fn valid_header() -> impl Strategy<Value = FrameHeader> {
    (
        opcode(),
        any::<bool>(),
        0u8..8,
        proptest::option::of(any::<[u8; 4]>()),
        payload_len(),
    )
        .prop_map(|(opcode, fin, rsv, mask, len)| FrameHeader {
            fin: fin || opcode.is_control(),
            rsv: Rsv::from_bits(rsv << 4),
            opcode,
            mask: mask.map(MaskKey),
            payload_len: if opcode.is_control() { len % 126 } else { len },
        })
}

fn bytewise(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b ^= key[(offset + i) % 4];
    }
}

proptest! {
    #[test]
    fn header_encode_decode_round_trip(h in valid_header(), trailing in any::<Vec<u8>>()) {
        let mut out = [0u8; MAX_HEADER_LEN];
        let n = h.encode(&mut out).unwrap();
        prop_assert_eq!(n, h.encoded_len());
        let mut wire = out[..n].to_vec();
        wire.extend_from_slice(&trailing);
        prop_assert_eq!(FrameHeader::decode(&wire), Ok(Decoded::Complete((h, n))));
        for k in 0..n {
            let is_incomplete = matches!(FrameHeader::decode(&wire[..k]), Ok(Decoded::Incomplete { .. }));
            prop_assert!(is_incomplete);
        }
    }

    #[test]
    fn masking_equals_bytewise_xor_and_is_an_involution(
        data in proptest::collection::vec(any::<u8>(), 0..=300),
        key in any::<[u8; 4]>(),
        offset in 0usize..64,
        start in 0usize..8,
    ) {
        let start = start.min(data.len());
        let mut expected = data.clone();
        bytewise(&mut expected[start..], key, offset);
        let mut got = data.clone();
        apply_mask(&mut got[start..], MaskKey(key), offset);
        prop_assert_eq!(&got, &expected);
        apply_mask(&mut got[start..], MaskKey(key), offset);
        prop_assert_eq!(&got, &data);
        let mut copied = vec![0u8; data.len() - start];
        prop_assert_eq!(copy_masked(&mut copied, &data[start..], MaskKey(key), offset), copied.len());
        prop_assert_eq!(&copied[..], &expected[start..]);
    }

    #[test]
    fn masking_in_pieces_equals_masking_whole(
        data in proptest::collection::vec(any::<u8>(), 0..=300),
        key in any::<[u8; 4]>(),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let mut whole = data.clone();
        apply_mask(&mut whole, MaskKey(key), 0);
        let mut pieces = Vec::new();
        for piece in split_at(&data, &cuts) {
            let mut p = piece.to_vec();
            apply_mask(&mut p, MaskKey(key), pieces.len());
            pieces.extend_from_slice(&p);
        }
        prop_assert_eq!(pieces, whole);
    }

    #[test]
    fn utf8_validator_agrees_with_core_under_any_chunking(
        data in prop_oneof![
            any::<String>().prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..64),
            (any::<String>(), any::<u8>(), any::<String>())
                .prop_map(|(a, b, c)| [a.as_bytes(), &[b], c.as_bytes()].concat()),
        ],
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let expected = core::str::from_utf8(&data);
        let mut v = Utf8Validator::new();
        let mut result = Ok(());
        for piece in split_at(&data, &cuts) {
            result = v.feed(piece);
            if result.is_err() { break; }
        }
        if result.is_ok() { result = v.finish(); }
        match (expected, result) {
            (Ok(_), Ok(())) => {}
            (Err(e), Err(got)) => {
                prop_assert_eq!(got.valid_up_to(), e.valid_up_to() as u64);
                prop_assert_eq!(got.is_truncated(), e.error_len().is_none());
            }
            (e, g) => prop_assert!(false, "core says {:?}, validator says {:?}", e, g),
        }
    }
}
