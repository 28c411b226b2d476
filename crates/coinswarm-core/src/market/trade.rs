//! Trade prints: executions seen on the market tape.

use super::{product::ProductId, side::Side};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One trade on the venue's tape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradePrint {
    pub product_id: ProductId,
    pub time: Timestamp,
    pub price: Decimal,
    /// Base size traded.
    pub size: Decimal,
    /// The side of the aggressor (taker) of the trade.
    pub aggressor: Side,
}
