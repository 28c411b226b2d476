//! The sum of the last `n` values, kept exact over long runs.

use super::compensated_sum::CompensatedSum;
use super::ring::Ring;

/// The sum of the values in a fixed-size window.
///
/// Each push adds the new value and subtracts the evicted one (O(1)) into a compensated sum;
/// every `capacity` pushes the sum is re-summed from the window, so whatever rounding error
/// remains never outlives one window length.
#[derive(Debug, Clone)]
pub(crate) struct RollingSum {
    window: Ring,
    sum: CompensatedSum,
    pushes_since_resum: usize,
}

impl RollingSum {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { window: Ring::new(capacity), sum: CompensatedSum::default(), pushes_since_resum: 0 }
    }

    /// Adds `x`; returns the value evicted from a full window.
    pub(crate) fn push(&mut self, x: f64) -> Option<f64> {
        let evicted = self.window.push(x);
        self.sum.add(x);
        if let Some(evicted) = evicted {
            self.sum.add(-evicted);
        }
        self.pushes_since_resum += 1;
        if self.pushes_since_resum >= self.window.capacity() {
            self.sum = self.window.iter().collect();
            self.pushes_since_resum = 0;
        }
        evicted
    }

    pub(crate) fn sum(&self) -> f64 {
        self.sum.value()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.window.is_full()
    }

    pub(crate) fn capacity(&self) -> usize {
        self.window.capacity()
    }

    pub(crate) fn len(&self) -> usize {
        self.window.len()
    }

    pub(crate) fn clear(&mut self) {
        self.window.clear();
        self.sum = CompensatedSum::default();
        self.pushes_since_resum = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_the_last_values_and_stays_exact_on_a_long_run() {
        let mut sum = RollingSum::new(3);
        for x in [1.0, 2.0, 3.0, 4.0] {
            sum.push(x);
        }
        assert_eq!(sum.sum(), 9.0);
        // Values whose plain running add/subtract would lose the small ones; the run ends
        // between two re-sums, so only the compensated running sum is tested.
        for i in 0..100_000 {
            sum.push(if i % 2 == 0 { 1e16 } else { 0.1 });
        }
        for x in [0.2, 0.3] {
            sum.push(x);
        }
        assert_eq!(sum.sum(), 0.1 + 0.2 + 0.3);
    }
}
