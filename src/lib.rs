//! # wswire
//!
//! A sans-I/O WebSocket protocol core: RFC 6455, RFC 7692 permessage-deflate and the
//! RFC 8441/9220 handshake over HTTP/2 and HTTP/3 header lists, as pure functions and
//! push-bytes / pull-events state machines.
//!
//! **What it does:** every rule of the protocol — frame headers, masking, close codes,
//! UTF-8 validation — with no I/O of its own, so it runs the same under std, tokio, smol,
//! embedded `no_std` + `alloc`, or WASM.
//!
//! **What it does not do:** open sockets, speak TLS, read clocks, spawn threads. The caller
//! owns all of that and hands wswire bytes (and, where timers matter, the current time).
//!
//! ## Which entry point
//!
//! | you have | use | then |
//! | --- | --- | --- |
//! | your own socket, server | [`Connection::server`] with a [`handshake::ServerConfig`] | it reads the request and answers it (101, or a refusal with its HTTP status) |
//! | your own socket, client | [`handshake::ClientRequest`] → [`Connection::client`] with a `CryptoRng` (e.g. `UnwrapErr(getrandom::SysRng)`; [`rand_core`] is re-exported) | it writes the request and checks the 101 |
//! | an HTTP server (hyper, axum) that parsed the request | [`handshake::http_interop::upgrade`] (feature `http`) → respond → [`Connection::server_open`] on the upgraded stream | `examples/hyper_upgrade.rs` |
//! | an HTTP/2 or HTTP/3 extended CONNECT (RFC 8441/9220) | [`handshake::h2`] on the header list → [`Connection::server_open`] on the stream | the stream's DATA is the WebSocket byte stream |
//! | frames only (a proxy, a fuzzer, your own state machine) | [`recv::Receiver`] / [`recv::Decoder`] and [`send::Sender`]; [`frame`] and [`utf8`] for single codecs | you own Ping/Close handling |
//!
//! ## The run loop
//! One [`Connection`] per socket. Feed it what you read, then drain its events and its
//! output, then wait for input or its next timer. Every `handle_*` and `send_*` call must be
//! followed by a full drain.
//!
//! ```no_run
//! use std::io::{ErrorKind, Read, Write};
//! use std::net::TcpListener;
//! use std::sync::Arc;
//! use std::time::Instant;
//!
//! use wswire::connection::{Config, Connection, Event};
//! use wswire::extensions::deflate::DeflateServer;
//! use wswire::handshake::ServerConfig;
//! use wswire::recv::Message;
//!
//! fn main() -> std::io::Result<()> {
//!     let mut server_config = ServerConfig::default();
//!     server_config.extension(Box::new(DeflateServer::default())); // permessage-deflate on
//!     let server_config = Arc::new(server_config);
//!     let (mut socket, _) = TcpListener::bind("127.0.0.1:9001")?.accept()?;
//!     let mut conn = Connection::server(server_config, Config::default());
//!     let origin = Instant::now();
//!     let mut buf = [0u8; 16 * 1024];
//!     loop {
//!         // 1. Drain events. An echo server hands each message back from its own buffer
//!         //    (`take_message`: no copy for a large or fragmented one).
//!         while let Some(event) = conn.poll_event() {
//!             match event {
//!                 Ok(Event::Text { .. } | Event::Binary { .. }) => {
//!                     let _ = match conn.take_message() {
//!                         Some(Message::Text(t)) => conn.send_text_owned(t),
//!                         Some(Message::Binary(b)) => conn.send_binary_owned(b),
//!                         _ => Ok(()),
//!                     };
//!                 }
//!                 Ok(Event::Close { code, .. }) => eprintln!("the peer closed: {code}"),
//!                 Ok(_) => {}
//!                 // The end without a closing handshake: a violation (its Close is queued),
//!                 // EOF or a timeout. It is the last event.
//!                 Err(e) => eprintln!("connection ended: {e} ({})", e.close_code()),
//!             }
//!         }
//!         // 2. Drain output.
//!         while let Some(bytes) = conn.poll_transmit() {
//!             let n = socket.write(bytes)?;
//!             conn.advance_transmit(n);
//!         }
//!         if conn.should_close_transport() {
//!             return Ok(());
//!         }
//!         // 3. Wait for input, or for the next timer (the first is "now": it starts the
//!         //    clock, and the handshake deadline with it). Tell the connection the time
//!         //    before feeding it input, so its timers measure from the right moment.
//!         let now = origin.elapsed();
//!         match conn.poll_timeout() {
//!             Some(deadline) if deadline <= now => {
//!                 conn.handle_timeout(now); // a timer is due: run it, then loop
//!                 continue;
//!             }
//!             deadline => socket.set_read_timeout(deadline.map(|d| d - now))?,
//!         }
//!         let read = socket.read(&mut buf);
//!         conn.handle_timeout(origin.elapsed());
//!         match read {
//!             Ok(0) => conn.handle_eof(),
//!             Ok(n) => conn.handle_input(&buf[..n]),
//!             Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
//!             Err(e) => return Err(e),
//!         }
//!     }
//! }
//! ```
//!
//! ```text
//!   socket bytes ──► handshake ──► recv::Receiver ──► Event (Text/Binary/Ping/Pong/Close)
//!                                  (frame::FrameHeader, frame::apply_mask, utf8::Utf8Validator)
//!   send_text/…  ──► send::Sender (frame::FrameHeader::encode, frame::copy_masked) ──► poll_transmit
//! ```
//!
//! ## Layers
//! Each layer imports only the layers below it; `tests/layers.rs` checks every path.
//! 1. **Pure codecs**: [`utf8`], and [`frame`] (header, masking, close codes and payloads; a
//!    close reason is UTF-8). No state, no allocation, no panics on any input. They import
//!    nothing else in the crate: their errors are their own types.
//! 2. **Errors**: [`error`]. Every peer error of the codecs converts into [`ProtocolError`],
//!    which alone maps peer errors to close codes; [`UsageError`] is the caller's.
//! 3. **Extensions**: [`extensions`] (the `Sec-WebSocket-Extensions` grammar, negotiation
//!    hooks, the permessage-deflate codec).
//! 4. **Directional state machines**: [`recv`] (bytes in, events out; limits checked from the
//!    header before any payload is buffered) and [`send`] (messages in, frames out). Beside
//!    them, the **opening handshake**: [`handshake`] (HTTP/1.1 for both roles, RFC 8441/9220
//!    header lists, `http` interop), which drives the [`extensions`] hooks.
//! 5. **The connection**: [`connection`] (roles, states, the closing handshake, auto-pong,
//!    timers, backpressure), built from the layers below.
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
//! - `std` (default): the standard library (run-time CPU detection for masking and UTF-8).
//!   Without `std` (and without `deflate`) the crate is `no_std` + `alloc`.
//! - `deflate` (default; needs `std`): the default permessage-deflate codec (RFC 7692) on
//!   flate2 with the zlib-rs backend. The negotiation is always compiled; without this feature
//!   a [`extensions::deflate`] codec can be supplied by the caller.
//! - `http`: interop with the `http` crate for the opening handshake.
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

mod codec_error;
mod http_grammar;

pub mod connection;
pub mod error;
pub mod extensions;
pub mod frame;
pub mod handshake;
pub mod recv;
pub mod send;
pub mod utf8;

// Fuzz harnesses: only for cargo-fuzz (`--cfg fuzzing`) and the crate's own unit tests.
#[cfg(any(fuzzing, test))]
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
pub use connection::Error;
pub use connection::{Config, Connection, Event};
pub use frame::CloseCode;
pub use frame::Decoded;
pub use rand_core;
