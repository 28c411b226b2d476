//! The equity curve a backtest hands back: every bar while it fits, evenly thinned beyond.

use super::metrics::EquityPoint;

/// Equity points at every `stride`-th bar (bar 0, `stride`, 2·`stride`, …), at most `capacity`
/// of them plus the last bar's. When the next point would pass the capacity the stride doubles
/// and every other kept point goes, so the kept points stay evenly spaced and memory stays
/// bounded however long the run. Metrics never read this: they are accumulated over every bar.
#[derive(Debug, Clone)]
pub(super) struct SampledCurve {
    points: Vec<EquityPoint>,
    stride: u64,
    capacity: usize,
    /// Bars offered so far.
    bars: u64,
    /// The index of the next bar to keep (a counter, so the common bar costs no division).
    next_kept: u64,
    /// Whether the latest bar offered was kept.
    last_kept: bool,
}

impl SampledCurve {
    /// A curve of at most `capacity` points (at least 2).
    pub(super) fn new(capacity: usize) -> Self {
        Self { points: Vec::new(), stride: 1, capacity: capacity.max(2), bars: 0, next_kept: 0, last_kept: false }
    }

    /// Offers the next bar; `point` is called only when it is kept.
    pub(super) fn offer(&mut self, point: impl FnOnce() -> EquityPoint) {
        self.last_kept = false;
        if self.bars == self.next_kept {
            if self.points.len() == self.capacity {
                self.thin();
            }
            if self.bars.is_multiple_of(self.stride) {
                self.points.push(point());
                self.last_kept = true;
            }
            self.next_kept = (self.bars / self.stride + 1) * self.stride;
        }
        self.bars += 1;
    }

    /// Bars between kept points.
    pub(super) fn stride(&self) -> u64 {
        self.stride
    }

    /// The kept points, with `last` (the final bar's point) appended when the stride skipped it
    /// or replacing it when it was kept.
    pub(super) fn finish(mut self, last: Option<EquityPoint>) -> Vec<EquityPoint> {
        if let Some(last) = last {
            if self.last_kept {
                self.points.pop();
            }
            self.points.push(last);
        }
        self.points
    }

    /// Doubles the stride: every other kept point goes (those at odd multiples of the old one).
    fn thin(&mut self) {
        self.stride *= 2;
        let mut index = 0;
        self.points.retain(|_| {
            index += 1;
            (index - 1) % 2 == 0
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;
    use rust_decimal::Decimal;

    fn point(bar: u64) -> EquityPoint {
        EquityPoint { time: Timestamp(bar as i64), equity: Decimal::from(bar), exposure: Decimal::ZERO }
    }

    fn run(bars: u64, capacity: usize) -> (Vec<i64>, u64) {
        let mut curve = SampledCurve::new(capacity);
        for bar in 0..bars {
            curve.offer(|| point(bar));
        }
        let stride = curve.stride();
        let last = bars.checked_sub(1).map(point);
        (curve.finish(last).iter().map(|p| p.time.millis()).collect(), stride)
    }

    #[test]
    fn a_curve_within_capacity_keeps_every_bar() {
        assert_eq!(run(5, 10), (vec![0, 1, 2, 3, 4], 1));
        assert_eq!(run(0, 10), (vec![], 1));
    }

    #[test]
    fn a_longer_curve_is_thinned_evenly_and_ends_at_the_last_bar() {
        // Capacity 4 over 10 bars: stride 1 → 2 at bar 4 → 4 at bar 8; kept 0, 4, 8, then 9.
        assert_eq!(run(10, 4), (vec![0, 4, 8, 9], 4));
        // A million bars into 1000 points: stride 1024, 977 evenly spaced points plus the last.
        let (times, stride) = run(1_000_000, 1_000);
        assert_eq!(stride, 1024);
        assert!(times.len() <= 1_001);
        assert!(times.windows(2).take(times.len() - 2).all(|w| w[1] - w[0] == 1024));
        assert_eq!(times.last(), Some(&999_999));
    }
}
