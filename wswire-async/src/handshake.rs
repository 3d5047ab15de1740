//! Opening a WebSocket: [`accept`] and [`accept_with`] for servers, [`connect_on`] (and,
//! with tokio, [`connect`]) for clients.

use std::future::{Future, poll_fn};
use std::io::{self, ErrorKind, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use getrandom::SysRng;
use wswire::Decoded;
use wswire::connection::{Config, Connection};
use wswire::handshake::{ClientRequest, Rejection, Request, ServerConfig, ServerHandshake};
use wswire::rand_core::UnwrapErr;
use wswire::recv::Delivery;

use crate::message::Error;
use crate::runtime::Runtime;
use crate::shared::Conn;
use crate::socket::WebSocket;
#[cfg(feature = "tokio")]
use crate::stream::MaybeTlsStream;

/// The outbound high-water mark the adapter applies when the config sets none.
pub const DEFAULT_HIGH_WATER: usize = 1 << 20;

/// The adapter's view of a config: whole messages, and a high-water mark.
pub(crate) fn adapted(mut config: Config) -> Config {
    config.delivery = Delivery::Messages;
    config.outbound_high_water.get_or_insert(DEFAULT_HIGH_WATER);
    config
}

/// A read that gives up at `deadline` (the handshake timeout).
async fn read_by<S, R: Runtime<S>>(
    io: &mut S,
    buf: &mut [u8],
    sleep: &mut Option<Pin<Box<R::Sleep>>>,
) -> Result<usize, Error> {
    poll_fn(|cx| {
        if let Some(s) = sleep
            && s.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(Error::Ended(wswire::Error::HandshakeTimeout)));
        }
        R::poll_read(io, cx, buf).map_err(Error::Io)
    })
    .await
}

/// Writes all of `bytes`, then shuts the stream down if `shutdown`.
async fn write_all<S, R: Runtime<S>>(
    io: &mut S,
    mut bytes: &[u8],
    shutdown: bool,
) -> io::Result<()> {
    while !bytes.is_empty() {
        let n = poll_fn(|cx| R::poll_write_vectored(io, cx, &[IoSlice::new(bytes)])).await?;
        if n == 0 {
            return Err(ErrorKind::WriteZero.into());
        }
        bytes = &bytes[n..];
    }
    poll_fn(|cx| R::poll_flush(io, cx)).await?;
    if shutdown {
        poll_fn(|cx| R::poll_shutdown(io, cx)).await?;
    }
    Ok(())
}

/// Accepts a WebSocket on `io` (the server's side of a fresh connection): reads the
/// request, answers it (101, or the refusal with its HTTP status), within
/// `config.handshake_timeout`.
///
/// # Errors
/// [`Error::Ended`] with the refused request ([`wswire::Error::Request`]), EOF or the
/// handshake timeout; [`Error::Io`].
pub async fn accept<S, R: Runtime<S>>(
    io: S,
    server: Arc<ServerConfig>,
    config: Config,
) -> Result<WebSocket<S, R>, Error> {
    accept_with(io, server, config, |_| Ok(())).await
}

/// As [`accept`], with `inspect` run on the valid request before it is accepted: route on
/// its path, check its `Origin`, look at its headers; an `Err(rejection)` is sent as the
/// response and the stream shut down.
///
/// # Errors
/// As [`accept`], and [`Error::Refused`] when `inspect` refused.
pub async fn accept_with<S, R, F>(
    mut io: S,
    server: Arc<ServerConfig>,
    config: Config,
    inspect: F,
) -> Result<WebSocket<S, R>, Error>
where
    R: Runtime<S>,
    F: FnOnce(&Request<'_>) -> Result<(), Rejection>,
{
    let mut sleep = config
        .handshake_timeout
        .map(|t| Box::pin(R::sleep_until(Instant::now() + t)));
    let mut handshake = ServerHandshake::new(&server);
    let mut buf = vec![0u8; 4096];
    let (response, negotiated, target, rest) = loop {
        let n = read_by::<S, R>(&mut io, &mut buf, &mut sleep).await?;
        if n == 0 {
            return Err(Error::Ended(wswire::Error::Eof));
        }
        match handshake.handle_input(&buf[..n]) {
            Ok(Decoded::Incomplete { .. }) => {}
            Ok(Decoded::Complete((request, consumed))) => {
                if let Err(refusal) = inspect(&request) {
                    write_all::<S, R>(&mut io, &refusal.to_bytes(), true).await?;
                    return Err(Error::Refused(refusal.status()));
                }
                let accepted = request.accept(&server);
                let target = request.target().to_owned();
                let rest = buf[consumed..n].to_vec();
                break (
                    accepted.to_bytes(),
                    accepted.into_negotiated(),
                    target,
                    rest,
                );
            }
            Err(e) => {
                write_all::<S, R>(&mut io, &e.rejection().to_bytes(), true).await?;
                return Err(Error::Ended(wswire::Error::Request(e)));
            }
        }
    };
    write_all::<S, R>(&mut io, &response, false).await?;
    let mut conn = Connection::server_open(negotiated, adapted(config));
    conn.handle_input(&rest);
    Ok(WebSocket::from_parts(io, Conn::Server(conn), Some(target)))
}

/// Opens a client WebSocket on `io` (a connected stream): sends `request` with a fresh key,
/// checks the response, within `config.handshake_timeout`. Frames are masked with keys
/// from the operating system's generator.
///
/// # Errors
/// [`Error::Ended`] with the refused response ([`wswire::Error::Response`]), EOF or the
/// handshake timeout; [`Error::Io`].
pub async fn connect_on<S, R: Runtime<S>>(
    io: S,
    request: ClientRequest,
    config: Config,
) -> Result<WebSocket<S, R>, Error> {
    let mut rng = UnwrapErr(SysRng);
    let handshake = request.start(&mut rng);
    let conn = Connection::client(handshake, adapted(config), rng);
    WebSocket::from_parts(io, Conn::Client(conn), None)
        .opened()
        .await
}

/// Connects to a `ws://` URL over TCP, or a `wss://` URL over TLS (feature `rustls`, with
/// [`default_client_config`](crate::tls::default_client_config): the Mozilla roots), with
/// `TCP_NODELAY`, offering permessage-deflate, and opens a client WebSocket ([`connect_on`]).
///
/// # Errors
/// A bad URL, or `wss://` without the `rustls` feature, is an [`Error::Io`] of kind
/// `InvalidInput`; a refused certificate an [`Error::Io`]; otherwise as [`connect_on`].
#[cfg(feature = "tokio")]
pub async fn connect(url: &str, config: Config) -> Result<WebSocket<MaybeTlsStream>, Error> {
    #[cfg(feature = "rustls")]
    let tls = || {
        crate::tls::default_client_config()
            .map(Tls::Config)
            .map_err(|e| Error::Io(io::Error::other(e)))
    };
    #[cfg(not(feature = "rustls"))]
    let tls = || Ok(Tls::Unavailable);
    connect_url(url, config, tls).await
}

/// As [`connect`], with the caller's TLS configuration for `wss://` (its own roots, client
/// certificates, ALPN); a `ws://` URL ignores it.
///
/// # Errors
/// As [`connect`].
#[cfg(feature = "rustls")]
pub async fn connect_tls(
    url: &str,
    config: Config,
    tls: Arc<tokio_rustls::rustls::ClientConfig>,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    connect_url(url, config, move || Ok(Tls::Config(tls))).await
}

/// How a `wss://` URL is connected.
#[cfg(feature = "tokio")]
enum Tls {
    #[cfg(not(feature = "rustls"))]
    Unavailable,
    #[cfg(feature = "rustls")]
    Config(Arc<tokio_rustls::rustls::ClientConfig>),
}

/// [`connect`]'s body; `tls` is asked for the TLS configuration when the URL is `wss://`.
#[cfg(feature = "tokio")]
async fn connect_url(
    url: &str,
    config: Config,
    tls: impl FnOnce() -> Result<Tls, Error>,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    use wswire::extensions::deflate::DeflateClient;
    use wswire::handshake::WsUri;

    let invalid = |why: String| Error::Io(io::Error::new(ErrorKind::InvalidInput, why));
    let uri = WsUri::parse(url).map_err(|e| invalid(format!("{url}: {e}")))?;
    let tls = if uri.is_secure() { Some(tls()?) } else { None };
    let tcp = tokio::net::TcpStream::connect((uri.host(), uri.port())).await?;
    tcp.set_nodelay(true)?;
    let stream = match tls {
        None => MaybeTlsStream::Plain(tcp),
        #[cfg(not(feature = "rustls"))]
        Some(Tls::Unavailable) => {
            return Err(invalid(format!(
                "{url}: wss:// needs TLS: enable wswire-async's `rustls` feature"
            )));
        }
        #[cfg(feature = "rustls")]
        Some(Tls::Config(c)) => {
            MaybeTlsStream::Tls(Box::new(crate::tls::handshake(tcp, uri.host(), c).await?))
        }
    };
    let mut request = ClientRequest::from_uri(&uri);
    request.extension(Box::new(DeflateClient::default()));
    connect_on(stream, request, config).await
}
