//! Rate of change.

use super::effective_period;
use super::ring::Ring;

/// Rate of change in percent: `(x / x[t − period] − 1)·100` (TA-Lib `ROC`).
///
/// The first value comes with input `period + 1`. As in TA-Lib, the rate is 0 when
/// `x[t − period]` is 0. Non-finite inputs are ignored.
#[derive(Debug, Clone)]
pub struct Roc {
    /// The last `period` inputs; the oldest is `x[t − period]` for the next input.
    history: Ring,
    value: Option<f64>,
}

impl Roc {
    /// Rate of change over `period` inputs (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Self { history: Ring::new(effective_period(period)), value: None }
    }

    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value;
        }
        if let Some(then) = self.history.push(x) {
            let rate = if then != 0.0 { (x / then - 1.0) * 100.0 } else { 0.0 };
            // A tiny `then` can overflow the ratio; keep the last finite rate instead.
            if rate.is_finite() {
                self.value = Some(rate);
            }
        }
        self.value
    }

    pub fn value(&self) -> Option<f64> {
        self.value
    }

    pub fn reset(&mut self) {
        self.history.clear();
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_change_from_period_inputs_ago() {
        let mut roc = Roc::new(2);
        let out: Vec<_> = [100.0, 0.0, 110.0, f64::NAN, 50.0].into_iter().map(|x| roc.update(x)).collect();
        assert_eq!(out[..2], [None, None]);
        assert!((out[2].unwrap() - 10.0).abs() < 1e-12);
        assert!((out[3].unwrap() - 10.0).abs() < 1e-12);
        // Against a 0 from two inputs ago: 0, as TA-Lib.
        assert_eq!(out[4], Some(0.0));
        roc.reset();
        assert_eq!(roc.value(), None);
    }
}
