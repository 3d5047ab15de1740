//! The plain-HTTP side of `echo_server_tokio`: read a request head, answer `GET /` (the demo
//! page) and `GET /stats?id=` here, and hand anything else — with the bytes already read — to
//! the WebSocket handshake. [`Tap`] is the stream the WebSocket then runs on: it replays those
//! bytes first and counts the bytes on the wire both ways for `/stats`.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::stats::Counters;

/// The largest request head read before deciding.
const MAX_HEAD: usize = 16 * 1024;

/// What a request head asked for.
pub(crate) enum Peeked<S> {
    /// `GET /` or `/index.html`, not an upgrade.
    Page(Tap<S>),
    /// `GET /stats?id=ID`, not an upgrade: the id.
    Stats(Tap<S>, String),
    /// Anything else: the WebSocket handshake decides (and refuses what is not an upgrade).
    Other(Tap<S>),
}

/// Reads until the end of the request head (or [`MAX_HEAD`] bytes, or EOF, or `deadline`),
/// and sorts it.
pub(crate) async fn peek<S: AsyncRead + AsyncWrite + Unpin>(
    mut io: S,
    deadline: Option<Duration>,
) -> io::Result<Peeked<S>> {
    let mut head = Vec::with_capacity(1024);
    let read = async {
        let mut chunk = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
            let n = io.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&chunk[..n]);
        }
        Ok::<_, io::Error>(())
    };
    match deadline {
        Some(d) => tokio::time::timeout(d, read)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no request head in time"))??,
        None => read.await?,
    }
    let route = route(&head);
    let tap = Tap {
        io,
        prefix: head,
        at: 0,
        counters: Arc::default(),
    };
    tap.counters.wire_in(tap.prefix.len());
    Ok(match route {
        Route::Page => Peeked::Page(tap),
        Route::Stats(id) => Peeked::Stats(tap, id),
        Route::Other => Peeked::Other(tap),
    })
}

enum Route {
    Page,
    Stats(String),
    Other,
}

/// The route of a head: only complete `GET` heads without `Upgrade: websocket` are ours.
fn route(head: &[u8]) -> Route {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    if !matches!(req.parse(head), Ok(httparse::Status::Complete(_))) || req.method != Some("GET") {
        return Route::Other;
    }
    let upgrade = req.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("upgrade")
            && String::from_utf8_lossy(h.value)
                .to_ascii_lowercase()
                .contains("websocket")
    });
    let target = req.path.unwrap_or("");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        _ if upgrade => Route::Other,
        "/" | "/index.html" => Route::Page,
        "/stats" => {
            let id = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("id="))
                .unwrap_or("");
            Route::Stats(id.to_owned())
        }
        _ => Route::Other,
    }
}

/// A stream (TCP, or TLS over TCP) that first yields the head already read, and counts bytes
/// both ways.
#[derive(Debug)]
pub(crate) struct Tap<S> {
    io: S,
    prefix: Vec<u8>,
    at: usize,
    counters: Arc<Counters>,
}

impl<S: AsyncWrite + Unpin> Tap<S> {
    /// This connection's counters.
    pub(crate) fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.counters)
    }

    /// Answers a plain HTTP request and closes the connection.
    pub(crate) async fn respond(&mut self, status: &str, kind: &str, body: &str) -> io::Result<()> {
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
            body.len()
        );
        self.io.write_all(head.as_bytes()).await?;
        self.io.write_all(body.as_bytes()).await?;
        self.io.shutdown().await
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.at < this.prefix.len() {
            let n = buf.remaining().min(this.prefix.len() - this.at);
            buf.put_slice(&this.prefix[this.at..this.at + n]);
            this.at += n;
            if this.at == this.prefix.len() {
                this.prefix = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut this.io).poll_read(cx, buf);
        this.counters.wire_in(buf.filled().len() - before);
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.counters.wire_out(n);
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = r {
            self.counters.wire_out(n);
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
