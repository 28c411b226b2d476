//! Maximum drawdown: the worst fall from a peak, and the longest time spent below one.

use super::{EquityPoint, finite};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
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
        let Some(first) = curve.first() else {
            return Self::default();
        };
        let mut result = Self::default();
        let (mut peak, mut peak_index, mut underwater) = (first, 0usize, false);
        for (index, point) in curve.iter().enumerate().skip(1) {
            if point.equity >= peak.equity {
                if underwater {
                    result.record_spell(peak, peak_index, point, index);
                }
                (peak, peak_index, underwater) = (point, index, false);
            } else {
                underwater = true;
                result.fraction = result.fraction.max(fall_from(peak.equity, point.equity).unwrap_or(0.0));
            }
        }
        if underwater {
            let last_index = curve.len() - 1;
            result.record_spell(peak, peak_index, &curve[last_index], last_index);
        }
        result
    }

    fn record_spell(&mut self, peak: &EquityPoint, peak_index: usize, end: &EquityPoint, end_index: usize) {
        let duration_ms = end.time.millis().saturating_sub(peak.time.millis());
        if duration_ms > self.duration_ms {
            self.duration_ms = duration_ms;
            self.duration_bars = (end_index - peak_index) as u64;
        }
    }
}

/// `(peak − equity) / peak`, for a positive peak only.
fn fall_from(peak: Decimal, equity: Decimal) -> Option<f64> {
    if peak <= Decimal::ZERO {
        return None;
    }
    peak.checked_sub(equity)?.checked_div(peak)?.to_f64().and_then(finite)
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
