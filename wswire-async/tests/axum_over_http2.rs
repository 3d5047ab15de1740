//! The axum extractor over HTTP/2 end to end: an axum `Router` with a `/ws` route (`any`, so
//! that the extended CONNECT is routed), served over loopback TLS by `h2::server_builder`
//! (ALPN `h2` and `http/1.1`, a certificate made at test time), and our `h2::Client` opening
//! WebSockets on it, with and without permessage-deflate. The handler reports the transport
//! the extractor saw; the echo must come back unchanged and the closing handshake complete.

#[path = "support/tls.rs"]
mod tls;

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{any, get};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tls::Tls;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use wswire::CloseCode;
use wswire::connection::Config;
use wswire::extensions::deflate::DeflateClient;
use wswire::handshake::ClientRequest;
use wswire_async::axum::WebSocketUpgrade;
use wswire_async::hyper::{Transport, Upgraded};
use wswire_async::{Message, WebSocket, h2};

/// What the `/ws` handler saw of each request: its transport, and how its WebSocket ended.
#[derive(Debug, PartialEq)]
enum Seen {
    Request(Transport),
    Ended(Result<u64, String>),
}

/// Echoes every data message until the WebSocket ends; the count of messages echoed.
async fn echo(mut ws: WebSocket<Upgraded>) -> Result<u64, String> {
    let mut echoed = 0;
    while let Some(m) = ws.recv().await {
        if let m @ (Message::Text(_) | Message::Binary(_)) = m.map_err(|e| e.to_string())? {
            ws.send(m).await.map_err(|e| e.to_string())?;
            echoed += 1;
        }
    }
    Ok(echoed)
}

async fn ws_route(
    State(seen): State<mpsc::UnboundedSender<Seen>>,
    ws: WebSocketUpgrade,
) -> Response {
    let _ = seen.send(Seen::Request(ws.transport()));
    ws.on_upgrade(move |ws| async move {
        let _ = seen.send(Seen::Ended(echo(ws).await));
    })
}

/// The handler of the `axum` module's example: echoes text until anything else arrives — the
/// peer's Close — and drops the WebSocket at once, leaving the answering Close to what
/// `recv` did before it returned the Close.
async fn drops_at_close(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut ws| async move {
        while let Some(Ok(Message::Text(t))) = ws.recv().await {
            let _ = ws.send(Message::text(t)).await;
        }
    })
}

/// Serves the app over TLS, each connection with `h2::server_builder`; its port, and what
/// the handler saw.
async fn serve(tls: &Tls) -> (u16, mpsc::UnboundedReceiver<Seen>) {
    let (tx, seen) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/ws", any(ws_route))
        .route("/drops-at-close", any(drops_at_close))
        .route("/", get(|| async { "not a WebSocket" }))
        .with_state(tx);
    let acceptor = tls.acceptor(h2::server_alpn());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = TowerToHyperService::new(app);
                let _ = h2::server_builder()
                    .serve_connection_with_upgrades(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (port, seen)
}

async fn next(seen: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(10), seen.recv())
        .await
        .expect("the handler to report")
        .unwrap()
}

fn extension_names<S, R: wswire_async::Runtime<S>>(ws: &WebSocket<S, R>) -> Vec<String> {
    let negotiated = ws.negotiated();
    negotiated
        .extensions()
        .iter()
        .map(|e| e.name().to_owned())
        .collect()
}

/// Opens `/ws` on `client` (offering permessage-deflate when `deflate`), echoes messages
/// small and large, text and binary, and closes; checks what the server saw.
async fn echo_over_http2(
    client: &h2::Client,
    port: u16,
    deflate: bool,
    seen: &mut mpsc::UnboundedReceiver<Seen>,
) {
    let mut request = ClientRequest::new(&format!("localhost:{port}"), "/ws").unwrap();
    if deflate {
        request.extension(Box::new(DeflateClient::default()));
    }
    let mut ws = client.open(request, Config::default()).await.unwrap();
    assert_eq!(next(seen).await, Seen::Request(Transport::Http2));
    let expected: &[&str] = if deflate {
        &["permessage-deflate"]
    } else {
        &[]
    };
    assert_eq!(extension_names(&ws), expected);
    let messages = [
        Message::text("hello over h2"),
        Message::text("compressible ".repeat(20_000)),
        Message::binary((0..200_000u32).map(|i| (i % 253) as u8).collect::<Vec<_>>()),
        Message::binary(Vec::new()),
    ];
    for m in &messages {
        ws.send(m.clone()).await.unwrap();
        assert_eq!(&ws.recv().await.unwrap().unwrap(), m);
    }
    ws.close(CloseCode::NORMAL, "done").await.unwrap();
    assert_eq!(next(seen).await, Seen::Ended(Ok(messages.len() as u64)));
}

#[tokio::test]
async fn the_axum_extractor_echoes_over_http2_with_and_without_deflate() {
    let tls = Tls::new();
    let (port, mut seen) = serve(&tls).await;
    let url = format!("wss://localhost:{port}/ws");
    let timeout = Some(Duration::from_secs(10));
    let client = h2::Client::connect(&url, timeout, tls.client())
        .await
        .unwrap();
    // Both on one HTTP/2 connection, one after the other.
    echo_over_http2(&client, port, false, &mut seen).await;
    echo_over_http2(&client, port, true, &mut seen).await;
    // h2::connect offers permessage-deflate; the same route, a connection of its own.
    let mut ws = h2::connect(&url, Config::default(), tls.client())
        .await
        .unwrap();
    assert_eq!(next(&mut seen).await, Seen::Request(Transport::Http2));
    assert_eq!(extension_names(&ws), ["permessage-deflate"]);
    ws.send(Message::text("once more")).await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap().unwrap(),
        Message::text("once more")
    );
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert_eq!(next(&mut seen).await, Seen::Ended(Ok(1)));
}

#[tokio::test]
async fn the_same_route_takes_http1_upgrades_on_the_same_port() {
    let tls = Tls::new();
    let (port, mut seen) = serve(&tls).await;
    let url = format!("wss://localhost:{port}/ws");
    let mut ws = wswire_async::connect_tls(&url, Config::default(), tls.client())
        .await
        .unwrap();
    assert_eq!(next(&mut seen).await, Seen::Request(Transport::Http1));
    ws.send(Message::text("by upgrade")).await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap().unwrap(),
        Message::text("by upgrade")
    );
    ws.close(CloseCode::NORMAL, "").await.unwrap();
    assert_eq!(next(&mut seen).await, Seen::Ended(Ok(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_drops_the_websocket_at_the_peers_close_still_answers_it_over_http2() {
    // Regression: the client's `close` failed with hyper's BodyWrite(NO_ERROR) — the flush
    // after its Close saw the stream reset by the server (RST_STREAM NO_ERROR, sent once the
    // server had answered, ended its stream and dropped it) — though the server's Close had
    // arrived. Seen in most runs of this test binary before the fix (the other tests running
    // beside it). That the server writes its answer before `recv` hands over the Close is
    // tests/loopback.rs's `a_websocket_dropped_at_the_peers_close_has_written_its_answer_first`.
    let tls = Tls::new();
    let (port, _seen) = serve(&tls).await;
    let url = format!("wss://localhost:{port}/");
    let timeout = Some(Duration::from_secs(10));
    for round in 0..40 {
        // A connection of its own each time: the race is likeliest on a new one.
        let client = h2::Client::connect(&url, timeout, tls.client())
            .await
            .unwrap();
        let mut request =
            ClientRequest::new(&format!("localhost:{port}"), "/drops-at-close").unwrap();
        if round % 2 == 1 {
            request.extension(Box::new(DeflateClient::default()));
        }
        let mut ws = client.open(request, Config::default()).await.unwrap();
        match round % 4 {
            // One message echoed, then the Close.
            0 | 1 => {
                let text = format!("round {round}");
                ws.send(Message::text(text.clone())).await.unwrap();
                assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text(text));
            }
            // Large messages, the Close right behind them: the echoes fill the stream's
            // flow-control window, and the answering Close waits behind them.
            2 => {
                for i in 0..3 {
                    let text = format!("{i}").repeat(150_000);
                    ws.send(Message::text(text)).await.unwrap();
                }
            }
            _ => {}
        }
        let closed =
            tokio::time::timeout(Duration::from_secs(5), ws.close(CloseCode::NORMAL, "bye"))
                .await
                .expect("the closing handshake to end");
        if let Err(e) = closed {
            panic!("round {round}: the closing handshake failed: {e} ({e:?})");
        }
    }
}
