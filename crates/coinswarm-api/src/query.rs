//! The query strings and small bodies of the REST routes. Unknown parameters are refused
//! (`INVALID_QUERY`, `INVALID_BODY`); values are checked by [`crate::validation`].

use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The pattern lifecycles a filter may name.
pub const LIFECYCLES: [&str; 5] = ["candidate", "active", "deprecated", "quarantined", "deleted"];

/// `?product_id=` (market data, predictions).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// A listed product, BASE-QUOTE.
    #[param(pattern = "^[A-Za-z0-9]{1,12}-[A-Za-z0-9]{1,12}$", example = "BTC-USD")]
    pub product_id: String,
}

/// `GET /api/candles`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CandleQuery {
    /// A listed product, BASE-QUOTE.
    #[param(pattern = "^[A-Za-z0-9]{1,12}-[A-Za-z0-9]{1,12}$", example = "BTC-USD")]
    pub product_id: String,
    /// Must be the feed's (e.g. `ONE_HOUR`).
    #[param(example = "ONE_HOUR")]
    pub granularity: Option<String>,
    /// Inclusive: RFC 3339 or a plain date.
    #[param(example = "2024-01-01")]
    pub start: Option<String>,
    /// Inclusive: RFC 3339, or a plain date (the whole day).
    #[param(example = "2024-01-31")]
    pub end: Option<String>,
}

/// `GET /api/trades`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TradesQuery {
    /// Only this product's fills.
    #[param(pattern = "^[A-Za-z0-9]{1,12}-[A-Za-z0-9]{1,12}$", example = "BTC-USD")]
    pub product_id: Option<String>,
    /// Most fills returned (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// `GET /api/orders`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Only orders in this status (any case).
    #[param(example = "OPEN")]
    pub status: Option<String>,
    /// Only this product's orders.
    #[param(pattern = "^[A-Za-z0-9]{1,12}-[A-Za-z0-9]{1,12}$", example = "BTC-USD")]
    pub product_id: Option<String>,
    /// Most orders returned (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// `GET /api/orders/audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Most records returned (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// `GET /api/decisions`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DecisionsQuery {
    /// Most decisions returned (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
}

/// `GET /api/analytics`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// What to aggregate: `trade_notional`, `trade_fee` or `order_ack_ms`.
    #[param(example = "trade_notional")]
    pub metric: String,
    /// `1s`, `1m`, `5m`, `1h`, `1d` or milliseconds (default `1m`).
    #[param(example = "1m")]
    pub bucket: Option<String>,
    /// RFC 3339 or a plain date (default: 24 h ago).
    pub from: Option<String>,
    /// RFC 3339 or a plain date, inclusive (default: now).
    pub to: Option<String>,
    /// One account's events: the caller's own, or any for an admin key (another account: 404).
    pub account: Option<String>,
}

/// `GET /api/memory/patterns`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PatternsQuery {
    /// Only this product's patterns.
    #[param(pattern = "^[A-Za-z0-9]{1,12}-[A-Za-z0-9]{1,12}$", example = "BTC-USD")]
    pub product_id: Option<String>,
    /// Only patterns in this lifecycle: candidate, active, deprecated, quarantined or deleted.
    #[param(example = "active")]
    pub lifecycle: Option<String>,
}

/// `GET /api/memory/similar`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// How many episodes (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub top_k: Option<usize>,
    /// The swarm's product (another: 404).
    #[param(pattern = "^[A-Za-z0-9]{1,12}-[A-Za-z0-9]{1,12}$", example = "BTC-USD")]
    pub product_id: Option<String>,
    /// The state at the last decision at or before this time (default: now).
    pub at: Option<String>,
}

/// What an operator may do to a learned pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PatternAction {
    Quarantine,
    Deprecate,
    Delete,
}

/// `POST /api/memory/patterns/change`: an operator's change to a learned pattern.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatternChange {
    #[schema(example = "BTC-USD/p-3")]
    pub pattern_id: String,
    pub action: PatternAction,
    /// Why (required for a quarantine).
    pub reason: Option<String>,
}
