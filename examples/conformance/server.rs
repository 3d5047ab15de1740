//! Server role: we are the fuzzing client, connecting to the echo server under test.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::time::Duration;

use wswire::extensions::deflate::{DeflateClient, DeflateParams};
use wswire::frame::Decoded;
use wswire::handshake::{ClientRequest, SecWebSocketKey};

use crate::cases::Case;
use crate::check::{Observed, Wire};
use crate::io::{SILENCE, collect, play, start_reader, wait_until};

/// Connects and completes the opening handshake (offering permessage-deflate when
/// `deflate`); returns the stream, any frame bytes that arrived behind the 101 response and
/// how the server frames its output.
fn open(addr: &str, case: &Case, deflate: bool) -> Result<(TcpStream, Vec<u8>, Wire), String> {
    let sock = addr
        .to_socket_addrs()
        .map_err(|e| format!("resolve {addr}: {e}"))?
        .next()
        .ok_or_else(|| format!("no address for {addr}"))?;
    let mut stream = TcpStream::connect_timeout(&sock, Duration::from_secs(5))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let mut request = ClientRequest::new(addr, &format!("/conformance/{}", case.id))
        .map_err(|e| format!("request: {e}"))?;
    if deflate {
        request.extension(Box::new(DeflateClient::default()));
    }
    let mut hs = request.start_with_key(SecWebSocketKey::from_nonce(*b"wswire-conform-1"));
    stream
        .write_all(hs.request_bytes())
        .map_err(|e| format!("write request: {e}"))?;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = stream
            .read(&mut buf)
            .map_err(|e| format!("read response: {e}"))?;
        if n == 0 {
            return Err("EOF during the opening handshake".into());
        }
        match hs.handle_input(&buf[..n]) {
            Ok(Decoded::Incomplete { .. }) => {}
            Ok(Decoded::Complete((negotiated, consumed))) => {
                let agreed = DeflateParams::from_extensions(negotiated.extensions())
                    .map_err(|e| format!("extensions: {e}"))?;
                if deflate && agreed.is_none() {
                    return Err("the server did not agree to permessage-deflate".into());
                }
                let wire = Wire {
                    client: false,
                    deflate: agreed.map(|p| p.server_no_context_takeover),
                };
                stream.set_read_timeout(None).map_err(|e| e.to_string())?;
                return Ok((stream, buf[consumed..n].to_vec(), wire));
            }
            Err(e) => return Err(format!("handshake refused: {e}")),
        }
    }
}

/// Runs one case against the server at `addr`.
pub(crate) fn run(addr: &str, case: &Case, deflate: bool) -> Observed {
    let mut obs = Observed::default();
    let (mut stream, early, wire) = match open(addr, case, deflate) {
        Ok(x) => x,
        Err(e) => {
            obs.harness_error = Some(e);
            return obs;
        }
    };
    obs.wire = wire;
    let (shared, reading) = match start_reader(&stream, early) {
        Ok(x) => x,
        Err(e) => {
            obs.harness_error = Some(e);
            return obs;
        }
    };
    play(&mut stream, case, &shared, &mut obs);
    // The server closes first (RFC 6455 §7.1.1): wait for its EOF.
    wait_until(&shared, SILENCE, |b| b.end.is_some());
    let _ = stream.shutdown(Shutdown::Both);
    let _ = reading.join();
    collect(
        &shared,
        &mut obs,
        format!("no EOF from the server within {SILENCE:?} of silence"),
    );
    obs
}
