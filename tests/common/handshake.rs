//! The server handshake's fixtures, shared by `tests/handshake_server*.rs`: the RFC 6455 §1.2
//! sample request and its 101, edits of it, and feeding a request whole or byte by byte.

use wswire::frame::Decoded;
use wswire::handshake::{RequestError, ServerConfig, ServerHandshake};

pub const R0: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

pub const R0_101: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/// R0 with `old` replaced by `new` (which must occur).
pub fn r0(old: &str, new: &str) -> String {
    assert!(R0.contains(old), "{old:?} not in R0");
    R0.replacen(old, new, 1)
}

/// R0 with one more header line.
pub fn r0_plus(line: &str) -> String {
    r0("\r\n\r\n", &format!("\r\n{line}\r\n\r\n"))
}

/// Feeds `input` whole; returns the request's debug form and the consumed count, or the error.
pub fn whole(config: &ServerConfig, input: &[u8]) -> Result<Option<(String, usize)>, RequestError> {
    let mut hs = ServerHandshake::new(config);
    match hs.handle_input(input)? {
        Decoded::Incomplete { .. } => Ok(None),
        Decoded::Complete((value, consumed)) => Ok(Some((format!("{value:?}"), consumed))),
    }
}

/// Feeds `input` one byte at a time; the consumed count is the total over all calls.
pub fn bytewise(
    config: &ServerConfig,
    input: &[u8],
) -> Result<Option<(String, usize)>, RequestError> {
    let mut hs = ServerHandshake::new(config);
    for (i, b) in input.iter().enumerate() {
        match hs.handle_input(core::slice::from_ref(b))? {
            Decoded::Incomplete { .. } => {}
            Decoded::Complete((value, consumed)) => {
                assert_eq!(consumed, 1);
                return Ok(Some((format!("{value:?}"), i + 1)));
            }
        }
    }
    Ok(None)
}
