//! The moments of per-bar returns, gathered one return at a time: the common ground of
//! volatility, Sharpe and Sortino.

use super::finite;

/// Count, mean, spread and downside of a stream of per-bar returns, in constant memory.
///
/// The mean and sample variance use Welford's update (stable over hundreds of millions of
/// bars); the downside sums squared shortfalls below `target` (the per-bar risk-free rate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReturnMoments {
    target: f64,
    count: u64,
    mean: f64,
    /// Sum of squared deviations from the running mean.
    m2: f64,
    /// Sum of `min(0, r − target)²`.
    downside_squares: f64,
    first: f64,
    all_equal: bool,
}

impl ReturnMoments {
    /// No returns yet; shortfalls are measured below `target` per bar.
    pub fn new(target: f64) -> Self {
        Self { target, count: 0, mean: 0.0, m2: 0.0, downside_squares: 0.0, first: 0.0, all_equal: true }
    }

    /// The moments of `returns` against `target`.
    pub fn of(returns: &[f64], target: f64) -> Self {
        let mut moments = Self::new(target);
        returns.iter().for_each(|&r| moments.record(r));
        moments
    }

    /// Adds one per-bar return.
    pub fn record(&mut self, r: f64) {
        if self.count == 0 {
            self.first = r;
        } else if r != self.first {
            self.all_equal = false;
        }
        self.count += 1;
        let delta = r - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (r - self.mean);
        let shortfall = (r - self.target).min(0.0);
        self.downside_squares += shortfall * shortfall;
    }

    /// Returns recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sample standard deviation (n − 1 denominator). `None` with fewer than two returns; exactly
    /// 0 when every return is the same.
    pub fn sample_std_dev(&self) -> Option<f64> {
        if self.count < 2 {
            return None;
        }
        if self.all_equal {
            return Some(0.0);
        }
        finite((self.m2.max(0.0) / (self.count - 1) as f64).sqrt())
    }

    /// Sample standard deviation × `√periods_per_year`.
    pub fn annualised_volatility(&self, periods_per_year: f64) -> Option<f64> {
        finite(self.sample_std_dev()? * periods_per_year.sqrt())
    }

    /// `mean(r − target) / std(r) × √periods_per_year`; `None` with fewer than two returns or
    /// zero variance.
    pub fn sharpe(&self, periods_per_year: f64) -> Option<f64> {
        let std = self.sample_std_dev()?;
        if std == 0.0 {
            return None;
        }
        finite((self.mean - self.target) / std * periods_per_year.sqrt())
    }

    /// `mean(r − target) / DD × √periods_per_year` with downside deviation
    /// `DD = √(Σ min(0, r − target)² / n)` over all n returns. `None` without returns or when
    /// no return fell short of the target.
    pub fn sortino(&self, periods_per_year: f64) -> Option<f64> {
        if self.count == 0 || self.downside_squares == 0.0 {
            return None;
        }
        let downside_deviation = (self.downside_squares / self.count as f64).sqrt();
        finite((self.mean - self.target) / downside_deviation * periods_per_year.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_moments_match_the_two_pass_formulas() {
        // 0.25, −0.2, 0.25, 0.2: mean 0.125, sample variance 0.0475, downside √(0.04 / 4) = 0.1.
        let moments = ReturnMoments::of(&[0.25, -0.2, 0.25, 0.2], 0.0);
        assert_eq!(moments.count(), 4);
        assert!((moments.sample_std_dev().unwrap() - 0.0475f64.sqrt()).abs() < 1e-15);
        assert!((moments.sortino(1.0).unwrap() - 1.25).abs() < 1e-15);
    }

    #[test]
    fn a_long_stream_around_a_large_mean_keeps_its_precision() {
        // A million returns alternating 1 ± 1e-6: std ≈ 1e-6 even though the mean is 1.
        let mut moments = ReturnMoments::new(0.0);
        for i in 0..1_000_000u64 {
            moments.record(if i % 2 == 0 { 1.0 + 1e-6 } else { 1.0 - 1e-6 });
        }
        let std = moments.sample_std_dev().unwrap();
        assert!((std / 1e-6 - 1.0).abs() < 1e-6, "{std}");
    }
}
