//! The default codec: flate2 on the zlib-rs backend (raw DEFLATE with window bits 9–15).

use alloc::boxed::Box;
use alloc::vec::Vec;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::codec::{Codec, CodecError, Deflate, Inflate, InflateProgress};

/// Output reserved per compression round: over 6 bytes so that a sync flush never has to
/// repeat its marker for lack of room (zlib manual, `deflate`).
const MIN_ROOM: usize = 256;
const MAX_ROOM: usize = 256 * 1024;

impl Codec {
    /// flate2 with the zlib-rs backend (feature `deflate`).
    ///
    /// The inflater always uses a 15-bit window: it decodes streams made with any smaller
    /// window (including 8), zlib-rs allocates its 32 KiB window whatever the bits, and so a
    /// reset (per message under no-context-takeover) keeps the same allocation. The
    /// compressor uses exactly the agreed window (9–15).
    pub const fn flate2() -> Self {
        Self::new("flate2/zlib-rs", new_inflater, new_deflater)
    }
}

fn new_inflater(_window_bits: u8) -> Box<dyn Inflate> {
    Box::new(Flate2Inflate {
        engine: Decompress::new_with_window_bits(false, 15),
        failed: false,
    })
}

fn new_deflater(window_bits: u8, level: u8) -> Option<Box<dyn Deflate>> {
    if !(9..=15).contains(&window_bits) {
        return None;
    }
    let level = Compression::new(u32::from(level.min(9)));
    Some(Box::new(Flate2Deflate(Compress::new_with_window_bits(
        level,
        false,
        window_bits,
    ))))
}

#[derive(Debug)]
struct Flate2Inflate {
    engine: Decompress,
    /// Invalid data was found in a call that also wrote output: that output was reported,
    /// the error is the next call's.
    failed: bool,
}

fn delta(after: u64, before: u64) -> usize {
    usize::try_from(after - before).unwrap_or(usize::MAX)
}

impl Inflate for Flate2Inflate {
    fn inflate(&mut self, input: &[u8], output: &mut [u8]) -> Result<InflateProgress, CodecError> {
        let invalid = || CodecError::new("invalid compressed data");
        if self.failed {
            return Err(invalid());
        }
        let (in0, out0) = (self.engine.total_in(), self.engine.total_out());
        let status = self.engine.decompress(input, output, FlushDecompress::None);
        let progress = InflateProgress {
            consumed: delta(self.engine.total_in(), in0),
            written: delta(self.engine.total_out(), out0),
            stream_end: matches!(status, Ok(Status::StreamEnd)),
        };
        match status {
            Ok(_) => Ok(progress),
            // zlib-rs goes on past a full output to the next block's header, so the error
            // can follow output in the same call: report the output first (the trait's
            // contract).
            Err(_) if progress.written > 0 => {
                self.failed = true;
                Ok(progress)
            }
            Err(_) => Err(invalid()),
        }
    }

    fn reset(&mut self) {
        self.engine.reset(false);
        self.failed = false;
    }
}

#[derive(Debug)]
struct Flate2Deflate(Compress);

impl Deflate for Flate2Deflate {
    fn compress_sync(&mut self, input: &[u8], output: &mut Vec<u8>) -> Result<(), CodecError> {
        let mut consumed = 0;
        loop {
            let rest = input.get(consumed..).unwrap_or_default();
            let room = (rest.len() / 2 + MIN_ROOM).min(MAX_ROOM);
            if output.capacity() - output.len() < room {
                output.reserve(room);
            }
            let before = self.0.total_in();
            self.0
                .compress_vec(rest, output, FlushCompress::Sync)
                .map_err(|_| CodecError::new("compression failed"))?;
            consumed += delta(self.0.total_in(), before);
            // Done once all input is in and the flush did not fill the output.
            if consumed >= input.len() && output.len() < output.capacity() {
                return Ok(());
            }
        }
    }

    fn reset(&mut self) {
        self.0.reset();
    }
}
