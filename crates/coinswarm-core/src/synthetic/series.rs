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
pub trait LogPriceProcess {
    /// The log price `dt` bars (a fraction ≤ 1) after `log_price`, during bar `bar` (0-based),
    /// driven by the standard normal `shock`.
    fn step(&self, log_price: f64, bar: usize, dt: f64, shock: f64) -> f64;

    /// Inclusive bounds, on the quote increment grid, that every rounded price is held within.
    fn price_bounds(&self) -> Option<(Decimal, Decimal)> {
        None
    }
}

/// Builds `config.bars` candles, oldest first, from `process` (see [`CandleWalk`]).
pub(crate) fn build_candles<P: LogPriceProcess>(
    config: &SyntheticConfig,
    process: P,
) -> Result<Vec<Candle>, SyntheticError> {
    CandleWalk::new(config, process)?.collect()
}

/// Candles cut from `process`, one at a time, oldest first: a series of any length in constant
/// memory.
///
/// Each bar opens at the previous close and walks `steps_per_bar` sub-steps; every sub-step
/// price is rounded to the quote increment (never below one increment) before the bar's
/// high, low and close are taken from them, so low ≤ open, close ≤ high holds exactly.
/// (Rounding is monotone, so the walk rounds only the sub-path's extremes and its last price:
/// the same candles for a fraction of the decimal work.) Volume is log-normal around
/// `mean_volume`, rounded to the base increment (at least one). A price above [`MAX_PRICE`]
/// is an error, after which the walk ends. Expects a validated `config`.
#[derive(Debug, Clone)]
pub struct CandleWalk<P> {
    process: P,
    noise: Noise,
    config: SyntheticConfig,
    bounds: Option<(Decimal, Decimal)>,
    dt: f64,
    bar_ms: i64,
    mean_volume: f64,
    log_price: f64,
    open: Decimal,
    bar: usize,
    failed: bool,
}

impl<P: LogPriceProcess> CandleWalk<P> {
    pub(crate) fn new(config: &SyntheticConfig, process: P) -> Result<Self, SyntheticError> {
        let bounds = process.price_bounds();
        let mut walk = Self {
            noise: Noise::new(config.seed),
            config: config.clone(),
            bounds,
            dt: 1.0 / config.steps_per_bar as f64,
            bar_ms: config.granularity.millis(),
            mean_volume: to_f64(config.mean_volume),
            log_price: libm::log(to_f64(config.start_price)),
            open: Decimal::ZERO,
            bar: 0,
            failed: false,
            process,
        };
        walk.open = walk.to_price(config.start_price)?;
        Ok(walk)
    }

    /// A price on the increment grid, at least one increment, inside the process's bounds.
    fn to_price(&self, price: Decimal) -> Result<Decimal, SyntheticError> {
        let price = to_nearest(price, self.config.product.quote_increment)?.max(self.config.product.quote_increment);
        Ok(match self.bounds {
            Some((lower, upper)) => price.clamp(lower, upper),
            None => price,
        })
    }

    /// A sub-path price as a decimal on the grid, or `PriceOutOfRange` past [`MAX_PRICE`].
    fn rounded(&self, price: f64) -> Result<Decimal, SyntheticError> {
        let out_of_range = SyntheticError::PriceOutOfRange { bar: self.bar };
        // `from_f64` refuses infinities and NaN; the limit is checked again after rounding.
        let price = Decimal::from_f64(price).filter(|p| *p <= MAX_PRICE).ok_or(out_of_range.clone())?;
        let price = self.to_price(price)?;
        if price > MAX_PRICE { Err(out_of_range) } else { Ok(price) }
    }

    fn next_candle(&mut self) -> Result<Candle, SyntheticError> {
        let (mut highest, mut lowest, mut last) = (f64::NEG_INFINITY, f64::INFINITY, f64::NAN);
        for _ in 0..self.config.steps_per_bar {
            self.log_price = self.process.step(self.log_price, self.bar, self.dt, self.noise.normal());
            last = libm::exp(self.log_price);
            if !last.is_finite() {
                return Err(SyntheticError::PriceOutOfRange { bar: self.bar });
            }
            highest = highest.max(last);
            lowest = lowest.min(last);
        }
        let high = self.rounded(highest)?.max(self.open);
        let low = self.rounded(lowest)?.min(self.open);
        let close = self.rounded(last)?;
        let volume = volume(&self.config, self.mean_volume, self.noise.normal(), self.bar)?;
        // The config's validation guarantees the last bar's end fits in an i64.
        let start = self.config.start_time.plus_millis(self.bar_ms * self.bar as i64);
        let candle = Candle { start, open: self.open, high, low, close, volume };
        self.open = close;
        Ok(candle)
    }
}

impl<P: LogPriceProcess> Iterator for CandleWalk<P> {
    type Item = Result<Candle, SyntheticError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.bar >= self.config.bars {
            return None;
        }
        let candle = self.next_candle();
        self.failed = candle.is_err();
        self.bar += 1;
        Some(candle)
    }
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

impl LogPriceProcess for Box<dyn LogPriceProcess + Send> {
    fn step(&self, log_price: f64, bar: usize, dt: f64, shock: f64) -> f64 {
        (**self).step(log_price, bar, dt, shock)
    }

    fn price_bounds(&self) -> Option<(Decimal, Decimal)> {
        (**self).price_bounds()
    }
}
