//! Rolling z-score.

use super::effective_period;
use super::rolling_moments::RollingMoments;

/// Rolling z-score: `(x − mean) / σ` over the last `period` inputs including `x`, with σ the
/// population standard deviation; 0 when σ is 0 (a flat window has no outliers).
///
/// The first value comes with the `period`-th input. Non-finite inputs are ignored.
#[derive(Debug, Clone)]
pub struct ZScore {
    window: RollingMoments,
    value: Option<f64>,
}

impl ZScore {
    /// A z-score over `period` inputs (0 is treated as 1, which always scores 0).
    pub fn new(period: usize) -> Self {
        Self { window: RollingMoments::new(effective_period(period)), value: None }
    }

    pub fn update(&mut self, x: f64) -> Option<f64> {
        if !x.is_finite() {
            return self.value;
        }
        self.window.push(x);
        if self.window.is_full() {
            let std_dev = self.window.std_dev();
            self.value = Some(if std_dev > 0.0 { (x - self.window.mean()) / std_dev } else { 0.0 });
        }
        self.value
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
    fn scores_the_latest_input_against_its_window() {
        let mut z = ZScore::new(4);
        // Window 2, 4, 4, 6: mean 4, σ = √2; latest 6 scores 2/√2 = √2.
        let out: Vec<_> = [2.0, 4.0, 4.0, 6.0].into_iter().map(|x| z.update(x)).collect();
        assert!(out[..3].iter().all(Option::is_none));
        assert!((out[3].unwrap() - 2f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn a_flat_window_scores_zero() {
        let mut z = ZScore::new(20);
        let last = std::iter::repeat_n(50_000.0, 20).map(|x| z.update(x)).last().flatten();
        assert_eq!(last, Some(0.0));
        assert_eq!(z.update(f64::NAN), Some(0.0));
        z.reset();
        assert_eq!(z.value(), None);
    }
}
