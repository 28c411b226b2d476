//! Momentum.

use super::effective_period;
use super::ring::Ring;

/// Momentum: `x − x[t − period]` (TA-Lib `MOM`).
///
/// The first value comes with input `period + 1`. Non-finite inputs are ignored.
#[derive(Debug, Clone)]
pub struct Momentum {
    /// The last `period` inputs; the oldest is `x[t − period]` for the next input.
    history: Ring,
    value: Option<f64>,
}

impl Momentum {
    /// Momentum over `period` inputs (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Self { history: Ring::new(effective_period(period)), value: None }
    }

    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value;
        }
        if let Some(then) = self.history.push(x) {
            self.value = Some(x - then);
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
    fn difference_from_period_inputs_ago() {
        let mut mom = Momentum::new(2);
        let out: Vec<_> = [1.0, 4.0, 2.0, f64::NAN, 10.0].into_iter().map(|x| mom.update(x)).collect();
        assert_eq!(out, [None, None, Some(1.0), Some(1.0), Some(6.0)]);
        mom.reset();
        assert_eq!(mom.update(1.0), None);
    }
}
