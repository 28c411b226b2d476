//! Relative strength index.

use super::effective_period;

/// Relative strength index with Wilder smoothing, as TA-Lib's `RSI`.
///
/// The first average gain and loss are the simple means of the first `period` close-to-close
/// changes, so the first value comes with close `period + 1`; afterwards
/// `avg = (avg·(period − 1) + change) / period`. RSI = 100·avg_gain / (avg_gain + avg_loss):
/// 100 when there are no losses, and 50 when prices were flat (TA-Lib returns 0 there; a
/// flat market is neither overbought nor oversold). Non-finite closes are ignored.
#[derive(Debug, Clone)]
pub struct Rsi {
    period: usize,
    previous_close: Option<f64>,
    changes: usize,
    avg_gain: f64,
    avg_loss: f64,
    value: Option<f64>,
}

impl Rsi {
    /// An RSI over `period` changes (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        Self {
            period: effective_period(period),
            previous_close: None,
            changes: 0,
            avg_gain: 0.0,
            avg_loss: 0.0,
            value: None,
        }
    }

    pub fn update(&mut self, close: f64) -> Option<f64> {
        if !close.is_finite() {
            return self.value;
        }
        let Some(previous) = self.previous_close.replace(close) else {
            return self.value;
        };
        let change = close - previous;
        let (gain, loss) = if change > 0.0 { (change, 0.0) } else { (0.0, -change) };
        let n = self.period as f64;
        if self.changes < self.period {
            // Warm-up: accumulate sums, divided into means at the period-th change.
            self.avg_gain += gain;
            self.avg_loss += loss;
            self.changes += 1;
            if self.changes < self.period {
                return None;
            }
            self.avg_gain /= n;
            self.avg_loss /= n;
        } else {
            self.avg_gain = (self.avg_gain * (n - 1.0) + gain) / n;
            self.avg_loss = (self.avg_loss * (n - 1.0) + loss) / n;
        }
        let total = self.avg_gain + self.avg_loss;
        self.value = Some(if total > 0.0 { 100.0 * self.avg_gain / total } else { 50.0 });
        self.value
    }

    /// Inputs it takes to give its first value (the first value comes with this close: one more than
    /// its period, the first close having no change).
    pub fn inputs_to_first_value(&self) -> usize {
        self.period + 1
    }

    pub fn value(&self) -> Option<f64> {
        self.value
    }

    pub fn reset(&mut self) {
        self.previous_close = None;
        self.changes = 0;
        self.avg_gain = 0.0;
        self.avg_loss = 0.0;
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_value_is_from_simple_means_then_wilder_smoothing() {
        let mut rsi = Rsi::new(2);
        assert_eq!([rsi.update(10.0), rsi.update(12.0)], [None, None]);
        // Changes +2, −1: gain 1, loss 0.5 → 100·1/1.5.
        let first = rsi.update(11.0).unwrap();
        assert!((first - 200.0 / 3.0).abs() < 1e-12);
        // Change +3: gain (1·1 + 3)/2 = 2, loss (0.5·1 + 0)/2 = 0.25 → 100·2/2.25.
        let second = rsi.update(14.0).unwrap();
        assert!((second - 800.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn no_losses_is_100_and_flat_is_50() {
        let mut rising = Rsi::new(3);
        let last = [1.0, 2.0, 3.0, 4.0].into_iter().map(|x| rising.update(x)).last().flatten();
        assert_eq!(last, Some(100.0));
        let mut flat = Rsi::new(3);
        let last = [5.0; 4].into_iter().map(|x| flat.update(x)).last().flatten();
        assert_eq!(last, Some(50.0));
    }

    #[test]
    fn non_finite_closes_are_ignored_and_reset_forgets() {
        let mut rsi = Rsi::new(1);
        rsi.update(1.0);
        assert_eq!(rsi.update(f64::NAN), None);
        assert_eq!(rsi.update(2.0), Some(100.0));
        rsi.reset();
        assert_eq!(rsi.update(2.0), None);
        assert_eq!(rsi.update(1.0), Some(0.0));
    }
}
