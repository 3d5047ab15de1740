//! A broadcast chat on plain tokio: every text message a client sends goes, as `name: text`,
//! to every connected client (the sender included, as its acknowledgement).
//!
//! ```text
//! cargo run --release -p wswire-async --example chat                          # 127.0.0.1:9002
//! cargo run --release -p wswire-async --example chat -- --slow wait 0.0.0.0:9002
//! ```
//!
//! Connect to `ws://ADDRESS/NAME` (the path names the member). Each message is framed once
//! for everybody ([`PreparedMessage`]; compressed once too when the client agreed to
//! permessage-deflate without context takeover) and queued on every member's sender.
//!
//! A member that stops reading fills its queue up to the high-water mark (1 MiB). What
//! happens then is the policy, `--slow`:
//! - `close` (the default): that member is sent a Close 1008 and dropped; the others carry on.
//! - `skip`: that member misses the message and stays.
//! - `wait`: the broadcast waits until that member has room — everybody waits for the slowest,
//!   which is the policy to pick only when every message must reach everybody.
//!
//! The last argument is the address.

use std::collections::HashMap;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use wswire::CloseCode;
use wswire::connection::Config;
use wswire::extensions::deflate::DeflateServer;
use wswire::handshake::ServerConfig;
use wswire_async::{CloseFrame, Error, Message, PreparedMessage, WsSender, accept};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slow {
    Close,
    Skip,
    Wait,
}

/// Every member's sending half, by id.
type Members = Arc<Mutex<HashMap<u64, (String, WsSender<TcpStream>)>>>;

#[tokio::main]
async fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:9002".to_owned();
    let mut slow = Slow::Close;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--slow" => {
                slow = match args.next().as_deref() {
                    Some("close") => Slow::Close,
                    Some("skip") => Slow::Skip,
                    Some("wait") => Slow::Wait,
                    _ => return Err(io::Error::other("--slow needs close, skip or wait")),
                }
            }
            s if s.starts_with("--") => {
                return Err(io::Error::other(format!(
                    "unknown option {s}; usage: chat [--slow close|skip|wait] [ADDRESS]"
                )));
            }
            _ => addr = arg,
        }
    }
    let mut server = ServerConfig::default();
    server.extension(Box::new(DeflateServer::default()));
    let server = Arc::new(server);
    let mut config = Config::default();
    config.outbound_high_water = Some(1 << 20);
    let members = Members::default();
    let next_id = Arc::new(AtomicU64::new(0));
    let listener = TcpListener::bind(&addr).await?;
    println!(
        "chat listening on {} (ws://HOST/NAME)",
        listener.local_addr()?
    );
    loop {
        let (tcp, _) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        let (server, members) = (Arc::clone(&server), Arc::clone(&members));
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            if let Err(e) = member(tcp, server, config, members, id, slow).await {
                println!("member {id}: {e}");
            }
        });
    }
}

/// One member: joins under the name in its path, broadcasts each text message, leaves.
async fn member(
    tcp: TcpStream,
    server: Arc<ServerConfig>,
    config: Config,
    members: Members,
    id: u64,
    slow: Slow,
) -> Result<(), Error> {
    let ws = accept(tcp, server, config).await?;
    let name = ws.request_target().unwrap_or_default();
    let name = name.trim_start_matches('/').to_owned();
    let (sender, mut receiver) = ws.split();
    members.lock().await.insert(id, (name.clone(), sender));
    println!("{name} ({id}) joined");
    while let Some(message) = receiver.recv().await {
        if let Message::Text(text) = message? {
            let prepared = PreparedMessage::text(&format!("{name}: {text}"));
            broadcast(&members, &prepared, slow).await;
        }
    }
    members.lock().await.remove(&id);
    println!("{name} ({id}) left");
    Ok(())
}

/// Queues `message` for every member, applying the slow-member policy.
async fn broadcast(members: &Members, message: &PreparedMessage, slow: Slow) {
    let mut members = members.lock().await;
    if slow == Slow::Wait {
        // The lock is held across the waits: the next message waits too, so every member
        // gets every message, in order.
        for (_, sender) in members.values_mut() {
            let _ = sender.send_prepared(message).await;
        }
        return;
    }
    members.retain(
        |id, (name, sender)| match sender.try_send_prepared(message) {
            Ok(()) => true,
            Err(Error::Full) if slow == Slow::Skip => true,
            Err(Error::Full) => {
                println!("{name} ({id}) is too slow: closed with 1008");
                let _ = sender.try_send(Message::Close(Some(CloseFrame {
                    code: CloseCode::POLICY_VIOLATION,
                    reason: "too slow".to_owned(),
                })));
                false
            }
            Err(_) => false,
        },
    );
}
