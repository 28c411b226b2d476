//! Why a synthetic series or an intra-bar path could not be built.

use crate::time::Timestamp;
use rust_decimal::Decimal;

/// Bad input to a generator, reported instead of panicking.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SyntheticError {
    #[error("bars must be at least 1, got 0")]
    NoBars,
    #[error("{name} must be positive, got {value}")]
    NonPositivePrice { name: &'static str, value: Decimal },
    #[error("{name} must be positive, got {value}")]
    NonPositiveIncrement { name: &'static str, value: Decimal },
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter { name: &'static str, value: String, expected: &'static str },
    #[error(
        "a trending series needs at least {needed} bars (lead-in of {lead_in_bars} plus 200 for the \
         slow average to enter the uptrend), got {bars}"
    )]
    TrendTooShort { bars: usize, lead_in_bars: usize, needed: usize },
    #[error(
        "seed {seed} produced no golden cross (50-bar average crossing above the 200-bar average); \
         lower the volatility or lengthen the uptrend"
    )]
    NoGoldenCross { seed: u64 },
    #[error("the price left the decimal range at bar {bar}; lower the drift or volatility")]
    PriceOutOfRange { bar: usize },
    #[error("the band of ±{half_width_bps} bps around {center} holds less than one quote increment; widen it")]
    BandTooNarrow { center: Decimal, half_width_bps: f64 },
    #[error("quotes per bar must be at least 4 (open, both extremes, close), got {0}")]
    TooFewQuotes(usize),
    #[error("quotes per bar ({quotes}) exceed the bar's length in milliseconds ({bar_ms}); times would repeat")]
    TooManyQuotes { quotes: usize, bar_ms: i64 },
    #[error("spread must be at least 0 bps and below 20000 bps (a bid above zero), got {0} bps")]
    InvalidSpread(Decimal),
    #[error("candle at {start} is inconsistent: low ≤ open, close ≤ high does not hold")]
    InconsistentCandle { start: Timestamp },
    #[error("candle at {start} has a bid of {bid} after rounding to the increment; prices are too small for it")]
    BidNotPositive { start: Timestamp, bid: Decimal },
}
