//! A WebSocket client on plain `std`: connects, sends each message it is given, prints what
//! comes back, and closes with 1000 (or the code asked for).
//!
//! ```text
//! cargo run --example client -- ws://127.0.0.1:9001/echo "hello" "world"
//! cargo run --example client -- --binary ws://127.0.0.1:9001/echo "raw bytes"
//! cargo run --example client -- --size 65536 --size 1048576 --expect-echo ws://127.0.0.1:9001/
//! cargo run --example client -- --deflate-threshold 0 --expect-compressed all,all ws://127.0.0.1:9001/ "hi"
//! ```
//!
//! Messages go one at a time: each is sent, then the client waits (up to `--wait` seconds) for
//! one reply before sending the next, so an echo server's replies print next to what caused
//! them. Options:
//!
//! | option | meaning |
//! | --- | --- |
//! | `--binary` | send the messages as binary instead of text |
//! | `--size N` | also send a generated message of N bytes (ASCII for text); repeatable |
//! | `--fragment N` | send each message in fragments of at most N bytes (continuation frames) |
//! | `--ping DATA` | first send a Ping with DATA and wait for the matching Pong |
//! | `--close CODE` | close with CODE (default 1000) |
//! | `--reason TEXT` | close reason (default empty) |
//! | `--expect-echo` | exit 1 unless every reply equals what was sent, in order |
//! | `--expect-close CODE` | exit 1 unless the close code reported is CODE (default: the code sent; 1006 when the peer is expected to drop the connection) |
//! | `--wait SECS` | how long to wait for each reply (default 5) |
//! | `--quiet` | print sizes, not contents |
//! | `--no-deflate` | do not offer permessage-deflate (offered by default) |
//! | `--deflate-offer PARAMS` | the permessage-deflate offer's parameters, e.g. `"server_no_context_takeover; client_max_window_bits=9"` (default `client_max_window_bits`, as browsers) |
//! | `--deflate-threshold N` | send messages shorter than N bytes uncompressed (default 1024) |
//! | `--expect-extension TEXT` | exit 1 unless the negotiated `Sec-WebSocket-Extensions` contains TEXT (repeatable); `none`: unless nothing was negotiated |
//! | `--expect-compressed SENT,RECEIVED` | exit 1 unless the data messages sent / received were compressed as stated: each `all`, `none` or `any` |
//!
//! **permessage-deflate** (RFC 7692) is offered by default when the crate has a codec (the
//! default `deflate` feature). What was agreed is printed after `connected`; at the end, how
//! many of the data messages sent and received were compressed (RSV1, read from the frame
//! headers by `support/frame_tap.rs`) and their payload bytes on the wire.
//!
//! Masking keys (RFC 6455 §5.3) and the handshake key come from the operating system's CSPRNG
//! (`getrandom`). `ws://` only: TLS is the caller's business, not this example's.

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use std::{env, fmt};

use getrandom::SysRng;
use rand_core::UnwrapErr;
use wswire::CloseCode;
#[path = "support/client_options.rs"]
mod client_options;
#[path = "support/frame_tap.rs"]
mod frame_tap;

use client_options::Options;
use frame_tap::FrameTap;
use wswire::connection::{Config, Connection, Event};
use wswire::extensions::deflate::{Codec, DeflateClient};
use wswire::extensions::format_header;
use wswire::handshake::{ClientRequest, WsUri};
use wswire::send::{Compression, RandomMask};

const USAGE: &str = "usage: client [--binary] [--size N]... [--fragment N] [--ping DATA] [--close CODE] [--reason TEXT] [--expect-echo] [--expect-close CODE] [--wait SECS] [--quiet] [--no-deflate] [--deflate-offer PARAMS] [--deflate-threshold N] [--expect-extension TEXT]... [--expect-compressed SENT,RECEIVED] ws://host[:port]/path [MESSAGE]...";

fn main() -> ExitCode {
    let opts = match Options::parse(env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            println!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the peer sent, owned (events borrow the connection).
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    Text(String),
    Binary(Vec<u8>),
    Pong(Vec<u8>),
    Close(u16, String),
    Failed(String),
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(t) => write!(f, "text {} bytes: {}", t.len(), preview(t.as_bytes())),
            Self::Binary(b) => write!(f, "binary {} bytes: {}", b.len(), preview(b)),
            Self::Pong(p) => write!(f, "pong {}", preview(p)),
            Self::Close(code, reason) => write!(f, "close {code} {reason:?}"),
            Self::Failed(e) => write!(f, "connection failed: {e}"),
        }
    }
}

/// Short, printable rendering of a message.
fn preview(data: &[u8]) -> String {
    const MAX: usize = 60;
    match std::str::from_utf8(data) {
        Ok(s) if s.len() <= MAX => format!("{s:?}"),
        Ok(s) => {
            let mut end = MAX;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            format!("{:?}…", &s[..end])
        }
        Err(_) => {
            let hex: String = data.iter().take(16).map(|b| format!("{b:02x}")).collect();
            if data.len() > 16 {
                format!("{hex}…")
            } else {
                hex
            }
        }
    }
}

type Rng = UnwrapErr<SysRng>;

/// A blocking client: the connection, its socket, and the replies not yet looked at.
struct Client {
    stream: TcpStream,
    conn: Connection<RandomMask<Rng>>,
    buf: Vec<u8>,
    origin: Instant,
    replies: std::collections::VecDeque<Reply>,
    opened: bool,
    quiet: bool,
    /// The data messages we sent and received, as frames (compressed or not).
    sent: FrameTap,
    received: FrameTap,
}

impl Client {
    fn connect(uri: &WsUri, o: &Options) -> io::Result<Self> {
        if uri.is_secure() {
            return Err(io::Error::other(
                "wss:// needs TLS, which this example does not do",
            ));
        }
        let host = uri.host().trim_start_matches('[').trim_end_matches(']');
        let stream = TcpStream::connect((host, uri.port()))?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(Duration::from_secs(30)))?;
        let mut rng = UnwrapErr(SysRng);
        let mut request = ClientRequest::from_uri(uri);
        // Offered only with a codec to run it (the default `deflate` feature).
        if let Some(offer) = o.deflate
            && Codec::default_codec().is_some()
        {
            request.extension(Box::new(DeflateClient::new(offer)));
        }
        let handshake = request.start(&mut rng);
        let mut config = Config::default();
        config.close_timeout = Some(Duration::from_secs(5));
        if let Some(t) = o.deflate_threshold {
            config.deflate.threshold = t;
        }
        Ok(Self {
            stream,
            conn: Connection::client(handshake, config, rng),
            buf: vec![0; 64 * 1024],
            origin: Instant::now(),
            replies: std::collections::VecDeque::new(),
            opened: false,
            quiet: o.quiet,
            sent: FrameTap::new(true),
            received: FrameTap::new(true),
        })
    }

    /// Drains events into `replies` and writes all pending output.
    fn flush(&mut self) -> io::Result<()> {
        while let Some(event) = self.conn.poll_event() {
            let reply = match event {
                Ok(Event::Open) => {
                    self.opened = true;
                    continue;
                }
                Ok(Event::Text { data, .. }) => Reply::Text(data.to_owned()),
                Ok(Event::Binary { data, .. }) => Reply::Binary(data.to_vec()),
                Ok(Event::Pong(data)) => Reply::Pong(data.to_vec()),
                Ok(Event::Ping(data)) => {
                    if !self.quiet {
                        println!("< ping {} (answered)", preview(data));
                    }
                    continue;
                }
                Ok(Event::Close { code, reason }) => Reply::Close(code.into(), reason.to_owned()),
                Ok(_) => continue,
                Err(e) => Reply::Failed(e.to_string()),
            };
            self.replies.push_back(reply);
        }
        while let Some(bytes) = self.conn.poll_transmit() {
            let n = self.stream.write(bytes)?;
            if n == 0 {
                return Err(ErrorKind::WriteZero.into());
            }
            self.sent.feed(&bytes[..n]);
            self.conn.advance_transmit(n);
        }
        Ok(())
    }

    /// Runs the connection until a reply is available (`Some`), the transport is done or
    /// `deadline` passes (`None`).
    fn next_reply(&mut self, deadline: Instant) -> io::Result<Option<Reply>> {
        loop {
            self.flush()?;
            if let Some(r) = self.replies.pop_front() {
                return Ok(Some(r));
            }
            if self.conn.should_close_transport() || !self.step(deadline)? {
                return Ok(None);
            }
        }
    }

    /// Runs the opening handshake; `Err` with the reason it failed.
    fn open(&mut self, deadline: Instant) -> io::Result<Result<(), String>> {
        loop {
            self.flush()?;
            if self.opened {
                return Ok(Ok(()));
            }
            if let Some(Reply::Failed(e)) = self.replies.pop_front() {
                return Ok(Err(e));
            }
            if self.conn.should_close_transport() || !self.step(deadline)? {
                return Ok(Err("no response".to_owned()));
            }
        }
    }

    /// Waits for input or a timer, at most until `deadline`, and feeds what happened to the
    /// connection. `false` once the deadline has passed.
    fn step(&mut self, deadline: Instant) -> io::Result<bool> {
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        let mut wait = deadline - now;
        let elapsed = self.origin.elapsed();
        if let Some(due) = self.conn.poll_timeout() {
            if due <= elapsed {
                self.conn.handle_timeout(elapsed);
                return Ok(true);
            }
            wait = wait.min(due - elapsed);
        }
        self.stream.set_read_timeout(Some(wait))?;
        match self.stream.read(&mut self.buf) {
            Ok(n) => {
                // Tell the time first: the connection stamps the input with it.
                self.conn.handle_timeout(self.origin.elapsed());
                if n == 0 {
                    self.conn.handle_eof();
                } else {
                    self.received.feed(&self.buf[..n]);
                    self.conn.handle_input(&self.buf[..n]);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                self.conn.handle_timeout(self.origin.elapsed());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // A reset is how an abrupt disconnect looks from here: treat it as the end of
            // the stream (reported as 1006).
            Err(e) if e.kind() == ErrorKind::ConnectionReset => self.conn.handle_eof(),
            Err(e) => return Err(e),
        }
        Ok(true)
    }
}

fn run(o: &Options) -> io::Result<bool> {
    let uri = WsUri::parse(&o.url).map_err(|e| io::Error::other(format!("{}: {e}", o.url)))?;
    let mut c = Client::connect(&uri, o)?;
    let mut ok = true;
    if let Err(e) = c.open(Instant::now() + Duration::from_secs(10))? {
        println!("handshake failed: {e}");
        return Ok(false);
    }
    let extensions = format_header(c.conn.negotiated().extensions());
    println!(
        "connected to {} [extensions: {}]",
        o.url,
        if extensions.is_empty() {
            "none"
        } else {
            &extensions
        }
    );
    for want in &o.expect_extension {
        let found = if want == "none" {
            extensions.is_empty()
        } else {
            extensions.contains(want.as_str())
        };
        if !found {
            println!("extensions {extensions:?}, expected {want:?}");
            ok = false;
        }
    }
    let mut closed_by_peer: Option<u16> = None;
    // Ping first, if asked.
    if let Some(data) = &o.ping {
        c.conn.ping(data).map_err(io::Error::other)?;
        println!("> ping {}", preview(data));
        match c.next_reply(Instant::now() + o.wait)? {
            Some(Reply::Pong(p)) if &p == data => println!("< pong {} [matches]", preview(&p)),
            Some(r) => {
                println!("< {r} [expected the pong]");
                closed_by_peer = closed_code(&r);
                ok = false;
            }
            None => {
                println!("< nothing [expected the pong]");
                ok = false;
            }
        }
    }
    // Each message, then its reply.
    for msg in &o.messages {
        if closed_by_peer.is_some() {
            break;
        }
        send(&mut c.conn, msg, o.binary, o.fragment)?;
        let kind = if o.binary { "binary" } else { "text" };
        if o.quiet {
            println!("> {kind} {} bytes", msg.len());
        } else {
            println!("> {kind} {} bytes: {}", msg.len(), preview(msg));
        }
        let reply = c.next_reply(Instant::now() + o.wait)?;
        let Some(reply) = reply else {
            println!("< nothing within {:?}", o.wait);
            ok &= !o.expect_echo;
            continue;
        };
        let echoed = match &reply {
            Reply::Text(t) => !o.binary && t.as_bytes() == msg.as_slice(),
            Reply::Binary(b) => o.binary && b == msg,
            _ => false,
        };
        closed_by_peer = closed_code(&reply);
        if o.expect_echo {
            println!(
                "< {reply} [{}]",
                if echoed { "echo ok" } else { "NOT the echo" }
            );
            ok &= echoed;
        } else {
            println!("< {reply}");
        }
    }
    // The closing handshake.
    let reported = match closed_by_peer {
        Some(code) => code,
        None => close(&mut c, o)?,
    };
    let expected = o.expect_close.unwrap_or(o.close);
    if reported != expected {
        println!("close code {reported}, expected {expected}");
        ok = false;
    }
    // Wait for the server to close TCP (it goes first), or the close timeout.
    while c
        .next_reply(Instant::now() + Duration::from_secs(10))?
        .is_some()
    {}
    println!(
        "compressed: sent {} ({} payload bytes on the wire), received {} ({} payload bytes on the wire)",
        c.sent.ratio(),
        c.sent.wire_bytes,
        c.received.ratio(),
        c.received.wire_bytes
    );
    if let Some([sent, received]) = o.expect_compressed
        && !(sent.holds(&c.sent) && received.holds(&c.received))
    {
        println!(
            "compressed messages: sent {}, received {}: not as expected",
            c.sent.ratio(),
            c.received.ratio()
        );
        ok = false;
    }
    println!("{}", if ok { "done" } else { "done, with failures" });
    Ok(ok)
}

fn closed_code(reply: &Reply) -> Option<u16> {
    match reply {
        Reply::Close(code, _) => Some(*code),
        Reply::Failed(_) => Some(CloseCode::ABNORMAL.as_u16()),
        _ => None,
    }
}

/// Sends our Close and waits for the peer's; returns the code it reported.
fn close(c: &mut Client, o: &Options) -> io::Result<u16> {
    c.conn
        .close(CloseCode::from(o.close), &o.reason)
        .map_err(io::Error::other)?;
    println!("> close {} {:?}", o.close, o.reason);
    let deadline = Instant::now() + o.wait;
    loop {
        match c.next_reply(deadline)? {
            Some(r @ (Reply::Close(..) | Reply::Failed(_))) => {
                println!("< {r}");
                return Ok(closed_code(&r).unwrap_or_default());
            }
            Some(r) => println!("< {r} (after our close)"),
            None => {
                println!("< no close from the peer");
                return Ok(CloseCode::ABNORMAL.as_u16());
            }
        }
    }
}

/// Sends one message, whole or in fragments of at most `fragment` bytes (text fragments end
/// on character boundaries).
fn send(
    conn: &mut Connection<RandomMask<Rng>>,
    msg: &[u8],
    binary: bool,
    fragment: Option<usize>,
) -> io::Result<()> {
    let size = fragment.unwrap_or(usize::MAX);
    if binary {
        let mut chunks = msg.chunks(size).peekable();
        if chunks.peek().is_none() {
            return conn.send_binary(&[]).map_err(io::Error::other);
        }
        while let Some(chunk) = chunks.next() {
            conn.send_binary_with(chunk, chunks.peek().is_none(), Compression::Auto)
                .map_err(io::Error::other)?;
        }
        return Ok(());
    }
    let mut text = std::str::from_utf8(msg).map_err(io::Error::other)?;
    loop {
        let mut end = text.len().min(size);
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let (piece, rest) = text.split_at(end);
        conn.send_text_with(piece, rest.is_empty(), Compression::Auto)
            .map_err(io::Error::other)?;
        if rest.is_empty() {
            return Ok(());
        }
        text = rest;
    }
}
