//! Exponential moving average.

use super::effective_period;

/// Exponential moving average with `k = 2 / (period + 1)`, seeded with the SMA of the first
/// `period` inputs (TA-Lib `EMA`, default compatibility).
///
/// The first value (the seed) comes with the `period`-th input; after that
/// `ema = ema + k·(x − ema)`. Non-finite inputs, and inputs that would make the average
/// non-finite, are ignored.
#[derive(Debug, Clone)]
pub struct Ema {
    period: usize,
    k: f64,
    seen: usize,
    seed_sum: f64,
    value: Option<f64>,
}

impl Ema {
    /// An EMA over `period` inputs (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        let period = effective_period(period);
        Self { period, k: 2.0 / (period as f64 + 1.0), seen: 0, seed_sum: 0.0, value: None }
    }

    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value;
        }
        match self.value {
            Some(ema) => {
                let next = ema + self.k * (x - ema);
                if next.is_finite() {
                    self.value = Some(next);
                }
            }
            None => {
                self.seed_sum += x;
                self.seen += 1;
                if self.seen == self.period {
                    self.value = Some(self.seed_sum / self.period as f64);
                }
            }
        }
        self.value
    }

    /// Inputs it takes to give its first value (the first value comes with this input).
    pub fn inputs_to_first_value(&self) -> usize {
        self.period
    }

    pub fn value(&self) -> Option<f64> {
        self.value
    }

    pub fn reset(&mut self) {
        self.seen = 0;
        self.seed_sum = 0.0;
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_with_the_sma_then_smooths_with_two_over_period_plus_one() {
        let mut ema = Ema::new(3);
        assert_eq!([ema.update(1.0), ema.update(2.0)], [None, None]);
        // Seed: (1 + 2 + 3) / 3 = 2; then k = 0.5: 2 + 0.5·(6 − 2) = 4, 4 + 0.5·(0 − 4) = 2.
        assert_eq!(ema.update(3.0), Some(2.0));
        assert_eq!(ema.update(6.0), Some(4.0));
        assert_eq!(ema.update(0.0), Some(2.0));
    }

    #[test]
    fn non_finite_inputs_are_ignored_and_reset_restarts_the_seed() {
        let mut ema = Ema::new(2);
        ema.update(1.0);
        assert_eq!(ema.update(f64::NAN), None);
        assert_eq!(ema.update(3.0), Some(2.0));
        assert_eq!(ema.update(f64::NEG_INFINITY), Some(2.0));
        ema.reset();
        assert_eq!(ema.update(10.0), None);
        assert_eq!(ema.update(20.0), Some(15.0));
    }
}
