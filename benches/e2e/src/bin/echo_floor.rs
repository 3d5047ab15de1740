//! The floor, not a contender: what echoing the benchmark's frames costs on this tokio runtime
//! with none of the WebSocket rules — no validation of any kind (header bits, lengths,
//! UTF-8, control frames, limits, closing handshake), no message assembly, no timers, no
//! allocation per message. It reads into one buffer, unmasks each complete frame in place,
//! writes its unmasked header over the tail of the masked one and writes the frame back from
//! the buffer (one `write_all` per frame, as every server here writes each echo as it goes).
//!
//! The user CPU per message it costs is a lower bound for any WebSocket server on this
//! runtime, socket and load: the reads, the writes, the wake-ups and the unmasking every
//! server must do. `run.sh` measures it beside the servers (`SERVERS` may leave it out);
//! `table.py` shows it as a floor, never as the best peer. It answers only what the load
//! generator sends in the timed runs (whole, masked data frames); it is not checked with
//! `loadgen --check` and must not be used for anything else.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Room for the largest frame of the matrix (64 KiB and its header) and a read after it.
const BUF: usize = 256 * 1024;

/// A complete frame at the start of `buf`: (header length, payload length, mask key).
fn frame(buf: &[u8]) -> Option<(usize, usize, [u8; 4])> {
    let b1 = *buf.get(1)?;
    let (len, at) = match b1 & 0x7f {
        126 => (u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as usize, 4),
        127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize, 10),
        n => (usize::from(n), 2),
    };
    let key: [u8; 4] = buf.get(at..at + 4)?.try_into().ok()?;
    let header = at + 4;
    (buf.len() - header >= len).then_some((header, len, key))
}

/// Unmasks `payload` (eight bytes at a time, then the rest).
fn unmask(payload: &mut [u8], key: [u8; 4]) {
    let wide = u64::from_ne_bytes([key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]]);
    let mut chunks = payload.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes((&*c).try_into().unwrap()) ^ wide;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i % 4];
    }
}

async fn handle(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    wswire_e2e_benches::server_handshake(&mut stream).await?;
    let mut buf = vec![0u8; BUF];
    let (mut start, mut end) = (0, 0);
    loop {
        if end == buf.len() {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        let n = stream.read(&mut buf[end..]).await?;
        if n == 0 {
            return Ok(());
        }
        end += n;
        while let Some((header, len, key)) = frame(&buf[start..end]) {
            let payload = start + header;
            unmask(&mut buf[payload..payload + len], key);
            // The same header without the mask bit and key, ending where the payload starts.
            let at = payload - (header - 4);
            buf.copy_within(start..start + header - 4, at);
            buf[at + 1] &= 0x7f;
            stream.write_all(&buf[at..payload + len]).await?;
            start = payload + len;
        }
        if start == end {
            (start, end) = (0, 0);
        } else if start > BUF / 2 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
    }
}

fn main() -> io::Result<()> {
    let addr = wswire_e2e_benches::listen_addr();
    wswire_e2e_benches::runtime()?.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("floor echo server (no WebSocket rules) listening on ws://{addr}/");
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(tokio::task::unconstrained(async move {
                let _ = handle(stream).await;
            }));
        }
    })
}
