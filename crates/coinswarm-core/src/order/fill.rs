//! Executions of this account's orders.

use super::placed::OrderId;
use crate::market::{ProductId, Side};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Identifies one fill (UUIDv7).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TradeId(pub Uuid);

impl fmt::Display for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for TradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TradeId({})", self.0)
    }
}

/// Whether a fill added liquidity (a resting order) or took it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Liquidity {
    Maker,
    Taker,
}

/// One execution: `size` base traded at `price` quote per base, `fee` quote charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    pub trade_id: TradeId,
    pub order_id: OrderId,
    pub product_id: ProductId,
    pub side: Side,
    pub price: Decimal,
    pub size: Decimal,
    /// Fee in quote currency: notional × the maker or taker rate.
    pub fee: Decimal,
    pub liquidity: Liquidity,
    pub time: Timestamp,
}

impl Fill {
    /// price × size, in quote currency, before the fee.
    pub fn notional(&self) -> Decimal {
        self.price * self.size
    }

    /// Quote currency that leaves (buy, negative) or reaches (sell, positive) the account.
    pub fn quote_flow(&self) -> Decimal {
        match self.side {
            Side::Buy => -(self.notional() + self.fee),
            Side::Sell => self.notional() - self.fee,
        }
    }
}
