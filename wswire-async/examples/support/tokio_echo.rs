//! The echo loop shared by the tokio examples (`echo_server_tokio`, `hyper_upgrade`): one
//! [`Connection`] driven over any tokio byte stream.
//!
//! The hot path copies nothing it does not have to: once the handshake is done, the socket is
//! read straight into the connection's receive buffer ([`Connection::input_buffer`] /
//! [`Connection::commit_input`]); every message of that read is echoed into the connection's
//! one output buffer, which then goes out in a single (vectored) write (one syscall for a burst
//! of messages). Each message is taken out of the connection as an owned buffer
//! ([`Connection::take_message`]: no copy for a large message that arrived over several reads,
//! or an assembled one) and handed back with `send_*_owned`, which writes it from that buffer
//! (no copy into the output buffer above 1 KiB). No echo buffer is kept between messages, so
//! a large message leaves no memory behind.

use std::io::{self, ErrorKind, IoSlice};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use wswire::connection::{Connection, Event, State};
use wswire::extensions::format_header;
use wswire::recv::Message;

/// The least room offered to each socket read.
const READ_MIN: usize = 64 * 1024;

/// What a connection did, for its log line.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    /// The request target, when the handshake completed here.
    pub(crate) path: Option<String>,
    /// The negotiated `Sec-WebSocket-Extensions` (e.g. permessage-deflate), once open.
    pub(crate) extensions: Option<String>,
    /// Messages echoed.
    pub(crate) messages: u64,
    /// Payload bytes echoed.
    pub(crate) bytes: u64,
    /// How it ended.
    pub(crate) end: String,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WebSocket {} [extensions: {}]: {} messages ({} bytes) echoed, {}",
            self.path.as_deref().unwrap_or("(refused)"),
            match self.extensions.as_deref() {
                None => "-",
                Some("") => "none",
                Some(e) => e,
            },
            self.messages,
            self.bytes,
            if self.end.is_empty() {
                "ended"
            } else {
                &self.end
            }
        )
    }
}

/// Sends the message just received back, from its own buffer. Fails only once closing, when
/// nothing more may be sent anyway.
fn echo_message(conn: &mut Connection) {
    let _ = match conn.take_message() {
        Some(Message::Text(text)) => conn.send_text_owned(text),
        Some(Message::Binary(bytes)) => conn.send_binary_owned(bytes),
        _ => Ok(()),
    };
}

/// Echoes every message on `conn` (a server connection, handshaking or already open) over
/// `io` until the connection is closed; then shuts the stream down. I/O errors end it early.
pub(crate) async fn echo<S>(
    mut io: S,
    mut conn: Connection,
    summary: &mut Summary,
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let origin = Instant::now();
    let mut handshake_buf = vec![0u8; 4096];
    if conn.state() != State::Connecting {
        // Opened elsewhere (`Connection::server_open`): the agreement is already known.
        summary.extensions = Some(format_header(conn.negotiated().extensions()));
    }
    loop {
        // 1. Drain events, echoing each message into the output buffer.
        while let Some(event) = conn.poll_event() {
            match event {
                Ok(Event::Text { data, .. }) => {
                    summary.messages += 1;
                    summary.bytes += data.len() as u64;
                    echo_message(&mut conn);
                }
                Ok(Event::Binary { data, .. }) => {
                    summary.messages += 1;
                    summary.bytes += data.len() as u64;
                    echo_message(&mut conn);
                }
                Ok(Event::Close { code, reason }) => {
                    summary.end = format!("closed {} {reason:?}", u16::from(code));
                }
                Ok(Event::Open) => {
                    summary.extensions = Some(format_header(conn.negotiated().extensions()));
                }
                Ok(_) => {}
                Err(e) => summary.end = format!("failed: {e}"),
            }
        }
        if summary.path.is_none() {
            summary.path = conn.request_target().map(str::to_owned);
        }
        // 2. Write everything queued: one vectored write for all the replies of one read.
        while conn.pending_output() != 0 {
            let mut pieces: [&[u8]; 16] = [&[]; 16];
            let count = conn.poll_transmit_vectored(&mut pieces);
            let slices: [IoSlice<'_>; 16] = core::array::from_fn(|i| IoSlice::new(pieces[i]));
            let n = io.write_vectored(&slices[..count]).await?;
            if n == 0 {
                return Err(ErrorKind::WriteZero.into());
            }
            conn.advance_transmit(n);
        }
        if conn.should_close_transport() {
            // The server closes TCP first (RFC 6455 §7.1.1).
            let _ = io.shutdown().await;
            return Ok(());
        }
        // 3. Read, straight into the receiver once open; or wait for the next timer.
        let deadline = conn.poll_timeout().map(|t| origin + t);
        let read = async {
            if let Some(buf) = conn.input_buffer(READ_MIN) {
                let n = io.read(buf).await?;
                // Tell the time first: the connection stamps the input with it.
                conn.handle_timeout(origin.elapsed());
                conn.commit_input(n);
                Ok::<_, io::Error>(n)
            } else {
                let n = io.read(&mut handshake_buf).await?;
                conn.handle_timeout(origin.elapsed());
                conn.handle_input(&handshake_buf[..n]);
                Ok(n)
            }
        };
        let n = match deadline {
            // On timeout the read is dropped, which tokio allows without losing bytes.
            Some(at) => tokio::time::timeout_at(at, read).await.ok(),
            None => Some(read.await),
        };
        conn.handle_timeout(origin.elapsed());
        match n {
            Some(Ok(0)) => conn.handle_eof(),
            Some(Ok(_)) | None => {}
            Some(Err(e)) if e.kind() == ErrorKind::Interrupted => {}
            Some(Err(e)) => return Err(e),
        }
    }
}
