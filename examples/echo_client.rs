//! An echo **client** on plain `std`: the core's client [`Connection`] driven over
//! `std::net`, the client under test of the conformance suite's client role
//! (`examples/conformance`, `bash conformance/run.sh`).
//!
//! ```text
//! cargo run --release --example echo_client -- ws://127.0.0.1:9001/conformance/1.1.1
//! cargo run --release --example echo_client -- --deflate-threshold 0 ws://127.0.0.1:9001/
//! ```
//!
//! It connects (offering permessage-deflate when the crate has a codec, unless
//! `--no-deflate`), sends nothing of its own, echoes every text and binary message, and lets
//! the connection answer pings, echo the server's Close and fail on bad input. It exits 0
//! once the connection has ended with a Close (the server's, echoed, or its own on a protocol
//! error), 1 when it ended without one or nothing happened for 10 s. `--deflate-threshold N`:
//! compress messages of N bytes and more (default 1024).

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use getrandom::SysRng;
use rand_core::UnwrapErr;
use wswire::connection::{Config, Connection, Event};
use wswire::extensions::deflate::{Codec, DeflateClient};
use wswire::handshake::{ClientRequest, WsUri};
use wswire::recv::Message;

/// How long the server may stay silent (with no timer of ours due) before we give up.
const SILENCE: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    match run() {
        Ok(how) => {
            println!("{how}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("echo_client: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, String> {
    let (mut url, mut deflate, mut threshold, mut max_message) = (None, true, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--no-deflate" => deflate = false,
            "--deflate-threshold" => {
                let n = args.next().and_then(|v| v.parse().ok());
                threshold = Some(n.ok_or("--deflate-threshold needs a number")?);
            }
            "--max-message" => {
                let n = args.next().and_then(|v| v.parse::<u64>().ok());
                max_message = Some(n.ok_or("--max-message needs a number of bytes")?);
            }
            s if s.starts_with("--") => {
                return Err(format!(
                    "unknown option {s}; usage: echo_client [--no-deflate] [--deflate-threshold N] [--max-message BYTES] URL"
                ));
            }
            _ => url = Some(arg),
        }
    }
    let url = url.ok_or(
        "usage: echo_client [--no-deflate] [--deflate-threshold N] [--max-message BYTES] URL",
    )?;
    let uri = WsUri::parse(&url).map_err(|e| format!("{url}: {e}"))?;
    if uri.is_secure() {
        return Err("wss:// needs TLS, which this example does not do".into());
    }
    let host = uri.host().trim_start_matches('[').trim_end_matches(']');
    let mut stream = TcpStream::connect((host, uri.port())).map_err(|e| format!("{url}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut rng = UnwrapErr(SysRng);
    let mut request = ClientRequest::from_uri(&uri);
    if deflate && Codec::default_codec().is_some() {
        request.extension(Box::new(DeflateClient::default()));
    }
    let handshake = request.start(&mut rng);
    let mut config = Config::default();
    if let Some(t) = threshold {
        config.deflate.threshold = t;
    }
    if let Some(n) = max_message {
        config.recv.max_message_size = n;
        config.recv.max_frame_payload = n;
    }
    let mut conn = Connection::client(handshake, config, rng);
    let end = echo(&mut stream, &mut conn).map_err(|e| format!("I/O: {e}"))?;
    let _ = stream.shutdown(Shutdown::Both);
    end.ok_or_else(|| "the connection ended without a Close".to_owned())
}

/// Runs the connection until it is done; `Some(how)` if it ended with a Close.
fn echo<M: wswire::send::ClientMasks>(
    stream: &mut TcpStream,
    conn: &mut Connection<M>,
) -> io::Result<Option<String>> {
    let origin = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    let mut end = None;
    let mut last_input = Instant::now();
    loop {
        while let Some(event) = conn.poll_event() {
            match event {
                Ok(Event::Text { .. } | Event::Binary { .. }) => {
                    // Refused only once closing: nothing more may be sent then anyway.
                    let _ = match conn.take_message() {
                        Some(Message::Text(t)) => conn.send_text_owned(t),
                        Some(Message::Binary(b)) => conn.send_binary_owned(b),
                        _ => Ok(()),
                    };
                }
                Ok(Event::Close { code, reason }) => {
                    end = Some(format!(
                        "closed by the server: {} {reason:?}",
                        u16::from(code)
                    ));
                }
                Ok(_) => {}
                Err(e) => end = Some(format!("failed the connection: {e}")),
            }
        }
        while let Some(bytes) = conn.poll_transmit() {
            let n = stream.write(bytes)?;
            if n == 0 {
                return Err(ErrorKind::WriteZero.into());
            }
            conn.advance_transmit(n);
        }
        if conn.should_close_transport() {
            return Ok(end);
        }
        if last_input.elapsed() > SILENCE {
            return Err(io::Error::other(format!("nothing received in {SILENCE:?}")));
        }
        let now = origin.elapsed();
        let wait = match conn.poll_timeout() {
            Some(due) if due <= now => {
                conn.handle_timeout(now);
                continue;
            }
            Some(due) => (due - now).min(SILENCE),
            None => SILENCE,
        };
        stream.set_read_timeout(Some(wait))?;
        match stream.read(&mut buf) {
            Ok(n) => {
                conn.handle_timeout(origin.elapsed());
                last_input = Instant::now();
                if n == 0 {
                    conn.handle_eof();
                } else {
                    conn.handle_input(&buf[..n]);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                conn.handle_timeout(origin.elapsed());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => conn.handle_eof(),
            Err(e) => return Err(e),
        }
    }
}
