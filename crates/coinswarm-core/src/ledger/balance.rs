//! One currency's balance.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Funds in one currency: `available` to use, `hold` reserved for open orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Balance {
    pub available: Decimal,
    pub hold: Decimal,
}

impl Balance {
    /// available + hold.
    pub fn total(&self) -> Decimal {
        self.available + self.hold
    }
}
