//! Average true range.

use super::effective_period;

/// Average true range with Wilder smoothing, as TA-Lib's `ATR`.
///
/// True range = max(high − low, |high − previous close|, |low − previous close|), so the first
/// bar only supplies a previous close. The first ATR is the mean of the first `period` true
/// ranges and comes with bar `period + 1`; afterwards `atr = (atr·(period − 1) + tr) / period`.
/// A bar with any non-finite price is ignored.
#[derive(Debug, Clone)]
pub struct Atr {
    period: usize,
    previous_close: Option<f64>,
    ranges: usize,
    /// Sum of true ranges during warm-up, then the ATR itself.
    average: f64,
    value: Option<f64>,
}

impl Atr {
    /// An ATR over `period` true ranges (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Self { period: effective_period(period), previous_close: None, ranges: 0, average: 0.0, value: None }
    }

    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        if !(high.is_finite() && low.is_finite() && close.is_finite()) {
            return self.value;
        }
        let Some(previous) = self.previous_close.replace(close) else {
            return self.value;
        };
        let true_range = (high - low).max((high - previous).abs()).max((low - previous).abs());
        let n = self.period as f64;
        if self.ranges < self.period {
            self.average += true_range;
            self.ranges += 1;
            if self.ranges < self.period {
                return None;
            }
            self.average /= n;
        } else {
            self.average = (self.average * (n - 1.0) + true_range) / n;
        }
        self.value = Some(self.average);
        self.value
    }

    /// Inputs it takes to give its first value (the first value comes with this bar: one more than its
    /// period, the first bar supplying only a previous close).
    pub fn inputs_to_first_value(&self) -> usize {
        self.period + 1
    }

    pub fn value(&self) -> Option<f64> {
        self.value
    }

    pub fn reset(&mut self) {
        self.previous_close = None;
        self.ranges = 0;
        self.average = 0.0;
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn true_range_uses_the_previous_close_and_wilder_smoothing() {
        let mut atr = Atr::new(2);
        assert_eq!(atr.update(10.0, 8.0, 9.0), None);
        // TR = max(11 − 9.5, |11 − 9|, |9.5 − 9|) = 2.
        assert_eq!(atr.update(11.0, 9.5, 10.0), None);
        // Gap down: TR = max(1, |8 − 10|, |7 − 10|) = 3; first ATR = (2 + 3)/2.
        assert_eq!(atr.update(8.0, 7.0, 7.5), Some(2.5));
        // TR = 1: (2.5·1 + 1)/2.
        assert_eq!(atr.update(8.0, 7.0, 7.5), Some(1.75));
    }

    #[test]
    fn bars_with_non_finite_prices_are_ignored_and_reset_forgets() {
        let mut atr = Atr::new(1);
        atr.update(2.0, 1.0, 1.5);
        assert_eq!(atr.update(f64::NAN, 1.0, 1.0), None);
        assert_eq!(atr.update(2.0, 1.5, 1.5), Some(0.5));
        atr.reset();
        assert_eq!(atr.update(2.0, 1.5, 1.5), None);
    }
}
