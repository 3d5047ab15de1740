//! The high-performance echo server: tokio, one task per connection, every path a WebSocket.
//!
//! ```text
//! cargo run --release --example echo_server_tokio                      # 127.0.0.1:9001
//! cargo run --release --example echo_server_tokio -- 0.0.0.0:8080
//! cargo run --release --example echo_server_tokio -- --threads 1 127.0.0.1:9001
//! cargo run --release --example echo_server_tokio -- --no-deflate
//! ```
//!
//! The last argument is the address. permessage-deflate (RFC 7692) is negotiated with every
//! client that offers it, unless `--no-deflate`; `--deflate-no-context-takeover`,
//! `--deflate-window-bits N` and `--deflate-threshold N` tune it (see
//! `support/deflate_args.rs`). `--quiet` drops the log line per connection. Each connection runs wswire's own opening handshake (a
//! request that is not a valid upgrade gets wswire's HTTP refusal), then echoes every message;
//! see `support/tokio_echo.rs` for the I/O path: reads go straight into the connection's
//! receive buffer, and all the echoes of one read leave in one write.
//!
//! **Runtime:** multi-threaded with one worker per available core by default, so that many
//! connections use every core (tasks are independent, so work stealing costs little). With
//! `--threads 1` it is a current-thread runtime instead: no cross-thread wake-ups at all, the
//! better choice when the server is pinned to one core (as in a benchmark, `taskset -c 0`).
//! The library itself knows nothing of tokio.

#[path = "support/deflate_args.rs"]
mod deflate_args;
#[path = "support/tokio_echo.rs"]
mod tokio_echo;

use std::io;
use std::sync::Arc;

use deflate_args::DeflateArgs;
use tokio::net::TcpListener;
use wswire::connection::{Config, Connection};

fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut deflate = DeflateArgs::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if deflate.parse(&arg, &mut args).map_err(io::Error::other)? {
            continue;
        }
        match arg.as_str() {
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(|| io::Error::other("--threads needs a positive number"))?;
            }
            "--quiet" => QUIET.store(true, std::sync::atomic::Ordering::Relaxed),
            s if s.starts_with("--") => {
                return Err(io::Error::other(format!(
                    "unknown option {s}; usage: echo_server_tokio [--threads N] [--quiet] {} [ADDRESS]",
                    deflate_args::USAGE
                )));
            }
            _ => addr = arg,
        }
    }
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
    runtime.block_on(serve(&addr, threads, &deflate))
}

/// `--quiet`: no log line per connection (for load tests with many connections).
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

async fn serve(addr: &str, threads: usize, deflate: &DeflateArgs) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!(
        "wswire tokio echo server listening on ws://{local}/ ({threads} thread(s)); {}",
        deflate.describe()
    );
    let server_config = Arc::new(deflate.server_config());
    let mut config = Config::default();
    deflate.apply(&mut config);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // E.g. out of file descriptors: wait a little instead of spinning.
                eprintln!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let server_config = Arc::clone(&server_config);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let _ = stream.set_nodelay(true);
            let conn = Connection::server(server_config, config);
            let mut summary = tokio_echo::Summary::default();
            let result = tokio_echo::echo(stream, conn, &mut summary).await;
            if let Err(e) = result {
                summary.end = format!("I/O error: {e}");
            }
            if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
                println!("{peer} {summary} [{:.1?}]", started.elapsed());
            }
        });
    }
}
