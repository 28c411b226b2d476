//! Turnover: how many times the capital was traded over the run.

use super::{EquityPoint, finite};
use crate::market::decimal_to_f64;
use rust_decimal::Decimal;

/// `traded_notional / mean equity` over the whole run (not annualised): 2 means the strategy
/// traded twice its average capital, buys and sells both counted. `None` for an empty curve or
/// a mean equity that is zero or negative.
pub fn turnover(curve: &[EquityPoint], traded_notional: Decimal) -> Option<f64> {
    if curve.is_empty() {
        return None;
    }
    let total: f64 = curve.iter().map(|p| decimal_to_f64(p.equity)).sum();
    turnover_over(traded_notional, total / curve.len() as f64)
}

/// `traded_notional / mean_equity`; `None` for a mean equity that is not positive.
pub(super) fn turnover_over(traded_notional: Decimal, mean_equity: f64) -> Option<f64> {
    if mean_equity.is_nan() || mean_equity <= 0.0 {
        return None;
    }
    finite(decimal_to_f64(traded_notional) / mean_equity)
}

#[cfg(test)]
mod tests {
    use super::super::test_curves::{daily, reference};
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn turnover_is_notional_over_mean_equity() {
        // Mean equity (100 + 125 + 100 + 125 + 150) / 5 = 600 / 5 = 120; 1000 / 120 = 25/3.
        let turnover = turnover(&reference(), dec!(1000)).unwrap();
        assert!((turnover - 25.0 / 3.0).abs() < 1e-15, "{turnover}");
    }

    #[test]
    fn no_curve_or_non_positive_mean_equity_has_no_turnover() {
        assert_eq!(turnover(&[], dec!(1000)), None);
        assert_eq!(turnover(&daily(&[10, -10]), dec!(1000)), None);
        assert_eq!(turnover(&daily(&[100]), dec!(0)), Some(0.0));
    }
}
