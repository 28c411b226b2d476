//! Sortino ratio: excess return per unit of downside deviation.

use super::return_moments::ReturnMoments;

/// Annualised Sortino ratio: `mean(r − rf) / DD · √periods_per_year`, with the downside deviation
/// `DD = √(mean(min(0, r − rf)²))` taken over *all* bars (bars at or above the risk-free rate
/// count as zero), the usual technical-analysis and industry definition; `rf` is the per-bar
/// risk-free rate, which is also the target return.
///
/// `None` for no returns and when no bar returned less than the risk-free rate (`DD = 0`): a
/// ratio over zero downside would be infinite.
pub fn sortino_ratio(returns: &[f64], risk_free_per_bar: f64, periods_per_year: f64) -> Option<f64> {
    ReturnMoments::of(returns, risk_free_per_bar).sortino(periods_per_year)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REFERENCE: [f64; 4] = [0.25, -0.2, 0.25, 0.2];

    #[test]
    fn daily_sortino_of_the_reference_returns() {
        // Only −0.2 is below 0: DD = √(0.04 / 4) = √0.01 = 0.1; mean 0.125;
        // Sortino = 0.125 / 0.1 · √365 = 1.25 · √365 ≈ 23.881.
        let sortino = sortino_ratio(&REFERENCE, 0.0, 365.0).unwrap();
        assert!((sortino - 1.25 * 365f64.sqrt()).abs() < 1e-12, "{sortino}");
    }

    #[test]
    fn the_risk_free_rate_is_the_target_of_the_downside() {
        // One bar a year, rf = 0.05: excess 0.2, −0.25, 0.2, 0.15; downside only −0.25:
        // DD = √(0.0625 / 4) = 0.125; mean excess 0.3 / 4 = 0.075; Sortino = 0.075 / 0.125 = 0.6.
        let sortino = sortino_ratio(&REFERENCE, 0.05, 1.0).unwrap();
        assert!((sortino - 0.6).abs() < 1e-12, "{sortino}");
    }

    #[test]
    fn no_bar_below_the_target_has_no_sortino() {
        assert_eq!(sortino_ratio(&[0.1, 0.0, 0.2], 0.0, 365.0), None);
        assert_eq!(sortino_ratio(&[], 0.0, 365.0), None);
    }

    #[test]
    fn one_losing_bar_is_enough_for_a_sortino() {
        // DD = √(0.01 / 1) = 0.1; mean −0.1; −0.1 / 0.1 · √1 = −1.
        assert_eq!(sortino_ratio(&[-0.1], 0.0, 1.0), Some(-1.0));
    }
}
