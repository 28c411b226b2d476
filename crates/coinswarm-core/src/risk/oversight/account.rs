//! The account as oversight sees it when checking one order.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The account just before the order, in quote currency at current prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountSnapshot {
    /// Cash plus every position at its last price.
    pub equity: Decimal,
    /// Value of the position in the order's product: positive long, negative short, zero flat.
    pub position_value: Decimal,
    /// Number of products with an open position, the order's product included if held.
    pub open_positions: usize,
}

impl AccountSnapshot {
    pub const fn new(equity: Decimal, position_value: Decimal, open_positions: usize) -> Self {
        Self { equity, position_value, open_positions }
    }
}
