//! Calmar ratio: annual growth per unit of worst drawdown.

use super::finite;

/// `cagr / max_drawdown`, both fractions. `None` when the CAGR is undefined or the curve never
/// fell below a peak (`max_drawdown == 0`): a ratio over zero drawdown would be infinite, and a
/// reader should see "no drawdown", not a huge number.
pub fn calmar_ratio(cagr: Option<f64>, max_drawdown: f64) -> Option<f64> {
    if max_drawdown <= 0.0 {
        return None;
    }
    finite(cagr? / max_drawdown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calmar_divides_cagr_by_max_drawdown() {
        // 0.3 / 0.2 = 1.5 (up to the rounding of 0.3 / 0.2 in binary).
        assert!((calmar_ratio(Some(0.3), 0.2).unwrap() - 1.5).abs() < 1e-15);
        assert_eq!(calmar_ratio(Some(-0.5), 0.25), Some(-2.0));
    }

    #[test]
    fn zero_drawdown_or_no_cagr_has_no_calmar() {
        assert_eq!(calmar_ratio(Some(0.3), 0.0), None);
        assert_eq!(calmar_ratio(None, 0.2), None);
    }
}
