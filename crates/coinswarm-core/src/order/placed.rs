//! Orders and their lifecycle.

use super::request::OrderConfiguration;
use crate::market::{Currency, ProductId, Side};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Identifies an order (UUIDv7, derived deterministically from time, sequence and seed).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub Uuid);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderId({})", self.0)
    }
}

impl std::str::FromStr for OrderId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(OrderId)
    }
}

/// Lifecycle state, with Coinbase's names.
///
/// `PENDING`: accepted, waiting for market data to execute (a market order between bars).
/// `OPEN`: resting (a limit, or a stop waiting for its trigger). The rest are terminal:
/// `FILLED`, `CANCELLED` (by the user, or an IOC remainder), `EXPIRED` (GTD end time
/// reached) and `FAILED` (accepted but could not execute, with a reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    Open,
    Filled,
    Cancelled,
    Expired,
    Failed,
}

impl OrderStatus {
    /// Whether the order can still trade.
    pub fn is_live(self) -> bool {
        matches!(self, OrderStatus::Pending | OrderStatus::Open)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Open => "OPEN",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::Expired => "EXPIRED",
            OrderStatus::Failed => "FAILED",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a stop order is in its life (Coinbase's `trigger_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TriggerStatus {
    /// Not a stop order.
    InvalidOrderType,
    StopPending,
    StopTriggered,
}

/// An order as the account knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_id: OrderId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_order_id: Option<String>,
    pub product_id: ProductId,
    pub side: Side,
    pub order_configuration: OrderConfiguration,
    pub status: OrderStatus,
    pub trigger_status: TriggerStatus,
    pub created_time: Timestamp,
    /// Base size filled so far.
    pub filled_size: Decimal,
    /// Σ price × size over fills, in quote currency.
    pub filled_value: Decimal,
    /// Σ fees over fills, in quote currency.
    pub total_fees: Decimal,
    /// Currency reserved for this order: quote for buys, base for sells.
    pub hold_currency: Currency,
    /// Amount still reserved; released to available when the order ends.
    pub hold_remaining: Decimal,
    /// Why the order was cancelled or failed, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The live exchange's own id for the order, once it took it (venue execution only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue_order_id: Option<String>,
    /// The venue was asked to cancel it and has not confirmed yet (venue execution only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_requested: bool,
}

impl Order {
    /// Average fill price, or zero before any fill.
    pub fn average_filled_price(&self) -> Decimal {
        if self.filled_size.is_zero() { Decimal::ZERO } else { self.filled_value / self.filled_size }
    }

    /// Base size still to fill for base-sized orders; `None` for quote-sized market orders.
    pub fn remaining_base(&self) -> Option<Decimal> {
        self.order_configuration.base_size().map(|size| size - self.filled_size)
    }

    /// Whether a stop order is still waiting for its trigger.
    pub fn is_waiting_for_trigger(&self) -> bool {
        self.trigger_status == TriggerStatus::StopPending
    }
}
