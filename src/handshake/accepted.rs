//! An accepted HTTP/1.1 handshake: the 101 response and what was negotiated.

use alloc::string::String;
use alloc::vec::Vec;

use super::{
    AcceptKey, Negotiated, StatusCode, write_header, write_header_bytes, write_status_line,
};
use crate::extensions;

/// An accepted handshake: the 101 response to send and what was negotiated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub(super) accept: AcceptKey,
    pub(super) negotiated: Negotiated,
    pub(super) headers: Vec<(String, String)>,
}

impl Accepted {
    /// The `Sec-WebSocket-Accept` value.
    pub fn accept_key(&self) -> AcceptKey {
        self.accept
    }

    /// The chosen subprotocol and extensions, for the connection.
    pub fn negotiated(&self) -> &Negotiated {
        &self.negotiated
    }

    /// The negotiated values, owned.
    pub fn into_negotiated(self) -> Negotiated {
        self.negotiated
    }

    /// The extra headers, in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Appends the 101 response to `out`: status line, `Upgrade`, `Connection`,
    /// `Sec-WebSocket-Accept`, then `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` when
    /// something was chosen, then the extra headers, then the blank line; no body
    /// (RFC 6455 §4.2.2 step 5).
    ///
    /// ```
    /// use wswire::Decoded;
    /// use wswire::handshake::{ServerConfig, parse_request};
    ///
    /// let config = ServerConfig::default();
    /// let buf = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    ///     Sec-WebSocket-Version: 13\r\n\r\n";
    /// let Decoded::Complete((req, _)) = parse_request(buf, config.limits())? else { unreachable!() };
    /// let mut out = Vec::with_capacity(256); // e.g. a reused output buffer
    /// req.accept(&config).write_to(&mut out);
    /// out.extend_from_slice(b"\x81\x02hi"); // a first message may follow in the same write
    /// assert!(out.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    /// assert!(out.ends_with(b"\r\n\r\n\x81\x02hi"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_status_line(out, StatusCode::SWITCHING_PROTOCOLS);
        out.extend_from_slice(b"Upgrade: websocket\r\nConnection: Upgrade\r\n");
        write_header_bytes(out, "Sec-WebSocket-Accept", self.accept.as_bytes());
        if let Some(p) = &self.negotiated.subprotocol {
            write_header(out, "Sec-WebSocket-Protocol", p);
        }
        if !self.negotiated.extensions.is_empty() {
            let mut v = String::new();
            extensions::write_header(&self.negotiated.extensions, &mut v);
            write_header(out, "Sec-WebSocket-Extensions", &v);
        }
        for (n, v) in &self.headers {
            write_header(out, n, v);
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The 101 response.
    ///
    /// ```
    /// use wswire::Decoded;
    /// use wswire::handshake::{ServerConfig, parse_request};
    ///
    /// let config = ServerConfig::default();
    /// let buf = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
    ///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    ///     Sec-WebSocket-Version: 13\r\n\r\n";
    /// let Decoded::Complete((req, _)) = parse_request(buf, config.limits())? else { unreachable!() };
    /// assert_eq!(req.accept(&config).to_bytes(), b"HTTP/1.1 101 Switching Protocols\r\n\
    ///     Upgrade: websocket\r\nConnection: Upgrade\r\n\
    ///     Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        self.write_to(&mut out);
        out
    }
}
