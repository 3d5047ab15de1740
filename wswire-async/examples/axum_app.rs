//! An axum app with WebSocket rooms: ordinary HTTP routes, `/ws/{room}` behind an
//! authorization middleware, and every message a member sends broadcast to the room's other
//! members — what koa-websocket does for Koa (`app.ws.use(route.all('/ws/:room', …))`).
//!
//! ```text
//! cargo run --release -p wswire-async --features axum --example axum_app                # 127.0.0.1:9001
//! cargo run --release -p wswire-async --features axum --example axum_app -- --token s3cret 0.0.0.0:8080
//! ```
//!
//! Routes:
//! - `GET /`: a page that checks the app from a browser (two members of a room, a broadcast,
//!   the refusal without a token, permessage-deflate); `GET /health`: `ok`.
//! - `GET /ws/{room}?token=TOKEN`: a WebSocket in room `{room}` (permessage-deflate offered,
//!   subprotocol `chat` if the client asks for it). Without the right token the middleware
//!   answers 401 before any upgrade. Browsers cannot set headers on a WebSocket request, so
//!   the token is a query parameter; `Authorization: Bearer TOKEN` works too.
//!
//! Each message is framed once for the room (`PreparedMessage`; with permessage-deflate
//! and no context takeover, compressed once too) and queued for each other member with
//! `try_send_prepared`; a member
//! whose queue is above its high-water mark (64 KiB here) is dropped from the room and
//! closed with 1008, instead of holding memory or stalling the sender.
//!
//! The last argument is the address; `--token T` sets the token (default `letmein`).

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use wswire::CloseCode;
use wswire::connection::Config;
use wswire_async::axum::WebSocketUpgrade;
use wswire_async::hyper::Upgraded;
use wswire_async::{Message, PreparedMessage, WsSender};

const PAGE: &str = include_str!("support/axum_app.html");

/// A room's members by id, each with the sending half of its WebSocket.
type Members = HashMap<u64, WsSender<Upgraded>>;

/// The members of every room.
#[derive(Clone, Default)]
struct Rooms {
    next_id: Arc<AtomicU64>,
    rooms: Arc<Mutex<HashMap<String, Members>>>,
}

#[derive(Clone)]
struct App {
    rooms: Rooms,
    token: Arc<str>,
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut token = "letmein".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--token" => {
                token = args
                    .next()
                    .ok_or_else(|| io::Error::other("--token needs a value"))?
            }
            s if s.starts_with("--") => {
                return Err(io::Error::other(format!(
                    "unknown option {s}; usage: axum_app [--token T] [ADDRESS]"
                )));
            }
            _ => addr = arg,
        }
    }
    let app = App {
        rooms: Rooms::default(),
        token: token.into(),
    };
    let router = Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/health", get(|| async { "ok" }))
        .route(
            "/ws/{room}",
            get(join).route_layer(middleware::from_fn_with_state(app.clone(), authorize)),
        )
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "axum_app listening on http://{} (rooms at /ws/{{room}}?token=…)",
        listener.local_addr()?
    );
    axum::serve(listener, router).await
}

/// The middleware: the room routes need the token (`?token=` or `Authorization: Bearer`).
async fn authorize(State(app): State<App>, request: Request, next: Next) -> Response {
    let query_token = request
        .uri()
        .query()
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("token="));
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if query_token.or(bearer) == Some(&*app.token) {
        return next.run(request).await;
    }
    let mut refusal = (StatusCode::UNAUTHORIZED, "a token is needed: ?token=…\n").into_response();
    refusal
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    refusal
}

/// `/ws/{room}`: joins the room once upgraded.
async fn join(Path(room): Path<String>, State(app): State<App>, ws: WebSocketUpgrade) -> Response {
    let mut config = Config::default();
    config.outbound_high_water = Some(64 * 1024);
    ws.protocols(["chat"])
        .config(config)
        .on_upgrade(move |ws| member(app.rooms, room, ws))
}

/// One member: registered in the room, every message it sends queued for the others.
async fn member(rooms: Rooms, room: String, ws: wswire_async::WebSocket<Upgraded>) {
    let id = rooms.next_id.fetch_add(1, Ordering::Relaxed);
    let (sender, mut receiver) = ws.split();
    rooms
        .lock()
        .entry(room.clone())
        .or_default()
        .insert(id, sender);
    println!("member {id} joined {room}");
    while let Some(Ok(message)) = receiver.recv().await {
        // Framed (and, where no compression context is kept, compressed) once for the room.
        let prepared = match &message {
            Message::Text(t) => PreparedMessage::text(t),
            Message::Binary(b) => PreparedMessage::binary(b),
            _ => continue,
        };
        rooms.broadcast(&room, id, &prepared);
    }
    rooms.leave(&room, id);
    println!("member {id} left {room}");
}

impl Rooms {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Members>> {
        self.rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `message` for every member of `room` but `from`; drops the members that are
    /// too far behind (closing them with 1008) or already gone.
    fn broadcast(&self, room: &str, from: u64, message: &PreparedMessage) {
        let mut rooms = self.lock();
        let Some(members) = rooms.get_mut(room) else {
            return;
        };
        members.retain(|id, sender| {
            if *id == from {
                return true;
            }
            match sender.try_send_prepared(message) {
                Ok(()) => true,
                Err(wswire_async::Error::Full) => {
                    println!("member {id} of {room} is too slow: dropped");
                    let close = Message::Close(Some(wswire_async::CloseFrame {
                        code: CloseCode::POLICY_VIOLATION,
                        reason: "too slow".to_owned(),
                    }));
                    let _ = sender.try_send(close);
                    false
                }
                Err(_) => false,
            }
        });
    }

    fn leave(&self, room: &str, id: u64) {
        let mut rooms = self.lock();
        if let Some(members) = rooms.get_mut(room) {
            members.remove(&id);
            if members.is_empty() {
                rooms.remove(room);
            }
        }
    }
}
