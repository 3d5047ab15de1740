//! An https server that serves the demo page at `/` and echoes WebSockets on every other
//! path, over HTTP/1.1 (Upgrade) and over HTTP/2 (extended CONNECT, RFC 8441) on one port:
//! TLS with ALPN `h2` and `http/1.1`, hyper-util's server for both HTTPs with the extended
//! CONNECT enabled (`wswire_async::h2::server_builder`), `wswire_async::hyper::upgrade` for
//! both kinds of request, and one `WebSocket` type for both.
//!
//! It logs which transport carries each WebSocket (`… WebSocket over HTTP/2 …`). Browsers
//! open the page's WebSocket over HTTP/2 when the connection agreed on `h2`:
//!
//! ```text
//! cargo run -p wswire-async --features h2 --example h2_echo -- --tls-self-signed /tmp 127.0.0.1:8443
//! chromium --ignore-certificate-errors https://127.0.0.1:8443/
//! ```

#[path = "support/tls.rs"]
mod tls;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use wswire::connection::Config;
use wswire::extensions::deflate::DeflateServer;
use wswire::handshake::ServerConfig;
use wswire_async::hyper::{Transport, Upgraded};
use wswire_async::{Error, Message, WebSocket};

/// The demo page served at `/` (inline script and style, no external resources).
const DEMO_PAGE: &str = include_str!("support/demo.html");

fn usage(why: &str) -> ! {
    eprintln!(
        "{why}\nusage: h2_echo (--tls-cert PEM --tls-key PEM | --tls-self-signed DIR) [--no-deflate] [--max-message BYTES] [ADDRESS]"
    );
    std::process::exit(2)
}

/// The options: TLS ones (for `support/tls.rs`), `--no-deflate`, `--max-message BYTES` (in
/// the connection settings), the address.
fn options() -> (Vec<(String, String)>, bool, Config, String) {
    let mut tls = Vec::new();
    let mut deflate = true;
    let mut config = Config::default();
    let mut addr = "127.0.0.1:8443".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tls-cert" | "--tls-key" | "--tls-self-signed" => {
                let value = args
                    .next()
                    .unwrap_or_else(|| usage(&format!("{arg} needs a value")));
                tls.push((arg, value));
            }
            "--no-deflate" => deflate = false,
            "--max-message" => {
                let n = args.next().and_then(|v| v.parse::<u64>().ok());
                let n = n.unwrap_or_else(|| usage("--max-message needs a number of bytes"));
                config.recv.max_message_size = n;
                config.recv.max_frame_payload = n;
            }
            a if a.starts_with('-') => usage(&format!("unknown option {a}")),
            a => a.clone_into(&mut addr),
        }
    }
    (tls, deflate, config, addr)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (tls_options, deflate, config, addr) = options();
    let acceptor = match tls::acceptor_with_alpn(&tls_options, wswire_async::h2::server_alpn()) {
        Ok(Some(acceptor)) => acceptor,
        Ok(None) => usage("h2_echo serves https only: give a certificate"),
        Err(e) => usage(&e),
    };
    let mut server = ServerConfig::default();
    if deflate {
        server.extension(Box::new(DeflateServer::default()));
    }
    let server = Arc::new(server);
    let listener = TcpListener::bind(&addr).await?;
    let local = listener.local_addr()?;
    println!(
        "h2_echo listening on {local}: demo page at https://{local}/, WebSocket echo at wss://{local}/<any other path>, over HTTP/1.1 and HTTP/2"
    );
    loop {
        let (tcp, peer) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let (acceptor, server) = (acceptor.clone(), Arc::clone(&server));
        tokio::spawn(async move {
            let tls = match acceptor.accept(tcp).await {
                Ok(tls) => tls,
                Err(e) => return println!("{peer} TLS handshake failed: {e}"),
            };
            let alpn = tls.get_ref().1.alpn_protocol().map(String::from_utf8_lossy);
            println!(
                "{peer} TLS connection, ALPN {}",
                alpn.as_deref().unwrap_or("none")
            );
            let service = service_fn(move |req| handle(req, peer, Arc::clone(&server), config));
            let builder = wswire_async::h2::server_builder();
            if let Err(e) = builder
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await
            {
                println!("{peer} connection ended: {e}");
            }
        });
    }
}

/// The page at `/`, a WebSocket everywhere else.
async fn handle(
    mut req: hyper::Request<Incoming>,
    peer: SocketAddr,
    server: Arc<ServerConfig>,
    config: Config,
) -> Result<hyper::Response<String>, Infallible> {
    if req.uri().path() == "/" && req.method() == hyper::Method::GET {
        let mut page = hyper::Response::new(DEMO_PAGE.to_owned());
        page.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return Ok(page);
    }
    if req.version() == hyper::Version::HTTP_2 && req.method() != hyper::Method::CONNECT {
        // Over HTTP/2 only an extended CONNECT opens a WebSocket (a GET would get a 505).
        let mut missing = hyper::Response::new("not found".to_owned());
        *missing.status_mut() = hyper::StatusCode::NOT_FOUND;
        return Ok(missing);
    }
    let target = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let (response, upgrading) = wswire_async::hyper::upgrade(&mut req, &server, config);
    match upgrading.transport() {
        Some(transport) => {
            tokio::spawn(async move {
                match upgrading.await {
                    Ok(ws) => serve(ws, peer, &target, transport).await,
                    Err(e) => println!("{peer} {target} over {transport}: upgrade failed: {e}"),
                }
            });
        }
        None => println!("{peer} {target}: refused with {}", response.status()),
    }
    Ok(response)
}

/// Echoes one WebSocket, logging its transport and how it ended.
async fn serve(mut ws: WebSocket<Upgraded>, peer: SocketAddr, target: &str, transport: Transport) {
    let negotiated = ws.negotiated();
    let extensions: Vec<String> = negotiated
        .extensions()
        .iter()
        .map(|e| e.name().to_owned())
        .collect();
    println!(
        "{peer} {target}: WebSocket over {transport}, extensions: {}",
        if extensions.is_empty() {
            "none".to_owned()
        } else {
            extensions.join(", ")
        }
    );
    let mut messages = 0u64;
    let end: Result<(), Error> = async {
        while let Some(m) = ws.recv().await {
            if let m @ (Message::Text(_) | Message::Binary(_)) = m? {
                messages += 1;
                ws.send(m).await?;
            }
        }
        Ok(())
    }
    .await;
    match end {
        Ok(()) => println!(
            "{peer} {target}: WebSocket over {transport} closed after {messages} message(s)"
        ),
        Err(e) => println!(
            "{peer} {target}: WebSocket over {transport} failed after {messages} message(s): {e}"
        ),
    }
}
