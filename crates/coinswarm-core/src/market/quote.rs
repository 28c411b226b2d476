//! Top of book.

use super::product::ProductId;
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Best bid and ask for a product at a time. Sizes are optional (candle-derived quotes have none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub product_id: ProductId,
    pub time: Timestamp,
    pub bid: Decimal,
    pub ask: Decimal,
    /// Base size available at the best bid, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_size: Option<Decimal>,
    /// Base size available at the best ask, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ask_size: Option<Decimal>,
}

impl Quote {
    pub fn new(product_id: ProductId, time: Timestamp, bid: Decimal, ask: Decimal) -> Self {
        Self { product_id, time, bid, ask, bid_size: None, ask_size: None }
    }

    /// (bid + ask) / 2.
    pub fn mid(&self) -> Decimal {
        (self.bid + self.ask) / Decimal::TWO
    }

    /// ask − bid.
    pub fn spread(&self) -> Decimal {
        self.ask - self.bid
    }

    /// Positive prices with bid ≤ ask.
    pub fn is_valid(&self) -> bool {
        self.bid.is_sign_positive() && !self.bid.is_zero() && self.bid <= self.ask
    }
}
