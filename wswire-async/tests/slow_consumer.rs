//! A peer that stops reading, over real loopback TCP on one runtime thread: its connection
//! holds at most the outbound high-water mark, the other connections keep echoing promptly,
//! and the policy is the caller's and observable — `send` waits (the wait policy),
//! `try_send` answers `Error::Full` (the drop policy).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use wswire::connection::Config;
use wswire::handshake::{ClientRequest, ServerConfig};
use wswire_async::{Error, Message, Tokio, WebSocket, accept, connect, connect_on};

const MARK: usize = 256 * 1024;
const CHUNK: usize = 16 * 1024;

/// What a flooding connection reports.
#[derive(Debug)]
enum Report {
    /// Bytes queued after a send (or a refused `try_send`).
    Pending(usize),
    /// `send` did not finish within 300 ms: it waits (the wait policy).
    Waiting(usize),
    /// `try_send` refused: `Error::Full` (the drop policy), with the bytes queued then.
    Full(usize),
}

/// A server: `/wait` and `/drop` flood the client (16 KiB binaries) with `send` and with
/// `try_send`; any other path echoes.
async fn server() -> (String, mpsc::UnboundedReceiver<Report>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (report, reports) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let report = report.clone();
            tokio::spawn(async move {
                let mut config = Config::default();
                config.outbound_high_water = Some(MARK);
                let ws: WebSocket<TcpStream> =
                    accept(stream, Arc::new(ServerConfig::default()), config)
                        .await
                        .unwrap();
                match ws.request_target().as_deref() {
                    Some("/wait") => flood_waiting(ws, &report).await,
                    Some("/drop") => flood_dropping(ws, &report).await,
                    _ => echo(ws).await,
                }
            });
        }
    });
    (format!("ws://{addr}"), reports)
}

async fn echo(mut ws: WebSocket<TcpStream>) {
    while let Some(Ok(m)) = ws.recv().await {
        if matches!(m, Message::Text(_) | Message::Binary(_)) && ws.send(m).await.is_err() {
            return;
        }
    }
}

async fn flood_waiting(ws: WebSocket<TcpStream>, report: &mpsc::UnboundedSender<Report>) {
    let (mut tx, mut rx) = ws.split();
    tokio::spawn(async move { while rx.recv().await.is_some() {} });
    loop {
        let sent = tokio::time::timeout(
            Duration::from_millis(300),
            tx.send(Message::binary(vec![7u8; CHUNK])),
        )
        .await;
        if sent.is_err() {
            let _ = report.send(Report::Waiting(tx.pending_output()));
            // Stay blocked, as a real sender would, until the test ends.
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
        let _ = report.send(Report::Pending(tx.pending_output()));
    }
}

async fn flood_dropping(ws: WebSocket<TcpStream>, report: &mpsc::UnboundedSender<Report>) {
    let (mut tx, mut rx) = ws.split();
    let reader = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    for _ in 0..100_000 {
        match tx.try_send(Message::binary(vec![7u8; CHUNK])) {
            Ok(()) => {
                let _ = report.send(Report::Pending(tx.pending_output()));
            }
            Err(Error::Full) => {
                let _ = report.send(Report::Full(tx.pending_output()));
                reader.abort(); // the drop policy: this peer is cut off
                return;
            }
            Err(e) => panic!("try_send: {e}"),
        }
        tokio::task::yield_now().await;
    }
    panic!("100,000 messages of 16 KiB queued for a peer that reads nothing");
}

/// A client that completes the handshake and then reads nothing.
async fn silent_client(url: &str, path: &str) -> WebSocket<TcpStream> {
    let addr = url.trim_start_matches("ws://");
    let tcp = TcpStream::connect(addr).await.unwrap();
    connect_on::<_, Tokio>(
        tcp,
        ClientRequest::new("localhost", path).unwrap(),
        Config::default(),
    )
    .await
    .unwrap()
}

/// The largest pending-output figure reported until `last` matches.
async fn until(
    reports: &mut mpsc::UnboundedReceiver<Report>,
    last: fn(&Report) -> bool,
) -> (usize, Report) {
    let mut most = 0;
    loop {
        let r = tokio::time::timeout(Duration::from_secs(20), reports.recv())
            .await
            .expect("no report in 20 s")
            .unwrap();
        let (Report::Pending(n) | Report::Waiting(n) | Report::Full(n)) = r;
        most = most.max(n);
        if last(&r) {
            return (most, r);
        }
    }
}

/// Round trips of a 20-byte message on a fresh connection: every one, in order.
async fn round_trips(url: &str, n: usize) -> Vec<Duration> {
    let mut ws = connect(&format!("{url}/echo"), Config::default())
        .await
        .unwrap();
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let m = Message::text(format!("ping {i:>15}"));
        let t = Instant::now();
        ws.send(m.clone()).await.unwrap();
        let echo = tokio::time::timeout(Duration::from_secs(5), ws.recv())
            .await
            .expect("an echo took over 5 s while another peer was stalled")
            .unwrap()
            .unwrap();
        times.push(t.elapsed());
        assert_eq!(echo, m);
    }
    times
}

#[tokio::test]
async fn wait_policy_holds_the_mark_and_other_connections_keep_echoing() {
    let (url, mut reports) = server().await;
    let _stalled = silent_client(&url, "/wait").await;
    let (most, last) = until(&mut reports, |r| matches!(r, Report::Waiting(_))).await;
    // `send` waits once the mark is reached; at most one message rides above it.
    assert!(matches!(last, Report::Waiting(_)));
    assert!(most <= MARK + CHUNK + 64, "{most} bytes held, mark {MARK}");
    // The flooder is blocked now; a second connection on the same runtime thread echoes.
    let mut times = round_trips(&url, 200).await;
    times.sort();
    let median = times[times.len() / 2];
    let worst = times[times.len() - 1];
    println!("while a peer is stalled: median round trip {median:?}, worst {worst:?}");
    assert!(worst < Duration::from_secs(2), "worst round trip {worst:?}");
}

#[tokio::test]
async fn drop_policy_sees_full_at_the_mark() {
    let (url, mut reports) = server().await;
    let _stalled = silent_client(&url, "/drop").await;
    let (most, last) = until(&mut reports, |r| matches!(r, Report::Full(_))).await;
    let Report::Full(at) = last else {
        unreachable!()
    };
    // Refused once the queue passed the mark, never far above it.
    assert!(at >= MARK, "Full with only {at} bytes queued");
    assert!(most <= MARK + CHUNK + 64, "{most} bytes held, mark {MARK}");
    let times = round_trips(&url, 50).await;
    assert_eq!(times.len(), 50);
}
