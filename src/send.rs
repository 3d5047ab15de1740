//! The sending half: messages in, frame bytes out (RFC 6455 §5, §6.1).
//!
//! A [`Sender`] turns text, binary, ping, pong and close into frames, in the minimal header
//! form, fragmented by [`SendConfig::max_frame_payload`] or explicitly (`fin = false`, then
//! more calls for the same message). A client masks every frame with a fresh key from an
//! injected [`MaskGen`] (normally a [`RandomMask`] over a `CryptoRng`, RFC 6455 §5.3); a
//! server never masks.
//!
//! Output goes three ways:
//! - appended to a `Vec<u8>` ([`Sender::text`], [`Sender::binary`], …);
//! - into a caller-owned `&mut [u8]` with no zero-filling ([`Sender::binary_into`], …): the
//!   fastest path for clients, one fused copy+mask pass;
//! - as header bytes plus the caller's own payload slice, for vectored writes
//!   ([`Sender::frame_header`]).
//!
//! A message sent to many server connections (a broadcast) can be framed once: a
//! [`PreparedMessage`] holds its frames in a shared buffer that
//! [`Connection::send_prepared`](crate::Connection::send_prepared) queues without a copy.
//!
//! Caller mistakes are [`UsageError`]s and are never sent to the peer: a control payload over
//! 125 bytes, a close reason over 123 bytes or an unsendable code, a data frame of another
//! message while a fragmented one is open, a data frame after Close, a second Close.
//! Ping and Pong remain allowed after our Close (RFC 6455 §5.5.1 forbids only data; §5.5.2
//! still asks for a Pong while the closing handshake runs).

use alloc::vec::Vec;

pub use crate::frame::DataKind;
pub use masks::{ClientMasks, FixedMask, MaskGen, RandomMask, Unmasked};
pub use prepared::PreparedMessage;

use crate::Role;
use crate::error::UsageError;
use crate::extensions::deflate::Compressor;
use crate::frame::{
    CloseFrame, FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, MaskKey, Opcode, Rsv,
};

mod framing;
mod masks;
mod prepared;

/// Whether a message may be compressed when permessage-deflate is agreed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Compressed when the extension is agreed and the message reaches the deflate
    /// threshold (the default).
    #[default]
    Auto,
    /// Sent as it is, e.g. data that is already compressed, or a secret next to text an
    /// attacker chooses (RFC 7692 §10).
    Off,
}

/// Send-side settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendConfig {
    /// Split data messages into frames of at most this many payload bytes. `None` (the
    /// default): one frame per call.
    pub max_frame_payload: Option<usize>,
}

/// An encoded frame header, for vectored writes: write [`as_bytes`](Self::as_bytes), then
/// the payload — masked with [`mask`](Self::mask) if there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodedHeader {
    bytes: [u8; MAX_HEADER_LEN],
    len: usize,
    mask: Option<MaskKey>,
}

impl EncodedHeader {
    /// The header bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The key the payload must be masked with (clients), or `None`.
    pub fn mask(&self) -> Option<MaskKey> {
        self.mask
    }
}

/// One frame to write: header fields and its payload.
struct Piece<'p> {
    opcode: Opcode,
    fin: bool,
    rsv: Rsv,
    payload: &'p [u8],
}

/// The sending state machine; see the [module docs](self).
///
/// ```
/// use wswire::frame::MaskKey;
/// use wswire::send::{FixedMask, SendConfig, Sender};
///
/// let mut server = Sender::server(SendConfig::default());
/// let mut out = Vec::new();
/// server.text("Hel", false, &mut out)?;
/// server.text("lo", true, &mut out)?;
/// assert_eq!(out, [0x01, 0x03, b'H', b'e', b'l', 0x80, 0x02, b'l', b'o']); // RFC 6455 §5.7
///
/// // A client, with a fixed key so the bytes are reproducible (never do this for real).
/// let mut client = Sender::client_with(SendConfig::default(), FixedMask(MaskKey([0x37, 0xfa, 0x21, 0x3d])));
/// out.clear();
/// client.text("Hello", true, &mut out)?;
/// assert_eq!(out, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// # Ok::<(), wswire::UsageError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sender<M = Unmasked> {
    role: Role,
    masks: M,
    config: SendConfig,
    open: Option<DataKind>,
    close_sent: bool,
}

impl Sender<Unmasked> {
    /// A server's sender: frames are not masked.
    ///
    /// ```
    /// use wswire::send::{SendConfig, Sender};
    ///
    /// let mut server = Sender::server(SendConfig::default());
    /// let mut out = Vec::new();
    /// server.binary(&[1, 2, 3], true, &mut out)?;
    /// assert_eq!(out, [0x82, 0x03, 1, 2, 3]);
    /// # Ok::<(), wswire::UsageError>(())
    /// ```
    pub fn server(config: SendConfig) -> Self {
        Self {
            role: Role::Server,
            masks: Unmasked,
            config,
            open: None,
            close_sent: false,
        }
    }
}

impl<R: rand_core::CryptoRng> Sender<RandomMask<R>> {
    /// A client's sender, masking each frame with a fresh key from `rng`.
    ///
    /// ```
    /// use wswire::rand_core::UnwrapErr;
    /// use wswire::send::{SendConfig, Sender};
    ///
    /// let mut client = Sender::client(SendConfig::default(), UnwrapErr(getrandom::SysRng));
    /// let mut out = Vec::new();
    /// client.text("hi", true, &mut out)?;
    /// assert_eq!(out.len(), 2 + 4 + 2); // header, masking key, masked payload
    /// assert_eq!(out[1], 0x80 | 2);
    /// # Ok::<(), wswire::UsageError>(())
    /// ```
    pub fn client(config: SendConfig, rng: R) -> Self {
        Self::client_with(config, RandomMask(rng))
    }
}

impl<M: ClientMasks> Sender<M> {
    /// A client's sender with a chosen key source (see [`FixedMask`] for tests).
    pub fn client_with(config: SendConfig, masks: M) -> Self {
        Self {
            role: Role::Client,
            masks,
            config,
            open: None,
            close_sent: false,
        }
    }
}

impl<M: MaskGen> Sender<M> {
    /// The role this sender frames for.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration in force.
    pub fn config_mut(&mut self) -> &mut SendConfig {
        &mut self.config
    }

    /// The data message left open by a `fin = false` call, if any.
    pub fn open_message(&self) -> Option<DataKind> {
        self.open
    }

    /// Whether our Close frame has been produced.
    pub fn close_sent(&self) -> bool {
        self.close_sent
    }

    /// Appends a text message (or, with `fin = false`, its next piece) to `out`.
    ///
    /// # Errors
    /// [`UsageError::SendAfterClose`], or [`UsageError::MessageInProgress`] when a binary
    /// message is open.
    #[inline]
    pub fn text(&mut self, text: &str, fin: bool, out: &mut Vec<u8>) -> Result<(), UsageError> {
        self.data(DataKind::Text, text.as_bytes(), fin, Rsv::NONE, out)
    }

    /// Appends a binary message (or its next piece) to `out`.
    ///
    /// # Errors
    /// As [`Sender::text`].
    #[inline]
    pub fn binary(&mut self, data: &[u8], fin: bool, out: &mut Vec<u8>) -> Result<(), UsageError> {
        self.data(DataKind::Binary, data, fin, Rsv::NONE, out)
    }

    /// Writes a text message (or its next piece) into `out` and returns the bytes written.
    ///
    /// # Errors
    /// As [`Sender::text`], and [`UsageError::BufferTooSmall`] (nothing written, no state
    /// change) when `out` is shorter than [`Sender::encoded_len`].
    #[inline]
    pub fn text_into(
        &mut self,
        text: &str,
        fin: bool,
        out: &mut [u8],
    ) -> Result<usize, UsageError> {
        self.data_into(DataKind::Text, text.as_bytes(), fin, out)
    }

    /// Writes a binary message (or its next piece) into `out`; see [`Sender::text_into`].
    ///
    /// # Errors
    /// As [`Sender::text_into`].
    #[inline]
    pub fn binary_into(
        &mut self,
        data: &[u8],
        fin: bool,
        out: &mut [u8],
    ) -> Result<usize, UsageError> {
        self.data_into(DataKind::Binary, data, fin, out)
    }

    /// Appends a Ping (payload ≤ 125 bytes).
    ///
    /// # Errors
    /// [`UsageError::ControlPayloadTooLong`].
    pub fn ping(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), UsageError> {
        self.control(Opcode::Ping, payload, out)
    }

    /// Appends a Pong (payload ≤ 125 bytes); an answer to a Ping echoes its payload.
    ///
    /// # Errors
    /// [`UsageError::ControlPayloadTooLong`].
    pub fn pong(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), UsageError> {
        self.control(Opcode::Pong, payload, out)
    }

    /// Appends a Close frame: `None` sends an empty one (reported as 1005 by the peer).
    /// Afterwards only Ping and Pong may be sent.
    ///
    /// # Errors
    /// [`UsageError::CloseAlreadySent`], [`UsageError::UnsendableCloseCode`],
    /// [`UsageError::CloseReasonTooLong`].
    pub fn close(
        &mut self,
        frame: Option<CloseFrame<'_>>,
        out: &mut Vec<u8>,
    ) -> Result<(), UsageError> {
        if self.close_sent {
            return Err(UsageError::CloseAlreadySent);
        }
        let mut payload = [0u8; MAX_CONTROL_PAYLOAD];
        let len = match frame {
            Some(f) => f.encode(&mut payload)?,
            None => 0,
        };
        self.control(Opcode::Close, &payload[..len], out)?;
        self.close_sent = true;
        Ok(())
    }

    /// The header of the next frame, for writing the payload yourself (vectored I/O). The
    /// state advances as if the frame were sent: `fin = false` opens or continues a message.
    ///
    /// Clients must mask the payload with [`EncodedHeader::mask`] (e.g. with
    /// [`crate::frame::copy_masked`]); servers write it as it is. No fragmentation is applied.
    ///
    /// # Errors
    /// As [`Sender::text`].
    pub fn frame_header(
        &mut self,
        kind: DataKind,
        payload_len: usize,
        fin: bool,
    ) -> Result<EncodedHeader, UsageError> {
        let opcode = self.begin(kind, fin)?;
        let header = FrameHeader {
            fin,
            rsv: Rsv::NONE,
            opcode,
            mask: self.next_mask(),
            payload_len: payload_len as u64,
        };
        let mut bytes = [0u8; MAX_HEADER_LEN];
        let len = header
            .encode(&mut bytes)
            .map_err(|_| UsageError::PayloadTooLong)?;
        Ok(EncodedHeader {
            bytes,
            len,
            mask: header.mask,
        })
    }

    /// The exact number of bytes a data message (or piece) of `payload_len` bytes encodes to
    /// under the current configuration and role.
    #[inline]
    pub fn encoded_len(&self, payload_len: usize) -> usize {
        let mask = if self.role == Role::Client { 4 } else { 0 };
        let frame = |len: usize| len + mask + header_len(len);
        match self.config.max_frame_payload {
            Some(max) if max > 0 && payload_len > max => {
                let full = payload_len / max;
                let rest = payload_len % max;
                full * frame(max) + if rest > 0 { frame(rest) } else { 0 }
            }
            _ => frame(payload_len),
        }
    }

    /// Appends a data message (or its next piece) through a permessage-deflate
    /// [`Compressor`] (RFC 7692 §7.2.1): when the compressor takes the message, the payload is
    /// compressed with a sync flush (the final `00 00 ff ff` removed at the end of the message)
    /// and the first frame carries RSV1; continuation frames never do. [`Compression::Off`]
    /// sends this message uncompressed (decided on its first piece). Fragmentation by
    /// [`SendConfig::max_frame_payload`] applies to the compressed payload.
    ///
    /// ```
    /// # #[cfg(feature = "deflate")] {
    /// use wswire::Role;
    /// use wswire::extensions::deflate::{DeflateConfig, DeflateParams};
    /// use wswire::send::{Compression, DataKind, SendConfig, Sender};
    ///
    /// let mut config = DeflateConfig::default();
    /// config.threshold = 0; // compress even "Hello"
    /// let mut compressor = config.compressor(&DeflateParams::default(), Role::Server).unwrap();
    /// let mut server = Sender::server(SendConfig::default());
    /// let mut out = Vec::new();
    /// server.data_compressed(&mut compressor, DataKind::Text, b"Hello", true, Compression::Auto, &mut out)?;
    /// assert_eq!(out, [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]); // RFC 7692 §7.2.3.1
    /// # }
    /// # Ok::<(), wswire::UsageError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Sender::text`] (nothing is compressed then), and
    /// [`UsageError::CompressionFailed`] when the engine fails on a later piece of a
    /// compressed message.
    pub fn data_compressed(
        &mut self,
        compressor: &mut Compressor,
        kind: DataKind,
        data: &[u8],
        fin: bool,
        compression: Compression,
        out: &mut Vec<u8>,
    ) -> Result<(), UsageError> {
        if self.close_sent {
            return Err(UsageError::SendAfterClose);
        }
        if let Some(open) = self.open
            && open != kind
        {
            return Err(UsageError::MessageInProgress { open });
        }
        let first = self.open.is_none();
        match compressor.compress(data, first, fin, compression == Compression::Auto) {
            Ok(Some(payload)) => {
                let rsv = if first { Rsv::RSV1 } else { Rsv::NONE };
                let r = self.data(kind, payload, fin, rsv, out);
                compressor.trim();
                r
            }
            Ok(None) => self.data(kind, data, fin, Rsv::NONE, out),
            Err(_) => Err(UsageError::CompressionFailed),
        }
    }

    /// Checks the state for a data frame of `kind` and advances it; returns its opcode.
    #[inline]
    fn begin(&mut self, kind: DataKind, fin: bool) -> Result<Opcode, UsageError> {
        if self.close_sent {
            return Err(UsageError::SendAfterClose);
        }
        let opcode = match self.open {
            Some(open) if open != kind => return Err(UsageError::MessageInProgress { open }),
            Some(_) => Opcode::Continuation,
            None if kind == DataKind::Text => Opcode::Text,
            None => Opcode::Binary,
        };
        self.open = if fin { None } else { Some(kind) };
        Ok(opcode)
    }

    /// Appends a data message, fragmented by the configuration.
    #[inline]
    pub(crate) fn data(
        &mut self,
        kind: DataKind,
        data: &[u8],
        fin: bool,
        rsv: Rsv,
        out: &mut Vec<u8>,
    ) -> Result<(), UsageError> {
        out.reserve(self.encoded_len(data.len()));
        let opcode = self.begin(kind, fin)?;
        self.for_each_piece(opcode, data, fin, rsv, |s, piece| s.push_frame(&piece, out));
        Ok(())
    }

    #[inline]
    fn data_into(
        &mut self,
        kind: DataKind,
        data: &[u8],
        fin: bool,
        out: &mut [u8],
    ) -> Result<usize, UsageError> {
        let needed = self.encoded_len(data.len());
        if out.len() < needed {
            return Err(UsageError::BufferTooSmall { needed });
        }
        let opcode = self.begin(kind, fin)?;
        let mut at = 0;
        self.for_each_piece(opcode, data, fin, Rsv::NONE, |s, piece| {
            at += s.write_frame(&piece, &mut out[at..]);
        });
        Ok(at)
    }

    fn control(
        &mut self,
        opcode: Opcode,
        payload: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), UsageError> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(UsageError::ControlPayloadTooLong { len: payload.len() });
        }
        self.push_frame(
            &Piece {
                opcode,
                fin: true,
                rsv: Rsv::NONE,
                payload,
            },
            out,
        );
        Ok(())
    }
}

/// The header length, without a mask key, for a payload of `len` bytes.
const fn header_len(len: usize) -> usize {
    if len < 126 {
        2
    } else if len <= 0xFFFF {
        4
    } else {
        10
    }
}
