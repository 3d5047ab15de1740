//! permessage-deflate (RFC 7692): negotiation (always compiled) and the message codec (behind
//! a small trait; the default engine needs the `deflate` feature).
//!
//! # Turning it on
//! A server adds [`DeflateServer`] to its [`ServerConfig`](crate::handshake::ServerConfig), a
//! client adds [`DeflateClient`] to its [`ClientRequest`](crate::handshake::ClientRequest).
//! When the handshake agrees, a [`Connection`](crate::Connection) sets itself up from
//! [`Negotiated`](crate::handshake::Negotiated) (through [`DeflateParams::from_extensions`]):
//! the receiver allows RSV1 on the first frame of data messages and inflates
//! those messages; the sender compresses messages of at least
//! [`DeflateConfig::threshold`] bytes. [`Config::deflate`](crate::Config) holds the data-path
//! settings (engine, threshold, level, own window cap).
//!
//! ```
//! # #[cfg(feature = "deflate")] {
//! use std::sync::Arc;
//! use wswire::extensions::deflate::{DeflateClient, DeflateServer};
//! use wswire::handshake::{ClientRequest, ServerConfig};
//! use wswire::{Config, Connection};
//!
//! let mut server = ServerConfig::default();
//! server.extension(Box::new(DeflateServer::default()));
//! let conn = Connection::server(Arc::new(server), Config::default());
//!
//! let mut request = ClientRequest::new("example.com", "/chat")?;
//! request.extension(Box::new(DeflateClient::default()));
//! // … request.start(&mut rng), then Connection::client(handshake, Config::default(), rng)
//! # let _ = conn;
//! # }
//! # Ok::<(), wswire::handshake::BuildError>(())
//! ```
//!
//! # Negotiation (RFC 7692 §5, §7)
//! - **Server** ([`DeflateServer`]): offers are tried in the client's order; an offer with an
//!   unknown, repeated or invalid parameter is *declined* (the next one is tried; none
//!   acceptable means 101 without the extension, never a handshake failure). Window bits are
//!   decimal `8`–`15` without leading zeros (`08`, `+9`, `0x9` are declined); quoted values
//!   are unquoted by the header parser. The response states the agreed parameters.
//! - **Client** ([`DeflateClient`]): one offer; the response must use only known parameters,
//!   once each, with valid values; `server_max_window_bits` no larger than offered (and present
//!   if offered); `server_no_context_takeover` present if requested; `client_max_window_bits`
//!   only if offered, with a value no larger than offered. Otherwise the handshake fails.
//!
//! # Memory
//! Nothing is allocated for permessage-deflate until the first compressed message. Measured
//! per connection with the default codec (live bytes, `tests/memory.rs` and
//! `tests/deflate_memory.rs`; both roles, after a 4 KiB message and after a 63 MiB one):
//! - **no context takeover** both ways (`*_no_context_takeover` agreed): the compressor's
//!   and the inflater's engines are freed at the end of every message and made again for
//!   the next one, so an idle connection holds ~20–30 KB (the receiver's 16 KiB inflate
//!   buffer and 8 KiB input and output buffers), tested ≤ 64 KiB. Each compressed message
//!   then costs an engine set-up.
//! - **context takeover** (the default): the engines stay, ~450 KB per connection
//!   (448 000–454 000 bytes measured), tested ≤ 512 KiB: the compressor ~382 KB at 15
//!   window bits (zlib-rs's fixed 128 KiB hash table and its other tables, at flate2's fixed
//!   memory level 8, which flate2 does not let us lower), ~268 KB at 12 bits, ~253 KB at 9;
//!   the inflater its window (2^bits) and state.
//!
//! What lowers it: as a server, [`DeflateServer::server_no_context_takeover`] (frees the
//! compressor between messages; the larger half) and
//! [`DeflateServer::client_no_context_takeover`] (frees the inflater); as a client,
//! requesting [`DeflateOffer::server_no_context_takeover`] and
//! [`DeflateOffer::client_no_context_takeover`]; a smaller compression window
//! ([`DeflateConfig::max_window_bits`], [`DeflateServer::server_max_window_bits`]); or not
//! compressing at all ([`DeflateConfig::compress`]`= false`: no compressor is ever made).
//!
//! # Window bits 8
//! zlib (and zlib-rs) cannot compress raw DEFLATE with a 256-byte window: asked for 8 bits
//! they use 9, and a strict peer cannot inflate that. wswire never sends such data:
//! - when the agreement limits **our** compression window to 8 bits
//!   (`server_max_window_bits=8` for a server, `client_max_window_bits=8` for a client), the
//!   extension is accepted but every message we send goes **uncompressed** (RSV1 = 0), which
//!   RFC 7692 §6 allows; we still inflate what the peer compresses;
//! - a server's own configured window of 8 ([`DeflateServer::server_max_window_bits`])
//!   is raised to 9 (RFC 7692 §7.1.2.1 lets the server pick any value ≤ the offer; 9 is only
//!   announced when the offer allows it), and a client's own offered
//!   `client_max_window_bits=8` is offered as 9;
//! - a peer window of 8 is inflated with a 9-bit (or larger) window, which decodes it.
//!
//! # Codec
//! See [`Inflate`], [`Deflate`] and [`Codec`]. With the `deflate` feature, [`Codec::flate2`]
//! is the default: flate2 on the zlib-rs backend. Why that engine: it is the maintained
//! default DEFLATE stack of the Rust ecosystem; the zlib-rs backend is pure Rust (no C
//! toolchain, no `libz` at run time), is a port of zlib-ng with zlib's exact semantics (raw
//! streams, sync flush, window bits 9–15 for both halves, `reset`), and is as fast as
//! zlib-ng; `miniz_oxide` (flate2's default backend) ignores window bits when compressing, so
//! it cannot honour `*_max_window_bits` below 15. flate2 needs the standard library, so the
//! `deflate` feature enables `std`.

use alloc::vec::Vec;

use crate::Role;
use crate::extensions::{Extension, NegotiationError, Param};

mod codec;
#[cfg(feature = "deflate")]
mod flate2_codec;
mod negotiators;

pub(crate) use codec::SharedDeflate;
pub use codec::{
    Codec, CodecError, Compressor, Deflate, Inflate, InflateProgress, InflateStep, MessageInflater,
};
pub use negotiators::{DeflateClient, DeflateServer};

/// The extension token (RFC 7692 §7).
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// A window-bits value: a decimal integer 8–15 without leading zeros (RFC 7692 §7.1.2.1,
/// §7.1.2.2).
fn parse_bits(v: &str) -> Option<u8> {
    Some(match v {
        "8" => 8,
        "9" => 9,
        "10" => 10,
        "11" => 11,
        "12" => 12,
        "13" => 13,
        "14" => 14,
        "15" => 15,
        _ => return None,
    })
}

fn bits_str(b: u8) -> &'static str {
    match b {
        8 => "8",
        9 => "9",
        10 => "10",
        11 => "11",
        12 => "12",
        13 => "13",
        14 => "14",
        _ => "15",
    }
}

/// A parameter from names and values that are tokens by construction.
fn param(name: &str, value: Option<&str>) -> Param {
    Param {
        name: name.into(),
        value: value.map(Into::into),
    }
}

/// `client_max_window_bits` in an offer: absent, present without a value ("I support the
/// parameter; you may limit my window"), or with a value (RFC 7692 §7.1.2.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ClientMaxWindowBits {
    /// Not offered: the server may not limit the client's window.
    Absent,
    /// Offered without a value (what browsers and `ws` send).
    #[default]
    Supported,
    /// Offered with a value 8–15: the client's window is at most 2^N.
    Limit(u8),
}

/// One permessage-deflate offer, as a client sends it (RFC 7692 §7.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeflateOffer {
    /// The client asks the server to reset its compressor after every message.
    pub server_no_context_takeover: bool,
    /// The client tells the server it will reset its compressor after every message.
    pub client_no_context_takeover: bool,
    /// The largest window (8–15) the client lets the server compress with.
    pub server_max_window_bits: Option<u8>,
    /// The client's window, see [`ClientMaxWindowBits`].
    pub client_max_window_bits: ClientMaxWindowBits,
}

impl DeflateOffer {
    /// Parses an offer's parameters. `None` when RFC 7692 §7 says to decline it: an unknown
    /// parameter, a repeated one, a value where none is allowed, a missing or invalid window
    /// value (RFC 7692 §7.1.2.1, §7.1.2.2).
    pub fn parse(params: &[Param]) -> Option<Self> {
        let mut o = Self {
            client_max_window_bits: ClientMaxWindowBits::Absent,
            ..Self::default()
        };
        let mut seen = [false; 4];
        for p in params {
            let i = match p.name() {
                SERVER_NO_CONTEXT_TAKEOVER => {
                    o.server_no_context_takeover = true;
                    p.value().is_none().then_some(0)?
                }
                CLIENT_NO_CONTEXT_TAKEOVER => {
                    o.client_no_context_takeover = true;
                    p.value().is_none().then_some(1)?
                }
                SERVER_MAX_WINDOW_BITS => {
                    o.server_max_window_bits = Some(parse_bits(p.value()?)?);
                    2
                }
                CLIENT_MAX_WINDOW_BITS => {
                    o.client_max_window_bits = match p.value() {
                        None => ClientMaxWindowBits::Supported,
                        Some(v) => ClientMaxWindowBits::Limit(parse_bits(v)?),
                    };
                    3
                }
                _ => return None,
            };
            if core::mem::replace(&mut seen[i], true) {
                return None;
            }
        }
        Some(o)
    }

    /// The offer's parameters, in the canonical order.
    pub fn to_params(&self) -> Vec<Param> {
        let mut v = Vec::new();
        if self.server_no_context_takeover {
            v.push(param(SERVER_NO_CONTEXT_TAKEOVER, None));
        }
        if self.client_no_context_takeover {
            v.push(param(CLIENT_NO_CONTEXT_TAKEOVER, None));
        }
        if let Some(b) = self.server_max_window_bits {
            v.push(param(SERVER_MAX_WINDOW_BITS, Some(bits_str(b))));
        }
        match self.client_max_window_bits {
            ClientMaxWindowBits::Absent => {}
            ClientMaxWindowBits::Supported => v.push(param(CLIENT_MAX_WINDOW_BITS, None)),
            ClientMaxWindowBits::Limit(b) => {
                v.push(param(CLIENT_MAX_WINDOW_BITS, Some(bits_str(b))));
            }
        }
        v
    }
}

/// What both ends agreed (RFC 7692 §7.1), as the server's response states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeflateParams {
    /// The server resets its compressor after every message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message.
    pub client_no_context_takeover: bool,
    /// The server compresses with a window of at most 2^N (15 when the response is silent).
    pub server_max_window_bits: u8,
    /// The client compresses with a window of at most 2^N (15 when the response is silent).
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

/// One direction of an agreement: how a compressor (and the peer's inflater) behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Direction {
    /// The compressor is reset after every message (so is the receiving inflater).
    pub(crate) no_context_takeover: bool,
    /// The compressor's window is at most 2^N bytes (8–15).
    pub(crate) window_bits: u8,
}

impl DeflateParams {
    /// Parses the parameters of a server's response strictly (RFC 7692 §7: a client fails
    /// the connection on anything else): only the four known parameters, each at most once,
    /// the `*_no_context_takeover` ones without a value, the window bits with a value 8–15
    /// (RFC 7692 §7.1.2.1, §7.1.2.2).
    ///
    /// # Errors
    /// A [`NegotiationError`] naming the problem.
    pub fn parse_response(params: &[Param]) -> Result<Self, NegotiationError> {
        let mut r = Self::default();
        let mut seen = [false; 4];
        for p in params {
            let i = match p.name() {
                SERVER_NO_CONTEXT_TAKEOVER | CLIENT_NO_CONTEXT_TAKEOVER => {
                    if p.value().is_some() {
                        return Err(NegotiationError::new(
                            "permessage-deflate: *_no_context_takeover takes no value",
                        ));
                    }
                    if p.name() == SERVER_NO_CONTEXT_TAKEOVER {
                        r.server_no_context_takeover = true;
                        0
                    } else {
                        r.client_no_context_takeover = true;
                        1
                    }
                }
                SERVER_MAX_WINDOW_BITS | CLIENT_MAX_WINDOW_BITS => {
                    let bits = p.value().and_then(parse_bits).ok_or(NegotiationError::new(
                        "permessage-deflate: window bits need a value 8-15",
                    ))?;
                    if p.name() == SERVER_MAX_WINDOW_BITS {
                        r.server_max_window_bits = bits;
                        2
                    } else {
                        r.client_max_window_bits = bits;
                        3
                    }
                }
                _ => {
                    return Err(NegotiationError::new(
                        "permessage-deflate: unknown parameter",
                    ));
                }
            };
            if core::mem::replace(&mut seen[i], true) {
                return Err(NegotiationError::new(
                    "permessage-deflate: repeated parameter",
                ));
            }
        }
        Ok(r)
    }

    /// The agreed parameters of `ext` if it is permessage-deflate (`Ok(None)` otherwise).
    ///
    /// # Errors
    /// As [`DeflateParams::parse_response`].
    pub fn from_extension(ext: &Extension) -> Result<Option<Self>, NegotiationError> {
        if ext.name() != PERMESSAGE_DEFLATE {
            return Ok(None);
        }
        Self::parse_response(ext.params()).map(Some)
    }

    /// The agreed parameters if the handshake agreed permessage-deflate: `extensions` is the
    /// list both ends agreed on,
    /// [`Negotiated::extensions`](crate::handshake::Negotiated::extensions).
    ///
    /// # Errors
    /// As [`DeflateParams::parse_response`], and when permessage-deflate appears twice
    /// (RFC 7692 §5).
    pub fn from_extensions(extensions: &[Extension]) -> Result<Option<Self>, NegotiationError> {
        let mut found = None;
        for ext in extensions {
            if let Some(p) = Self::from_extension(ext)? {
                if found.is_some() {
                    return Err(NegotiationError::new("permessage-deflate accepted twice"));
                }
                found = Some(p);
            }
        }
        Ok(found)
    }

    /// The parameters as a server's response states them: every non-default value.
    pub fn to_params(&self) -> Vec<Param> {
        let mut v = Vec::new();
        if self.server_no_context_takeover {
            v.push(param(SERVER_NO_CONTEXT_TAKEOVER, None));
        }
        if self.client_no_context_takeover {
            v.push(param(CLIENT_NO_CONTEXT_TAKEOVER, None));
        }
        if self.server_max_window_bits < 15 {
            v.push(param(
                SERVER_MAX_WINDOW_BITS,
                Some(bits_str(self.server_max_window_bits)),
            ));
        }
        if self.client_max_window_bits < 15 {
            v.push(param(
                CLIENT_MAX_WINDOW_BITS,
                Some(bits_str(self.client_max_window_bits)),
            ));
        }
        v
    }

    /// How an endpoint of `role` compresses: a server with the `server_*` parameters, a
    /// client with the `client_*` ones (the same mapping as Node's ws).
    pub(crate) fn compress_direction(&self, role: Role) -> Direction {
        match role {
            Role::Server => Direction {
                no_context_takeover: self.server_no_context_takeover,
                window_bits: self.server_max_window_bits,
            },
            Role::Client => Direction {
                no_context_takeover: self.client_no_context_takeover,
                window_bits: self.client_max_window_bits,
            },
        }
    }

    /// How the peer of an endpoint of `role` compresses, i.e. how this endpoint inflates.
    pub(crate) fn inflate_direction(&self, role: Role) -> Direction {
        match role {
            Role::Server => self.compress_direction(Role::Client),
            Role::Client => self.compress_direction(Role::Server),
        }
    }
}

/// Data-path settings for permessage-deflate on a connection ([`crate::Config::deflate`]).
/// They apply only once the handshake agreed the extension (add [`DeflateServer`] or
/// [`DeflateClient`] to the handshake for that); without it nothing is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// The DEFLATE engine. Default: [`Codec::flate2`] with the `deflate` feature, else
    /// `None` — then a connection that agreed permessage-deflate fails with close code 1011
    /// (it could not read compressed messages).
    pub codec: Option<Codec>,
    /// Messages shorter than this are sent uncompressed (whole messages only; a streamed
    /// message is compressed from its first part). Default 1024 bytes, as `ws`.
    pub threshold: usize,
    /// Compression level 0–9 (zlib's scale). Default 6, zlib's default and `ws`'s.
    pub level: u8,
    /// The largest window we compress with (9–15), below what the agreement allows; lower
    /// values use less memory per connection. Default 15.
    pub max_window_bits: u8,
    /// Compress outgoing messages at all. `false` still inflates what the peer compresses.
    /// Default `true`.
    pub compress: bool,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            codec: Codec::default_codec(),
            threshold: 1024,
            level: 6,
            max_window_bits: 15,
            compress: true,
        }
    }
}

impl DeflateConfig {
    /// The compressor for an endpoint of `role` under `params`, or `None` when nothing is to
    /// be compressed (no codec, compression off, or an agreed window of 8 bits).
    pub fn compressor(&self, params: &DeflateParams, role: Role) -> Option<Compressor> {
        let codec = self.codec?;
        let dir = params.compress_direction(role);
        if !self.compress || dir.window_bits < 9 {
            return None;
        }
        let bits = dir.window_bits.min(self.max_window_bits.clamp(9, 15));
        Some(Compressor::new(
            codec,
            bits,
            dir.no_context_takeover,
            self.level.min(9),
            self.threshold,
        ))
    }

    /// The inflater for an endpoint of `role` under `params`, or `None` without a codec.
    pub fn inflater(&self, params: &DeflateParams, role: Role) -> Option<MessageInflater> {
        let codec = self.codec?;
        let dir = params.inflate_direction(role);
        Some(MessageInflater::new(
            codec,
            dir.window_bits.max(9),
            dir.no_context_takeover,
        ))
    }
}
