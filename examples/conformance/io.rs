//! What both roles share: a reader thread collecting the peer's bytes, waiting on them, and
//! playing a case's pushes with its pauses and checkpoints.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::cases::Case;
use crate::check::{Observed, Wire, complete_outputs};

/// Sleep after a push marked `pause`.
const PAUSE: Duration = Duration::from_millis(2);
/// How long to wait for an answer that is due (a checkpoint) before sending on.
const DUE: Duration = Duration::from_secs(2);
/// How long the peer may stay silent before we stop waiting for its Close or its EOF.
pub(crate) const SILENCE: Duration = Duration::from_secs(5);

/// What the reader thread collects.
#[derive(Default)]
pub(crate) struct Inbox {
    pub(crate) bytes: Vec<u8>,
    /// How the stream ended: `Ok("EOF")` or `Err(read error)`.
    pub(crate) end: Option<Result<String, String>>,
}

/// The inbox and its wake-up.
pub(crate) type Shared = Arc<(Mutex<Inbox>, Condvar)>;

pub(crate) fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Inbox> {
    shared
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Starts the reader thread on a clone of `stream`, with `early` (bytes read behind the
/// handshake) already in the inbox.
pub(crate) fn start_reader(
    stream: &TcpStream,
    early: Vec<u8>,
) -> Result<(Shared, thread::JoinHandle<()>), String> {
    let shared: Shared = Arc::new((
        Mutex::new(Inbox {
            bytes: early,
            ..Inbox::default()
        }),
        Condvar::new(),
    ));
    let s = stream.try_clone().map_err(|e| format!("clone: {e}"))?;
    let sh = Arc::clone(&shared);
    Ok((shared, thread::spawn(move || reader(s, sh))))
}

fn reader(mut stream: TcpStream, shared: Shared) {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let r = stream.read(&mut buf);
        let mut inbox = lock(&shared);
        match r {
            Ok(0) => inbox.end = Some(Ok("EOF".into())),
            Ok(n) => inbox.bytes.extend_from_slice(&buf[..n]),
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
pub(crate) fn wait_until(shared: &Shared, limit: Duration, ready: impl Fn(&Inbox) -> bool) -> bool {
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

/// Whether the peer's Close is in.
pub(crate) fn peer_closed(inbox: &Inbox, wire: Wire) -> bool {
    complete_outputs(&inbox.bytes, wire).is_some_and(|(_, closed)| closed)
}

/// Whether waiting for the peer's Close is over: it is in, or the output is already wrong
/// (the check will fail; no point waiting for the silence timeout).
pub(crate) fn close_or_wrong(inbox: &Inbox, wire: Wire) -> bool {
    complete_outputs(&inbox.bytes, wire).is_none_or(|(_, closed)| closed)
}

/// Writes the case's pushes (a short sleep after a pause, waiting at checkpoints for what is
/// due), recording `obs.marks`. A write that fails once the peer has closed is not an error.
pub(crate) fn play(stream: &mut TcpStream, case: &Case, shared: &Shared, obs: &mut Observed) {
    let wire = obs.wire;
    for (i, push) in case.pushes.iter().enumerate() {
        if let Err(e) = stream.write_all(&push.bytes) {
            // The peer's Close can be on the socket before the reader thread has taken it in
            // (the write fails on the peer's reset at once): wait for it, or for the end.
            wait_until(shared, DUE, |b| peer_closed(b, wire));
            if !peer_closed(&lock(shared), wire) {
                obs.harness_error = Some(format!("write of push {} failed: {e}", i + 1));
                break;
            }
        }
        if push.pause {
            thread::sleep(PAUSE);
        }
        for cp in case.checkpoints.iter().filter(|cp| cp.after_push == i) {
            wait_until(shared, DUE, |b| {
                complete_outputs(&b.bytes, wire).is_none_or(|(n, _)| n >= cp.outputs)
            });
        }
        obs.marks.push(lock(shared).bytes.len());
    }
}

/// Ends the observation: the bytes and how the stream ended (`none`: what to say when it did
/// not end).
pub(crate) fn collect(shared: &Shared, obs: &mut Observed, none: String) {
    let inbox = lock(shared);
    obs.output = inbox.bytes.clone();
    obs.closed = match &inbox.end {
        Some(Ok(how)) => Ok(how.clone()),
        Some(Err(e)) => Err(e.clone()),
        None => Err(none),
    };
}
