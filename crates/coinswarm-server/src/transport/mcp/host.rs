//! `up`'s answers to the MCP desk: each service of [`McpHost`] is the [`crate::desk`]
//! function the REST route calls, with the same permit, so a tool checks and answers
//! exactly as its route does.

use crate::adapters::keys::ApiKey;
use crate::desk::{self, Desk, backtest};
use crate::session::{OrderOrigin, SWARM_ACCOUNT};
use coinswarm_api::mcp::params::{BacktestParams, SimilarParams, optional_decimal};
use coinswarm_api::mcp::{McpHost, McpOrigin};
use coinswarm_api::views::{OrderView, to_json};
use coinswarm_api::{Failure, RetryAfter};
use coinswarm_core::exchange::{Order, OrderRequest};
use serde_json::Value;
use std::time::Duration;

/// The desk, as MCP's host.
#[derive(Debug, Clone, Copy)]
pub struct DeskHost<'a> {
    pub desk: &'a Desk,
}

fn parse_body(bytes: &[u8]) -> Result<Value, Failure> {
    serde_json::from_slice(bytes)
        .map_err(|e| Failure::unavailable(format!("an answer was not JSON: {e}"), RetryAfter::FAULT))
}

fn order_origin(origin: McpOrigin) -> OrderOrigin {
    OrderOrigin { channel: "mcp", key_id: origin.key_id, client: origin.client, tool: Some(origin.tool) }
}

/// A backtest's bounds and ask from the tool's parameters (`mcp.max_backtest_bars`,
/// `mcp.backtest_timeout_ms`), run in the desk's backtest room: MCP's `run_backtest` and
/// the agent tier's backtest route answer the same.
pub async fn run_backtest(desk: &Desk, params: BacktestParams) -> Result<Value, Failure> {
    let options = params.params.unwrap_or_default();
    let ask = backtest::BacktestAsk {
        data: params.data,
        product_id: options.product_id,
        strategy: params.strategy,
        from: params.from,
        to: params.to,
        capital: optional_decimal("capital", options.capital.as_deref())?,
        fee_bps: optional_decimal("fee_bps", options.fee_bps.as_deref())?,
        fast: options.fast,
        slow: options.slow,
        recall: options.recall.unwrap_or(false),
    };
    let config = &desk.config.mcp;
    let limits = backtest::BacktestLimits {
        max_bars: config.max_backtest_bars,
        timeout: Duration::from_millis(config.backtest_timeout_ms),
    };
    backtest::run(ask, limits, desk.backtests.clone()).await
}

/// Pattern memory's similar past states, as MCP's `find_similar_patterns` and the agent
/// tier's similarity route ask for them.
pub async fn find_similar(desk: &Desk, params: SimilarParams) -> Result<Value, Failure> {
    let similar = desk::similar(desk, Some(&params.product_id), params.at.as_deref(), params.top_k).await?;
    Ok(to_json(&similar))
}

impl McpHost for DeskHost<'_> {
    fn execution_mode(&self, account_id: &str) -> String {
        self.desk.execution_mode(account_id).to_string()
    }

    fn live_account(&self) -> Option<String> {
        (self.desk.execution_mode(SWARM_ACCOUNT) == "live").then(|| SWARM_ACCOUNT.to_string())
    }

    async fn market_data(&self, product_id: &str) -> Result<Value, Failure> {
        parse_body(&desk::market_data(self.desk, product_id)?)
    }

    async fn candles(
        &self,
        product_id: &str,
        granularity: Option<&str>,
        start: Option<&str>,
        end: Option<&str>,
    ) -> Result<Value, Failure> {
        Ok(to_json(&desk::candles(self.desk, product_id, granularity, start, end)?))
    }

    async fn products(&self) -> Result<Value, Failure> {
        Ok(to_json(&desk::products(self.desk)))
    }

    async fn product(&self, product_id: &str) -> Result<Value, Failure> {
        Ok(to_json(&desk::product(self.desk, product_id)?))
    }

    async fn accounts(&self, key: &ApiKey) -> Result<Value, Failure> {
        Ok(to_json(&desk::accounts(self.desk, desk::Permit::check(key)?).await?))
    }

    async fn account(&self, key: &ApiKey, account_id: Option<&str>) -> Result<Value, Failure> {
        Ok(to_json(&desk::account(self.desk, desk::Permit::check(key)?, account_id).await?))
    }

    async fn orders(
        &self,
        key: &ApiKey,
        status: Option<&str>,
        product_id: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Value, Failure> {
        Ok(to_json(&desk::orders(self.desk, desk::Permit::check(key)?, status, product_id, limit).await?))
    }

    async fn order(&self, key: &ApiKey, order_id: &str) -> Result<Value, Failure> {
        let order = desk::order(self.desk, desk::Permit::check(key)?, order_id).await?;
        Ok(to_json(&OrderView { order }))
    }

    async fn trades(&self, key: &ApiKey, product_id: Option<&str>, limit: Option<usize>) -> Result<Value, Failure> {
        Ok(to_json(&desk::trades(self.desk, desk::Permit::check(key)?, product_id, limit).await?))
    }

    async fn preview(&self, key: &ApiKey, request: OrderRequest) -> Result<Value, Failure> {
        Ok(to_json(&desk::preview(self.desk, desk::Permit::check(key)?, request).await?))
    }

    async fn place(&self, key: &ApiKey, request: OrderRequest, origin: McpOrigin) -> Result<Order, Failure> {
        desk::place(self.desk, desk::Permit::check(key)?, request, order_origin(origin)).await
    }

    async fn cancel(&self, key: &ApiKey, order_id: &str, origin: McpOrigin) -> Result<Order, Failure> {
        desk::cancel(self.desk, desk::Permit::check(key)?, order_id, order_origin(origin)).await
    }

    async fn reset_drawdown_peak(&self, key: &ApiKey, origin: McpOrigin) -> Result<Value, Failure> {
        let permit = desk::Permit::check(key)?;
        Ok(to_json(&desk::reset_drawdown_peak(self.desk, permit, order_origin(origin)).await?))
    }

    async fn prediction(&self, key: &ApiKey, product_id: &str) -> Result<Value, Failure> {
        parse_body(&desk::prediction(self.desk, Some(key), product_id)?)
    }

    async fn swarm_state(&self, key: &ApiKey) -> Result<Value, Failure> {
        Ok(to_json(&desk::swarm_state(self.desk, Some(key))?))
    }

    async fn backtest(&self, params: BacktestParams) -> Result<Value, Failure> {
        run_backtest(self.desk, params).await
    }

    async fn similar(&self, params: SimilarParams) -> Result<Value, Failure> {
        find_similar(self.desk, params).await
    }
}
