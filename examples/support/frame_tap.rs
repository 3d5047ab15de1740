//! A passive count of the data messages in one direction of a WebSocket byte stream, and of
//! how many of them were compressed (RSV1 on their first frame, RFC 7692 §6), for the logs of
//! `echo_server` and `client`.
//!
//! The [`Connection`](wswire::Connection) inflates compressed messages and hands out only the
//! payloads, so whether a message arrived compressed is read here from the frame headers,
//! with wswire's own [`FrameHeader::decode_with`]: the tap skips the HTTP head, then walks
//! header → payload → header without copying or unmasking anything. It is an observer only;
//! if it ever meets a header it cannot decode (the connection will fail on it anyway), it
//! stops counting.

use wswire::frame::{Decoded, FrameHeader, LengthRule, Opcode, Rsv};

/// The largest frame header (2 + 8 length bytes + 4 mask bytes).
const MAX_HEADER: usize = 14;

/// Counts of one direction of a stream; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct FrameTap {
    /// Still inside the HTTP head: how many bytes of `\r\n\r\n` have matched.
    http: Option<usize>,
    /// Bytes of a header split across reads.
    head: [u8; MAX_HEADER],
    head_len: usize,
    /// Payload bytes of the current frame still to skip.
    skip: u64,
    /// A header failed to decode: stop counting.
    lost: bool,
    /// Data messages (Text or Binary first frames) seen.
    pub(crate) messages: u64,
    /// Those with RSV1, i.e. compressed.
    pub(crate) compressed: u64,
    /// Payload bytes of data frames on the wire (compressed size where compressed).
    pub(crate) wire_bytes: u64,
}

impl FrameTap {
    /// A tap for a stream that starts with an HTTP head (`http`) or directly with frames.
    pub(crate) fn new(http: bool) -> Self {
        Self {
            http: http.then_some(0),
            head: [0; MAX_HEADER],
            head_len: 0,
            skip: 0,
            lost: false,
            messages: 0,
            compressed: 0,
            wire_bytes: 0,
        }
    }

    /// Looks at the next bytes of the stream.
    pub(crate) fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() && !self.lost {
            if let Some(matched) = &mut self.http {
                let end = data.iter().position(|&b| {
                    *matched = match (b, *matched) {
                        (b'\r', 0 | 2) | (b'\n', 1 | 3) => *matched + 1,
                        (b'\r', _) => 1,
                        _ => 0,
                    };
                    *matched == 4
                });
                match end {
                    Some(i) => {
                        self.http = None;
                        data = &data[i + 1..];
                    }
                    None => return,
                }
                continue;
            }
            if self.skip > 0 {
                let n = usize::try_from(self.skip).map_or(data.len(), |s| s.min(data.len()));
                self.skip -= n as u64;
                data = &data[n..];
                continue;
            }
            let take = (MAX_HEADER - self.head_len).min(data.len());
            self.head[self.head_len..self.head_len + take].copy_from_slice(&data[..take]);
            let buf = &self.head[..self.head_len + take];
            match FrameHeader::decode_with(buf, LengthRule::AllowNonMinimal) {
                Ok(Decoded::Complete((h, used))) => {
                    // `used` > head_len: the bytes held before were not enough on their own.
                    data = &data[used - self.head_len..];
                    self.head_len = 0;
                    self.skip = h.payload_len;
                    if matches!(h.opcode, Opcode::Text | Opcode::Binary) {
                        self.messages += 1;
                        self.compressed += u64::from(h.rsv.contains(Rsv::RSV1));
                    }
                    if !h.opcode.is_control() {
                        self.wire_bytes += h.payload_len;
                    }
                }
                Ok(Decoded::Incomplete { .. }) => {
                    self.head_len += take;
                    data = &data[take..];
                }
                Err(_) => self.lost = true,
            }
        }
    }

    /// `compressed/messages`, e.g. `3/5`, with `?` when counting stopped.
    pub(crate) fn ratio(&self) -> String {
        format!(
            "{}/{}{}",
            self.compressed,
            self.messages,
            if self.lost { "?" } else { "" }
        )
    }
}
