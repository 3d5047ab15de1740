//! The WebSocket fields of an opening request, checked once for every transport: an HTTP/1.1
//! head ([`super::parse_request`]), an `http::Request` (`http_interop`) and an RFC 8441 /
//! RFC 9220 extended CONNECT ([`super::h2`]) differ only in how they produce the
//! [`HeaderField`] list and in which rules apply ([`check_http1`], [`check_extended_connect`]).
//! The client reads the response through the same [`Fields`].
//!
//! Each rule is one function; the first failure, in the order the `check_*` functions call
//! them, is the one reported.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::headers::{lists_contain, parse_extension_lines, parse_token_list};
use super::{HeaderField, RequestError, SecWebSocketKey, VERSION};
use crate::extensions::Extension;

/// What a valid request asks for, over any transport: its origin, the subprotocols and the
/// extensions it offers, each in the client's order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Offer<'a> {
    pub(crate) origin: Option<&'a str>,
    pub(crate) subprotocols: Vec<&'a str>,
    pub(crate) extensions: Cow<'a, [Extension]>,
}

/// The WebSocket fields of an HTTP/1.1 request (RFC 6455 §4.2.1 items 2–10), in this order:
/// `Host`, `Upgrade`, `Connection`, `Sec-WebSocket-Version`, `Sec-WebSocket-Key`, `Origin`,
/// no body, `Sec-WebSocket-Protocol`, `Sec-WebSocket-Extensions`. The version is checked
/// before the key so that a client speaking another version learns, through 426 +
/// `Sec-WebSocket-Version: 13`, which one to retry with.
pub(crate) fn check_http1<'a>(
    f: Fields<'_, 'a>,
) -> Result<(&'a str, SecWebSocketKey, Offer<'a>), RequestError> {
    let host = host(f)?;
    if !has_upgrade(f) {
        return Err(RequestError::InvalidUpgrade);
    }
    if !has_connection_upgrade(f) {
        return Err(RequestError::InvalidConnection);
    }
    version(f)?;
    let key = key(f)?;
    let origin = origin(f)?;
    no_body(f)?;
    let offer = Offer {
        origin,
        subprotocols: subprotocols(f)?,
        extensions: Cow::Owned(extensions(f)?),
    };
    Ok((host, key, offer))
}

/// The WebSocket fields of an extended CONNECT (RFC 8441 §4–5, RFC 9220 §3), in this order:
/// `sec-websocket-version`, `origin`, `sec-websocket-protocol`, `sec-websocket-extensions`.
/// There is no `Upgrade`, `Connection` or key over HTTP/2 and HTTP/3 (RFC 8441 §5: a
/// `sec-websocket-key` sent anyway is ignored).
pub(crate) fn check_extended_connect<'a>(f: Fields<'_, 'a>) -> Result<Offer<'a>, RequestError> {
    version(f)?;
    let origin = origin(f)?;
    Ok(Offer {
        origin,
        subprotocols: subprotocols(f)?,
        extensions: Cow::Owned(extensions(f)?),
    })
}

/// A request's or response's field list, read by name.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields<'h, 'a>(&'h [HeaderField<'a>]);

impl<'h, 'a> Fields<'h, 'a> {
    pub(crate) fn new(all: &'h [HeaderField<'a>]) -> Self {
        Self(all)
    }

    /// The value of every line of the field `name` (case-insensitive), in order.
    #[inline]
    pub(crate) fn lines(self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'h {
        self.0
            .iter()
            .filter(move |h| is_named(h, name))
            .map(|h| h.value)
    }

    /// Whether the field has a line.
    #[inline]
    fn has(self, name: &'static str) -> bool {
        self.0.iter().any(|h| is_named(h, name))
    }

    /// The field `name` that may appear at most once: `None` when absent, `Err(name)` when
    /// repeated.
    #[inline]
    pub(crate) fn single(self, name: &'static str) -> Result<Option<&'a [u8]>, &'static str> {
        let mut found = None;
        for h in self.0 {
            if is_named(h, name) {
                if found.is_some() {
                    return Err(name);
                }
                found = Some(h.value);
            }
        }
        Ok(found)
    }

    #[inline]
    fn single_or_400(self, name: &'static str) -> Result<Option<&'a [u8]>, RequestError> {
        self.single(name).map_err(RequestError::DuplicateHeader)
    }
}

/// Whether `h` is a line of the field `name` (names compare case-insensitively, RFC 9110 §5.1).
// Inlined into every scan: a call per field line and rule costs more than the compare.
#[inline(always)]
fn is_named(h: &HeaderField<'_>, name: &str) -> bool {
    h.name.len() == name.len() && h.name.eq_ignore_ascii_case(name)
}

/// Visible ASCII (`VCHAR`) and nothing else, as a `str`.
fn visible_ascii(v: &[u8]) -> Option<&str> {
    if v.is_empty() || !v.iter().all(|c| c.is_ascii_graphic()) {
        return None;
    }
    core::str::from_utf8(v).ok()
}

/// RFC 6455 §4.2.1 item 2, RFC 9112 §3.2: exactly one `Host`, visible ASCII.
fn host<'a>(f: Fields<'_, 'a>) -> Result<&'a str, RequestError> {
    let host = f.single_or_400("Host")?.ok_or(RequestError::MissingHost)?;
    visible_ascii(host).ok_or(RequestError::InvalidHost)
}

/// RFC 6455 §4.2.1 item 3 (request), §4.1 response item 2: an `Upgrade` list holding
/// `websocket`, case-insensitively.
pub(crate) fn has_upgrade(f: Fields<'_, '_>) -> bool {
    lists_contain(f.lines("Upgrade"), "websocket")
}

/// RFC 6455 §4.2.1 item 4 (request), §4.1 response item 3: a `Connection` list holding
/// `upgrade`, case-insensitively (`Connection: keep-alive, Upgrade`).
pub(crate) fn has_connection_upgrade(f: Fields<'_, '_>) -> bool {
    lists_contain(f.lines("Connection"), "upgrade")
}

/// RFC 6455 §4.2.1 item 6, §4.2.2 /version/, §4.4: exactly one `Sec-WebSocket-Version`,
/// exactly `13` (400 when missing, 426 otherwise, both naming the version to use).
fn version(f: Fields<'_, '_>) -> Result<(), RequestError> {
    match f.single_or_400("Sec-WebSocket-Version")? {
        None => Err(RequestError::MissingVersion),
        Some(v) if v != VERSION.as_bytes() => Err(RequestError::UnsupportedVersion),
        Some(_) => Ok(()),
    }
}

/// RFC 6455 §4.2.1 item 5: exactly one `Sec-WebSocket-Key`, base64 of 16 bytes.
fn key(f: Fields<'_, '_>) -> Result<SecWebSocketKey, RequestError> {
    let key = f
        .single_or_400("Sec-WebSocket-Key")?
        .ok_or(RequestError::MissingKey)?;
    SecWebSocketKey::parse_bytes(key).ok_or(RequestError::InvalidKey)
}

/// RFC 6455 §4.2.1 item 7, RFC 6454 §7: at most one `Origin`, visible ASCII.
fn origin<'a>(f: Fields<'_, 'a>) -> Result<Option<&'a str>, RequestError> {
    f.single_or_400("Origin")?
        .map(|o| visible_ascii(o).ok_or(RequestError::InvalidOrigin))
        .transpose()
}

/// No body (RFC 9112 §6.3): body bytes would be misread as frames, so `Transfer-Encoding` or
/// a non-zero `Content-Length` is refused, as Python's websockets does.
fn no_body(f: Fields<'_, '_>) -> Result<(), RequestError> {
    if f.has("Transfer-Encoding")
        || f.single_or_400("Content-Length")?
            .is_some_and(|v| v != b"0")
    {
        return Err(RequestError::UnexpectedBody);
    }
    Ok(())
}

/// RFC 6455 §4.1 item 10, §4.3: `Sec-WebSocket-Protocol`, if sent, is a list of unique tokens
/// over all its lines.
fn subprotocols<'a>(f: Fields<'_, 'a>) -> Result<Vec<&'a str>, RequestError> {
    let mut out = Vec::new();
    if f.has("Sec-WebSocket-Protocol") {
        parse_token_list(f.lines("Sec-WebSocket-Protocol"), &mut out)
            .map_err(|_| RequestError::InvalidSubprotocols)?;
    }
    Ok(out)
}

/// RFC 6455 §9.1: `Sec-WebSocket-Extensions`, if sent, is a list of extensions over all its
/// lines.
fn extensions(f: Fields<'_, '_>) -> Result<Vec<Extension>, RequestError> {
    parse_extension_lines(f.lines("Sec-WebSocket-Extensions"))
        .map_err(RequestError::InvalidExtensions)
}
