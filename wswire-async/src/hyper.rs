//! WebSockets on a hyper 1.x server (feature `hyper`): [`upgrade`] answers an upgrade request
//! that hyper already parsed and gives a future of the [`WebSocket`] that hyper hands over
//! once it has sent the 101.
//!
//! The request is validated by [`wswire::handshake::http_interop`], with the same rules as
//! wswire's own byte-level handshake (RFC 6455 §4.2.1); what it refuses is answered with the
//! refusal's status, headers (`Sec-WebSocket-Version` with a 426, `Allow` with a 405, …) and
//! a plain-text body saying why.
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
//! over.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use ::hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use wswire::connection::{Config, Connection};
use wswire::handshake::{Negotiated, Rejection, Request, ServerConfig, StatusCode, http_interop};

use crate::handshake::adapted;
use crate::message::Error;
use crate::shared::Conn;
use crate::socket::WebSocket;

/// The stream of a connection hyper upgraded, as the [`WebSocket`] runs over it.
pub type Upgraded = TokioIo<::hyper::upgrade::Upgraded>;

/// The media type of every refusal's body.
pub(crate) const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// Answers `req` as a WebSocket upgrade: the response to return to hyper (the 101, or the
/// refusal) and the future of the [`WebSocket`].
///
/// The future resolves once hyper has sent the 101 and handed the connection over; for a
/// refused request it resolves at once to [`Error::Refused`] with the status sent.
pub fn upgrade<B>(
    req: &mut http::Request<B>,
    server: &ServerConfig,
    config: Config,
) -> (http::Response<String>, Upgrading) {
    upgrade_with(req, config, |request| Ok(request.accept(server)))
}

/// As [`upgrade`], with `decide` choosing the answer to the valid request: accept it
/// (`Request::accept`, or `Request::accept_with` for a subprotocol of the application's
/// choice and extra headers), or refuse it (e.g. `Request::check_origin`, an
/// authorization check) with a [`Rejection`].
pub fn upgrade_with<B, F>(
    req: &mut http::Request<B>,
    config: Config,
    decide: F,
) -> (http::Response<String>, Upgrading)
where
    F: FnOnce(&Request<'_>) -> Result<wswire::handshake::Accepted, Rejection>,
{
    let decided = match http_interop::validate(req) {
        Ok(request) => {
            let target = request.target().to_owned();
            decide(&request).map(|accepted| (accepted, target))
        }
        Err(e) => Err(e.rejection()),
    };
    match decided {
        Ok((accepted, target)) => {
            let response = accepted.to_http_response().map(|()| String::new());
            let upgrading = Upgrading::pending(
                ::hyper::upgrade::on(req),
                accepted.into_negotiated(),
                config,
                target,
            );
            (response, upgrading)
        }
        Err(rejection) => refused(&rejection),
    }
}

/// The refusal's response (status, headers, a plain-text body) and a future that reports it.
pub(crate) fn refused(rejection: &Rejection) -> (http::Response<String>, Upgrading) {
    (
        refusal_response(rejection),
        Upgrading::refused(rejection.status()),
    )
}

/// A refusal as a response: its status and headers, and its reason as a plain-text body.
pub(crate) fn refusal_response(rejection: &Rejection) -> http::Response<String> {
    let mut response = rejection
        .to_http_response()
        .map(|()| rejection.body_text().to_owned());
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
}

impl Upgrading {
    pub(crate) fn pending(
        on: OnUpgrade,
        negotiated: Negotiated,
        config: Config,
        target: String,
    ) -> Self {
        Self {
            state: State::Pending(Box::new(Pending {
                on,
                negotiated,
                config,
                target,
            })),
        }
    }

    fn refused(status: StatusCode) -> Self {
        Self {
            state: State::Refused(status),
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
            State::Pending(p) => format!("upgrading {}", p.target),
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
