//! WebSockets over HTTP/2 (RFC 8441, feature `h2`): a client that opens them with extended
//! CONNECT, and what a server needs to accept them next to HTTP/1.1 on one TLS port.
//!
//! The request and the response are wswire's ([`ClientRequest::start_h2`],
//! [`ConnectClient::check_response`](wswire::handshake::h2::ConnectClient::check_response);
//! on the server [`crate::hyper::upgrade`] and the axum extractor); hyper's HTTP/2 carries
//! them. Once accepted, the WebSocket's bytes are the stream's DATA: END_STREAM ends them as
//! a TCP FIN would, and a reset of the stream (RST_STREAM) fails that WebSocket alone, the
//! other streams of the connection going on.
//!
//! A server: TLS with ALPN `h2` and `http/1.1` ([`server_alpn`]), each connection served by
//! [`server_builder`] (HTTP/1.1 with upgrades, HTTP/2 with the extended CONNECT enabled), and
//! a service that answers WebSocket requests with [`crate::hyper::upgrade`]:
//!
//! ```no_run
//! # async fn serve(tls: wswire_async::tokio_rustls::TlsAcceptor) -> std::io::Result<()> {
//! use hyper::service::service_fn;
//! use hyper_util::rt::TokioIo;
//! use wswire_async::wswire::handshake::ServerConfig;
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
//! loop {
//!     let (tcp, _) = listener.accept().await?;
//!     let tls = tls.accept(tcp).await?; // its ServerConfig has h2::server_alpn()
//!     tokio::spawn(async move {
//!         let service = service_fn(|mut req| async move {
//!             let (response, websocket) =
//!                 wswire_async::hyper::upgrade(&mut req, &ServerConfig::default(), Default::default());
//!             println!("{:?} over {:?}", req.uri(), websocket.transport());
//!             tokio::spawn(async move { if let Ok(ws) = websocket.await { drop(ws) } });
//!             Ok::<_, std::convert::Infallible>(response)
//!         });
//!         let builder = wswire_async::h2::server_builder();
//!         let _ = builder.serve_connection_with_upgrades(TokioIo::new(tls), service).await;
//!     });
//! }
//! # }
//! ```
//!
//! A client: [`connect`] for one WebSocket, or a [`Client`] that opens several on one
//! connection.

mod settings;

use std::convert::Infallible;
use std::future::poll_fn;
use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ::hyper::body::{Body, Bytes, Frame};
use ::hyper::client::conn::http2::SendRequest;
use getrandom::SysRng;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio_rustls::rustls::{self, AlertDescription, ClientConfig};
use wswire::connection::{Config, Connection};
use wswire::extensions::deflate::DeflateClient;
use wswire::handshake::{ClientRequest, WsUri};
use wswire::rand_core::UnwrapErr;
use wswire::send::RandomMask;

use crate::handshake::adapted;
use crate::hyper::Upgraded;
use crate::message::{Error, Http2Unsupported};
use crate::shared::Conn;
use crate::socket::WebSocket;

/// A connection server for both HTTPs on one port: HTTP/1.1 (with upgrades, so serve with
/// `serve_connection_with_upgrades`) and HTTP/2 with the extended CONNECT enabled (its
/// SETTINGS carry SETTINGS_ENABLE_CONNECT_PROTOCOL = 1, RFC 8441 §3). hyper-util tells the
/// two apart by the HTTP/2 connection preface, whatever ALPN agreed on.
pub fn server_builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http2().enable_connect_protocol();
    builder
}

/// The ALPN protocols for a TLS server of both HTTPs, `h2` preferred: set them as
/// `rustls::ServerConfig::alpn_protocols`. (Browsers open WebSockets over HTTP/2 only on a
/// connection whose ALPN agreed on `h2`.)
pub fn server_alpn() -> Vec<Vec<u8>> {
    vec![b"h2".to_vec(), b"http/1.1".to_vec()]
}

/// The body of an extended CONNECT request: none (the stream's DATA is the WebSocket's).
#[derive(Debug)]
struct NoBody;

impl Body for NoBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        true
    }
}

/// An HTTP/2 connection to a server that enabled the extended CONNECT: each
/// [`open`](Self::open) is a WebSocket on a stream of its own. Clones share the connection;
/// it ends once every clone and every WebSocket opened on it are dropped.
#[derive(Clone, Debug)]
pub struct Client {
    send: SendRequest<NoBody>,
}

/// An I/O error of kind `InvalidInput` for a bad URL.
fn invalid(why: String) -> Error {
    Error::Io(io::Error::new(ErrorKind::InvalidInput, why))
}

fn hyper_error(e: ::hyper::Error) -> Error {
    Error::Io(io::Error::other(e))
}

impl Client {
    /// Connects to the server of a `wss://` URL (its path is not used): TCP with
    /// `TCP_NODELAY`, TLS with `tls` (on a copy whose ALPN is `h2` alone), the HTTP/2
    /// handshake, then waits for the server's SETTINGS — all of it within
    /// `handshake_timeout` (`None`: no limit), so a server that accepts the connection but
    /// never sends its SETTINGS does not hold the caller forever. The same limit as
    /// `Config::handshake_timeout` for one WebSocket: [`connect`] passes that one.
    ///
    /// # Errors
    /// [`Error::Http2Unsupported`] when ALPN did not agree on `h2` (the server chose another
    /// protocol, none, or refused with `no_application_protocol`) or the server's SETTINGS did
    /// not enable the extended CONNECT; [`Error::Ended`] with
    /// [`wswire::Error::HandshakeTimeout`] past `handshake_timeout`; an [`Error::Io`] for a
    /// bad URL (kind `InvalidInput`, also for `ws://`), a refused certificate or a failed
    /// connection.
    pub async fn connect(
        url: &str,
        handshake_timeout: Option<Duration>,
        tls: Arc<ClientConfig>,
    ) -> Result<Self, Error> {
        let connecting = Self::connecting(url, tls);
        match handshake_timeout {
            Some(t) => tokio::time::timeout(t, connecting)
                .await
                .unwrap_or(Err(Error::Ended(wswire::Error::HandshakeTimeout))),
            None => connecting.await,
        }
    }

    async fn connecting(url: &str, tls: Arc<ClientConfig>) -> Result<Self, Error> {
        let uri = WsUri::parse(url).map_err(|e| invalid(format!("{url}: {e}")))?;
        if !uri.is_secure() {
            return Err(invalid(format!(
                "{url}: WebSockets over HTTP/2 need wss://"
            )));
        }
        let mut tls = (*tls).clone();
        tls.alpn_protocols = vec![b"h2".to_vec()];
        let tcp = tokio::net::TcpStream::connect((uri.host(), uri.port())).await?;
        tcp.set_nodelay(true)?;
        let stream = crate::tls::handshake(tcp, uri.host(), Arc::new(tls))
            .await
            .map_err(|e| match e.get_ref().and_then(|e| e.downcast_ref()) {
                Some(rustls::Error::AlertReceived(AlertDescription::NoApplicationProtocol)) => {
                    Error::Http2Unsupported(Http2Unsupported::Alpn)
                }
                _ => Error::Io(e),
            })?;
        if stream.get_ref().1.alpn_protocol() != Some(b"h2") {
            return Err(Error::Http2Unsupported(Http2Unsupported::Alpn));
        }
        let shared = settings::Shared::default();
        let io = TokioIo::new(settings::Watched::new(stream, Arc::clone(&shared)));
        let (send, conn) = ::hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(hyper_error)?;
        let driver = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            poll_fn(|cx| {
                let polled = conn.as_mut().poll(cx);
                let applied = conn.is_extended_connect_protocol_enabled();
                settings::connection_polled(&driver, applied, polled.is_ready());
                polled.map(drop)
            })
            .await;
        });
        if !poll_fn(|cx| settings::poll_enabled(&shared, cx)).await? {
            return Err(Error::Http2Unsupported(Http2Unsupported::ExtendedConnect));
        }
        Ok(Self { send })
    }

    /// Opens a WebSocket on a new stream: the extended CONNECT from
    /// [`ClientRequest::start_h2`] (its host is the `:authority`, its resource the `:path`),
    /// the response checked by `ConnectClient::check_response`, within
    /// `config.handshake_timeout`. Frames are masked with keys from the operating system.
    ///
    /// # Errors
    /// [`Error::Ended`] with the refused response ([`wswire::Error::Response`]: a status
    /// other than 2xx, or a negotiation the request did not offer) or the handshake timeout;
    /// [`Error::Io`] if the connection failed.
    pub async fn open(
        &self,
        request: ClientRequest,
        config: Config,
    ) -> Result<WebSocket<Upgraded>, Error> {
        let timeout = config.handshake_timeout;
        let opening = self.opening(request, config);
        match timeout {
            Some(t) => tokio::time::timeout(t, opening)
                .await
                .unwrap_or(Err(Error::Ended(wswire::Error::HandshakeTimeout))),
            None => opening.await,
        }
    }

    async fn opening(
        &self,
        request: ClientRequest,
        config: Config,
    ) -> Result<WebSocket<Upgraded>, Error> {
        let client = request.start_h2(true);
        let list: Vec<(&str, &str)> = client
            .request_headers()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let mut response = self.send_connect(&list).await?;
        let status = response.status();
        let mut fields = vec![(":status", status.as_str())];
        for (name, value) in response.headers() {
            let value = std::str::from_utf8(value.as_bytes()).unwrap_or("\u{fffd}");
            fields.push((name.as_str(), value));
        }
        let negotiated = client
            .check_response(&fields)
            .map_err(|e| Error::Ended(wswire::Error::Response(e)))?;
        let upgraded = ::hyper::upgrade::on(&mut response)
            .await
            .map_err(hyper_error)?;
        let masks = RandomMask(UnwrapErr(SysRng));
        let conn = Connection::client_open(negotiated, adapted(config), masks);
        Ok(WebSocket::from_parts(
            TokioIo::new(upgraded),
            Conn::Client(conn),
            None,
        ))
    }

    /// Opens a stream for a WebSocket whose frames someone else speaks — a proxy, or a
    /// bridge that copies a WebSocket's bytes to and from another transport: sends an
    /// extended CONNECT with `fields` as given (`:authority` and `:path`; `:protocol`, which
    /// is `websocket` unless given; then `sec-websocket-version`, `sec-websocket-extensions`,
    /// `sec-websocket-protocol`, `origin`, …) and returns the response's head as it came,
    /// nothing checked, with the stream's bytes when its status is 2xx. The caller owns the
    /// protocol: the negotiation, masking, the closing handshake. No timeout of its own.
    ///
    /// # Errors
    /// [`Error::Io`] for fields that make no request (kind `InvalidInput`) or if the
    /// connection failed.
    pub async fn open_stream(
        &self,
        fields: &[(&str, &str)],
    ) -> Result<(http::response::Parts, Option<Upgraded>), Error> {
        let mut response = self.send_connect(fields).await?;
        let upgrade = ::hyper::upgrade::on(&mut response);
        let (head, _) = response.into_parts();
        if !head.status.is_success() {
            return Ok((head, None));
        }
        let upgraded = upgrade.await.map_err(hyper_error)?;
        Ok((head, Some(TokioIo::new(upgraded))))
    }

    /// Sends an extended CONNECT made of `fields` (pseudo-headers first) once the connection
    /// can take a stream; its response.
    async fn send_connect(
        &self,
        fields: &[(&str, &str)],
    ) -> Result<http::Response<::hyper::body::Incoming>, Error> {
        let pseudo = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let uri = http::Uri::builder()
            .scheme("https")
            .authority(pseudo(":authority").unwrap_or(""))
            .path_and_query(pseudo(":path").unwrap_or("/"))
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        let mut req = http::Request::builder()
            .method(http::Method::CONNECT)
            .version(http::Version::HTTP_2)
            .uri(uri);
        for (name, value) in fields.iter().filter(|(n, _)| !n.starts_with(':')) {
            req = req.header(*name, *value);
        }
        let mut req = req.body(NoBody).map_err(|e| invalid(e.to_string()))?;
        let protocol = ::hyper::ext::Protocol::from(pseudo(":protocol").unwrap_or("websocket"));
        req.extensions_mut().insert(protocol);
        let mut send = self.send.clone();
        send.ready().await.map_err(hyper_error)?;
        send.send_request(req).await.map_err(hyper_error)
    }
}

/// Opens a WebSocket over HTTP/2 to a `wss://` URL: a [`Client`] connection (TLS with `tls`,
/// ALPN `h2`), then one extended CONNECT offering permessage-deflate, both within
/// `config.handshake_timeout` (one deadline for the two). The connection ends with the
/// WebSocket.
///
/// # Errors
/// As [`Client::connect`] and [`Client::open`].
pub async fn connect(
    url: &str,
    mut config: Config,
    tls: Arc<ClientConfig>,
) -> Result<WebSocket<Upgraded>, Error> {
    let start = Instant::now();
    let client = Client::connect(url, config.handshake_timeout, tls).await?;
    // What is left of the deadline for the extended CONNECT.
    config.handshake_timeout = config
        .handshake_timeout
        .map(|t| t.saturating_sub(start.elapsed()));
    let uri = WsUri::parse(url).map_err(|e| invalid(format!("{url}: {e}")))?;
    let mut request = ClientRequest::from_uri(&uri);
    request.extension(Box::new(DeflateClient::default()));
    client.open(request, config).await
}
