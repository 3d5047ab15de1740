//! HTTP field grammar the handshake needs (RFC 9110 §5.6): comma-separated lists and the
//! checks on header fields the caller supplies, on top of the token grammar in
//! `crate::http_grammar` (shared with [`crate::extensions`]).
//!
//! All functions work on bytes, never panic and never allocate except where they return a
//! list.

use alloc::vec::Vec;

use crate::extensions::{self, Extension, ExtensionHeaderError};

pub(crate) use crate::http_grammar::{is_token, trim_ows};

/// The non-empty elements of `#element` lists, OWS trimmed (RFC 9110 §5.6.1: a recipient
/// ignores empty elements). Quoted strings are not honoured; use this only for lists of tokens.
pub(crate) fn list_elements(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&c| c == b',')
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

/// Whether any of the field lines' lists holds `token`, compared ASCII-case-insensitively
/// (`Connection: keep-alive, Upgrade`, `Upgrade: WebSocket`; RFC 6455 §4.2.1 items 3–4).
pub(crate) fn lists_contain<'a>(lines: impl IntoIterator<Item = &'a [u8]>, token: &str) -> bool {
    let token = token.as_bytes();
    // A line that is just the token (`Upgrade: websocket`) needs no splitting.
    lines.into_iter().any(|line| {
        line.eq_ignore_ascii_case(token)
            || list_elements(line).any(|e| e.eq_ignore_ascii_case(token))
    })
}

/// Why a token list (`Sec-WebSocket-Protocol`) is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenListError {
    /// No element at all (`1#token`).
    Empty,
    /// An element that is not a token.
    InvalidToken,
    /// The same token twice (RFC 6455 §4.1 item 10: unique values).
    Duplicate,
}

/// Parses `1#token` over all lines of a field (the lines are one list, RFC 9110 §5.3) into
/// `out`, in order, rejecting duplicates (case-sensitive comparison, RFC 6455 §4.1 item 10).
pub(crate) fn parse_token_list<'a>(
    lines: impl IntoIterator<Item = &'a [u8]>,
    out: &mut Vec<&'a str>,
) -> Result<(), TokenListError> {
    let start = out.len();
    for line in lines {
        for e in list_elements(line) {
            let tok = core::str::from_utf8(e)
                .ok()
                .filter(|t| is_token(t))
                .ok_or(TokenListError::InvalidToken)?;
            if out.get(start..).unwrap_or_default().contains(&tok) {
                return Err(TokenListError::Duplicate);
            }
            out.push(tok);
        }
    }
    if out.len() == start {
        return Err(TokenListError::Empty);
    }
    Ok(())
}

/// Parses `Sec-WebSocket-Extensions` over all lines of the field (RFC 6455 §9.1; the lines are
/// one list, RFC 9110 §5.3): no extension when there is no line, and
/// [`ExtensionHeaderError::Empty`] when there are lines but no extension in them (`1#`).
pub(crate) fn parse_extension_lines<'a>(
    lines: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<Extension>, ExtensionHeaderError> {
    let mut out = Vec::new();
    let mut any = false;
    for line in lines {
        any = true;
        extensions::parse_header_into(line, &mut out)?;
    }
    if any && out.is_empty() {
        return Err(ExtensionHeaderError::Empty);
    }
    Ok(out)
}

/// Whether `value` may be sent as a field value: no CR, LF, NUL or other control byte except
/// HTAB, and no leading or trailing whitespace (RFC 9110 §5.5). Guards against header
/// injection through caller-supplied headers.
pub(crate) fn is_field_value(value: &str) -> bool {
    value
        .bytes()
        .all(|c| c == b'\t' || (c >= 0x20 && c != 0x7f))
        && trim_ows(value.as_bytes()).len() == value.len()
}

/// Fields the handshake writes itself, which caller-supplied extra headers may not repeat.
const RESERVED: [&str; 10] = [
    "upgrade",
    "connection",
    "sec-websocket-accept",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
    "content-length",
    "transfer-encoding",
    "host",
];

/// Whether `(name, value)` is an acceptable caller-supplied header: `name` a token that is
/// not one of the fields the handshake itself manages, `value` a clean field value.
pub(crate) fn is_extra_header(name: &str, value: &str) -> bool {
    is_token(name)
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name))
        && is_field_value(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_ignore_case_ows_and_empty_elements() {
        let lines: [&[u8]; 2] = [b"keep-alive", b" ,Upgrade\t,"];
        assert!(lists_contain(lines, "upgrade"));
        assert!(!lists_contain([&b"keep-alive, No-Upgrade"[..]], "upgrade"));
    }

    #[test]
    fn token_lists_reject_empty_bad_and_duplicate() {
        let mut v = Vec::new();
        let lines: [&[u8]; 2] = [b"foo , bar\t, \tbaz\t ,  qux\t\t,norf", b"x,,"];
        assert_eq!(parse_token_list(lines, &mut v), Ok(()));
        assert_eq!(v, ["foo", "bar", "baz", "qux", "norf", "x"]);
        for (bad, e) in [
            (&b","[..], TokenListError::Empty),
            (b"", TokenListError::Empty),
            (b"f@o", TokenListError::InvalidToken),
            (b"f oo", TokenListError::InvalidToken),
            (b"foo;bar", TokenListError::InvalidToken),
            (b"foo,bar,foo", TokenListError::Duplicate),
        ] {
            assert_eq!(parse_token_list([bad], &mut Vec::new()), Err(e), "{bad:?}");
        }
    }

    #[test]
    fn extra_headers_cannot_inject_or_override() {
        assert!(is_extra_header("Set-Cookie", "a=b; Path=/"));
        assert!(!is_extra_header("X-A", "a\r\nUpgrade: h2c"));
        assert!(!is_extra_header("X A", "v"));
        assert!(!is_extra_header("Sec-WebSocket-Accept", "v"));
        assert!(!is_extra_header("X-A", " v"));
    }
}
