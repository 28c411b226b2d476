//! What the MCP desk offers, the same on every host: its tools (name, description, input
//! schema, the scope each needs), its resources and templates, its prompts, and the
//! server's introduction.

use super::params::{
    AccountParams, BacktestParams, CandlesParams, LimitOrderParams, ListOrdersParams, MarketOrderParams, NoParams,
    OrderIdParams, PreviewParams, ProductParams, SimilarParams, StopLimitOrderParams, TradesParams,
};
use crate::access::{ApiKey, Scope};
use rmcp::model::{
    Implementation, InitializeResult, Prompt, PromptArgument, Resource, ResourceTemplate, ServerCapabilities, Tool,
    ToolAnnotations,
};
use rmcp::schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The operator's tools: they need a key with the `admin` scope.
pub const ADMIN_TOOLS: [&str; 1] = ["reset_drawdown_peak"];

/// The JSON schema of a tool's parameters, as rmcp's server writes it (JSON Schema
/// 2020-12, what the type accepts), without the wrapper's title and description.
fn input_schema<T: JsonSchema>() -> Arc<Map<String, Value>> {
    let schema = SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>();
    let mut object = match serde_json::to_value(schema) {
        Ok(Value::Object(object)) => object,
        _ => Map::new(),
    };
    object.remove("title");
    object.remove("description");
    object.entry("type").or_insert_with(|| Value::String("object".into()));
    Arc::new(object)
}

fn tool<T: JsonSchema>(name: &'static str, description: &'static str, read_only: bool) -> Tool {
    let tool = Tool::new(name, description, input_schema::<T>());
    if read_only { tool.with_annotations(ToolAnnotations::new().read_only(true)) } else { tool }
}

/// Every tool, in the order the desk lists them.
pub fn tools() -> Vec<Tool> {
    vec![
        tool::<ProductParams>(
            "get_market_data",
            "Best bid and ask, last trade and 24-hour statistics of a product (cached 1 s).",
            true,
        ),
        tool::<CandlesParams>(
            "get_historical_candles",
            "Historical candles of a product between two times, oldest first (at most 350 per call).",
            true,
        ),
        tool::<AccountParams>(
            "get_account_balance",
            "Balances, positions and equity of your account (or, with an admin key, another).",
            true,
        ),
        tool::<ListOrdersParams>(
            "list_orders",
            "Your account's orders, newest first, optionally by status and product.",
            true,
        ),
        tool::<TradesParams>("get_trades", "Your account's recent fills, newest first.", true),
        tool::<PreviewParams>(
            "preview_order",
            "Runs every check of an order (exchange rules, balance, oversight limits, circuit breaker) and \
             estimates its cost and fee, without placing it.",
            false,
        ),
        tool::<MarketOrderParams>(
            "place_market_order",
            "Places a market order (immediate or cancel) on your account (paper, or real money on a live \
             Coinbase account: there the key needs the 'live' scope), through oversight and the circuit breaker.",
            false,
        ),
        tool::<LimitOrderParams>(
            "place_limit_order",
            "Places a limit order (good until cancelled, or until end_time) on your account (paper, or real \
             money on a live Coinbase account: there the key needs the 'live' scope), through oversight and the \
             circuit breaker.",
            false,
        ),
        tool::<StopLimitOrderParams>(
            "place_stop_limit_order",
            "Places a stop-limit order on your account (paper, or real money on a live Coinbase account: there \
             the key needs the 'live' scope): a limit order that rests until the price reaches stop_price.",
            false,
        ),
        tool::<NoParams>(
            "reset_drawdown_peak",
            "Restarts the swarm's drawdown peak at its equity now (admin key; on a live account the 'live' \
             scope too): a drawdown breach ends and the swarm may buy again. Recorded in the audit log and the \
             swarm's next decision.",
            false,
        ),
        tool::<OrderIdParams>("cancel_order", "Cancels an open order of your account.", false),
        tool::<ProductParams>(
            "get_prediction",
            "The swarm's latest decision for a product: action, confidence, every agent's vote with its reasons, \
             regime, oversight and breaker verdicts (when live, the account's figures only to a key that may read \
             that account).",
            true,
        ),
        tool::<NoParams>(
            "get_swarm_state",
            "The swarm: agents and their weights, regime, circuit breaker and halt state, decisions taken, its \
             mode (paper or live), and its account (when live, only to a key that may read that account).",
            true,
        ),
        tool::<BacktestParams>(
            "run_backtest",
            "Backtests a strategy on a bundled data set (at most mcp.max_backtest_bars bars, within \
             mcp.backtest_timeout_ms): equity, return, fees and every metric.",
            true,
        ),
        tool::<SimilarParams>(
            "find_similar_patterns",
            "Past market states most like the one now (or at the last decision at or before `at`), among those \
             whose outcome was known then, with what happened next: pattern memory's evidence.",
            true,
        ),
    ]
}

/// The scope a key needs to see and call `tool`: read-only tools need `read`, the
/// operator's tools ([`ADMIN_TOOLS`]) `admin`, the others `trade`.
pub fn required_scope(tool: &Tool) -> Scope {
    let read_only = tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
    if read_only {
        Scope::Read
    } else if ADMIN_TOOLS.contains(&tool.name.as_ref()) {
        Scope::Admin
    } else {
        Scope::Trade
    }
}

/// The tools `key` may see and call.
pub fn tools_for(key: &ApiKey) -> Vec<Tool> {
    tools().into_iter().filter(|tool| key.allows(required_scope(tool))).collect()
}

const JSON: &str = "application/json";

/// The fixed resources.
pub fn resources() -> Vec<Resource> {
    [
        ("coinswarm://accounts", "accounts", "The accounts your key sees: balances, positions, equity."),
        ("coinswarm://products", "products", "The listed products and their trading rules."),
        ("coinswarm://orders", "orders", "Your account's orders, newest first (up to 1000)."),
        ("coinswarm://fills", "fills", "Your account's recent fills, newest first (up to 1000)."),
    ]
    .into_iter()
    .map(|(uri, name, description)| Resource::new(uri, name).with_description(description).with_mime_type(JSON))
    .collect()
}

/// The resources by id.
pub fn resource_templates() -> Vec<ResourceTemplate> {
    [
        ("coinswarm://account/{id}", "account", "One account by id: balances, positions, equity."),
        ("coinswarm://product/{id}", "product", "One product by id (e.g. BTC-USD) with its rules."),
        ("coinswarm://order/{id}", "order", "One of your orders by id."),
    ]
    .into_iter()
    .map(|(uri, name, description)| ResourceTemplate::new(uri, name).with_description(description).with_mime_type(JSON))
    .collect()
}

/// The prompts.
pub fn prompts() -> Vec<Prompt> {
    let product =
        || PromptArgument::new("product_id").with_description("A listed product, e.g. BTC-USD").with_required(true);
    vec![
        Prompt::new(
            "market_analysis",
            Some("Analyse a product's market now: prices, the swarm's decision and its reasons, similar past states."),
            Some(vec![product()]),
        ),
        Prompt::new(
            "trade_execution",
            Some(
                "Execute a trade safely: check the account, preview the order, place it idempotently, confirm the fill.",
            ),
            Some(vec![
                product(),
                PromptArgument::new("side").with_description("BUY or SELL").with_required(true),
                PromptArgument::new("size").with_description("Base currency amount, e.g. 0.01").with_required(true),
            ]),
        ),
    ]
}

/// The server's introduction: what the desk offers, and whether its orders spend real money
/// (`live_account`, the swarm's account in live mode) or not (paper).
pub fn server_info(version: &str, live_account: Option<&str>) -> InitializeResult {
    let money = match live_account {
        Some(account) => format!(
            "LIVE TRADING: the '{account}' account trades REAL MONEY on Coinbase, and placing orders on it needs \
             an API key with the 'live' scope (refused with LIVE_SCOPE_REQUIRED otherwise); every other account \
             is paper (simulated, no real money)."
        ),
        None => "Every account is paper (simulated, no real money).".to_string(),
    };
    let instructions = format!(
        "Coinswarm: a multi-agent crypto trading desk. {money} Read markets (get_market_data, \
         get_historical_candles), ask the swarm (get_prediction, get_swarm_state, find_similar_patterns), \
         backtest (run_backtest), and trade through the same oversight and circuit breaker as every order: \
         call preview_order first, then place_*_order with a client_order_id so a retry never places a \
         second order. Sizes and prices are decimal strings; times are RFC 3339 or plain dates."
    );
    // Tools, resources and prompts, none of whose lists change while a client is connected.
    let capabilities: ServerCapabilities =
        serde_json::from_value(serde_json::json!({"tools": {}, "resources": {}, "prompts": {}})).unwrap_or_default();
    InitializeResult::new(capabilities)
        .with_server_info(Implementation::new("coinswarm", version))
        .with_instructions(instructions)
}
