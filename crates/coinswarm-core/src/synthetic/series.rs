//! Turning a log-price process into candles: sub-path per bar, OHLC from its extremes.

use super::config::SyntheticConfig;
use super::error::SyntheticError;
use super::noise::Noise;
use super::rounding::to_nearest;
use crate::market::Candle;
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};

/// Prices above this (quote currency) are refused, far below the decimal range.
const MAX_PRICE: f64 = 1e18;

/// A price process in natural-log space, stepped a fraction of a bar at a time.
pub(crate) trait LogPriceProcess {
    /// The log price `dt` bars (a fraction ≤ 1) after `log_price`, during bar `bar` (0-based),
    /// driven by the standard normal `shock`.
    fn step(&self, log_price: f64, bar: usize, dt: f64, shock: f64) -> f64;

    /// Inclusive bounds, on the quote increment grid, that every rounded price is held within.
    fn price_bounds(&self) -> Option<(Decimal, Decimal)> {
        None
    }
}

/// Builds `config.bars` candles, oldest first, from `process`.
///
/// Each bar opens at the previous close and walks `steps_per_bar` sub-steps; every sub-step
/// price is rounded to the quote increment (never below one increment) before the bar's
/// high, low and close are taken from them, so low ≤ open, close ≤ high holds exactly.
/// Volume is log-normal around `mean_volume`, rounded to the base increment (at least one).
pub(crate) fn build_candles(
    config: &SyntheticConfig,
    process: &impl LogPriceProcess,
) -> Result<Vec<Candle>, SyntheticError> {
    let increment = config.product.quote_increment;
    let bounds = process.price_bounds();
    let to_price = |price: Decimal| {
        let price = to_nearest(price, increment).max(increment);
        match bounds {
            Some((lower, upper)) => price.clamp(lower, upper),
            None => price,
        }
    };
    let mut noise = Noise::new(config.seed);
    let dt = 1.0 / config.steps_per_bar as f64;
    let bar_ms = config.granularity.millis();
    let mut log_price = config.start_price.to_f64().map(f64::ln).ok_or(SyntheticError::PriceOutOfRange { bar: 0 })?;
    let mut open = to_price(config.start_price);
    let mut candles = Vec::with_capacity(config.bars);
    for bar in 0..config.bars {
        let (mut high, mut low, mut close) = (open, open, open);
        for _ in 0..config.steps_per_bar {
            log_price = process.step(log_price, bar, dt, noise.normal());
            let price = log_price.exp();
            if !(price.is_finite() && price <= MAX_PRICE) {
                return Err(SyntheticError::PriceOutOfRange { bar });
            }
            let price = Decimal::from_f64(price).ok_or(SyntheticError::PriceOutOfRange { bar })?;
            close = to_price(price);
            high = high.max(close);
            low = low.min(close);
        }
        let volume = volume(config, noise.normal());
        let start = config.start_time.plus_millis(bar_ms.saturating_mul(bar as i64));
        candles.push(Candle { start, open, high, low, close, volume });
        open = close;
    }
    Ok(candles)
}

/// `mean_volume × exp(d·z − d²/2)` (mean-preserving log-normal), on the base increment grid.
fn volume(config: &SyntheticConfig, shock: f64) -> Decimal {
    let dispersion = config.volume_dispersion;
    let factor = (dispersion * shock - dispersion * dispersion / 2.0).exp();
    let increment = config.product.base_increment;
    let volume = config.mean_volume.to_f64().map(|mean| mean * factor).and_then(Decimal::from_f64);
    volume.map_or(increment, |v| to_nearest(v, increment).max(increment))
}
