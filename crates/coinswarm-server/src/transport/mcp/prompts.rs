//! The MCP prompts: a market analysis and a guarded trade, each filled with the live
//! market data (and the swarm's decision) at the time it is asked for.

use super::mcp_error;
use crate::adapters::keys::ApiKey;
use crate::desk;
use crate::desk::Desk;
use rmcp::ErrorData;
use rmcp::model::{GetPromptRequestParams, GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};

pub fn list() -> Vec<Prompt> {
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

/// What the caller's account trades, said plainly in every prompt: real money or paper.
fn money(parts: &Desk, key: &ApiKey) -> String {
    let account = &key.account_id;
    if parts.execution_mode(account) == "live" {
        format!(
            "Your account {account} trades REAL MONEY on Coinbase (live): its orders need an API key with the \
             'live' scope."
        )
    } else {
        format!("Your account {account} is a paper account (simulated, no real money).")
    }
}

pub fn get(parts: &Desk, key: &ApiKey, request: &GetPromptRequestParams) -> Result<GetPromptResult, ErrorData> {
    let argument = |name: &str| -> Result<String, ErrorData> {
        request.arguments.as_ref().and_then(|a| a.get(name)).and_then(|v| v.as_str()).map(str::to_string).ok_or_else(
            || ErrorData::invalid_params(format!("prompt '{}' needs the argument '{name}'", request.name), None),
        )
    };
    match request.name.as_str() {
        "market_analysis" => {
            let product = argument("product_id")?;
            let market = desk::market_data(parts, &product).map_err(mcp_error)?;
            let market = String::from_utf8_lossy(&market);
            let prediction = desk::prediction(parts, Some(key), &product)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|e| format!("(no decision yet: {})", e.message));
            let text = format!(
                "Analyse the {product} market for a trader.\n\nMarket data now (JSON):\n{market}\n\n\
                 The Coinswarm swarm's latest decision with every agent's vote (JSON):\n{prediction}\n\n\
                 Use get_historical_candles for the recent trend and find_similar_patterns for what followed \
                 similar states before. Say what the agents agree and disagree on, the regime, the risks \
                 (oversight and circuit breaker state from get_swarm_state), and end with a clear view: buy, \
                 sell or hold, with the confidence you have and why. {money}",
                money = money(parts, key)
            );
            Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                .with_description(format!("Market analysis of {product}")))
        }
        "trade_execution" => {
            let product = argument("product_id")?;
            let side = argument("side")?.to_ascii_uppercase();
            let size = argument("size")?;
            if side != "BUY" && side != "SELL" {
                return Err(ErrorData::invalid_params(format!("side must be BUY or SELL, not '{side}'"), None));
            }
            if size.trim().parse::<rust_decimal::Decimal>().map_or(true, |s| s <= rust_decimal::Decimal::ZERO) {
                return Err(ErrorData::invalid_params(format!("size must be a positive decimal, not '{size}'"), None));
            }
            let market = desk::market_data(parts, &product).map_err(mcp_error)?;
            let market = String::from_utf8_lossy(&market);
            let text = format!(
                "Execute this trade on your Coinswarm account: {side} {size} {product} at market. {money}\n\n\
                 Market data now (JSON):\n{market}\n\n\
                 Steps: 1. get_account_balance to check funds. 2. preview_order with order_type \"market\", \
                 side {side}, base_size \"{size}\": if it would be refused, stop and report the reason \
                 (oversight limit, breaker, balance). 3. place_market_order with the same fields and a new \
                 client_order_id (reuse it if you must retry, so the order is never placed twice). \
                 4. get_trades to confirm the fill and report price, size and fee.",
                money = money(parts, key)
            );
            Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                .with_description(format!("{side} {size} {product}")))
        }
        other => Err(ErrorData::invalid_params(format!("unknown prompt '{other}'"), None)),
    }
}
