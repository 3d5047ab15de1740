//! WebSockets behind hyper and axum over loopback TCP: the upgrade with routing, path
//! parameters, middleware and subprotocols, and what a refused request gets back.
#![cfg(feature = "axum")]

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path, Request};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wswire::connection::Config;
use wswire::handshake::{ClientRequest, ResponseError, ServerConfig, WsUri};
use wswire_async::axum::WebSocketUpgrade;
use wswire_async::{Error, Message, WebSocket, connect, connect_on};

/// Serves `router` on a fresh port; returns `host:port`.
async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr.to_string()
}

/// `/ws/{room}`: echoes each text message prefixed with the room's name.
async fn room(Path(room): Path<String>, ws: WebSocketUpgrade) -> Response {
    ws.protocols(["chat.v2", "chat.v1"])
        .on_upgrade(move |mut ws| async move {
            while let Some(Ok(Message::Text(t))) = ws.recv().await {
                if ws
                    .send(Message::text(format!("{room}: {t}")))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        })
}

/// Lets a request through only with `Authorization: Bearer ok`.
async fn auth(request: Request, next: Next) -> Response {
    match request.headers().get("authorization") {
        Some(v) if v == "Bearer ok" => next.run(request).await,
        _ => (axum::http::StatusCode::UNAUTHORIZED, "no").into_response(),
    }
}

fn app() -> Router {
    Router::new()
        .route("/plain", get(|| async { "plain http" }))
        .route("/ws/{room}", get(room))
        .route(
            "/private/{room}",
            get(room).route_layer(middleware::from_fn(auth)),
        )
}

/// Sends a raw HTTP request and reads the whole response (the server closes after a refusal).
async fn raw(addr: &str, request: &str) -> String {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the body announced by Content-Length is in (the connection may stay open).
    loop {
        let n = tcp.read(&mut buf).await.unwrap();
        out.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&out);
        if n == 0
            || text.split_once("\r\n\r\n").is_some_and(|(head, body)| {
                head.lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_owned)
                    })
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .is_some_and(|len| body.len() >= len)
            })
        {
            return text.into_owned();
        }
    }
}

#[tokio::test]
async fn an_axum_route_upgrades_with_deflate_its_path_parameter_and_our_subprotocol() {
    let addr = serve(app()).await;
    let uri = WsUri::parse(&format!("ws://{addr}/ws/lobby")).unwrap();
    let mut request = ClientRequest::from_uri(&uri);
    request.subprotocols(["chat.v1", "chat.v2"]).unwrap();
    request.extension(Box::new(
        wswire::extensions::deflate::DeflateClient::default(),
    ));
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let mut ws: WebSocket<TcpStream> = connect_on(tcp, request, Config::default()).await.unwrap();
    let negotiated = ws.negotiated();
    // Ours are preferred in our order: chat.v2 although the client listed chat.v1 first.
    assert_eq!(negotiated.subprotocol(), Some("chat.v2"));
    assert!(
        negotiated
            .extensions()
            .iter()
            .any(|e| e.name() == "permessage-deflate"),
        "{negotiated:?}"
    );
    let long = "x".repeat(100_000);
    for text in ["hello", long.as_str()] {
        ws.send(Message::text(text)).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text(format!("lobby: {text}"))
        );
    }
    ws.close(wswire::CloseCode::NORMAL, "").await.unwrap();
    // The same server still answers plain HTTP on its other routes.
    let plain = raw(&addr, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        plain.starts_with("HTTP/1.1 200") && plain.ends_with("plain http"),
        "{plain}"
    );
}

#[tokio::test]
async fn middleware_answers_401_before_any_upgrade_and_lets_the_authorized_through() {
    let addr = serve(app()).await;
    let refused = connect(&format!("ws://{addr}/private/a"), Config::default()).await;
    match refused {
        Err(Error::Ended(wswire::Error::Response(ResponseError::UnexpectedStatus(s)))) => {
            assert_eq!(s.status().as_u16(), 401);
        }
        other => panic!("expected a 401, got {other:?}"),
    }
    let uri = WsUri::parse(&format!("ws://{addr}/private/a")).unwrap();
    let mut request = ClientRequest::from_uri(&uri);
    request.header("Authorization", "Bearer ok").unwrap();
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let mut ws: WebSocket<TcpStream> = connect_on(tcp, request, Config::default()).await.unwrap();
    ws.send(Message::text("in")).await.unwrap();
    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("a: in"));
}

#[tokio::test]
async fn an_invalid_upgrade_gets_wswires_refusal_with_its_headers_and_a_text_body() {
    let addr = serve(app()).await;
    // A pre-RFC draft version: 426 naming the version spoken (RFC 6455 §4.4).
    let old = raw(
        &addr,
        "GET /ws/a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
    )
    .await;
    let lower = old.to_ascii_lowercase();
    assert!(old.starts_with("HTTP/1.1 426"), "{old}");
    assert!(lower.contains("\r\nsec-websocket-version: 13\r\n"), "{old}");
    assert!(
        lower.contains("\r\ncontent-type: text/plain; charset=utf-8\r\n"),
        "{old}"
    );
    let body = old.split_once("\r\n\r\n").unwrap().1;
    assert!(!body.is_empty(), "{old}");
    // No key at all: 400.
    let keyless = raw(
        &addr,
        "GET /ws/a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
    )
    .await;
    assert!(keyless.starts_with("HTTP/1.1 400"), "{keyless}");
}

#[tokio::test]
async fn a_request_whose_connection_cannot_be_handed_over_is_a_500() {
    // Built by hand, without hyper's upgrade handle in its extensions.
    let request = axum::http::Request::get("/ws/a")
        .header("Host", "x")
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("Sec-WebSocket-Version", "13")
        .body(())
        .unwrap();
    let (mut parts, ()) = request.into_parts();
    let refused = WebSocketUpgrade::from_request_parts(&mut parts, &())
        .await
        .unwrap_err();
    assert_eq!(refused.status().as_u16(), 500);
    assert_eq!(refused.into_response().status().as_u16(), 500);
}

/// A bare hyper server: `/echo` upgrades through `wswire_async::hyper::upgrade`.
async fn hyper_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = Arc::new(ServerConfig::default());
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let server = Arc::clone(&server);
            let service = service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                let server = Arc::clone(&server);
                async move {
                    let (response, upgrading) =
                        wswire_async::hyper::upgrade(&mut req, &server, Config::default());
                    tokio::spawn(async move {
                        let Ok(mut ws) = upgrading.await else { return };
                        while let Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) =
                            ws.recv().await
                        {
                            if ws.send(m).await.is_err() {
                                break;
                            }
                        }
                    });
                    Ok::<_, Infallible>(response)
                }
            });
            tokio::spawn(
                http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .with_upgrades(),
            );
        }
    });
    addr.to_string()
}

#[tokio::test]
async fn hyper_upgrade_echoes_and_its_refusal_has_a_status_and_text_body() {
    let addr = hyper_server().await;
    let mut ws = connect(&format!("ws://{addr}/echo"), Config::default())
        .await
        .unwrap();
    assert_eq!(ws.request_target(), None); // the client side knows no request target
    let big = vec![7u8; 200_000];
    ws.send(Message::binary(big.clone())).await.unwrap();
    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::Binary(big));
    ws.close(wswire::CloseCode::NORMAL, "").await.unwrap();
    let post = raw(
        &addr,
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    )
    .await;
    let lower = post.to_ascii_lowercase();
    assert!(post.starts_with("HTTP/1.1 405"), "{post}");
    assert!(lower.contains("\r\nallow: get\r\n"), "{post}");
    assert!(
        lower.contains("\r\ncontent-type: text/plain; charset=utf-8\r\n"),
        "{post}"
    );
}

#[tokio::test]
async fn without_protocols_the_route_server_config_chooses_the_subprotocol() {
    let mut server = ServerConfig::default();
    server.subprotocols(["mqtt"]).unwrap();
    let server = Arc::new(server);
    let router = Router::new().route(
        "/ws",
        get(move |ws: WebSocketUpgrade| {
            let server = Arc::clone(&server);
            async move { ws.server_config(server).on_upgrade(|_ws| async {}) }
        }),
    );
    let addr = serve(router).await;
    let uri = WsUri::parse(&format!("ws://{addr}/ws")).unwrap();
    let mut request = ClientRequest::from_uri(&uri);
    request.subprotocols(["chat", "mqtt"]).unwrap();
    let tcp = TcpStream::connect(&addr).await.unwrap();
    let ws: WebSocket<TcpStream> = connect_on(tcp, request, Config::default()).await.unwrap();
    assert_eq!(ws.negotiated().subprotocol(), Some("mqtt"));
    // The route's config carries no deflate negotiator: nothing else is agreed.
    assert!(ws.negotiated().extensions().is_empty());
}
