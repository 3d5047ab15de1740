//! wswire attached to an existing hyper 1.x HTTP server, with path routing (what
//! koa-websocket does for Koa): hyper parses HTTP, wswire validates the upgrade and carries
//! the WebSocket afterwards.
//!
//! ```text
//! cargo run -p wswire-async --example hyper_upgrade                 # 127.0.0.1:9001
//! cargo run -p wswire-async --example hyper_upgrade -- 127.0.0.1:8080
//! cargo run -p wswire-async --example hyper_upgrade -- --no-deflate
//! ```
//!
//! The last argument is the address. permessage-deflate (RFC 7692) is negotiated with every
//! client that offers it, unless `--no-deflate`; `--deflate-no-context-takeover`,
//! `--deflate-window-bits N` and `--deflate-threshold N` tune it (see
//! `support/deflate_args.rs`): the negotiator sits in the [`ServerConfig`] that
//! [`http_interop`]'s `accept` uses, exactly as with wswire's own handshake.
//!
//! Routes:
//! - `GET /ws/echo` with an upgrade: validated by [`wswire::handshake::http_interop`] (the same
//!   rules as wswire's byte-level handshake); hyper sends the 101 and hands over the raw
//!   connection, which a server [`Connection`] opened with [`Connection::server_open`] then
//!   echoes. An invalid upgrade gets wswire's refusal (status, headers and body).
//! - `GET /` — a plain-text index; `GET /health` — `ok`; anything else — 404. Ordinary HTTP,
//!   untouched by wswire, on the same port and connection handling.

#[path = "support/deflate_args.rs"]
mod deflate_args;
#[path = "support/tokio_echo.rs"]
mod tokio_echo;

use std::convert::Infallible;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use deflate_args::DeflateArgs;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use wswire::connection::{Config, Connection};
use wswire::handshake::{ServerConfig, http_interop};

const INDEX: &str = "wswire behind hyper: WebSocket echo at /ws/echo, health check at /health\n";

#[tokio::main(flavor = "current_thread")]
async fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut deflate = DeflateArgs::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if deflate.parse(&arg, &mut args).map_err(io::Error::other)? {
            continue;
        }
        if arg.starts_with("--") {
            return Err(io::Error::other(format!(
                "unknown option {arg}; usage: hyper_upgrade {} [ADDRESS]",
                deflate_args::USAGE
            )));
        }
        addr = arg;
    }
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "hyper + wswire listening on http://{} (WebSocket echo at /ws/echo); {}",
        listener.local_addr()?,
        deflate.describe()
    );
    let ws_config = Arc::new(deflate.server_config());
    let mut config = Config::default();
    deflate.apply(&mut config);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let ws_config = Arc::clone(&ws_config);
        tokio::spawn(async move {
            let service = service_fn(move |req| route(req, Arc::clone(&ws_config), config, peer));
            let served = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
            if let Err(e) = served {
                println!("{peer} HTTP error: {e}");
            }
        });
    }
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_owned())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn route(
    mut req: Request<Incoming>,
    ws_config: Arc<ServerConfig>,
    config: Config,
    peer: std::net::SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let response = match (req.method(), req.uri().path()) {
        (_, "/ws/echo") => match http_interop::validate(&req) {
            Ok(request) => {
                let accepted = request.accept(&ws_config);
                let (parts, ()) = accepted.to_http_response().into_parts();
                let negotiated = accepted.into_negotiated();
                // hyper writes the 101, then hands over the connection (with any bytes the
                // client sent after its request).
                let on_upgrade = hyper::upgrade::on(&mut req);
                tokio::spawn(async move {
                    let mut summary = tokio_echo::Summary {
                        path: Some("/ws/echo".to_owned()),
                        ..tokio_echo::Summary::default()
                    };
                    match on_upgrade.await {
                        Ok(upgraded) => {
                            let conn = Connection::server_open(negotiated, config);
                            if let Err(e) =
                                tokio_echo::echo(TokioIo::new(upgraded), conn, &mut summary).await
                            {
                                summary.end = format!("I/O error: {e}");
                            }
                        }
                        Err(e) => summary.end = format!("upgrade failed: {e}"),
                    }
                    println!("{peer} {summary}");
                });
                Response::from_parts(parts, Full::new(Bytes::new()))
            }
            Err(e) => {
                let rejection = e.rejection();
                println!("{peer} {} /ws/echo refused: {e}", req.method());
                let (parts, ()) = rejection.to_http_response().into_parts();
                Response::from_parts(
                    parts,
                    Full::new(Bytes::from(rejection.body_text().to_owned())),
                )
            }
        },
        (&Method::GET, "/") => text(StatusCode::OK, INDEX),
        (&Method::GET, "/health") => text(StatusCode::OK, "ok\n"),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(response)
}
