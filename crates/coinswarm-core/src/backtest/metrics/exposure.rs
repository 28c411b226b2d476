//! Exposure: how often, and how heavily, the strategy is in the market.

use super::{EquityPoint, finite};
use crate::market::decimal_to_f64;
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
    /// Time in market and mean exposure over `curve`. Both `None` for an empty curve; the mean
    /// exposure is also `None` when any point has zero or negative equity (the ratio has no
    /// meaning there).
    pub fn compute(curve: &[EquityPoint]) -> Self {
        let mut tally = ExposureTally::default();
        curve.iter().for_each(|p| tally.record(decimal_to_f64(p.equity), decimal_to_f64(p.exposure)));
        tally.finish()
    }
}

/// [`Exposure`] gathered one point at a time, in constant memory.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExposureTally {
    points: u64,
    in_market: u64,
    ratio_sum: f64,
    /// False once a point had no positive equity to take a ratio of.
    ratios_defined: bool,
}

impl ExposureTally {
    /// Adds one point: its equity and the value of its open positions.
    pub fn record(&mut self, equity: f64, exposure: f64) {
        if self.points == 0 {
            self.ratios_defined = true;
        }
        self.points += 1;
        if exposure != 0.0 {
            self.in_market += 1;
        }
        if equity > 0.0 {
            self.ratio_sum += exposure.abs() / equity;
        } else {
            self.ratios_defined = false;
        }
    }

    /// The exposure so far.
    pub fn finish(&self) -> Exposure {
        if self.points == 0 {
            return Exposure::default();
        }
        let n = self.points as f64;
        Exposure {
            time_in_market: Some(self.in_market as f64 / n),
            mean_exposure: if self.ratios_defined { finite(self.ratio_sum / n) } else { None },
        }
    }
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
