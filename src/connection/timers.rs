//! The connection's timers: one table of deadlines (quinn-proto's `TimerTable` is the model).

use core::time::Duration;

/// A connection timer; see the [module docs](super#timers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Timer {
    /// The opening handshake's deadline (`Connecting`).
    Handshake,
    /// The closing handshake's deadline (`CloseSent`; a client's wait for the server's EOF).
    Close,
    /// Send a Ping after a quiet spell (`Open`).
    Keepalive,
    /// Give up on a silent peer (`Open`, `CloseSent`).
    Idle,
}

impl Timer {
    const ALL: [Self; 4] = [Self::Handshake, Self::Close, Self::Keepalive, Self::Idle];
}

/// The deadline of each [`Timer`], or `None` when it is not running.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct TimerTable([Option<Duration>; 4]);

impl TimerTable {
    pub(super) fn set(&mut self, timer: Timer, at: Option<Duration>) {
        self.0[timer as usize] = at;
    }

    pub(super) fn stop(&mut self, timer: Timer) {
        self.set(timer, None);
    }

    /// Moves every running deadline `by` later.
    pub(super) fn shift(&mut self, by: Duration) {
        for at in self.0.iter_mut().flatten() {
            *at += by;
        }
    }

    /// The earliest deadline.
    pub(super) fn next(&self) -> Option<Duration> {
        self.0.iter().flatten().min().copied()
    }

    /// Stops and returns the first timer due at `now` (in [`Timer::ALL`] order).
    pub(super) fn pop_due(&mut self, now: Duration) -> Option<Timer> {
        let due = Timer::ALL
            .into_iter()
            .find(|&t| self.0[t as usize].is_some_and(|at| at <= now))?;
        self.stop(due);
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::{Timer, TimerTable};
    use core::time::Duration;

    #[test]
    fn the_earliest_deadline_fires_first_and_only_once() {
        let s = Duration::from_secs;
        let mut t = TimerTable::default();
        assert_eq!(t.next(), None);
        t.set(Timer::Idle, Some(s(5)));
        t.set(Timer::Keepalive, Some(s(3)));
        assert_eq!(t.next(), Some(s(3)));
        assert_eq!(t.pop_due(s(2)), None);
        assert_eq!(t.pop_due(s(4)), Some(Timer::Keepalive));
        assert_eq!(t.pop_due(s(4)), None);
        t.shift(s(10));
        assert_eq!(t.next(), Some(s(15)));
        t.stop(Timer::Idle);
        assert_eq!(t.next(), None);
    }
}
