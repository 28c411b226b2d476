//! The calls the Worker makes to its Durable Objects, and the objects to each other: one
//! JSON body per call (`POST /call`), answered with the API's own status and body, so an
//! object's answer is passed to the client as it is.

use coinswarm_api::edge::EdgeBatch;
use coinswarm_core::exchange::OrderRequest;
use coinswarm_core::market::{ProductId, Quote};
use coinswarm_core::order::{Fill, OrderId, OrderStatus};

use serde::{Deserialize, Serialize};

/// Who sent an order or a cancellation, recorded with it in the account's audit log (the
/// same record as `coinswarm up`'s `OrderOrigin`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    /// `rest` or `mcp`.
    pub channel: String,
    pub key_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
}

/// A call to an account's object. Every parameter is already validated by the Worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum AccountCall {
    /// `POST /api/orders`: answered (201) once the order's events are stored.
    Place { request: OrderRequest, origin: Origin },
    /// `POST /api/orders/preview`.
    Preview { request: OrderRequest },
    /// `DELETE /api/orders/{id}`.
    Cancel { order_id: OrderId, origin: Origin },
    /// The account's balances, positions and equity; `with_mode` for `GET /api/accounts/{id}`
    /// (the list leaves the execution mode out, as `coinswarm up` does).
    Account { with_mode: bool },
    /// `GET /api/orders`.
    Orders { status: Option<OrderStatus>, product_id: Option<ProductId>, limit: usize },
    /// `GET /api/orders/{id}`.
    Order { order_id: OrderId },
    /// `GET /api/trades`.
    Trades { product_id: Option<ProductId>, limit: usize },
    /// `GET /api/orders/audit`.
    Audit { limit: usize },
    /// Market events from the hub, oldest first: resting orders match against them. The
    /// answer is a [`MarketApplied`].
    Market { quotes: Vec<Quote> },
}

/// What an account did with market events: its new fills (for the `fills` stream) and
/// whether it still has resting orders (the hub stops forwarding when it has none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarketApplied {
    pub fills: Vec<Fill>,
    pub resting: bool,
}

/// A call to the market hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum HubCall {
    /// A batch from the agent tier (its token already checked), answered with an
    /// `IngestAck`; a batch already applied (same run, seq not above the last) changes nothing.
    Ingest { batch: Box<EdgeBatch> },
    /// The venue every account trades on (`VenueSpec`), or 503 before the agent tier sent it.
    Venue,
    /// The latest quote of a product with the wall-clock time the hub received it
    /// ([`LatestQuote`]).
    Quote { product_id: ProductId },
    /// An account's fills for the `fills` stream, and whether it has resting orders.
    AccountChanged { account_id: String, fills: Vec<Fill>, resting: bool },
    /// `GET /api/products`.
    Products,
    /// `GET /api/market-data` (listed product, validated).
    MarketData { product_id: ProductId },
    /// `GET /api/candles`, validated: `granularity` as asked (it must be the feed's).
    Candles { product_id: ProductId, granularity: Option<String>, start: Option<String>, end: Option<String> },
    /// `GET /api/decisions`.
    Decisions { limit: usize },
    /// `GET /api/swarm`.
    Swarm,
    /// `GET /readyz`.
    Ready,
    /// How far each of the agent tier's durable streams is applied (`StreamPositions`).
    Streams,
    /// The cron's housekeeping: the latest quotes sent again to every account with resting
    /// orders (good-till-date orders expire, touched orders fill, on a quiet feed too).
    Housekeeping,
}

/// The answer to [`HubCall::Quote`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestQuote {
    pub quote: Quote,
    /// When the hub received it, in ms since the Unix epoch (the Worker's clock).
    pub received_ms: i64,
}
