//! OHLCV bars.

use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One bar of trading: prices in quote currency, volume in base currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// Start of the bar (inclusive); the bar ends at `start` + its granularity (exclusive).
    pub start: Timestamp,
    pub open: Decimal,
    pub high: Decimal,
    pub low: Decimal,
    pub close: Decimal,
    /// Traded volume in base currency.
    pub volume: Decimal,
}

impl Candle {
    /// Whether the prices are ordered as a bar must be: low ≤ open, close ≤ high and low ≤ high.
    pub fn is_consistent(&self) -> bool {
        self.low <= self.high
            && self.low <= self.open
            && self.low <= self.close
            && self.open <= self.high
            && self.close <= self.high
    }

    /// Whether the bar is bullish (close at or above open).
    pub fn is_up(&self) -> bool {
        self.close >= self.open
    }
}

/// The order in which a bar is assumed to have visited its prices, used wherever a candle
/// must be walked in time (the matching engine in candle mode, the intra-bar quote path).
///
/// Rule: a bar that closes at or above its open went down first — open → low → high →
/// close; a bar that closes below its open went up first — open → high → low → close.
/// Each extreme is visited on the way to the close, which is the conventional assumption
/// (it makes the bar's body the last leg) and is the more conservative one for resting
/// orders on the side the bar moved against.
impl Candle {
    pub fn path(&self) -> [Decimal; 4] {
        if self.is_up() {
            [self.open, self.low, self.high, self.close]
        } else {
            [self.open, self.high, self.low, self.close]
        }
    }
}
