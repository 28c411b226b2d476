//! Why a synthetic series or an intra-bar path could not be built.

use super::config::MAX_BARS;
use super::intrabar_config::MAX_QUOTES_PER_BAR;
use crate::exchange::MAX_PRICE;
use crate::time::Timestamp;
use rust_decimal::Decimal;

/// Bad input to a generator, reported instead of panicking.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyntheticError {
    #[error("bars must be between 1 and {MAX_BARS}, got {0}")]
    BarsOutOfRange(usize),
    #[error("{name} must be positive, got {value}")]
    NonPositivePrice { name: &'static str, value: Decimal },
    #[error("{name} must be at most {MAX_PRICE} (the exchange's price limit), got {value}")]
    PriceAboveMax { name: &'static str, value: Decimal },
    #[error("{name} must be positive, got {value}")]
    NonPositiveIncrement { name: &'static str, value: Decimal },
    #[error("mean volume must be positive, got {0}")]
    NonPositiveVolume(Decimal),
    #[error("{value} is more multiples of the increment {increment} than a decimal holds; use a coarser increment")]
    IncrementTooFine { value: Decimal, increment: Decimal },
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter { name: &'static str, value: String, expected: &'static str },
    #[error("{bars} bars of {bar_ms} ms from {start} end after the last representable time")]
    TimeOutOfRange { start: Timestamp, bars: usize, bar_ms: i64 },
    #[error(
        "a trending series needs at least {needed} bars (lead-in of {lead_in_bars} plus 200 for the \
         slow average to enter the uptrend), got {bars}"
    )]
    TrendTooShort { bars: usize, lead_in_bars: usize, needed: usize },
    #[error(
        "seed {seed} produced no golden cross (50-bar average crossing above the 200-bar average) at or \
         after the trend start (bar {trend_start_bar}); lower the volatility or lengthen the uptrend"
    )]
    NoGoldenCross { seed: u64, trend_start_bar: usize },
    #[error("the price passed the exchange's limit of {MAX_PRICE} at bar {bar}; lower the drift or volatility")]
    PriceOutOfRange { bar: usize },
    #[error("the volume of bar {bar} left the decimal range; lower the mean volume or its dispersion")]
    VolumeOutOfRange { bar: usize },
    #[error("the band of ±{half_width_bps} bps around {center} holds less than one quote increment; widen it")]
    BandTooNarrow { center: Decimal, half_width_bps: f64 },
    #[error("quotes per bar must be at least 4 (open, both extremes, close), got {0}")]
    TooFewQuotes(usize),
    #[error("quotes per bar must be at most {MAX_QUOTES_PER_BAR}, got {0}")]
    TooManyQuotes(usize),
    #[error("spread must be at least 0 bps and below 20000 bps (a bid above zero), got {0} bps")]
    InvalidSpread(Decimal),
    #[error("candle at {start} is inconsistent: low ≤ open, close ≤ high does not hold")]
    InconsistentCandle { start: Timestamp },
    #[error("candle at {start} has a bid of {bid} after rounding to the increment; prices are too small for it")]
    BidNotPositive { start: Timestamp, bid: Decimal },
}
