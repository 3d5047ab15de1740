//! The conformance suite (modelled on the Autobahn TestSuite) over loopback TCP, against a
//! running echo server such as `examples/echo_server.rs`.
//!
//! ```text
//! cargo run --release --example echo_server -- 127.0.0.1:9001 &
//! cargo run --release --example conformance -- 127.0.0.1:9001
//! bash conformance/run.sh        # does both, on a free port
//! ```
//!
//! Each case opens its own connection (the opening handshake is wswire's
//! `handshake::ClientRequest`, resource `/conformance/<case>`), writes the case's bytes with
//! the same chops as the in-process test (a short sleep after pushes marked as pauses), reads
//! the server's answer on a second thread and checks the same strict expectations: the
//! echoes, pongs and Close frame in order, on time for the fail-fast cases, nothing after
//! the Close, and the server closing TCP. The case table is `tests/conformance/cases.rs`,
//! shared with `cargo test --test conformance`. Set `CONFORMANCE_FILTER` to a case-id prefix
//! to run a subset. Exits non-zero when a case fails.

#[path = "../tests/conformance/cases.rs"]
mod cases;
#[path = "../tests/conformance/check.rs"]
mod check;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use cases::{Case, catalogue, known_failure};
use check::{Observed, complete_outputs};
use wswire::frame::Decoded;
use wswire::handshake::{ClientRequest, SecWebSocketKey};

/// Sleep after a push marked `pause`.
const PAUSE: Duration = Duration::from_millis(2);
/// How long to wait for an answer that is due (a checkpoint) before sending on.
const DUE: Duration = Duration::from_secs(2);
/// How long the server may stay silent before we stop waiting for its close.
const SILENCE: Duration = Duration::from_secs(5);

/// What the reader thread collects.
#[derive(Default)]
struct Inbox {
    bytes: Vec<u8>,
    /// How the stream ended: `Ok("EOF")` or `Err(read error)`.
    end: Option<Result<String, String>>,
    last_progress: Option<Instant>,
}

type Shared = Arc<(Mutex<Inbox>, Condvar)>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Inbox> {
    shared
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Connects and completes the opening handshake; returns the stream and any frame bytes
/// that arrived behind the 101 response.
fn open(addr: &str, case: &Case) -> Result<(TcpStream, Vec<u8>), String> {
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
    let request = ClientRequest::new(addr, &format!("/conformance/{}", case.id))
        .map_err(|e| format!("request: {e}"))?;
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
            Ok(Decoded::Complete((_, consumed))) => {
                stream.set_read_timeout(None).map_err(|e| e.to_string())?;
                return Ok((stream, buf[consumed..n].to_vec()));
            }
            Err(e) => return Err(format!("handshake refused: {e}")),
        }
    }
}

fn reader(mut stream: TcpStream, shared: Shared) {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let r = stream.read(&mut buf);
        let mut inbox = lock(&shared);
        match r {
            Ok(0) => inbox.end = Some(Ok("EOF".into())),
            Ok(n) => {
                inbox.bytes.extend_from_slice(&buf[..n]);
                inbox.last_progress = Some(Instant::now());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => inbox.end = Some(Err(format!("read error: {e}"))),
        }
        let done = inbox.end.is_some();
        drop(inbox);
        shared.1.notify_all();
        if done {
            return;
        }
    }
}

/// Waits until `ready` holds for the inbox or `limit` passes without progress.
fn wait_until(shared: &Shared, limit: Duration, ready: impl Fn(&Inbox) -> bool) -> bool {
    let mut inbox = lock(shared);
    let mut last = Instant::now();
    let mut seen = inbox.bytes.len();
    loop {
        if ready(&inbox) {
            return true;
        }
        if inbox.end.is_some() {
            return false;
        }
        if inbox.bytes.len() != seen {
            seen = inbox.bytes.len();
            last = Instant::now();
        }
        let Some(left) = limit.checked_sub(last.elapsed()) else {
            return false;
        };
        inbox = shared
            .1
            .wait_timeout(inbox, left.min(Duration::from_millis(100)))
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}

fn run(addr: &str, case: &Case) -> Observed {
    let mut obs = Observed::default();
    let (mut stream, early) = match open(addr, case) {
        Ok(x) => x,
        Err(e) => {
            obs.harness_error = Some(e);
            return obs;
        }
    };
    let shared: Shared = Arc::new((
        Mutex::new(Inbox {
            bytes: early,
            ..Inbox::default()
        }),
        Condvar::new(),
    ));
    let reading = match stream.try_clone() {
        Ok(s) => {
            let shared = Arc::clone(&shared);
            thread::spawn(move || reader(s, shared))
        }
        Err(e) => {
            obs.harness_error = Some(format!("clone: {e}"));
            return obs;
        }
    };
    let server_closed = |b: &Inbox| complete_outputs(&b.bytes).is_some_and(|(_, closed)| closed);
    for (i, push) in case.pushes.iter().enumerate() {
        if let Err(e) = stream.write_all(&push.bytes)
            && !server_closed(&lock(&shared))
        {
            obs.harness_error = Some(format!("write of push {} failed: {e}", i + 1));
            break;
        }
        if push.pause {
            thread::sleep(PAUSE);
        }
        for cp in case.checkpoints.iter().filter(|cp| cp.after_push == i) {
            wait_until(&shared, DUE, |b| {
                complete_outputs(&b.bytes).is_some_and(|(n, _)| n >= cp.outputs)
            });
        }
        obs.marks.push(lock(&shared).bytes.len());
    }
    // The server closes first (RFC 6455 §7.1.1): wait for its EOF.
    wait_until(&shared, SILENCE, |b| b.end.is_some());
    let _ = stream.shutdown(Shutdown::Both);
    let _ = reading.join();
    let inbox = lock(&shared);
    obs.output = inbox.bytes.clone();
    obs.closed = match &inbox.end {
        Some(Ok(how)) => Ok(how.clone()),
        Some(Err(e)) => Err(e.clone()),
        None => Err(format!(
            "no EOF from the server within {SILENCE:?} of silence"
        )),
    };
    obs
}

fn main() -> ExitCode {
    let addr = std::env::args()
        .skip(1)
        .last()
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let filter = std::env::var("CONFORMANCE_FILTER").unwrap_or_default();
    let started = Instant::now();
    let (mut passed, mut failed, mut known) = (0usize, Vec::new(), 0usize);
    for entry in catalogue() {
        if !entry.id.starts_with(&filter) {
            continue;
        }
        let t0 = Instant::now();
        let case = (entry.build)();
        let result = check::check(&case, &run(&addr, &case), false);
        let (status, detail) = match (&result, known_failure(&case.id, "loopback")) {
            (Ok(()), None) => ("PASS", String::new()),
            (Ok(()), Some(_)) => (
                "FAIL",
                " listed as a known failure but passes: remove it from the list".to_owned(),
            ),
            (Err(e), Some(why)) => ("KNOWN", format!(" [known failure: {why}] {e}")),
            (Err(e), None) => ("FAIL", format!(" {e}")),
        };
        println!(
            "{status:5} {:8} loopback  {} -> {}{detail} [{} ms]",
            case.id,
            case.desc,
            check::outcome(&case),
            t0.elapsed().as_millis()
        );
        match status {
            "PASS" => passed += 1,
            "KNOWN" => known += 1,
            _ => failed.push(case.id.clone()),
        }
    }
    if known > 0 {
        println!("{known} known failure(s) (see cases::KNOWN_FAILURES)");
    }
    if !failed.is_empty() {
        println!("failed: {}", failed.join(" "));
    }
    println!("against {addr} in {:.1?}", started.elapsed());
    println!("{passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
