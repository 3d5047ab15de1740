//! Frame header decoding and encoding (RFC 6455 §5.2, §5.7): every vector decoded whole, one
//! byte at a time, and with trailing bytes.

mod common;

use common::hex;
use wswire::ProtocolError;
use wswire::frame::{
    Decoded, FrameError, FrameHeader, LengthRule, MAX_HEADER_LEN, MaskKey, Opcode, Rsv,
};

type Outcome = Result<(FrameHeader, usize), FrameError>;

/// Decodes `bytes` three ways and checks they agree: whole, growing one byte at a time,
/// and with trailing garbage after the header.
fn decode3(bytes: &[u8]) -> Outcome {
    let whole = match FrameHeader::decode(bytes) {
        Ok(Decoded::Complete(x)) => Ok(x),
        Err(e) => Err(e),
        Ok(Decoded::Incomplete { needed }) => panic!("{bytes:02x?} incomplete, needs {needed}"),
    };
    // One byte at a time: every shorter prefix is Incomplete with a truthful `needed`, or the
    // same error as the whole input (errors are decided as early as possible).
    for k in 0..bytes.len() {
        match (FrameHeader::decode(&bytes[..k]), &whole) {
            (Ok(Decoded::Incomplete { needed }), Ok((_, n))) => assert!(k + needed <= *n),
            (Ok(Decoded::Incomplete { .. }), Err(_)) => {}
            (Err(e), Err(w)) => assert_eq!(&e, w),
            (Ok(Decoded::Complete(x)), Ok(w)) => assert_eq!(&x, w),
            (got, w) => panic!("prefix {k} of {bytes:02x?}: {got:?} vs {w:?}"),
        }
    }
    let mut trailing = bytes.to_vec();
    trailing.extend_from_slice(&[0xff; 20]);
    match (FrameHeader::decode(&trailing), &whole) {
        (Ok(Decoded::Complete(x)), Ok(w)) => assert_eq!(&x, w),
        (Err(e), Err(w)) => assert_eq!(&e, w),
        (got, w) => panic!("with trailing bytes {bytes:02x?}: {got:?} vs {w:?}"),
    }
    whole
}

fn ok(bytes: &str) -> (FrameHeader, usize) {
    decode3(&hex(bytes)).unwrap_or_else(|e| panic!("{bytes}: {e}"))
}

fn err(bytes: &str) -> FrameError {
    decode3(&hex(bytes)).expect_err(bytes)
}

#[test]
fn rfc6455_section_5_7_examples() {
    let (h, n) = ok("81 05");
    assert_eq!(
        (h.fin, h.opcode, h.mask, h.payload_len, n),
        (true, Opcode::Text, None, 5, 2)
    );
    let (h, n) = ok("81 85 37 fa 21 3d");
    assert_eq!(
        (h.mask, h.payload_len, n),
        (Some(MaskKey([0x37, 0xfa, 0x21, 0x3d])), 5, 6)
    );
    let (h, _) = ok("01 03");
    assert_eq!((h.fin, h.opcode, h.payload_len), (false, Opcode::Text, 3));
    let (h, _) = ok("80 02");
    assert_eq!(
        (h.fin, h.opcode, h.payload_len),
        (true, Opcode::Continuation, 2)
    );
    let (h, _) = ok("89 05");
    assert_eq!((h.opcode, h.payload_len), (Opcode::Ping, 5));
    let (h, _) = ok("8a 85 37 fa 21 3d");
    assert_eq!((h.opcode, h.payload_len), (Opcode::Pong, 5));
    let (h, n) = ok("82 7e 01 00");
    assert_eq!((h.opcode, h.payload_len, n), (Opcode::Binary, 256, 4));
    let (h, n) = ok("82 7f 00 00 00 00 00 01 00 00");
    assert_eq!((h.payload_len, n), (65536, 10));
}

#[test]
fn length_boundaries() {
    for (bytes, len) in [
        ("82 00", 0u64),
        ("82 7d", 125),
        ("82 7e 00 7e", 126),
        ("82 7e 00 7f", 127),
        ("82 7e ff ff", 65535),
        ("82 7f 00 00 00 00 00 01 00 00", 65536),
        ("82 7f 7f ff ff ff ff ff ff ff", (1 << 63) - 1),
    ] {
        assert_eq!(ok(bytes).0.payload_len, len, "{bytes}");
        // Encoding gives back the same (minimal) bytes, masked or not.
        let (h, n) = ok(bytes);
        let mut out = [0; MAX_HEADER_LEN];
        let m = h.encode(&mut out).unwrap();
        assert_eq!(&out[..m], &hex(bytes)[..n]);
        let masked = FrameHeader {
            mask: Some(MaskKey([1, 2, 3, 4])),
            ..h
        };
        let m = masked.encode(&mut out).unwrap();
        assert_eq!(m, n + 4);
        assert_eq!(decode3(&out[..m]), Ok((masked, m)));
    }
}

#[test]
fn reserved_opcodes_fail_with_1002() {
    for op in [3u8, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf] {
        let e = decode3(&[0x80 | op, 0x00]).unwrap_err();
        assert_eq!(e, FrameError::ReservedOpcode(op));
        assert_eq!(ProtocolError::from(e).close_code().as_u16(), 1002);
    }
}

#[test]
fn control_frame_rules() {
    // Control frames without FIN (RFC 6455 §5.5: control frames must not be fragmented).
    for b in ["09 00", "0a 00", "08 00"] {
        assert_eq!(err(b), FrameError::FragmentedControlFrame, "{b}");
    }
    // Control frames longer than 125, or in the 16-bit form even when ≤ 125.
    assert_eq!(err("89 7e 00 7e"), FrameError::ControlFrameTooLong);
    assert_eq!(err("89 7e 00 7d"), FrameError::ControlFrameTooLong);
    assert_eq!(err("88 7e 00 7d"), FrameError::ControlFrameTooLong);
    assert_eq!(
        err("8a 7f 00 00 00 00 00 00 00 05"),
        FrameError::ControlFrameTooLong
    );
    assert_eq!(ok("89 7d").0.payload_len, 125);
}

#[test]
fn length_encoding_rules() {
    // Non-minimal encodings are refused by default...
    for b in [
        "81 7e 00 40",
        "81 7e 00 7d",
        "81 7e 00 00",
        "81 7f 00 00 00 00 00 00 02 00",
        "81 7f 00 00 00 00 00 00 00 40",
        "81 7f 00 00 00 00 00 00 ff ff",
    ] {
        assert_eq!(err(b), FrameError::NonMinimalLength, "{b}");
        assert_eq!(ProtocolError::from(err(b)).close_code().as_u16(), 1002);
        // ...and accepted under the named relaxation.
        let relaxed = FrameHeader::decode_with(&hex(b), LengthRule::AllowNonMinimal);
        assert!(matches!(relaxed, Ok(Decoded::Complete(_))), "{b}");
    }
    // The 64-bit length's top bit, decided on the first length byte.
    assert_eq!(
        err("81 7f 80 00 00 00 00 00 00 00"),
        FrameError::LengthMsbSet
    );
    assert_eq!(
        err("81 7f 80 80 80 80 80 80 80 80"),
        FrameError::LengthMsbSet
    );
    assert_eq!(
        FrameHeader::decode(&hex("81 7f 80")),
        Err(FrameError::LengthMsbSet)
    );
    // Lengths are big-endian.
    assert_eq!(ok("82 7e 01 00").0.payload_len, 256);
}

#[test]
fn invalid_first_bytes_fail_before_the_rest_arrives() {
    // Invalid first two bytes fail at once, even if the rest of the header never arrives.
    assert_eq!(
        FrameHeader::decode(&hex("83 7e")),
        Err(FrameError::ReservedOpcode(3))
    );
    assert_eq!(
        FrameHeader::decode(&hex("09")),
        Err(FrameError::FragmentedControlFrame)
    );
}

#[test]
fn rsv_bits_are_reported_not_judged() {
    // Whether RSV bits are allowed depends on negotiated extensions: the receiver decides.
    let (h, _) = ok("c1 00");
    assert!(h.rsv.contains(Rsv::RSV1) && !h.rsv.contains(Rsv::RSV2));
    let (h, _) = ok("f1 00");
    assert_eq!(h.rsv, Rsv::RSV1.union(Rsv::RSV2).union(Rsv::RSV3));
}

#[test]
fn every_valid_two_byte_prefix_round_trips() {
    for b0 in 0..=255u8 {
        for b1 in 0..=255u8 {
            let bytes = [b0, b1, 0x01, 0x00, 0, 0, 0, 0, 0x01, 0x00, 9, 8, 7, 6];
            if let Ok(Decoded::Complete((h, n))) = FrameHeader::decode(&bytes) {
                let mut out = [0; MAX_HEADER_LEN];
                assert_eq!(h.encode(&mut out), Ok(n));
                assert_eq!(out[..n], bytes[..n]);
            }
        }
    }
}
