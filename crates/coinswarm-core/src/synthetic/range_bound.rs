//! Range-bound regime: a random walk in log price reflected off the edges of a band.

use super::config::{SyntheticConfig, invalid, non_negative, price_in_range};
use super::error::SyntheticError;
use super::rounding::{down_to, up_to};
use super::series::{LogPriceProcess, build_candles, to_f64};
use crate::market::Candle;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde::{Deserialize, Serialize};

/// Parameters of the range-bound regime.
///
/// The band is centred on the start price: `[start × (1 − w), start × (1 + w)]` with
/// `w = half_width_bps / 10 000`, narrowed inward to the quote increment grid. Inside it the
/// log price walks freely and reflects off both edges, so every open, high, low and close lies
/// inside the band (inclusive) and the walk spends time across the whole range. The upper edge
/// must not pass [`MAX_PRICE`](crate::exchange::MAX_PRICE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RangeBoundConfig {
    /// Half the band's width, in bps of the start price (strictly between 0 and 10 000).
    pub half_width_bps: f64,
    /// Standard deviation of the unreflected log return per bar, in bps.
    pub volatility_bps: f64,
}

impl Default for RangeBoundConfig {
    fn default() -> Self {
        Self { half_width_bps: 500.0, volatility_bps: 100.0 }
    }
}

/// The band every price stays in, in quote currency, both ends inclusive and on the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub lower: Decimal,
    pub upper: Decimal,
}

/// Candles of a range-bound series and the band they stay in.
pub(crate) fn generate(
    config: &SyntheticConfig,
    range: &RangeBoundConfig,
) -> Result<(Vec<Candle>, Band), SyntheticError> {
    let process = process(config, range)?;
    let band = process.band;
    Ok((build_candles(config, process)?, band))
}

/// The checked price process of the regime (which knows its band).
pub(crate) fn process(config: &SyntheticConfig, range: &RangeBoundConfig) -> Result<Reflected, SyntheticError> {
    non_negative("volatility (bps)", range.volatility_bps)?;
    let width = Decimal::from_f64(range.half_width_bps)
        .filter(|bps| *bps > Decimal::ZERO && *bps < Decimal::from(10_000))
        .ok_or_else(|| invalid("band half-width (bps)", range.half_width_bps, "strictly between 0 and 10000"))?
        / Decimal::from(10_000);
    let increment = config.product.quote_increment;
    let center = config.start_price;
    let band = Band {
        lower: up_to(center * (Decimal::ONE - width), increment)?,
        upper: down_to(center * (Decimal::ONE + width), increment)?,
    };
    let log_edge = |price: Decimal| libm::log(to_f64(price));
    if band.lower >= band.upper || band.lower <= Decimal::ZERO {
        return Err(SyntheticError::BandTooNarrow { center, half_width_bps: range.half_width_bps });
    }
    price_in_range("band upper edge", band.upper)?;
    let process = Reflected {
        band,
        log_lower: log_edge(band.lower),
        log_upper: log_edge(band.upper),
        sigma: range.volatility_bps / 1e4,
    };
    Ok(process)
}

#[derive(Debug, Clone)]
pub(crate) struct Reflected {
    band: Band,
    log_lower: f64,
    log_upper: f64,
    /// Volatility per √bar, as a fraction of log price.
    sigma: f64,
}

impl LogPriceProcess for Reflected {
    fn step(&self, log_price: f64, _bar: usize, dt: f64, shock: f64) -> f64 {
        let free = log_price + self.sigma * dt.sqrt() * shock;
        // Folding onto [lower, upper] mirrors any overshoot, however many widths it spans.
        let width = self.log_upper - self.log_lower;
        let folded = (free - self.log_lower).rem_euclid(2.0 * width);
        self.log_lower + if folded > width { 2.0 * width - folded } else { folded }
    }

    /// Rounding `exp(ln edge)` can land one increment past an edge; the band holds it in.
    fn price_bounds(&self) -> Option<(Decimal, Decimal)> {
        Some((self.band.lower, self.band.upper))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{Regime, RegimeKind, RegimeMetadata, generate};

    #[test]
    fn every_price_stays_inside_the_band_and_the_band_is_used() {
        for seed in 0..6 {
            let market =
                generate(&SyntheticConfig::new(RegimeKind::RangeBound).with_bars(1_000).with_seed(seed)).unwrap();
            let RegimeMetadata::RangeBound(band) = market.metadata else { panic!("range-bound metadata expected") };
            assert_eq!(band, Band { lower: Decimal::new(28_500, 0), upper: Decimal::new(31_500, 0) });
            for c in &market.candles {
                assert!(band.lower <= c.low && c.high <= band.upper, "seed {seed}: {c:?} outside {band:?}");
            }
            // A range, not a flat line: both outer quarters of the band are visited.
            let highest = market.candles.iter().map(|c| c.high).max().unwrap();
            let lowest = market.candles.iter().map(|c| c.low).min().unwrap();
            assert!(
                highest > Decimal::new(30_750, 0) && lowest < Decimal::new(29_250, 0),
                "seed {seed}: {lowest}..{highest}"
            );
        }
    }

    #[test]
    fn violent_moves_still_reflect_inside_a_narrow_band() {
        let mut config = SyntheticConfig::new(RegimeKind::RangeBound).with_bars(300);
        config.regime = Regime::RangeBound(RangeBoundConfig { half_width_bps: 10.0, volatility_bps: 2_000.0 });
        let market = generate(&config).unwrap();
        let RegimeMetadata::RangeBound(band) = market.metadata else { panic!("range-bound metadata expected") };
        assert!(market.candles.iter().all(|c| band.lower <= c.low && c.high <= band.upper));
    }

    #[test]
    fn a_band_thinner_than_the_increment_is_refused() {
        let mut config = SyntheticConfig::new(RegimeKind::RangeBound);
        config.start_price = Decimal::ONE;
        config.regime = Regime::RangeBound(RangeBoundConfig { half_width_bps: 10.0, volatility_bps: 100.0 });
        assert!(matches!(generate(&config), Err(SyntheticError::BandTooNarrow { .. })));
    }
}
