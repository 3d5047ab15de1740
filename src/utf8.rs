//! Incremental, fail-fast UTF-8 validation (RFC 6455 §5.6, §8.1).
//!
//! A text message may arrive in any number of frames and each frame in any number of reads.
//! [`Utf8Validator`] takes the pieces as they come and fails at the first byte that can never
//! be part of valid UTF-8 — not at the end of the frame or message (Autobahn 6.4.x). Between
//! pieces it keeps at most 3 bytes: the start of a code point that is not complete yet.
//!
//! The byte-level rules are exactly those of [`core::str::from_utf8`] (Unicode Table 3-7: no
//! overlong forms, no surrogates, nothing above U+10FFFF). Each piece is checked by
//! `simdutf8`'s `compat` validator, which reports errors exactly as `core` does (it uses SIMD
//! chosen at run time with the `std` feature; `BENCHMARKS.md` shows it pays), and its error
//! position tells "invalid here" from "cut short at the end".

use core::fmt;

/// Text that is not UTF-8. Close code 1007: it converts into
/// [`ProtocolError`](crate::ProtocolError), whose
/// [`close_code`](crate::ProtocolError::close_code) decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Utf8Error {
    valid_up_to: u64,
    truncated: bool,
}

impl Utf8Error {
    /// The number of bytes, counted from the start of the input, that form complete valid
    /// code points before the offending sequence.
    pub const fn valid_up_to(&self) -> u64 {
        self.valid_up_to
    }

    /// Whether the input ended inside a code point (rather than holding an invalid byte).
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// Converts a [`check`] error found `base` bytes into the input.
    pub(crate) fn from_check(e: CheckError, base: usize) -> Self {
        Self {
            valid_up_to: (base + e.valid_up_to) as u64,
            truncated: e.error_len.is_none(),
        }
    }
}

impl fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.truncated {
            write!(
                f,
                "text ends inside a code point after {} valid bytes",
                self.valid_up_to
            )
        } else {
            write!(f, "invalid UTF-8 after {} valid bytes", self.valid_up_to)
        }
    }
}

impl core::error::Error for Utf8Error {}

/// One complete, validated code point, as returned by [`Utf8Validator::complete_pending`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodePoint {
    bytes: [u8; 4],
    len: usize,
}

impl CodePoint {
    /// The code point as a string slice.
    pub fn as_str(&self) -> &str {
        // Validated when it was made; `check` cannot fail here, and "" is never reached.
        check(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

/// Where [`check`] found a problem, as `core::str::Utf8Error` describes it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CheckError {
    /// Bytes of complete, valid code points before the problem.
    pub(crate) valid_up_to: usize,
    /// `None`: the input ends inside a code point that could still be completed.
    pub(crate) error_len: Option<usize>,
}

impl From<core::str::Utf8Error> for CheckError {
    fn from(e: core::str::Utf8Error) -> Self {
        Self {
            valid_up_to: e.valid_up_to(),
            error_len: e.error_len(),
        }
    }
}

/// Validates a complete byte string with the same verdicts as `core::str::from_utf8`.
#[inline]
pub(crate) fn check(bytes: &[u8]) -> Result<&str, CheckError> {
    // `basic` is the fastest on valid input; only on an error is `compat` run to find where.
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => simdutf8::compat::from_utf8(bytes).map_err(|e| CheckError {
            valid_up_to: e.valid_up_to(),
            error_len: e.error_len(),
        }),
    }
}

/// The length of the longest prefix of `bytes` that does not end inside an unfinished code
/// point: at most 3 bytes are cut, and only before a lead byte whose sequence needs more
/// bytes than are left. Invalid bytes are never cut, so validation still sees them.
#[inline]
fn boundary(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let b = bytes[n - back];
        if b & 0xC0 != 0x80 {
            let w = match b {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF4 => 4,
                _ => 1,
            };
            return if w > back { n - back } else { n };
        }
    }
    n
}

/// An incremental UTF-8 validator; see the [module docs](self).
///
/// ```
/// use wswire::utf8::Utf8Validator;
/// let mut v = Utf8Validator::new();
/// v.feed(&[0xce]).unwrap(); // the first byte of "κ"
/// assert_eq!(v.pending(), 1);
/// v.feed(&[0xba]).unwrap();
/// v.finish().unwrap();
///
/// // Fail-fast: 0xF4 0x90 can never start valid UTF-8 (it would exceed U+10FFFF).
/// let err = v.feed(&[b'o', b'k', 0xf4, 0x90]).unwrap_err();
/// assert_eq!(err.valid_up_to(), 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Utf8Validator {
    /// The start of an unfinished code point.
    partial: [u8; 4],
    partial_len: usize,
    /// Bytes fed since the last reset, including `partial`.
    fed: u64,
}

/// The encoded width of a sequence from its lead byte, for bytes that may lead one.
#[inline]
const fn width(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

impl Utf8Validator {
    /// A validator at the start of a message.
    pub const fn new() -> Self {
        Self {
            partial: [0; 4],
            partial_len: 0,
            fed: 0,
        }
    }

    /// Validates the next piece of the input.
    ///
    /// # Errors
    /// [`Utf8Error`] at the first byte that makes the input invalid whatever follows. After an
    /// error the validator must be [reset](Self::reset) before it is used again.
    #[inline]
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Utf8Error> {
        let mut rest = chunk;
        if self.partial_len != 0 {
            rest = self.complete_partial(rest)?;
            if self.partial_len != 0 {
                return Ok(());
            }
        }
        let base = self.fed;
        self.fed += rest.len() as u64;
        match check(rest) {
            Ok(_) => Ok(()),
            Err(e) => {
                let at = e.valid_up_to;
                match (e.error_len, rest.get(at..)) {
                    (None, Some(tail)) if tail.len() < 4 => {
                        self.partial[..tail.len()].copy_from_slice(tail);
                        self.partial_len = tail.len();
                        Ok(())
                    }
                    _ => Err(Utf8Error {
                        valid_up_to: base + at as u64,
                        truncated: false,
                    }),
                }
            }
        }
    }

    /// Adds bytes from `chunk` to the unfinished code point; returns what is left of `chunk`.
    #[cold]
    fn complete_partial<'c>(&mut self, chunk: &'c [u8]) -> Result<&'c [u8], Utf8Error> {
        let have = self.partial_len;
        let start = self.fed - have as u64;
        let want = width(self.partial[0]).saturating_sub(have);
        let take = want.min(chunk.len()).min(4 - have);
        let (head, rest) = chunk.split_at(take);
        self.partial[have..have + take].copy_from_slice(head);
        self.fed += take as u64;
        let now = have + take;
        match check(&self.partial[..now]) {
            Ok(_) => {
                self.partial_len = 0;
                Ok(rest)
            }
            Err(e) if e.error_len.is_none() => {
                self.partial_len = now;
                Ok(rest)
            }
            Err(_) => Err(Utf8Error {
                valid_up_to: start,
                truncated: false,
            }),
        }
    }

    /// Validates the next piece and returns the part of it that is complete code points, as
    /// a `&str` (one validation pass; no `unsafe`).
    ///
    /// Bytes that finish a code point begun in an earlier piece are validated but not part of
    /// the result (use [`complete_pending`](Self::complete_pending) to get that code point);
    /// bytes at the end that begin an unfinished code point are kept for the next piece.
    ///
    /// # Errors
    /// As [`feed`](Self::feed).
    ///
    /// ```
    /// use wswire::utf8::Utf8Validator;
    /// let mut v = Utf8Validator::new();
    /// assert_eq!(v.feed_str("aκ".as_bytes()[..2].as_ref()).unwrap(), "a");
    /// assert_eq!(v.complete_pending(&[0xba]).unwrap().unwrap().as_str(), "κ");
    /// ```
    #[inline]
    pub fn feed_str<'a>(&mut self, chunk: &'a [u8]) -> Result<&'a str, Utf8Error> {
        let mut rest = chunk;
        if self.partial_len != 0 {
            rest = self.complete_partial(rest)?;
            if self.partial_len != 0 {
                return Ok("");
            }
        }
        let (head, tail) = rest.split_at(boundary(rest));
        let base = self.fed;
        let text = check(head).map_err(|e| Utf8Error {
            valid_up_to: base + e.valid_up_to as u64,
            truncated: false,
        })?;
        self.fed += rest.len() as u64;
        if !tail.is_empty() {
            // `boundary` cut only before a lead byte that needs more bytes than are left, so
            // the tail can only be a valid unfinished prefix or invalid.
            match check(tail) {
                Err(e) if e.error_len.is_none() => {
                    self.partial[..tail.len()].copy_from_slice(tail);
                    self.partial_len = tail.len();
                }
                _ => {
                    return Err(Utf8Error {
                        valid_up_to: base + head.len() as u64,
                        truncated: false,
                    });
                }
            }
        }
        Ok(text)
    }

    /// How many more bytes the unfinished code point needs (0 when none is pending).
    #[inline]
    pub fn needed(&self) -> usize {
        if self.partial_len == 0 {
            0
        } else {
            width(self.partial[0]).saturating_sub(self.partial_len)
        }
    }

    /// Feeds bytes towards the unfinished code point, at most [`needed`](Self::needed) of
    /// them (any more are ignored), and returns the code point once it is complete.
    ///
    /// # Errors
    /// As [`feed`](Self::feed).
    pub fn complete_pending(&mut self, bytes: &[u8]) -> Result<Option<CodePoint>, Utf8Error> {
        let take = self.needed().min(bytes.len());
        if take == 0 {
            return Ok(None);
        }
        self.complete_partial(&bytes[..take])?;
        if self.partial_len != 0 {
            return Ok(None);
        }
        // Completed: the code point is still in `partial`, and was just validated.
        let len = width(self.partial[0]);
        Ok(Some(CodePoint {
            bytes: self.partial,
            len,
        }))
    }

    /// Ends the input: fails if it stopped inside a code point. Resets the validator either way.
    ///
    /// # Errors
    /// [`Utf8Error`] with [`Utf8Error::is_truncated`] when a code point was left unfinished.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        let result = if self.partial_len == 0 {
            Ok(())
        } else {
            Err(Utf8Error {
                valid_up_to: self.fed - self.partial_len as u64,
                truncated: true,
            })
        };
        self.reset();
        result
    }

    /// Forgets all input, ready for a new message.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// How many bytes at the end of the input so far belong to an unfinished code point (0–3).
    #[inline]
    pub const fn pending(&self) -> usize {
        self.partial_len
    }

    /// The bytes of the unfinished code point ([`pending`](Self::pending) of them).
    pub fn pending_bytes(&self) -> &[u8] {
        &self.partial[..self.partial_len]
    }

    /// Bytes fed since the last reset.
    pub const fn fed(&self) -> u64 {
        self.fed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_all_splits(input: &[u8]) {
        let expected = core::str::from_utf8(input);
        for a in 0..=input.len() {
            for b in a..=input.len() {
                let mut v = Utf8Validator::new();
                let r = v
                    .feed(&input[..a])
                    .and_then(|()| v.feed(&input[a..b]))
                    .and_then(|()| v.feed(&input[b..]))
                    .and_then(|()| v.finish());
                match (&expected, r) {
                    (Ok(_), Ok(())) => {}
                    (Err(e), Err(got)) => {
                        assert_eq!(
                            got.valid_up_to(),
                            e.valid_up_to() as u64,
                            "{input:x?} {a} {b}"
                        );
                        assert_eq!(got.is_truncated(), e.error_len().is_none());
                    }
                    (e, r) => panic!("{input:x?} split {a}/{b}: expected {e:?}, got {r:?}"),
                }
            }
        }
    }

    #[test]
    fn kuhn_and_autobahn_sequences_agree_with_core_under_every_split() {
        let cases: &[&[u8]] = &[
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
            b"\x80",
            b"\xc0\xaf",
            b"\xe0\x80\xaf",
            b"\xf0\x80\x80\xaf",
            b"\xf8\x88\x80\x80\x80",
            b"\xed\xa0\x80\xed\xb0\x80",
            b"\xf4\x90\x80\x80",
            b"\xf4\x8f\xbf\xbf",
            b"\xef\xbf\xbf",
            b"\xc2\x41",
            b"\xe1\x80\x41",
            b"\xce\xba\xe1\xbd",
            b"Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!",
        ];
        for c in cases {
            check_all_splits(c);
        }
    }

    #[test]
    fn fails_at_the_first_impossible_byte() {
        let mut v = Utf8Validator::new();
        v.feed(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5")
            .unwrap();
        let e = v.feed(&[0xf4, 0x90]).unwrap_err();
        assert_eq!(e.valid_up_to(), 11);
        for (lead, bad) in [(0xe0, 0x9f), (0xed, 0xa0), (0xf0, 0x8f), (0xf4, 0x90)] {
            let mut v = Utf8Validator::new();
            v.feed(&[lead]).unwrap();
            assert!(v.feed(&[bad]).is_err(), "{lead:x} {bad:x}");
        }
        for lead in [0xc0, 0xc1, 0xf5, 0xff] {
            assert!(Utf8Validator::new().feed(&[lead]).is_err());
        }
    }

    #[test]
    fn finish_reports_truncation_and_resets() {
        let mut v = Utf8Validator::new();
        v.feed(b"ab\xe2\x82").unwrap();
        assert_eq!(v.pending_bytes(), b"\xe2\x82");
        let e = v.finish().unwrap_err();
        assert!(e.is_truncated());
        assert_eq!(e.valid_up_to(), 2);
        assert_eq!(v.pending(), 0);
        v.feed(b"ok").unwrap();
        v.finish().unwrap();
    }
}
