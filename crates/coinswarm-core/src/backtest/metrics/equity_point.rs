//! One point of the equity curve.

use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The account's value at one bar's close, marked to market; the backtester records one per bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquityPoint {
    /// The bar's close time.
    pub time: Timestamp,
    /// Cash plus open positions valued at the bar's close, in the quote currency. May be zero or
    /// negative after a ruinous loss; the metrics that cannot be defined then say so.
    pub equity: Decimal,
    /// Value of the open positions at the bar's close, in the quote currency: zero when flat,
    /// negative for a net short.
    pub exposure: Decimal,
}
