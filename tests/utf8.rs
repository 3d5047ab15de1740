//! UTF-8 validation (RFC 6455 §8.1; Autobahn 6.x): fail-fast, chunked.

mod common;

use common::hex;
use wswire::ProtocolError;
use wswire::utf8::Utf8Validator;

/// Feeds `bytes` one byte at a time and returns the index of the byte at which it failed, or
/// `None` if it was valid to the end (including `finish`).
fn fail_index_bytewise(bytes: &[u8]) -> Option<usize> {
    let mut v = Utf8Validator::new();
    for (i, b) in bytes.iter().enumerate() {
        if v.feed(core::slice::from_ref(b)).is_err() {
            return Some(i);
        }
    }
    v.finish().err().map(|_| bytes.len())
}

#[test]
fn kuhn_invalid_sequences_fail() {
    for s in [
        "80",
        "bf",
        "80 bf 80",
        "c0 20",
        "fe",
        "ff",
        "fe fe ff ff",
        "c0 af",
        "e0 80 af",
        "f0 80 80 af",
        "f8 80 80 80 af",
        "fc 80 80 80 80 af",
        "c1 bf",
        "e0 9f bf",
        "f0 8f bf bf",
        "c0 80",
        "e0 80 80",
        "f0 80 80 80",
        "ed a0 80",
        "ed ad bf",
        "ed ae 80",
        "ed af bf",
        "ed b0 80",
        "ed be 80",
        "ed bf bf",
        "ed a0 80 ed b0 80",
        "f4 90 80 80",
        "f5 80 80 80",
        "f7 bf bf bf",
        "f8 88 80 80 80",
        "fc 84 80 80 80 80",
        "c2 41",
        "e1 80 41",
    ] {
        let bytes = hex(s);
        let mut v = Utf8Validator::new();
        let whole = v.feed(&bytes).and_then(|()| v.finish());
        let e = whole.expect_err(s);
        assert_eq!(ProtocolError::from(e).close_code().as_u16(), 1007);
        assert!(fail_index_bytewise(&bytes).is_some(), "{s}");
    }
}

#[test]
fn boundary_sequences_are_valid() {
    for s in [
        "00",
        "7f",
        "c2 80",
        "df bf",
        "e0 a0 80",
        "ed 9f bf",
        "ee 80 80",
        "ef bf bd",
        "ef bf be",
        "ef bf bf",
        "f0 90 80 80",
        "f4 8f bf bf",
        "e2 82 ac f0 90 8c 88 24",
        "68 65 6c 6c 6f f0 a4 ad a2 77 6f 72 6c 64",
        "ef bb bf",
    ] {
        assert_eq!(fail_index_bytewise(&hex(s)), None, "{s}");
    }
}

#[test]
fn fails_at_the_earliest_impossible_byte() {
    // Each second byte is already impossible after its lead (overlong, surrogate or above
    // U+10FFFF), as Autobahn's incremental checks expect.
    for (lead, bad) in [
        (0xe0u8, 0x80u8..=0x9f),
        (0xed, 0xa0..=0xbf),
        (0xf0, 0x80..=0x8f),
        (0xf4, 0x90..=0xbf),
    ] {
        for b in bad {
            assert_eq!(fail_index_bytewise(&[lead, b]), Some(1), "{lead:x} {b:x}");
        }
    }
    for lead in [0xc0u8, 0xc1, 0xf5, 0xf8, 0xff] {
        assert_eq!(fail_index_bytewise(&[lead]), Some(0), "{lead:x}");
    }
    // Autobahn 6.4.x: "κόσμε" then F4 90 fails on the 0x90, before the message ends.
    let mut s = hex("ce ba e1 bd b9 cf 83 ce bc ce b5");
    s.extend_from_slice(&[0xf4, 0x90, 0x80, 0x80]);
    assert_eq!(fail_index_bytewise(&s), Some(12));
    // "edited" then ED fails only when the A0 arrives.
    assert_eq!(fail_index_bytewise(b"edited\xed\xa0\x80"), Some(7));
}

#[test]
fn truncated_input_fails_only_at_finish() {
    let mut v = Utf8Validator::new();
    v.feed(&hex("ce ba e1 bd")).unwrap();
    assert_eq!(v.pending(), 2);
    let e = v.finish().unwrap_err();
    assert!(e.is_truncated());
    assert_eq!(e.valid_up_to(), 2);
}

#[test]
fn code_points_split_anywhere_are_valid() {
    let text = "Hello-µ@ßöäüàá-UTF-8!! κόσμε 🦀";
    assert_eq!(fail_index_bytewise(text.as_bytes()), None);
}
