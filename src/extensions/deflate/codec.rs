//! The codec seam: two small object-safe traits a DEFLATE engine implements, and the
//! per-message logic of RFC 7692 §7.2 on top of them ([`MessageInflater`], [`Compressor`]),
//! which needs no engine to compile.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;

pub use crate::codec_error::CodecError;
use crate::error::ProtocolError;

/// The four bytes a sync flush ends with; removed by the sender at the end of a message and
/// appended by the receiver before inflating its end (RFC 7692 §7.2.1, §7.2.2).
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Output buffers above this capacity are released between messages.
const RETAIN_CAPACITY: usize = 8 * 1024;

/// What one [`Inflate::inflate`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InflateProgress {
    /// Input bytes used.
    pub consumed: usize,
    /// Output bytes written.
    pub written: usize,
    /// The DEFLATE stream ended (a block with BFINAL = 1 was finished).
    pub stream_end: bool,
}

/// A raw-DEFLATE decompressor (RFC 1951, no zlib header), kept across messages for context
/// takeover.
pub trait Inflate: fmt::Debug + Send + Sync {
    /// Decompresses from `input` into `output`, as much as both allow. All output that the
    /// consumed input determines must be written before more output space is asked for: a
    /// call that leaves `output` room and `input` unconsumed has consumed all it can.
    ///
    /// Output written before invalid data is found must be reported: a call that finds it
    /// after writing returns `Ok` with what it wrote, and the next call the error. So the
    /// size limit is checked on every byte inflated, and a message that passes the limit
    /// before its corruption fails with 1009 however its payload was cut.
    ///
    /// # Errors
    /// [`CodecError`] for invalid DEFLATE data (including a distance beyond the window).
    fn inflate(&mut self, input: &[u8], output: &mut [u8]) -> Result<InflateProgress, CodecError>;

    /// Forgets the window and any partial block: the next input starts a new stream.
    fn reset(&mut self);
}

/// A raw-DEFLATE compressor (RFC 1951, no zlib header) with a bounded window.
pub trait Deflate: fmt::Debug + Send + Sync {
    /// Compresses all of `input` and sync-flushes (RFC 7692 §7.2.1): appends to `output`
    /// data that ends on a byte boundary with an empty stored block, `00 00 ff ff`.
    ///
    /// # Errors
    /// [`CodecError`] when the engine fails; the caller resets it.
    fn compress_sync(&mut self, input: &[u8], output: &mut Vec<u8>) -> Result<(), CodecError>;

    /// Forgets the window: the next message references nothing before it.
    fn reset(&mut self);
}

/// A DEFLATE engine: how to make each half. `Copy`, so it fits in [`crate::Config`].
///
/// ```
/// use wswire::extensions::deflate::Codec;
/// // With the `deflate` feature the default is flate2 on zlib-rs; without it, none.
/// assert_eq!(Codec::default_codec().is_some(), cfg!(feature = "deflate"));
/// ```
#[derive(Clone, Copy)]
pub struct Codec {
    name: &'static str,
    inflater: fn(window_bits: u8) -> Box<dyn Inflate>,
    deflater: fn(window_bits: u8, level: u8) -> Option<Box<dyn Deflate>>,
}

impl Codec {
    /// A codec from its two constructors. `inflater(bits)` must inflate any stream compressed
    /// with a window of at most 2^bits (9–15; a larger window is fine). `deflater(bits,
    /// level)` must never reference more than 2^bits bytes back (9–15), or return `None` when
    /// it cannot; `level` is 0–9.
    pub const fn new(
        name: &'static str,
        inflater: fn(window_bits: u8) -> Box<dyn Inflate>,
        deflater: fn(window_bits: u8, level: u8) -> Option<Box<dyn Deflate>>,
    ) -> Self {
        Self {
            name,
            inflater,
            deflater,
        }
    }

    /// The name given.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A fresh inflater for a peer window of 2^`window_bits`.
    pub fn new_inflater(&self, window_bits: u8) -> Box<dyn Inflate> {
        (self.inflater)(window_bits)
    }

    /// A fresh compressor, or `None` when the engine cannot honour the window.
    pub fn new_deflater(&self, window_bits: u8, level: u8) -> Option<Box<dyn Deflate>> {
        (self.deflater)(window_bits, level)
    }

    /// The built-in codec: flate2 on zlib-rs with the `deflate` feature, else `None`.
    pub fn default_codec() -> Option<Self> {
        #[cfg(feature = "deflate")]
        {
            Some(Self::flate2())
        }
        #[cfg(not(feature = "deflate"))]
        {
            None
        }
    }
}

impl fmt::Debug for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Codec").field(&self.name).finish()
    }
}

impl PartialEq for Codec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && core::ptr::fn_addr_eq(self.inflater, other.inflater)
            && core::ptr::fn_addr_eq(self.deflater, other.deflater)
    }
}

impl Eq for Codec {}

/// What one [`MessageInflater::inflate`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InflateStep {
    /// Payload bytes used (all of them once the stream has ended).
    pub consumed: usize,
    /// Bytes written to the output.
    pub written: usize,
    /// The message is complete: all its payload and the `00 00 ff ff` tail were inflated and
    /// no output is held back. The inflater is ready for the next message.
    pub done: bool,
}

/// The receiving side of permessage-deflate for one connection: inflates each compressed
/// message as its payload streams in, appends the `00 00 ff ff` tail at the end (RFC 7692
/// §7.2.2), bounds the inflated size, resets per message when the peer agreed
/// no-context-takeover, and recreates the stream after a final block (RFC 7692 §7.2.3.4).
///
/// The engine is created on the first compressed message, so a connection whose peer never
/// compresses holds none.
#[derive(Debug)]
pub struct MessageInflater {
    codec: Codec,
    window_bits: u8,
    no_context_takeover: bool,
    engine: Option<Box<dyn Inflate>>,
    /// Tail bytes fed for the message in progress.
    tail: usize,
    /// Bytes inflated for the message in progress.
    produced: u64,
    /// The stream ended inside this message: ignore the rest of it, reset at its end.
    ended: bool,
    /// Payload bytes were fed for the message in progress.
    seen: bool,
    /// The message inflated past the limit: the bytes up to the limit were handed out (to be
    /// validated first), and the next call reports [`ProtocolError::InflatedTooLarge`].
    over_limit: bool,
}

impl MessageInflater {
    /// An inflater for a peer that compresses with at most 2^`window_bits` and resets its
    /// context after every message when `no_context_takeover`.
    pub(crate) fn new(codec: Codec, window_bits: u8, no_context_takeover: bool) -> Self {
        Self {
            codec,
            window_bits: window_bits.clamp(9, 15),
            no_context_takeover,
            engine: None,
            tail: 0,
            produced: 0,
            ended: false,
            seen: false,
            over_limit: false,
        }
    }

    /// Bytes inflated so far for the message in progress.
    #[cfg(all(test, feature = "deflate"))]
    pub(crate) fn produced(&self) -> u64 {
        self.produced
    }

    /// Whether an engine has been created (memory is held).
    #[cfg(all(test, feature = "deflate"))]
    pub(crate) fn has_engine(&self) -> bool {
        self.engine.is_some()
    }

    /// Inflates payload bytes of one compressed message into `output`. `last` says that
    /// `input` runs to the end of the message, so the tail is fed after it. Call again with
    /// the unconsumed input (or none) and fresh output until [`InflateStep::done`] — or, when
    /// not `last`, until all input is consumed and the output was not filled.
    ///
    /// At most `max + 1 - produced` bytes are written, so a message that inflates past `max`
    /// is caught with one byte over, not after materialising it. The bytes up to `max` are
    /// still returned, and the error comes from the next call: so the caller validates what
    /// precedes the limit first, and an invalid byte before it (1007) is reported the same way
    /// however the input was chunked.
    ///
    /// # Errors
    /// [`ProtocolError::Inflate`] (1007) for invalid DEFLATE data,
    /// [`ProtocolError::InflatedTooLarge`] (1009) past `max`. The message is then abandoned
    /// and the inflater reset.
    pub fn inflate(
        &mut self,
        input: &[u8],
        last: bool,
        output: &mut [u8],
        max: u64,
    ) -> Result<InflateStep, ProtocolError> {
        let r = self.inflate_inner(input, last, output, max);
        match r {
            Ok(step) if step.done => self.end_message(),
            Ok(_) => {}
            Err(_) => self.abort(),
        }
        r
    }

    fn inflate_inner(
        &mut self,
        input: &[u8],
        last: bool,
        output: &mut [u8],
        max: u64,
    ) -> Result<InflateStep, ProtocolError> {
        if self.over_limit {
            return Err(ProtocolError::InflatedTooLarge { max });
        }
        let room = max.saturating_sub(self.produced).saturating_add(1);
        let cap = usize::try_from(room).map_or(output.len(), |r| r.min(output.len()));
        let (output, _) = output.split_at_mut(cap);
        let mut consumed = 0;
        let mut written = 0;
        self.seen |= !input.is_empty();
        if self.ended {
            consumed = input.len();
        } else if !self.seen {
            // An empty compressed message: no DEFLATE data at all. Appending the tail alone
            // would leave the engine inside a stored block, so it is not fed.
            return Ok(InflateStep {
                consumed: 0,
                written: 0,
                done: last,
            });
        } else {
            let engine = match &mut self.engine {
                Some(e) => e,
                None => self
                    .engine
                    .insert(self.codec.new_inflater(self.window_bits)),
            };
            while written < output.len() {
                let (src, from_input) = match input.get(consumed..) {
                    Some(rest) if !rest.is_empty() => (rest, true),
                    _ if last => (TAIL.get(self.tail..).unwrap_or_default(), false),
                    _ => (&[][..], false),
                };
                let out = output.get_mut(written..).unwrap_or_default();
                let p = engine.inflate(src, out).map_err(ProtocolError::Inflate)?;
                if from_input {
                    consumed += p.consumed.min(src.len());
                } else {
                    self.tail += p.consumed.min(src.len());
                }
                let n = p.written.min(out.len());
                written += n;
                self.produced += n as u64;
                if self.produced > max {
                    // Hand out the bytes up to the limit; the next call fails.
                    let excess = usize::try_from(self.produced - max).unwrap_or(written);
                    written = written.saturating_sub(excess);
                    self.produced = max;
                    self.over_limit = true;
                    return Ok(InflateStep {
                        consumed,
                        written,
                        done: false,
                    });
                }
                if p.stream_end {
                    self.ended = true;
                    consumed = input.len();
                    break;
                }
                if p.consumed == 0 && n == 0 {
                    if !src.is_empty() {
                        return Err(ProtocolError::Inflate(CodecError::new(
                            "inflater made no progress",
                        )));
                    }
                    break;
                }
            }
        }
        let done = last
            && consumed == input.len()
            && (self.ended || (self.tail == TAIL.len() && written < output.len()));
        Ok(InflateStep {
            consumed,
            written,
            done,
        })
    }

    /// The message passed the limit: the bytes up to it were handed out, the next call
    /// fails with 1009.
    pub(crate) const fn is_over_limit(&self) -> bool {
        self.over_limit
    }

    fn end_message(&mut self) {
        let reset = self.no_context_takeover || self.ended;
        self.forget_message(reset);
    }

    /// Abandons the message in progress (after an error): the engine is reset.
    pub fn abort(&mut self) {
        self.forget_message(true);
    }

    /// Clears the per-message state, resetting the engine's context when `reset`.
    fn forget_message(&mut self, reset: bool) {
        if reset {
            // Nothing is kept for the next message: free the engine's state (its window and
            // tables) rather than reset it; the next compressed message makes a new one.
            self.engine = None;
        }
        self.tail = 0;
        self.produced = 0;
        self.ended = false;
        self.seen = false;
        self.over_limit = false;
    }
}

/// The sending side of permessage-deflate for one connection (RFC 7692 §7.2.1): decides per
/// message whether to compress (threshold, per-message opt-out), compresses each part with a
/// sync flush, strips the final `00 00 ff ff`, and resets the context after each message when
/// no-context-takeover was agreed for our side.
///
/// Use it with [`Sender::data_compressed`](crate::send::Sender::data_compressed); a
/// [`Connection`](crate::Connection) does. The engine is created on the first compressed
/// message.
#[derive(Debug)]
pub struct Compressor {
    codec: Codec,
    window_bits: u8,
    level: u8,
    no_context_takeover: bool,
    threshold: usize,
    engine: Option<Box<dyn Deflate>>,
    buf: Vec<u8>,
    /// The message in progress is being compressed.
    current: bool,
    /// The engine could not be created: send everything uncompressed.
    disabled: bool,
}

impl Compressor {
    /// A compressor with a window of 2^`window_bits` (9–15), resetting after every message
    /// when `no_context_takeover`, compressing whole messages of at least `threshold` bytes at
    /// `level` (0–9).
    pub(crate) fn new(
        codec: Codec,
        window_bits: u8,
        no_context_takeover: bool,
        level: u8,
        threshold: usize,
    ) -> Self {
        Self {
            codec,
            window_bits: window_bits.clamp(9, 15),
            level: level.min(9),
            no_context_takeover,
            threshold,
            engine: None,
            buf: Vec::new(),
            current: false,
            disabled: false,
        }
    }

    /// The compression window in bits.
    pub fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// Whether the context is reset after every message.
    pub fn no_context_takeover(&self) -> bool {
        self.no_context_takeover
    }

    /// Whether a whole message of `len` bytes would be compressed (the threshold, and an
    /// engine that could be made).
    pub(crate) fn takes_whole(&self, len: usize) -> bool {
        !self.disabled && len >= self.threshold
    }

    /// The settings under which a whole message compressed once can be sent by every
    /// compressor that has them: `Some` only when no context is kept (each message starts
    /// from a fresh engine, so the same input gives the same output); with context takeover
    /// the bytes depend on this connection's history.
    pub(crate) fn shared_settings(&self) -> Option<SharedDeflate> {
        self.no_context_takeover.then_some(SharedDeflate {
            codec: self.codec,
            window_bits: self.window_bits,
            level: self.level,
        })
    }

    /// Releases the output buffer once its bytes were framed, when it grew past 8 KiB: a
    /// large compressed message does not pin its size until the next one.
    pub(crate) fn trim(&mut self) {
        if self.buf.capacity() > RETAIN_CAPACITY {
            self.buf = Vec::new();
        }
    }

    /// Whether an engine has been created (memory is held).
    #[cfg(all(test, feature = "deflate"))]
    pub(crate) fn has_engine(&self) -> bool {
        self.engine.is_some()
    }

    /// One part of a message: `first` when it starts the message, `fin` when it ends it,
    /// `allow = false` to send this message uncompressed (decided on the first part; later
    /// parts follow it, as Node's ws does). Returns the payload to send with RSV1 on the first
    /// frame, or `None` to send `data` as it is.
    ///
    /// A whole message (`first && fin`) is compressed when it has at least `threshold` bytes;
    /// a streamed one whenever allowed (its size is not known).
    ///
    /// # Errors
    /// [`CodecError`] when the engine fails on a later part of a compressed message; on a
    /// first part the message falls back to uncompressed instead.
    pub(crate) fn compress(
        &mut self,
        data: &[u8],
        first: bool,
        fin: bool,
        allow: bool,
    ) -> Result<Option<&[u8]>, CodecError> {
        if first {
            self.current = allow && !self.disabled && (!fin || data.len() >= self.threshold);
            if self.buf.capacity() > RETAIN_CAPACITY {
                self.buf = Vec::new();
            }
        }
        if !self.current {
            return Ok(None);
        }
        let engine = match &mut self.engine {
            Some(e) => e,
            None => match self.codec.new_deflater(self.window_bits, self.level) {
                Some(e) => self.engine.insert(e),
                None => {
                    self.disabled = true;
                    self.current = false;
                    return if first {
                        Ok(None)
                    } else {
                        Err(CodecError::new("no compressor"))
                    };
                }
            },
        };
        self.buf.clear();
        if let Err(e) = engine.compress_sync(data, &mut self.buf) {
            engine.reset();
            self.buf.clear();
            self.current = false;
            return if first { Ok(None) } else { Err(e) };
        }
        if fin {
            if self.buf.ends_with(&TAIL) {
                self.buf.truncate(self.buf.len() - TAIL.len());
            }
            if self.buf.is_empty() {
                // Nothing new since the last flush (the engine emits no second marker): send
                // the header byte of an empty stored block, which the receiver's `00 00 ff ff`
                // completes (RFC 7692 §7.2.3.6).
                self.buf.push(0);
            }
            if self.no_context_takeover {
                // Nothing is kept for the next message: free the engine's state (hundreds of
                // KiB) rather than reset it; the next compressed message makes a new one.
                self.engine = None;
            }
            self.current = false;
        }
        Ok(Some(&self.buf))
    }
}

/// What a message compressed without context depends on: the engine, its window and level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SharedDeflate {
    codec: Codec,
    window_bits: u8,
    level: u8,
}

impl SharedDeflate {
    /// The whole message `data` compressed from a fresh engine, as a compressor without
    /// context takeover sends it (the final `00 00 ff ff` removed); `None` when the engine
    /// cannot be made or fails (then the message goes uncompressed). Used by the lazy cache
    /// of prepared messages, which needs `std`'s `Mutex`.
    #[cfg(feature = "std")]
    pub(crate) fn compress_message(&self, data: &[u8]) -> Option<Vec<u8>> {
        let mut c = Compressor::new(self.codec, self.window_bits, true, self.level, 0);
        match c.compress(data, true, true, true) {
            Ok(Some(_)) => Some(core::mem::take(&mut c.buf)),
            _ => None,
        }
    }
}

#[cfg(all(test, feature = "deflate"))]
mod tests {
    use crate::Role;
    use crate::extensions::deflate::{DeflateConfig, DeflateParams};

    #[test]
    fn no_engine_is_allocated_until_a_message_reaches_the_threshold() {
        let config = DeflateConfig::default();
        let params = DeflateParams::default();
        let mut comp = config.compressor(&params, Role::Server).unwrap();
        let small = [b'x'; 1023];
        assert_eq!(comp.compress(&small, true, true, true).unwrap(), None);
        assert!(!comp.has_engine());
        let big = [b'x'; 1024];
        assert!(comp.compress(&big, true, true, true).unwrap().is_some());
        assert!(comp.has_engine());
        let inflater = config.inflater(&params, Role::Client).unwrap();
        assert!(!inflater.has_engine());
        assert_eq!(inflater.produced(), 0);
    }
}
