//! A bridge between WebSockets over HTTP/1.1 on plain TCP and WebSockets over HTTP/2 (RFC
//! 8441), for running plain-TCP test tools against HTTP/2 endpoints (the conformance suite
//! over HTTP/2, `conformance/run.sh`). Only the opening handshakes are the bridge's: each
//! side's is answered, the WebSocket's bytes are then copied both ways unchanged, so the
//! two ends negotiate with each other — the `Sec-WebSocket-Extensions` offer (and
//! subprotocols, `Origin`, the version) goes through as it was sent, and the answer comes
//! back as it was given. An end of stream on one side shuts the other side's writing.
//!
//! ```text
//! # plain HTTP/1.1 in, HTTP/2 out: each WebSocket accepted here is an extended CONNECT on
//! # an HTTP/2 connection of its own (wswire_async::h2::Client, TLS trusting the PEM file)
//! cargo run -p wswire-async --features h2 --example h2_bridge -- --to-h2 wss://localhost:8443 --ca cert.pem 127.0.0.1:0
//! # HTTP/2 in (TLS, ALPN h2, extended CONNECT enabled), plain HTTP/1.1 out to HOST:PORT
//! cargo run -p wswire-async --features h2 --example h2_bridge -- --from-h2 --tls-self-signed /tmp --to 127.0.0.1:9001 127.0.0.1:0
//! ```
//!
//! The last argument is the listen address; the bridge prints `listening on ADDRESS`. A
//! refusal on the far side comes back with its status (over HTTP/1.1, then the connection
//! closes); a far side that cannot be reached is a 502.

#[path = "support/tls.rs"]
mod tls;

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wswire::handshake::{SecWebSocketKey, WsUri, accept_key};
use wswire_async::h2;
use wswire_async::rustls::pki_types::CertificateDer;
use wswire_async::rustls::pki_types::pem::PemObject;
use wswire_async::rustls::{self, ClientConfig, RootCertStore};
use wswire_async::tokio_rustls::TlsAcceptor;

/// The request fields that go through from one opening handshake to the other.
const REQUEST_FIELDS: [&str; 4] = [
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
    "origin",
];

/// The response fields that come back.
const RESPONSE_FIELDS: [&str; 2] = ["sec-websocket-extensions", "sec-websocket-protocol"];

/// The longest HTTP/1.1 head read.
const MAX_HEAD: usize = 16 * 1024;

/// How long the far side may take to answer an opening handshake.
const PATIENCE: Duration = Duration::from_secs(10);

/// Which way the bridge goes.
#[derive(Clone)]
enum Mode {
    /// Accept HTTP/1.1 on plain TCP, open each WebSocket over HTTP/2 at `url`.
    ToH2 {
        url: Arc<str>,
        tls: Arc<ClientConfig>,
    },
    /// Accept HTTP/2 over TLS, open each WebSocket over HTTP/1.1 on plain TCP to `target`.
    FromH2 {
        acceptor: TlsAcceptor,
        target: Arc<str>,
    },
}

fn bad(e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, e.to_string())
}

fn parse_args() -> io::Result<(Mode, String)> {
    const USAGE: &str = "usage: h2_bridge (--to-h2 wss://HOST:PORT [--ca PEM] | --from-h2 (--tls-self-signed DIR | --tls-cert PEM --tls-key PEM) --to HOST:PORT) LISTEN";
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listen = args.last().cloned().ok_or_else(|| bad(USAGE))?;
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let mode = if let Some(url) = value("--to-h2") {
        let tls = match value("--ca") {
            Some(ca) => trusting(&ca)?,
            None => wswire_async::tls::default_client_config().map_err(bad)?,
        };
        Mode::ToH2 {
            url: url.into(),
            tls,
        }
    } else if args.iter().any(|a| a == "--from-h2") {
        let options: Vec<(String, String)> = ["--tls-cert", "--tls-key", "--tls-self-signed"]
            .into_iter()
            .filter_map(|flag| value(flag).map(|v| (flag.to_owned(), v)))
            .collect();
        let acceptor = tls::acceptor_with_alpn(&options, h2::server_alpn())
            .map_err(bad)?
            .ok_or_else(|| bad("--from-h2 needs a certificate"))?;
        let target = value("--to").ok_or_else(|| bad(USAGE))?;
        Mode::FromH2 {
            acceptor,
            target: target.into(),
        }
    } else {
        return Err(bad(USAGE));
    };
    Ok((mode, listen))
}

/// A TLS client configuration trusting only the certificates in the PEM file `ca`.
fn trusting(ca: &str) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(bad)? {
        roots.add(cert.map_err(bad)?).map_err(bad)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(bad)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> io::Result<()> {
    let (mode, listen) = parse_args()?;
    let listener = TcpListener::bind(&listen).await?;
    println!("h2_bridge listening on {}", listener.local_addr()?);
    loop {
        let (tcp, peer) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let mode = mode.clone();
        tokio::spawn(async move {
            let done = match mode {
                Mode::ToH2 { url, tls } => to_h2(tcp, &url, tls).await,
                Mode::FromH2 { acceptor, target } => from_h2(tcp, acceptor, target).await,
            };
            if let Err(e) = done {
                eprintln!("h2_bridge: {peer}: {e}");
            }
        });
    }
}

/// Reads an HTTP/1.1 head (through its blank line): the head, and the bytes read after it.
async fn read_head(tcp: &mut TcpStream) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(bad("an HTTP head over 16 KiB"));
        }
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The fields named in `wanted`, in the order they came, as text.
fn pick<'a>(headers: &'a [httparse::Header<'a>], wanted: &[&str]) -> Vec<(String, &'a str)> {
    headers
        .iter()
        .filter(|h| wanted.iter().any(|w| h.name.eq_ignore_ascii_case(w)))
        .filter_map(|h| {
            let value = std::str::from_utf8(h.value).ok()?;
            Some((h.name.to_ascii_lowercase(), value))
        })
        .collect()
}

/// `--to-h2`: answers one HTTP/1.1 WebSocket handshake with what the server over HTTP/2
/// answered to the same offer, then copies the bytes.
async fn to_h2(mut tcp: TcpStream, url: &str, tls: Arc<ClientConfig>) -> io::Result<()> {
    let (head, early) = read_head(&mut tcp).await?;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(&head).map_err(bad)?;
    let path = req.path.unwrap_or("/").to_owned();
    let Some((_, key)) = pick(req.headers, &["sec-websocket-key"]).pop() else {
        tcp.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await?;
        return Err(bad("no Sec-WebSocket-Key"));
    };
    let accept = accept_key(key);
    let uri = WsUri::parse(url).map_err(bad)?;
    let authority = format!("{}:{}", uri.host(), uri.port());
    let mut fields = vec![
        (":authority".to_owned(), authority.as_str()),
        (":path".to_owned(), path.as_str()),
    ];
    fields.extend(pick(req.headers, &REQUEST_FIELDS));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let opened = async {
        let client = h2::Client::connect(url, Some(PATIENCE), tls).await?;
        client.open_stream(&fields).await
    };
    let why = match tokio::time::timeout(PATIENCE, opened).await {
        Ok(Ok(opened)) => Ok(opened),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".to_owned()),
    };
    let (answer, stream) = match why {
        Ok(opened) => opened,
        Err(why) => {
            tcp.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                .await?;
            return Err(io::Error::other(format!("{url}{path} over HTTP/2: {why}")));
        }
    };
    let Some(stream) = stream else {
        let status = answer.status;
        let refusal =
            format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        tcp.write_all(refusal.as_bytes()).await?;
        return Ok(());
    };
    let mut ok = format!(
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: {}\r\n",
        accept.as_str()
    );
    for name in RESPONSE_FIELDS {
        for value in answer.headers.get_all(name) {
            let value = value.to_str().map_err(bad)?;
            ok.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    ok.push_str("\r\n");
    tcp.write_all(ok.as_bytes()).await?;
    relay(tcp, stream, early).await;
    Ok(())
}

/// `--from-h2`: serves one TLS connection of HTTP/2 (or HTTP/1.1), each extended CONNECT
/// bridged to `target`.
async fn from_h2(tcp: TcpStream, acceptor: TlsAcceptor, target: Arc<str>) -> io::Result<()> {
    let tls = acceptor.accept(tcp).await?;
    let service = service_fn(move |req| bridge_connect(req, Arc::clone(&target)));
    h2::server_builder()
        .serve_connection_with_upgrades(TokioIo::new(tls), service)
        .await
        .map_err(io::Error::other)
}

fn answer(status: StatusCode) -> Response<String> {
    let mut response = Response::new(String::new());
    *response.status_mut() = status;
    response
}

/// One extended CONNECT: the HTTP/1.1 handshake with `target` first (the same offer), then
/// the 200 with its answer, and the bytes copied once the stream is handed over.
async fn bridge_connect(
    mut req: Request<Incoming>,
    target: Arc<str>,
) -> Result<Response<String>, Infallible> {
    let websocket = req.method() == Method::CONNECT
        && req
            .extensions()
            .get::<hyper::ext::Protocol>()
            .is_some_and(|p| p.as_str().eq_ignore_ascii_case("websocket"));
    if !websocket {
        return Ok(answer(StatusCode::BAD_REQUEST));
    }
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut offer = Vec::new();
    for name in REQUEST_FIELDS {
        for value in req.headers().get_all(name) {
            if let Ok(value) = value.to_str() {
                offer.push((name, value.to_owned()));
            }
        }
    }
    let dialed = tokio::time::timeout(PATIENCE, dial(&target, &path, &offer)).await;
    let (tcp, fields, early) = match dialed {
        Ok(Ok(Dialed::Open(tcp, fields, early))) => (tcp, fields, early),
        Ok(Ok(Dialed::Refused(status))) => return Ok(answer(status)),
        Ok(Err(e)) => {
            eprintln!("h2_bridge: {target}{path}: {e}");
            return Ok(answer(StatusCode::BAD_GATEWAY));
        }
        Err(_) => return Ok(answer(StatusCode::GATEWAY_TIMEOUT)),
    };
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        match upgrade.await {
            Ok(stream) => relay(tcp, TokioIo::new(stream), early).await,
            Err(e) => eprintln!("h2_bridge: {path}: the stream was not handed over: {e}"),
        }
    });
    let mut ok = answer(StatusCode::OK);
    for (name, value) in fields {
        if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
            ok.headers_mut().append(name, value);
        }
    }
    Ok(ok)
}

/// How the HTTP/1.1 side answered.
enum Dialed {
    /// 101 with the right accept key: the stream, the answer's fields, the bytes after it.
    Open(TcpStream, Vec<(&'static str, String)>, Vec<u8>),
    /// Another status.
    Refused(StatusCode),
}

/// Opens a WebSocket over HTTP/1.1 to `target` with the fields of `offer`.
async fn dial(target: &str, path: &str, offer: &[(&str, String)]) -> io::Result<Dialed> {
    let mut tcp = TcpStream::connect(target).await?;
    tcp.set_nodelay(true)?;
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce).map_err(io::Error::other)?;
    let key = SecWebSocketKey::from_nonce(nonce);
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nhost: {target}\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: {}\r\n",
        key.as_str()
    );
    for (name, value) in offer {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await?;
    let (head, early) = read_head(&mut tcp).await?;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    response.parse(&head).map_err(bad)?;
    let code = response.code.unwrap_or(500);
    if code != 101 {
        return Ok(Dialed::Refused(
            StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY),
        ));
    }
    let accept = pick(response.headers, &["sec-websocket-accept"]);
    if accept.len() != 1 || accept[0].1 != key.accept().as_str() {
        return Err(bad("a 101 without the right Sec-WebSocket-Accept"));
    }
    let fields = RESPONSE_FIELDS
        .into_iter()
        .flat_map(|name| {
            pick(response.headers, &[name])
                .into_iter()
                .map(move |(_, v)| (name, v.to_owned()))
        })
        .collect();
    Ok(Dialed::Open(tcp, fields, early))
}

/// Copies both ways between the plain TCP side and the HTTP/2 stream until both directions
/// ended; `early` (read from the TCP side after its handshake) goes to the stream first.
async fn relay<S: AsyncRead + AsyncWrite + Unpin>(tcp: TcpStream, stream: S, early: Vec<u8>) {
    let (tcp_read, tcp_write) = tcp.into_split();
    let (stream_read, stream_write) = tokio::io::split(stream);
    tokio::join!(
        pump(tcp_read, stream_write, early),
        pump(stream_read, tcp_write, Vec::new()),
    );
}

/// Copies `from` to `to` until `from` ends, then shuts `to`'s writing. Once `to` fails,
/// what `from` still sends is read and dropped (so that the side sending it sees its
/// connection end as the other side ended it, not reset for unread data).
async fn pump(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin, early: Vec<u8>) {
    let mut writable = to.write_all(&early).await.is_ok();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) if writable => {
                writable = to.write_all(&buf[..n]).await.is_ok() && to.flush().await.is_ok();
            }
            Ok(_) => {}
        }
    }
    let _ = to.shutdown().await;
}
