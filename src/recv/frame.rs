//! The frame stage: a header through [`FrameHeader`], the rules one frame decides on its own,
//! and unmasking. It knows nothing of messages.

use core::ops::Range;

use super::{RecvConfig, wire_allowance};
use crate::Role;
use crate::error::ProtocolError;
use crate::frame::mask::shift_mask;
use crate::frame::{Decoded, FrameHeader, MaskKey, Opcode, Rsv, apply_mask};

/// What the start of the buffer holds.
#[derive(Clone, Copy, Debug)]
pub(super) enum Header {
    /// A whole header that passed the per-frame rules, and its length.
    Complete(FrameHeader, usize),
    /// Not all of a header yet; the opcode once the first byte shows a known one, so that
    /// sequencing can be judged as early as the per-frame rules are.
    Incomplete(Option<Opcode>),
}

/// Decodes the header at the start of `buf` and applies the per-frame rules: every rule is
/// decided at the first byte that shows it, even before the rest of the header has arrived.
///
/// Inlined: returning the `Result` through memory from an out-of-line call cost more than the
/// decoding itself on small frames.
#[inline(always)]
pub(super) fn header(buf: &[u8], role: Role, config: &RecvConfig) -> Result<Header, ProtocolError> {
    match FrameHeader::decode_with(buf, config.length_rule) {
        Ok(Decoded::Complete((h, n))) => {
            check_mask_rsv(role, config, h.opcode, h.rsv, h.mask.is_some())?;
            Ok(Header::Complete(h, n))
        }
        Ok(Decoded::Incomplete { .. }) => Ok(Header::Incomplete(early(buf, role, config)?)),
        Err(e) => Err(e.into()),
    }
}

/// The per-frame rules the first two bytes of a partial header decide.
#[cold]
fn early(buf: &[u8], role: Role, config: &RecvConfig) -> Result<Option<Opcode>, ProtocolError> {
    let Some(&[b0, b1]) = buf.first_chunk::<2>() else {
        return Ok(None);
    };
    let Some(opcode) = Opcode::from_u8(b0 & 0x0F) else {
        return Ok(None); // the header codec reports reserved opcodes itself
    };
    check_mask_rsv(role, config, opcode, Rsv::from_bits(b0), b1 & 0x80 != 0)?;
    Ok(Some(opcode))
}

/// RFC 6455 §5.1: clients mask, servers don't. §5.2: RSV bits only as a negotiated extension
/// defines them; RFC 7692 §6: RSV1 only on the first frame of a data message.
#[inline(always)]
fn check_mask_rsv(
    role: Role,
    config: &RecvConfig,
    opcode: Opcode,
    rsv: Rsv,
    masked: bool,
) -> Result<(), ProtocolError> {
    match (role, masked) {
        (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
        (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
        _ => {}
    }
    let allowed = rsv.is_empty() || (opcode.is_data_start() && config.allowed_rsv.contains(rsv));
    if !allowed {
        return Err(ProtocolError::ReservedBits(rsv.bits()));
    }
    Ok(())
}

/// RFC 6455 §10.4: a frame larger than the endpoint accepts is refused at its header (1009),
/// before any of its payload is buffered; so a data frame's length fits in `usize` once it
/// passed. Control frames are bounded by the header codec. Judged after sequencing (a stray
/// continuation is a 1002 whatever its size).
#[inline(always)]
pub(super) fn check_frame_size(
    config: &RecvConfig,
    h: &FrameHeader,
    compressed: bool,
) -> Result<(), ProtocolError> {
    let max = wire_allowance(config.max_frame_payload, compressed).min(usize::MAX as u64);
    if h.payload_len > max {
        return Err(ProtocolError::FrameTooLarge {
            len: h.payload_len,
            max,
        });
    }
    Ok(())
}

/// A control frame (≤ 125 bytes of payload, RFC 6455 §5.5): its unmasked payload's range
/// once all of it is in `buf`, else `None`.
#[inline(always)]
pub(super) fn control(buf: &mut [u8], h: &FrameHeader, n: usize) -> Option<Range<usize>> {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "the header codec checked ≤ 125"
    )]
    let end = n + h.payload_len as usize;
    let payload = buf.get_mut(n..end)?;
    if let Some(key) = h.mask {
        apply_mask(payload, key, 0);
    }
    Some(n..end)
}

/// The payload of a data frame as it arrives: how much is left and where the masking key
/// stands.
#[derive(Clone, Copy, Debug)]
pub(super) struct Payload {
    remaining: u64,
    mask: Option<MaskKey>,
    /// Payload bytes already unmasked (only `& 3` matters to the key).
    offset: usize,
}

impl Payload {
    pub(super) const fn new(h: &FrameHeader) -> Self {
        Self {
            remaining: h.payload_len,
            mask: h.mask,
            offset: 0,
        }
    }

    /// Bytes of payload still to come.
    pub(super) const fn remaining(&self) -> u64 {
        self.remaining
    }

    /// How many of `available` bytes belong to this frame.
    #[inline(always)]
    pub(super) fn take(&self, available: usize) -> usize {
        usize::try_from(self.remaining).map_or(available, |r| r.min(available))
    }

    /// Unmasks the next bytes of this frame's payload, `region[shift..]` (at most
    /// [`remaining`](Self::remaining)), and moves them `shift` bytes back, to the front of
    /// `region`, in the same pass.
    #[inline(always)]
    pub(super) fn unmask_shifted(&mut self, region: &mut [u8], shift: usize) {
        shift_mask(region, shift, self.mask, self.offset);
        let n = region.len().saturating_sub(shift);
        self.offset = self.offset.wrapping_add(n);
        self.remaining -= n as u64;
    }

    /// Unmasks `bytes`, the next bytes of this frame's payload (at most
    /// [`remaining`](Self::remaining)), in place.
    #[inline(always)]
    pub(super) fn unmask(&mut self, bytes: &mut [u8]) {
        if let Some(key) = self.mask {
            apply_mask(bytes, key, self.offset);
        }
        self.offset = self.offset.wrapping_add(bytes.len());
        self.remaining -= bytes.len() as u64;
    }
}
