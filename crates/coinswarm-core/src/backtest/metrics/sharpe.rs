//! Sharpe ratio: excess return per unit of total volatility.

use super::return_moments::ReturnMoments;

/// Annualised Sharpe ratio: `mean(r − rf) / std(r) · √periods_per_year`, where `r` are the per-bar
/// returns, `rf` the per-bar risk-free rate (see
/// [`per_bar_risk_free`](super::per_bar_risk_free)) and `std` the sample standard deviation (the
/// spread of `r − rf` is the spread of `r`, the rate being constant).
///
/// `None` for fewer than two returns and for zero variance (every return the same): a ratio
/// over a zero spread would be infinite.
pub fn sharpe_ratio(returns: &[f64], risk_free_per_bar: f64, periods_per_year: f64) -> Option<f64> {
    ReturnMoments::of(returns, risk_free_per_bar).sharpe(periods_per_year)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference returns: mean 0.125, sample variance 0.0475 (worked in `volatility.rs`).
    const REFERENCE: [f64; 4] = [0.25, -0.2, 0.25, 0.2];

    #[test]
    fn daily_sharpe_is_mean_over_std_times_root_365() {
        // 0.125 / √0.0475 · √365 = 0.125 · √(365 / 0.0475) ≈ 10.957.
        let sharpe = sharpe_ratio(&REFERENCE, 0.0, 365.0).unwrap();
        let expected = 0.125 / 0.0475f64.sqrt() * 365f64.sqrt();
        assert!((sharpe - expected).abs() < 1e-12, "{sharpe} vs {expected}");
        assert!((sharpe - 10.957_453_603_537_832).abs() < 1e-10, "{sharpe}");
    }

    #[test]
    fn hourly_sharpe_annualises_by_root_8760() {
        let sharpe = sharpe_ratio(&REFERENCE, 0.0, 8760.0).unwrap();
        let expected = 0.125 / 0.0475f64.sqrt() * 8760f64.sqrt();
        assert!((sharpe - expected).abs() < 1e-12, "{sharpe} vs {expected}");
    }

    #[test]
    fn the_risk_free_rate_is_subtracted_per_bar() {
        // One bar a year and rf = 0.05 a bar: (0.125 − 0.05) / √0.0475 = 0.075 / √0.0475.
        let sharpe = sharpe_ratio(&REFERENCE, 0.05, 1.0).unwrap();
        assert!((sharpe - 0.075 / 0.0475f64.sqrt()).abs() < 1e-12, "{sharpe}");
    }

    #[test]
    fn zero_variance_or_too_few_returns_have_no_sharpe() {
        assert_eq!(sharpe_ratio(&[0.01, 0.01, 0.01], 0.0, 365.0), None);
        assert_eq!(sharpe_ratio(&[0.01], 0.0, 365.0), None);
        assert_eq!(sharpe_ratio(&[], 0.0, 365.0), None);
    }
}
