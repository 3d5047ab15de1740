//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

/// Parses a hex string with optional spaces and `|` separators, e.g. `"81 05 48 65"`.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    assert!(digits.len().is_multiple_of(2), "odd hex string {s:?}");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(core::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}
