//! Mean and population variance of the last `n` values, kept exact over long runs.

use super::compensated_sum::CompensatedSum;
use super::ring::Ring;

/// Mean and population variance of the values in a fixed-size window.
///
/// Sums are kept of `x − shift` and `(x − shift)²` with `shift` near the window's mean, so
/// the variance `Σd²/n − (Σd/n)²` does not cancel catastrophically at price levels far from
/// zero; both are compensated sums. Every `capacity` pushes the shift moves to the current mean and both sums are
/// re-summed from the window (amortised O(1)), so drift never outlives one window length.
/// A window whose values are all equal has a variance of exactly 0.
#[derive(Debug, Clone)]
pub(crate) struct RollingMoments {
    window: Ring,
    shift: f64,
    /// Σ(x − shift) over the window.
    sum: CompensatedSum,
    /// Σ(x − shift)² over the window.
    sum_sq: CompensatedSum,
    pushes_since_resum: usize,
    /// How many of the latest values equal the latest one (capped at the capacity).
    equal_run: usize,
    latest: f64,
}

impl RollingMoments {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            window: Ring::new(capacity),
            shift: 0.0,
            sum: CompensatedSum::default(),
            sum_sq: CompensatedSum::default(),
            pushes_since_resum: 0,
            equal_run: 0,
            latest: 0.0,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.window.capacity()
    }

    /// Adds `x`, evicting the oldest value of a full window.
    pub(crate) fn push(&mut self, x: f64) {
        if self.window.len() == 0 {
            self.shift = x;
        }
        if let Some(evicted) = self.window.push(x) {
            let d = evicted - self.shift;
            self.sum.add(-d);
            self.sum_sq.add(-(d * d));
        }
        let d = x - self.shift;
        self.sum.add(d);
        self.sum_sq.add(d * d);
        self.equal_run =
            if self.equal_run > 0 && x == self.latest { (self.equal_run + 1).min(self.window.capacity()) } else { 1 };
        self.latest = x;
        self.pushes_since_resum += 1;
        if self.pushes_since_resum >= self.window.capacity() {
            self.resum();
        }
    }

    fn resum(&mut self) {
        let n = self.window.len() as f64;
        self.shift = self.window.iter().sum::<f64>() / n;
        let shift = self.shift;
        self.sum = self.window.iter().map(|x| x - shift).collect();
        self.sum_sq = self.window.iter().map(|x| (x - shift) * (x - shift)).collect();
        self.pushes_since_resum = 0;
    }

    pub(crate) fn is_full(&self) -> bool {
        self.window.is_full()
    }

    /// Mean of the window; 0 for an empty one.
    pub(crate) fn mean(&self) -> f64 {
        match self.window.len() {
            0 => 0.0,
            n => self.shift + self.sum.value() / n as f64,
        }
    }

    /// Population variance (divided by n, as TA-Lib's `STDDEV`); never negative.
    pub(crate) fn variance(&self) -> f64 {
        let n = self.window.len();
        if n == 0 || self.equal_run >= n {
            return 0.0;
        }
        let mean_d = self.sum.value() / n as f64;
        (self.sum_sq.value() / n as f64 - mean_d * mean_d).max(0.0)
    }

    pub(crate) fn std_dev(&self) -> f64 {
        self.variance().sqrt()
    }

    pub(crate) fn clear(&mut self) {
        self.window.clear();
        self.sum = CompensatedSum::default();
        self.sum_sq = CompensatedSum::default();
        self.pushes_since_resum = 0;
        self.equal_run = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_population_variance_of_the_window() {
        let mut m = RollingMoments::new(4);
        for x in [100.0, 2.0, 4.0, 4.0, 4.0, 5.0] {
            m.push(x);
        }
        // Window [4, 4, 4, 5]: mean 4.25, variance (3·0.0625 + 0.5625)/4 = 0.1875.
        assert_eq!(m.mean(), 4.25);
        assert!((m.variance() - 0.1875).abs() < 1e-15);
    }

    #[test]
    fn an_equal_window_has_exactly_zero_variance() {
        let mut m = RollingMoments::new(3);
        for x in [50_000.1, 49_999.7, 50_000.3, 50_000.3, 50_000.3] {
            m.push(x);
        }
        assert_eq!(m.variance(), 0.0);
    }

    #[test]
    fn small_variance_at_a_high_level_survives_a_long_run() {
        let mut m = RollingMoments::new(20);
        for i in 0..100_000 {
            m.push(1e6 + (i % 7) as f64 * 1e3);
        }
        // 27 more pushes end the run 7 pushes after a re-sum, on a window of ten `high`
        // and ten 1e6: variance (high − 1e6)²/4, computed from the representable `high`.
        let high = 1e6 + 0.01;
        for i in 0..27 {
            m.push(if i % 2 == 0 { high } else { 1e6 });
        }
        let expected = (high - 1e6) * (high - 1e6) / 4.0;
        assert!((m.variance() / expected - 1.0).abs() < 1e-9, "{} vs {expected}", m.variance());
    }
}
