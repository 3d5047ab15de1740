//! A WebSocket echo server on plain `std`: one thread per connection, blocking sockets.
//!
//! ```text
//! cargo run --release --example echo_server                   # 127.0.0.1:9001
//! cargo run --release --example echo_server -- 0.0.0.0:8080   # the last argument is the address
//! cargo run --release --example echo_server -- --no-deflate   # without permessage-deflate
//! cargo run --release --example echo_server -- --protocol chat --protocol superchat
//! cargo run --release --example echo_server -- --handshake-timeout 2 # default 10 s
//! ```
//!
//! - `GET /` without `Upgrade` answers a small self-contained HTML page (open
//!   <http://127.0.0.1:9001/> in a browser): a self-test that sends a text, a binary and a
//!   4 KiB text message and checks the echoes, and a console to send typed or generated
//!   messages, see the echoes, the negotiated extensions, the close, a round-trip latency
//!   chart and the compression ratio.
//! - `GET /stats?id=ID` answers, as JSON, the byte counters of the WebSocket opened with
//!   `id=ID` in its query (`/echo?id=ID`): bytes on the wire and payload bytes each way, so
//!   the page can show the compression ratio (fields in `support/stats.rs`). An unknown id is
//!   a 404; closed connections are forgotten after a minute, and the table is capped.
//! - Every other request is a WebSocket handshake: wswire's [`ServerHandshake`] reads and
//!   validates it (a request that is not a valid upgrade gets wswire's HTTP refusal), the
//!   101 goes out, and a [`Connection`] opened with [`Connection::server_open`] echoes each
//!   message as it came (text as text, binary as binary; fragmented messages are
//!   reassembled), answers pings (auto-pong), echoes the peer's close code, and closes the
//!   TCP connection first, as a server should (RFC 6455 §7.1.1).
//! - Subprotocols: `--protocol NAME` (repeatable) names the subprotocols this server speaks.
//!   Of those the client offers in `Sec-WebSocket-Protocol`, the first in the *client's*
//!   order is selected and echoed in the 101 (RFC 6455 §4.2.2 /subprotocol/; chosen with
//!   [`Request::accept_with`], since a [`ServerConfig`] list would pick in the server's
//!   order). Without `--protocol`, none is ever selected.
//! - permessage-deflate (RFC 7692) is negotiated with every client that offers it (browsers
//!   do), unless `--no-deflate`; `--deflate-no-context-takeover`, `--deflate-window-bits N`
//!   and `--deflate-threshold N` tune it (see `support/deflate_args.rs`).
//! - The request (a page request too) must arrive within the handshake deadline
//!   (`--handshake-timeout SECS`, default 10 s, as the library's `Config::handshake_timeout`),
//!   however slowly it trickles in; past it the TCP connection is closed without a response.
//! - A keepalive ping goes out after 60 s of silence; a peer silent for 120 s is dropped.
//! - One log line per connection on stdout: the target, the negotiated extensions (and, with
//!   `--protocol`, the selected subprotocol), the
//!   messages echoed, how many of the received data messages came compressed (counted from
//!   their frame headers, `support/frame_tap.rs`) and their size on the wire, and how it ended.
//!   A connection's failure (protocol error, reset, even a panic) ends only its own thread.
//!
//! A server never masks, so this example needs no random numbers.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};
use std::{env, thread};

#[path = "support/deflate_args.rs"]
mod deflate_args;
#[path = "support/frame_tap.rs"]
mod frame_tap;
#[path = "support/plain_http.rs"]
mod plain_http;
#[path = "support/stats.rs"]
mod stats;

use deflate_args::DeflateArgs;
use frame_tap::FrameTap;
use plain_http::{Peek, linger_close, peek_request, serve_http};
use stats::StatsTable;
use wswire::connection::{Config, Connection, Error, Event};
use wswire::extensions::format_header;
use wswire::frame::Decoded;
use wswire::handshake::{Request, ServerConfig, ServerHandshake};
use wswire::recv::Message;

/// The demo page served at `/` (inline script and style, no external resources).
const DEMO_PAGE: &str = include_str!("support/demo.html");
/// The largest request head read before deciding between the page and a WebSocket.
const MAX_HEAD: usize = 16 * 1024;
/// Socket read size: the one buffer this example keeps per connection besides the
/// connection's own (which copies each read and shrinks back to 8 KiB after every message).
const READ_CHUNK: usize = 8 * 1024;

fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut deflate = DeflateArgs::default();
    let mut protocols = Vec::new();
    let mut handshake_timeout = Duration::from_secs(10);
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        match deflate.parse(&arg, &mut args) {
            Ok(true) => {}
            Ok(false) if arg == "--protocol" => match args.next() {
                Some(name) => protocols.push(name),
                None => usage("--protocol needs a subprotocol name"),
            },
            Ok(false) if arg == "--handshake-timeout" => {
                match args.next().and_then(|v| v.parse::<f64>().ok()) {
                    Some(secs) if secs > 0.0 && secs.is_finite() => {
                        handshake_timeout = Duration::from_secs_f64(secs);
                    }
                    _ => usage("--handshake-timeout needs a number of seconds > 0"),
                }
            }
            Ok(false) if !arg.starts_with("--") => addr = arg,
            Ok(false) => usage(&format!("unknown option {arg}")),
            Err(e) => usage(&e),
        }
    }
    // The handshake's own check of a subprotocol list: tokens (RFC 7230), no repeats.
    if let Err(e) = ServerConfig::default().subprotocols(&protocols) {
        usage(&format!("--protocol {}: {e}", protocols.join(", ")));
    }
    let listener = TcpListener::bind(&addr)?;
    let local = listener.local_addr()?;
    println!(
        "wswire echo server listening on {local}: demo page at http://{local}/, WebSocket echo at ws://{local}/<any other path>; {}{}",
        deflate.describe(),
        if protocols.is_empty() {
            String::new()
        } else {
            format!(
                "; subprotocols {} (the client's first offer among them is selected)",
                protocols.join(", ")
            )
        }
    );
    let server = Arc::new(Server {
        handshake: deflate.server_config(),
        protocols,
        stats: Arc::default(),
    });
    let mut config = Config::default();
    config.keepalive_interval = Some(Duration::from_secs(60));
    config.idle_timeout = Some(Duration::from_secs(120));
    config.handshake_timeout = Some(handshake_timeout);
    deflate.apply(&mut config);
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                // E.g. out of file descriptors: wait a little instead of spinning.
                eprintln!("accept failed: {e}");
                thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        let server = Arc::clone(&server);
        let spawned = thread::Builder::new()
            .name("ws-connection".to_owned())
            .spawn(move || {
                let peer = stream
                    .peer_addr()
                    .map_or_else(|_| "?".to_owned(), |a| a.to_string());
                let started = Instant::now();
                let mut log = Log {
                    show_protocol: !server.protocols.is_empty(),
                    ..Log::default()
                };
                if let Err(e) = serve(stream, &server, config, &mut log) {
                    log.end = format!("I/O error: {e}");
                }
                if !log.quiet {
                    println!("{peer} {} [{:.1?}]", log.line(), started.elapsed());
                }
            });
        if let Err(e) = spawned {
            eprintln!("cannot start a thread for a connection: {e}");
        }
    }
    Ok(())
}

/// Sends the message just received back: its length, or 0 if it could not be sent (only
/// once closing, when nothing more may be sent anyway).
fn echo(conn: &mut Connection) -> usize {
    let (len, sent) = match conn.take_message() {
        Some(Message::Text(text)) => (text.len(), conn.send_text_owned(text)),
        Some(Message::Binary(bytes)) => (bytes.len(), conn.send_binary_owned(bytes)),
        _ => (0, Ok(())),
    };
    if sent.is_ok() { len } else { 0 }
}

/// Reads what has arrived, waiting until `deadline` at most: `None` once it has passed.
fn read_before(
    stream: &mut TcpStream,
    buf: &mut [u8],
    deadline: Option<Instant>,
) -> io::Result<Option<usize>> {
    loop {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|l| l.is_zero()) {
            return Ok(None);
        }
        stream.set_read_timeout(left)?;
        match stream.read(buf) {
            Ok(n) => return Ok(Some(n)),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reports a bad command line and exits with status 2.
fn usage(problem: &str) -> ! {
    eprintln!(
        "{problem}\nusage: echo_server {} [--protocol NAME]... [--handshake-timeout SECS] [ADDRESS]\n  --handshake-timeout SECS  the opening handshake's deadline (default 10)\n  --protocol NAME  a subprotocol this server speaks (repeatable); the first the client offers\n                   (in the client's order) among them is selected; without it, none is",
        deflate_args::USAGE
    );
    std::process::exit(2)
}

/// What every connection shares.
struct Server {
    /// The handshake policy: limits and the permessage-deflate negotiator. Its own
    /// subprotocol list stays empty: [`select_subprotocol`] chooses instead.
    handshake: ServerConfig,
    /// `--protocol`: the subprotocols this server speaks.
    protocols: Vec<String>,
    /// The counters of connections opened with `?id=`, for `GET /stats`.
    stats: Arc<StatsTable>,
}

/// The subprotocol to accept: the first the client offered, in its order, that is one of
/// `ours`; none without `--protocol`. ([`Request::accept`] with a [`ServerConfig`]
/// subprotocol list would pick the first of *ours* that was offered instead.)
fn select_subprotocol<'r>(request: &Request<'r>, ours: &[String]) -> Option<&'r str> {
    request
        .subprotocols()
        .iter()
        .copied()
        .find(|offered| ours.iter().any(|p| p == offered))
}

/// Serves one TCP connection, noting what happened in `log`.
fn serve(mut stream: TcpStream, server: &Server, config: Config, log: &mut Log) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    // Read the request head first, to tell a page request from a WebSocket upgrade. The whole
    // opening handshake (page requests too) must arrive within the connection's handshake
    // deadline, however slowly it trickles in.
    let deadline = config.handshake_timeout.map(|t| Instant::now() + t);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut head = Vec::new();
    loop {
        let Some(n) = read_before(&mut stream, &mut buf, deadline)? else {
            log.end = "no request within the handshake deadline".to_owned();
            return Ok(());
        };
        if n == 0 {
            log.end = "closed before sending a request".to_owned();
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
        match peek_request(&head) {
            Peek::NeedMore if head.len() < MAX_HEAD => {}
            Peek::Page => {
                log.page = Some("GET / -> 200 demo page");
                return serve_http(stream, "200 OK", "text/html; charset=utf-8", DEMO_PAGE);
            }
            Peek::Stats(target) => {
                log.quiet = true; // polled by the page: one line per poll would drown the log
                let (status, json) = server.stats.answer(&target);
                return serve_http(stream, status, "application/json", &json);
            }
            Peek::Favicon => {
                log.page = Some("GET /favicon.ico -> 404");
                return serve_http(stream, "404 Not Found", "text/plain", "no icon\n");
            }
            // An upgrade, or anything else: wswire's handshake (below) accepts or refuses it.
            Peek::Other(target) => {
                log.target = target;
                break;
            }
            Peek::NeedMore => break,
        }
    }
    // The opening handshake: validate the request, choose the subprotocol, send the 101 (or
    // the refusal). The head read so far goes in first, then whatever else arrives.
    log.received.feed(&head);
    let mut handshake = ServerHandshake::new(&server.handshake);
    let mut input: &[u8] = &head;
    let (accepted, consumed) = loop {
        match handshake.handle_input(input) {
            Ok(Decoded::Complete((value, consumed))) => {
                let protocol = select_subprotocol(&value, &server.protocols);
                // Cannot fail: the protocol is one of the request's offers, and there are no
                // extra headers.
                let accepted = value
                    .accept_with(&server.handshake, protocol, &[])
                    .map_err(|e| io::Error::other(e.to_string()))?;
                break (accepted, consumed);
            }
            Ok(Decoded::Incomplete { .. }) => {
                let Some(n) = read_before(&mut stream, &mut buf, deadline)? else {
                    log.end = "handshake not complete within its deadline".to_owned();
                    return Ok(());
                };
                if n == 0 {
                    log.end = "closed during the opening handshake".to_owned();
                    return Ok(());
                }
                input = &buf[..n];
                log.received.feed(input);
            }
            Err(e) => {
                stream.write_all(&e.rejection().to_bytes())?;
                log.end = format!("failed: {}", Error::Request(e));
                linger_close(&mut stream, &mut buf);
                return Ok(());
            }
        }
    };
    stream.write_all(&accepted.to_bytes())?;
    log.extensions = Some(format_header(accepted.negotiated().extensions()));
    log.protocol = accepted.negotiated().subprotocol().map(str::to_owned);
    let mut stats = server.stats.open(
        log.target.as_deref(),
        log.extensions.as_deref().unwrap_or_default(),
        log.protocol.as_deref(),
    );
    let mut conn = Connection::server_open(accepted.into_negotiated(), config);
    let origin = Instant::now();
    conn.handle_timeout(origin.elapsed());
    // Frame bytes that came in the same read as the end of the head.
    stats.read(input.len() - consumed);
    conn.handle_input(&input[consumed..]);
    loop {
        // 1. Drain events: echo every message, handed back from its own buffer (no copy for a
        //    large or fragmented one; nothing kept between messages).
        while let Some(event) = conn.poll_event() {
            match event {
                Ok(Event::Text { data, .. }) => {
                    let len = data.len();
                    log.messages += 1;
                    log.bytes += len;
                    stats.message(len, echo(&mut conn));
                }
                Ok(Event::Binary { data, .. }) => {
                    let len = data.len();
                    log.messages += 1;
                    log.bytes += len;
                    stats.message(len, echo(&mut conn));
                }
                Ok(Event::Close { code, reason }) => {
                    log.end = format!("closed {} {reason:?}", u16::from(code));
                }
                Ok(_) => {}
                Err(e) => log.end = format!("failed: {e}"),
            }
        }
        // 2. Drain output.
        while let Some(bytes) = conn.poll_transmit() {
            let n = stream.write(bytes)?;
            if n == 0 {
                return Err(ErrorKind::WriteZero.into());
            }
            stats.wrote(&bytes[..n]);
            conn.advance_transmit(n);
        }
        stats.publish(&log.received);
        if conn.should_close_transport() {
            break;
        }
        // 3. Wait for input or for the next timer.
        let now = origin.elapsed();
        match conn.poll_timeout() {
            Some(due) if due <= now => {
                conn.handle_timeout(now);
                continue;
            }
            due => stream.set_read_timeout(due.map(|d| d - now))?,
        }
        match stream.read(&mut buf) {
            Ok(n) => {
                // Tell the time first: the connection stamps the input with it (idle timer).
                conn.handle_timeout(origin.elapsed());
                if n == 0 {
                    conn.handle_eof();
                } else {
                    log.received.feed(&buf[..n]);
                    stats.read(n);
                    conn.handle_input(&buf[..n]);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                conn.handle_timeout(origin.elapsed());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    linger_close(&mut stream, &mut buf);
    Ok(())
}

/// What one connection did, for its log line.
struct Log {
    /// A plain HTTP answer was served instead of a WebSocket.
    page: Option<&'static str>,
    /// No line at all (a `/stats` poll).
    quiet: bool,
    /// The request target, as peeked.
    target: Option<String>,
    /// The negotiated `Sec-WebSocket-Extensions`, once open.
    extensions: Option<String>,
    /// The selected subprotocol, if any.
    protocol: Option<String>,
    /// Whether the line names the subprotocol (`--protocol` was given).
    show_protocol: bool,
    messages: u64,
    bytes: usize,
    /// What arrived, as frames: compressed messages and bytes on the wire.
    received: FrameTap,
    end: String,
}

impl Default for Log {
    fn default() -> Self {
        Self {
            page: None,
            quiet: false,
            target: None,
            extensions: None,
            protocol: None,
            show_protocol: false,
            messages: 0,
            bytes: 0,
            received: FrameTap::new(true),
            end: String::new(),
        }
    }
}

impl Log {
    fn line(&self) -> String {
        let end = if self.end.is_empty() {
            "ended"
        } else {
            &self.end
        };
        if let Some(page) = self.page {
            return format!(
                "{page}{}",
                if self.end.is_empty() {
                    String::new()
                } else {
                    format!(", {end}")
                }
            );
        }
        let Some(extensions) = &self.extensions else {
            return format!(
                "WebSocket {}: not opened, {end}",
                self.target.as_deref().unwrap_or("?")
            );
        };
        let protocol = match (&self.protocol, self.show_protocol) {
            (_, false) => String::new(),
            (Some(p), true) => format!(" [protocol: {p}]"),
            (None, true) => " [protocol: none]".to_owned(),
        };
        format!(
            "WebSocket {} [extensions: {}]{protocol}: {} messages ({} bytes) echoed, compressed {} received ({} payload bytes on the wire), {end}",
            self.target.as_deref().unwrap_or("?"),
            if extensions.is_empty() {
                "none"
            } else {
                extensions
            },
            self.messages,
            self.bytes,
            self.received.ratio(),
            self.received.wire_bytes,
        )
    }
}
