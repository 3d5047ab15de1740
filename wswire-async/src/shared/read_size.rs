//! How much room each read of the stream is offered.

/// The least room offered to each socket read once open (the connection's own buffer), at
/// first and again after reads that found little: an idle connection holds this much.
pub(super) const READ_MIN: usize = 8 * 1024;

/// The most room asked for: reached by doubling while reads fill all the room offered.
pub(super) const READ_MAX: usize = 64 * 1024;

/// The room to ask for after a read of `n` bytes into `offered`: twice as much when the read
/// filled it (more is waiting, fewer reads) and was offered all that was asked for — room cut
/// short by the connection (a frame waiting for its last bytes is offered what it needs)
/// says nothing of what waits beyond it —, half when it used under a quarter of `size`.
/// The connection shrinks its buffer back to the size asked for after each message, so an
/// idle connection soon holds only `READ_MIN`.
pub(super) fn next_read_size(size: usize, offered: usize, n: usize) -> usize {
    if n == offered && offered >= size {
        (size * 2).min(READ_MAX)
    } else if n < size / 4 {
        (size / 2).max(READ_MIN)
    } else {
        size
    }
}

#[cfg(test)]
mod tests {
    use super::{READ_MAX, READ_MIN, next_read_size};

    #[test]
    fn the_read_size_doubles_while_reads_fill_it_and_halves_back_when_they_do_not() {
        let mut size = READ_MIN;
        for _ in 0..10 {
            size = next_read_size(size, size, size);
        }
        assert_eq!(size, READ_MAX);
        // A read into more room than asked for that fills it also doubles.
        assert_eq!(
            next_read_size(READ_MIN, 4 * READ_MIN, 4 * READ_MIN),
            2 * READ_MIN
        );
        // Room cut short by the connection, filled: no more than before.
        assert_eq!(
            next_read_size(4 * READ_MIN, READ_MIN, READ_MIN),
            4 * READ_MIN
        );
        // Half full: unchanged; a small read: halved, never below the least.
        assert_eq!(next_read_size(READ_MAX, READ_MAX, READ_MAX / 2), READ_MAX);
        assert_eq!(next_read_size(READ_MAX, READ_MAX, 100), READ_MAX / 2);
        for _ in 0..10 {
            size = next_read_size(size, size, 0);
        }
        assert_eq!(size, READ_MIN);
    }
}
