//! Broadcast through the adapter: one `PreparedMessage` sent to a room of server WebSockets
//! (in-memory duplex streams) with `try_send_prepared` and `send_prepared` arrives intact at
//! every client, without permessage-deflate and with it (context takeover or not); and
//! `try_send_prepared` answers `Error::Full` above the high-water mark, as `try_send` does.

use std::sync::Arc;

use tokio::io::DuplexStream;
use wswire::connection::Config;
use wswire::extensions::deflate::{DeflateClient, DeflateServer};
use wswire::handshake::{ClientRequest, ServerConfig};
use wswire_async::{
    Error, Message, PreparedMessage, Tokio, WebSocket, WsSender, accept, connect_on,
};

type Ws = WebSocket<DuplexStream, Tokio>;

/// A server and a client WebSocket over one in-memory stream of `buffer` bytes each way.
async fn pair(server: &Arc<ServerConfig>, config: Config, buffer: usize) -> (Ws, Ws) {
    let (a, b) = tokio::io::duplex(buffer);
    let mut request = ClientRequest::new("localhost", "/room").unwrap();
    request.extension(Box::new(DeflateClient::default()));
    let (s, c) = tokio::join!(
        accept::<_, Tokio>(a, server.clone(), config),
        connect_on::<_, Tokio>(b, request, Config::default()),
    );
    (s.unwrap(), c.unwrap())
}

/// `n` members: the servers' sending halves (their receiving halves polled in tasks) and
/// the clients.
async fn room(deflate: Option<DeflateServer>, n: usize) -> (Vec<WsSender<DuplexStream>>, Vec<Ws>) {
    let mut sc = ServerConfig::default();
    if let Some(d) = deflate {
        sc.extension(Box::new(d));
    }
    let sc = Arc::new(sc);
    let (mut senders, mut clients) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let (server, client) = pair(&sc, Config::default(), 64 * 1024).await;
        let (tx, mut rx) = server.split();
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        senders.push(tx);
        clients.push(client);
    }
    (senders, clients)
}

fn text() -> String {
    (0..16 * 1024u32)
        .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
        .collect()
}

#[tokio::test]
async fn a_prepared_message_reaches_every_member_of_the_room() {
    let mut no_context = DeflateServer::default();
    no_context.server_no_context_takeover = true;
    for deflate in [None, Some(DeflateServer::default()), Some(no_context)] {
        let (mut senders, mut clients) = room(deflate, 8).await;
        let message = PreparedMessage::text(&text());
        for tx in &mut senders {
            tx.try_send_prepared(&message).unwrap();
        }
        for tx in &mut senders[..4] {
            tx.send_prepared(&message).await.unwrap();
        }
        for (i, client) in clients.iter_mut().enumerate() {
            let times = if i < 4 { 2 } else { 1 };
            for _ in 0..times {
                let got = client.recv().await.unwrap().unwrap();
                assert_eq!(got, Message::Text(text()), "{deflate:?} member {i}");
            }
            assert_eq!(
                client.negotiated().extensions().is_empty(),
                deflate.is_none()
            );
        }
    }
}

#[tokio::test]
async fn try_send_prepared_is_refused_above_the_high_water_mark() {
    let mut config = Config::default();
    config.outbound_high_water = Some(40 * 1024);
    let sc = Arc::new(ServerConfig::default());
    let (server, _client) = pair(&sc, config, 1024).await; // the client never reads
    let (mut tx, mut rx) = server.split();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let message = PreparedMessage::binary(&[3; 16 * 1024]);
    let mut queued = 0;
    let err = loop {
        match tx.try_send_prepared(&message) {
            Ok(()) => queued += 1,
            Err(e) => break e,
        }
        assert!(queued < 10, "never full");
    };
    assert!(matches!(err, Error::Full), "{err:?}");
    assert_eq!(queued, 3);
    assert!(tx.pending_output() >= 40 * 1024);
}
