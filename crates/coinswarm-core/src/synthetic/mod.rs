//! Seeded synthetic market regimes and the intra-bar quote path of a candle.
//!
//! [`generate`] builds a candle series in one of four shapes the swarm is tested on —
//! trending with a golden cross, mean-reverting around a level, high-volatility and
//! range-bound — from a [`SyntheticConfig`]. Every bar is cut from a sub-path of the regime's
//! log-price process, so highs and lows are those of a walk, not decoration; prices sit on
//! the product's quote increment grid. The same seed gives the same candles.
//!
//! [`stream`] yields the same candles one at a time, for series too long to hold in memory.
//!
//! [`intrabar_quotes`] walks one candle as a sequence of quotes that starts at the open,
//! visits the extremes in [`Candle::path`](crate::market::Candle::path)'s order and ends at
//! the close (rule in its docs).
//!
//! Settings may come from users, so every limit is a typed [`SyntheticError`], never a panic:
//! at most [`MAX_BARS`] bars of at most [`MAX_STEPS_PER_BAR`] sub-steps, at most
//! [`MAX_QUOTES_PER_BAR`] quotes per bar, prices up to [`MAX_PRICE`](crate::exchange::MAX_PRICE).
//! Transcendental functions come from `libm`, so a seed gives the same candles on every target.
//!
//! Parameters in basis points (bps) are 1/10 000 of a price or of a log price; volatilities
//! and drifts are per bar of the configured granularity.

mod config;
mod error;
mod golden_cross;
mod high_volatility;
mod intrabar;
mod intrabar_config;
mod intrabar_path;
mod market;
mod mean_reverting;
pub(crate) mod noise;
mod range_bound;
mod rounding;
mod series;
mod stream;
#[cfg(test)]
mod test_stats;
mod trending;

pub use config::{MAX_BARS, MAX_STEPS_PER_BAR, MAX_STREAM_BARS, Regime, RegimeKind, SyntheticConfig};
pub use error::SyntheticError;
pub use golden_cross::{FAST_SMA_BARS, SLOW_SMA_BARS, golden_cross_bar};
pub use high_volatility::HighVolatilityConfig;
pub use intrabar::intrabar_quotes;
pub use intrabar_config::{IntrabarConfig, IntrabarJitter, MAX_QUOTES_PER_BAR};
pub use intrabar_path::intrabar_mids;
pub use market::{RegimeMetadata, SyntheticMarket, generate};
pub use mean_reverting::MeanRevertingConfig;
pub use range_bound::{Band, RangeBoundConfig};
pub use series::{CandleWalk, LogPriceProcess};
pub use stream::{SyntheticStream, stream};
pub use trending::TrendingConfig;
