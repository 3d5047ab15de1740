//! The adapter over real loopback TCP: echo both ways (with permessage-deflate), split
//! halves from two tasks, the closing handshake, the inspection hook, and backpressure.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use wswire::CloseCode;
use wswire::connection::Config;
use wswire::extensions::deflate::DeflateServer;
use wswire::handshake::{Rejection, ServerConfig, StatusCode};
use wswire_async::{Error, Message, WebSocket, accept, accept_with, connect};

fn deflate_server() -> Arc<ServerConfig> {
    let mut server = ServerConfig::default();
    server.extension(Box::new(DeflateServer::default()));
    Arc::new(server)
}

/// An echo server on a fresh port, serving one connection per accepted stream.
async fn echo_server(server: Arc<ServerConfig>, config: Config) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let server = server.clone();
            tokio::spawn(async move {
                let mut ws: WebSocket<TcpStream> = accept(stream, server, config).await?;
                while let Some(m) = ws.recv().await {
                    if let m @ (Message::Text(_) | Message::Binary(_)) = m? {
                        ws.send(m).await?;
                    }
                }
                Ok::<_, Error>(())
            });
        }
    });
    format!("ws://{addr}/echo")
}

#[tokio::test]
async fn messages_echo_with_deflate_and_the_close_is_clean() {
    let url = echo_server(deflate_server(), Config::default()).await;
    let mut ws = connect(&url, Config::default()).await.unwrap();
    assert!(
        ws.negotiated()
            .extensions()
            .iter()
            .any(|e| e.name() == "permessage-deflate"),
        "{:?}",
        ws.negotiated()
    );
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    for m in [
        Message::text("hello"),
        Message::binary(big.clone()),
        Message::text("é".repeat(40_000)),
    ] {
        ws.send(m.clone()).await.unwrap();
        assert_eq!(ws.recv().await.unwrap().unwrap(), m);
    }
    ws.close(CloseCode::NORMAL, "bye").await.unwrap();
}

#[tokio::test]
async fn halves_work_from_two_tasks() {
    let url = echo_server(deflate_server(), Config::default()).await;
    let ws = connect(&url, Config::default()).await.unwrap();
    let (mut tx, mut rx) = ws.split();
    let sender = tokio::spawn(async move {
        for i in 0..200 {
            tx.send(Message::Text(format!("message {i}")))
                .await
                .unwrap();
        }
        tx.send(Message::Close(None)).await.unwrap();
    });
    let mut got = Vec::new();
    while let Some(m) = rx.recv().await {
        match m.unwrap() {
            Message::Text(t) => got.push(t),
            Message::Close(_) => {}
            other => panic!("{other:?}"),
        }
    }
    sender.await.unwrap();
    assert_eq!(got.len(), 200);
    assert_eq!(got[199], "message 199");
}

#[tokio::test]
async fn the_inspection_hook_routes_and_refuses() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut ends = Vec::new();
        for _ in 0..2 {
            let (stream, _) = listener.accept().await.unwrap();
            let r: Result<WebSocket<TcpStream>, _> = accept_with(
                stream,
                Arc::new(ServerConfig::default()),
                Config::default(),
                |req| {
                    if req.path() == "/allowed" {
                        Ok(())
                    } else {
                        Err(Rejection::new(StatusCode::NOT_FOUND).unwrap())
                    }
                },
            )
            .await;
            ends.push(r.map(|ws| ws.request_target()));
        }
        ends
    });
    let refused = connect(&format!("ws://{addr}/other"), Config::default()).await;
    assert!(
        matches!(refused, Err(Error::Ended(wswire::Error::Response(_)))),
        "{refused:?}"
    );
    let ok = connect(&format!("ws://{addr}/allowed?x=1"), Config::default()).await;
    assert!(ok.is_ok());
    let ends = server.await.unwrap();
    assert!(matches!(ends[0], Err(Error::Refused(s)) if s == StatusCode::NOT_FOUND));
    assert_eq!(ends[1].as_ref().unwrap().as_deref(), Some("/allowed?x=1"));
}

#[tokio::test]
async fn a_peer_that_stops_reading_holds_at_most_the_high_water_mark() {
    const MARK: usize = 256 * 1024;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (report, mut reports) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut config = Config::default();
        config.outbound_high_water = Some(MARK);
        let ws: WebSocket<TcpStream> = accept(stream, Arc::new(ServerConfig::default()), config)
            .await
            .unwrap();
        let (mut tx, _rx) = ws.split();
        // Flood a client that never reads: each send waits once the mark is reached.
        for _ in 0..10_000 {
            let sent = tokio::time::timeout(
                Duration::from_millis(500),
                tx.send(Message::binary(vec![7u8; 16 * 1024])),
            )
            .await;
            let _ = report.send(tx.pending_output());
            if sent.is_err() {
                return; // blocked: backpressure holds
            }
        }
        panic!("10,000 messages of 16 KiB went out to a peer that reads nothing");
    });
    let client = TcpStream::connect(addr).await.unwrap();
    // Handshake by hand, then read nothing more.
    let ws = wswire_async::connect_on::<_, wswire_async::Tokio>(
        client,
        wswire::handshake::ClientRequest::new("localhost", "/").unwrap(),
        Config::default(),
    )
    .await
    .unwrap();
    let mut most = 0;
    while let Some(pending) = reports.recv().await {
        most = most.max(pending);
    }
    assert!(
        most <= MARK + 16 * 1024 + 64,
        "{most} bytes held above the mark {MARK}"
    );
    assert!(most > 0);
    drop(ws);
}

#[tokio::test]
async fn a_protocol_error_is_reported_after_its_close_is_on_the_wire() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut ws: WebSocket<TcpStream> =
            accept(stream, Arc::new(ServerConfig::default()), Config::default())
                .await
                .unwrap();
        // The caller drops the WebSocket as soon as it sees the error, as `?` would.
        let end = ws.recv().await;
        drop(ws);
        end
    });
    let mut raw = TcpStream::connect(addr).await.unwrap();
    raw.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .unwrap();
    // A masked text frame with RSV1 set and nothing negotiated (RFC 6455 §5.2): 1002.
    raw.write_all(&[0xC1, 0x81, 0, 0, 0, 0, b'x'])
        .await
        .unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    let end = server.await.unwrap();
    assert!(
        matches!(&end, Some(Err(Error::Ended(e))) if e.close_code() == CloseCode::PROTOCOL_ERROR),
        "{end:?}"
    );
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    // After the 101: exactly a Close frame carrying 1002, then EOF.
    assert_eq!(
        &got[head_end..head_end + 4],
        &[0x88, 0x02, 0x03, 0xEA],
        "{:x?}",
        &got[head_end..]
    );
    assert_eq!(got.len(), head_end + 4);
}

#[tokio::test]
async fn the_idle_timer_restarts_on_traffic_and_ends_a_silent_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut config = Config::default();
        config.idle_timeout = Some(Duration::from_millis(300));
        let mut ws: WebSocket<TcpStream> =
            accept(stream, Arc::new(ServerConfig::default()), config)
                .await
                .unwrap();
        let mut last_message = std::time::Instant::now();
        loop {
            match ws.recv().await {
                Some(Ok(Message::Text(_))) => last_message = std::time::Instant::now(),
                Some(Ok(_)) => {}
                Some(Err(e)) => return (e, last_message.elapsed()),
                None => panic!("ended without an error"),
            }
        }
    });
    let mut ws = connect(&format!("ws://{addr}/"), Config::default())
        .await
        .unwrap();
    // Traffic every 200 ms keeps a 300 ms idle timer from firing...
    for _ in 0..4 {
        ws.send(Message::text("still here")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // ...then silence ends the connection 300 ms after the last message.
    let (error, silent_for) = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(error, Error::Ended(wswire::Error::IdleTimeout)),
        "{error:?}"
    );
    assert!(
        silent_for >= Duration::from_millis(290) && silent_for < Duration::from_secs(2),
        "ended {silent_for:?} after the last message"
    );
}

#[tokio::test]
async fn a_websocket_dropped_at_the_peers_close_has_written_its_answer_first() {
    // A stream that takes writes slowly (an in-memory pipe of 256 bytes; over HTTP/2,
    // hyper's stream): the server's output is a large message and then its answering Close
    // when the client's Close arrives. `recv` hands the Close over only once all of it is
    // written, so a handler that drops the WebSocket there loses nothing.
    let (a, b) = tokio::io::duplex(256);
    let request = wswire::handshake::ClientRequest::new("localhost", "/").unwrap();
    let (server, client) = tokio::join!(
        accept::<_, wswire_async::Tokio>(a, Arc::new(ServerConfig::default()), Config::default()),
        wswire_async::connect_on::<_, wswire_async::Tokio>(b, request, Config::default()),
    );
    let (mut server, client) = (server.unwrap(), client.unwrap());
    let big = Message::binary(vec![7u8; 64 * 1024]);
    server.try_send(big).unwrap();
    assert!(server.pending_output() > 60 * 1024, "the pipe took it all");
    let handler = tokio::spawn(async move {
        // The axum module's example: stop at anything but data, drop the WebSocket.
        while let Some(Ok(Message::Binary(_) | Message::Text(_))) = server.recv().await {}
        let left = server.pending_output();
        drop(server);
        left
    });
    let closed = tokio::time::timeout(Duration::from_secs(5), client.close(CloseCode::NORMAL, ""));
    closed.await.unwrap().unwrap();
    assert_eq!(
        handler.await.unwrap(),
        0,
        "output left unwritten at the drop"
    );
}
