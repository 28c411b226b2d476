//! The order oversight is asked to approve.

use crate::market::{ProductId, Side};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An order before it is sent: the product, the side and its notional in quote currency
/// (decimal, since it is money; a positive amount).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposedOrder {
    pub product_id: ProductId,
    pub side: Side,
    pub notional: Decimal,
}

impl ProposedOrder {
    pub const fn new(product_id: ProductId, side: Side, notional: Decimal) -> Self {
        Self { product_id, side, notional }
    }

    /// The order's change to the position value: `+notional` for a buy, `−notional` for a sell.
    pub fn signed_notional(&self) -> Decimal {
        match self.side {
            Side::Buy => self.notional,
            Side::Sell => -self.notional,
        }
    }
}
