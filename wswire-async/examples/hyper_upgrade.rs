//! wswire attached to an existing hyper 1.x HTTP server, with path routing (what
//! koa-websocket does for Koa): hyper parses HTTP, [`wswire_async::hyper::upgrade`] answers
//! the upgrade and hands over the WebSocket.
//!
//! ```text
//! cargo run -p wswire-async --features hyper --example hyper_upgrade                 # 127.0.0.1:9001
//! cargo run -p wswire-async --features hyper --example hyper_upgrade -- 127.0.0.1:8080
//! cargo run -p wswire-async --features hyper --example hyper_upgrade -- --no-deflate
//! ```
//!
//! The last argument is the address. permessage-deflate (RFC 7692) is negotiated with every
//! client that offers it, unless `--no-deflate`; `--deflate-no-context-takeover`,
//! `--deflate-window-bits N` and `--deflate-threshold N` tune it (see
//! `support/deflate_args.rs`): the negotiator sits in the [`ServerConfig`] given to
//! `upgrade`, exactly as with wswire's own handshake.
//!
//! Routes:
//! - `GET /ws/echo` with an upgrade: validated with the same rules as wswire's byte-level
//!   handshake; hyper sends the 101 and hands over the connection, whose WebSocket then
//!   echoes every message. An invalid upgrade gets wswire's refusal (status, headers and a
//!   text/plain body).
//! - `GET /` — a plain-text index; `GET /health` — `ok`; anything else — 404. Ordinary HTTP,
//!   untouched by wswire, on the same port and connection handling.
//!
//! An axum app does the same with the `WebSocketUpgrade` extractor (`examples/axum_app.rs`).

#[path = "support/deflate_args.rs"]
mod deflate_args;

use std::convert::Infallible;
use std::io;
use std::sync::Arc;

use deflate_args::DeflateArgs;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use wswire::connection::Config;
use wswire::handshake::ServerConfig;
use wswire_async::Message;

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

fn text(status: StatusCode, body: &str) -> Response<String> {
    let mut r = Response::new(body.to_owned());
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
) -> Result<Response<String>, Infallible> {
    let response = match (req.method(), req.uri().path()) {
        (_, "/ws/echo") => {
            let (response, upgrading) = wswire_async::hyper::upgrade(&mut req, &ws_config, config);
            if let Some(status) = upgrading.refused_with() {
                println!("{peer} {} /ws/echo refused with {status}", req.method());
            }
            tokio::spawn(async move {
                let Ok(ws) = upgrading.await else { return };
                println!("{peer} /ws/echo: {}", echo(ws).await);
            });
            response
        }
        (&Method::GET, "/") => text(StatusCode::OK, INDEX),
        (&Method::GET, "/health") => text(StatusCode::OK, "ok\n"),
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(response)
}

/// Echoes every message until the connection ends; says how it ended.
async fn echo(mut ws: wswire_async::WebSocket<wswire_async::hyper::Upgraded>) -> String {
    let mut echoed = 0u64;
    while let Some(message) = ws.recv().await {
        match message {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                if let Err(e) = ws.send(m).await {
                    return format!("{echoed} echoed, then {e}");
                }
                echoed += 1;
            }
            Ok(Message::Close(frame)) => {
                let code = frame.map_or(1005, |f| f.code.as_u16());
                return format!("{echoed} echoed, closed by the client with {code}");
            }
            Ok(_) => {}
            Err(e) => return format!("{echoed} echoed, then {e}"),
        }
    }
    format!("{echoed} echoed")
}
