//! The error of a DEFLATE engine, kept below [`crate::error`] so that
//! [`ProtocolError::Inflate`](crate::ProtocolError::Inflate) can carry it without `error.rs`
//! importing the permessage-deflate code. Its public path is
//! [`crate::extensions::deflate::CodecError`].

use core::fmt;

/// A DEFLATE engine failed: corrupt input when inflating, an engine fault when compressing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CodecError {
    reason: &'static str,
}

impl CodecError {
    /// An error with a short reason.
    pub const fn new(reason: &'static str) -> Self {
        Self { reason }
    }

    /// The reason given.
    pub const fn reason(&self) -> &'static str {
        self.reason
    }
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason)
    }
}

impl core::error::Error for CodecError {}
