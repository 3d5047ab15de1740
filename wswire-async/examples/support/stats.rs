//! Per-connection counters for the demo page's `GET /stats?id=ID`: the page opens its
//! WebSocket at `/echo?id=ID` and asks how many bytes crossed the wire against how many
//! payload bytes were echoed (the compression ratio). Bounded: at most [`MAX_ENTRIES`]
//! connections are remembered, and one that has ended is forgotten after [`KEEP_ENDED`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The most connections remembered at once.
const MAX_ENTRIES: usize = 1024;
/// How long an ended connection's counters stay readable.
const KEEP_ENDED: Duration = Duration::from_secs(60);
/// The longest id accepted.
const MAX_ID: usize = 64;

/// Adds `n` to a counter only its connection's task writes: a load and a store, not a
/// read-modify-write (no locked instruction per message; the `/stats` reader sees each
/// value whole).
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(counter.load(Relaxed).wrapping_add(n), Relaxed);
}

/// One connection's counters, each written by that connection's task alone.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    wire_in: AtomicU64,
    wire_out: AtomicU64,
    payload_in: AtomicU64,
    payload_out: AtomicU64,
    messages: AtomicU64,
    /// The agreed extensions header value and subprotocol, once open.
    agreed: OnceLock<(String, Option<String>)>,
}

impl Counters {
    pub(crate) fn wire_in(&self, n: usize) {
        bump(&self.wire_in, n as u64);
    }

    pub(crate) fn wire_out(&self, n: usize) {
        bump(&self.wire_out, n as u64);
    }

    /// The handshake is done: from here on the wire counters count WebSocket bytes only (the
    /// request and the 101 are left out, as echo_server does), and what was agreed is known.
    pub(crate) fn opened(&self, extensions: String, protocol: Option<String>) {
        self.wire_in.store(0, Relaxed);
        self.wire_out.store(0, Relaxed);
        let _ = self.agreed.set((extensions, protocol));
    }

    /// One data message of `n` payload bytes received and echoed.
    pub(crate) fn payload(&self, n: usize) {
        bump(&self.payload_in, n as u64);
        bump(&self.payload_out, n as u64);
        bump(&self.messages, 1);
    }

    /// The counters as `/stats` JSON: echo_server's fields less the per-frame ones
    /// (`data_wire_*`, `compressed_*`), which the adapter does not see.
    fn json(&self, id: &str, open: bool) -> String {
        let (extensions, protocol) = self.agreed.get().cloned().unwrap_or_default();
        format!(
            "{{\"id\":\"{id}\",\"open\":{open},\"extensions\":\"{}\",\"protocol\":{},\"wire_in\":{},\"wire_out\":{},\"payload_in\":{},\"payload_out\":{},\"messages\":{}}}",
            json_escape(&extensions),
            protocol.map_or("null".to_owned(), |p| format!("\"{}\"", json_escape(&p))),
            self.wire_in.load(Relaxed),
            self.wire_out.load(Relaxed),
            self.payload_in.load(Relaxed),
            self.payload_out.load(Relaxed),
            self.messages.load(Relaxed),
        )
    }
}

/// An entry: the counters (shared with the connection while it runs) and when it was last
/// seen running.
struct Entry {
    counters: Arc<Counters>,
    seen: Instant,
}

/// The table behind `/stats`.
#[derive(Default)]
pub(crate) struct Stats {
    table: Mutex<HashMap<String, Entry>>,
}

impl Stats {
    /// Remembers `counters` under the `id` of a request target `/…?id=ID`, if it has one.
    pub(crate) fn track(&self, target: &str, counters: &Arc<Counters>) {
        let Some(id) = id_of(target) else { return };
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // Forget what has ended long enough ago; then, if still full, the oldest ended one.
        table.retain(|_, e| Arc::strong_count(&e.counters) > 1 || now - e.seen < KEEP_ENDED);
        if table.len() >= MAX_ENTRIES {
            let oldest = table
                .iter()
                .filter(|(_, e)| Arc::strong_count(&e.counters) == 1)
                .min_by_key(|(_, e)| e.seen)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => {
                    table.remove(&k);
                }
                None => return, // every entry is a live connection: this one goes untracked
            }
        }
        table.insert(
            id.to_owned(),
            Entry {
                counters: Arc::clone(counters),
                seen: now,
            },
        );
    }

    /// The HTTP status and JSON body for `GET /stats?id=ID`.
    pub(crate) fn json(&self, id: &str) -> (&'static str, String) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        match table.get_mut(id) {
            Some(e) => {
                let open = Arc::strong_count(&e.counters) > 1;
                if open {
                    e.seen = Instant::now();
                }
                ("200 OK", e.counters.json(id, open))
            }
            None => ("404 Not Found", "{\"error\":\"unknown id\"}".to_owned()),
        }
    }
}

/// The `id` query parameter of a target, if it is a short token.
fn id_of(target: &str) -> Option<&str> {
    let query = target.split_once('?')?.1;
    let id = query.split('&').find_map(|kv| kv.strip_prefix("id="))?;
    let ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some(id)
}

/// `s` inside a JSON string: header values and tokens, so only quotes and backslashes need escaping.
fn json_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
