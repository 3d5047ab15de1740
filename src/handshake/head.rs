//! Reading a header block, for both roles: the bounds on it ([`Limits`]), the one httparse
//! call per kind of head, the buffer that collects the block across reads, and the incremental
//! reader that parses it once a line has ended and remembers the outcome.

use alloc::vec::Vec;
use core::mem::MaybeUninit;

use super::headers::trim_ows;
use super::{RequestError, ResponseError};
use crate::frame::Decoded;

/// Bounds on the header block a handshake buffers, so that a peer cannot make it buffer
/// without limit. Set the fields directly:
///
/// ```
/// let mut config = wswire::handshake::ServerConfig::default();
/// config.limits_mut().max_head_bytes = 8 * 1024;
/// ```
///
/// The defaults fit every browser (Chrome sends about 15 fields; large cookies stay far below
/// 16 KiB) and match common servers (Node's 16 KiB total, websockets' 128 fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest header block (request or status line, fields and the blank line) in bytes;
    /// beyond it the server answers 431 and the client fails the handshake. Default 16 KiB.
    pub max_head_bytes: usize,
    /// The most header fields; beyond it the server answers 431 and the client fails the
    /// handshake. Default 128.
    pub max_headers: usize,
    /// The longest request line; beyond it the server answers 414. Default 8 KiB.
    pub max_request_line: usize,
    /// The longest header field line (name, colon, value) of a request; beyond it the server
    /// answers 431 (RFC 6585 §5: "a single header field is too large"), as soon as the line is
    /// that long even before it ends. Default 8 KiB (as nginx's and Node's per-field limits).
    pub max_header_line: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_head_bytes: 16 * 1024,
            max_headers: 128,
            max_request_line: 8 * 1024,
            max_header_line: 8 * 1024,
        }
    }
}

/// A header field as received: the name as sent, the value with surrounding OWS removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderField<'a> {
    /// The field name (compare case-insensitively).
    pub name: &'a str,
    /// The field value; not necessarily UTF-8.
    pub value: &'a [u8],
}

/// The incremental reading both roles share: buffer the head (at most
/// [`Limits::max_head_bytes`]), parse it whenever a line has ended, and keep the outcome, so
/// that later calls consume nothing and answer the same without parsing again.
#[derive(Debug)]
pub(crate) struct HeadReader<T, E> {
    head: HeadBuffer,
    state: ReadState<T, E>,
}

#[derive(Debug)]
enum ReadState<T, E> {
    Reading,
    /// Complete. What is kept of the value is made on the first call after the one that
    /// completed (which parses once more, then never again): the common caller asks once, and
    /// pays nothing for the cache.
    Done(Option<T>),
    Failed(E),
}

/// A value read from a complete head (borrowing from it), and what [`HeadReader`] keeps of it
/// so that later calls hand out the same value without parsing again.
pub(crate) trait Keep<'h>: Sized {
    /// What is kept between calls.
    type Kept;
    /// Takes what later calls need from this value, read from `head`.
    fn keep(&mut self, head: &'h [u8]) -> Self::Kept;
    /// Lets this value borrow back what [`Keep::keep`] took.
    fn lend(&mut self, kept: &'h Self::Kept);
    /// The value again, from what was kept.
    fn again(kept: &'h Self::Kept, head: &'h [u8]) -> Self;
}

impl<T, E: Clone> HeadReader<T, E> {
    pub(crate) fn new() -> Self {
        Self {
            head: HeadBuffer::default(),
            state: ReadState::Reading,
        }
    }

    /// Feeds `input`. Once a line has ended, `parse(head, buffered_before)` judges the whole
    /// head buffered so far (`buffered_before` is how much of it came before `input`); while
    /// the head is incomplete, `over_limit` may refuse it. Once complete: the value and how
    /// many bytes of `input` belong to the head (0 on every later call, which returns the kept
    /// value); an error is returned again on every later call.
    pub(crate) fn read<'h, R: Keep<'h, Kept = T>>(
        &'h mut self,
        input: &[u8],
        max_head_bytes: usize,
        parse: impl FnOnce(&'h [u8], usize) -> Result<Decoded<(R, usize)>, E>,
        over_limit: impl FnOnce(&HeadBuffer) -> Option<E>,
    ) -> Result<Decoded<(R, usize)>, E> {
        match &self.state {
            ReadState::Reading => {}
            ReadState::Done(Some(_)) => {
                // Borrowed again, for 'h, only on this path (today's borrow checker rejects
                // the binding in the `match` above: the assignments below would conflict).
                let ReadState::Done(Some(kept)) = &self.state else {
                    return Ok(Decoded::Incomplete { needed: 1 }); // not reached: matched above
                };
                return Ok(Decoded::Complete((R::again(kept, &self.head.buf), 0)));
            }
            ReadState::Done(None) => {
                let head: &'h [u8] = &self.head.buf;
                return match parse(head, 0) {
                    Ok(Decoded::Complete((mut value, _))) => {
                        self.state = ReadState::Done(Some(value.keep(head)));
                        if let ReadState::Done(Some(kept)) = &self.state {
                            value.lend(kept);
                        }
                        Ok(Decoded::Complete((value, 0)))
                    }
                    // The same bytes parsed to a value before, and parsing is deterministic.
                    _ => Ok(Decoded::Incomplete { needed: 1 }),
                };
            }
            ReadState::Failed(e) => return Err(e.clone()),
        }
        let old = self.head.buf.len();
        let line_ended = self.head.push(input, max_head_bytes).line_ended;
        let head: &'h [u8] = &self.head.buf;
        let outcome = if line_ended {
            parse(head, old)
        } else {
            Ok(Decoded::Incomplete { needed: 1 })
        };
        let e = match outcome {
            Ok(Decoded::Complete((value, len))) => {
                self.state = ReadState::Done(None);
                return Ok(Decoded::Complete((value, len.saturating_sub(old))));
            }
            Ok(Decoded::Incomplete { .. }) => match over_limit(&self.head) {
                Some(e) => e,
                None => {
                    return Ok(Decoded::Incomplete {
                        needed: needed(head),
                    });
                }
            },
            Err(e) => e,
        };
        self.state = ReadState::Failed(e.clone());
        Err(e)
    }
}

/// The fewest further bytes that could end the head in `buf` (≥ 1): one after a line end (or
/// a line end and a CR), two otherwise, since httparse, as RFC 9112 §2.2 allows, also takes a
/// bare LF as a line end.
pub(crate) fn needed(buf: &[u8]) -> usize {
    if buf.ends_with(b"\n") || buf.ends_with(b"\n\r") {
        1
    } else {
        2
    }
}

/// The bytes of a header block received so far, bounded by the caller's limit, with an
/// incremental scan for the line ends that make a parse worthwhile: the block is parsed
/// again only when a new line has ended, so a peer cannot buy quadratic work one byte at a
/// time.
#[derive(Debug, Default)]
pub(crate) struct HeadBuffer {
    buf: Vec<u8>,
    scanned: usize,
    first_line_end: Option<usize>,
    /// Where the last (possibly unfinished) line starts.
    line_start: usize,
}

/// What [`HeadBuffer::push`] found in the new bytes.
#[derive(Clone, Copy, Debug, Default)]
struct Scan {
    /// A line ended within these bytes (so possibly the whole block): time to parse again.
    /// Parses are bounded by the header-count limit, since every line but the last is a field.
    line_ended: bool,
}

impl HeadBuffer {
    /// Appends as much of `input` as fits under `max` bytes and scans only the new bytes, so
    /// feeding a block one byte at a time costs linear time.
    fn push(&mut self, input: &[u8], max: usize) -> Scan {
        let take = input.len().min(max.saturating_sub(self.buf.len()));
        self.buf
            .extend_from_slice(input.get(..take).unwrap_or_default());
        let mut scan = Scan::default();
        let new = self.buf.get(self.scanned..).unwrap_or_default();
        if let Some(i) = new.iter().position(|&c| c == b'\n') {
            scan.line_ended = true;
            if self.first_line_end.is_none() {
                self.first_line_end = Some(self.scanned + i);
            }
        }
        if let Some(i) = new.iter().rposition(|&c| c == b'\n') {
            self.line_start = self.scanned + i + 1;
        }
        self.scanned = self.buf.len();
        scan
    }

    /// The limit an unfinished request head already breaks, judged from what the scan saw:
    /// the request line, the last (unfinished) field line, then the whole block. Lines that
    /// ended are judged when the head is parsed.
    pub(crate) fn request_over_limit(&self, limits: &Limits) -> Option<RequestError> {
        let line = self.first_line_end.unwrap_or(self.buf.len());
        let unfinished = match self.first_line_end {
            Some(_) => self.buf.len() - self.line_start,
            None => 0, // still on the request line, which has its own limit
        };
        if line > limits.max_request_line {
            Some(RequestError::RequestLineTooLong)
        } else if unfinished > limits.max_header_line {
            Some(RequestError::HeaderLineTooLong)
        } else if self.buf.len() >= limits.max_head_bytes {
            Some(RequestError::HeadTooLarge)
        } else {
            None
        }
    }

    /// Whether the unfinished head fills [`Limits::max_head_bytes`].
    pub(crate) fn is_full(&self, limits: &Limits) -> bool {
        self.buf.len() >= limits.max_head_bytes
    }
}

/// A request head as read, before any WebSocket rule: the request line, the fields (values
/// with OWS trimmed) and the length of the block.
#[derive(Debug)]
pub(crate) struct RequestHead<'b> {
    pub(crate) method: &'b str,
    pub(crate) target: &'b str,
    pub(crate) http11: bool,
    pub(crate) fields: Vec<HeaderField<'b>>,
    pub(crate) len: usize,
}

/// A response head as read: the status, the fields (values with OWS trimmed) and the length.
#[derive(Debug)]
pub(crate) struct ResponseHead<'b> {
    pub(crate) code: u16,
    pub(crate) http11: bool,
    pub(crate) fields: Vec<HeaderField<'b>>,
    pub(crate) len: usize,
}

/// Parses the request head at the start of `buf` (RFC 9112 §2–3, §5) within `limits`.
///
/// # Errors
/// Malformed HTTP, or a limit broken: 414 for the request line, 431 for a field line, the
/// field count or the block (once `buf` holds [`Limits::max_head_bytes`] without its end).
pub(crate) fn parse_request_head<'b>(
    buf: &'b [u8],
    limits: &Limits,
) -> Result<Decoded<RequestHead<'b>>, RequestError> {
    if starts_with_empty_lines(buf) {
        return Err(RequestError::Malformed);
    }
    with_slots(limits.max_headers, |slots| {
        let mut req = httparse::Request::new(&mut []);
        let parsed = req.parse_with_uninit_headers(buf, slots);
        let line = buf.iter().position(|&c| c == b'\n').unwrap_or(buf.len());
        let len = match parsed {
            _ if line > limits.max_request_line => return Err(RequestError::RequestLineTooLong),
            Ok(httparse::Status::Partial) if longest_field_line(buf) > limits.max_header_line => {
                return Err(RequestError::HeaderLineTooLong);
            }
            Ok(httparse::Status::Complete(_))
                if longest_field(buf, req.headers) > limits.max_header_line =>
            {
                return Err(RequestError::HeaderLineTooLong);
            }
            Ok(httparse::Status::Complete(n)) if n <= limits.max_head_bytes => n,
            Ok(httparse::Status::Complete(_)) => return Err(RequestError::HeadTooLarge),
            Ok(httparse::Status::Partial) if buf.len() >= limits.max_head_bytes => {
                return Err(RequestError::HeadTooLarge);
            }
            Ok(httparse::Status::Partial) => {
                let needed = needed(buf);
                return Ok(Decoded::Incomplete { needed });
            }
            Err(httparse::Error::TooManyHeaders) => return Err(RequestError::TooManyHeaders),
            Err(httparse::Error::Version) => return Err(RequestError::UnsupportedHttpVersion),
            Err(_) => return Err(RequestError::Malformed),
        };
        let (Some(method), Some(target), Some(version)) = (req.method, req.path, req.version)
        else {
            return Err(RequestError::Malformed);
        };
        Ok(Decoded::Complete(RequestHead {
            method,
            target,
            http11: version == 1,
            fields: fields(req.headers),
            len,
        }))
    })
}

/// Parses the response head at the start of `buf` (RFC 9112 §4) with at most
/// [`Limits::max_headers`] fields. The block's size is the caller's to bound.
///
/// # Errors
/// Malformed HTTP or too many fields.
pub(crate) fn parse_response_head<'b>(
    buf: &'b [u8],
    limits: &Limits,
) -> Result<Decoded<ResponseHead<'b>>, ResponseError> {
    if starts_with_empty_lines(buf) {
        return Err(ResponseError::Malformed);
    }
    with_slots(limits.max_headers, |slots| {
        let mut resp = httparse::Response::new(&mut []);
        let len = match httparse::ParserConfig::default()
            .parse_response_with_uninit_headers(&mut resp, buf, slots)
        {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => {
                let needed = needed(buf);
                return Ok(Decoded::Incomplete { needed });
            }
            Err(httparse::Error::TooManyHeaders) => return Err(ResponseError::TooManyHeaders),
            Err(_) => return Err(ResponseError::Malformed),
        };
        let (Some(version), Some(code)) = (resp.version, resp.code) else {
            return Err(ResponseError::Malformed);
        };
        Ok(Decoded::Complete(ResponseHead {
            code,
            http11: version == 1,
            fields: fields(resp.headers),
            len,
        }))
    })
}

/// Runs `f` over `n` uninitialised httparse header slots: on the stack up to 32, on the
/// heap beyond.
fn with_slots<'b, R>(n: usize, f: impl FnOnce(&mut [MaybeUninit<httparse::Header<'b>>]) -> R) -> R {
    const STACK: usize = 32;
    if n <= STACK {
        let mut stack = [const { MaybeUninit::<httparse::Header<'b>>::uninit() }; STACK];
        f(stack.get_mut(..n).unwrap_or_default())
    } else {
        let mut heap = Vec::new();
        heap.resize_with(n, MaybeUninit::uninit);
        f(&mut heap)
    }
}

/// The parsed fields, values with OWS trimmed.
fn fields<'b>(headers: &[httparse::Header<'b>]) -> Vec<HeaderField<'b>> {
    headers
        .iter()
        .map(|h| HeaderField {
            name: h.name,
            value: trim_ows(h.value),
        })
        .collect()
}

/// The longest field line (name to the end of the value) of a parsed head in `buf`.
fn longest_field(buf: &[u8], headers: &[httparse::Header<'_>]) -> usize {
    let at = |s: &[u8]| (s.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
    headers
        .iter()
        .map(|h| at(h.value) + h.value.len() - at(h.name.as_bytes()))
        .max()
        .unwrap_or(0)
}

/// The longest line after the first in `buf`, counting an unfinished last line (line breaks
/// not counted).
fn longest_field_line(buf: &[u8]) -> usize {
    buf.split(|&c| c == b'\n')
        .skip(1)
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line).len())
        .max()
        .unwrap_or(0)
}

/// Whether `buf` starts with two empty lines. RFC 9112 §2.2 asks a server to ignore *at least
/// one* empty line before the request line; more are refused, since each would cost a
/// re-parse of the growing buffer.
fn starts_with_empty_lines(buf: &[u8]) -> bool {
    let rest = buf
        .strip_prefix(b"\r\n")
        .or_else(|| buf.strip_prefix(b"\n"));
    rest.is_some_and(|r| r.starts_with(b"\r\n") || r.starts_with(b"\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needed_is_what_could_still_end_the_head() {
        assert_eq!(needed(b"GET / HTTP/1.1\r\nHost: a\r\n"), 1);
        assert_eq!(needed(b"GET / HTTP/1.1\r\nHost: a\r\n\r"), 1);
        assert_eq!(needed(b"GET / HTTP/1.1\r\nHost: a\r"), 2);
        assert_eq!(needed(b"GET / HTTP/1.1\r\nHost: a"), 2);
        assert_eq!(needed(b""), 2);
        // Each claim holds: that many bytes do end the head.
        let limits = Limits::default();
        for (head, end) in [
            (&b"GET / HTTP/1.1\r\nA: b\r\n"[..], &b"\n"[..]),
            (b"GET / HTTP/1.1\r\nA: b", b"\n\n"),
        ] {
            let buf = [head, end].concat();
            assert_eq!(needed(head), end.len());
            assert!(matches!(
                parse_request_head(&buf, &limits),
                Ok(Decoded::Complete(_))
            ));
        }
    }
}
