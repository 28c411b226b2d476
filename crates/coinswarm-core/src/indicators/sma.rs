//! Simple moving average.

use super::effective_period;
use super::rolling_sum::RollingSum;

/// Simple moving average: the mean of the last `period` inputs (TA-Lib `SMA`).
///
/// The first value comes with the `period`-th input. Non-finite inputs are ignored.
#[derive(Debug, Clone)]
pub struct Sma {
    window: RollingSum,
    value: Option<f64>,
}

impl Sma {
    /// An SMA over `period` inputs (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Self { window: RollingSum::new(effective_period(period)), value: None }
    }

    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value;
        }
        self.window.push(x);
        if self.window.is_full() {
            self.value = Some(self.window.sum() / self.window.len() as f64);
        }
        self.value
    }

    /// Inputs it takes to give its first value (the first value comes with this input).
    pub fn inputs_to_first_value(&self) -> usize {
        self.window.capacity()
    }

    pub fn value(&self) -> Option<f64> {
        self.value
    }

    pub fn reset(&mut self) {
        self.window.clear();
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_the_last_period_inputs_after_warm_up() {
        let mut sma = Sma::new(3);
        let out: Vec<_> = [1.0, 2.0, 3.0, 4.0, 8.0].into_iter().map(|x| sma.update(x)).collect();
        assert_eq!(out, [None, None, Some(2.0), Some(3.0), Some(5.0)]);
        assert_eq!(sma.value(), Some(5.0));
    }

    #[test]
    fn non_finite_inputs_are_ignored() {
        let mut sma = Sma::new(2);
        sma.update(1.0);
        assert_eq!(sma.update(f64::NAN), None);
        assert_eq!(sma.update(3.0), Some(2.0));
        assert_eq!(sma.update(f64::INFINITY), Some(2.0));
        assert_eq!(sma.update(5.0), Some(4.0));
    }

    #[test]
    fn period_zero_is_period_one_and_reset_forgets_history() {
        let mut sma = Sma::new(0);
        assert_eq!(sma.update(7.0), Some(7.0));
        sma.reset();
        assert_eq!(sma.value(), None);
        assert_eq!(sma.update(2.0), Some(2.0));
    }
}
