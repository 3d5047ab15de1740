//! Decode and encode the 2–14 byte frame header (RFC 6455 §5.2).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! ```
//!
//! [`FrameHeader::decode`] never panics and never allocates. A short buffer is the status
//! [`Decoded::Incomplete`], not an error; everything that can be decided from the bytes
//! present is decided at once (an invalid first byte fails before the second arrives).

use core::fmt;

use super::mask::MaskKey;
use super::{MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, Opcode};

/// The outcome of decoding from a buffer that may hold only part of the input.
///
/// Not `#[non_exhaustive]`: there is no third outcome (httparse's `Status` has the same shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded<T> {
    /// Decoding finished.
    Complete(T),
    /// At least `needed` more bytes are required before anything more can be said.
    Incomplete {
        /// The smallest number of further bytes that can change the outcome (≥ 1).
        needed: usize,
    },
}

/// Which payload-length encodings the decoder accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LengthRule {
    /// Only the minimal encoding, as RFC 6455 §5.2 requires of senders ("the minimal number of
    /// bytes MUST be used to encode the length"); anything else is
    /// [`FrameError::NonMinimalLength`]. The default.
    #[default]
    Minimal,
    /// Also accept a 16-bit length below 126 and a 64-bit length below 65536, as Node's `ws`
    /// and Python's `websockets` do. Control frames must still use the 7-bit form.
    AllowNonMinimal,
}

/// The reserved bits RSV1–RSV3, kept in their wire positions (`0x40`, `0x20`, `0x10`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rsv(u8);

impl Rsv {
    /// No reserved bit set.
    pub const NONE: Self = Self(0);
    /// RSV1 (`0x40`), used by permessage-deflate (RFC 7692 §6).
    pub const RSV1: Self = Self(0x40);
    /// RSV2 (`0x20`).
    pub const RSV2: Self = Self(0x20);
    /// RSV3 (`0x10`).
    pub const RSV3: Self = Self(0x10);

    /// The bits of the first header byte that are reserved bits; all others are ignored.
    #[inline]
    pub const fn from_bits(byte: u8) -> Self {
        Self(byte & 0x70)
    }

    /// The bits in their wire positions.
    #[inline]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether no reserved bit is set.
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `other` is set in `self`.
    #[inline]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of both sets.
    #[inline]
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// A decoded frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// FIN: this is the final fragment of a message.
    pub fin: bool,
    /// RSV1–RSV3.
    pub rsv: Rsv,
    /// The opcode.
    pub opcode: Opcode,
    /// The masking key, when the MASK bit is set.
    pub mask: Option<MaskKey>,
    /// The payload length in bytes (always < 2^63).
    pub payload_len: u64,
}

/// A frame header the peer sent that RFC 6455 forbids. Every variant maps to close code 1002:
/// it converts into [`ProtocolError`](crate::ProtocolError), whose
/// [`close_code`](crate::ProtocolError::close_code) decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FrameError {
    /// A reserved opcode (`0x3`–`0x7`, `0xB`–`0xF`); RFC 6455 §5.2.
    ReservedOpcode(u8),
    /// A control frame without FIN; RFC 6455 §5.5 ("control frames MUST NOT be fragmented").
    FragmentedControlFrame,
    /// A control frame announcing more than 125 bytes, or using the 16/64-bit length form;
    /// RFC 6455 §5.5.
    ControlFrameTooLong,
    /// A 64-bit length with the most significant bit set; RFC 6455 §5.2.
    LengthMsbSet,
    /// A length not in its minimal encoding; RFC 6455 §5.2. Allowed by
    /// [`LengthRule::AllowNonMinimal`].
    NonMinimalLength,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            Self::FragmentedControlFrame => f.write_str("control frame without FIN"),
            Self::ControlFrameTooLong => f.write_str("control frame payload longer than 125 bytes"),
            Self::LengthMsbSet => f.write_str("64-bit payload length with the top bit set"),
            Self::NonMinimalLength => f.write_str("payload length not minimally encoded"),
        }
    }
}

impl core::error::Error for FrameError {}

/// A header that cannot be encoded: the caller asked for a frame RFC 6455 forbids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderEncodeError {
    /// A control frame must have FIN set and at most 125 bytes of payload (RFC 6455 §5.5).
    InvalidControlFrame,
    /// Payload lengths must be below 2^63 (RFC 6455 §5.2).
    LengthTooLarge,
}

impl fmt::Display for HeaderEncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidControlFrame => {
                f.write_str("control frames need FIN and at most 125 bytes of payload")
            }
            Self::LengthTooLarge => f.write_str("payload length must be below 2^63"),
        }
    }
}

impl core::error::Error for HeaderEncodeError {}

impl FrameHeader {
    /// Decodes a header from the start of `buf` with the strict [`LengthRule::Minimal`].
    ///
    /// Returns the header and its encoded length; bytes after it are left alone.
    ///
    /// # Errors
    /// A [`FrameError`] as soon as the bytes present break a rule of RFC 6455 §5.2/§5.5.
    ///
    /// ```
    /// use wswire::frame::{Decoded, FrameHeader, Opcode};
    /// // RFC 6455 §5.7: a single-frame unmasked text message "Hello".
    /// let bytes = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    /// let Ok(Decoded::Complete((h, n))) = FrameHeader::decode(&bytes) else { panic!() };
    /// assert_eq!((h.fin, h.opcode, h.payload_len, n), (true, Opcode::Text, 5, 2));
    /// assert_eq!(FrameHeader::decode(&bytes[..1]), Ok(Decoded::Incomplete { needed: 1 }));
    /// ```
    #[inline]
    pub fn decode(buf: &[u8]) -> Result<Decoded<(Self, usize)>, FrameError> {
        Self::decode_with(buf, LengthRule::Minimal)
    }

    /// Decodes a header from the start of `buf` under the given [`LengthRule`].
    ///
    /// # Errors
    /// As [`FrameHeader::decode`].
    #[inline]
    pub fn decode_with(buf: &[u8], rule: LengthRule) -> Result<Decoded<(Self, usize)>, FrameError> {
        // Fast path: a valid header with a 7-bit length, all present (the common small
        // frame). Anything unusual, including every error, takes the general path below.
        if let Some(&[b0, b1]) = buf.first_chunk::<2>()
            && b1 & 0x7F < 126
            && let Some(opcode) = Opcode::from_u8(b0 & 0x0F)
            && (b0 & 0x80 != 0 || !opcode.is_control())
        {
            let header = |mask| Self {
                fin: b0 & 0x80 != 0,
                rsv: Rsv::from_bits(b0),
                opcode,
                mask,
                payload_len: u64::from(b1 & 0x7F),
            };
            if b1 & 0x80 == 0 {
                return Ok(Decoded::Complete((header(None), 2)));
            }
            if let Some(&[_, _, k0, k1, k2, k3]) = buf.first_chunk::<6>() {
                return Ok(Decoded::Complete((
                    header(Some(MaskKey([k0, k1, k2, k3]))),
                    6,
                )));
            }
        }
        let Some(&b0) = buf.first() else {
            return Ok(Decoded::Incomplete { needed: 2 });
        };
        let Some(opcode) = Opcode::from_u8(b0 & 0x0F) else {
            return Err(FrameError::ReservedOpcode(b0 & 0x0F));
        };
        let fin = b0 & 0x80 != 0;
        if opcode.is_control() && !fin {
            return Err(FrameError::FragmentedControlFrame);
        }
        let Some(&b1) = buf.get(1) else {
            return Ok(Decoded::Incomplete { needed: 1 });
        };
        let len7 = b1 & 0x7F;
        let masked = b1 & 0x80 != 0;
        if opcode.is_control() && usize::from(len7) > MAX_CONTROL_PAYLOAD {
            return Err(FrameError::ControlFrameTooLong);
        }
        let (ext, payload_len) = match len7 {
            126 => {
                let Some(&[a, b]) = buf.get(2..4).and_then(|s| s.first_chunk::<2>()) else {
                    return Ok(incomplete(buf.len(), 4 + mask_len(masked)));
                };
                let len = u16::from_be_bytes([a, b]);
                if len < 126 && rule == LengthRule::Minimal {
                    return Err(FrameError::NonMinimalLength);
                }
                (2, u64::from(len))
            }
            127 => {
                if let Some(&top) = buf.get(2)
                    && top & 0x80 != 0
                {
                    return Err(FrameError::LengthMsbSet);
                }
                let Some(bytes) = buf.get(2..10).and_then(|s| s.first_chunk::<8>()) else {
                    return Ok(incomplete(buf.len(), 10 + mask_len(masked)));
                };
                let len = u64::from_be_bytes(*bytes);
                if len < 0x1_0000 && rule == LengthRule::Minimal {
                    return Err(FrameError::NonMinimalLength);
                }
                (8, len)
            }
            n => (0, u64::from(n)),
        };
        let key_at = 2 + ext;
        let (mask, total) = if masked {
            let Some(key) = buf
                .get(key_at..key_at + 4)
                .and_then(|s| s.first_chunk::<4>())
            else {
                return Ok(incomplete(buf.len(), key_at + 4));
            };
            (Some(MaskKey(*key)), key_at + 4)
        } else {
            (None, key_at)
        };
        Ok(Decoded::Complete((
            Self {
                fin,
                rsv: Rsv::from_bits(b0),
                opcode,
                mask,
                payload_len,
            },
            total,
        )))
    }

    /// The number of bytes [`FrameHeader::encode`] writes for this header.
    #[inline]
    pub const fn encoded_len(&self) -> usize {
        let ext = if self.payload_len < 126 {
            0
        } else if self.payload_len <= 0xFFFF {
            2
        } else {
            8
        };
        2 + ext + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Encodes the header in its minimal form into `out`, returning the number of bytes used.
    ///
    /// # Errors
    /// [`HeaderEncodeError`] when the header describes a frame RFC 6455 forbids.
    ///
    /// ```
    /// use wswire::frame::{FrameHeader, Opcode, Rsv, MAX_HEADER_LEN};
    /// let h = FrameHeader { fin: true, rsv: Rsv::NONE, opcode: Opcode::Binary,
    ///                       mask: None, payload_len: 65536 };
    /// let mut out = [0; MAX_HEADER_LEN];
    /// let n = h.encode(&mut out).unwrap();
    /// assert_eq!(&out[..n], &[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]);
    /// ```
    #[inline]
    pub fn encode(&self, out: &mut [u8; MAX_HEADER_LEN]) -> Result<usize, HeaderEncodeError> {
        if self.opcode.is_control() && (!self.fin || self.payload_len > MAX_CONTROL_PAYLOAD as u64)
        {
            return Err(HeaderEncodeError::InvalidControlFrame);
        }
        if self.payload_len >> 63 != 0 {
            return Err(HeaderEncodeError::LengthTooLarge);
        }
        out[0] = u8::from(self.fin) << 7 | self.rsv.bits() | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let len = self.payload_len;
        let mut n = if len < 126 {
            #[expect(clippy::cast_possible_truncation, reason = "len < 126")]
            let len7 = len as u8;
            out[1] = mask_bit | len7;
            2
        } else if len <= 0xFFFF {
            out[1] = mask_bit | 126;
            let [_, _, _, _, _, _, a, b] = len.to_be_bytes();
            out[2] = a;
            out[3] = b;
            4
        } else {
            out[1] = mask_bit | 127;
            let [a, b, c, d, e, f, g, h] = len.to_be_bytes();
            *out = [out[0], out[1], a, b, c, d, e, f, g, h, 0, 0, 0, 0];
            10
        };
        if let Some(MaskKey(key)) = self.mask {
            let [k0, k1, k2, k3] = key;
            match n {
                2 => [out[2], out[3], out[4], out[5]] = [k0, k1, k2, k3],
                4 => [out[4], out[5], out[6], out[7]] = [k0, k1, k2, k3],
                _ => [out[10], out[11], out[12], out[13]] = [k0, k1, k2, k3],
            }
            n += 4;
        }
        Ok(n)
    }
}

#[inline]
const fn mask_len(masked: bool) -> usize {
    if masked { 4 } else { 0 }
}

#[inline]
fn incomplete<T>(have: usize, want: usize) -> Decoded<T> {
    Decoded::Incomplete {
        needed: want.saturating_sub(have).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(b: &[u8]) -> Result<Decoded<(FrameHeader, usize)>, FrameError> {
        FrameHeader::decode(b)
    }

    #[test]
    fn needed_counts_are_exact() {
        assert_eq!(dec(&[]), Ok(Decoded::Incomplete { needed: 2 }));
        assert_eq!(dec(&[0x82]), Ok(Decoded::Incomplete { needed: 1 }));
        assert_eq!(dec(&[0x82, 0x7e]), Ok(Decoded::Incomplete { needed: 2 }));
        assert_eq!(dec(&[0x82, 0xfe]), Ok(Decoded::Incomplete { needed: 6 }));
        assert_eq!(dec(&[0x82, 0x7f, 0]), Ok(Decoded::Incomplete { needed: 7 }));
        assert_eq!(
            dec(&[0x82, 0x85, 1, 2]),
            Ok(Decoded::Incomplete { needed: 2 })
        );
    }

    #[test]
    fn first_byte_fails_alone() {
        assert_eq!(dec(&[0x83]), Err(FrameError::ReservedOpcode(3)));
        assert_eq!(dec(&[0x09]), Err(FrameError::FragmentedControlFrame));
        assert_eq!(dec(&[0x89, 0x7e]), Err(FrameError::ControlFrameTooLong));
        assert_eq!(dec(&[0x82, 0x7f, 0x80]), Err(FrameError::LengthMsbSet));
    }

    #[test]
    fn relaxed_rule_accepts_non_minimal() {
        let b = [0x81, 0x7e, 0x00, 0x40];
        assert_eq!(dec(&b), Err(FrameError::NonMinimalLength));
        let Ok(Decoded::Complete((h, 4))) =
            FrameHeader::decode_with(&b, LengthRule::AllowNonMinimal)
        else {
            panic!("relaxed decode failed")
        };
        assert_eq!(h.payload_len, 64);
    }

    #[test]
    fn encode_refuses_invalid_headers() {
        let mut out = [0; MAX_HEADER_LEN];
        let mut h = FrameHeader {
            fin: false,
            rsv: Rsv::NONE,
            opcode: Opcode::Ping,
            mask: None,
            payload_len: 0,
        };
        assert_eq!(
            h.encode(&mut out),
            Err(HeaderEncodeError::InvalidControlFrame)
        );
        h.fin = true;
        h.payload_len = 126;
        assert_eq!(
            h.encode(&mut out),
            Err(HeaderEncodeError::InvalidControlFrame)
        );
        h.opcode = Opcode::Binary;
        h.payload_len = 1 << 63;
        assert_eq!(h.encode(&mut out), Err(HeaderEncodeError::LengthTooLarge));
    }
}
