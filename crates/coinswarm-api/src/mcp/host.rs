//! What an MCP host provides: the desk's services for one caller, each answering the JSON
//! the matching REST route answers, or the same [`Failure`]. Every call is made with the
//! caller's key, whose scope for the tool is already checked; the host still checks what it
//! checks for REST (which accounts the key may see, the live scope).

use super::params::{BacktestParams, SimilarParams};
use crate::Failure;
use crate::access::ApiKey;
use coinswarm_core::exchange::{Order, OrderRequest};
use serde_json::Value;

/// Who is behind an order tool call: the key, the MCP client (its name and version from
/// `initialize`) and the tool. Recorded with the order in the account's audit log, on the
/// `mcp` channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpOrigin {
    pub key_id: String,
    pub client: Option<String>,
    pub tool: String,
}

/// A host's services, as MCP calls them. Futures need not be `Send` (the Worker's are not);
/// `up` calls them through its concrete desk, whose futures are.
#[allow(async_fn_in_trait)]
pub trait McpHost {
    /// `paper` or `live`: how an account's orders are executed.
    fn execution_mode(&self, account_id: &str) -> String;
    /// The account that trades real money, if any (for the server's introduction).
    fn live_account(&self) -> Option<String>;
    /// `GET /api/market-data`.
    async fn market_data(&self, product_id: &str) -> Result<Value, Failure>;
    /// `GET /api/candles`.
    async fn candles(
        &self,
        product_id: &str,
        granularity: Option<&str>,
        start: Option<&str>,
        end: Option<&str>,
    ) -> Result<Value, Failure>;
    /// `GET /api/products`.
    async fn products(&self) -> Result<Value, Failure>;
    /// One listed product's rules (a product of `GET /api/products`); 404 when unlisted.
    async fn product(&self, product_id: &str) -> Result<Value, Failure>;
    /// `GET /api/accounts`.
    async fn accounts(&self, key: &ApiKey) -> Result<Value, Failure>;
    /// `GET /api/accounts/{id}` (the key's own account when `account_id` is absent).
    async fn account(&self, key: &ApiKey, account_id: Option<&str>) -> Result<Value, Failure>;
    /// `GET /api/orders`.
    async fn orders(
        &self,
        key: &ApiKey,
        status: Option<&str>,
        product_id: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Value, Failure>;
    /// `GET /api/orders/{id}`.
    async fn order(&self, key: &ApiKey, order_id: &str) -> Result<Value, Failure>;
    /// `GET /api/trades`.
    async fn trades(&self, key: &ApiKey, product_id: Option<&str>, limit: Option<usize>) -> Result<Value, Failure>;
    /// `POST /api/orders/preview`: the preview itself (`accepted`, `rejection`, `notional`, …).
    async fn preview(&self, key: &ApiKey, request: OrderRequest) -> Result<Value, Failure>;
    /// `POST /api/orders`, down the order path.
    async fn place(&self, key: &ApiKey, request: OrderRequest, origin: McpOrigin) -> Result<Order, Failure>;
    /// `DELETE /api/orders/{id}`.
    async fn cancel(&self, key: &ApiKey, order_id: &str, origin: McpOrigin) -> Result<Order, Failure>;
    /// `POST /api/swarm/reset-drawdown`.
    async fn reset_drawdown_peak(&self, key: &ApiKey, origin: McpOrigin) -> Result<Value, Failure>;
    /// `GET /api/predictions`.
    async fn prediction(&self, key: &ApiKey, product_id: &str) -> Result<Value, Failure>;
    /// `GET /api/swarm`.
    async fn swarm_state(&self, key: &ApiKey) -> Result<Value, Failure>;
    /// A backtest within the host's bounds.
    async fn backtest(&self, params: BacktestParams) -> Result<Value, Failure>;
    /// `GET /api/memory/similar`.
    async fn similar(&self, params: SimilarParams) -> Result<Value, Failure>;
}
