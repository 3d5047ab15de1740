//! The opening handshake (RFC 6455 §4) for both roles, over HTTP/1.1 and, as pure header-list
//! validation, over HTTP/2 and HTTP/3 extended CONNECT (RFC 8441, RFC 9220).
//!
//! No I/O: bytes go in through `handle_input`, and what comes out is a status ("need more"),
//! a value with the number of input bytes it consumed, or an error that carries the HTTP
//! response to answer with.
//!
//! ## Server
//! ```
//! use wswire::handshake::{Progress, ServerConfig, ServerHandshake};
//!
//! let config = ServerConfig::default();
//! let mut hs = ServerHandshake::new(&config);
//! let input = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\n\r\n\x81\x80\0\0\0\0";
//! let (request, consumed) = match hs.handle_input(input) {
//!     Ok(Progress::Complete { value, consumed }) => (value, consumed),
//!     Ok(Progress::NeedMore) => return Ok(()), // read more bytes, call again
//!     Err(e) => {
//!         let _answer: Vec<u8> = e.rejection().to_bytes(); // send, then close
//!         return Ok(());
//!     }
//! };
//! assert_eq!(request.path(), "/chat");
//! let accepted = request.accept(&config);
//! assert!(accepted.to_bytes().ends_with(b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"));
//! // The frame that followed the header block is still the caller's to hand on.
//! assert_eq!(&input[consumed..], b"\x81\x80\0\0\0\0");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Client
//! ```
//! use wswire::handshake::{ClientRequest, Progress, SecWebSocketKey};
//!
//! let mut request = ClientRequest::new("server.example.com", "/chat")?;
//! request.subprotocols(["chat"])?;
//! // In production: `request.start(&mut rng)` with a `rand_core::CryptoRng`.
//! let mut hs = request.start_with_key(SecWebSocketKey::parse("dGhlIHNhbXBsZSBub25jZQ==").unwrap());
//! let _send_this: &[u8] = hs.request_bytes();
//! let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
//!     Sec-WebSocket-Protocol: chat\r\n\r\n";
//! let Progress::Complete { value, consumed } = hs.handle_input(response)? else { unreachable!() };
//! assert_eq!(value.subprotocol(), Some("chat"));
//! assert_eq!(consumed, response.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Status codes the server answers with
//! | check | status |
//! | --- | --- |
//! | malformed HTTP, missing/duplicate `Host`, bad `Upgrade`/`Connection`, bad or duplicate key, a body, bad subprotocol or extension syntax | 400 |
//! | method other than `GET` | 405 + `Allow: GET` |
//! | request line over the limit | 414 |
//! | header block or header count over the limit | 431 |
//! | `Sec-WebSocket-Version` missing (400) or not exactly `13` (426) | + `Sec-WebSocket-Version: 13` |
//! | HTTP/1.0 or another version | 505 |

pub(crate) mod headers;

mod client;
pub mod h2;
mod head;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http_interop;
mod key;
mod negotiate;
mod response;
mod server;
mod status;

pub use client::{ClientHandshake, ClientRequest, ResponseError, UnexpectedStatus, WsUri};
pub use head::{HeaderField, Limits};
pub use key::{AcceptKey, GUID, SecWebSocketKey, VERSION, accept_key};
pub use negotiate::Negotiated;
pub use response::{BuildError, Rejection};
pub use server::{Accepted, Request, RequestError, ServerConfig, ServerHandshake, parse_request};
pub use status::StatusCode;

pub(crate) use head::{HeadBuffer, longest_field_line, starts_with_empty_lines};
pub(crate) use negotiate::{negotiate_extensions, select_subprotocol};
pub(crate) use response::{write_header, write_status_line};

/// The outcome of feeding bytes to a handshake. "Need more" is a status, not an error.
///
/// Not `#[non_exhaustive]`: there is no third outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress<T> {
    /// The header block is not complete yet; feed more bytes.
    NeedMore,
    /// The header block is complete.
    Complete {
        /// The result.
        value: T,
        /// How many bytes of the **last** input passed to `handle_input` belong to the
        /// handshake. The rest (`&input[consumed..]`) is WebSocket data that arrived in the
        /// same read and must be handed to the frame layer (a peer may send frames right
        /// behind its handshake).
        consumed: usize,
    },
}
