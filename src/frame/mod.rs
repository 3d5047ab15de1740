//! Pure frame codecs (RFC 6455 §5): the frame header, masking and close payloads.
//!
//! Nothing in this module keeps state, allocates or panics, whatever the input. The
//! directional state machines ([`crate::recv`], [`crate::send`]) are built on top of it.

use core::fmt;

mod close;
mod header;
pub(crate) mod mask;

pub use close::{CloseCode, CloseEncodeError, CloseError, CloseFrame, MAX_CLOSE_REASON};
pub use header::{Decoded, FrameError, FrameHeader, HeaderEncodeError, LengthRule, Rsv};
pub use mask::{MaskKey, apply_mask, copy_masked};

/// The largest encoded frame header: 2 fixed bytes, an 8-byte length and a 4-byte key.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload a control frame may carry (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Which kind of data message: text (opcode `0x1`) or binary (`0x2`). The sender takes it
/// to start or continue a message ([`crate::send::Sender`]), and
/// [`UsageError::MessageInProgress`](crate::UsageError::MessageInProgress) names the kind
/// still open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataKind {
    /// A text message (opcode 0x1).
    Text,
    /// A binary message (opcode 0x2).
    Binary,
}

impl fmt::Display for DataKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Binary => "binary",
        })
    }
}

/// The 4-bit frame opcode (RFC 6455 §5.2, §11.8).
///
/// Reserved opcodes (`0x3`–`0x7`, `0xB`–`0xF`) have no variant: decoding one is a
/// [`FrameError::ReservedOpcode`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum Opcode {
    /// `0x0`: continues a fragmented data message.
    Continuation = 0x0,
    /// `0x1`: the first frame of a text message.
    Text = 0x1,
    /// `0x2`: the first frame of a binary message.
    Binary = 0x2,
    /// `0x8`: connection close (control).
    Close = 0x8,
    /// `0x9`: ping (control).
    Ping = 0x9,
    /// `0xA`: pong (control).
    Pong = 0xA,
}

impl Opcode {
    /// The opcode for a 4-bit wire value, or `None` when it is reserved.
    #[inline]
    pub const fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            _ => return None,
        })
    }

    /// The 4-bit wire value.
    #[inline]
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// Whether this is a control opcode (`0x8`–`0xF`, RFC 6455 §5.5).
    #[inline]
    pub const fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }

    /// Whether this opcode starts a data message (text or binary).
    #[inline]
    pub const fn is_data_start(self) -> bool {
        matches!(self, Self::Text | Self::Binary)
    }
}
