//! Client role: we are the server. Per case the client under test is started with the URL
//! `ws://ADDR/conformance/<case>`; we answer its opening handshake with wswire's
//! `ServerHandshake` (agreeing to permessage-deflate in deflate mode), send the case's
//! frames re-framed as server frames (`roles::for_client`) and check its output as client
//! frames. The server closes the transport first (RFC 6455 §7.1.1): once the client's Close
//! is in we shut our side, and the client must then close its own.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use wswire::extensions::deflate::{DeflateParams, DeflateServer};
use wswire::frame::Decoded;
use wswire::handshake::{ServerConfig, ServerHandshake};

use crate::cases::Case;
use crate::check::{Observed, Wire};
use crate::io::{SILENCE, close_or_wrong, collect, lock, play, start_reader, wait_until};

/// How long the client may take to connect, and to exit once the connection is over.
const PATIENCE: Duration = Duration::from_secs(5);

/// The client under test: the command to start it, and where we listen for it.
pub(crate) struct ClientUnderTest {
    pub(crate) listener: TcpListener,
    pub(crate) addr: SocketAddr,
    pub(crate) cmd: Vec<String>,
    /// Where the client is told to connect, before `/conformance/<case>`: `ws://ADDR`, or a
    /// tunnel in front of us (`--client-url wss://localhost:PORT`, the suite over wss).
    pub(crate) url_base: String,
}

impl ClientUnderTest {
    /// Listens on `listen` (port 0: any free port) for the client `cmd` (split on spaces).
    pub(crate) fn new(listen: &str, cmd: &str, url_base: Option<String>) -> Result<Self, String> {
        let listener = TcpListener::bind(listen).map_err(|e| format!("bind {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let cmd: Vec<String> = cmd.split_whitespace().map(str::to_owned).collect();
        if cmd.is_empty() {
            return Err("--client-cmd is empty".into());
        }
        Ok(Self {
            listener,
            addr,
            cmd,
            url_base: url_base.unwrap_or_else(|| format!("ws://{addr}")),
        })
    }
}

/// Runs one case (already re-framed) against a fresh client.
pub(crate) fn run(t: &ClientUnderTest, case: &Case, deflate: bool) -> Observed {
    let mut obs = Observed::default();
    let url = format!("{}/conformance/{}", t.url_base, case.id);
    let child = Command::new(&t.cmd[0])
        .args(&t.cmd[1..])
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            obs.harness_error = Some(format!("starting {}: {e}", t.cmd[0]));
            return obs;
        }
    };
    if let Err(e) = converse(t, case, deflate, &mut child, &mut obs) {
        obs.harness_error = Some(e);
    }
    let exit = finish(&mut child);
    if obs.harness_error.is_none()
        && let Err(e) = exit
    {
        obs.harness_error = Some(e);
    }
    obs
}

/// The connection: accept, handshake, the pushes, the closing handshake.
fn converse(
    t: &ClientUnderTest,
    case: &Case,
    deflate: bool,
    child: &mut Child,
    obs: &mut Observed,
) -> Result<(), String> {
    let mut stream = accept(t, child)?;
    let (early, wire) = handshake(&mut stream, deflate)?;
    obs.wire = wire;
    let (shared, reading) = start_reader(&stream, early)?;
    play(&mut stream, case, &shared, obs);
    // The client's Close (an echo of ours, or its failure), then we close first.
    wait_until(&shared, SILENCE, |b| close_or_wrong(b, wire));
    let before = lock(&shared).end.is_some();
    let _ = stream.shutdown(Shutdown::Write);
    wait_until(&shared, SILENCE, |b| b.end.is_some());
    let _ = stream.shutdown(Shutdown::Both);
    let _ = reading.join();
    collect(
        &shared,
        obs,
        format!("no EOF from the client within {SILENCE:?} after we closed"),
    );
    if before && let Ok(how) = &mut obs.closed {
        how.push_str(" (before ours: RFC 6455 §7.1.1 allows it after both Close frames)");
    }
    Ok(())
}

/// Accepts the client's connection, unless it exits first or takes too long.
fn accept(t: &ClientUnderTest, child: &mut Child) -> Result<TcpStream, String> {
    let t0 = Instant::now();
    loop {
        match t.listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).map_err(|e| e.to_string())?;
                s.set_nodelay(true).map_err(|e| e.to_string())?;
                return Ok(s);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(format!("accept: {e}")),
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the client exited ({status}) without connecting"));
        }
        if t0.elapsed() > PATIENCE {
            return Err(format!("the client did not connect within {PATIENCE:?}"));
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Answers the opening handshake; returns the bytes behind the request and how the client
/// frames its output.
fn handshake(stream: &mut TcpStream, deflate: bool) -> Result<(Vec<u8>, Wire), String> {
    let mut config = ServerConfig::default();
    if deflate {
        config.extension(Box::new(DeflateServer::default()));
    }
    stream
        .set_read_timeout(Some(PATIENCE))
        .map_err(|e| e.to_string())?;
    let mut hs = ServerHandshake::new(&config);
    let mut buf = vec![0u8; 16 * 1024];
    let (accepted, rest) = loop {
        let n = stream
            .read(&mut buf)
            .map_err(|e| format!("read request: {e}"))?;
        if n == 0 {
            return Err("EOF during the opening handshake".into());
        }
        match hs.handle_input(&buf[..n]) {
            Ok(Decoded::Incomplete { .. }) => {}
            Ok(Decoded::Complete((request, consumed))) => {
                break (request.accept(&config), buf[consumed..n].to_vec());
            }
            Err(e) => return Err(format!("bad opening handshake: {e}")),
        }
    };
    stream
        .write_all(&accepted.to_bytes())
        .map_err(|e| format!("write response: {e}"))?;
    stream.set_read_timeout(None).map_err(|e| e.to_string())?;
    let agreed = DeflateParams::from_extensions(accepted.negotiated().extensions())
        .map_err(|e| format!("extensions: {e}"))?;
    if deflate && agreed.is_none() {
        return Err("the client did not offer permessage-deflate".into());
    }
    let wire = Wire {
        client: true,
        deflate: agreed.map(|p| p.client_no_context_takeover),
    };
    Ok((rest, wire))
}

/// Waits for the client to exit (killing it after [`PATIENCE`]); `Err` unless it exited 0.
fn finish(child: &mut Child) -> Result<(), String> {
    let t0 = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if t0.elapsed() < PATIENCE => thread::sleep(Duration::from_millis(2)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let last = err.lines().last().unwrap_or("").to_owned();
    match status {
        Some(s) if s.success() => Ok(()),
        Some(s) => Err(format!("the client exited with {s}: {last}")),
        None => Err(format!(
            "the client did not exit within {PATIENCE:?} of the end: {last}"
        )),
    }
}
