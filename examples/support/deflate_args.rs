//! permessage-deflate (RFC 7692) options shared by the server examples (`echo_server`,
//! `echo_server_tokio`, `hyper_upgrade`).
//!
//! Compression is **on by default** whenever the crate has a DEFLATE codec (the default
//! `deflate` feature): the server adds a [`DeflateServer`] to its [`ServerConfig`], so every
//! client that offers permessage-deflate (browsers, Node `ws`, Python `websockets`) gets it.
//! Built without the feature, the extension is never negotiated (an agreement without a codec
//! would fail every connection with 1011), and the options below are accepted but have no
//! effect.
//!
//! | option | meaning |
//! | --- | --- |
//! | `--no-deflate` | do not negotiate permessage-deflate |
//! | `--deflate-no-context-takeover` | reset our compressor after every message (`server_no_context_takeover` in every response) |
//! | `--deflate-window-bits N` | compress with a window of at most 2^N bytes, N = 8–15 (8 is raised to 9, see `wswire::extensions::deflate`); announced as `server_max_window_bits` |
//! | `--deflate-threshold N` | messages shorter than N bytes are sent uncompressed (default 1024) |
//! | `--max-message N` | accept messages (and frames) of up to N bytes, inflated (default: the crate's, 1 MiB) |

use wswire::connection::Config;
use wswire::extensions::deflate::{Codec, DeflateServer};
use wswire::handshake::ServerConfig;

/// The options' usage text.
pub(crate) const USAGE: &str = "[--no-deflate] [--deflate-no-context-takeover] [--deflate-window-bits 8-15] [--deflate-threshold BYTES] [--max-message BYTES]";

/// The permessage-deflate settings of a server example.
#[derive(Debug)]
pub(crate) struct DeflateArgs {
    /// Negotiate permessage-deflate at all.
    enabled: bool,
    /// The negotiation policy.
    options: DeflateServer,
    /// `--deflate-threshold`, if given.
    threshold: Option<usize>,
    /// `--max-message`, if given.
    max_message: Option<u64>,
}

impl Default for DeflateArgs {
    fn default() -> Self {
        Self {
            enabled: true,
            options: DeflateServer::default(),
            threshold: None,
            max_message: None,
        }
    }
}

impl DeflateArgs {
    /// Consumes `arg` (and its value from `rest`) if it is one of the deflate options:
    /// `Ok(true)` if it was, `Ok(false)` if it is not a deflate option.
    pub(crate) fn parse(
        &mut self,
        arg: &str,
        rest: &mut impl Iterator<Item = String>,
    ) -> Result<bool, String> {
        let mut number = |name: &str, range: std::ops::RangeInclusive<usize>| {
            rest.next()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| range.contains(n))
                .ok_or_else(|| format!("{name} needs a number in {range:?}"))
        };
        match arg {
            "--no-deflate" => self.enabled = false,
            "--deflate-no-context-takeover" => self.options.server_no_context_takeover = true,
            "--deflate-window-bits" => {
                let bits = number(arg, 8..=15)?;
                // In range 8..=15, so it fits.
                self.options.server_max_window_bits = u8::try_from(bits).unwrap_or(15);
            }
            "--deflate-threshold" => self.threshold = Some(number(arg, 0..=usize::MAX)?),
            "--max-message" => {
                let n = number(arg, 1..=usize::MAX)?;
                self.max_message = Some(u64::try_from(n).unwrap_or(u64::MAX));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether connections negotiate permessage-deflate: asked for, and a codec is compiled
    /// in.
    pub(crate) fn active(&self) -> bool {
        self.enabled && Codec::default_codec().is_some()
    }

    /// The handshake configuration: the default one, plus the permessage-deflate negotiator
    /// when [`DeflateArgs::active`].
    pub(crate) fn server_config(&self) -> ServerConfig {
        let mut server = ServerConfig::default();
        if self.active() {
            server.extension(Box::new(self.options));
        }
        server
    }

    /// The connection configuration's data-path settings (`--deflate-threshold`,
    /// `--max-message`).
    pub(crate) fn apply(&self, config: &mut Config) {
        if let Some(t) = self.threshold {
            config.deflate.threshold = t;
        }
        if let Some(n) = self.max_message {
            config.recv.max_message_size = n;
            config.recv.max_frame_payload = n;
        }
    }

    /// For the start-up line, e.g. `permessage-deflate on (window 15 bits, context takeover)`.
    pub(crate) fn describe(&self) -> String {
        if !self.enabled {
            return "permessage-deflate off (--no-deflate)".to_owned();
        }
        if !self.active() {
            return "permessage-deflate off (built without the `deflate` feature)".to_owned();
        }
        let o = &self.options;
        format!(
            "permessage-deflate on (our window up to {} bits, {}, threshold {} bytes)",
            o.server_max_window_bits.clamp(9, 15),
            if o.server_no_context_takeover {
                "no context takeover"
            } else {
                "context takeover"
            },
            self.threshold
                .unwrap_or_else(|| Config::default().deflate.threshold),
        )
    }
}
