//! The settings of [`intrabar_quotes`](super::intrabar_quotes): how many quotes, how wide, how wiggly.

use super::config::{invalid, non_negative};
use super::error::SyntheticError;
use crate::market::Granularity;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Most quotes one bar may be walked as. Below the shortest bar's length in milliseconds, so
/// quote times never repeat.
pub const MAX_QUOTES_PER_BAR: usize = 10_000;
const _: () = assert!(MAX_QUOTES_PER_BAR as i64 <= Granularity::OneMinute.millis());

/// How a candle is turned into quotes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntrabarConfig {
    /// Quotes per bar, from 4 (open, both extremes, close) to [`MAX_QUOTES_PER_BAR`].
    pub quotes_per_bar: usize,
    /// Full bid–ask spread in basis points of the mid (0 ≤ spread < 20 000, so the bid stays positive).
    pub spread_bps: Decimal,
    /// Seeded wiggle of the points between anchors; `None` keeps them on straight lines.
    pub jitter: Option<IntrabarJitter>,
}

impl Default for IntrabarConfig {
    /// 8 quotes per bar, a 2 bps spread, no jitter.
    fn default() -> Self {
        Self { quotes_per_bar: 8, spread_bps: Decimal::TWO, jitter: None }
    }
}

impl IntrabarConfig {
    /// Checks the quote count, the spread and the jitter amplitude.
    pub(crate) fn validate(&self) -> Result<(), SyntheticError> {
        if self.quotes_per_bar < 4 {
            return Err(SyntheticError::TooFewQuotes(self.quotes_per_bar));
        }
        if self.quotes_per_bar > MAX_QUOTES_PER_BAR {
            return Err(SyntheticError::TooManyQuotes(self.quotes_per_bar));
        }
        if self.spread_bps < Decimal::ZERO || self.spread_bps >= Decimal::from(20_000) {
            return Err(SyntheticError::InvalidSpread(self.spread_bps));
        }
        if let Some(jitter) = self.jitter {
            non_negative("jitter amplitude", jitter.amplitude)?;
            if jitter.amplitude > 1.0 {
                return Err(invalid("jitter amplitude", jitter.amplitude, "between 0 and 1 interpolation steps"));
            }
        }
        Ok(())
    }
}

/// Seeded displacement of interior path points.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntrabarJitter {
    pub seed: u64,
    /// Largest displacement, in interpolation steps of the leg (0 to 1).
    pub amplitude: f64,
}
