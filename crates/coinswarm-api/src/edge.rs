//! The link between the tiers: what the agent tier (`coinswarm up --edge-url`) publishes to
//! the edge Worker's ingest route, and the edge's operator routes. Both sides build and read
//! these types, so the wire format cannot drift.

use coinswarm_core::exchange::ExchangeConfig;
use coinswarm_core::market::{Candle, Currency, Granularity, Product, ProductId, Quote};
use coinswarm_core::risk::GateConfig;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The edge's ingest route: market events, candles, the swarm's state and the durable streams.
pub const INGEST_PATH: &str = "/edge/ingest";
/// The edge's key-creation route (the operator's, with the edge token).
pub const KEYS_PATH: &str = "/edge/keys";
/// The agent tier's backtest route, which the edge calls for MCP's `run_backtest`: the body
/// is `mcp::params::BacktestParams`, the answer the tool's JSON. Authenticated with the edge
/// token, as the ingest route is.
pub const AGENT_BACKTEST_PATH: &str = "/internal/v1/backtest";
/// The agent tier's batched pattern search route: many market states (a product, at a time
/// or now) in one call ([`SimilarAsk`] → [`SimilarAnswer`]), each answered as
/// `GET /api/memory/similar` answers it. The edge calls it for that route and MCP's
/// `find_similar_patterns` when it has no vector index of its own.
pub const AGENT_SIMILAR_PATH: &str = "/internal/v1/similar";
/// Market states one batched pattern search may ask about at most.
pub const MAX_SIMILAR_PER_CALL: usize = 100;

/// A batch of pattern searches.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarAsk {
    /// 1 to [`MAX_SIMILAR_PER_CALL`] searches, each MCP's `find_similar_patterns` parameters.
    pub asks: Vec<crate::mcp::params::SimilarParams>,
}

/// Each search's answer, or why it has none, in the order asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarAnswer {
    pub answers: Vec<SimilarItem>,
}

/// One search's answer in a [`SimilarAnswer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarItem {
    /// `GET /api/memory/similar`'s body for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similar: Option<Value>,
    /// The refusal the route would answer instead, with its HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::ErrorBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}
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

/// The agent tier's durable streams to the edge: each event is written to the agent tier's
/// outbox in the same commit as what it records, numbered per stream from 1 without gaps,
/// delivered at least once and applied once at the edge.
pub mod streams {
    /// The swarm's committed decision records (as the public may see them).
    pub const DECISIONS: &str = "decisions";
    /// Every fill of every account of the agent tier.
    pub const TRADES: &str = "trades";
    /// Learned patterns, each time one is committed (created or changed).
    pub const PATTERNS: &str = "patterns";
    /// Episodes of pattern memory (`Episode`, with its state vector): once when recorded, and
    /// again when resolved (with its outcome).
    pub const EPISODES: &str = "episodes";
    /// Every stream, in the order the edge applies them.
    pub const ALL: [&str; 4] = [DECISIONS, TRADES, PATTERNS, EPISODES];
}

/// One event of a durable stream ([`streams`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamEvent {
    pub stream: String,
    /// 1, 2, 3… within the stream, over every run of the agent tier.
    pub seq: u64,
    /// A decision record; `{"account_id", "fill"}`; a `Pattern`; or an `Episode`.
    pub payload: Value,
}

/// The operator's view of the edge's streams (`GET /edge/streams`): how far each is applied.
pub const STREAMS_PATH: &str = "/edge/streams";

/// How far the edge has applied one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamPosition {
    pub stream: String,
    /// The last event applied: every event 1..=last_seq was applied, once.
    pub last_seq: u64,
    /// Events applied (equals `last_seq` unless the edge's state was reset).
    pub applied: u64,
    /// Deliveries of events already applied, ignored.
    pub duplicates: u64,
    /// Deliveries that skipped ahead of `last_seq + 1`, answered with a resend request.
    pub gaps: u64,
}

/// `GET /edge/streams`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamPositions {
    pub streams: Vec<StreamPosition>,
}

/// One ingest request: what the agent tier saw since its last one. `seq` rises by one per
/// batch of a publisher's run (`run` names the run), so a retried batch's market part is
/// applied once; its stream events are applied once by their own numbers.
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
    /// The swarm's state for `GET /api/swarm` (a `SwarmState` body), when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swarm: Option<Value>,
    /// Durable stream events from the agent tier's outbox, in each stream's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<StreamEvent>,
}

impl EdgeBatch {
    pub fn is_empty(&self) -> bool {
        self.venue.is_none()
            && self.quotes.is_empty()
            && self.candles.is_empty()
            && self.swarm.is_none()
            && self.events.is_empty()
    }
}

/// What the ingest route answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestAck {
    /// Whether the batch's market part was new (false: a retry of one already applied).
    pub applied: bool,
    pub seq: u64,
    /// Each stream the batch carried: the last event the edge has applied (every one up to
    /// it, once). The agent tier may forget its outbox up to there.
    #[serde(default)]
    pub streams: std::collections::BTreeMap<String, u64>,
    /// Streams whose events skipped ahead of what the edge holds: send again from this seq.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub resend_from: std::collections::BTreeMap<String, u64>,
}

/// Which of a stream's delivered events to apply, given the last applied (`last`): sorted by
/// seq, duplicates (≤ `last`, or repeated) dropped, and cut at the first gap. Returns the
/// events to apply, how many duplicates were dropped, and the seq to resend from if a gap was
/// found.
pub fn next_in_order(last: u64, mut delivered: Vec<StreamEvent>) -> (Vec<StreamEvent>, u64, Option<u64>) {
    delivered.sort_by_key(|event| event.seq);
    let (mut apply, mut duplicates, mut expected) = (Vec::new(), 0, last + 1);
    for event in delivered {
        if event.seq < expected {
            duplicates += 1;
        } else if event.seq == expected {
            expected += 1;
            apply.push(event);
        } else {
            return (apply, duplicates, Some(expected));
        }
    }
    (apply, duplicates, None)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn events(seqs: &[u64]) -> Vec<StreamEvent> {
        seqs.iter()
            .map(|&seq| StreamEvent { stream: streams::DECISIONS.into(), seq, payload: Value::from(seq) })
            .collect()
    }

    fn seqs(events: &[StreamEvent]) -> Vec<u64> {
        events.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn a_stream_applies_each_event_once_in_order_whatever_the_delivery() {
        let (apply, duplicates, resend) = next_in_order(0, events(&[3, 1, 2]));
        assert_eq!((seqs(&apply), duplicates, resend), (vec![1, 2, 3], 0, None));

        let (apply, duplicates, resend) = next_in_order(2, events(&[1, 2, 3, 3, 4]));
        assert_eq!((seqs(&apply), duplicates, resend), (vec![3, 4], 3, None));

        let (apply, duplicates, resend) = next_in_order(5, events(&[4, 5]));
        assert_eq!((seqs(&apply), duplicates, resend), (vec![], 2, None));
    }

    #[test]
    fn a_gap_stops_the_stream_and_asks_for_a_resend_from_the_first_missing_event() {
        let (apply, duplicates, resend) = next_in_order(0, events(&[1, 2, 4, 5]));
        assert_eq!((seqs(&apply), duplicates, resend), (vec![1, 2], 0, Some(3)));

        let (apply, _, resend) = next_in_order(10, events(&[12]));
        assert_eq!((seqs(&apply), resend), (vec![], Some(11)));
    }
}
