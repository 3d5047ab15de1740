//! WebSockets in an axum 0.8 app (feature `axum`): the [`WebSocketUpgrade`] extractor.
//!
//! A WebSocket route is an ordinary route: its path parameters, headers and state are
//! extracted as for any handler, the app's middleware runs first (an authorization layer can
//! answer 401 before anything is upgraded), and the handler decides. permessage-deflate
//! (RFC 7692) is negotiated by default.
//!
//! ```no_run
//! use axum::{Router, extract::Path, response::Response, routing::get};
//! use wswire_async::Message;
//! use wswire_async::axum::WebSocketUpgrade;
//!
//! async fn room(Path(name): Path<String>, ws: WebSocketUpgrade) -> Response {
//!     ws.protocols(["chat.v1"]).on_upgrade(move |mut ws| async move {
//!         while let Some(Ok(Message::Text(t))) = ws.recv().await {
//!             let _ = ws.send(Message::text(format!("{name}: {t}"))).await;
//!         }
//!     })
//! }
//!
//! # async fn serve() -> std::io::Result<()> {
//! let app: Router = Router::new().route("/ws/{name}", get(room));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! The handler may stop at the peer's Close, as this one does, and drop the WebSocket:
//! [`WebSocket::recv`] hands the Close over once the answering Close is written out, over
//! HTTP/1.1 and HTTP/2 alike.
//!
//! With the feature `h2`, the extractor also takes an HTTP/2 extended CONNECT (RFC 8441),
//! which is how browsers open a WebSocket on an HTTP/2 connection; the handler is the same
//! and so is the [`WebSocket`] ([`WebSocketUpgrade::transport`] tells them apart). Such a
//! request has the method CONNECT, which `get(...)` does not route: give WebSocket routes
//! `any(handler)`, or `on(MethodFilter::GET.or(MethodFilter::CONNECT), handler)`.
//! `axum::serve` enables the extended CONNECT on its HTTP/2 connections; behind TLS, serve
//! with [`crate::h2::server_builder`].
//!
//! A request that is not a valid WebSocket upgrade is refused before the handler runs, with
//! wswire's answer: the status (400, 426 with `Sec-WebSocket-Version: 13`, 405 with
//! `Allow: GET`, …), its headers and a plain-text body ([`UpgradeRejection`]).

use std::future::Future;
use std::sync::{Arc, OnceLock};

use ::hyper::upgrade::OnUpgrade;
use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use wswire::connection::Config;
use wswire::extensions::deflate::DeflateServer;
use wswire::handshake::{Rejection, ServerConfig, StatusCode};

use crate::hyper::{Transport, Upgraded, Upgrading, refusal_response, with_request};
use crate::socket::WebSocket;

/// The handshake settings used unless [`WebSocketUpgrade::server_config`] gives others:
/// permessage-deflate with its defaults, no subprotocol preferences.
fn default_server() -> Arc<ServerConfig> {
    static DEFAULT: OnceLock<Arc<ServerConfig>> = OnceLock::new();
    Arc::clone(DEFAULT.get_or_init(|| {
        let mut server = ServerConfig::default();
        server.extension(Box::new(DeflateServer::default()));
        Arc::new(server)
    }))
}

/// The extractor of a WebSocket upgrade request; answer it with
/// [`on_upgrade`](Self::on_upgrade) (or [`upgrade`](Self::upgrade)).
pub struct WebSocketUpgrade {
    /// The request's method, target, version and headers (its body is not needed).
    head: http::Request<()>,
    on: OnUpgrade,
    target: String,
    offered: Vec<String>,
    transport: Transport,
    server: Option<Arc<ServerConfig>>,
    config: Config,
    protocols: Vec<String>,
}

impl std::fmt::Debug for WebSocketUpgrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketUpgrade")
            .field("target", &self.target)
            .field("transport", &self.transport)
            .field("offered", &self.offered)
            .field("protocols", &self.protocols)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketUpgrade {
    type Rejection = UpgradeRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let mut head = http::Request::new(());
        *head.method_mut() = parts.method.clone();
        *head.uri_mut() = parts.uri.clone();
        *head.version_mut() = parts.version;
        *head.headers_mut() = parts.headers.clone();
        #[cfg(feature = "h2")]
        if let Some(protocol) = parts.extensions.get::<::hyper::ext::Protocol>() {
            head.extensions_mut().insert(protocol.clone());
        }
        let view = with_request(&head, |request| {
            let offered = request.subprotocols().iter().map(|p| (*p).to_owned());
            (
                request.target().to_owned(),
                offered.collect(),
                request.transport(),
            )
        });
        let (target, offered, transport) = match view {
            Ok(view) => view,
            Err(e) => {
                let transport = crate::hyper::transport_of(&head);
                return Err(UpgradeRejection(Refusal::Invalid(e.rejection(), transport)));
            }
        };
        // hyper leaves this in the request when the connection is served `with_upgrades()`
        // (as `axum::serve` does); without it there is nothing to hand the WebSocket over.
        let Some(on) = parts.extensions.remove::<OnUpgrade>() else {
            return Err(UpgradeRejection(Refusal::NotUpgradable));
        };
        Ok(Self {
            head,
            on,
            target,
            offered,
            transport,
            server: None,
            config: Config::default(),
            protocols: Vec::new(),
        })
    }
}

impl WebSocketUpgrade {
    /// The request target (path and query).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Which HTTP carries the request: an HTTP/1.1 Upgrade or an HTTP/2 extended CONNECT.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The request's headers (`Origin`, cookies, authorization, …).
    pub fn headers(&self) -> &http::HeaderMap {
        self.head.headers()
    }

    /// The subprotocols the client offered, in its order.
    pub fn requested_protocols(&self) -> impl Iterator<Item = &str> {
        self.offered.iter().map(String::as_str)
    }

    /// The subprotocols this route speaks, most preferred first: the first the client also
    /// offered is agreed on (RFC 6455 §4.2.2 /subprotocol/); none in common agrees on none.
    /// Without this, the [`server_config`](Self::server_config)'s preferences decide.
    #[must_use]
    pub fn protocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// The subprotocol that will be agreed on, if any.
    pub fn selected_protocol(&self) -> Option<&str> {
        self.protocols
            .iter()
            .find(|p| self.offered.iter().any(|o| o == *p))
            .map(String::as_str)
    }

    /// The handshake settings for this route: extensions (permessage-deflate and its
    /// parameters, or none), extra response headers, header limits. The default negotiates
    /// permessage-deflate with its defaults.
    #[must_use]
    pub fn server_config(mut self, server: Arc<ServerConfig>) -> Self {
        self.server = Some(server);
        self
    }

    /// The connection settings for this route: message and frame limits, keepalive, idle and
    /// close timeouts, the outbound high-water mark.
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Accepts: the 101 response for the handler to return, and the future of the
    /// [`WebSocket`] (resolved once the 101 is sent and the connection handed over).
    pub fn upgrade(self) -> (Response, Upgrading) {
        let server = self.server.clone().unwrap_or_else(default_server);
        // `protocols([..])` decides when given; otherwise the server config's preferences.
        let choice =
            (!self.protocols.is_empty()).then(|| self.selected_protocol().map(str::to_owned));
        let Self {
            mut head,
            on,
            config,
            ..
        } = self;
        // Give the upgrade back to the request, so the one path in `hyper` performs it.
        head.extensions_mut().insert(on);
        let (response, upgrading) = crate::hyper::upgrade_with(&mut head, config, |request| {
            Ok(match &choice {
                // Chosen among the client's offers, so `accept_with` cannot refuse it.
                Some(choice) => request
                    .accept_with(&server, choice.as_deref(), &[])
                    .unwrap_or_else(|_| request.accept(&server)),
                None => request.accept(&server),
            })
        });
        (response.map(Body::from), upgrading)
    }

    /// Accepts, and runs `callback` with the [`WebSocket`] on a new tokio task once the
    /// connection is handed over; returns the 101 response for the handler to return. If the
    /// hand-over fails (the client went away), `callback` is not called.
    pub fn on_upgrade<F, Fut>(self, callback: F) -> Response
    where
        F: FnOnce(WebSocket<Upgraded>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (response, upgrading) = self.upgrade();
        tokio::spawn(async move {
            if let Ok(ws) = upgrading.await {
                callback(ws).await;
            }
        });
        response
    }
}

/// A request the [`WebSocketUpgrade`] extractor refused: an invalid upgrade, answered with
/// wswire's refusal (status, headers such as `Sec-WebSocket-Version`, a plain-text body);
/// or, a 500, a connection the HTTP server cannot hand over (not served `with_upgrades()`).
#[derive(Clone, Debug)]
pub struct UpgradeRejection(Refusal);

#[derive(Clone, Debug)]
enum Refusal {
    Invalid(Rejection, Transport),
    NotUpgradable,
}

/// The body of the 500 for a connection that cannot be handed over.
const NOT_UPGRADABLE: &str = "this server cannot hand the connection over for a WebSocket";

impl UpgradeRejection {
    /// The HTTP status it answers with.
    pub fn status(&self) -> StatusCode {
        match &self.0 {
            Refusal::Invalid(r, _) => r.status(),
            Refusal::NotUpgradable => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// wswire's refusal of an invalid upgrade request.
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.0 {
            Refusal::Invalid(r, _) => Some(r),
            Refusal::NotUpgradable => None,
        }
    }
}

impl std::fmt::Display for UpgradeRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match &self.0 {
            Refusal::Invalid(r, _) => r.body_text(),
            Refusal::NotUpgradable => NOT_UPGRADABLE,
        };
        write!(f, "WebSocket upgrade refused with {}: {why}", self.status())
    }
}

impl std::error::Error for UpgradeRejection {}

impl IntoResponse for UpgradeRejection {
    fn into_response(self) -> Response {
        match &self.0 {
            Refusal::Invalid(r, transport) => refusal_response(r, *transport).map(Body::from),
            Refusal::NotUpgradable => {
                let mut response = Response::new(Body::from(NOT_UPGRADABLE));
                *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                response.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static(crate::hyper::TEXT_PLAIN),
                );
                response
            }
        }
    }
}
