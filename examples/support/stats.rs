//! Per-connection byte counters for `echo_server`'s `GET /stats?id=ID`, which the demo page
//! reads to show what the browser cannot see: the bytes on the wire beside the payload bytes
//! (the compression ratio).
//!
//! A WebSocket whose request target carries `id=ID` in its query (`/echo?id=k3j9x2`) is
//! counted under that id; `GET /stats?id=ID` answers its counters as one JSON object:
//!
//! ```text
//! {"id":"k3j9x2","open":true,"extensions":"permessage-deflate","protocol":null,
//!  "messages":3,"payload_in":5120,"payload_out":5120,"wire_in":430,"wire_out":402,
//!  "data_wire_in":388,"data_wire_out":378,"compressed_in":1,"compressed_out":1}
//! ```
//!
//! - `messages`: data messages received (each is echoed);
//! - `payload_in` / `payload_out`: their payload bytes as the application sees them
//!   (decompressed), received / sent back;
//! - `wire_in` / `wire_out`: every WebSocket byte read / written after the HTTP handshake
//!   (frame headers, masking keys and control frames included);
//! - `data_wire_in` / `data_wire_out`: the payload bytes of data frames only, as they crossed
//!   the wire (the compressed size where compressed), so `data_wire_in / payload_in` is the
//!   compression ratio alone;
//! - `compressed_in` / `compressed_out`: data messages that crossed compressed (RSV1).
//!
//! An unknown (or forgotten) id gets `404` with `{"error":"unknown id"}`, a missing or
//! malformed one `400`. The table is bounded: an id is `[A-Za-z0-9_-]`, 1–64 characters; a
//! closed connection's counters are forgotten [`KEEP_CLOSED`] after it ended; at most
//! [`CAPACITY`] ids are held (the oldest closed one makes room; with all of them open, a new
//! connection simply goes uncounted). A second connection with an id in use takes it over.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::frame_tap::FrameTap;

/// The most ids held at once.
pub(crate) const CAPACITY: usize = 256;
/// How long a closed connection's counters stay readable.
pub(crate) const KEEP_CLOSED: Duration = Duration::from_secs(60);
/// The longest id accepted.
const MAX_ID: usize = 64;

/// One connection's counters; see the [module docs](self).
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    messages: u64,
    payload_in: u64,
    payload_out: u64,
    wire_in: u64,
    wire_out: u64,
    data_wire_in: u64,
    data_wire_out: u64,
    compressed_in: u64,
    compressed_out: u64,
}

#[derive(Debug)]
struct Entry {
    /// Which registration owns the id (a later connection with the same id takes it over).
    generation: u64,
    extensions: String,
    protocol: Option<String>,
    counters: Counters,
    /// When the connection ended; `None` while open.
    closed: Option<Instant>,
}

/// The shared table of counted connections.
#[derive(Debug, Default)]
pub(crate) struct StatsTable {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    generations: u64,
}

impl Inner {
    /// Forgets the connections closed for longer than [`KEEP_CLOSED`].
    fn expire(&mut self, now: Instant) {
        self.entries
            .retain(|_, e| e.closed.is_none_or(|t| now.duration_since(t) < KEEP_CLOSED));
    }
}

impl StatsTable {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere leaves plain counters behind: still fine to read.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts counting the connection whose request target is `target`, if it names an id.
    /// Without one (or with the table full of open connections), the returned counter is
    /// inert.
    pub(crate) fn open(
        self: &Arc<Self>,
        target: Option<&str>,
        extensions: &str,
        protocol: Option<&str>,
    ) -> ConnStats {
        let mut stats = ConnStats {
            handle: None,
            counters: Counters::default(),
            sent: FrameTap::new(false),
        };
        let Some(id) = target.and_then(query_id) else {
            return stats;
        };
        let mut inner = self.lock();
        inner.expire(Instant::now());
        if inner.entries.len() >= CAPACITY && !inner.entries.contains_key(id) {
            let oldest = inner
                .entries
                .iter()
                .filter_map(|(k, e)| e.closed.map(|t| (t, k)))
                .min()
                .map(|(_, k)| k.clone());
            let Some(oldest) = oldest else {
                return stats; // all open: this one goes uncounted
            };
            inner.entries.remove(&oldest);
        }
        inner.generations += 1;
        let generation = inner.generations;
        inner.entries.insert(
            id.to_owned(),
            Entry {
                generation,
                extensions: extensions.to_owned(),
                protocol: protocol.map(str::to_owned),
                counters: Counters::default(),
                closed: None,
            },
        );
        stats.handle = Some((Arc::clone(self), id.to_owned(), generation));
        stats
    }

    /// The answer to `GET /stats?<query>`: status line and JSON body.
    pub(crate) fn answer(&self, target: &str) -> (&'static str, String) {
        let Some(id) = query_id(target) else {
            return (
                "400 Bad Request",
                r#"{"error":"need ?id= (1-64 of A-Z a-z 0-9 _ -)"}"#.to_owned(),
            );
        };
        let mut inner = self.lock();
        inner.expire(Instant::now());
        let Some(e) = inner.entries.get(id) else {
            return ("404 Not Found", r#"{"error":"unknown id"}"#.to_owned());
        };
        let c = &e.counters;
        let mut json = format!("{{\"id\":\"{id}\",\"open\":{},", e.closed.is_none());
        let protocol = e
            .protocol
            .as_deref()
            .map_or_else(|| "null".to_owned(), json_string);
        let _ = write!(
            json,
            "\"extensions\":{},\"protocol\":{protocol}",
            json_string(&e.extensions)
        );
        for (name, n) in [
            ("messages", c.messages),
            ("payload_in", c.payload_in),
            ("payload_out", c.payload_out),
            ("wire_in", c.wire_in),
            ("wire_out", c.wire_out),
            ("data_wire_in", c.data_wire_in),
            ("data_wire_out", c.data_wire_out),
            ("compressed_in", c.compressed_in),
            ("compressed_out", c.compressed_out),
        ] {
            let _ = write!(json, ",\"{name}\":{n}");
        }
        json.push('}');
        ("200 OK", json)
    }
}

/// One connection's counting: updated by its thread, copied into the table by
/// [`ConnStats::publish`]; inert for a connection without an id.
#[derive(Debug)]
pub(crate) struct ConnStats {
    /// The table, the id and this registration's generation.
    handle: Option<(Arc<StatsTable>, String, u64)>,
    counters: Counters,
    /// What was written, as frames (the received side is the connection's own tap).
    sent: FrameTap,
}

impl ConnStats {
    /// `n` bytes of frames were read.
    pub(crate) fn read(&mut self, n: usize) {
        self.counters.wire_in += n as u64;
    }

    /// `bytes` were written.
    pub(crate) fn wrote(&mut self, bytes: &[u8]) {
        if self.handle.is_some() {
            self.counters.wire_out += bytes.len() as u64;
            self.sent.feed(bytes);
        }
    }

    /// A data message of `len` bytes arrived; `echoed` of them went back.
    pub(crate) fn message(&mut self, len: usize, echoed: usize) {
        self.counters.messages += 1;
        self.counters.payload_in += len as u64;
        self.counters.payload_out += echoed as u64;
    }

    /// Copies the counters into the table, with the received side's frame counts.
    pub(crate) fn publish(&mut self, received: &FrameTap) {
        let Some((table, id, generation)) = &self.handle else {
            return;
        };
        let c = &mut self.counters;
        c.data_wire_in = received.wire_bytes;
        c.compressed_in = received.compressed;
        c.data_wire_out = self.sent.wire_bytes;
        c.compressed_out = self.sent.compressed;
        if let Some(e) = table.lock().entries.get_mut(id.as_str())
            && e.generation == *generation
        {
            e.counters = *c;
        }
    }
}

impl Drop for ConnStats {
    /// Marks the connection closed (however its thread ended), starting its expiry.
    fn drop(&mut self) {
        if let Some((table, id, generation)) = &self.handle
            && let Some(e) = table.lock().entries.get_mut(id.as_str())
            && e.generation == *generation
        {
            e.closed = Some(Instant::now());
        }
    }
}

/// The `id` query parameter of a request target, if well-formed.
fn query_id(target: &str) -> Option<&str> {
    let (_, query) = target.split_once('?')?;
    let id = query.split('&').find_map(|kv| kv.strip_prefix("id="))?;
    let ok = (1..=MAX_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then_some(id)
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
