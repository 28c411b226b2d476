//! The link between the tiers: what the agent tier (`coinswarm up --edge-url`) publishes to
//! the edge Worker's ingest route, and the edge's operator routes. Both sides build and read
//! these types, so the wire format cannot drift.

use coinswarm_core::exchange::ExchangeConfig;
use coinswarm_core::market::{Candle, Currency, Granularity, Product, ProductId, Quote};
use coinswarm_core::risk::GateConfig;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The edge's ingest route: market events, candles, decisions and the swarm's state.
pub const INGEST_PATH: &str = "/edge/ingest";
/// The edge's key-creation route (the operator's, with the edge token).
pub const KEYS_PATH: &str = "/edge/keys";
/// The agent tier's backtest route, which the edge calls for MCP's `run_backtest`: the body
/// is `mcp::params::BacktestParams`, the answer the tool's JSON. Authenticated with the edge
/// token, as the ingest route is.
pub const AGENT_BACKTEST_PATH: &str = "/internal/v1/backtest";
/// The agent tier's pattern search route, which the edge calls for MCP's
/// `find_similar_patterns`: the body is `mcp::params::SimilarParams`, the answer
/// `GET /api/memory/similar`'s.
pub const AGENT_SIMILAR_PATH: &str = "/internal/v1/similar";
/// The agent tier's batched predictions route: one call answers many products' predictions
/// ([`PredictionsAsk`] → [`PredictionsAnswer`]), each as `GET /api/predictions` answers it.
pub const AGENT_PREDICTIONS_PATH: &str = "/internal/v1/predictions";
/// Products one batched predictions call may ask for at most.
pub const MAX_PREDICTIONS_PER_CALL: usize = 100;

/// A batch of products whose predictions the edge wants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictionsAsk {
    /// 1 to [`MAX_PREDICTIONS_PER_CALL`] products, e.g. `["BTC-USD"]`.
    pub product_ids: Vec<String>,
}

/// Each asked product's prediction, or why it has none, in the order asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionsAnswer {
    pub predictions: Vec<PredictionItem>,
}

/// One product's answer in a [`PredictionsAnswer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionItem {
    pub product_id: String,
    /// `GET /api/predictions`'s body for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<serde_json::Value>,
    /// The refusal `GET /api/predictions` would answer instead, with its HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::ErrorBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

/// What every account at the edge trades on: the agent tier's venue, as `up` runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VenueSpec {
    /// Whose market this is (`coinbase`, or the replayed data's exchange, e.g. `bitfinex`):
    /// the `venue=` of the candle archive's layout.
    pub venue: String,
    pub products: Vec<Product>,
    /// The bar size the feed publishes.
    pub granularity: Granularity,
    pub exchange: ExchangeConfig,
    /// Every account's pre-trade gate (`[guard]`).
    pub guard: GateConfig,
    /// The currency new accounts are funded in.
    pub quote_currency: Currency,
    /// A new account's cash.
    #[serde(with = "rust_decimal::serde::str")]
    pub initial_capital: Decimal,
}

/// A closed bar of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductCandle {
    pub product_id: ProductId,
    pub candle: Candle,
}

/// One ingest request: what the agent tier saw since its last one. `seq` rises by one per
/// batch of a publisher's run (`run` names the run), so a retried batch is applied once.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeBatch {
    pub run: String,
    pub seq: u64,
    /// Sent with a run's first batch (and whenever it changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<VenueSpec>,
    #[serde(default)]
    pub quotes: Vec<Quote>,
    #[serde(default)]
    pub candles: Vec<ProductCandle>,
    /// The swarm's committed decision records, oldest first (already as the public may see
    /// them when the swarm trades real money).
    #[serde(default)]
    pub decisions: Vec<Value>,
    /// The swarm's state for `GET /api/swarm` (a `SwarmState` body), when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<Value>,
}

impl EdgeBatch {
    pub fn is_empty(&self) -> bool {
        self.venue.is_none()
            && self.quotes.is_empty()
            && self.candles.is_empty()
            && self.decisions.is_empty()
            && self.swarm.is_none()
    }
}

/// What the ingest route answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestAck {
    /// Whether the batch was new (false: a retry of one already applied).
    pub applied: bool,
    pub seq: u64,
}

/// `POST /edge/keys`: a new key for an account (created at the edge if new).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEdgeKey {
    pub account_id: String,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub label: String,
}

/// The created key: the secret is shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeKeyCreated {
    pub id: String,
    pub secret: String,
    pub account_id: String,
    pub scopes: Vec<String>,
}
