//! WebSockets on a hyper 1.x server (feature `hyper`): [`upgrade`] answers an upgrade request
//! that hyper already parsed and gives a future of the [`WebSocket`] that hyper hands over
//! once it has sent the response.
//!
//! Over HTTP/1.1 the request is an Upgrade, validated by [`wswire::handshake::http_interop`]
//! with the same rules as wswire's own byte-level handshake (RFC 6455 §4.2.1), and accepted
//! with a 101. With the feature `h2`, an HTTP/2 extended CONNECT (RFC 8441) is validated by
//! [`wswire::handshake::h2`] and accepted with a 200 (no accept key); the WebSocket's bytes
//! are then the stream's DATA, its end END_STREAM, and a reset of the stream (RST_STREAM)
//! fails that WebSocket alone. Both give the same [`WebSocket<Upgraded>`] type. What is
//! refused is answered with the refusal's status, headers (`Sec-WebSocket-Version` with a
//! 426, `Allow` with a 405, …) and a plain-text body saying why.
//!
//! ```no_run
//! use std::sync::Arc;
//! use hyper::body::Incoming;
//! use hyper::{Request, Response};
//! use wswire_async::Message;
//! use wswire_async::wswire::handshake::ServerConfig;
//!
//! async fn handle(
//!     mut req: Request<Incoming>,
//!     server: Arc<ServerConfig>,
//! ) -> Result<Response<String>, std::convert::Infallible> {
//!     let (response, websocket) = wswire_async::hyper::upgrade(&mut req, &server, Default::default());
//!     tokio::spawn(async move {
//!         let Ok(mut ws) = websocket.await else { return }; // refused, or the upgrade failed
//!         while let Some(Ok(message)) = ws.recv().await {
//!             if let m @ (Message::Text(_) | Message::Binary(_)) = message {
//!                 if ws.send(m).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         }
//!     });
//!     Ok(response) // the 101, or the refusal
//! }
//! ```
//!
//! Serve the connection `with_upgrades()` (hyper's `http1::Builder`), or hyper never hands it
//! over; for HTTP/2, with the extended CONNECT enabled (`enable_connect_protocol()`, which
//! sends SETTINGS_ENABLE_CONNECT_PROTOCOL): `crate::h2::server_builder` serves both.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ::hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use wswire::connection::{Config, Connection};
use wswire::handshake::{Negotiated, Rejection, ServerConfig, StatusCode};

mod request;

pub use request::{Acceptance, Transport, UpgradeRequest};
#[cfg(feature = "axum")]
pub(crate) use request::{transport_of, with_request};

use crate::handshake::adapted;
use crate::message::Error;
use crate::shared::Conn;
use crate::socket::WebSocket;
use request::Answer;

/// The stream of a connection hyper upgraded, as the [`WebSocket`] runs over it.
pub type Upgraded = TokioIo<::hyper::upgrade::Upgraded>;

/// The media type of every refusal's body.
pub(crate) const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// Answers `req` as a WebSocket upgrade — an HTTP/1.1 Upgrade, or an HTTP/2 extended
/// CONNECT (RFC 8441, feature `h2`) — with `server`'s choices: the response to return to
/// hyper (the 101 or the 200, or the refusal) and the future of the [`WebSocket`].
///
/// The future resolves once hyper has sent the response and handed the connection (or the
/// HTTP/2 stream) over; for a refused request it resolves at once to [`Error::Refused`]
/// with the status sent.
pub fn upgrade<B>(
    req: &mut http::Request<B>,
    server: &ServerConfig,
    config: Config,
) -> (http::Response<String>, Upgrading) {
    upgrade_with(req, config, |request| Ok(request.accept(server)))
}

/// As [`upgrade`], with `decide` choosing the answer to the valid request: accept it
/// ([`UpgradeRequest::accept`], or [`UpgradeRequest::accept_with`] for a subprotocol of the
/// application's choice and extra headers), or refuse it (e.g.
/// [`UpgradeRequest::check_origin`], an authorization check) with a [`Rejection`].
///
/// The request is checked by wswire's handshake module for its HTTP: an HTTP/2 `CONNECT` by
/// [`wswire::handshake::h2::parse_connect_request`] (its header list built from the request:
/// `:protocol` from hyper's `hyper::ext::Protocol`, `:scheme`, `:path` and `:authority` from
/// the URI), anything else by [`wswire::handshake::http_interop::validate`].
pub fn upgrade_with<B, F>(
    req: &mut http::Request<B>,
    config: Config,
    decide: F,
) -> (http::Response<String>, Upgrading)
where
    F: FnOnce(&UpgradeRequest<'_>) -> Result<Acceptance, Rejection>,
{
    let decided = request::with_request(req, |request| {
        let target = request.target().to_owned();
        let transport = request.transport();
        decide(request).map(|accepted| (accepted, target, transport))
    });
    match decided {
        Ok(Ok((Acceptance(answer), target, transport))) => {
            let response = request::accepted_response(&answer);
            let negotiated = match answer {
                Answer::Http1(a) => a.into_negotiated(),
                Answer::Http2(a) => a.into_negotiated(),
            };
            let on = ::hyper::upgrade::on(req);
            let upgrading = Upgrading::pending(on, negotiated, config, target, transport);
            (response, upgrading)
        }
        Ok(Err(rejection)) => refused(&rejection, request::transport_of(req)),
        Err(e) => refused(&e.rejection(), request::transport_of(req)),
    }
}

/// The refusal's response (status, headers, a plain-text body) and a future that reports it.
fn refused(rejection: &Rejection, transport: Transport) -> (http::Response<String>, Upgrading) {
    (
        refusal_response(rejection, transport),
        Upgrading::refused(rejection.status()),
    )
}

/// A refusal as a response: its status and headers, and its reason as a plain-text body.
/// Over HTTP/2 the fields are those of the header list
/// ([`wswire::handshake::h2::rejection_headers`] for an invalid request), without the
/// `Connection: close` of HTTP/1.1, a connection-specific field HTTP/2 forbids.
pub(crate) fn refusal_response(
    rejection: &Rejection,
    transport: Transport,
) -> http::Response<String> {
    let mut response = match transport {
        Transport::Http2 => {
            let status = rejection.status().as_u16().to_string();
            let fields = rejection
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()));
            request::list_response(std::iter::once((":status", status.as_str())).chain(fields))
        }
        _ => rejection.to_http_response().map(|()| String::new()),
    };
    *response.body_mut() = rejection.body_text().to_owned();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(TEXT_PLAIN),
    );
    response
}

/// The future of an upgraded [`WebSocket`], from [`upgrade`].
#[must_use = "the WebSocket comes from awaiting this future"]
pub struct Upgrading {
    state: State,
}

enum State {
    Refused(StatusCode),
    Pending(Box<Pending>),
    Done,
}

struct Pending {
    on: OnUpgrade,
    negotiated: Negotiated,
    config: Config,
    target: String,
    transport: Transport,
}

impl Upgrading {
    pub(crate) fn pending(
        on: OnUpgrade,
        negotiated: Negotiated,
        config: Config,
        target: String,
        transport: Transport,
    ) -> Self {
        Self {
            state: State::Pending(Box::new(Pending {
                on,
                negotiated,
                config,
                target,
                transport,
            })),
        }
    }

    fn refused(status: StatusCode) -> Self {
        Self {
            state: State::Refused(status),
        }
    }

    /// Which HTTP carries the WebSocket: HTTP/1.1 (an Upgrade) or HTTP/2 (an extended
    /// CONNECT); `None` once refused or resolved.
    pub fn transport(&self) -> Option<Transport> {
        match &self.state {
            State::Pending(p) => Some(p.transport),
            _ => None,
        }
    }

    /// The status of the refusal, when the request was refused.
    pub fn refused_with(&self) -> Option<StatusCode> {
        match self.state {
            State::Refused(status) => Some(status),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Upgrading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Refused(status) => format!("refused with {status}"),
            State::Pending(p) => format!("upgrading {} over {}", p.target, p.transport),
            State::Done => "done".to_owned(),
        };
        f.debug_struct("Upgrading").field("state", &state).finish()
    }
}

impl Future for Upgrading {
    type Output = Result<WebSocket<Upgraded>, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Done => Poll::Ready(Err(Error::Closed)),
            State::Refused(status) => Poll::Ready(Err(Error::Refused(status))),
            State::Pending(mut pending) => match Pin::new(&mut pending.on).poll(cx) {
                Poll::Pending => {
                    self.state = State::Pending(pending);
                    Poll::Pending
                }
                Poll::Ready(Ok(io)) => {
                    let Pending {
                        negotiated,
                        config,
                        target,
                        ..
                    } = *pending;
                    let conn = Connection::server_open(negotiated, adapted(config));
                    let io = TokioIo::new(io);
                    Poll::Ready(Ok(WebSocket::from_parts(
                        io,
                        Conn::Server(conn),
                        Some(target),
                    )))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(Error::Io(std::io::Error::other(e)))),
            },
        }
    }
}
