//! The bodies of the REST answers, typed. Every host builds these, so an answer has one
//! shape whichever host gives it; the OpenAPI document describes them from these types.
//!
//! Fields are declared in alphabetical order: the server has always written its answers
//! with sorted keys, and a view written through [`serde_json::to_value`] keeps them so.

use crate::schema;
use coinswarm_core::market::{Candle, Currency, Granularity, Product, ProductId};
use coinswarm_core::memory::{Match, Pattern};
use coinswarm_core::order::{Fill, Order};
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A view as JSON, its keys sorted at every level (a map of JSON values is sorted): the
/// order every answer built through a JSON value has always had.
pub fn to_json<T: Serialize>(view: &T) -> Value {
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// `GET /healthz` (`ok`) and `GET /readyz` (`ready`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    #[schema(value_type = String, example = "ok")]
    pub status: &'static str,
}

/// A listed product and its trading rules.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductRules {
    #[schema(value_type = String, example = "BTC")]
    pub base_currency: Currency,
    /// Sizes are whole multiples of this.
    #[schema(value_type = schema::DecimalString)]
    pub base_increment: Decimal,
    #[schema(value_type = schema::DecimalString)]
    pub base_max_size: Decimal,
    #[schema(value_type = schema::DecimalString)]
    pub base_min_size: Decimal,
    #[schema(value_type = schema::ProductIdString)]
    pub product_id: ProductId,
    #[schema(value_type = String, example = "USD")]
    pub quote_currency: Currency,
    /// Prices are whole multiples of this.
    #[schema(value_type = schema::DecimalString)]
    pub quote_increment: Decimal,
    /// Smallest order value, in quote currency.
    #[schema(value_type = schema::DecimalString)]
    pub quote_min_size: Decimal,
}

impl From<&Product> for ProductRules {
    fn from(p: &Product) -> Self {
        Self {
            base_currency: p.base(),
            base_increment: p.base_increment,
            base_max_size: p.base_max_size,
            base_min_size: p.base_min_size,
            product_id: p.product_id,
            quote_currency: p.quote(),
            quote_increment: p.quote_increment,
            quote_min_size: p.quote_min_size,
        }
    }
}

/// `GET /api/products`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Products {
    pub products: Vec<ProductRules>,
}

/// Open, high, low, close and base volume of the completed bars of the last 24 hours.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Stats24h {
    #[schema(value_type = Option<schema::DecimalString>)]
    pub open: Option<Decimal>,
    #[schema(value_type = Option<schema::DecimalString>)]
    pub high: Option<Decimal>,
    #[schema(value_type = Option<schema::DecimalString>)]
    pub low: Option<Decimal>,
    #[schema(value_type = Option<schema::DecimalString>)]
    pub close: Option<Decimal>,
    #[schema(value_type = schema::DecimalString)]
    pub volume: Decimal,
}

/// `GET /api/market-data`: best bid and ask, the last price and 24 h statistics. (Written
/// straight from the struct, so in this field order.)
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarketData {
    #[schema(value_type = schema::ProductIdString)]
    pub product_id: ProductId,
    #[schema(value_type = schema::Millis)]
    pub time: Timestamp,
    #[schema(value_type = schema::DecimalString)]
    pub best_bid: Decimal,
    #[schema(value_type = schema::DecimalString)]
    pub best_ask: Decimal,
    /// The latest traded price (the replay's mid: replayed data has no prints).
    #[schema(value_type = schema::DecimalString)]
    pub last_price: Decimal,
    pub stats_24h: Stats24h,
}

/// `GET /api/candles`: oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Candles {
    #[schema(value_type = Vec<schema::Candle>)]
    pub candles: Vec<Candle>,
    #[schema(value_type = String, example = "ONE_HOUR")]
    pub granularity: Granularity,
    #[schema(value_type = schema::ProductIdString)]
    pub product_id: ProductId,
}

/// A currency's balance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Balance {
    #[schema(value_type = schema::DecimalString)]
    pub available: Decimal,
    #[schema(value_type = String, example = "USD")]
    pub currency: Currency,
    /// Reserved by open orders.
    #[schema(value_type = schema::DecimalString)]
    pub hold: Decimal,
    #[schema(value_type = schema::DecimalString)]
    pub total: Decimal,
}

/// A position in a product.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Position {
    #[schema(value_type = schema::DecimalString)]
    pub average_entry_price: Decimal,
    #[schema(value_type = schema::DecimalString)]
    pub fees_paid: Decimal,
    /// The latest price, once there is one.
    #[schema(value_type = Option<schema::DecimalString>)]
    pub mark_price: Option<Decimal>,
    #[schema(value_type = schema::ProductIdString)]
    pub product_id: ProductId,
    #[schema(value_type = schema::DecimalString)]
    pub realised_pnl: Decimal,
    #[schema(value_type = schema::DecimalString)]
    pub size: Decimal,
    #[schema(value_type = Option<schema::DecimalString>)]
    pub unrealised_pnl: Option<Decimal>,
}

/// An account: balances, positions and equity after its latest committed batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub account_id: String,
    pub balances: Vec<Balance>,
    /// Cash plus positions at their latest prices, in the quote currency.
    #[schema(value_type = schema::DecimalString)]
    pub equity: Decimal,
    /// `paper` or `live` (one account's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "paper")]
    pub mode: Option<&'static str>,
    pub positions: Vec<Position>,
    /// Engine time of the latest event or market data.
    #[schema(value_type = schema::Millis)]
    pub time: Timestamp,
}

/// `GET /api/accounts`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Accounts {
    pub accounts: Vec<Account>,
}

/// `GET /api/trades`: newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trades {
    #[schema(value_type = Vec<schema::Fill>)]
    pub trades: Vec<Fill>,
}

/// `GET /api/orders`: newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Orders {
    #[schema(value_type = Vec<schema::Order>)]
    pub orders: Vec<Order>,
}

/// `GET /api/orders/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderView {
    #[schema(value_type = schema::Order)]
    pub order: Order,
}

/// `POST /api/orders` (201) and `DELETE /api/orders/{id}`: the order as it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderChanged {
    #[schema(value_type = schema::Order)]
    pub order: Order,
    /// Always `true`.
    pub success: bool,
}

/// Why an order would be refused now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreviewRejection {
    /// The exchange's or the pre-trade gate's stable code.
    #[schema(value_type = String, example = "INSUFFICIENT_FUND")]
    pub code: &'static str,
    pub message: String,
}

/// What placing an order would do now, placing nothing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderPreview {
    /// Whether it would be accepted now (the exchange's checks and the pre-trade gate's).
    pub accepted: bool,
    /// The account's breaker: `CLOSED`, `OPEN` or `HALF_OPEN`.
    #[schema(value_type = String, example = "CLOSED")]
    pub breaker: &'static str,
    /// The fee at the taker rate on the notional (the most it can cost).
    #[schema(value_type = schema::DecimalString)]
    pub estimated_fee: Decimal,
    /// The amount the order would reserve (buys: the worst-case cost with fee).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<schema::DecimalString>)]
    pub hold_amount: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub hold_currency: Option<Currency>,
    /// The last traded price the estimate used.
    #[schema(value_type = Option<schema::DecimalString>)]
    pub last_price: Option<Decimal>,
    /// The order's value at its limit price (or the last price), in quote currency.
    #[schema(value_type = schema::DecimalString)]
    pub notional: Decimal,
    /// The exchange's or the gate's reason when it would not be accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<PreviewRejection>,
}

/// `POST /api/orders/preview`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub preview: OrderPreview,
}

/// `GET /api/orders/audit`: newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderAudit {
    pub account_id: String,
    #[schema(value_type = Vec<schema::AuditRecord>)]
    pub records: Vec<Value>,
}

/// `GET /api/predictions`: the swarm's latest decision. At the edge, when the agent tier
/// cannot answer in time, a read degrades instead of failing: the last cached prediction
/// marked `stale` with its age, or a `HOLD` marked `degraded`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Prediction {
    #[schema(value_type = schema::Decision)]
    pub decision: Value,
    #[schema(value_type = schema::ProductIdString)]
    pub product_id: ProductId,
    /// Edge only: `true` when this is the last prediction the edge cached, served because the
    /// agent tier did not answer (down, slow, or its circuit breaker open).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<bool>,
    /// Edge only, with `stale`: how old the cached prediction is, in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_ms: Option<i64>,
    /// Edge only: `true` when the agent tier did not answer and nothing was cached, so the
    /// decision is a `HOLD` at the latest price standing in for the swarm's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degraded: Option<bool>,
    /// Edge only, with `stale` or `degraded`: why the agent tier's answer is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Prediction {
    /// The swarm's `decision` for `product_id`, as the agent tier answers it.
    pub fn fresh(decision: Value, product_id: ProductId) -> Self {
        Self { decision, product_id, stale: None, age_ms: None, degraded: None, reason: None }
    }
}

/// `GET /api/decisions`: newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Decisions {
    #[schema(value_type = Vec<schema::Decision>)]
    pub decisions: Vec<Value>,
}

/// The swarm: its product, weights, breaker and halted state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Swarm {
    /// The circuit breaker: `CLOSED`, `OPEN` or `HALF_OPEN`.
    #[schema(value_type = String, example = "CLOSED")]
    pub breaker: &'static str,
    /// Decisions taken since the swarm started.
    pub decisions: u64,
    pub halted: bool,
    /// The latest decision record, if any.
    #[schema(value_type = Option<schema::Decision>)]
    pub latest_decision: Option<Value>,
    #[schema(value_type = schema::ProductIdString)]
    pub product_id: ProductId,
    /// Each agent's effective weight in the committee: `[agent, weight]`.
    #[schema(value_type = Vec<schema::AgentWeight>)]
    pub weights: Vec<(String, f64)>,
}

/// `GET /api/swarm`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SwarmState {
    /// The swarm's account, shown only to a caller who may read it (anyone in paper mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// `paper` or `live`.
    #[schema(value_type = String, example = "paper")]
    pub mode: &'static str,
    pub swarm: Swarm,
    /// Edge only: the link to the agent tier's predictions: its circuit breaker (`state`
    /// `closed`, `open` or `half_open`, failures in a row, timeouts among recent calls,
    /// `retry_in_ms` while open, times opened), its settings, and its `counters` (`callers`,
    /// `answered_from_memory`, `upstream_calls`, `products_sent`, `refused_open`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub agent_link: Option<Value>,
}

/// `POST /api/swarm/shutdown` and `POST /api/swarm/resume`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SwarmHalted {
    pub halted: bool,
    /// Always `true`.
    pub success: bool,
}

/// `POST /api/swarm/drawdown/reset`: the drawdown's peak before and after the reset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DrawdownReset {
    /// The peak the drawdown was measured from (none before any equity was seen).
    #[schema(value_type = Option<schema::DecimalString>)]
    pub previous_peak: Option<Decimal>,
    /// The new peak: the swarm account's equity now, at last prices.
    #[schema(value_type = schema::DecimalString)]
    pub peak: Decimal,
    /// Always `true`.
    pub success: bool,
}

/// One time bucket of one metric.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AnalyticsBucket {
    /// Bucket start, ms since the Unix epoch.
    #[schema(value_type = schema::Millis)]
    pub start: i64,
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
}

/// `GET /api/analytics`: events aggregated by time bucket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Analytics {
    /// The account whose events these are; `null` for every account's (admin).
    pub account_id: Option<String>,
    /// The bucket's length in ms.
    pub bucket_ms: i64,
    pub buckets: Vec<AnalyticsBucket>,
    #[schema(value_type = schema::Millis)]
    pub from: i64,
    #[schema(example = "trade_notional")]
    pub metric: String,
    #[schema(value_type = schema::Millis)]
    pub to: i64,
}

/// Episodes of one product decided in one regime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct EpisodeCount {
    pub product_id: String,
    pub regime: String,
    pub episodes: u64,
    /// With a known outcome.
    pub resolved: u64,
}

/// `GET /api/memory`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemorySummary {
    /// Records in the patterns' audit log.
    pub audit_records: u64,
    pub by_product_and_regime: Vec<EpisodeCount>,
    pub enabled: bool,
    pub episodes: u64,
    /// Patterns per lifecycle.
    pub patterns: BTreeMap<String, u64>,
    /// Episodes whose outcome is known.
    pub resolved: u64,
}

/// `GET /api/memory/patterns`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Patterns {
    #[schema(value_type = Vec<schema::Pattern>)]
    pub patterns: Vec<Pattern>,
}

/// `GET /api/memory/similar`: nearest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Similar {
    #[schema(value_type = Vec<schema::SimilarEpisode>)]
    pub matches: Vec<Match>,
    /// The market state's time (RFC 3339).
    pub state_at: String,
}

/// `POST /api/memory/patterns/change`, once the managers committed it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PatternChanged {
    /// Always `committed` (a rejected change is an error).
    #[schema(value_type = String, example = "committed")]
    pub outcome: &'static str,
    pub pattern_id: String,
    /// Always `true`.
    pub success: bool,
}
