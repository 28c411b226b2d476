//! Who sent an order from outside the swarm, and what placing one would do.

use coinswarm_core::market::Currency;
use rust_decimal::Decimal;
use serde::Serialize;

/// Who sent an order, a cancellation, or a halt or resume of the swarm from outside the
/// swarm, recorded with it in the account's audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderOrigin {
    /// `rest` or `mcp`.
    pub channel: &'static str,
    /// The API key's id (`local` for a stdio MCP server run without a key).
    pub key_id: String,
    /// The MCP client's name and version, from its `initialize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The MCP tool that placed the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
}

/// Why the desk refused an order before it reached the account's session, as recorded in
/// the account's decision log (`GET /api/orders/audit`).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRefusal {
    /// The stable code the caller was answered with, e.g. `LIVE_SCOPE_REQUIRED`.
    pub code: &'static str,
    pub message: String,
}

/// What placing an order would do, without placing it.
#[derive(Debug, Clone, Serialize)]
pub struct OrderPreview {
    /// Whether it would be accepted now (the exchange's checks and the order guard's).
    pub accepted: bool,
    /// The exchange's or the guard's reason when it would not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<PreviewRejection>,
    /// The currency and amount the order would reserve (buys: the worst-case cost with fee).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_currency: Option<Currency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_amount: Option<Decimal>,
    /// The order's value at its limit price (or the last price), in quote currency.
    pub notional: Decimal,
    /// The fee at the taker rate on that value (the most it can cost).
    pub estimated_fee: Decimal,
    /// The last traded price the estimate used.
    pub last_price: Option<Decimal>,
    /// The account's breaker: `CLOSED`, `OPEN` or `HALF_OPEN`.
    pub breaker: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreviewRejection {
    pub code: &'static str,
    pub message: String,
}
