//! The highest or lowest value within a trailing time window, O(1) amortised.

use crate::time::Timestamp;
use std::collections::VecDeque;

/// Which extreme a [`TrailingExtreme`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Extreme {
    Max,
    Min,
}

/// The maximum (or minimum) of the values pushed within the last `window_ms`, inclusive: a
/// value exactly `window_ms` old still counts. A monotonic deque: each push drops the
/// values it dominates and the ones that aged out, so each value enters and leaves once
/// (O(1) amortised) and memory is bounded by the values inside the window. Times are
/// expected in non-decreasing order; an earlier time is kept in arrival order.
#[derive(Debug, Clone)]
pub(super) struct TrailingExtreme<T> {
    extreme: Extreme,
    window_ms: i64,
    /// Candidates, oldest first, strictly decreasing (Max) or increasing (Min) in value.
    candidates: VecDeque<(Timestamp, T)>,
}

impl<T: PartialOrd + Copy> TrailingExtreme<T> {
    pub(super) fn new(extreme: Extreme, window_ms: i64) -> Self {
        Self { extreme, window_ms, candidates: VecDeque::new() }
    }

    /// Adds `value` at `time` and returns the extreme of the window ending at `time`
    /// (`value` itself included).
    pub(super) fn push(&mut self, time: Timestamp, value: T) -> T {
        let oldest = time.plus_millis(self.window_ms.saturating_neg());
        while self.candidates.front().is_some_and(|&(at, _)| at < oldest) {
            self.candidates.pop_front();
        }
        let dominated = |kept: &T| match self.extreme {
            Extreme::Max => *kept <= value,
            Extreme::Min => *kept >= value,
        };
        while self.candidates.back().is_some_and(|(_, kept)| dominated(kept)) {
            self.candidates.pop_back();
        }
        self.candidates.push_back((time, value));
        self.candidates.front().map_or(value, |&(_, extreme)| extreme)
    }

    pub(super) fn clear(&mut self) {
        self.candidates.clear();
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.candidates.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_maximum_ages_out_of_the_window_inclusively() {
        let mut window = TrailingExtreme::new(Extreme::Max, 10);
        assert_eq!(window.push(Timestamp(0), 5), 5);
        assert_eq!(window.push(Timestamp(3), 2), 5);
        assert_eq!(window.push(Timestamp(10), 1), 5, "exactly 10 ms old still counts");
        assert_eq!(window.push(Timestamp(11), 1), 2);
        assert_eq!(window.push(Timestamp(14), 0), 1);
    }

    #[test]
    fn the_minimum_is_tracked_and_memory_is_bounded_by_the_window() {
        let mut window = TrailingExtreme::new(Extreme::Min, 100);
        for t in 0..10_000 {
            assert_eq!(window.push(Timestamp(t), t), (t - 100).max(0));
        }
        assert_eq!(window.len(), 101, "only the values inside the window are kept");
        assert_eq!(window.push(Timestamp(10_000), -1), -1);
        assert_eq!(window.len(), 1, "a new minimum drops every value it dominates");
    }
}
