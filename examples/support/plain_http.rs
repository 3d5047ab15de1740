//! The plain-HTTP side of `echo_server`: sorting a request head (the demo page, `/stats`, the
//! favicon, or a WebSocket handshake), answering the plain requests, and closing TCP without a
//! reset.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// Closes TCP gracefully: send FIN, then read (and drop) what the peer still sends until its
/// FIN or a short deadline, so that unread input does not turn our close into a reset that
/// could destroy the Close frame we just wrote.
pub(crate) fn linger_close(stream: &mut TcpStream, buf: &mut [u8]) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_secs(2);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

pub(crate) enum Peek {
    NeedMore,
    Page,
    /// A browser's routine `GET /favicon.ico`: answered 404 rather than refused as a
    /// WebSocket handshake, to keep the log quiet.
    Favicon,
    /// `GET /stats?id=ID` (the request target).
    Stats(String),
    /// Not the page; the request target if the head parsed.
    Other(Option<String>),
}

/// Whether the head in `buf` asks for the demo page: `GET /` (or `/index.html`) without an
/// `Upgrade` header.
pub(crate) fn peek_request(buf: &[u8]) -> Peek {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) => return Peek::NeedMore,
        Err(_) => return Peek::Other(None),
    }
    let target = req.path.unwrap_or_default();
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    let upgrade = req
        .headers
        .iter()
        .any(|h| h.name.eq_ignore_ascii_case("upgrade"));
    if req.method == Some("GET") && matches!(path, "/" | "/index.html") && !upgrade {
        Peek::Page
    } else if req.method == Some("GET") && path == "/stats" && !upgrade {
        Peek::Stats(target.to_owned())
    } else if req.method == Some("GET") && path == "/favicon.ico" && !upgrade {
        Peek::Favicon
    } else {
        Peek::Other(Some(target.to_owned()))
    }
}

/// Answers a plain HTTP request, then closes. (Any origin may read the answers: the page, or
/// a copy of it served elsewhere, fetching `/stats`.)
pub(crate) fn serve_http(
    mut stream: TcpStream,
    status: &str,
    content_type: &str,
    body: &str,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut buf = [0u8; 1024];
    linger_close(&mut stream, &mut buf);
    Ok(())
}
