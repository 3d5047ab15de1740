//! WebSockets over HTTP/2 (RFC 8441) over loopback TLS with a certificate made at test time:
//! one server for HTTP/1.1 and HTTP/2 on one port (`h2::server_builder`, ALPN `h2` and
//! `http/1.1`, `hyper::upgrade`), our HTTP/2 client (`h2::connect`, `h2::Client`), several
//! WebSockets on one connection, a reset stream, and servers that cannot carry them.
#![cfg(feature = "h2")]

#[path = "support/tls.rs"]
mod tls;

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tls::Tls;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use wswire::CloseCode;
use wswire::connection::Config;
use wswire::extensions::deflate::DeflateServer;
use wswire::handshake::{ClientRequest, ResponseError, ServerConfig, StatusCode};
use wswire_async::hyper::{Transport, Upgraded};
use wswire_async::{Error, Http2Unsupported, Message, WebSocket, connect_tls, h2};

/// The handshake timeout of the tests' `h2::Client`s.
const TIMEOUT: Option<Duration> = Some(Duration::from_secs(10));

/// How a server-side WebSocket went: its target, transport, and how it ended.
type Ended = (String, Transport, Result<(), String>);

/// The server under test and what it saw.
struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    ended: mpsc::UnboundedReceiver<Ended>,
}

impl Server {
    /// The next WebSocket to end on the server.
    async fn next_end(&mut self) -> Ended {
        tokio::time::timeout(Duration::from_secs(10), self.ended.recv())
            .await
            .expect("a server WebSocket to end")
            .unwrap()
    }
}

/// Echoes `ws`; `/drop` drops it at its first message, without a closing handshake (its
/// stream is reset).
async fn echo(mut ws: WebSocket<Upgraded>, target: &str) -> Result<(), String> {
    while let Some(m) = ws.recv().await {
        match m.map_err(|e| e.to_string())? {
            _ if target == "/drop" => return Err("dropped".to_owned()),
            m @ (Message::Text(_) | Message::Binary(_)) => {
                ws.send(m).await.map_err(|e| e.to_string())?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Serves TLS connections with `alpn`, each with `builder` (the connect protocol enabled,
/// or not), answering WebSocket requests with permessage-deflate and echoing them.
async fn serve(
    acceptor: TlsAcceptor,
    builder: hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, ended) = mpsc::unbounded_channel();
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let mut server = ServerConfig::default();
    server.extension(Box::new(DeflateServer::default()));
    let server = Arc::new(server);
    let (c, r) = (Arc::clone(&connections), Arc::clone(&requests));
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            c.fetch_add(1, Ordering::SeqCst);
            let Ok(tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let (server, tx, r, builder) = (server.clone(), tx.clone(), r.clone(), builder.clone());
            let service = service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                r.fetch_add(1, Ordering::SeqCst);
                let target = req.uri().path().to_owned();
                let (response, upgrading) =
                    wswire_async::hyper::upgrade_with(&mut req, Config::default(), |request| {
                        request.check_origin(&["https://app.example"])?;
                        Ok(request.accept(&server))
                    });
                let tx = tx.clone();
                if let Some(transport) = upgrading.transport() {
                    tokio::spawn(async move {
                        let end = match upgrading.await {
                            Ok(ws) => echo(ws, &target).await,
                            Err(e) => Err(e.to_string()),
                        };
                        let _ = tx.send((target, transport, end));
                    });
                }
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(async move {
                let _ = builder
                    .serve_connection_with_upgrades(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Server {
        port,
        connections,
        requests,
        ended,
    }
}

async fn both_server(tls: &Tls) -> Server {
    serve(tls.acceptor(h2::server_alpn()), h2::server_builder()).await
}

fn has_deflate<S, R: wswire_async::Runtime<S>>(ws: &WebSocket<S, R>) -> bool {
    let negotiated = ws.negotiated();
    negotiated
        .extensions()
        .iter()
        .any(|e| e.name() == "permessage-deflate")
}

async fn round_trip<S, R: wswire_async::Runtime<S>>(ws: &mut WebSocket<S, R>, m: Message) {
    ws.send(m.clone()).await.unwrap();
    assert_eq!(ws.recv().await.unwrap().unwrap(), m);
}

#[tokio::test]
async fn a_websocket_over_http2_echoes_with_deflate_and_closes_cleanly() {
    let tls = Tls::new();
    let mut server = both_server(&tls).await;
    let url = format!("wss://localhost:{}/echo", server.port);
    let mut ws = h2::connect(&url, Config::default(), tls.client())
        .await
        .unwrap();
    assert!(has_deflate(&ws), "{:?}", ws.negotiated());
    let text = "over h2 ".repeat(40_000);
    let blob: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    for m in [
        Message::text("hi"),
        Message::text(text),
        Message::binary(blob),
    ] {
        round_trip(&mut ws, m).await;
    }
    ws.close(CloseCode::NORMAL, "bye").await.unwrap();
    let (target, transport, end) = server.next_end().await;
    assert_eq!(
        (target.as_str(), transport, end),
        ("/echo", Transport::Http2, Ok(()))
    );
}

#[tokio::test]
async fn http1_and_http2_websockets_share_the_server_port() {
    let tls = Tls::new();
    let mut server = both_server(&tls).await;
    let url = format!("wss://localhost:{}/one", server.port);
    let mut h1 = connect_tls(&url, Config::default(), tls.client())
        .await
        .unwrap();
    let url = format!("wss://localhost:{}/two", server.port);
    let mut h2 = h2::connect(&url, Config::default(), tls.client())
        .await
        .unwrap();
    assert!(has_deflate(&h1) && has_deflate(&h2));
    round_trip(&mut h1, Message::text("by upgrade")).await;
    round_trip(&mut h2, Message::text("by extended CONNECT")).await;
    h1.close(CloseCode::NORMAL, "").await.unwrap();
    h2.close(CloseCode::NORMAL, "").await.unwrap();
    let mut seen = vec![server.next_end().await, server.next_end().await];
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("/one".to_owned(), Transport::Http1, Ok(())),
            ("/two".to_owned(), Transport::Http2, Ok(()))
        ]
    );
    assert_eq!(server.connections.load(Ordering::SeqCst), 2);
}

/// Opens `n` WebSockets on `client`, at `/ws/0`, `/ws/1`, …
async fn open_many(client: &h2::Client, port: u16, n: usize) -> Vec<WebSocket<Upgraded>> {
    let mut all = Vec::new();
    for i in 0..n {
        let request =
            ClientRequest::new(&format!("localhost:{port}"), &format!("/ws/{i}")).unwrap();
        all.push(client.open(request, Config::default()).await.unwrap());
    }
    all
}

#[tokio::test]
async fn several_websockets_share_one_http2_connection_and_close_independently() {
    let tls = Tls::new();
    let mut server = both_server(&tls).await;
    let url = format!("wss://localhost:{}/", server.port);
    let client = h2::Client::connect(&url, TIMEOUT, tls.client())
        .await
        .unwrap();
    let mut all = open_many(&client, server.port, 3).await;
    // Interleaved: each answer comes back on its own stream.
    for (i, ws) in all.iter_mut().enumerate() {
        ws.send(Message::text(format!("to {i}"))).await.unwrap();
    }
    for (i, ws) in all.iter_mut().enumerate().rev() {
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text(format!("to {i}"))
        );
    }
    let first = all.remove(0);
    first.close(CloseCode::NORMAL, "first").await.unwrap();
    assert_eq!(
        server.next_end().await,
        ("/ws/0".to_owned(), Transport::Http2, Ok(()))
    );
    for ws in &mut all {
        round_trip(ws, Message::binary(vec![7; 70_000])).await;
    }
    for (i, ws) in all.into_iter().enumerate() {
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        let path = format!("/ws/{}", i + 1);
        assert_eq!(server.next_end().await, (path, Transport::Http2, Ok(())));
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
    assert_eq!(server.requests.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_stream_dropped_by_the_client_fails_only_its_websocket() {
    let tls = Tls::new();
    let mut server = both_server(&tls).await;
    let url = format!("wss://localhost:{}/", server.port);
    let client = h2::Client::connect(&url, TIMEOUT, tls.client())
        .await
        .unwrap();
    let mut all = open_many(&client, server.port, 3).await;
    // The middle one goes without a closing handshake: its stream is reset.
    drop(all.remove(1));
    let (target, transport, end) = server.next_end().await;
    assert_eq!((target.as_str(), transport), ("/ws/1", Transport::Http2));
    assert!(end.is_err(), "the reset WebSocket ended cleanly");
    for ws in &mut all {
        round_trip(ws, Message::text("still here")).await;
    }
    for ws in all {
        ws.close(CloseCode::NORMAL, "").await.unwrap();
        assert_eq!(server.next_end().await.2, Ok(()));
    }
}

#[tokio::test]
async fn a_stream_dropped_by_the_server_fails_only_its_websocket() {
    let tls = Tls::new();
    let mut server = both_server(&tls).await;
    let port = server.port;
    let url = format!("wss://localhost:{port}/");
    let client = h2::Client::connect(&url, TIMEOUT, tls.client())
        .await
        .unwrap();
    let mut all = open_many(&client, port, 2).await;
    let request = ClientRequest::new(&format!("localhost:{port}"), "/drop").unwrap();
    let mut doomed = client.open(request, Config::default()).await.unwrap();
    doomed.send(Message::text("the last")).await.unwrap();
    assert_eq!(server.next_end().await.0, "/drop");
    match doomed.recv().await {
        Some(Err(_)) => {}
        other => panic!("expected the reset stream to fail the WebSocket, got {other:?}"),
    }
    for ws in &mut all {
        round_trip(ws, Message::text("unaffected")).await;
    }
}

#[tokio::test]
async fn a_refusal_over_http2_is_the_deciders_status() {
    let tls = Tls::new();
    let mut server = both_server(&tls).await;
    let port = server.port;
    let client = h2::Client::connect(&format!("wss://localhost:{port}/"), TIMEOUT, tls.client())
        .await
        .unwrap();
    let mut request = ClientRequest::new(&format!("localhost:{port}"), "/elsewhere").unwrap();
    request.origin("https://evil.example").unwrap();
    match client.open(request, Config::default()).await {
        Err(Error::Ended(wswire::Error::Response(ResponseError::UnexpectedStatus(s)))) => {
            assert_eq!(s.status(), StatusCode::FORBIDDEN);
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    // The connection is still good for the next WebSocket.
    let mut ws = open_many(&client, port, 1).await.remove(0);
    round_trip(&mut ws, Message::text("after a refusal")).await;
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert_eq!(server.next_end().await.2, Ok(()));
}

#[tokio::test]
async fn servers_that_cannot_carry_http2_websockets_are_refused_before_any_request() {
    let tls = Tls::new();
    // HTTP/2 without the extended CONNECT: its SETTINGS lack ENABLE_CONNECT_PROTOCOL.
    let plain = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
    let no_connect = serve(tls.acceptor(h2::server_alpn()), plain).await;
    // HTTP/1.1 only: ALPN does not agree on h2.
    let h1_only = serve(
        tls.acceptor(vec![b"http/1.1".to_vec()]),
        h2::server_builder(),
    )
    .await;
    for (server, why) in [
        (&no_connect, Http2Unsupported::ExtendedConnect),
        (&h1_only, Http2Unsupported::Alpn),
    ] {
        let url = format!("wss://localhost:{}/echo", server.port);
        match h2::connect(&url, Config::default(), tls.client()).await {
            Err(Error::Http2Unsupported(w)) => assert_eq!(w, why),
            other => panic!("expected {why:?}, got {other:?}"),
        }
        assert_eq!(server.connections.load(Ordering::SeqCst), 1);
        assert_eq!(server.requests.load(Ordering::SeqCst), 0);
    }
    // A ws:// URL has no HTTP/2 here.
    let url = format!("ws://localhost:{}/", no_connect.port);
    let Err(Error::Io(e)) = h2::connect(&url, Config::default(), tls.client()).await else {
        panic!("ws:// accepted");
    };
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}

/// A server that accepts TCP, and TLS with ALPN `h2` when `tls` is given, then says nothing:
/// no TLS handshake, or no HTTP/2 SETTINGS. Its connections are kept open.
async fn silent_server(tls: Option<TlsAcceptor>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            match &tls {
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    // The TLS handshake completes; the HTTP/2 preface is read by no one.
                    held.push(tokio::spawn(async move {
                        let stream = acceptor.accept(tcp).await;
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        drop(stream);
                    }));
                }
                None => held.push(tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    drop(tcp);
                })),
            }
        }
    });
    port
}

#[tokio::test]
async fn a_server_that_never_sends_its_settings_times_the_client_out() {
    let tls = Tls::new();
    let quiet_tls = silent_server(Some(tls.acceptor(h2::server_alpn()))).await;
    let quiet_tcp = silent_server(None).await;
    let limit = Some(Duration::from_millis(300));
    for port in [quiet_tls, quiet_tcp] {
        let url = format!("wss://localhost:{port}/");
        let started = std::time::Instant::now();
        let connecting = h2::Client::connect(&url, limit, tls.client());
        let outcome = tokio::time::timeout(Duration::from_secs(5), connecting)
            .await
            .expect("the handshake timeout to end the connect");
        match outcome {
            Err(Error::Ended(wswire::Error::HandshakeTimeout)) => {}
            other => panic!("expected the handshake timeout, got {other:?}"),
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(300), "{took:?}");
        // h2::connect gives its Config's handshake timeout to the connection too.
        let mut config = Config::default();
        config.handshake_timeout = limit;
        let connecting = h2::connect(&url, config, tls.client());
        match tokio::time::timeout(Duration::from_secs(5), connecting).await {
            Ok(Err(Error::Ended(wswire::Error::HandshakeTimeout))) => {}
            other => panic!("expected the handshake timeout, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn open_stream_hands_over_the_response_head_and_the_raw_stream() {
    let tls = Tls::new();
    let server = both_server(&tls).await;
    let port = server.port;
    let url = format!("wss://localhost:{port}/");
    let client = h2::Client::connect(&url, TIMEOUT, tls.client())
        .await
        .unwrap();
    let authority = format!("localhost:{port}");
    let offer = [
        (":authority", authority.as_str()),
        (":path", "/raw"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-extensions", "permessage-deflate"),
    ];
    let (head, stream) = client.open_stream(&offer).await.unwrap();
    assert_eq!(head.status, hyper::StatusCode::OK);
    assert_eq!(
        head.headers["sec-websocket-extensions"],
        "permessage-deflate"
    );
    let mut stream = stream.expect("the stream of a 200");
    // Our bytes, as they are: a masked Close (1000) from the client, and the server's answer.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(&[0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2])
        .await
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    assert_eq!(answer, [0x88, 0x02, 0x03, 0xe8]);
    // A refusal: its status, and no stream.
    let mut refused = offer.to_vec();
    refused.push(("origin", "https://evil.example"));
    let (head, stream) = client.open_stream(&refused).await.unwrap();
    assert_eq!(head.status, hyper::StatusCode::FORBIDDEN);
    assert!(stream.is_none());
}
