//! The key and its accept value (RFC 6455 §1.3, §4.1 item 7, §4.2.2 step 5), and the version.

use base64::Engine as _;
use core::fmt;
use sha1::{Digest as _, Sha1};

use super::headers;

/// The GUID appended to the key before hashing (RFC 6455 §1.3, §4.2.2).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The only protocol version this crate speaks: `Sec-WebSocket-Version: 13` (RFC 6455 §4.1
/// item 9, §11.6).
pub const VERSION: &str = "13";

/// A `Sec-WebSocket-Key` value: base64 of 16 bytes, 24 characters (RFC 6455 §4.1 item 7).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecWebSocketKey([u8; 24]);

impl SecWebSocketKey {
    /// A fresh key from a cryptographically secure generator (RFC 6455 §4.1 item 7, §10.3).
    pub fn random<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut nonce);
        Self::from_nonce(nonce)
    }

    /// The key for a given 16-byte nonce (deterministic tests; production uses [`Self::random`]).
    pub fn from_nonce(nonce: [u8; 16]) -> Self {
        let mut out = [0u8; 24];
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(nonce, &mut out)
            .unwrap_or(0);
        debug_assert_eq!(n, 24);
        Self(out)
    }

    /// Checks a received key: exactly 22 base64 characters then `==`, i.e. the encoding of 16
    /// bytes (RFC 6455 §4.2.1 item 5). Leading and trailing OWS is ignored. Non-zero padding
    /// bits in the last character are accepted: the accept value is computed over the key as
    /// received (RFC 6455 §4.2.2 /key/: the key need not be decoded).
    ///
    /// ```
    /// use wswire::handshake::SecWebSocketKey;
    ///
    /// // RFC 6455 §1.3's sample key, as a field value with surrounding whitespace.
    /// let key = SecWebSocketKey::parse(" dGhlIHNhbXBsZSBub25jZQ== ").unwrap();
    /// assert_eq!(key.as_str(), "dGhlIHNhbXBsZSBub25jZQ==");
    /// // Base64 of 10 bytes, not 16: refused (a server answers 400).
    /// assert_eq!(SecWebSocketKey::parse("dGhlIHNhbXBsZQ=="), None);
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        Self::parse_bytes(value.as_bytes())
    }

    /// [`Self::parse`] over a field value as received (no UTF-8 check needed: only base64
    /// characters pass).
    pub(crate) fn parse_bytes(value: &[u8]) -> Option<Self> {
        let v = headers::trim_ows(value);
        let key: [u8; 24] = v.try_into().ok()?;
        let (chars, pad) = key.split_at(22);
        let b64 = |c: &u8| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/';
        (chars.iter().all(b64) && pad == b"==").then_some(Self(key))
    }

    /// The key as sent on the wire.
    pub fn as_str(&self) -> &str {
        // Only base64 characters are ever stored.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The `Sec-WebSocket-Accept` value the server must answer this key with:
    /// `base64(SHA-1(key ‖ GUID))` (RFC 6455 §4.2.2 step 5).
    ///
    /// ```
    /// use wswire::handshake::SecWebSocketKey;
    ///
    /// // RFC 6455 §1.3: the key is base64 of the nonce "the sample nonce".
    /// let key = SecWebSocketKey::parse("dGhlIHNhbXBsZSBub25jZQ==").unwrap();
    /// assert_eq!(key, SecWebSocketKey::from_nonce(*b"the sample nonce"));
    /// assert_eq!(key.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /// ```
    pub fn accept(&self) -> AcceptKey {
        accept_key_bytes(&self.0)
    }
}

impl fmt::Debug for SecWebSocketKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecWebSocketKey({})", self.as_str())
    }
}

/// A `Sec-WebSocket-Accept` value: 28 base64 characters (RFC 6455 §4.2.2 step 5).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptKey([u8; 28]);

impl AcceptKey {
    /// The value as sent on the wire.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The value as sent on the wire, as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for AcceptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AcceptKey({})", self.as_str())
    }
}

/// `base64(SHA-1(key ‖ GUID))` (RFC 6455 §4.2.2 step 5 /key/), over `key` exactly as given.
///
/// ```
/// assert_eq!(
///     wswire::handshake::accept_key("dGhlIHNhbXBsZSBub25jZQ==").as_str(),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", // RFC 6455 §1.3
/// );
/// ```
pub fn accept_key(key: &str) -> AcceptKey {
    accept_key_bytes(key.as_bytes())
}

fn accept_key_bytes(key: &[u8]) -> AcceptKey {
    let mut h = Sha1::new();
    h.update(key);
    h.update(GUID.as_bytes());
    let digest = h.finalize();
    let mut out = [0u8; 28];
    let n = base64::engine::general_purpose::STANDARD
        .encode_slice(digest.as_slice(), &mut out)
        .unwrap_or(0);
    debug_assert_eq!(n, 28);
    AcceptKey(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_section_1_3_vector() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ==").as_str(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
        let k = SecWebSocketKey::parse("  dGhlIHNhbXBsZSBub25jZQ==\t").unwrap();
        assert_eq!(k.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn key_parsing_checks_length_alphabet_and_keeps_padding_bits() {
        for bad in [
            "P5l8BJcZwRc=",
            "dGhlIHNhbXBsZSBub25jZQ-_",
            "dGhlIHNhbXBsZSBub25jZQ=!",
            "dGhlIHNhbXBsZSBub25jZQ=",
            "",
        ] {
            assert_eq!(SecWebSocketKey::parse(bad), None, "{bad}");
        }
        let odd = SecWebSocketKey::parse("AQIDBAUGBwgJCgsMDQ4PEC==").unwrap();
        assert_eq!(odd.accept().as_str(), "OfS0wDaT5NoxF2gqm7Zj2YtetzM=");
        let canon =
            SecWebSocketKey::from_nonce([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
        assert_eq!(canon.as_str(), "AQIDBAUGBwgJCgsMDQ4PEA==");
        assert_eq!(canon.accept().as_str(), "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
    }
}
