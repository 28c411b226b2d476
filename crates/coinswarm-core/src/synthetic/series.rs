//! Turning a log-price process into candles: sub-path per bar, OHLC from its extremes.

use super::config::SyntheticConfig;
use super::error::SyntheticError;
use super::noise::Noise;
use super::rounding::to_nearest;
use crate::exchange::MAX_PRICE;
use crate::market::Candle;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

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
/// A price above [`MAX_PRICE`] is an error. Expects a validated `config`.
pub(crate) fn build_candles(
    config: &SyntheticConfig,
    process: &impl LogPriceProcess,
) -> Result<Vec<Candle>, SyntheticError> {
    let increment = config.product.quote_increment;
    let bounds = process.price_bounds();
    let to_price = |price: Decimal| {
        let price = to_nearest(price, increment)?.max(increment);
        Ok(match bounds {
            Some((lower, upper)) => price.clamp(lower, upper),
            None => price,
        })
    };
    let mut noise = Noise::new(config.seed);
    let dt = 1.0 / config.steps_per_bar as f64;
    let bar_ms = config.granularity.millis();
    let mean_volume = to_f64(config.mean_volume);
    let mut log_price = libm::log(to_f64(config.start_price));
    let mut open = to_price(config.start_price)?;
    let mut candles = Vec::with_capacity(config.bars);
    for bar in 0..config.bars {
        let (mut high, mut low, mut close) = (open, open, open);
        for _ in 0..config.steps_per_bar {
            log_price = process.step(log_price, bar, dt, noise.normal());
            let out_of_range = SyntheticError::PriceOutOfRange { bar };
            // `from_f64` refuses infinities and NaN; the limit is checked again after rounding.
            let price =
                Decimal::from_f64(libm::exp(log_price)).filter(|p| *p <= MAX_PRICE).ok_or(out_of_range.clone())?;
            close = to_price(price)?;
            if close > MAX_PRICE {
                return Err(out_of_range);
            }
            high = high.max(close);
            low = low.min(close);
        }
        let volume = volume(config, mean_volume, noise.normal(), bar)?;
        // The config's validation guarantees the last bar's end fits in an i64.
        let start = config.start_time.plus_millis(bar_ms * bar as i64);
        candles.push(Candle { start, open, high, low, close, volume });
        open = close;
    }
    Ok(candles)
}

/// The volume of bar `bar`, in base currency: `mean_volume × exp(d·z − d²/2)` (mean-preserving
/// log-normal in the shock `z`), on the base increment grid and at least one increment.
fn volume(config: &SyntheticConfig, mean_volume: f64, shock: f64, bar: usize) -> Result<Decimal, SyntheticError> {
    let dispersion = config.volume_dispersion;
    let factor = libm::exp(dispersion * shock - dispersion * dispersion / 2.0);
    let increment = config.product.base_increment;
    let volume = Decimal::from_f64(mean_volume * factor).ok_or(SyntheticError::VolumeOutOfRange { bar })?;
    Ok(to_nearest(volume, increment)?.max(increment))
}

/// The `f64` nearest to `value`, by Rust's correctly rounded float parser, so it is the same
/// on every target (`Decimal::to_f64` goes through `f64::powi`, whose rounding is unspecified).
pub(crate) fn to_f64(value: Decimal) -> f64 {
    value.to_string().parse().unwrap_or(f64::NAN)
}
