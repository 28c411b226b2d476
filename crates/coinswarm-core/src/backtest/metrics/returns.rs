//! Returns of the equity curve: per bar, over the whole run, and compounded per year (CAGR).

use super::{EquityPoint, finite};
use crate::market::decimal_to_f64;
use crate::time::{DAY_MS, Timestamp};

/// Simple returns between consecutive points, `(E[i] − E[i-1]) / E[i-1]`, computed in `f64`
/// from the correctly rounded equities, one per bar after the first (empty for zero or one
/// point).
///
/// `None` when any point but the last has zero or negative equity: a return on a non-positive
/// base has no meaning, so every figure built on per-bar returns (volatility, Sharpe, Sortino)
/// is undefined for such a curve.
pub fn per_bar_returns(curve: &[EquityPoint]) -> Option<Vec<f64>> {
    curve.windows(2).map(|pair| fraction_change(equity(&pair[0]), equity(&pair[1]))).collect()
}

/// `(last − first) / first` over the whole curve. `None` for an empty curve or a first point
/// with zero or negative equity. Can be below −1 when equity ends negative.
pub fn total_return(curve: &[EquityPoint]) -> Option<f64> {
    fraction_change(equity(curve.first()?), equity(curve.last()?))
}

/// Compound annual growth rate from the first to the last point's time:
/// `(last / first)^(1 / years) − 1` with `years = (t_last − t_first) / (year_days · 86 400 000 ms)`.
///
/// `None` when the curve spans no time (zero or one point), when the first equity is not
/// positive, when the last equity is negative (no real root), when `year_days` is not a finite
/// positive number, or when the result overflows (a large gain over a few bars). A curve that
/// ends at exactly zero has a CAGR of −1.
pub fn cagr(curve: &[EquityPoint], year_days: f64) -> Option<f64> {
    let (first, last) = (curve.first()?, curve.last()?);
    cagr_between((first.time, equity(first)), (last.time, equity(last)), year_days)
}

/// [`cagr`] from the first and last (time, equity) of a curve.
pub(super) fn cagr_between(first: (Timestamp, f64), last: (Timestamp, f64), year_days: f64) -> Option<f64> {
    let span_ms = last.0.millis().checked_sub(first.0.millis())?;
    if span_ms <= 0 || !(year_days.is_finite() && year_days > 0.0) {
        return None;
    }
    if first.1 <= 0.0 || last.1 < 0.0 {
        return None;
    }
    let growth = finite(last.1 / first.1)?;
    let years = span_ms as f64 / (year_days * DAY_MS as f64);
    // libm, not the platform's `powf`, so native and wasm32 agree to the bit.
    finite(libm::pow(growth, 1.0 / years) - 1.0)
}

/// `(to − from) / from` as a fraction; `None` when `from` is not positive.
pub(super) fn fraction_change(from: f64, to: f64) -> Option<f64> {
    if from <= 0.0 {
        return None;
    }
    finite((to - from) / from)
}

fn equity(point: &EquityPoint) -> f64 {
    decimal_to_f64(point.equity)
}

#[cfg(test)]
mod tests {
    use super::super::test_curves::{daily, reference};
    use super::*;

    #[test]
    fn per_bar_returns_of_the_reference_curve_are_exact() {
        // 125/100 − 1 = 0.25, 100/125 − 1 = −0.2, 125/100 − 1 = 0.25, 150/125 − 1 = 0.2.
        assert_eq!(per_bar_returns(&reference()), Some(vec![0.25, -0.2, 0.25, 0.2]));
    }

    #[test]
    fn one_point_has_no_returns_and_no_point_has_no_total_return() {
        assert_eq!(per_bar_returns(&daily(&[100])), Some(vec![]));
        assert_eq!(per_bar_returns(&[]), Some(vec![]));
        assert_eq!(total_return(&[]), None);
        assert_eq!(total_return(&daily(&[100])), Some(0.0));
    }

    #[test]
    fn total_return_is_last_over_first_minus_one() {
        // 150 / 100 − 1 = 0.5.
        assert_eq!(total_return(&reference()), Some(0.5));
        // Ruin past zero: (−20 − 100) / 100 = −1.2.
        assert_eq!(total_return(&daily(&[100, 50, -20])), Some(-1.2));
    }

    #[test]
    fn returns_after_non_positive_equity_are_undefined() {
        assert_eq!(per_bar_returns(&daily(&[100, 0, 10])), None);
        assert_eq!(per_bar_returns(&daily(&[100, -5, 10])), None);
        // The last point may be non-positive: its return is measured from a positive base.
        assert_eq!(per_bar_returns(&daily(&[100, 0])), Some(vec![-1.0]));
        assert_eq!(total_return(&daily(&[0, 100])), None);
    }

    #[test]
    fn cagr_compounds_over_the_span_in_365_day_years() {
        // 100 → 121 over 730 days = 2 years: 1.21^(1/2) − 1 = 0.1.
        let mut two_years = daily(&[100, 121]);
        two_years[1].time = crate::time::Timestamp(730 * DAY_MS);
        let rate = cagr(&two_years, 365.0).unwrap();
        assert!((rate - 0.1).abs() < 1e-15, "{rate}");
        // The reference curve grows 1.5× in 4 days: 1.5^(365/4) − 1.
        let rate = cagr(&reference(), 365.0).unwrap();
        let expected = libm::pow(1.5, 91.25) - 1.0;
        assert!((rate / expected - 1.0).abs() < 1e-12, "{rate} vs {expected}");
    }

    #[test]
    fn cagr_is_undefined_without_span_or_positive_start_and_minus_one_at_zero() {
        assert_eq!(cagr(&daily(&[100]), 365.0), None);
        assert_eq!(cagr(&[], 365.0), None);
        assert_eq!(cagr(&daily(&[0, 100]), 365.0), None);
        assert_eq!(cagr(&daily(&[100, -1]), 365.0), None);
        assert_eq!(cagr(&daily(&[100, 0]), 365.0), Some(-1.0));
        assert_eq!(cagr(&reference(), 0.0), None);
    }

    #[test]
    fn cagr_that_overflows_is_none_not_infinity() {
        // A 1000× gain in one minute compounds past f64's range over a year.
        let mut curve = daily(&[1, 1000]);
        curve[1].time = crate::time::Timestamp(60_000);
        assert_eq!(cagr(&curve, 365.0), None);
    }
}
