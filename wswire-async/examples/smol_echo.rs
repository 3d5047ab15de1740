//! An echo server on the adapter's futures-io side, run by smol: every path is a WebSocket
//! that echoes each message (permessage-deflate negotiated unless `--no-deflate`).
//!
//! ```text
//! cargo run --release -p wswire-async --features futures-io --example smol_echo              # 127.0.0.1:9001
//! cargo run --release -p wswire-async --features futures-io --example smol_echo -- --no-deflate 127.0.0.1:0
//! ```
//!
//! The last argument is the address. The same `WebSocket` as with tokio, with the runtime
//! parameter `FuturesIo`: timers come from `async-io`, the socket is smol's `TcpStream`.

use std::io;
use std::sync::Arc;

use smol::net::{TcpListener, TcpStream};
use wswire::connection::Config;
use wswire::extensions::deflate::DeflateServer;
use wswire::handshake::ServerConfig;
use wswire_async::{FuturesIo, Message, WebSocket, accept};

fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut deflate = true;
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--no-deflate" => deflate = false,
            "--max-message" => {
                let Some(n) = args.next().and_then(|v| v.parse::<u64>().ok()) else {
                    eprintln!("--max-message needs a number of bytes");
                    std::process::exit(2);
                };
                config.recv.max_message_size = n;
                config.recv.max_frame_payload = n;
            }
            s if s.starts_with("--") => {
                eprintln!(
                    "unknown option {s}; usage: smol_echo [--no-deflate] [--max-message BYTES] [ADDRESS]"
                );
                std::process::exit(2);
            }
            _ => addr = arg,
        }
    }
    let mut server = ServerConfig::default();
    if deflate {
        server.extension(Box::new(DeflateServer::default()));
    }
    let server = Arc::new(server);
    smol::block_on(async {
        let listener = TcpListener::bind(addr.as_str()).await?;
        let local = listener.local_addr()?;
        println!(
            "wswire-async smol echo server listening on {local}: WebSocket echo at ws://{local}/<any path>; permessage-deflate {}",
            if deflate { "on" } else { "off (--no-deflate)" }
        );
        loop {
            let (stream, peer) = listener.accept().await?;
            let server = Arc::clone(&server);
            smol::spawn(async move {
                let _ = stream.set_nodelay(true);
                match echo(stream, server, config).await {
                    Ok(n) => println!("{peer} {n} message(s) echoed"),
                    Err(e) => println!("{peer} ended: {e}"),
                }
            })
            .detach();
        }
    })
}

async fn echo(
    stream: TcpStream,
    server: Arc<ServerConfig>,
    config: Config,
) -> Result<u64, wswire_async::Error> {
    let mut ws: WebSocket<TcpStream, FuturesIo> = accept(stream, server, config).await?;
    let mut n = 0;
    while let Some(message) = ws.recv().await {
        if let m @ (Message::Text(_) | Message::Binary(_)) = message? {
            ws.send(m).await?;
            n += 1;
        }
    }
    Ok(n)
}
