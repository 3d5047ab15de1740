//! Wakers: the write-readiness slots both halves of a WebSocket share, and the armed sleep's.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use crate::runtime::Runtime;

/// Which half polls: each has a waker slot for write readiness, so that a write that one
/// half started and the other finished wakes both.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Side {
    Reader = 0,
    Writer = 1,
}

/// Wakes every half waiting for the stream to become writable.
#[derive(Debug, Default)]
pub(super) struct WriteWakers {
    slots: Mutex<[Option<Waker>; 2]>,
    /// How many times the slots were emptied (changed under the lock, with them).
    wakes: AtomicU64,
}

/// What each half last put in its slot, with [`WriteWakers`]' wake count then: while
/// neither changed, the slot still holds that waker, so registering it again needs no lock
/// (the common case: every read and write of a connection polls with the same task).
#[derive(Debug, Default)]
pub(super) struct Registered([Option<(Waker, u64)>; 2]);

impl WriteWakers {
    pub(super) fn register(&self, side: Side, waker: &Waker, registered: &mut Registered) {
        let seen = &mut registered.0[side as usize];
        // A wake after this load wakes the waker still in the slot, i.e. `waker`.
        let wakes = self.wakes.load(Ordering::Acquire);
        if seen
            .as_ref()
            .is_some_and(|(w, n)| *n == wakes && w.will_wake(waker))
        {
            return;
        }
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = &mut slots[side as usize];
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
        *seen = Some((waker.clone(), self.wakes.load(Ordering::Relaxed)));
    }
}

impl Wake for WriteWakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let woken: Vec<Waker> = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.wakes.fetch_add(1, Ordering::Release);
            slots.iter_mut().filter_map(Option::take).collect()
        };
        woken.into_iter().for_each(Waker::wake);
    }
}

/// Polls the armed sleep; when it is pending, notes the waker it will wake.
pub(super) fn poll_sleep<S, R: Runtime<S>>(
    sleep: Pin<&mut R::Sleep>,
    registered: &mut Option<Waker>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if sleep.poll(cx).is_ready() {
        return Poll::Ready(());
    }
    if !registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        *registered = Some(cx.waker().clone());
    }
    Poll::Pending
}
