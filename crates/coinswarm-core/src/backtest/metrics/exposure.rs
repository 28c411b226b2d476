//! Exposure: how often, and how heavily, the strategy is in the market.

use super::{EquityPoint, finite};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Market exposure over the equity curve, counted per point (per bar).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Exposure {
    /// Fraction in [0, 1] of the bars that hold a position (non-zero exposure). `None` for an
    /// empty curve.
    pub time_in_market: Option<f64>,
    /// Mean over the bars of `|exposure| / equity`: 1 is fully invested, above 1 leveraged; a
    /// short counts by its size. `None` for an empty curve or when any bar has zero or negative
    /// equity (the ratio has no meaning there).
    pub mean_exposure: Option<f64>,
}

impl Exposure {
    pub fn compute(curve: &[EquityPoint]) -> Self {
        if curve.is_empty() {
            return Self::default();
        }
        let n = curve.len() as f64;
        let in_market = curve.iter().filter(|p| !p.exposure.is_zero()).count();
        let ratios: Option<Vec<f64>> = curve.iter().map(|p| exposure_ratio(p.exposure, p.equity)).collect();
        Self {
            time_in_market: Some(in_market as f64 / n),
            mean_exposure: ratios.and_then(|r| finite(r.iter().sum::<f64>() / n)),
        }
    }
}

/// `|exposure| / equity` for positive equity.
fn exposure_ratio(exposure: Decimal, equity: Decimal) -> Option<f64> {
    if equity <= Decimal::ZERO {
        return None;
    }
    exposure.abs().checked_div(equity)?.to_f64()
}

#[cfg(test)]
mod tests {
    use super::super::test_curves::reference;
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn exposure_counts_bars_in_the_market_and_averages_their_weight() {
        // Equity 100, 125, 100, 125, 150 with exposure 0, 50, 0, −100, 75: three bars of five in
        // the market → 3/5 = 0.6; ratios 0, 0.4, 0, 0.8, 0.5 → mean 1.7 / 5 = 0.34.
        let mut curve = reference();
        for (point, exposure) in curve.iter_mut().zip([dec!(0), dec!(50), dec!(0), dec!(-100), dec!(75)]) {
            point.exposure = exposure;
        }
        let exposure = Exposure::compute(&curve);
        assert_eq!(exposure.time_in_market, Some(0.6));
        assert!((exposure.mean_exposure.unwrap() - 0.34).abs() < 1e-15);
    }

    #[test]
    fn an_empty_curve_or_non_positive_equity_has_no_mean_exposure() {
        assert_eq!(Exposure::compute(&[]), Exposure::default());
        let mut curve = reference();
        curve[2].equity = dec!(0);
        let exposure = Exposure::compute(&curve);
        assert_eq!((exposure.time_in_market, exposure.mean_exposure), (Some(0.0), None));
    }
}
