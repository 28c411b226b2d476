//! Bollinger bands.

use super::effective_period;
use super::rolling_moments::RollingMoments;
use serde::Serialize;

/// One reading of Bollinger bands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BollingerBands {
    /// `middle + k·σ`.
    pub upper: f64,
    /// SMA of the window.
    pub middle: f64,
    /// `middle − k·σ`.
    pub lower: f64,
}

/// Bollinger bands as TA-Lib's `BBANDS` with an SMA middle band: `middle ± k·σ`, with σ the
/// population standard deviation (divided by n) of the last `period` inputs.
///
/// The first reading comes with the `period`-th input. Non-finite inputs are ignored; a
/// non-finite `k` is replaced by 2 (TA-Lib's default).
#[derive(Debug, Clone)]
pub struct Bollinger {
    window: RollingMoments,
    k: f64,
    value: Option<BollingerBands>,
}

impl Bollinger {
    /// Bands over `period` inputs (0 is treated as 1), `k` standard deviations wide.
    pub fn new(period: usize, k: f64) -> Self {
        let k = if k.is_finite() { k } else { 2.0 };
        Self { window: RollingMoments::new(effective_period(period)), k, value: None }
    }

    pub fn update(&mut self, x: f64) -> Option<BollingerBands> {
        if !x.is_finite() {
            return self.value;
        }
        self.window.push(x);
        if self.window.is_full() {
            let middle = self.window.mean();
            let width = self.k * self.window.std_dev();
            self.value = Some(BollingerBands { upper: middle + width, middle, lower: middle - width });
        }
        self.value
    }

    /// Inputs it takes to give its first value (the first value comes with this input).
    pub fn inputs_to_first_value(&self) -> usize {
        self.window.capacity()
    }

    pub fn value(&self) -> Option<BollingerBands> {
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
    fn bands_are_k_population_standard_deviations_around_the_sma() {
        let mut bands = Bollinger::new(4, 2.0);
        // Window 2, 4, 4, 6: mean 4, population σ = √2.
        let out: Vec<_> = [2.0, 4.0, 4.0, 6.0].into_iter().map(|x| bands.update(x)).collect();
        assert!(out[..3].iter().all(Option::is_none));
        let b = out[3].unwrap();
        assert_eq!(b.middle, 4.0);
        assert!((b.upper - (4.0 + 2.0 * 2f64.sqrt())).abs() < 1e-12);
        assert!((b.lower - (4.0 - 2.0 * 2f64.sqrt())).abs() < 1e-12);
    }

    #[test]
    fn flat_window_collapses_the_bands_and_bad_k_defaults_to_two() {
        let mut bands = Bollinger::new(3, f64::NAN);
        for x in [9.0, 9.0, 9.0] {
            bands.update(x);
        }
        assert_eq!(bands.value(), Some(BollingerBands { upper: 9.0, middle: 9.0, lower: 9.0 }));
        bands.update(12.0);
        let b = bands.update(f64::NAN).unwrap();
        assert!((b.upper - b.middle - 2.0 * 2f64.sqrt()).abs() < 1e-12, "{b:?}");
        bands.reset();
        assert_eq!(bands.value(), None);
    }
}
