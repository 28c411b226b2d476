//! The MCP tools: JSON-schema'd parameters, each a thin layer over [`crate::desk`], answering
//! with structured JSON and a one-line summary.

use super::{McpDesk, answer, mcp_error};
use crate::desk::{self, backtest};
use crate::session::OrderOrigin;
use coinswarm_api::views::{self, to_json};
use coinswarm_api::{ErrorCode, Failure};
use coinswarm_core::exchange::{Order, OrderRequest};
use coinswarm_core::market::{ProductId, Side};
use coinswarm_core::order::{LimitGtc, LimitGtd, MarketIoc, OrderConfiguration, StopDirection, StopLimitGtc};
use coinswarm_core::time::Timestamp;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::CallToolResult;
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, schemars, tool, tool_router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductParams {
    /// A listed product, e.g. "BTC-USD".
    pub product_id: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CandlesParams {
    /// A listed product, e.g. "BTC-USD".
    pub product_id: String,
    /// First bar's start: RFC 3339 ("2019-01-01T00:00:00Z") or a plain date ("2019-01-01").
    pub start: Option<String>,
    /// Last bar's start (a plain date includes the whole day).
    pub end: Option<String>,
    /// Coinbase's granularity name, e.g. "ONE_HOUR" (the feed's, when absent).
    pub granularity: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountParams {
    /// The account (the key's own when absent; only admin keys see others).
    pub account_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListOrdersParams {
    /// OPEN, FILLED, CANCELLED, EXPIRED, FAILED or PENDING.
    pub status: Option<String>,
    pub product_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TradesParams {
    pub product_id: Option<String>,
    /// Most fills to return, newest first (1 to 1000, default 100).
    pub limit: Option<usize>,
}

/// Any order, for a preview.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewParams {
    /// "market", "limit" or "stop_limit".
    pub order_type: String,
    pub product_id: String,
    /// "BUY" or "SELL".
    pub side: String,
    /// Base currency amount, a decimal string (e.g. "0.01").
    pub base_size: Option<String>,
    /// Quote currency amount (market orders only), a decimal string.
    pub quote_size: Option<String>,
    pub limit_price: Option<String>,
    pub stop_price: Option<String>,
    /// "UP" (triggers at or above stop_price) or "DOWN" (at or below).
    pub stop_direction: Option<String>,
    pub post_only: Option<bool>,
    /// Good until this time (limit orders): RFC 3339.
    pub end_time: Option<String>,
    pub client_order_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketOrderParams {
    pub product_id: String,
    /// "BUY" or "SELL".
    pub side: String,
    /// Base currency amount, a decimal string; give this or quote_size.
    pub base_size: Option<String>,
    /// Quote currency amount, a decimal string (a buy spends it including the fee).
    pub quote_size: Option<String>,
    /// Your idempotency key: a retry with the same id returns the first order.
    pub client_order_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitOrderParams {
    pub product_id: String,
    /// "BUY" or "SELL".
    pub side: String,
    /// Base currency amount, a decimal string.
    pub base_size: String,
    /// Limit price in quote currency, a decimal string.
    pub limit_price: String,
    /// Refuse the order rather than take liquidity.
    pub post_only: Option<bool>,
    /// Good until this time (RFC 3339); good until cancelled when absent.
    pub end_time: Option<String>,
    pub client_order_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StopLimitOrderParams {
    pub product_id: String,
    /// "BUY" or "SELL".
    pub side: String,
    pub base_size: String,
    pub limit_price: String,
    /// The trigger price.
    pub stop_price: String,
    /// "UP" (triggers at or above stop_price) or "DOWN" (at or below).
    pub stop_direction: String,
    pub client_order_id: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderIdParams {
    pub order_id: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestParams {
    /// A bundled data set: "bitfinex-btcusd-1h", "bitfinex-daily" or "bitstamp-daily".
    pub data: String,
    /// committee, trend, mean_reversion, recall, buy_and_hold or sma_cross.
    pub strategy: String,
    /// First bar (RFC 3339 or a plain date); the data's first when absent.
    pub from: Option<String>,
    /// Last bar (a plain date includes the day); the data's last when absent.
    pub to: Option<String>,
    pub params: Option<BacktestOptions>,
}

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BacktestOptions {
    /// The data set's product (its first when absent), e.g. "ETH-USD".
    pub product_id: Option<String>,
    /// Starting cash, a decimal string (default "100000").
    pub capital: Option<String>,
    /// Taker fee in basis points, a decimal string (default "60").
    pub fee_bps: Option<String>,
    /// sma_cross's fast and slow periods (default 10 and 30).
    pub fast: Option<usize>,
    pub slow: Option<usize>,
    /// Add the recall agent (pattern memory) to the committee.
    pub recall: Option<bool>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimilarParams {
    pub product_id: String,
    /// The market state at the last decision at or before this time (RFC 3339); now when absent.
    pub at: Option<String>,
    /// How many past episodes (1 to 100, default 10).
    pub top_k: Option<usize>,
}

fn decimal(name: &str, text: &str) -> Result<Decimal, Failure> {
    text.trim()
        .parse::<Decimal>()
        .map_err(|_| Failure::new(ErrorCode::InvalidNumber, format!("{name} '{text}' is not a decimal number")))
}

fn optional_decimal(name: &str, text: Option<&str>) -> Result<Option<Decimal>, Failure> {
    text.map(|t| decimal(name, t)).transpose()
}

/// A Coinbase-shaped order request from a preview's fields, built with the request's
/// constructors (every rule of `POST /api/orders` then applies in the desk). The end time is
/// read before the product id, in the order the REST body's parser reads them.
fn order_request(p: &PreviewParams) -> Result<OrderRequest, Failure> {
    let side = match p.side.trim().to_ascii_uppercase().as_str() {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(Failure::new(ErrorCode::InvalidSide, format!("side must be BUY or SELL, not '{}'", p.side))),
    };
    let size = |name: &str, v: &Option<String>| optional_decimal(name, v.as_deref());
    let required = |name: &str, v: &Option<String>| -> Result<Decimal, Failure> {
        size(name, v)?.ok_or_else(|| {
            Failure::new(ErrorCode::MissingField, format!("{name} is required for a {} order", p.order_type))
        })
    };
    let invalid = |e: &dyn std::fmt::Display| Failure::new(ErrorCode::InvalidOrder, e.to_string());
    let configuration = match p.order_type.trim().to_ascii_lowercase().as_str() {
        "market" => {
            let (base_size, quote_size) = (size("base_size", &p.base_size)?, size("quote_size", &p.quote_size)?);
            OrderConfiguration::MarketMarketIoc(MarketIoc { base_size, quote_size })
        }
        "limit" => {
            let (base_size, limit_price) =
                (required("base_size", &p.base_size)?, required("limit_price", &p.limit_price)?);
            let post_only = p.post_only.unwrap_or(false);
            match &p.end_time {
                None => OrderConfiguration::LimitLimitGtc(LimitGtc { base_size, limit_price, post_only }),
                Some(end) => {
                    let end_time = Timestamp::parse(end).map_err(|e| invalid(&e))?;
                    OrderConfiguration::LimitLimitGtd(LimitGtd { base_size, limit_price, end_time, post_only })
                }
            }
        }
        "stop_limit" => {
            let (base_size, limit_price) =
                (required("base_size", &p.base_size)?, required("limit_price", &p.limit_price)?);
            let stop_price = required("stop_price", &p.stop_price)?;
            let stop_direction = match p.stop_direction.as_deref().map(|d| d.trim().to_ascii_uppercase()).as_deref() {
                Some("UP" | "STOP_DIRECTION_STOP_UP") => StopDirection::StopUp,
                Some("DOWN" | "STOP_DIRECTION_STOP_DOWN") => StopDirection::StopDown,
                _ => return Err(Failure::new(ErrorCode::InvalidStopDirection, "stop_direction must be UP or DOWN")),
            };
            OrderConfiguration::StopLimitStopLimitGtc(StopLimitGtc {
                base_size,
                limit_price,
                stop_price,
                stop_direction,
            })
        }
        other => {
            return Err(Failure::new(
                ErrorCode::InvalidOrderType,
                format!("order_type must be market, limit or stop_limit, not '{other}'"),
            ));
        }
    };
    let product_id = ProductId::parse(&p.product_id).map_err(|e| invalid(&e))?;
    let request = OrderRequest::new(product_id, side, configuration);
    Ok(match &p.client_order_id {
        Some(id) => request.with_client_order_id(id.clone()),
        None => request,
    })
}

fn order_summary(verb: &str, order: &Order) -> String {
    format!(
        "{verb} {} order {} ({:?} {} {}): status {:?}, filled {}",
        order.product_id,
        order.order_id,
        order.side,
        order.order_configuration.base_size().map_or_else(|| "—".to_string(), |s| s.to_string()),
        order.product_id.base,
        order.status,
        order.filled_size,
    )
}

fn parse_body(bytes: &[u8]) -> Result<Value, ErrorData> {
    serde_json::from_slice(bytes).map_err(|e| ErrorData::internal_error(e.to_string(), None))
}

#[tool_router(vis = "pub(crate)")]
impl McpDesk {
    #[tool(
        description = "Best bid and ask, last trade and 24-hour statistics of a product (cached 1 s).",
        annotations(read_only_hint = true)
    )]
    async fn get_market_data(&self, Parameters(p): Parameters<ProductParams>) -> Result<CallToolResult, ErrorData> {
        let value = parse_body(&desk::market_data(&self.desk, &p.product_id).map_err(mcp_error)?)?;
        let field = |name: &str| value.get(name).map_or_else(|| "—".to_string(), |v| v.to_string().replace('"', ""));
        let summary = format!(
            "{}: bid {} ask {} last {}",
            p.product_id,
            field("best_bid"),
            field("best_ask"),
            field("last_price")
        );
        Ok(answer(summary, value))
    }

    #[tool(
        description = "Historical candles of a product between two times, oldest first (at most 350 per call).",
        annotations(read_only_hint = true)
    )]
    async fn get_historical_candles(
        &self,
        Parameters(p): Parameters<CandlesParams>,
    ) -> Result<CallToolResult, ErrorData> {
        let candles =
            desk::candles(&self.desk, &p.product_id, p.granularity.as_deref(), p.start.as_deref(), p.end.as_deref())
                .map_err(mcp_error)?;
        let value = to_json(&candles);
        let count = value["candles"].as_array().map_or(0, Vec::len);
        Ok(answer(
            format!("{count} {} candles of {}", value["granularity"].as_str().unwrap_or(""), p.product_id),
            value,
        ))
    }

    #[tool(
        description = "Balances, positions and equity of your account (or, with an admin key, another).",
        annotations(read_only_hint = true)
    )]
    async fn get_account_balance(
        &self,
        Parameters(p): Parameters<AccountParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let key = self.caller(&cx)?;
        let value = to_json(
            &desk::account(&self.desk, desk::Permit::check(&key).map_err(mcp_error)?, p.account_id.as_deref())
                .await
                .map_err(mcp_error)?,
        );
        let account_id = value["account_id"].as_str().unwrap_or("");
        let summary = format!(
            "account {account_id}: equity {} ({})",
            value["equity"].as_str().unwrap_or(""),
            self.desk.execution_mode(account_id)
        );
        Ok(answer(summary, value))
    }

    #[tool(
        description = "Your account's orders, newest first, optionally by status and product.",
        annotations(read_only_hint = true)
    )]
    async fn list_orders(
        &self,
        Parameters(p): Parameters<ListOrdersParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let key = self.caller(&cx)?;
        let orders = desk::orders(
            &self.desk,
            desk::Permit::check(&key).map_err(mcp_error)?,
            p.status.as_deref(),
            p.product_id.as_deref(),
            None,
        )
        .await
        .map_err(mcp_error)?;
        let value = to_json(&orders);
        let count = value["orders"].as_array().map_or(0, Vec::len);
        Ok(answer(format!("{count} orders"), value))
    }

    #[tool(description = "Your account's recent fills, newest first.", annotations(read_only_hint = true))]
    async fn get_trades(
        &self,
        Parameters(p): Parameters<TradesParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let key = self.caller(&cx)?;
        let value = to_json(
            &desk::trades(&self.desk, desk::Permit::check(&key).map_err(mcp_error)?, p.product_id.as_deref(), p.limit)
                .await
                .map_err(mcp_error)?,
        );
        let count = value["trades"].as_array().map_or(0, Vec::len);
        Ok(answer(format!("{count} fills"), value))
    }

    #[tool(
        description = "Runs every check of an order (exchange rules, balance, oversight limits, circuit breaker) and estimates its cost and fee, without placing it."
    )]
    async fn preview_order(
        &self,
        Parameters(p): Parameters<PreviewParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let key = self.caller(&cx)?;
        let request = order_request(&p).map_err(mcp_error)?;
        let preview = desk::preview(&self.desk, desk::Permit::check(&key).map_err(mcp_error)?, request)
            .await
            .map_err(mcp_error)?;
        let summary = match &preview.rejection {
            None => format!(
                "would be accepted: notional {} , fee at most {}, breaker {}",
                preview.notional, preview.estimated_fee, preview.breaker
            ),
            Some(r) => format!("would be refused: {} ({})", r.message, r.code),
        };
        let value = json!({"preview": preview, "mode": self.desk.execution_mode(&key.account_id)});
        Ok(answer(summary, value))
    }

    #[tool(
        description = "Places a market order (immediate or cancel) on your account (paper, or real money on a live Coinbase account: there the key needs the 'live' scope), through oversight and the circuit breaker."
    )]
    async fn place_market_order(
        &self,
        Parameters(p): Parameters<MarketOrderParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let order = PreviewParams {
            order_type: "market".into(),
            product_id: p.product_id,
            side: p.side,
            base_size: p.base_size,
            quote_size: p.quote_size,
            limit_price: None,
            stop_price: None,
            stop_direction: None,
            post_only: None,
            end_time: None,
            client_order_id: p.client_order_id,
        };
        self.place(order, "place_market_order", &cx).await
    }

    #[tool(
        description = "Places a limit order (good until cancelled, or until end_time) on your account (paper, or real money on a live Coinbase account: there the key needs the 'live' scope), through oversight and the circuit breaker."
    )]
    async fn place_limit_order(
        &self,
        Parameters(p): Parameters<LimitOrderParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let order = PreviewParams {
            order_type: "limit".into(),
            product_id: p.product_id,
            side: p.side,
            base_size: Some(p.base_size),
            quote_size: None,
            limit_price: Some(p.limit_price),
            stop_price: None,
            stop_direction: None,
            post_only: p.post_only,
            end_time: p.end_time,
            client_order_id: p.client_order_id,
        };
        self.place(order, "place_limit_order", &cx).await
    }

    #[tool(
        description = "Places a stop-limit order on your account (paper, or real money on a live Coinbase account: there the key needs the 'live' scope): a limit order that rests until the price reaches stop_price."
    )]
    async fn place_stop_limit_order(
        &self,
        Parameters(p): Parameters<StopLimitOrderParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let order = PreviewParams {
            order_type: "stop_limit".into(),
            product_id: p.product_id,
            side: p.side,
            base_size: Some(p.base_size),
            quote_size: None,
            limit_price: Some(p.limit_price),
            stop_price: Some(p.stop_price),
            stop_direction: Some(p.stop_direction),
            post_only: None,
            end_time: None,
            client_order_id: p.client_order_id,
        };
        self.place(order, "place_stop_limit_order", &cx).await
    }

    #[tool(
        description = "Restarts the swarm's drawdown peak at its equity now (admin key; on a live account the 'live' scope too): a drawdown breach ends and the swarm may buy again. Recorded in the audit log and the swarm's next decision."
    )]
    async fn reset_drawdown_peak(
        &self,
        Parameters(_): Parameters<NoParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let key = self.caller(&cx)?;
        let origin = self.origin(&key, "reset_drawdown_peak", &cx);
        let permit = desk::Permit::check(&key).map_err(mcp_error)?;
        let reset = desk::reset_drawdown_peak(&self.desk, permit, origin).await.map_err(mcp_error)?;
        let summary = format!("drawdown peak reset to {}", reset.peak);
        Ok(answer(summary, to_json(&reset)))
    }

    #[tool(description = "Cancels an open order of your account.")]
    async fn cancel_order(
        &self,
        Parameters(p): Parameters<OrderIdParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let key = self.caller(&cx)?;
        let origin = self.origin(&key, "cancel_order", &cx);
        let order = desk::cancel(&self.desk, desk::Permit::check(&key).map_err(mcp_error)?, &p.order_id, origin)
            .await
            .map_err(mcp_error)?;
        Ok(answer(order_summary("cancelled", &order), to_json(&views::OrderView { order })))
    }

    #[tool(
        description = "The swarm's latest decision for a product: action, confidence, every agent's vote with its reasons, regime, oversight and breaker verdicts (when live, the account's figures only to a key that may read that account).",
        annotations(read_only_hint = true)
    )]
    async fn get_prediction(
        &self,
        Parameters(p): Parameters<ProductParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let key = self.caller(&cx)?;
        let value = parse_body(&desk::prediction(&self.desk, Some(&key), &p.product_id).map_err(mcp_error)?)?;
        let decision = &value["decision"];
        let summary = format!(
            "{}: {} (confidence {})",
            p.product_id,
            decision.get("action").map_or("—".to_string(), |a| a.to_string().replace('"', "")),
            decision.get("confidence").map_or("—".to_string(), Value::to_string)
        );
        Ok(answer(summary, value))
    }

    #[tool(
        description = "The swarm: agents and their weights, regime, circuit breaker and halt state, decisions taken, its mode (paper or live), and its account (when live, only to a key that may read that account).",
        annotations(read_only_hint = true)
    )]
    async fn get_swarm_state(
        &self,
        Parameters(_): Parameters<NoParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let key = self.caller(&cx)?;
        let value = to_json(&desk::swarm_state(&self.desk, Some(&key)).map_err(mcp_error)?);
        let swarm = &value["swarm"];
        let summary = format!(
            "swarm on {}: breaker {}, halted {}, {} decisions",
            swarm["product_id"].as_str().unwrap_or(""),
            swarm["breaker"].as_str().unwrap_or(""),
            swarm["halted"],
            swarm["decisions"]
        );
        Ok(answer(summary, value))
    }

    #[tool(
        description = "Backtests a strategy on a bundled data set (at most mcp.max_backtest_bars bars, within mcp.backtest_timeout_ms): equity, return, fees and every metric.",
        annotations(read_only_hint = true)
    )]
    async fn run_backtest(&self, Parameters(p): Parameters<BacktestParams>) -> Result<CallToolResult, ErrorData> {
        let options = p.params.unwrap_or_default();
        let ask = backtest::BacktestAsk {
            data: p.data,
            product_id: options.product_id,
            strategy: p.strategy,
            from: p.from,
            to: p.to,
            capital: optional_decimal("capital", options.capital.as_deref()).map_err(mcp_error)?,
            fee_bps: optional_decimal("fee_bps", options.fee_bps.as_deref()).map_err(mcp_error)?,
            fast: options.fast,
            slow: options.slow,
            recall: options.recall.unwrap_or(false),
        };
        let config = &self.desk.config.mcp;
        let limits = backtest::BacktestLimits {
            max_bars: config.max_backtest_bars,
            timeout: Duration::from_millis(config.backtest_timeout_ms),
        };
        let value = backtest::run(ask, limits, self.desk.backtests.clone()).await.map_err(mcp_error)?;
        let summary = format!(
            "{} over {} bars: {} → {} (return {})",
            value["strategy"].as_str().unwrap_or(""),
            value["bars"],
            value["initial_equity"].as_str().unwrap_or(""),
            value["final_equity"].as_str().unwrap_or(""),
            value["total_return"].as_str().unwrap_or("n/a")
        );
        Ok(answer(summary, value))
    }

    #[tool(
        description = "Past market states most like the one now (or at the last decision at or before `at`), among those whose outcome was known then, with what happened next: pattern memory's evidence.",
        annotations(read_only_hint = true)
    )]
    async fn find_similar_patterns(
        &self,
        Parameters(p): Parameters<SimilarParams>,
    ) -> Result<CallToolResult, ErrorData> {
        let similar = desk::similar(&self.desk, Some(&p.product_id), p.at.as_deref(), p.top_k.unwrap_or(10))
            .await
            .map_err(mcp_error)?;
        let value = to_json(&similar);
        let count = value["matches"].as_array().map_or(0, Vec::len);
        Ok(answer(format!("{count} similar past states of {} (state at {})", p.product_id, value["state_at"]), value))
    }
}

impl McpDesk {
    /// Who is behind an order tool call: the key, the MCP client and the tool.
    fn origin(&self, key: &crate::adapters::keys::ApiKey, tool: &str, cx: &RequestContext<RoleServer>) -> OrderOrigin {
        OrderOrigin { channel: "mcp", key_id: key.id.clone(), client: Self::client(cx), tool: Some(tool.to_string()) }
    }

    async fn place(
        &self,
        params: PreviewParams,
        tool: &str,
        cx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let key = self.caller(cx)?;
        let request = order_request(&params).map_err(mcp_error)?;
        let origin = OrderOrigin {
            channel: "mcp",
            key_id: key.id.clone(),
            client: Self::client(cx),
            tool: Some(tool.to_string()),
        };
        let order = desk::place(&self.desk, desk::Permit::check(&key).map_err(mcp_error)?, request, origin)
            .await
            .map_err(mcp_error)?;
        Ok(answer(
            order_summary("placed", &order),
            json!({"order": order, "mode": self.desk.execution_mode(&key.account_id)}),
        ))
    }
}
