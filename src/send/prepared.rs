//! Broadcast: one message framed once, its bytes shared by every server connection it is
//! sent on.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::{DataKind, SendConfig, Sender};
use crate::extensions::deflate::SharedDeflate;
use crate::frame::Rsv;

/// The most forms besides the plain frame (distinct fragmentation and compression settings)
/// one message keeps; connections whose settings would need another frame it themselves.
#[cfg(feature = "std")]
const MAX_FORMS: usize = 8;

/// A data message framed once for many server connections — a broadcast (the model is
/// gorilla/websocket's `PreparedMessage`). [`Connection::send_prepared`] queues its frames
/// by reference: each connection's output holds a pointer to the same bytes, written from
/// there by [`poll_transmit_vectored`] / [`poll_transmit`] and handed out by
/// [`take_transmit_buf`] without a copy ([`take_transmit`], which returns an owned `Vec`,
/// copies). Cloning is cheap and shares everything below.
///
/// What is shared, and what is not:
/// - **The payload**: copied once, at construction, into one shared buffer that starts with
///   the message's unfragmented, uncompressed server frame header. Every path below reads
///   the payload from there; the caller's buffer is never copied again.
/// - **Uncompressed frames** (no permessage-deflate, or a message under the connection's
///   [`DeflateConfig::threshold`](crate::extensions::deflate::DeflateConfig::threshold)):
///   shared by every server connection. Without
///   [`SendConfig::max_frame_payload`] (or when the message fits one frame) they are that
///   buffer itself; a connection that fragments gets the frames made once per distinct
///   frame size, lazily, on the first send that needs them (with the `std` feature; without
///   it, such a connection frames the message into its own output).
/// - **Compressed frames, without context takeover** (`server_no_context_takeover` agreed,
///   so every message starts from a fresh compressor): compressed once per distinct engine,
///   window bits, level and frame size, lazily on the first send that needs them, and shared
///   by every connection with those settings (with the `std` feature; without it, each
///   connection compresses itself).
/// - **Compressed frames, with context takeover** (the default agreement): never shared.
///   The compressor's window holds the connection's earlier messages, so the bytes differ
///   per connection: each compresses the shared payload itself, into its own output, and
///   its context moves on as for any other message.
/// - **Clients** mask every frame with a fresh key (RFC 6455 §5.3), so a client connection
///   sends a masked copy of the payload (compressed first as it would any message), exactly
///   as [`Connection::send_binary`] would.
///
/// At most 8 such forms are kept besides the plain frame; a connection whose settings would
/// need a ninth frames the message itself. Small messages (under 1 KiB) are copied into the
/// connection's output instead of referenced, as for owned sends: a separate write slice
/// costs more than the copy.
///
/// ```
/// use wswire::connection::{Config, Connection};
/// use wswire::send::PreparedMessage;
///
/// let message = PreparedMessage::text(&"news ".repeat(1000)); // framed once
/// let mut room: Vec<Connection> = (0..3)
///     .map(|_| Connection::server_open(Default::default(), Config::default()))
///     .collect();
/// for conn in &mut room {
///     conn.send_prepared(&message)?; // no copy of the 5000 bytes
/// }
/// for conn in &mut room {
///     let mut bufs = [&[][..]; 4];
///     let n = conn.poll_transmit_vectored(&mut bufs);
///     assert_eq!(bufs[..n], [message.frame()]); // the same bytes, for writev
/// }
/// # Ok::<(), wswire::UsageError>(())
/// ```
///
/// [`Connection::send_prepared`]: crate::Connection::send_prepared
/// [`Connection::send_binary`]: crate::Connection::send_binary
/// [`poll_transmit_vectored`]: crate::Connection::poll_transmit_vectored
/// [`poll_transmit`]: crate::Connection::poll_transmit
/// [`take_transmit_buf`]: crate::Connection::take_transmit_buf
/// [`take_transmit`]: crate::Connection::take_transmit
#[derive(Clone)]
pub struct PreparedMessage(Arc<Inner>);

struct Inner {
    kind: DataKind,
    /// The message as one uncompressed server frame: header, then the payload.
    frame: Arc<[u8]>,
    header_len: usize,
    #[cfg(feature = "std")]
    forms: std::sync::Mutex<Vec<Form>>,
}

/// What the frames of a message depend on besides the message itself.
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug, PartialEq)]
struct FormKey {
    max_frame_payload: Option<usize>,
    deflate: Option<SharedDeflate>,
}

#[cfg(feature = "std")]
struct Form {
    key: FormKey,
    frames: Arc<[u8]>,
}

impl PreparedMessage {
    /// A text message, framed for a server.
    pub fn text(text: &str) -> Self {
        Self::new(DataKind::Text, text.as_bytes())
    }

    /// A binary message, framed for a server.
    pub fn binary(data: &[u8]) -> Self {
        Self::new(DataKind::Binary, data)
    }

    fn new(kind: DataKind, payload: &[u8]) -> Self {
        let mut frame = Vec::new();
        // A fresh server sender: no message open, no Close sent, so it cannot fail.
        let _ =
            Sender::server(SendConfig::default()).data(kind, payload, true, Rsv::NONE, &mut frame);
        let header_len = frame.len() - payload.len();
        Self(Arc::new(Inner {
            kind,
            frame: Arc::from(frame),
            header_len,
            #[cfg(feature = "std")]
            forms: std::sync::Mutex::new(Vec::new()),
        }))
    }

    /// Text or binary.
    pub fn kind(&self) -> DataKind {
        self.0.kind
    }

    /// The message's payload, uncompressed.
    pub fn payload(&self) -> &[u8] {
        self.0.frame.get(self.0.header_len..).unwrap_or_default()
    }

    /// The message as one unfragmented, uncompressed server frame (header and payload): what
    /// a server connection without permessage-deflate or fragmentation writes.
    pub fn frame(&self) -> &[u8] {
        &self.0.frame
    }

    /// The server frames of this message under `max_frame_payload` and, when compressed,
    /// `deflate` (a compressor without context takeover); `None` when they are not kept
    /// (without `std`, or too many forms) and the connection must frame the message itself.
    pub(crate) fn frames(
        &self,
        max_frame_payload: Option<usize>,
        deflate: Option<SharedDeflate>,
    ) -> Option<Arc<[u8]>> {
        let fits = max_frame_payload.is_none_or(|max| max == 0 || self.payload().len() <= max);
        if deflate.is_none() && fits {
            return Some(self.0.frame.clone());
        }
        self.cached(max_frame_payload, deflate)
    }

    #[cfg(feature = "std")]
    fn cached(
        &self,
        max_frame_payload: Option<usize>,
        deflate: Option<SharedDeflate>,
    ) -> Option<Arc<[u8]>> {
        let key = FormKey {
            max_frame_payload,
            deflate,
        };
        let mut forms = self
            .0
            .forms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(form) = forms.iter().find(|f| f.key == key) {
            return Some(form.frames.clone());
        }
        if forms.len() >= MAX_FORMS {
            return None;
        }
        let frames: Arc<[u8]> = Arc::from(self.build(key));
        forms.push(Form {
            key,
            frames: frames.clone(),
        });
        Some(frames)
    }

    #[cfg(not(feature = "std"))]
    fn cached(&self, _: Option<usize>, _: Option<SharedDeflate>) -> Option<Arc<[u8]>> {
        None
    }

    /// The frames for `key`: compressed when asked and the engine manages (otherwise sent
    /// uncompressed, as a connection's compressor falls back), fragmented by the frame size.
    #[cfg(feature = "std")]
    fn build(&self, key: FormKey) -> Vec<u8> {
        let payload = self.payload();
        let compressed = key.deflate.and_then(|d| d.compress_message(payload));
        let (body, rsv) = match &compressed {
            Some(c) => (&c[..], Rsv::RSV1),
            None => (payload, Rsv::NONE),
        };
        let config = SendConfig {
            max_frame_payload: key.max_frame_payload,
        };
        let mut out = Vec::new();
        let _ = Sender::server(config).data(self.0.kind, body, true, rsv, &mut out);
        out
    }
}

impl fmt::Debug for PreparedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedMessage")
            .field("kind", &self.0.kind)
            .field("len", &self.payload().len())
            .finish_non_exhaustive()
    }
}
