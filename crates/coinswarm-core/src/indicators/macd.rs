//! Moving average convergence/divergence.

use super::Ema;
use super::effective_period;
use serde::Serialize;

/// One MACD reading.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MacdValue {
    /// EMA(fast) − EMA(slow) of the input.
    pub macd: f64,
    /// EMA(signal) of the MACD line.
    pub signal: f64,
    /// `macd − signal`.
    pub histogram: f64,
}

/// MACD with TA-Lib's alignment (`MACD`, not `MACDEXT`).
///
/// TA-Lib starts both averages at the same bar: the slow EMA is seeded with the SMA of the
/// first `slow` inputs, and the fast EMA with the SMA of the `fast` inputs ending at that same
/// bar (inputs `slow − fast .. slow`), not of the first `fast` inputs. The signal EMA is
/// seeded with the SMA of the first `signal` MACD values, so the first reading comes with
/// input `slow + signal − 1` (34 for 12/26/9). As in TA-Lib, a `slow` shorter than `fast` is
/// swapped with it. Non-finite inputs are ignored.
#[derive(Debug, Clone)]
pub struct Macd {
    /// Inputs the fast EMA skips so that it starts with the slow one.
    fast_skip: usize,
    skipped: usize,
    fast: Ema,
    slow: Ema,
    signal: Ema,
    value: Option<MacdValue>,
}

impl Macd {
    /// A MACD with the given EMA periods (each 0 is treated as 1).
    pub fn new(fast: usize, slow: usize, signal: usize) -> Self {
        let (fast, slow) = (effective_period(fast), effective_period(slow));
        let (fast, slow) = if slow < fast { (slow, fast) } else { (fast, slow) };
        Self {
            fast_skip: slow - fast,
            skipped: 0,
            fast: Ema::new(fast),
            slow: Ema::new(slow),
            signal: Ema::new(signal),
            value: None,
        }
    }

    pub fn update(&mut self, x: f64) -> Option<MacdValue> {
        if !x.is_finite() {
            return self.value;
        }
        let fast = if self.skipped < self.fast_skip {
            self.skipped += 1;
            None
        } else {
            self.fast.update(x)
        };
        let slow = self.slow.update(x);
        if let (Some(fast), Some(slow)) = (fast, slow) {
            let macd = fast - slow;
            if let Some(signal) = self.signal.update(macd) {
                self.value = Some(MacdValue { macd, signal, histogram: macd - signal });
            }
        }
        self.value
    }

    /// Inputs it takes to give its first value (the first value comes with this input: `slow + signal − 1`).
    pub fn inputs_to_first_value(&self) -> usize {
        self.slow.inputs_to_first_value() + self.signal.inputs_to_first_value() - 1
    }

    pub fn value(&self) -> Option<MacdValue> {
        self.value
    }

    pub fn reset(&mut self) {
        self.skipped = 0;
        self.fast.reset();
        self.slow.reset();
        self.signal.reset();
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_ema_is_seeded_at_the_same_bar_as_the_slow_one() {
        // fast 2, slow 4, signal 2 on 1, 2, 4, 8, 16:
        // slow seed at input 4 = (1+2+4+8)/4 = 3.75; fast seed = SMA of inputs 3..4 = 6
        // (not SMA of the first two = 1.5). Line at input 4: 2.25.
        // Input 5: fast k=2/3: 6 + 2/3·10 = 12.666…; slow k=0.4: 3.75 + 0.4·12.25 = 8.65;
        // line 4.0166…; signal seed = (2.25 + 4.0166…)/2.
        let mut macd = Macd::new(2, 4, 2);
        let out: Vec<_> = [1.0, 2.0, 4.0, 8.0].into_iter().map(|x| macd.update(x)).collect();
        assert!(out.iter().all(Option::is_none));
        let v = macd.update(16.0).unwrap();
        let line = (6.0 + 20.0 / 3.0) - 8.65;
        assert!((v.macd - line).abs() < 1e-12, "{v:?}");
        assert!((v.signal - (2.25 + line) / 2.0).abs() < 1e-12);
        assert!((v.histogram - (v.macd - v.signal)).abs() < 1e-15);
    }

    #[test]
    fn first_reading_comes_with_input_slow_plus_signal_minus_one() {
        let mut macd = Macd::new(12, 26, 9);
        let first = (1..=100).position(|i| macd.update(i as f64).is_some());
        assert_eq!(first, Some(33));
        let mut swapped = Macd::new(26, 12, 9);
        assert_eq!((1..=100).position(|i| swapped.update(i as f64).is_some()), Some(33));
    }

    #[test]
    fn non_finite_inputs_are_ignored_and_reset_forgets() {
        let mut a = Macd::new(2, 3, 2);
        let mut b = Macd::new(2, 3, 2);
        for x in [1.0, 3.0, 2.0, 5.0, 4.0] {
            a.update(x);
            b.update(x);
            a.update(f64::NAN);
        }
        assert_eq!(a.value(), b.value());
        assert!(a.value().is_some());
        a.reset();
        assert_eq!(a.value(), None);
    }
}
