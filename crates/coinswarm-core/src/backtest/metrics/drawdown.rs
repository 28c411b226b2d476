//! Maximum drawdown: the worst fall from a peak, and the longest time spent below one.

use super::{EquityPoint, finite};
use crate::market::decimal_to_f64;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The deepest drawdown of an equity curve and its longest underwater spell.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MaxDrawdown {
    /// Largest `(peak − equity) / peak` over the curve, where `peak` is the highest equity up to
    /// that point: 0.2 is a 20 % fall. 0 for a curve that never falls below a previous high (and
    /// for zero or one point). Above 1 when equity falls below zero. Measured only under a
    /// positive peak: while the running peak is zero or negative there is no fraction to take.
    pub fraction: f64,
    /// Longest underwater spell in milliseconds: from a peak's time to the first later point
    /// whose equity is back at or above that peak, or to the last point if it never recovers.
    /// This is the longest spell, which need not be the deepest one. 0 when never underwater.
    pub duration_ms: i64,
    /// The same spell counted in bars (points from the peak to the recovery or the end).
    pub duration_bars: u64,
}

impl MaxDrawdown {
    /// Walks the curve once, tracking the running peak. Equity equal to the peak counts as
    /// recovered. On spells of equal length in time, the first one is reported.
    pub fn compute(curve: &[EquityPoint]) -> Self {
        let mut tracker = DrawdownTracker::default();
        curve.iter().for_each(|p| tracker.record(p.time, decimal_to_f64(p.equity)));
        tracker.finish()
    }
}

/// [`MaxDrawdown`] followed one point at a time, in constant memory.
#[derive(Debug, Clone, Copy, Default)]
pub struct DrawdownTracker {
    result: MaxDrawdown,
    /// The running peak: (index, time, equity).
    peak: Option<(u64, Timestamp, f64)>,
    /// The latest point: (index, time).
    last: Option<(u64, Timestamp)>,
    underwater: bool,
}

impl DrawdownTracker {
    /// Adds the next point of the curve (in time order).
    pub fn record(&mut self, time: Timestamp, equity: f64) {
        let index = self.last.map_or(0, |(i, _)| i + 1);
        self.last = Some((index, time));
        let Some((peak_index, peak_time, peak)) = self.peak else {
            self.peak = Some((index, time, equity));
            return;
        };
        if equity >= peak {
            if self.underwater {
                self.record_spell(peak_index, peak_time, index, time);
            }
            self.peak = Some((index, time, equity));
            self.underwater = false;
        } else {
            self.underwater = true;
            self.result.fraction = self.result.fraction.max(fall_from(peak, equity).unwrap_or(0.0));
        }
    }

    /// The drawdown so far; a spell still underwater lasts to the latest point.
    pub fn finish(&self) -> MaxDrawdown {
        let mut result = *self;
        if let (true, Some((peak_index, peak_time, _)), Some((index, time))) = (self.underwater, self.peak, self.last) {
            result.record_spell(peak_index, peak_time, index, time);
        }
        result.result
    }

    fn record_spell(&mut self, peak_index: u64, peak_time: Timestamp, end_index: u64, end_time: Timestamp) {
        let duration_ms = end_time.millis().saturating_sub(peak_time.millis());
        if duration_ms > self.result.duration_ms {
            self.result.duration_ms = duration_ms;
            self.result.duration_bars = end_index - peak_index;
        }
    }
}

/// `(peak − equity) / peak`, for a positive peak only.
fn fall_from(peak: f64, equity: f64) -> Option<f64> {
    if peak <= 0.0 {
        return None;
    }
    finite((peak - equity) / peak)
}

#[cfg(test)]
mod tests {
    use super::super::test_curves::{daily, reference};
    use super::*;
    use crate::time::DAY_MS;

    #[test]
    fn reference_curve_falls_20_percent_for_two_bars() {
        // Peak 125 on day 1, trough 100 on day 2: (125 − 100) / 125 = 0.2; back to 125 on day 3,
        // so the spell lasts day 1 → day 3 = 2 bars = 2 days.
        let drawdown = MaxDrawdown::compute(&reference());
        assert_eq!(drawdown, MaxDrawdown { fraction: 0.2, duration_ms: 2 * DAY_MS, duration_bars: 2 });
    }

    #[test]
    fn an_unrecovered_drawdown_lasts_to_the_end() {
        // Peak 100 on day 0, trough 80 on day 1 (0.2), still below on day 3: 3 bars.
        let drawdown = MaxDrawdown::compute(&daily(&[100, 80, 90, 95]));
        assert_eq!(drawdown, MaxDrawdown { fraction: 0.2, duration_ms: 3 * DAY_MS, duration_bars: 3 });
    }

    #[test]
    fn the_longest_spell_need_not_be_the_deepest() {
        // Deep and short: 100 → 50 (0.5) → 100 on day 2 (2 bars). Shallow and long: 100 → 99 →
        // 99 → 99 → 100 on day 6 (4 bars).
        let drawdown = MaxDrawdown::compute(&daily(&[100, 50, 100, 99, 99, 99, 100]));
        assert_eq!(drawdown, MaxDrawdown { fraction: 0.5, duration_ms: 4 * DAY_MS, duration_bars: 4 });
    }

    #[test]
    fn a_rising_or_short_curve_has_no_drawdown() {
        assert_eq!(MaxDrawdown::compute(&daily(&[100, 100, 110, 120])), MaxDrawdown::default());
        assert_eq!(MaxDrawdown::compute(&daily(&[100])), MaxDrawdown::default());
        assert_eq!(MaxDrawdown::compute(&[]), MaxDrawdown::default());
    }

    #[test]
    fn equity_below_zero_is_a_drawdown_above_one() {
        // (100 − (−20)) / 100 = 1.2.
        let drawdown = MaxDrawdown::compute(&daily(&[100, -20]));
        assert_eq!(drawdown.fraction, 1.2);
        // A curve that starts at zero has no positive peak until it rises above it.
        let from_zero = MaxDrawdown::compute(&daily(&[0, -10, 50, 40]));
        assert_eq!(from_zero.fraction, 0.2);
        assert_eq!((from_zero.duration_ms, from_zero.duration_bars), (2 * DAY_MS, 2));
    }
}
