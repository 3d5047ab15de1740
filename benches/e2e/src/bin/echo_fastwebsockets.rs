//! Echo server on fastwebsockets, in the configuration of fastwebsockets' own
//! `examples/echo_server.rs` (current-thread runtime, `FragmentCollector`, each connection
//! task `unconstrained`, default vectored writes above 1 KiB), except that the WebSocket runs on
//! the bare `TcpStream` (`WebSocket::after_handshake`) instead of hyper's `Upgraded`, which
//! removes one boxed indirection per read and write: the fastest way to run it.
//!
//! `echo_fastwebsockets [ADDR]` — the listen address is the last argument.

use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket, WebSocketError};
use tokio::net::{TcpListener, TcpStream};

async fn handle(mut stream: TcpStream) -> Result<(), WebSocketError> {
    stream.set_nodelay(true)?;
    wswire_e2e_benches::server_handshake(&mut stream).await?;
    let mut ws = FragmentCollector::new(WebSocket::after_handshake(stream, Role::Server));
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            OpCode::Close => break,
            // The frame keeps its opcode: text is echoed as text, binary as binary.
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            _ => {}
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let addr = wswire_e2e_benches::listen_addr();
    wswire_e2e_benches::runtime()?.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("fastwebsockets echo server listening on ws://{addr}/");
        loop {
            let (stream, _) = listener.accept().await?;
            tokio::spawn(tokio::task::unconstrained(async move {
                let _ = handle(stream).await;
            }));
        }
    })
}
