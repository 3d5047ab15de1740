//! Shared pieces of the end-to-end echo benchmark: the command-line convention of the echo
//! servers (the listen address is the last argument), the runtime they all use, and a minimal
//! raw-stream opening handshake (RFC 6455 §4) for the fastwebsockets server and for the load
//! generator's client, so that both run on a bare `TcpStream` with no HTTP framework between
//! the socket and the WebSocket; and the payloads the load generator sends.

use std::io::{self, ErrorKind};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The GUID of RFC 6455 §1.3.
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The most bytes an opening handshake may take.
const MAX_HANDSHAKE: usize = 8192;

/// The listen address: the last argument, or `127.0.0.1:9001` (wswire's example convention).
pub fn listen_addr() -> String {
    std::env::args()
        .skip(1)
        .last()
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned())
}

/// The runtime every echo server uses: tokio's current-thread runtime, as wswire's
/// `echo_server_tokio --threads 1` (the flavour it recommends when pinned to one core).
pub fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// `Sec-WebSocket-Accept` for a key (RFC 6455 §4.2.2).
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.digest().bytes())
}

/// Reads one HTTP head (up to and including the blank line). Fails if the peer sends more
/// bytes behind it before we answer (our client never does) or the head is too long.
async fn read_head(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            if end + 4 != buf.len() {
                return Err(io::Error::other("bytes after the handshake head"));
            }
            return Ok(buf);
        }
        if buf.len() > MAX_HANDSHAKE {
            return Err(io::Error::other("handshake head too long"));
        }
    }
}

/// The server side of the opening handshake on a raw stream: reads the request, checks it is
/// an upgrade, answers 101. Nothing is buffered afterwards, so the stream can be handed to a
/// WebSocket implementation as is.
pub async fn server_handshake(stream: &mut TcpStream) -> io::Result<()> {
    let head = read_head(stream).await?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(io::Error::other("bad request")),
    }
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let upgrade = header("upgrade").is_some_and(|v| v.eq_ignore_ascii_case(b"websocket"));
    let version = header("sec-websocket-version") == Some(b"13".as_slice());
    let key = header("sec-websocket-key");
    let (true, true, Some(key)) = (upgrade, version, key) else {
        stream
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Err(io::Error::other("not a WebSocket upgrade"));
    };
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(key)
    );
    stream.write_all(response.as_bytes()).await
}

/// The client side of the opening handshake on a raw stream: sends the request, checks the
/// 101 and its accept key.
pub async fn client_handshake(stream: &mut TcpStream, host: &str) -> io::Result<()> {
    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let head = read_head(stream).await?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(&head) {
        Ok(httparse::Status::Complete(_)) if resp.code == Some(101) => {}
        _ => {
            return Err(io::Error::other(format!(
                "handshake refused: {}",
                String::from_utf8_lossy(&head)
            )));
        }
    }
    let expected = accept_key(KEY.as_bytes());
    let accept = resp
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-accept"))
        .map(|h| h.value);
    if accept != Some(expected.as_bytes()) {
        return Err(io::Error::other("wrong Sec-WebSocket-Accept"));
    }
    Ok(())
}

/// The kind of data message the load generator sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Binary opcode, [`binary_payload`].
    Binary,
    /// Text opcode, [`text_payload`].
    Text,
}

impl Kind {
    /// `binary` or `text`, as on the command line and in the result lines.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Binary => "binary",
            Kind::Text => "text",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "binary" => Ok(Kind::Binary),
            "text" => Ok(Kind::Text),
            _ => Err(format!("unknown kind {s:?} (binary or text)")),
        }
    }
}

/// A binary payload of `size` bytes: varied bytes, so that a server echoing the wrong bytes is
/// caught.
pub fn binary_payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Where a multi-byte character sits in each 40-byte block of [`text_payload`]: early enough
/// that a 20-byte message holds one.
const TEXT_BLOCK: usize = 40;
const TEXT_MULTIBYTE_AT: usize = 18;
/// The multi-byte characters, in turn: 2, 3, 2, 3 and 4 bytes of UTF-8.
const TEXT_MULTIBYTE: [char; 5] = ['é', '✓', 'ü', '€', '𝄞'];

/// A text payload of exactly `size` bytes: valid UTF-8, mostly printable ASCII (varied, so that
/// wrong bytes are caught) with one multi-byte character in every 40-byte block (é, ✓, ü, €,
/// 𝄞 in turn: 2 to 4 bytes). A character that would cross `size` is left out and the rest
/// padded with ASCII, so the message ends on a character boundary.
pub fn text_payload(size: usize) -> Vec<u8> {
    let mut s = String::with_capacity(size + 4);
    let mut block = 0;
    while s.len() < size {
        let start = s.len();
        while s.len() - start < TEXT_MULTIBYTE_AT {
            let i = s.len();
            s.push(char::from(b'!' + ((i * 7 + i / 97) % 94) as u8));
        }
        s.push(TEXT_MULTIBYTE[block % TEXT_MULTIBYTE.len()]);
        while s.len() - start < TEXT_BLOCK {
            let i = s.len();
            s.push(char::from(b'!' + ((i * 7 + i / 97) % 94) as u8));
        }
        block += 1;
    }
    let mut end = size;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    while s.len() < size {
        s.push('.');
    }
    s.into_bytes()
}

/// The payload of a message of `kind` and `size` bytes.
pub fn payload(kind: Kind, size: usize) -> Vec<u8> {
    match kind {
        Kind::Binary => binary_payload(size),
        Kind::Text => text_payload(size),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc_6455_example_key() {
        assert_eq!(
            super::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn text_payload_is_exact_mostly_ascii_utf8() {
        for size in (0..200).chain([1024, 16384, 65536, 1 << 20]) {
            let p = super::text_payload(size);
            assert_eq!(p.len(), size, "size {size}");
            let s = std::str::from_utf8(&p).expect("valid UTF-8");
            let multibyte = s.chars().filter(|c| !c.is_ascii()).count();
            // One multi-byte character per 40-byte block that reaches past byte 22.
            if size >= 20 {
                assert!(multibyte >= 1, "size {size}");
            }
            assert!(multibyte <= size / 40 + 1, "size {size}");
            assert!(s.chars().all(|c| !c.is_control()), "size {size}");
        }
        let s = String::from_utf8(super::text_payload(200)).unwrap();
        assert!(s.contains('é') && s.contains('✓') && s.contains('𝄞'));
    }

    #[test]
    fn binary_payload_is_exact() {
        assert_eq!(super::binary_payload(65536).len(), 65536);
        assert_eq!(
            super::payload(super::Kind::Binary, 300),
            super::binary_payload(300)
        );
        assert_eq!("text".parse(), Ok(super::Kind::Text));
        assert!("utf8".parse::<super::Kind>().is_err());
    }
}
