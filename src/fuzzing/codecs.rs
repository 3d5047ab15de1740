//! Harnesses for the pure codecs.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use crate::error::ProtocolError;
use crate::frame::{
    CloseFrame, Decoded, FrameHeader, LengthRule, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN,
};
use crate::utf8::Utf8Validator;

/// Oracle: a header is accepted or rejected with a documented error and close code 1002;
/// an accepted header re-encodes to exactly the bytes it came from; every prefix of the input
/// is "incomplete" or fails with the same error; the relaxed rule accepts whatever the strict
/// one does. The same input as a Close payload is accepted and round-trips, or fails with
/// 1002/1007.
pub fn frame_header(data: &[u8]) {
    let full = FrameHeader::decode(data);
    match full {
        Ok(Decoded::Complete((h, n))) => {
            assert!((2..=MAX_HEADER_LEN).contains(&n) && n <= data.len());
            let mut out = [0u8; MAX_HEADER_LEN];
            let m = h.encode(&mut out).expect("a decoded header encodes");
            assert_eq!(&out[..m], &data[..n], "re-encoding changed the header");
            assert_eq!(h.encoded_len(), n);
            assert_eq!(
                FrameHeader::decode_with(data, LengthRule::AllowNonMinimal),
                full
            );
        }
        Ok(Decoded::Incomplete { needed }) => {
            assert!(needed >= 1 && data.len() + needed <= MAX_HEADER_LEN);
        }
        Err(e) => assert_eq!(ProtocolError::from(e).close_code().as_u16(), 1002),
    }
    for k in 0..data.len().min(MAX_HEADER_LEN) {
        match (FrameHeader::decode(&data[..k]), full) {
            (Ok(Decoded::Incomplete { needed }), Ok(Decoded::Complete((_, n)))) => {
                assert!(k + needed <= n, "needed overshoots the header");
            }
            (prefix @ Ok(Decoded::Complete((_, n))), Ok(Decoded::Complete((_, m)))) => {
                assert!(
                    k >= n && n == m && prefix == full,
                    "a prefix decoded differently"
                );
            }
            (Ok(Decoded::Incomplete { .. }), Err(_) | Ok(Decoded::Incomplete { .. })) => {}
            (Err(a), Err(b)) => assert_eq!(a, b, "a prefix failed differently"),
            (p, f) => panic!("prefix {k}: {p:?} but whole input: {f:?}"),
        }
    }
    let close = &data[..data.len().min(MAX_CONTROL_PAYLOAD)];
    match CloseFrame::decode(close) {
        Ok(None) => assert!(close.is_empty()),
        Ok(Some(f)) => {
            let mut out = [0u8; MAX_CONTROL_PAYLOAD];
            let n = f.encode(&mut out).expect("a decoded close frame encodes");
            assert_eq!(&out[..n], close);
        }
        Err(e) => assert!(matches!(
            ProtocolError::from(e).close_code().as_u16(),
            1002 | 1007
        )),
    }
}

/// Oracle: the first byte picks chunk sizes; the validator fed the rest in those chunks agrees
/// with `core::str::from_utf8` on the whole input, including where it fails.
pub fn utf8(data: &[u8]) {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let expected = core::str::from_utf8(input);
    let mut v = Utf8Validator::new();
    let mut rest = input;
    let mut step = usize::from(seed % 7) + 1;
    let mut result = Ok(());
    while !rest.is_empty() {
        let (a, b) = rest.split_at(step.min(rest.len()));
        rest = b;
        step = step * 5 % 11 + 1;
        result = v.feed(a);
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = v.finish();
    }
    match (expected, result) {
        (Ok(_), Ok(())) => {}
        (Err(e), Err(got)) => {
            assert_eq!(got.valid_up_to(), e.valid_up_to() as u64);
            assert_eq!(ProtocolError::from(got).close_code().as_u16(), 1007);
        }
        (e, g) => panic!("validator disagrees with core: {e:?} vs {g:?}"),
    }
}

/// [`crate::frame::apply_mask`] forced onto the portable (baseline-vector) path, for the
/// benchmarks that show what the wide path buys.
pub fn apply_mask_portable(buf: &mut [u8], key: crate::frame::MaskKey, offset: usize) {
    crate::frame::mask::portable::apply(buf, &key.rotated(offset));
}

/// [`crate::frame::copy_masked`] forced onto the portable path; equal lengths only.
pub fn copy_masked_portable(dst: &mut [u8], src: &[u8], key: crate::frame::MaskKey) {
    let n = dst.len().min(src.len());
    crate::frame::mask::portable::copy(&mut dst[..n], &src[..n], &key.rotated(0));
}
