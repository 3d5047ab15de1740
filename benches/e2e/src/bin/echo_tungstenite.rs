//! Echo server on tokio-tungstenite (tungstenite underneath), in the shape of
//! tokio-tungstenite's `examples/autobahn-server.rs`: `accept_async`, then `next` / `send`
//! (`send` = feed into tungstenite's write buffer + flush: one write per echo), default
//! `WebSocketConfig` (128 KiB read and write buffers); current-thread runtime, each
//! connection task `unconstrained` as the other servers.
//!
//! `echo_tungstenite [ADDR]` — the listen address is the last argument.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = wswire_e2e_benches::listen_addr();
    wswire_e2e_benches::runtime()?.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("tokio-tungstenite echo server listening on ws://{addr}/");
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(tokio::task::unconstrained(async move {
                let _ = stream.set_nodelay(true);
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    // The message keeps its kind: text is echoed as text, binary as binary.
                    if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            }));
        }
    })
}
