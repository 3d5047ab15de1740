//! Payload masking (RFC 6455 §5.3): byte `i` of the payload is XORed with `key[i % 4]`.
//!
//! Both functions take `offset`, the number of payload bytes of this frame already masked,
//! so a payload can be masked in pieces as it arrives. They work a machine word at a time in
//! safe code; the compiler turns the inner loop into vector instructions.

/// The 4-byte masking key of a frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MaskKey(pub [u8; 4]);

impl MaskKey {
    /// The key as it applies to payload byte `offset` onwards.
    #[inline]
    const fn rotated(self, offset: usize) -> [u8; 4] {
        let k = self.0;
        match offset & 3 {
            0 => k,
            1 => [k[1], k[2], k[3], k[0]],
            2 => [k[2], k[3], k[0], k[1]],
            _ => [k[3], k[0], k[1], k[2]],
        }
    }
}

/// Bytes processed per iteration of the wide loop; a multiple of 4 so the key stays aligned.
const BLOCK: usize = 32;

#[inline]
fn wide_key(k: [u8; 4]) -> u64 {
    u64::from_ne_bytes([k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]])
}

/// Masks (or unmasks) `buf` in place; `offset` is how many bytes of this frame's payload came
/// before `buf`.
///
/// ```
/// use wswire::frame::{apply_mask, MaskKey};
/// let key = MaskKey([0x37, 0xfa, 0x21, 0x3d]);
/// let mut hello = *b"Hello";
/// apply_mask(&mut hello, key, 0);
/// assert_eq!(hello, [0x7f, 0x9f, 0x4d, 0x51, 0x58]); // RFC 6455 §5.7
/// // The same result in two pieces:
/// let mut a = *b"Hello";
/// let (x, y) = a.split_at_mut(3);
/// apply_mask(x, key, 0);
/// apply_mask(y, key, 3);
/// assert_eq!(a, hello);
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: MaskKey, offset: usize) {
    let k = key.rotated(offset);
    let kw = wide_key(k);
    let (blocks, rest) = buf.as_chunks_mut::<BLOCK>();
    for block in blocks {
        let (words, _) = block.as_chunks_mut::<8>();
        for w in words {
            *w = (u64::from_ne_bytes(*w) ^ kw).to_ne_bytes();
        }
    }
    for (i, b) in rest.iter_mut().enumerate() {
        *b ^= k[i & 3];
    }
}

/// Copies `src` into `dst` masking as it goes, over `min(src.len(), dst.len())` bytes, and
/// returns that count; `offset` is how many bytes of this frame's payload came before `src`.
///
/// This is the sender's fused copy+mask: one pass over the payload instead of a copy then
/// an in-place XOR.
///
/// ```
/// use wswire::frame::{copy_masked, MaskKey};
/// let mut out = [0u8; 5];
/// let n = copy_masked(&mut out, b"Hello", MaskKey([0x37, 0xfa, 0x21, 0x3d]), 0);
/// assert_eq!((n, out), (5, [0x7f, 0x9f, 0x4d, 0x51, 0x58]));
/// ```
#[inline]
pub fn copy_masked(dst: &mut [u8], src: &[u8], key: MaskKey, offset: usize) -> usize {
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    let k = key.rotated(offset);
    let kw = wide_key(k);
    let (dblocks, drest) = dst.as_chunks_mut::<BLOCK>();
    let (sblocks, srest) = src.as_chunks::<BLOCK>();
    for (d, s) in dblocks.iter_mut().zip(sblocks) {
        let (dw, _) = d.as_chunks_mut::<8>();
        let (sw, _) = s.as_chunks::<8>();
        for (d, s) in dw.iter_mut().zip(sw) {
            *d = (u64::from_ne_bytes(*s) ^ kw).to_ne_bytes();
        }
    }
    for (i, (d, s)) in drest.iter_mut().zip(srest).enumerate() {
        *d = *s ^ k[i & 3];
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytewise(buf: &mut [u8], key: MaskKey, offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key.0[(offset + i) % 4];
        }
    }

    #[test]
    fn every_length_offset_and_alignment_matches_bytewise() {
        let key = MaskKey([0x12, 0x34, 0x56, 0x78]);
        let data: [u8; 340] = core::array::from_fn(|i| (i * 7 + 3).to_le_bytes()[0]);
        for align in 0..8 {
            for len in 0..=300 {
                for offset in 0..4 {
                    let src = &data[align..align + len];
                    let mut expected = src.to_vec();
                    bytewise(&mut expected, key, offset);
                    let mut inplace = data;
                    apply_mask(&mut inplace[align..align + len], key, offset);
                    assert_eq!(&inplace[align..align + len], &expected[..]);
                    let mut out = [0u8; 340];
                    let n = copy_masked(&mut out[align..align + len], src, key, offset);
                    assert_eq!(n, len);
                    assert_eq!(&out[align..align + len], &expected[..]);
                }
            }
        }
    }

    #[test]
    fn copy_masked_stops_at_the_shorter_slice() {
        let mut out = [0u8; 3];
        assert_eq!(copy_masked(&mut out, b"Hello", MaskKey([1, 2, 3, 4]), 0), 3);
        assert_eq!(out, [b'H' ^ 1, b'e' ^ 2, b'l' ^ 3]);
        assert_eq!(copy_masked(&mut [0u8; 8], b"", MaskKey([1, 2, 3, 4]), 0), 0);
    }
}
