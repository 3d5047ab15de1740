//! # wswire
//!
//! A sans-I/O WebSocket protocol core: RFC 6455 (and, in time, RFC 7692 permessage-deflate)
//! as pure functions and push-bytes / pull-events state machines.
//!
//! **What it does:** every rule of the protocol — frame headers, masking, close codes,
//! UTF-8 validation — with no I/O of its own, so it runs the same under std, tokio, smol,
//! embedded `no_std` + `alloc`, or WASM.
//!
//! **What it does not do:** open sockets, speak TLS, read clocks, spawn threads. The caller
//! owns all of that and hands wswire bytes (and, where timers matter, the current time).
//!
//! ```text
//!   socket bytes ──► frame::FrameHeader::decode ──► frame::apply_mask ──► utf8::Utf8Validator
//!                        (2–14 byte header)         (in place, resumable)   (fail-fast, chunked)
//!   your message ──► frame::FrameHeader::encode ──► frame::copy_masked  ──► socket bytes
//! ```
//!
//! ## Layers
//! 1. **Pure codecs**: [`frame`] (header, masking, close codes and payloads) and [`utf8`].
//!    No state, no allocation, no panics on any input.
//!
//! Beside the layers, the **opening handshake**: [`handshake`] (HTTP/1.1 for both roles,
//! RFC 8441/9220 header lists, `http` interop) with the [`extensions`] grammar and hooks.
//!
//! ## Decoding a frame with the pure codecs
//! ```
//! use wswire::frame::{apply_mask, Decoded, FrameHeader, Opcode};
//! use wswire::utf8::Utf8Validator;
//!
//! // RFC 6455 §5.7: a masked text frame "Hello", as a client sends it.
//! let mut wire = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
//! let Decoded::Complete((header, n)) = FrameHeader::decode(&wire)? else {
//!     unreachable!("the whole header is present")
//! };
//! assert_eq!(header.opcode, Opcode::Text);
//! let payload = &mut wire[n..];
//! apply_mask(payload, header.mask.unwrap(), 0);
//! let mut text = Utf8Validator::new();
//! text.feed(payload)?;
//! text.finish()?;
//! assert_eq!(payload, b"Hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Errors
//! A [`ProtocolError`] means the peer broke the protocol and carries the close code to fail
//! the connection with; a [`UsageError`] means the caller asked for something forbidden and is
//! never sent to the peer. See [`error`].
//!
//! ## Crate features
//! - `std` (default): the standard library. Without it the crate is `no_std` + `alloc`.
#![no_std]
#![warn(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core,
    clippy::cast_possible_truncation,
    clippy::cast_lossless
)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod error;
pub mod extensions;
pub mod frame;
pub mod handshake;
pub mod recv;
pub mod send;
pub mod utf8;

#[doc(hidden)]
pub mod fuzzing;

pub use error::{ProtocolError, UsageError};

/// Which end of the connection an endpoint is. It decides masking (RFC 6455 §5.1, §5.3):
/// a client masks every frame it sends and expects unmasked frames; a server the reverse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that opened the connection (sends masked frames).
    Client,
    /// The end that accepted it (sends unmasked frames).
    Server,
}
pub use frame::CloseCode;
