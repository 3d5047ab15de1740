//! Close codes and close-frame payloads (RFC 6455 §5.5.1, §7.4).

use core::fmt;

use super::MAX_CONTROL_PAYLOAD;
use crate::utf8::Utf8Error;

/// The longest close reason: a control payload of 125 bytes less the 2-byte code.
pub const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// A close status code (RFC 6455 §7.4), a number on the wire.
///
/// Any `u16` can be held; [`CloseCode::is_sendable`] says whether it may appear in a Close
/// frame. Codes 1005, 1006 and 1015 exist only to be *reported* locally.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: normal closure; the purpose of the connection has been fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, browser navigating away).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: the endpoint cannot accept this type of data (e.g. binary when it only takes text).
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1005: no status code was present in the Close frame. Reported, never sent.
    pub const NO_STATUS_RECEIVED: Self = Self(1005);
    /// 1006: the connection closed without a Close frame. Reported, never sent.
    pub const ABNORMAL: Self = Self(1006);
    /// 1007: a message's data was inconsistent with its type (e.g. text that is not UTF-8).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message violated the endpoint's policy (generic).
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message was too big to process.
    pub const MESSAGE_TOO_BIG: Self = Self(1009);
    /// 1010: the client expected the server to negotiate an extension it did not.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting (IANA registry).
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: try again later (IANA registry).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: a gateway or proxy got an invalid response from upstream (IANA registry).
    pub const BAD_GATEWAY: Self = Self(1014);
    /// 1015: the TLS handshake failed. Reported, never sent.
    pub const TLS_HANDSHAKE: Self = Self(1015);

    /// The code for a wire value.
    #[inline]
    pub const fn from_u16(code: u16) -> Self {
        Self(code)
    }

    /// The wire value.
    #[inline]
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether the code may appear in a Close frame: 1000–1003, 1007–1014 (the RFC's and the
    /// IANA-registered ones), 3000–4999 (libraries and applications). Never 0–999, 1004–1006,
    /// 1015, 1016–2999 or ≥ 5000 (RFC 6455 §7.4.1, §7.4.2).
    #[inline]
    pub const fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CloseCode({})", self.0)
    }
}

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The body of a Close frame that carries a status: a code and a UTF-8 reason.
///
/// An empty Close payload has no `CloseFrame`; it is reported as
/// [`CloseCode::NO_STATUS_RECEIVED`] by the layers above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CloseFrame<'a> {
    /// The status code.
    pub code: CloseCode,
    /// The reason, at most [`MAX_CLOSE_REASON`] bytes of UTF-8.
    pub reason: &'a str,
}

/// A Close payload the peer sent that RFC 6455 forbids. It converts into
/// [`ProtocolError`](crate::ProtocolError), whose
/// [`close_code`](crate::ProtocolError::close_code) is the code to fail the connection with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseError {
    /// A 1-byte payload (RFC 6455 §5.5.1: a body starts with a 2-byte code). Close code 1002.
    PayloadTooShort,
    /// More than 125 bytes (RFC 6455 §5.5). Close code 1002.
    PayloadTooLong,
    /// A code that may not be sent (RFC 6455 §7.4). Close code 1002.
    InvalidCode(u16),
    /// A reason that is not UTF-8 (RFC 6455 §5.5.1, §8.1). Close code 1007.
    InvalidReason(Utf8Error),
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PayloadTooShort => f.write_str("close payload of a single byte"),
            Self::PayloadTooLong => f.write_str("close payload longer than 125 bytes"),
            Self::InvalidCode(c) => write!(f, "close code {c} may not be sent"),
            Self::InvalidReason(e) => write!(f, "close reason is not UTF-8: {e}"),
        }
    }
}

impl core::error::Error for CloseError {}

/// A Close payload that cannot be encoded: the caller asked for one RFC 6455 forbids. It
/// converts into [`UsageError`](crate::UsageError).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseEncodeError {
    /// A code that may not be sent (RFC 6455 §7.4.1): 1005, 1006, 1015, undefined codes.
    UnsendableCode(CloseCode),
    /// A reason longer than [`MAX_CLOSE_REASON`] (123) bytes (RFC 6455 §5.5).
    ReasonTooLong {
        /// The reason's length in bytes.
        len: usize,
    },
}

impl fmt::Display for CloseEncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnsendableCode(c) => write!(f, "close code {c} may not be sent"),
            Self::ReasonTooLong { len } => {
                write!(f, "close reason of {len} bytes; at most 123 are allowed")
            }
        }
    }
}

impl core::error::Error for CloseEncodeError {}

impl<'a> CloseFrame<'a> {
    /// Decodes a received Close payload: `Ok(None)` when empty.
    ///
    /// The code is checked before the reason, so a payload with both wrong fails with 1002.
    ///
    /// # Errors
    /// A [`CloseError`] for a 1-byte or over-long payload, an unsendable code, or a reason
    /// that is not UTF-8.
    ///
    /// ```
    /// use wswire::frame::{CloseCode, CloseFrame};
    /// let f = CloseFrame::decode(&[0x03, 0xe8, b'b', b'y', b'e']).unwrap().unwrap();
    /// assert_eq!((f.code, f.reason), (CloseCode::NORMAL, "bye"));
    /// assert_eq!(CloseFrame::decode(&[]), Ok(None));
    /// ```
    pub fn decode(payload: &'a [u8]) -> Result<Option<Self>, CloseError> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(CloseError::PayloadTooLong);
        }
        let (code, reason) = match payload {
            [] => return Ok(None),
            [_] => return Err(CloseError::PayloadTooShort),
            [a, b, reason @ ..] => (CloseCode(u16::from_be_bytes([*a, *b])), reason),
        };
        if !code.is_sendable() {
            return Err(CloseError::InvalidCode(code.0));
        }
        let reason = core::str::from_utf8(reason)
            .map_err(|e| CloseError::InvalidReason(Utf8Error::from_check(e.into(), 2)))?;
        Ok(Some(Self { code, reason }))
    }

    /// Encodes the payload into `out` and returns its length (2 + reason length).
    ///
    /// # Errors
    /// [`CloseEncodeError::UnsendableCode`] for a code that may not be sent,
    /// [`CloseEncodeError::ReasonTooLong`] for a reason over 123 bytes.
    pub fn encode(&self, out: &mut [u8; MAX_CONTROL_PAYLOAD]) -> Result<usize, CloseEncodeError> {
        if !self.code.is_sendable() {
            return Err(CloseEncodeError::UnsendableCode(self.code));
        }
        let reason = self.reason.as_bytes();
        if reason.len() > MAX_CLOSE_REASON {
            return Err(CloseEncodeError::ReasonTooLong { len: reason.len() });
        }
        let [a, b] = self.code.0.to_be_bytes();
        out[0] = a;
        out[1] = b;
        out[2..2 + reason.len()].copy_from_slice(reason);
        Ok(2 + reason.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendable_ranges_are_exact() {
        for c in 0..=u16::MAX {
            let expected = (1000..=1003).contains(&c)
                || (1007..=1014).contains(&c)
                || (3000..=4999).contains(&c);
            assert_eq!(CloseCode(c).is_sendable(), expected, "code {c}");
        }
    }

    #[test]
    fn encode_then_decode_round_trips() {
        let mut out = [0; MAX_CONTROL_PAYLOAD];
        let f = CloseFrame {
            code: CloseCode::from_u16(4000),
            reason: "fñør∂",
        };
        let n = f.encode(&mut out).unwrap();
        assert_eq!(&out[..n], b"\x0f\xa0f\xc3\xb1\xc3\xb8r\xe2\x88\x82");
        assert_eq!(CloseFrame::decode(&out[..n]), Ok(Some(f)));
    }

    #[test]
    fn encode_refuses_misuse() {
        let mut out = [0; MAX_CONTROL_PAYLOAD];
        let long = "a".repeat(124);
        let f = CloseFrame {
            code: CloseCode::NORMAL,
            reason: &long,
        };
        assert_eq!(
            f.encode(&mut out),
            Err(CloseEncodeError::ReasonTooLong { len: 124 })
        );
        let ok = "a".repeat(123);
        assert_eq!(
            CloseFrame {
                code: CloseCode::NORMAL,
                reason: &ok
            }
            .encode(&mut out),
            Ok(125)
        );
        for c in [999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            let f = CloseFrame {
                code: CloseCode(c),
                reason: "",
            };
            assert_eq!(
                f.encode(&mut out),
                Err(CloseEncodeError::UnsendableCode(CloseCode(c)))
            );
        }
    }

    #[test]
    fn decode_reports_where_the_reason_breaks() {
        let Err(CloseError::InvalidReason(e)) = CloseFrame::decode(&[0x03, 0xe8, b'a', 0xff])
        else {
            panic!("expected an invalid reason")
        };
        assert_eq!(e.valid_up_to(), 3);
        assert_eq!(
            CloseFrame::decode(&[0u8; 126]),
            Err(CloseError::PayloadTooLong)
        );
    }
}
