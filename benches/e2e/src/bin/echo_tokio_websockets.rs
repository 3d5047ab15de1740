//! Echo server on tokio-websockets, in the configuration of tokio-websockets' own
//! `examples/echo_server.rs`: current-thread runtime, each connection task `unconstrained`,
//! `frame_size(usize::MAX)` (never fragments), `Limits::unlimited()`.
//!
//! `echo_tokio_websockets [ADDR]` — the listen address is the last argument.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use tokio_websockets::{Config, Limits, ServerBuilder};

fn main() -> std::io::Result<()> {
    let addr = wswire_e2e_benches::listen_addr();
    wswire_e2e_benches::runtime()?.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("tokio-websockets echo server listening on ws://{addr}/");
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(tokio::task::unconstrained(async move {
                let _ = stream.set_nodelay(true);
                let Ok((_request, mut ws)) = ServerBuilder::new()
                    .config(Config::default().frame_size(usize::MAX))
                    .limits(Limits::unlimited())
                    .accept(stream)
                    .await
                else {
                    return;
                };
                while let Some(Ok(msg)) = ws.next().await {
                    // The message keeps its opcode: text is echoed as text, binary as binary.
                    if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                        break;
                    }
                }
            }));
        }
    })
}
