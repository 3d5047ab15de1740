//! # wswire-async
//!
//! Async adapters for [`wswire`], the sans-I/O WebSocket core: a [`WebSocket`] that is a
//! `futures` [`Stream`](futures_core::Stream) of owned [`Message`]s and a
//! [`Sink`](futures_sink::Sink) of messages, over any tokio (feature `tokio`, the default)
//! or futures-io (feature `futures-io`: smol, async-std) byte stream. Every protocol rule —
//! permessage-deflate included — is wswire's; this crate only moves bytes and time.
//!
//! - [`accept`] / [`accept_with`] (with a hook on the request: path, headers, `Origin`) for
//!   servers; [`connect`] (`ws://`) and [`connect_on`] for clients.
//! - Messages are handed over owned, without a payload copy where the core can give its
//!   buffer away (a large or fragmented message), and sent from the caller's buffer (1 KiB
//!   and more).
//! - The core's timers run from the receiving side: handshake deadline, keepalive, idle,
//!   close. The closing handshake ends with the transport shut (the server first).
//! - Backpressure: sending waits while more than the outbound high-water mark is queued
//!   ([`DEFAULT_HIGH_WATER`], 1 MiB, unless `Config::outbound_high_water` is set), so a peer
//!   that stops reading holds a bounded amount of memory and stalls only its own sender.
//! - [`WebSocket::split`] gives a sending and a receiving half for two tasks.
//! - Broadcast: a [`PreparedMessage`] is framed once and sent to many connections with
//!   [`WebSocket::send_prepared`] / [`WsSender::try_send_prepared`]; each connection writes
//!   the shared frames with vectored writes, no copy per connection.
//!
//! ```no_run
//! # #[cfg(feature = "tokio")]
//! # async fn server() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use wswire::extensions::deflate::DeflateServer;
//! use wswire::handshake::ServerConfig;
//! use wswire_async::{Message, WebSocket, accept};
//!
//! let mut server = ServerConfig::default();
//! server.extension(Box::new(DeflateServer::default()));
//! let server = Arc::new(server);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9001").await?;
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     let server = server.clone();
//!     tokio::spawn(async move {
//!         let mut ws: WebSocket<_> = accept(stream, server, Default::default()).await?;
//!         while let Some(message) = ws.recv().await {
//!             if let m @ (Message::Text(_) | Message::Binary(_)) = message? {
//!                 ws.send(m).await?; // an echo: no copy of the payload
//!             }
//!         }
//!         Ok::<_, wswire_async::Error>(())
//!     });
//! }
//! # }
//! ```

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "h2")]
pub mod h2;
mod handshake;
#[cfg(feature = "hyper")]
pub mod hyper;
mod message;
mod runtime;
mod shared;
mod socket;
#[cfg(feature = "tokio")]
mod stream;
#[cfg(feature = "rustls")]
pub mod tls;

#[cfg(feature = "tokio")]
pub use handshake::connect;
#[cfg(feature = "rustls")]
pub use handshake::connect_tls;
pub use handshake::{DEFAULT_HIGH_WATER, accept, accept_with, connect_on};
pub use message::{CloseFrame, Error, Http2Unsupported, Message};
#[cfg(feature = "futures-io")]
pub use runtime::FuturesIo;
pub use runtime::Runtime;
#[cfg(feature = "tokio")]
pub use runtime::Tokio;
pub use socket::{WebSocket, WsReceiver, WsSender};
#[cfg(feature = "tokio")]
pub use stream::MaybeTlsStream;
#[cfg(feature = "rustls")]
pub use tokio_rustls::{self, rustls};
pub use wswire;
pub use wswire::send::PreparedMessage;
