//! How a [`Sender`] writes frames: a message split per `max_frame_payload`, each frame's
//! header (RFC 6455 §5.2) and its payload, masked with the next key for a client (§5.3).

use alloc::vec::Vec;

use super::{MaskGen, Piece, Sender};
use crate::frame::{FrameHeader, MAX_HEADER_LEN, MaskKey, Opcode, Rsv, apply_mask, copy_masked};

impl<M: MaskGen> Sender<M> {
    /// Splits `data` into frames per `max_frame_payload`: the first carries `opcode` and
    /// `rsv`, the rest are continuations; only the last may carry FIN.
    #[inline]
    pub(super) fn for_each_piece(
        &mut self,
        opcode: Opcode,
        data: &[u8],
        fin: bool,
        rsv: Rsv,
        mut f: impl FnMut(&mut Self, Piece<'_>),
    ) {
        let max = match self.config.max_frame_payload {
            Some(max) if max > 0 && data.len() > max => max,
            _ => {
                return f(
                    self,
                    Piece {
                        opcode,
                        fin,
                        rsv,
                        payload: data,
                    },
                );
            }
        };
        let mut chunks = data.chunks(max).peekable();
        let (mut opcode, mut rsv) = (opcode, rsv);
        while let Some(payload) = chunks.next() {
            let last = chunks.peek().is_none();
            f(
                self,
                Piece {
                    opcode,
                    fin: fin && last,
                    rsv,
                    payload,
                },
            );
            opcode = Opcode::Continuation;
            rsv = Rsv::NONE;
        }
    }

    /// A client's next key (a [`ClientMasks`](super::ClientMasks) source, so always one); a server's is `None`.
    #[inline]
    pub(super) fn next_mask(&mut self) -> Option<MaskKey> {
        self.masks.next_mask()
    }

    #[inline]
    pub(super) fn header(
        &mut self,
        piece: &Piece<'_>,
    ) -> ([u8; MAX_HEADER_LEN], usize, Option<MaskKey>) {
        let mask = self.next_mask();
        let header = FrameHeader {
            fin: piece.fin,
            rsv: piece.rsv,
            opcode: piece.opcode,
            mask,
            payload_len: piece.payload.len() as u64,
        };
        let mut bytes = [0u8; MAX_HEADER_LEN];
        // Cannot fail: control payloads were checked (≤ 125, FIN set) and a slice's length
        // is below 2^63.
        let len = header.encode(&mut bytes).unwrap_or(0);
        (bytes, len, mask)
    }

    #[inline]
    pub(super) fn push_frame(&mut self, piece: &Piece<'_>, out: &mut Vec<u8>) {
        let (bytes, len, mask) = self.header(piece);
        // A fixed-size copy of the whole header buffer, then the length cut back: cheaper than
        // a variable-length copy (a call to memcpy) for 2–14 bytes.
        let at = out.len() + len;
        out.extend_from_slice(&bytes);
        out.truncate(at);
        out.extend_from_slice(piece.payload);
        if let Some(key) = mask {
            apply_mask(&mut out[at..], key, 0);
        }
    }

    /// Writes one frame into `out`, which the caller sized with `encoded_len`.
    #[inline]
    pub(super) fn write_frame(&mut self, piece: &Piece<'_>, out: &mut [u8]) -> usize {
        let (bytes, len, mask) = self.header(piece);
        let (head, body) = out.split_at_mut(len.min(out.len()));
        head.copy_from_slice(&bytes[..head.len()]);
        let n = piece.payload.len().min(body.len());
        match mask {
            Some(key) => {
                copy_masked(&mut body[..n], piece.payload, key, 0);
            }
            None => body[..n].copy_from_slice(&piece.payload[..n]),
        }
        head.len() + n
    }
}
