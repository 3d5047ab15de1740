//! Close codes and close payloads (RFC 6455 §5.5.1, §7.4).

mod common;

use common::hex;
use wswire::frame::{CloseCode, CloseEncodeError, CloseError, CloseFrame, MAX_CONTROL_PAYLOAD};
use wswire::{ProtocolError, UsageError};

fn decode(payload: &str) -> Result<Option<(u16, String)>, CloseError> {
    let bytes = hex(payload);
    CloseFrame::decode(&bytes).map(|f| f.map(|f| (f.code.as_u16(), f.reason.to_owned())))
}

#[test]
fn empty_payload_has_no_status() {
    assert_eq!(decode(""), Ok(None));
}

#[test]
fn one_byte_payload_is_a_protocol_error() {
    for p in ["03", "0e"] {
        let e = decode(p).unwrap_err();
        assert_eq!(e, CloseError::PayloadTooShort);
        assert_eq!(
            ProtocolError::from(e).close_code(),
            CloseCode::PROTOCOL_ERROR
        );
    }
}

#[test]
fn valid_codes_are_accepted() {
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ] {
        let p = code.to_be_bytes();
        assert_eq!(CloseFrame::decode(&p).unwrap().unwrap().code.as_u16(), code);
    }
    assert_eq!(decode("03 e8 44 4f 4e 45"), Ok(Some((1000, "DONE".into()))));
}

#[test]
fn invalid_codes_fail_with_1002() {
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535, 123, 2998,
    ] {
        let e = CloseFrame::decode(&code.to_be_bytes()).unwrap_err();
        assert_eq!(e, CloseError::InvalidCode(code));
        assert_eq!(ProtocolError::from(e).close_code().as_u16(), 1002);
    }
}

#[test]
fn invalid_reasons_fail_with_1007() {
    for p in [
        "03 ef ce ba e1 bd",
        "03 e8 ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64",
        "03 e8 66 c3 b1 c3 b8 72 e2 88",
    ] {
        let e = decode(p).unwrap_err();
        assert!(matches!(e, CloseError::InvalidReason(_)), "{p}");
        assert_eq!(ProtocolError::from(e).close_code().as_u16(), 1007, "{p}");
    }
}

#[test]
fn code_is_checked_before_reason() {
    // Invalid code and invalid reason together → 1002: the code is checked first, as Node's ws
    // and Python's wsproto do.
    assert_eq!(decode("03 ec ff ff"), Err(CloseError::InvalidCode(1004)));
}

#[test]
fn reason_of_123_bytes_is_the_longest() {
    let mut p = vec![0x03, 0xe8];
    p.extend_from_slice(&[b'*'; 123]);
    assert_eq!(CloseFrame::decode(&p).unwrap().unwrap().reason.len(), 123);
    p.push(b'*');
    assert_eq!(CloseFrame::decode(&p), Err(CloseError::PayloadTooLong));
}

#[test]
fn encoding_matches_the_expected_bytes() {
    let mut out = [0u8; MAX_CONTROL_PAYLOAD];
    let cases: [(u16, &str, &str); 3] = [
        (1000, "", "03 e8"),
        (
            1000,
            "some reason",
            "03 e8 73 6f 6d 65 20 72 65 61 73 6f 6e",
        ),
        (1000, "fñør∂", "03 e8 66 c3 b1 c3 b8 72 e2 88 82"),
    ];
    for (code, reason, bytes) in cases {
        let f = CloseFrame {
            code: CloseCode::from_u16(code),
            reason,
        };
        let n = f.encode(&mut out).unwrap();
        assert_eq!(out[..n], hex(bytes)[..]);
    }
}

#[test]
fn encoding_refuses_caller_misuse() {
    let mut out = [0u8; MAX_CONTROL_PAYLOAD];
    let long = "a".repeat(124);
    let e = CloseFrame {
        code: CloseCode::NORMAL,
        reason: &long,
    }
    .encode(&mut out)
    .unwrap_err();
    assert_eq!(e, CloseEncodeError::ReasonTooLong { len: 124 });
    assert_eq!(
        UsageError::from(e),
        UsageError::CloseReasonTooLong { len: 124 }
    );
    for c in [999u16, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        let code = CloseCode::from_u16(c);
        let e = CloseFrame { code, reason: "" }
            .encode(&mut out)
            .unwrap_err();
        assert_eq!(e, CloseEncodeError::UnsendableCode(code));
        assert_eq!(UsageError::from(e), UsageError::UnsendableCloseCode(code));
    }
}
