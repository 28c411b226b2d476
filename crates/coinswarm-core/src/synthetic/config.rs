//! What to generate: the series settings shared by every regime, and the regime itself.

use super::error::SyntheticError;
use super::high_volatility::HighVolatilityConfig;
use super::mean_reverting::MeanRevertingConfig;
use super::range_bound::RangeBoundConfig;
use super::trending::TrendingConfig;
use crate::exchange::MAX_PRICE;
use crate::market::{Currency, Granularity, Product, ProductId};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Most bars one series may have (a million hourly bars is over a century).
pub const MAX_BARS: usize = 1_000_000;
/// Most bars one streamed series may have ([`stream`](super::stream)): ten billion (or
/// `usize::MAX` on 32-bit targets).
pub const MAX_STREAM_BARS: usize =
    if (usize::MAX as u64) < 10_000_000_000 { usize::MAX } else { 10_000_000_000u64 as usize };
/// Most sub-steps of the price process inside one bar.
pub const MAX_STEPS_PER_BAR: usize = 1_000;

/// The four market shapes the swarm is tested on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegimeKind {
    Trending,
    MeanReverting,
    HighVolatility,
    RangeBound,
}

impl RegimeKind {
    pub const ALL: [RegimeKind; 4] =
        [RegimeKind::Trending, RegimeKind::MeanReverting, RegimeKind::HighVolatility, RegimeKind::RangeBound];

    pub const fn as_str(self) -> &'static str {
        match self {
            RegimeKind::Trending => "trending",
            RegimeKind::MeanReverting => "mean_reverting",
            RegimeKind::HighVolatility => "high_volatility",
            RegimeKind::RangeBound => "range_bound",
        }
    }
}

impl fmt::Display for RegimeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A regime with its own parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Regime {
    Trending(TrendingConfig),
    MeanReverting(MeanRevertingConfig),
    HighVolatility(HighVolatilityConfig),
    RangeBound(RangeBoundConfig),
}

impl Regime {
    /// The regime of this kind with its default parameters.
    pub fn default_for(kind: RegimeKind) -> Self {
        match kind {
            RegimeKind::Trending => Regime::Trending(TrendingConfig::default()),
            RegimeKind::MeanReverting => Regime::MeanReverting(MeanRevertingConfig::default()),
            RegimeKind::HighVolatility => Regime::HighVolatility(HighVolatilityConfig::default()),
            RegimeKind::RangeBound => Regime::RangeBound(RangeBoundConfig::default()),
        }
    }

    pub fn kind(&self) -> RegimeKind {
        match self {
            Regime::Trending(_) => RegimeKind::Trending,
            Regime::MeanReverting(_) => RegimeKind::MeanReverting,
            Regime::HighVolatility(_) => RegimeKind::HighVolatility,
            Regime::RangeBound(_) => RegimeKind::RangeBound,
        }
    }
}

/// Everything needed to generate one synthetic candle series.
///
/// Prices follow a log-price process sampled `steps_per_bar` times inside each bar; a bar's
/// open is the previous close, its high and low are the extremes of its sub-path and its
/// close is the last sub-step, all rounded to the product's quote increment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyntheticConfig {
    /// The product priced; its quote increment rounds prices, its base increment rounds volumes.
    pub product: Product,
    /// Open of the first bar, in quote currency (rounded to the quote increment); positive
    /// and at most [`MAX_PRICE`](crate::exchange::MAX_PRICE).
    pub start_price: Decimal,
    /// Start of the first bar; the last bar must end (`start_time + bars × granularity`, in
    /// milliseconds) within `i64`.
    pub start_time: Timestamp,
    /// Length of each bar; bar `i` starts at `start_time + i × granularity`.
    pub granularity: Granularity,
    /// Number of bars generated, 1 to [`MAX_BARS`].
    pub bars: usize,
    /// Seed of the random stream: the same seed and config give identical candles.
    pub seed: u64,
    /// Sub-steps of the price process inside each bar, 1 to [`MAX_STEPS_PER_BAR`]; more steps
    /// give wider, more realistic highs and lows.
    pub steps_per_bar: usize,
    /// Mean volume per bar, in base currency (positive).
    pub mean_volume: Decimal,
    /// Standard deviation of log volume (volume is log-normal around `mean_volume`).
    pub volume_dispersion: f64,
    /// The market shape and its parameters.
    pub regime: Regime,
}

impl SyntheticConfig {
    /// Defaults for a regime: BTC-USD spot rules, 30 000 USD start, 2024-01-01T00:00Z,
    /// hourly bars, 500 bars, seed 42, 16 sub-steps per bar, 10 BTC mean volume.
    pub fn new(kind: RegimeKind) -> Self {
        let btc_usd = ProductId::new(
            Currency::new("BTC").expect("BTC is a valid code"),
            Currency::new("USD").expect("USD is a valid code"),
        );
        Self {
            product: Product::spot(btc_usd),
            start_price: Decimal::new(30_000, 0),
            start_time: Timestamp::from_millis(1_704_067_200_000),
            granularity: Granularity::OneHour,
            bars: 500,
            seed: 42,
            steps_per_bar: 16,
            mean_volume: Decimal::TEN,
            volume_dispersion: 0.5,
            regime: Regime::default_for(kind),
        }
    }

    /// This config with another seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// This config with another number of bars.
    pub fn with_bars(mut self, bars: usize) -> Self {
        self.bars = bars;
        self
    }

    /// Checks the settings shared by every regime.
    pub(crate) fn validate(&self) -> Result<(), SyntheticError> {
        self.validate_up_to(MAX_BARS)
    }

    /// Checks the settings shared by every regime, allowing up to `max_bars` bars.
    pub(crate) fn validate_up_to(&self, max_bars: usize) -> Result<(), SyntheticError> {
        if !(1..=max_bars).contains(&self.bars) {
            return Err(SyntheticError::BarsOutOfRange(self.bars));
        }
        price_in_range("start price", self.start_price)?;
        for (name, value) in
            [("quote increment", self.product.quote_increment), ("base increment", self.product.base_increment)]
        {
            if value <= Decimal::ZERO {
                return Err(SyntheticError::NonPositiveIncrement { name, value });
            }
        }
        if self.mean_volume <= Decimal::ZERO {
            return Err(SyntheticError::NonPositiveVolume(self.mean_volume));
        }
        if !(1..=MAX_STEPS_PER_BAR).contains(&self.steps_per_bar) {
            return Err(invalid("steps per bar", self.steps_per_bar, "between 1 and 1000"));
        }
        non_negative("volume dispersion", self.volume_dispersion)?;
        let bar_ms = self.granularity.millis();
        let end = i64::try_from(self.bars)
            .ok()
            .and_then(|bars| bars.checked_mul(bar_ms))
            .and_then(|span| self.start_time.millis().checked_add(span));
        if end.is_none() {
            return Err(SyntheticError::TimeOutOfRange { start: self.start_time, bars: self.bars, bar_ms });
        }
        Ok(())
    }
}

/// Accepts prices above zero and at most [`MAX_PRICE`], in quote currency.
pub(crate) fn price_in_range(name: &'static str, value: Decimal) -> Result<(), SyntheticError> {
    if value <= Decimal::ZERO {
        Err(SyntheticError::NonPositivePrice { name, value })
    } else if value > MAX_PRICE {
        Err(SyntheticError::PriceAboveMax { name, value })
    } else {
        Ok(())
    }
}

/// An `InvalidParameter` error for `name`.
pub(crate) fn invalid(name: &'static str, value: impl fmt::Display, expected: &'static str) -> SyntheticError {
    SyntheticError::InvalidParameter { name, value: value.to_string(), expected }
}

/// Accepts finite values ≥ 0.
pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<(), SyntheticError> {
    if value.is_finite() && value >= 0.0 { Ok(()) } else { Err(invalid(name, value, "a finite number ≥ 0")) }
}

/// Accepts finite values > 0.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<(), SyntheticError> {
    if value.is_finite() && value > 0.0 { Ok(()) } else { Err(invalid(name, value, "a finite number > 0")) }
}

/// Accepts any finite value.
pub(crate) fn finite(name: &'static str, value: f64) -> Result<(), SyntheticError> {
    if value.is_finite() { Ok(()) } else { Err(invalid(name, value, "a finite number")) }
}
