//! Reading a header block: the bounds on it ([`Limits`]), the fields as received, and the
//! buffer that collects the block across reads.

use alloc::vec::Vec;

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

/// The bytes of a header block received so far, bounded by the caller's limit, with an
/// incremental scan for the line ends that make a parse worthwhile: the block is parsed
/// again only when a new line has ended, so a peer cannot buy quadratic work one byte at a
/// time.
#[derive(Debug, Default)]
pub(crate) struct HeadBuffer {
    pub(crate) buf: Vec<u8>,
    scanned: usize,
    pub(crate) first_line_end: Option<usize>,
    /// Where the last (possibly unfinished) line starts.
    line_start: usize,
}

impl HeadBuffer {
    /// The length of the last line, not yet ended (0 while still on the first line, which
    /// has its own limit): lines that ended are judged when the head is parsed.
    pub(crate) fn unfinished_line(&self) -> usize {
        match self.first_line_end {
            Some(_) => self.buf.len() - self.line_start,
            None => 0,
        }
    }
}

/// What [`HeadBuffer::push`] found in the new bytes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Scan {
    /// A line ended within these bytes (so possibly the whole block): time to parse again.
    /// Parses are bounded by the header-count limit, since every line but the last is a field.
    pub(crate) line_ended: bool,
}

impl HeadBuffer {
    /// Appends as much of `input` as fits under `max` bytes and scans only the new bytes, so
    /// feeding a block one byte at a time costs linear time.
    pub(crate) fn push(&mut self, input: &[u8], max: usize) -> Scan {
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
}

/// The longest line after the first in `buf`, counting an unfinished last line (line breaks
/// not counted).
pub(crate) fn longest_field_line(buf: &[u8]) -> usize {
    buf.split(|&c| c == b'\n')
        .skip(1)
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line).len())
        .max()
        .unwrap_or(0)
}

/// Whether `buf` starts with two empty lines. RFC 9112 §2.2 asks a server to ignore *at least
/// one* empty line before the request line; more are refused, since each would cost a
/// re-parse of the growing buffer.
pub(crate) fn starts_with_empty_lines(buf: &[u8]) -> bool {
    let rest = buf
        .strip_prefix(b"\r\n")
        .or_else(|| buf.strip_prefix(b"\n"));
    rest.is_some_and(|r| r.starts_with(b"\r\n") || r.starts_with(b"\n"))
}
