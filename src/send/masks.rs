//! Where a client's masking keys come from (RFC 6455 §5.3): the sealed [`MaskGen`] sources.

use crate::frame::MaskKey;

mod sealed {
    /// Only this module's key sources exist: a client's frames can never go out unmasked or
    /// under keys nobody chose.
    pub trait Sealed {}
}

/// Where a [`Sender`](super::Sender) (or a connection) gets its masking keys: [`Unmasked`] for a server,
/// [`RandomMask`] or [`FixedMask`] for a client. Sealed; see [`ClientMasks`].
pub trait MaskGen: sealed::Sealed {
    /// The key for the next frame, or `None` to send it unmasked (servers only).
    fn next_mask(&mut self) -> Option<MaskKey>;
}

/// A key source that masks every frame — what a client must use (RFC 6455 §5.3). Implemented
/// by [`RandomMask`] and [`FixedMask`] only, so a client cannot be built over [`Unmasked`].
pub trait ClientMasks: MaskGen {}

/// No masking: what a server uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unmasked;

impl sealed::Sealed for Unmasked {}

impl MaskGen for Unmasked {
    #[inline]
    fn next_mask(&mut self) -> Option<MaskKey> {
        None
    }
}

/// A fresh key per frame from a cryptographically secure generator (RFC 6455 §5.3: "the
/// masking key MUST be derived from a strong source of entropy"), e.g. `getrandom`'s
/// `SysRng` or rand 0.10's `ThreadRng` (any `rand_core` 0.10 `CryptoRng`, re-exported as
/// [`crate::rand_core`]).
#[derive(Clone, Debug, Default)]
pub struct RandomMask<R>(pub R);

impl<R: rand_core::CryptoRng> sealed::Sealed for RandomMask<R> {}

impl<R: rand_core::CryptoRng> MaskGen for RandomMask<R> {
    #[inline]
    fn next_mask(&mut self) -> Option<MaskKey> {
        let mut key = [0u8; 4];
        self.0.fill_bytes(&mut key);
        Some(MaskKey(key))
    }
}

impl<R: rand_core::CryptoRng> ClientMasks for RandomMask<R> {}

/// The same key for every frame. **Only for tests and reproducible examples**: predictable
/// keys defeat the purpose of masking (RFC 6455 §10.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FixedMask(pub MaskKey);

impl sealed::Sealed for FixedMask {}

impl MaskGen for FixedMask {
    #[inline]
    fn next_mask(&mut self) -> Option<MaskKey> {
        Some(self.0)
    }
}

impl ClientMasks for FixedMask {}
