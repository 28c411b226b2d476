//! Rolling volume-weighted average price.

use super::effective_period;
use super::rolling_sum::RollingSum;

/// Rolling VWAP over the last `period` bars: Σ(typical·volume) / Σ volume, with
/// typical = (high + low + close) / 3 and volume in base units.
///
/// The first value comes with the `period`-th bar; the VWAP is `None` while the window holds
/// no volume at all (whether or not it ever had a value). A bar with a non-finite price, or a
/// non-finite or negative volume, is ignored.
#[derive(Debug, Clone)]
pub struct Vwap {
    turnover: RollingSum,
    volume: RollingSum,
    /// Bars in the window with a positive volume; exact, unlike a float sum that has drifted.
    traded_bars: usize,
    value: Option<f64>,
}

impl Vwap {
    /// A VWAP over `period` bars (0 is treated as 1).
    pub fn new(period: usize) -> Self {
        let period = effective_period(period);
        Self { turnover: RollingSum::new(period), volume: RollingSum::new(period), traded_bars: 0, value: None }
    }

    pub fn update(&mut self, high: f64, low: f64, close: f64, volume: f64) -> Option<f64> {
        let typical = (high + low + close) / 3.0;
        if !(typical.is_finite() && volume.is_finite() && volume >= 0.0) {
            return self.value;
        }
        self.turnover.push(typical * volume);
        if volume > 0.0 {
            self.traded_bars += 1;
        }
        if self.volume.push(volume).is_some_and(|evicted| evicted > 0.0) {
            self.traded_bars -= 1;
        }
        self.value = (self.volume.is_full() && self.traded_bars > 0)
            .then(|| self.turnover.sum() / self.volume.sum())
            .filter(|vwap| vwap.is_finite());
        self.value
    }

    pub fn value(&self) -> Option<f64> {
        self.value
    }

    pub fn reset(&mut self) {
        self.turnover.clear();
        self.volume.clear();
        self.traded_bars = 0;
        self.value = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_weighted_typical_price_of_the_window() {
        let mut vwap = Vwap::new(2);
        // Typical prices 10 and 20 (volumes 1, 3), then 30 (volume 1).
        assert_eq!(vwap.update(11.0, 9.0, 10.0, 1.0), None);
        assert_eq!(vwap.update(21.0, 19.0, 20.0, 3.0), Some(17.5));
        assert_eq!(vwap.update(31.0, 29.0, 30.0, 1.0), Some(22.5));
    }

    #[test]
    fn no_volume_in_the_window_means_no_vwap() {
        let mut vwap = Vwap::new(2);
        vwap.update(10.0, 10.0, 10.0, 0.0);
        assert_eq!(vwap.update(12.0, 12.0, 12.0, 0.0), None);
        assert_eq!(vwap.update(12.0, 12.0, 12.0, 2.0), Some(12.0));
        assert_eq!(vwap.update(15.0, 15.0, 15.0, 0.0), Some(12.0));
        assert_eq!(vwap.update(15.0, 15.0, 15.0, 0.0), None);
    }

    #[test]
    fn bad_bars_are_ignored_and_reset_forgets() {
        let mut vwap = Vwap::new(1);
        assert_eq!(vwap.update(3.0, 3.0, 3.0, 1.0), Some(3.0));
        assert_eq!(vwap.update(f64::NAN, 3.0, 3.0, 1.0), Some(3.0));
        assert_eq!(vwap.update(5.0, 5.0, 5.0, -1.0), Some(3.0));
        vwap.reset();
        assert_eq!(vwap.value(), None);
    }
}
