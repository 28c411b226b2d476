//! The highest or lowest value within a trailing time window, O(1) amortised: the circuit
//! breaker's equity and price windows and oversight's drawdown peak.

use crate::time::Timestamp;
use std::collections::VecDeque;

/// Which extreme a [`TrailingExtreme`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extreme {
    Max,
    Min,
}

/// The maximum (or minimum) of the values pushed within the last `window_ms`, inclusive: a
/// value exactly `window_ms` old still counts. The window is never narrower than the gap
/// between two observations: the previous observation always counts, however old, so a
/// window shorter than a bar still compares each bar with the one before (an hourly crash
/// is seen by a 60-second rule). A monotonic deque: each push drops the values it
/// dominates and the ones that aged out, so each value enters and leaves once (O(1)
/// amortised) and memory is bounded by the values inside the window. With a resolution,
/// times are floored to it and one value is kept per slot, bounding memory by the window's
/// slots however dense the observations. Times are expected in non-decreasing order; an
/// earlier time is kept in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TrailingExtreme<T> {
    extreme: Extreme,
    window_ms: i64,
    /// Times are floored to a multiple of this (1: exact).
    resolution_ms: i64,
    /// Candidates, oldest first, strictly decreasing (Max) or increasing (Min) in value.
    candidates: VecDeque<(Timestamp, T)>,
}

impl<T: PartialOrd + Copy> TrailingExtreme<T> {
    pub(crate) fn new(extreme: Extreme, window_ms: i64) -> Self {
        Self { extreme, window_ms, resolution_ms: 1, candidates: VecDeque::new() }
    }

    /// Floors times to a multiple of `resolution_ms` (at least 1), keeping one value per slot.
    pub(crate) fn with_resolution(mut self, resolution_ms: i64) -> Self {
        self.resolution_ms = resolution_ms.max(1);
        self
    }

    /// Adds `value` at `time` and returns the extreme of the window ending at `time`
    /// (`value` itself included, and the previous observation however old).
    pub(crate) fn push(&mut self, time: Timestamp, value: T) -> T {
        let time = Timestamp(time.millis().div_euclid(self.resolution_ms) * self.resolution_ms);
        let oldest = time.plus_millis(self.window_ms.saturating_neg());
        // The back is the previous observation: it stays, whatever its age.
        while self.candidates.len() > 1 && self.candidates.front().is_some_and(|&(at, _)| at < oldest) {
            self.candidates.pop_front();
        }
        let dominated = |kept: &T| match self.extreme {
            Extreme::Max => *kept <= value,
            Extreme::Min => *kept >= value,
        };
        if let Some(&(at, kept)) = self.candidates.back()
            && at == time
            && !dominated(&kept)
        {
            // The slot already holds a more extreme value.
            return self.candidates.front().map_or(value, |&(_, extreme)| extreme);
        }
        while self.candidates.back().is_some_and(|(_, kept)| dominated(kept)) {
            self.candidates.pop_back();
        }
        self.candidates.push_back((time, value));
        self.candidates.front().map_or(value, |&(_, extreme)| extreme)
    }

    /// The extreme within the window as of the last push, `None` before any.
    pub(crate) fn current(&self) -> Option<T> {
        self.candidates.front().map(|&(_, extreme)| extreme)
    }

    pub(crate) fn clear(&mut self) {
        self.candidates.clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
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

    #[test]
    fn the_previous_observation_counts_however_old_so_the_window_spans_at_least_one_bar() {
        let mut window = TrailingExtreme::new(Extreme::Max, 60);
        assert_eq!(window.push(Timestamp(0), 100), 100);
        assert_eq!(window.push(Timestamp(3_600), 85), 100, "an hour later, the previous bar still counts");
        assert_eq!(window.push(Timestamp(7_200), 80), 85, "but not the one before it");
    }

    #[test]
    fn with_a_resolution_one_value_is_kept_per_slot() {
        let mut window = TrailingExtreme::new(Extreme::Max, 1_000).with_resolution(100);
        for t in 0..1_000 {
            window.push(Timestamp(t), 1_000 - t);
        }
        assert_eq!(window.len(), 10, "one candidate per 100 ms slot");
        assert_eq!(window.current(), Some(1_000));
        assert_eq!(window.push(Timestamp(1_150), 0), 900, "slot 0 aged out; slot 100 held 900");
    }
}
