//! An echo server on the adapter: tokio, one task per connection, the demo page at `/`, every
//! other path a WebSocket that echoes each message.
//!
//! ```text
//! cargo run --release -p wswire-async --example echo_server_tokio                 # 127.0.0.1:9001
//! cargo run --release -p wswire-async --example echo_server_tokio -- 0.0.0.0:8080
//! cargo run --release -p wswire-async --example echo_server_tokio -- --threads 1 --no-deflate
//! ```
//!
//! The last argument is the address. permessage-deflate (RFC 7692) is negotiated with every
//! client that offers it, unless `--no-deflate`; `--deflate-no-context-takeover`,
//! `--deflate-window-bits N` and `--deflate-threshold N` tune it (`support/deflate_args.rs`).
//! `--protocol NAME` (repeatable) names the subprotocols it speaks; `--quiet` drops the log
//! line per connection; `--threads N` picks the runtime (1: current-thread, the choice when the
//! server is pinned to one core; default: one worker per core). Sockets get `TCP_NODELAY`.
//!
//! With the `rustls` feature it serves `https://` and `wss://` instead: `--tls-cert PEM
//! --tls-key PEM`, or `--tls-self-signed DIR`, which makes a certificate for `localhost` and
//! 127.0.0.1 (rcgen) and writes it to `DIR/cert.pem` and `DIR/key.pem` for clients to trust.
//!
//! The WebSocket part is [`wswire_async::accept_with`] and a `recv`/`send` loop — the echo
//! hands each received message back without copying its payload. The page and its `/stats`
//! endpoint are plain HTTP, answered here before the handshake (`support/http_peek.rs`); an
//! application with more HTTP than that belongs behind hyper or axum.

#[path = "support/deflate_args.rs"]
mod deflate_args;
#[path = "support/http_peek.rs"]
mod http_peek;
#[path = "support/stats.rs"]
mod stats;
#[cfg(feature = "rustls")]
#[path = "support/tls.rs"]
mod tls;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use deflate_args::DeflateArgs;
use http_peek::{Peeked, Tap};
use stats::Stats;
use tokio::net::TcpListener;
use wswire::connection::Config;
use wswire::handshake::ServerConfig;
use wswire_async::{Error, Message, WebSocket, accept_with};

/// The demo page served at `/` (inline script and style, no external resources).
const DEMO_PAGE: &str = include_str!("support/demo.html");

/// `--quiet`: no log line per connection (for load tests with many connections).
static QUIET: AtomicBool = AtomicBool::new(false);

/// What every connection shares.
struct Server {
    handshake: Arc<ServerConfig>,
    config: Config,
    stats: Stats,
}

fn usage(why: &str) -> ! {
    eprintln!(
        "{why}\nusage: echo_server_tokio [--threads N] [--quiet] [--protocol NAME]... [--tls-cert PEM --tls-key PEM | --tls-self-signed DIR] {} [ADDRESS]",
        deflate_args::USAGE
    );
    std::process::exit(2)
}

fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut deflate = DeflateArgs::default();
    let mut protocols = Vec::new();
    #[cfg(feature = "rustls")]
    let mut tls_args = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match deflate.parse(&arg, &mut args) {
            Ok(true) => {}
            Ok(false) => match arg.as_str() {
                "--threads" => match args.next().and_then(|n| n.parse().ok()) {
                    Some(n) if n > 0 => threads = n,
                    _ => usage("--threads needs a positive number"),
                },
                "--protocol" => protocols.push(
                    args.next()
                        .unwrap_or_else(|| usage("--protocol needs a name")),
                ),
                "--quiet" => QUIET.store(true, Ordering::Relaxed),
                #[cfg(feature = "rustls")]
                "--tls-cert" | "--tls-key" | "--tls-self-signed" => {
                    let value = args
                        .next()
                        .unwrap_or_else(|| usage(&format!("{arg} needs a path")));
                    tls_args.push((arg, value));
                }
                s if s.starts_with("--") => usage(&format!("unknown option {s}")),
                _ => addr = arg,
            },
            Err(e) => usage(&e),
        }
    }
    #[cfg(feature = "rustls")]
    let tls = tls::acceptor(&tls_args).unwrap_or_else(|e| usage(&e));
    let mut handshake = deflate.server_config();
    if let Err(e) = handshake.subprotocols(&protocols) {
        usage(&format!("--protocol {}: {e}", protocols.join(", ")));
    }
    let mut config = Config::default();
    config.keepalive_interval = Some(Duration::from_secs(60));
    config.idle_timeout = Some(Duration::from_secs(120));
    deflate.apply(&mut config);
    let server = Arc::new(Server {
        handshake: Arc::new(handshake),
        config,
        stats: Stats::default(),
    });
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        let local = listener.local_addr()?;
        #[cfg(feature = "rustls")]
        let (http, ws) = if tls.is_some() { ("https", "wss") } else { ("http", "ws") };
        #[cfg(not(feature = "rustls"))]
        let (http, ws) = ("http", "ws");
        println!(
            "wswire-async echo server listening on {local} ({threads} thread(s)): demo page at {http}://{local}/, WebSocket echo at {ws}://{local}/<any other path>; {}",
            deflate.describe()
        );
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    // E.g. out of file descriptors: wait a little instead of spinning.
                    eprintln!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let server = Arc::clone(&server);
            let _ = stream.set_nodelay(true);
            #[cfg(feature = "rustls")]
            let tls = tls.clone();
            tokio::spawn(async move {
                let started = Instant::now();
                #[cfg(feature = "rustls")]
                let line = match tls {
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(stream) => serve(stream, &server).await,
                        Err(e) => format!("TLS handshake failed: {e}"),
                    },
                    None => serve(stream, &server).await,
                };
                #[cfg(not(feature = "rustls"))]
                let line = serve(stream, &server).await;
                if !QUIET.load(Ordering::Relaxed) {
                    println!("{peer} {line} [{:.1?}]", started.elapsed());
                }
            });
        }
    })
}

/// One connection: the page, the stats, or a WebSocket echo. Returns its log line.
async fn serve<S>(stream: S, server: &Server) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let started = Instant::now();
    let deadline = server.config.handshake_timeout;
    let tap = match http_peek::peek(stream, deadline).await {
        Ok(Peeked::Page(mut tap)) => {
            return match tap
                .respond("200 OK", "text/html; charset=utf-8", DEMO_PAGE)
                .await
            {
                Ok(()) => "GET / -> 200 demo page".to_owned(),
                Err(e) => format!("GET / -> I/O error {e}"),
            };
        }
        Ok(Peeked::Stats(mut tap, id)) => {
            let (status, body) = server.stats.json(&id);
            let _ = tap.respond(status, "application/json", &body).await;
            return format!("GET /stats -> {status}");
        }
        Ok(Peeked::Other(tap)) => tap,
        Err(e) => return format!("before the handshake: {e}"),
    };
    let counters = tap.counters();
    // The handshake deadline covers the head already read, too.
    let mut config = server.config;
    config.handshake_timeout = deadline.map(|d| d.saturating_sub(started.elapsed()));
    let accepted = accept_with(tap, server.handshake.clone(), config, |request| {
        server.stats.track(request.target(), &counters);
        Ok(())
    })
    .await;
    let mut ws: WebSocket<Tap<S>> = match accepted {
        Ok(ws) => ws,
        Err(e) => return format!("handshake refused: {e}"),
    };
    let target = ws.request_target().unwrap_or_default();
    let negotiated = ws.negotiated();
    let agreed = negotiated
        .extensions()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let extensions = if agreed.is_empty() {
        "(no extension)".to_owned()
    } else {
        format!("({agreed})")
    };
    counters.opened(agreed, negotiated.subprotocol().map(str::to_owned));
    let mut messages = 0u64;
    let end = loop {
        match ws.recv().await {
            Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) => {
                messages += 1;
                counters.payload(payload_len(&m));
                if let Err(e) = ws.send(m).await {
                    break format!("send failed: {e}");
                }
            }
            Some(Ok(Message::Close(frame))) => {
                break match frame {
                    Some(f) => format!("closed by the client with {}", f.code.as_u16()),
                    None => "closed by the client (no code)".to_owned(),
                };
            }
            Some(Ok(_)) => {}
            Some(Err(Error::Ended(e))) => break format!("failed: {e}"),
            Some(Err(e)) => break format!("error: {e}"),
            None => break "ended".to_owned(),
        }
    };
    // Drive the closing handshake to the transport's end.
    while let Some(Ok(_)) = ws.recv().await {}
    format!("WebSocket {target} {extensions}: {messages} message(s) echoed; {end}")
}

/// The payload length of a data message.
fn payload_len(m: &Message) -> usize {
    match m {
        Message::Text(t) => t.len(),
        Message::Binary(b) => b.len(),
        _ => 0,
    }
}
