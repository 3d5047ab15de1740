//! The opening handshake (RFC 6455 §4) for both roles, over HTTP/1.1 and, as pure header-list
//! validation, over HTTP/2 and HTTP/3 extended CONNECT (RFC 8441, RFC 9220).
//!
//! No I/O: bytes go in through `handle_input`, and what comes out is the crate's one "need
//! more bytes" status, [`Decoded`](crate::frame::Decoded): `Incomplete { needed }` (at least
//! `needed` ≥ 1 more bytes before the head can end), or `Complete((value, consumed))`, where
//! `consumed` is how many bytes of the **last** input belong to the handshake (the rest,
//! `&input[consumed..]`, is WebSocket data that arrived in the same read, for the frame
//! layer); or an error that carries the HTTP response to answer with.
//!
//! One head parser and incremental reader serve both roles; one validator checks the
//! WebSocket fields of a request whether it came as an HTTP/1.1 head ([`ServerHandshake`],
//! [`parse_request`]), an `http::Request` (`http_interop`) or an RFC 8441 header list
//! ([`h2`]); and one accept path negotiates for all three.
//!
//! ## Server
//! ```
//! use wswire::frame::Decoded;
//! use wswire::handshake::{ServerConfig, ServerHandshake};
//!
//! let config = ServerConfig::default();
//! let mut hs = ServerHandshake::new(&config);
//! let input = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\n\r\n\x81\x80\0\0\0\0";
//! let (request, consumed) = match hs.handle_input(input) {
//!     Ok(Decoded::Complete((request, consumed))) => (request, consumed),
//!     Ok(Decoded::Incomplete { .. }) => return Ok(()), // read more bytes, call again
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
//! use wswire::frame::Decoded;
//! use wswire::handshake::{ClientRequest, SecWebSocketKey};
//!
//! let mut request = ClientRequest::new("server.example.com", "/chat")?;
//! request.subprotocols(["chat"])?;
//! // In production: `request.start(&mut rng)` with a `rand_core::CryptoRng`.
//! let mut hs = request.start_with_key(SecWebSocketKey::parse("dGhlIHNhbXBsZSBub25jZQ==").unwrap());
//! let _send_this: &[u8] = hs.request_bytes();
//! let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
//!     Sec-WebSocket-Protocol: chat\r\n\r\n";
//! let Decoded::Complete((value, consumed)) = hs.handle_input(response)? else { unreachable!() };
//! assert_eq!(value.subprotocol(), Some("chat"));
//! assert_eq!(consumed, response.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Status codes the server answers with
//! Every [`RequestError`] carries its status ([`RequestError::status`]) and response
//! ([`RequestError::rejection`] over HTTP/1.1, [`h2::rejection_headers`] over HTTP/2 and 3).
//!
//! | check | status |
//! | --- | --- |
//! | malformed HTTP, missing/duplicate `Host`, bad `Upgrade`/`Connection`, bad or duplicate key, a body, bad subprotocol or extension syntax | 400 |
//! | method other than `GET` | 405 + `Allow: GET` |
//! | request line over the limit | 414 |
//! | header block, header count or a header line over the limit | 431 |
//! | `Sec-WebSocket-Version` missing (400) or not exactly `13` (426) | + `Sec-WebSocket-Version: 13` |
//! | HTTP/1.0 or another version | 505 |
//! | extended CONNECT: malformed header list, wrong `:method`/`:protocol`, missing or bad `:scheme`/`:path`/`:authority` | 400 |

pub(crate) mod headers;

mod accepted;
mod client;
mod error;
mod fields;
pub mod h2;
mod head;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http_interop;
mod key;
mod negotiate;
mod response;
mod server;
mod server_config;
mod status;
mod uri;

pub use accepted::Accepted;
pub use client::{ClientHandshake, ClientRequest};
pub use error::{RequestError, ResponseError, UnexpectedStatus};
pub use head::{HeaderField, Limits};
pub use key::{AcceptKey, GUID, SecWebSocketKey, VERSION, accept_key};
pub use negotiate::Negotiated;
pub use response::{BuildError, Rejection};
pub use server::{Request, ServerHandshake, parse_request};
pub use server_config::ServerConfig;
pub use status::StatusCode;
pub use uri::WsUri;

pub(crate) use negotiate::{negotiate_extensions, select_subprotocol};
pub(crate) use response::{write_header, write_header_bytes, write_status_line};
