//! A WebSocket client on the adapter (tokio): connects to a `ws://` URL offering
//! permessage-deflate, sends messages, checks that each comes back unchanged, and closes.
//!
//! ```text
//! cargo run -p wswire-async --example client_tokio -- ws://127.0.0.1:9001/echo hello world
//! cargo run -p wswire-async --example client_tokio -- --binary --size 65536 ws://127.0.0.1:9001/
//! cargo run -p wswire-async --example client_tokio -- --ping hi --close 4000 ws://127.0.0.1:9001/
//! ```
//!
//! Each TEXT argument is sent as a text message (binary with `--binary`); `--size N` sends one
//! generated message of N bytes instead. Every data message must be echoed exactly.
//! `--ping TEXT` checks the Pong; `--close CODE` closes with that code and checks the server
//! echoes it (otherwise 1000). `--no-deflate` offers no extension; `--expect-extension NAME`
//! fails unless the server agreed to it (`none`: to nothing). `wss://` URLs need the `rustls`
//! feature: the Mozilla roots are trusted, or only the PEM certificates of `--ca FILE`
//! (`cargo run -p wswire-async --features rustls --example client_tokio -- --ca cert.pem
//! wss://localhost:9443/`). Exits 1 on any mismatch.
//!
//! `--echo` makes it an echo client instead (the client under test of the conformance
//! suite's client role, `examples/conformance`): it sends nothing of its own, echoes every
//! text and binary message, lets the connection answer pings and the server's Close, and
//! fails the connection on bad input. It exits 0 once the connection has ended with a
//! Close (the server's, echoed, or its own on a protocol error), 1 when it ended without one
//! or nothing arrived for 10 s. `--deflate-threshold N` (echo mode only): compress messages
//! of N bytes and more (default 1024).
//!
//! `--h2` (feature `h2`): the WebSocket goes over HTTP/2 (an extended CONNECT, RFC 8441) to a
//! `wss://` URL, `wswire_async::h2::connect`, with the same options (the conformance suite's
//! client role over HTTP/2 runs `client_tokio --h2 --echo` through `h2_bridge --from-h2`).

use std::process::ExitCode;
use std::time::Duration;

use wswire::CloseCode;
use wswire::connection::Config;
use wswire::handshake::{ClientRequest, WsUri};
use wswire_async::{
    Error, MaybeTlsStream, Message, Runtime, Tokio, WebSocket, connect, connect_on,
};

#[derive(Default)]
struct Args {
    url: String,
    texts: Vec<String>,
    binary: bool,
    size: Option<usize>,
    ping: Option<String>,
    close: Option<u16>,
    deflate: bool,
    expect_extension: Option<String>,
    /// `--ca FILE` (feature `rustls`): trust only the certificates in this PEM file.
    ca: Option<String>,
    echo: bool,
    threshold: Option<usize>,
    /// `--max-message BYTES`: the receive limit (default: the crate's, 1 MiB).
    max_message: Option<u64>,
    /// `--h2` (feature `h2`): over HTTP/2.
    h2: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        deflate: true,
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--binary" => a.binary = true,
            "--no-deflate" => a.deflate = false,
            "--echo" => a.echo = true,
            "--h2" => a.h2 = true,
            "--deflate-threshold" => {
                a.threshold = Some(
                    value("--deflate-threshold")?
                        .parse()
                        .map_err(|e| format!("--deflate-threshold: {e}"))?,
                )
            }
            "--size" => {
                a.size = Some(
                    value("--size")?
                        .parse()
                        .map_err(|e| format!("--size: {e}"))?,
                )
            }
            "--ping" => a.ping = Some(value("--ping")?),
            "--close" => {
                a.close = Some(
                    value("--close")?
                        .parse()
                        .map_err(|e| format!("--close: {e}"))?,
                )
            }
            "--expect-extension" => a.expect_extension = Some(value("--expect-extension")?),
            "--ca" => a.ca = Some(value("--ca")?),
            "--max-message" => {
                a.max_message = Some(
                    value("--max-message")?
                        .parse()
                        .map_err(|e| format!("--max-message: {e}"))?,
                )
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ if a.url.is_empty() => a.url = arg,
            _ => a.texts.push(arg),
        }
    }
    if a.url.is_empty() {
        return Err("usage: client_tokio [--binary] [--size N] [--ping TEXT] [--close CODE] [--no-deflate] [--expect-extension NAME] [--ca PEM] [--max-message BYTES] [--echo [--deflate-threshold N]] [--h2] URL [TEXT...]".into());
    }
    Ok(a)
}

/// The messages to send.
fn messages(a: &Args) -> Vec<Message> {
    let make = |bytes: Vec<u8>| match a.binary {
        true => Message::Binary(bytes),
        false => Message::Text(String::from_utf8(bytes).unwrap_or_default()),
    };
    match a.size {
        // Compressible but not trivial: a counting pattern of printable ASCII.
        Some(n) => vec![make((0..n).map(|i| b' ' + (i % 95) as u8).collect())],
        None if a.texts.is_empty() => vec![make(b"hello from wswire-async".to_vec())],
        None => a
            .texts
            .iter()
            .map(|t| make(t.clone().into_bytes()))
            .collect(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("client_tokio: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Connects as the options say: `connect` (deflate offered, wss:// with the Mozilla roots),
/// `connect_tls` trusting `--ca`, or a bare request offering nothing (`--no-deflate`, ws://).
async fn open(a: &Args, config: Config) -> Result<WebSocket<MaybeTlsStream>, Error> {
    #[cfg(feature = "rustls")]
    if let Some(ca) = &a.ca {
        return wswire_async::connect_tls(&a.url, config, trusting(ca)?).await;
    }
    if a.deflate {
        return connect(&a.url, config).await;
    }
    let invalid = |e: String| Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e));
    let uri = WsUri::parse(&a.url).map_err(|e| invalid(format!("{}: {e}", a.url)))?;
    if uri.is_secure() {
        return Err(invalid("--no-deflate is for ws:// only".to_owned()));
    }
    let tcp = tokio::net::TcpStream::connect((uri.host(), uri.port())).await?;
    connect_on(
        MaybeTlsStream::Plain(tcp),
        ClientRequest::from_uri(&uri),
        config,
    )
    .await
}

/// `--h2`: a WebSocket over HTTP/2 (trusting `--ca`, or the Mozilla roots), offering
/// permessage-deflate unless `--no-deflate`.
#[cfg(feature = "h2")]
async fn open_h2(
    a: &Args,
    config: Config,
) -> Result<WebSocket<wswire_async::hyper::Upgraded>, Error> {
    use wswire_async::h2;
    let tls = match &a.ca {
        Some(ca) => trusting(ca)?,
        None => wswire_async::tls::default_client_config()
            .map_err(|e| Error::Io(std::io::Error::other(e)))?,
    };
    if a.deflate {
        return h2::connect(&a.url, config, tls).await;
    }
    let client = h2::Client::connect(&a.url, config.handshake_timeout, tls).await?;
    let invalid = |e: String| Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidInput, e));
    let uri = WsUri::parse(&a.url).map_err(|e| invalid(format!("{}: {e}", a.url)))?;
    client.open(ClientRequest::from_uri(&uri), config).await
}

/// A TLS client configuration trusting only the certificates in the PEM file `ca`.
#[cfg(feature = "rustls")]
fn trusting(ca: &str) -> Result<std::sync::Arc<wswire_async::rustls::ClientConfig>, Error> {
    use wswire_async::rustls::pki_types::CertificateDer;
    use wswire_async::rustls::pki_types::pem::PemObject;
    let bad = |e: String| Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e));
    let mut roots = wswire_async::rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| bad(format!("{ca}: {e}")))? {
        let cert = cert.map_err(|e| bad(format!("{ca}: {e}")))?;
        roots.add(cert).map_err(|e| bad(format!("{ca}: {e}")))?;
    }
    let provider = std::sync::Arc::new(wswire_async::rustls::crypto::ring::default_provider());
    let config = wswire_async::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(std::sync::Arc::new(config))
}

async fn run() -> Result<(), String> {
    let a = parse_args()?;
    let mut config = Config::default();
    if let Some(t) = a.threshold {
        config.deflate.threshold = t;
    }
    if let Some(n) = a.max_message {
        config.recv.max_message_size = n;
        config.recv.max_frame_payload = n;
    }
    let connecting = |e: Error| format!("connecting to {}: {e}", a.url);
    if a.h2 {
        #[cfg(feature = "h2")]
        return session(&a, open_h2(&a, config).await.map_err(connecting)?).await;
        #[cfg(not(feature = "h2"))]
        return Err("--h2 needs the `h2` feature".to_owned());
    }
    session(&a, open(&a, config).await.map_err(connecting)?).await
}

/// The connection's part of [`run`]: echo, or the messages, ping and close of the options.
async fn session<S>(a: &Args, mut ws: WebSocket<S>) -> Result<(), String>
where
    Tokio: Runtime<S>,
{
    let negotiated = ws.negotiated();
    let agreed: Vec<String> = negotiated
        .extensions()
        .iter()
        .map(|e| e.to_string())
        .collect();
    println!(
        "connected to {}; extensions: {}",
        a.url,
        if agreed.is_empty() {
            "none".to_owned()
        } else {
            agreed.join(", ")
        }
    );
    if a.echo {
        return echo(&mut ws).await;
    }
    if let Some(want) = &a.expect_extension {
        let ok = match want.as_str() {
            "none" => agreed.is_empty(),
            w => agreed.iter().any(|e| e.contains(w)),
        };
        if !ok {
            return Err(format!("expected extension {want}, agreed: {agreed:?}"));
        }
    }
    for m in messages(a) {
        ws.send(m.clone()).await.map_err(|e| format!("send: {e}"))?;
        let echo = next_data(&mut ws).await?;
        if echo != m {
            return Err(format!(
                "echo is NOT the message sent ({} vs {} bytes)",
                len(&echo),
                len(&m)
            ));
        }
        println!("echoed: {} bytes", len(&m));
    }
    if let Some(p) = &a.ping {
        ws.send(Message::Ping(p.clone().into_bytes()))
            .await
            .map_err(|e| format!("ping: {e}"))?;
        loop {
            match recv(&mut ws).await? {
                Message::Pong(b) if b == p.as_bytes() => break,
                Message::Pong(b) => return Err(format!("pong {b:?} expected {p:?}")),
                _ => {}
            }
        }
        println!("pong: {p:?}");
    }
    let code = CloseCode::from_u16(a.close.unwrap_or(1000));
    ws.send(Message::Close(Some(wswire_async::CloseFrame {
        code,
        reason: "bye".into(),
    })))
    .await
    .map_err(|e| format!("close: {e}"))?;
    loop {
        match recv(&mut ws).await? {
            Message::Close(Some(f)) if f.code == code => break,
            Message::Close(other) => {
                return Err(format!(
                    "close echoed as {other:?}, expected {}",
                    code.as_u16()
                ));
            }
            _ => {}
        }
    }
    println!("closed with {}", code.as_u16());
    Ok(())
}

/// `--echo`: echoes every data message until the connection ends; `Ok` if it ended with a
/// Close (sent or received).
async fn echo<S>(ws: &mut WebSocket<S>) -> Result<(), String>
where
    Tokio: Runtime<S>,
{
    let mut closed = None;
    loop {
        let next = tokio::time::timeout(Duration::from_secs(10), ws.recv()).await;
        match next {
            Err(_) => return Err("nothing received in 10 s".into()),
            Ok(None) => break,
            Ok(Some(Ok(m @ (Message::Text(_) | Message::Binary(_))))) => {
                // Refused only once closing: the end comes with the next recv.
                if let Err(e) = ws.send(m).await {
                    eprintln!("client_tokio: echo not sent: {e}");
                }
            }
            Ok(Some(Ok(Message::Close(f)))) => {
                closed = Some(format!("closed by the server: {f:?}"));
            }
            Ok(Some(Ok(_))) => {}
            // A protocol error: the connection sends its Close and then ends.
            Ok(Some(Err(e))) => closed = Some(format!("failed the connection: {e}")),
        }
    }
    match closed {
        Some(how) => {
            println!("{how}");
            Ok(())
        }
        None => Err("the connection ended without a Close".into()),
    }
}

/// The next message, within 10 s.
async fn recv<S>(ws: &mut WebSocket<S>) -> Result<Message, String>
where
    Tokio: Runtime<S>,
{
    match tokio::time::timeout(Duration::from_secs(10), ws.recv()).await {
        Err(_) => Err("nothing received in 10 s".into()),
        Ok(None) => Err("the connection ended".into()),
        Ok(Some(Err(e))) => Err(format!("receive failed: {e}")),
        Ok(Some(Ok(m))) => Ok(m),
    }
}

/// The next text or binary message.
async fn next_data<S>(ws: &mut WebSocket<S>) -> Result<Message, String>
where
    Tokio: Runtime<S>,
{
    loop {
        match recv(ws).await? {
            m @ (Message::Text(_) | Message::Binary(_)) => return Ok(m),
            Message::Close(f) => return Err(format!("closed by the server: {f:?}")),
            _ => {}
        }
    }
}

fn len(m: &Message) -> usize {
    match m {
        Message::Text(t) => t.len(),
        Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.len(),
        _ => 0,
    }
}
