//! Payload masking (RFC 6455 §5.3): byte `i` of the payload is XORed with `key[i % 4]`.
//!
//! Both functions take `offset`, the number of payload bytes of this frame already masked,
//! so a payload can be masked in pieces as it arrives.
//!
//! The work is safe code over 64-byte blocks that the compiler turns into vector
//! instructions. With the `std` feature on x86/x86-64, the *same* safe code is also compiled
//! with AVX-512F and with AVX2 enabled, and the widest the CPU has is chosen at run time for
//! inputs of 512 bytes or more; `BENCHMARKS.md` shows what that buys. The call into those
//! copies is the one place the crate allows `unsafe`, and it needs a proof of detection: a
//! `wide::Level`, which only run-time CPU-feature detection can make.

/// The 4-byte masking key of a frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MaskKey(pub [u8; 4]);

impl MaskKey {
    /// The key as it applies to payload byte `offset` onwards.
    #[inline]
    pub(crate) const fn rotated(self, offset: usize) -> [u8; 4] {
        let k = self.0;
        match offset & 3 {
            0 => k,
            1 => [k[1], k[2], k[3], k[0]],
            2 => [k[2], k[3], k[0], k[1]],
            _ => [k[3], k[0], k[1], k[2]],
        }
    }
}

/// Bytes processed per iteration of the wide loop; a multiple of 8 so the key stays aligned.
const BLOCK: usize = 64;

/// Inputs at least this long use a wider-vector copy of the loops when the CPU has one.
#[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "x86")))]
pub(crate) const SIMD_MIN_LEN: usize = 512;

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
#[inline(always)]
pub fn apply_mask(buf: &mut [u8], key: MaskKey, offset: usize) {
    let key = key.rotated(offset);
    if buf.len() < BLOCK {
        // Small payloads (most frames): a few word XORs, inlined into the caller.
        portable::apply_small(buf, &key);
        return;
    }
    apply_mask_large(buf, &key);
}

/// [`apply_mask`] for payloads of a block or more, out of line.
#[inline(never)]
fn apply_mask_large(buf: &mut [u8], key: &[u8; 4]) {
    let key = *key;
    #[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "x86")))]
    if buf.len() >= SIMD_MIN_LEN
        && let Some(level) = wide::Level::detect()
    {
        // Align the stores: wide stores that straddle cache lines cost extra.
        let head = buf.as_ptr().align_offset(BLOCK).min(buf.len());
        let (a, b) = buf.split_at_mut(head);
        portable::apply(a, &key);
        wide::apply(level, b, &MaskKey(key).rotated(head));
        return;
    }
    portable::apply(buf, &key);
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
    let key = key.rotated(offset);
    #[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "x86")))]
    if n >= SIMD_MIN_LEN
        && let Some(level) = wide::Level::detect()
    {
        let head = dst.as_ptr().align_offset(BLOCK).min(n);
        let (da, db) = dst.split_at_mut(head);
        let (sa, sb) = src.split_at(head);
        portable::copy(da, sa, &key);
        wide::copy(level, db, sb, &MaskKey(key).rotated(head));
        return n;
    }
    portable::copy(dst, src, &key);
    n
}

/// Unmasks the payload at `buf[shift..]` and moves it to the front of `buf` in the same
/// pass: afterwards `buf[i]` is the old `buf[shift + i]` XORed with the key (or just moved,
/// with no key), for every `i < buf.len() - shift`; the last `shift` bytes are left as they
/// were. `offset` is how many bytes of this frame's payload came before.
///
/// The receiver uses it to put a frame's payload where its header was, so that the buffer
/// itself can be handed over as the message: the same reads and writes as unmasking in
/// place, instead of a copy afterwards.
#[inline]
pub(crate) fn shift_mask(buf: &mut [u8], shift: usize, key: Option<MaskKey>, offset: usize) {
    let Some(key) = key else {
        buf.copy_within(shift.min(buf.len()).., 0);
        return;
    };
    let key = key.rotated(offset);
    #[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "x86")))]
    let n = buf.len().saturating_sub(shift);
    #[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "x86")))]
    if n >= SIMD_MIN_LEN
        && let Some(level) = wide::Level::detect()
    {
        let head = buf.as_ptr().align_offset(BLOCK).min(n);
        portable::shift(&mut buf[..head + shift], shift, &key);
        wide::shift(level, &mut buf[head..], shift, &MaskKey(key).rotated(head));
        return;
    }
    portable::shift(buf, shift, &key);
}

/// The safe loops. Compiled for the target's baseline here, and again inside [`wide`].
pub(crate) mod portable {
    use super::BLOCK;

    /// [`super::apply_mask`] without run-time dispatch; `key` already rotated.
    #[inline(always)]
    pub(crate) fn apply(buf: &mut [u8], key: &[u8; 4]) {
        let (blocks, rest) = buf.as_chunks_mut::<BLOCK>();
        if !blocks.is_empty() {
            let key = block_key(key);
            for block in blocks {
                for (b, k) in block.iter_mut().zip(&key) {
                    *b ^= k;
                }
            }
        }
        let kw = word_key(key);
        let (words, rest) = rest.as_chunks_mut::<8>();
        for w in words {
            *w = (u64::from_ne_bytes(*w) ^ kw).to_ne_bytes();
        }
        for (b, k) in rest.iter_mut().zip(key.iter().cycle()) {
            *b ^= k;
        }
    }

    /// [`apply`] for fewer than [`BLOCK`] bytes: words, then bytes.
    #[inline(always)]
    pub(crate) fn apply_small(buf: &mut [u8], key: &[u8; 4]) {
        let kw = word_key(key);
        let (words, rest) = buf.as_chunks_mut::<8>();
        for w in words {
            *w = (u64::from_ne_bytes(*w) ^ kw).to_ne_bytes();
        }
        for (b, k) in rest.iter_mut().zip(key.iter().cycle()) {
            *b ^= k;
        }
    }

    /// [`super::copy_masked`] without run-time dispatch; equal lengths, `key` already rotated.
    #[inline(always)]
    pub(crate) fn copy(dst: &mut [u8], src: &[u8], key: &[u8; 4]) {
        let (dblocks, drest) = dst.as_chunks_mut::<BLOCK>();
        let (sblocks, srest) = src.as_chunks::<BLOCK>();
        if !dblocks.is_empty() {
            let key = block_key(key);
            for (d, s) in dblocks.iter_mut().zip(sblocks) {
                for ((d, s), k) in d.iter_mut().zip(s).zip(&key) {
                    *d = s ^ k;
                }
            }
        }
        let kw = word_key(key);
        let (dwords, drest) = drest.as_chunks_mut::<8>();
        let (swords, srest) = srest.as_chunks::<8>();
        for (d, s) in dwords.iter_mut().zip(swords) {
            *d = (u64::from_ne_bytes(*s) ^ kw).to_ne_bytes();
        }
        for ((d, s), k) in drest.iter_mut().zip(srest).zip(key.iter().cycle()) {
            *d = s ^ k;
        }
    }

    /// [`super::shift_mask`] without run-time dispatch; `key` already rotated. Forwards, a
    /// block at a time, each block read whole before it is written: the destination is
    /// before the source, so nothing is overwritten before it is read.
    #[inline(always)]
    pub(crate) fn shift(buf: &mut [u8], shift: usize, key: &[u8; 4]) {
        let n = buf.len().saturating_sub(shift);
        let mut i = 0;
        if n >= BLOCK {
            let bkey = block_key(key);
            while i + BLOCK <= n {
                let mut block = [0u8; BLOCK];
                block.copy_from_slice(&buf[i + shift..i + shift + BLOCK]);
                for (b, k) in block.iter_mut().zip(&bkey) {
                    *b ^= k;
                }
                buf[i..i + BLOCK].copy_from_slice(&block);
                i += BLOCK;
            }
        }
        let kw = word_key(key);
        while i + 8 <= n {
            let mut word = [0u8; 8];
            word.copy_from_slice(&buf[i + shift..i + shift + 8]);
            buf[i..i + 8].copy_from_slice(&(u64::from_ne_bytes(word) ^ kw).to_ne_bytes());
            i += 8;
        }
        while i < n {
            buf[i] = buf[i + shift] ^ key[i % 4];
            i += 1;
        }
    }

    /// The key repeated over a word.
    #[inline(always)]
    fn word_key(&[a, b, c, d]: &[u8; 4]) -> u64 {
        u64::from_ne_bytes([a, b, c, d, a, b, c, d])
    }

    /// The key repeated over a block.
    #[inline(always)]
    fn block_key(key: &[u8; 4]) -> [u8; BLOCK] {
        let word = word_key(key).to_ne_bytes();
        let mut block = [0u8; BLOCK];
        for chunk in block.as_chunks_mut::<8>().0 {
            *chunk = word;
        }
        block
    }
}

/// The [`portable`] loops compiled again with AVX-512F or AVX2 enabled, and chosen at run
/// time. There are no intrinsics here: the compiler vectorises the same safe code with wider
/// registers. The only `unsafe` is the call into a `#[target_feature]` function, which is
/// sound once the CPU is known to have the feature: the caller proves that with a
/// [`Level`](wide::Level), a token that only run-time detection makes.
#[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "x86")))]
#[allow(unsafe_code)]
pub(crate) mod wide {
    use super::portable;
    use level::Kind;
    pub(crate) use level::Level;

    /// The token, in a module of its own so that nothing else, not even the rest of `wide`,
    /// can make one.
    mod level {
        /// Proof that run-time detection saw the CPU support a vector extension.
        ///
        /// The field is private to this module, and the only functions here that make a
        /// `Level` are [`Level::detect`] and, in tests, `Level::all_detected`, each right
        /// after `is_x86_feature_detected!` reported the feature of the [`Kind`] it wraps.
        /// There is no other constructor (no `Default`, no `From`), so safe code anywhere
        /// else can only copy a `Level` it was given: holding one means the CPU has its
        /// feature, which is what the `unsafe` calls in `wide` rely on.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) struct Level(Kind);

        /// Which extension a [`Level`] proves. Naming a `Kind` proves nothing; only a
        /// `Level`'s does.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(super) enum Kind {
            Avx512,
            Avx2,
        }

        impl Level {
            /// The widest supported level, if any (the check is a cached atomic load).
            #[inline]
            pub(crate) fn detect() -> Option<Self> {
                if std::is_x86_feature_detected!("avx512f") {
                    Some(Self(Kind::Avx512))
                } else if std::is_x86_feature_detected!("avx2") {
                    Some(Self(Kind::Avx2))
                } else {
                    None
                }
            }

            /// Every level the CPU supports, widest first, so that tests can run each one
            /// (not only the widest) against the portable loops.
            #[cfg(test)]
            pub(crate) fn all_detected() -> impl Iterator<Item = Self> {
                let avx512 = std::is_x86_feature_detected!("avx512f").then_some(Kind::Avx512);
                let avx2 = std::is_x86_feature_detected!("avx2").then_some(Kind::Avx2);
                avx512.into_iter().chain(avx2).map(Self)
            }

            /// The extension this token proves the CPU has.
            #[inline(always)]
            pub(super) fn kind(self) -> Kind {
                self.0
            }
        }
    }

    #[target_feature(enable = "avx512f")]
    fn apply_avx512(buf: &mut [u8], key: &[u8; 4]) {
        portable::apply(buf, key);
    }

    #[target_feature(enable = "avx512f")]
    fn copy_avx512(dst: &mut [u8], src: &[u8], key: &[u8; 4]) {
        portable::copy(dst, src, key);
    }

    #[target_feature(enable = "avx2")]
    fn apply_avx2(buf: &mut [u8], key: &[u8; 4]) {
        portable::apply(buf, key);
    }

    #[target_feature(enable = "avx2")]
    fn copy_avx2(dst: &mut [u8], src: &[u8], key: &[u8; 4]) {
        portable::copy(dst, src, key);
    }

    #[target_feature(enable = "avx512f")]
    fn shift_avx512(buf: &mut [u8], shift: usize, key: &[u8; 4]) {
        portable::shift(buf, shift, key);
    }

    #[target_feature(enable = "avx2")]
    fn shift_avx2(buf: &mut [u8], shift: usize, key: &[u8; 4]) {
        portable::shift(buf, shift, key);
    }

    /// [`portable::shift`] with the wider registers of `level`.
    #[inline]
    pub(crate) fn shift(level: Level, buf: &mut [u8], shift: usize, key: &[u8; 4]) {
        match level.kind() {
            // SAFETY: as in `apply`: `level` is a token only run-time detection makes, of
            // kind `Avx512` only if `is_x86_feature_detected!("avx512f")` reported AVX-512F,
            // the one feature `shift_avx512` enables. Its body is safe code.
            Kind::Avx512 => unsafe { shift_avx512(buf, shift, key) },
            // SAFETY: as in `apply`: of kind `Avx2` only if `is_x86_feature_detected!("avx2")`
            // reported AVX2, the one feature `shift_avx2` enables.
            Kind::Avx2 => unsafe { shift_avx2(buf, shift, key) },
        }
    }

    /// [`portable::apply`] with the wider registers of `level`.
    #[inline]
    pub(crate) fn apply(level: Level, buf: &mut [u8], key: &[u8; 4]) {
        match level.kind() {
            // SAFETY: the one precondition of calling a `#[target_feature]` function is that
            // the CPU has the features it enables. `level` is a `Level`, a token that only
            // run-time detection makes (its field is private to the `level` module, whose
            // only constructors check the CPU first), and its kind is `Avx512` only if
            // `is_x86_feature_detected!("avx512f")` reported AVX-512F: the one feature
            // `apply_avx512` enables. Its body is safe code.
            Kind::Avx512 => unsafe { apply_avx512(buf, key) },
            // SAFETY: as above: a `Level` is of kind `Avx2` only if
            // `is_x86_feature_detected!("avx2")` reported AVX2, the one feature `apply_avx2`
            // enables.
            Kind::Avx2 => unsafe { apply_avx2(buf, key) },
        }
    }

    /// [`portable::copy`] with the wider registers of `level`.
    #[inline]
    pub(crate) fn copy(level: Level, dst: &mut [u8], src: &[u8], key: &[u8; 4]) {
        match level.kind() {
            // SAFETY: as in `apply`: `level` is a token only run-time detection makes, of
            // kind `Avx512` only if `is_x86_feature_detected!("avx512f")` reported AVX-512F,
            // the one feature `copy_avx512` enables. Its body is safe code.
            Kind::Avx512 => unsafe { copy_avx512(dst, src, key) },
            // SAFETY: as in `apply`: of kind `Avx2` only if `is_x86_feature_detected!("avx2")`
            // reported AVX2, the one feature `copy_avx2` enables.
            Kind::Avx2 => unsafe { copy_avx2(dst, src, key) },
        }
    }
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
        let data: [u8; 1200] = core::array::from_fn(|i| (i * 7 + 3).to_le_bytes()[0]);
        for align in 0..8 {
            for len in (0..=300).chain([511, 512, 513, 1000, 1100]) {
                for offset in 0..4 {
                    let src = &data[align..align + len];
                    let mut expected = src.to_vec();
                    bytewise(&mut expected, key, offset);
                    let mut inplace = data;
                    apply_mask(&mut inplace[align..align + len], key, offset);
                    assert_eq!(&inplace[align..align + len], &expected[..]);
                    let mut out = [0u8; 1200];
                    let n = copy_masked(&mut out[align..align + len], src, key, offset);
                    assert_eq!(n, len);
                    assert_eq!(&out[align..align + len], &expected[..]);
                }
            }
        }
    }

    /// Every wide level the CPU has against the portable loops: every length 0..=300 and
    /// around the dispatch threshold, every key offset, every alignment.
    #[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "x86")))]
    #[test]
    fn wide_paths_equal_portable_path() {
        let data: [u8; 1200] = core::array::from_fn(|i| (i * 31 + 7).to_le_bytes()[0]);
        let lens = (0..=300)
            .chain(SIMD_MIN_LEN - 40..SIMD_MIN_LEN + 300)
            .chain([1100]);
        for level in wide::Level::all_detected() {
            for len in lens.clone() {
                for align in 0..8 {
                    for offset in 0..4 {
                        let key = MaskKey([0xa1, 0x02, 0xf3, 0x5c]).rotated(offset);
                        let src = &data[align..align + len];
                        let (mut a, mut b) = (data, data);
                        portable::apply(&mut a[align..align + len], &key);
                        wide::apply(level, &mut b[align..align + len], &key);
                        assert_eq!(
                            a, b,
                            "{level:?} apply len {len} align {align} offset {offset}"
                        );
                        let (mut c, mut d) = ([0u8; 1200], [0u8; 1200]);
                        portable::copy(&mut c[align..align + len], src, &key);
                        wide::copy(level, &mut d[align..align + len], src, &key);
                        assert_eq!(
                            c, d,
                            "{level:?} copy len {len} align {align} offset {offset}"
                        );
                        assert_eq!(&c[align..align + len], &a[align..align + len]);
                    }
                }
            }
        }
    }

    /// The fused unmask-and-move against unmasking bytewise then moving: every length up
    /// to and around the wide threshold, every shift a frame header can have (2 to 14), key
    /// offset and alignment; with no key it only moves. The bytes past the payload stay.
    #[test]
    fn shift_mask_equals_unmasking_then_moving() {
        let data: [u8; 1300] = core::array::from_fn(|i| (i * 13 + 5).to_le_bytes()[0]);
        let key = MaskKey([0x9e, 0x21, 0x07, 0xc4]);
        // 512: the wide threshold (`SIMD_MIN_LEN`, which exists only with `std` on x86).
        for len in (0..=200).chain(512 - 70..512 + 70).chain([1100]) {
            for shift in 2..=14 {
                for align in [0, 1, 7] {
                    for offset in 0..4 {
                        let region = align..align + shift + len;
                        let mut expected = data;
                        let mut payload = data[align + shift..align + shift + len].to_vec();
                        bytewise(&mut payload, key, offset);
                        expected[align..align + len].copy_from_slice(&payload);
                        let mut got = data;
                        shift_mask(&mut got[region.clone()], shift, Some(key), offset);
                        assert_eq!(got, expected, "len {len} shift {shift} align {align}");
                        let mut moved = data;
                        moved.copy_within(align + shift..align + shift + len, align);
                        let mut plain = data;
                        shift_mask(&mut plain[region], shift, None, offset);
                        assert_eq!(plain, moved, "unmasked len {len} shift {shift}");
                    }
                }
            }
        }
        // A shift past the end moves nothing.
        let mut short = [1u8, 2, 3];
        shift_mask(&mut short, 5, Some(key), 0);
        shift_mask(&mut short, 5, None, 0);
        assert_eq!(short, [1, 2, 3]);
    }

    /// Every wide level against the portable loop for the fused unmask-and-move.
    #[cfg(all(feature = "std", any(target_arch = "x86_64", target_arch = "x86")))]
    #[test]
    fn wide_shift_equals_portable_shift() {
        let data: [u8; 1300] = core::array::from_fn(|i| (i * 29 + 11).to_le_bytes()[0]);
        let key = MaskKey([0x33, 0xd0, 0x5a, 0x0f]).0;
        for level in wide::Level::all_detected() {
            for len in (0..=150).chain(SIMD_MIN_LEN - 10..SIMD_MIN_LEN + 150) {
                for shift in [2, 4, 8, 14] {
                    let (mut a, mut b) = (data, data);
                    portable::shift(&mut a[3..3 + shift + len], shift, &key);
                    wide::shift(level, &mut b[3..3 + shift + len], shift, &key);
                    assert_eq!(a, b, "{level:?} len {len} shift {shift}");
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
