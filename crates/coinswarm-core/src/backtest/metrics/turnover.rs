//! Turnover: how many times the capital was traded over the run.

use super::{EquityPoint, finite};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// `traded_notional / mean equity` over the whole run (not annualised): 2 means the strategy
/// traded twice its average capital, buys and sells both counted. `None` for an empty curve, a
/// mean equity that is zero or negative, or a sum of equities that would overflow `Decimal`.
pub fn turnover(curve: &[EquityPoint], traded_notional: Decimal) -> Option<f64> {
    if curve.is_empty() {
        return None;
    }
    let total = curve.iter().try_fold(Decimal::ZERO, |sum, p| sum.checked_add(p.equity))?;
    let mean = total / Decimal::from(curve.len() as u64);
    if mean <= Decimal::ZERO {
        return None;
    }
    traded_notional.checked_div(mean)?.to_f64().and_then(finite)
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
