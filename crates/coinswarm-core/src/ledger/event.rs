//! The account event log: what happened, in order.

use crate::market::Currency;
use crate::order::{Fill, Order, OrderId};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One entry of an account's append-only log. `seq` counts from 0 without gaps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEvent {
    pub seq: u64,
    pub time: Timestamp,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What changed. Serialised with a `type` tag, e.g. `{"type":"ORDER_FILLED", …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    /// Funds arrived from outside.
    Deposited { currency: Currency, amount: Decimal },
    /// Funds left to outside.
    Withdrew { currency: Currency, amount: Decimal },
    /// An order passed validation; its `hold_remaining` moves from available to hold.
    OrderAccepted { order: Order },
    /// A stop order's trigger was reached; it now works as a limit order.
    OrderTriggered { order_id: OrderId },
    /// A fill that leaves part of the order to trade.
    OrderPartiallyFilled { fill: Fill },
    /// The fill that completes the order; the rest of its hold is released.
    OrderFilled { fill: Fill },
    /// Cancelled by the user or, for IOC orders, the unfilled remainder.
    OrderCancelled { order_id: OrderId, reason: String },
    /// A GTD order reached its end time.
    OrderExpired { order_id: OrderId },
    /// An accepted order that could not execute.
    OrderFailed { order_id: OrderId, reason: String },
    /// An outside venue (a live exchange) took the order under its own id.
    OrderRouted { order_id: OrderId, venue_order_id: String },
    /// The venue was asked to cancel the order; it ends when the venue confirms.
    OrderCancelRequested { order_id: OrderId },
}

/// A log that cannot be replayed: malformed, out of sequence, or inconsistent with itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventLogError {
    #[error("line {line}: not an account event: {message}")]
    Malformed { line: usize, message: String },
    #[error("event sequence broken: expected {expected}, found {found}")]
    OutOfSequence { expected: u64, found: u64 },
    #[error("event {seq} refers to unknown order {order_id}")]
    UnknownOrder { seq: u64, order_id: OrderId },
    #[error("event {seq} refers to order {order_id}, which is no longer live")]
    OrderNotLive { seq: u64, order_id: OrderId },
    #[error("event {seq} repeats order {order_id}")]
    DuplicateOrder { seq: u64, order_id: OrderId },
    #[error("event {seq} would take {currency} below zero")]
    NegativeBalance { seq: u64, currency: Currency },
    #[error("event {seq} has a non-positive amount")]
    NonPositiveAmount { seq: u64 },
    #[error("event {seq} is a fill that does not match order {order_id} (side, product or size)")]
    InconsistentFill { seq: u64, order_id: OrderId },
    #[error("event {seq} accepts order {order_id} in a state an order cannot start in")]
    InvalidNewOrder { seq: u64, order_id: OrderId },
    #[error("event {seq} reuses a client_order_id")]
    DuplicateClientOrderId { seq: u64 },
    #[error("event {seq} goes back in time")]
    TimeWentBack { seq: u64 },
}

impl EventKind {
    /// The order this event changes, if any.
    pub fn order_id(&self) -> Option<OrderId> {
        match self {
            EventKind::OrderAccepted { order } => Some(order.order_id),
            EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } => Some(fill.order_id),
            EventKind::OrderTriggered { order_id }
            | EventKind::OrderCancelled { order_id, .. }
            | EventKind::OrderExpired { order_id }
            | EventKind::OrderFailed { order_id, .. }
            | EventKind::OrderRouted { order_id, .. }
            | EventKind::OrderCancelRequested { order_id } => Some(*order_id),
            _ => None,
        }
    }
}

impl AccountEvent {
    /// The log as JSON lines, one event per line, each line ending in `\n`.
    pub fn to_jsonl(events: &[AccountEvent]) -> String {
        let mut out = String::with_capacity(events.len() * 256);
        for event in events {
            // Serialising plain data with string keys cannot fail.
            out.push_str(&serde_json::to_string(event).expect("account events serialise"));
            out.push('\n');
        }
        out
    }

    /// Parses JSON lines written by [`AccountEvent::to_jsonl`]; blank lines are skipped.
    pub fn from_jsonl(text: &str) -> Result<Vec<AccountEvent>, EventLogError> {
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                serde_json::from_str(line)
                    .map_err(|e| EventLogError::Malformed { line: index + 1, message: e.to_string() })
            })
            .collect()
    }
}
