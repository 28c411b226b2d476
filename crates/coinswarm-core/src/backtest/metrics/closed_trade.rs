//! A round trip: a position opened and closed.

use crate::market::ProductId;
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One closed trade, as the backtester records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosedTrade {
    pub product_id: ProductId,
    /// Time of the fill that opened the position.
    pub entry_time: Timestamp,
    /// Time of the fill that closed it.
    pub exit_time: Timestamp,
    /// Average entry fill price, in the quote currency.
    pub entry_price: Decimal,
    /// Average exit fill price, in the quote currency.
    pub exit_price: Decimal,
    /// Size in the base currency: positive for a long, negative for a short.
    pub size: Decimal,
    /// Realised profit or loss in the quote currency, net of `fees`. A trade with `pnl > 0` is a
    /// win, `pnl < 0` a loss, `pnl == 0` neither.
    pub pnl: Decimal,
    /// Fees paid on the entry and exit fills, in the quote currency.
    pub fees: Decimal,
    /// `pnl` as a fraction of the entry notional (0.05 is a 5 % gain).
    pub return_fraction: f64,
}
