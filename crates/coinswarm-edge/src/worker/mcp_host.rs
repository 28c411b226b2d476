//! The edge as MCP's host: each service of `coinswarm_api::mcp::McpHost` is the edge's
//! own route service ([`super::services`]) with the same checks, so a tool answers exactly
//! as its REST route does at the edge. Backtests and pattern search are the agent tier's
//! ([`super::agent_tier`]); swarm control stays with it, as at the edge's REST API.

use super::agent_tier;
use super::http::{self, Answer};
use super::meter::Meter;
use super::predictions;
use super::services;
use crate::calls::{HubCall, Origin};
use coinswarm_api::access::{ApiKey, Scope, require};
use coinswarm_api::mcp::params::{BacktestParams, SimilarParams};
use coinswarm_api::mcp::{McpHost, McpOrigin};
use coinswarm_api::validation;
use coinswarm_api::{Failure, RetryAfter};
use coinswarm_core::exchange::{Order, OrderRequest};
use serde_json::Value;
use worker::Env;

/// The edge's services for one MCP request.
pub struct EdgeHost<'a> {
    pub env: &'a Env,
    pub meter: &'a Meter,
}

fn origin(origin: McpOrigin) -> Origin {
    Origin { channel: "mcp".into(), key_id: origin.key_id, client: origin.client, tool: Some(origin.tool) }
}

/// The order in an answer of `POST /api/orders` or `DELETE /api/orders/{id}`.
async fn changed_order(answer: Answer) -> Result<Order, Failure> {
    let value = http::answer_json(answer).await?;
    serde_json::from_value(value["order"].clone())
        .map_err(|e| Failure::unavailable(format!("an account answered an unreadable order: {e}"), RetryAfter::FAULT))
}

impl McpHost for EdgeHost<'_> {
    /// Every account at the edge is paper: its orders fill on the core's matching engine.
    fn execution_mode(&self, _account_id: &str) -> String {
        "paper".to_string()
    }

    fn live_account(&self) -> Option<String> {
        None
    }

    async fn market_data(&self, product_id: &str) -> Result<Value, Failure> {
        http::answer_json(services::market_data(self.env, self.meter, product_id).await).await
    }

    async fn candles(
        &self,
        product_id: &str,
        granularity: Option<&str>,
        start: Option<&str>,
        end: Option<&str>,
    ) -> Result<Value, Failure> {
        let (granularity, start, end) = (granularity.map(Into::into), start.map(Into::into), end.map(Into::into));
        http::answer_json(services::candles(self.env, self.meter, product_id, granularity, start, end).await).await
    }

    async fn products(&self) -> Result<Value, Failure> {
        http::answer_json(services::hub(self.env, self.meter, HubCall::Products).await).await
    }

    async fn product(&self, product_id: &str) -> Result<Value, Failure> {
        let wanted = validation::product_id(product_id)?.to_string();
        let products = self.products().await?;
        let listed = products["products"].as_array().and_then(|all| all.iter().find(|p| p["product_id"] == wanted));
        listed.cloned().ok_or_else(|| Failure::not_found(format!("product {wanted} is not listed")))
    }

    async fn accounts(&self, key: &ApiKey) -> Result<Value, Failure> {
        require(key, Scope::Read)?;
        http::answer_json(services::list_accounts(self.env, self.meter, key).await).await
    }

    async fn account(&self, key: &ApiKey, account_id: Option<&str>) -> Result<Value, Failure> {
        require(key, Scope::Read)?;
        let id = account_id.unwrap_or(&key.account_id);
        http::answer_json(services::account_of(self.env, self.meter, key, id).await).await
    }

    async fn orders(
        &self,
        key: &ApiKey,
        status: Option<&str>,
        product_id: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Value, Failure> {
        require(key, Scope::Read)?;
        http::answer_json(services::orders(self.env, self.meter, key, status, product_id, limit).await).await
    }

    async fn order(&self, key: &ApiKey, order_id: &str) -> Result<Value, Failure> {
        require(key, Scope::Read)?;
        http::answer_json(services::order(self.env, self.meter, key, order_id).await).await
    }

    async fn trades(&self, key: &ApiKey, product_id: Option<&str>, limit: Option<usize>) -> Result<Value, Failure> {
        require(key, Scope::Read)?;
        http::answer_json(services::trades(self.env, self.meter, key, product_id, limit).await).await
    }

    async fn preview(&self, key: &ApiKey, request: OrderRequest) -> Result<Value, Failure> {
        require(key, Scope::Trade)?;
        // The route answers `{"preview": …}`; the desk wants the preview itself.
        let answer = http::answer_json(services::preview(self.env, self.meter, key, request).await).await?;
        Ok(answer["preview"].clone())
    }

    async fn place(&self, key: &ApiKey, request: OrderRequest, by: McpOrigin) -> Result<Order, Failure> {
        require(key, Scope::Trade)?;
        changed_order(services::place(self.env, self.meter, key, request, origin(by)).await).await
    }

    async fn cancel(&self, key: &ApiKey, order_id: &str, by: McpOrigin) -> Result<Order, Failure> {
        require(key, Scope::Trade)?;
        changed_order(services::cancel(self.env, self.meter, key, order_id, origin(by)).await).await
    }

    /// Swarm control is the agent tier's, as `POST /api/swarm/reset-drawdown` is at the edge.
    async fn reset_drawdown_peak(&self, key: &ApiKey, _by: McpOrigin) -> Result<Value, Failure> {
        require(key, Scope::Admin)?;
        Err(Failure::not_found(
            "reset_drawdown_peak is served by the agent tier (coinswarm up's /mcp), not by the edge",
        ))
    }

    async fn prediction(&self, _key: &ApiKey, product_id: &str) -> Result<Value, Failure> {
        http::answer_json(predictions::read(self.env, self.meter, product_id).await).await
    }

    async fn swarm_state(&self, _key: &ApiKey) -> Result<Value, Failure> {
        services::swarm(self.env, self.meter).await
    }

    async fn backtest(&self, params: BacktestParams) -> Result<Value, Failure> {
        agent_tier::call(self.env, agent_tier::BACKTEST, &params).await
    }

    async fn similar(&self, params: SimilarParams) -> Result<Value, Failure> {
        services::similar_upstream(self.env, self.meter, params).await
    }
}
