//! What each MCP request does, the same on every host: the caller's scope for the tool,
//! its parameters read (unknown fields refused), the host's service called, and the answer
//! as structured JSON behind a one-line summary; resources read by URI; prompts filled with
//! the market now.

use super::catalogue::{self, required_scope};
use super::params::{
    AccountParams, BacktestParams, CandlesParams, LimitOrderParams, ListOrdersParams, MarketOrderParams, NoParams,
    OrderIdParams, PreviewParams, ProductParams, SimilarParams, StopLimitOrderParams, TradesParams, order_request,
};
use super::{McpHost, McpOrigin, UNAUTHORISED, answer, mcp_error};
use crate::Failure;
use crate::access::ApiKey;
use coinswarm_core::exchange::Order;
use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, GetPromptRequestParams, GetPromptResult, PromptMessage, ReadResourceResult,
    ResourceContents, Role,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// A tool call's arguments as `T`; missing, unknown or mistyped fields are `invalid_params`.
fn arguments<T: DeserializeOwned>(arguments: Option<Map<String, Value>>) -> Result<T, ErrorData> {
    serde_json::from_value(Value::Object(arguments.unwrap_or_default()))
        .map_err(|e| ErrorData::invalid_params(format!("invalid arguments: {e}"), None))
}

/// A JSON field for a summary: strings without their quotes, `—` when absent.
fn field(value: &Value, name: &str) -> String {
    match value.get(name) {
        None | Some(Value::Null) => "—".to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
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

fn count(value: &Value, list: &str) -> usize {
    value[list].as_array().map_or(0, Vec::len)
}

/// Calls `request`'s tool as `key` (its MCP client named by `client`).
pub async fn call_tool<H: McpHost>(
    host: &H,
    key: &ApiKey,
    client: Option<String>,
    request: CallToolRequestParams,
) -> Result<CallToolResult, ErrorData> {
    let name = request.name.to_string();
    let Some(tool) = catalogue::tools().into_iter().find(|t| t.name == name) else {
        return Err(ErrorData::invalid_params(format!("unknown tool '{name}'"), None));
    };
    let scope = required_scope(&tool);
    if !key.allows(scope) {
        return Err(ErrorData::new(
            UNAUTHORISED,
            format!("tool '{name}' needs an API key with the '{}' scope, which this key does not hold", scope.as_str()),
            None,
        ));
    }
    let origin = McpOrigin { key_id: key.id.clone(), client, tool: name.clone() };
    let args = request.arguments;
    match name.as_str() {
        "get_market_data" => {
            let p: ProductParams = arguments(args)?;
            let value = host.market_data(&p.product_id).await.map_err(mcp_error)?;
            let summary = format!(
                "{}: bid {} ask {} last {}",
                p.product_id,
                field(&value, "best_bid"),
                field(&value, "best_ask"),
                field(&value, "last_price")
            );
            Ok(answer(summary, value))
        }
        "get_historical_candles" => {
            let p: CandlesParams = arguments(args)?;
            let value = host
                .candles(&p.product_id, p.granularity.as_deref(), p.start.as_deref(), p.end.as_deref())
                .await
                .map_err(mcp_error)?;
            let summary =
                format!("{} {} candles of {}", count(&value, "candles"), field(&value, "granularity"), p.product_id);
            Ok(answer(summary, value))
        }
        "get_account_balance" => {
            let p: AccountParams = arguments(args)?;
            let value = host.account(key, p.account_id.as_deref()).await.map_err(mcp_error)?;
            let account_id = value["account_id"].as_str().unwrap_or("");
            let summary = format!(
                "account {account_id}: equity {} ({})",
                field(&value, "equity"),
                host.execution_mode(account_id)
            );
            Ok(answer(summary, value))
        }
        "list_orders" => {
            let p: ListOrdersParams = arguments(args)?;
            let value =
                host.orders(key, p.status.as_deref(), p.product_id.as_deref(), None).await.map_err(mcp_error)?;
            Ok(answer(format!("{} orders", count(&value, "orders")), value))
        }
        "get_trades" => {
            let p: TradesParams = arguments(args)?;
            let value = host.trades(key, p.product_id.as_deref(), p.limit).await.map_err(mcp_error)?;
            Ok(answer(format!("{} fills", count(&value, "trades")), value))
        }
        "preview_order" => {
            let p: PreviewParams = arguments(args)?;
            let request = order_request(&p).map_err(mcp_error)?;
            let preview = host.preview(key, request).await.map_err(mcp_error)?;
            let summary = match preview.get("rejection") {
                None | Some(Value::Null) => format!(
                    "would be accepted: notional {} , fee at most {}, breaker {}",
                    field(&preview, "notional"),
                    field(&preview, "estimated_fee"),
                    field(&preview, "breaker")
                ),
                Some(rejection) => {
                    format!("would be refused: {} ({})", field(rejection, "message"), field(rejection, "code"))
                }
            };
            let value = json!({"preview": preview, "mode": host.execution_mode(&key.account_id)});
            Ok(answer(summary, value))
        }
        "place_market_order" => place(host, key, arguments::<MarketOrderParams>(args)?.into(), origin).await,
        "place_limit_order" => place(host, key, arguments::<LimitOrderParams>(args)?.into(), origin).await,
        "place_stop_limit_order" => place(host, key, arguments::<StopLimitOrderParams>(args)?.into(), origin).await,
        "reset_drawdown_peak" => {
            let _: NoParams = arguments(args)?;
            let value = host.reset_drawdown_peak(key, origin).await.map_err(mcp_error)?;
            Ok(answer(format!("drawdown peak reset to {}", field(&value, "peak")), value))
        }
        "cancel_order" => {
            let p: OrderIdParams = arguments(args)?;
            let order = host.cancel(key, &p.order_id, origin).await.map_err(mcp_error)?;
            let summary = order_summary("cancelled", &order);
            Ok(answer(summary, crate::views::to_json(&crate::views::OrderView { order })))
        }
        "get_prediction" => {
            let p: ProductParams = arguments(args)?;
            let value = host.prediction(key, &p.product_id).await.map_err(mcp_error)?;
            let decision = &value["decision"];
            let mut summary = format!(
                "{}: {} (confidence {})",
                p.product_id,
                field(decision, "action"),
                field(decision, "confidence")
            );
            let learned = &decision["learned"];
            if let (Some(model), Some(expected), Some(up)) = (
                learned["model"].as_str(),
                learned["prediction"]["expected_return"].as_f64(),
                learned["prediction"]["probability_up"].as_f64(),
            ) {
                summary.push_str(&format!(
                    "; learned model {}: {:+.2}% net over its horizon, {:.0}% chance of a gain",
                    &model[..model.len().min(12)],
                    expected * 100.0,
                    up * 100.0
                ));
            }
            Ok(answer(summary, value))
        }
        "get_swarm_state" => {
            let _: NoParams = arguments(args)?;
            let value = host.swarm_state(key).await.map_err(mcp_error)?;
            let swarm = &value["swarm"];
            let summary = format!(
                "swarm on {}: breaker {}, halted {}, {} decisions",
                field(swarm, "product_id"),
                field(swarm, "breaker"),
                field(swarm, "halted"),
                field(swarm, "decisions")
            );
            Ok(answer(summary, value))
        }
        "run_backtest" => {
            let p: BacktestParams = arguments(args)?;
            let value = host.backtest(p).await.map_err(mcp_error)?;
            let summary = format!(
                "{} over {} bars: {} → {} (return {})",
                field(&value, "strategy"),
                field(&value, "bars"),
                field(&value, "initial_equity"),
                field(&value, "final_equity"),
                value["total_return"].as_str().unwrap_or("n/a")
            );
            Ok(answer(summary, value))
        }
        "find_similar_patterns" => {
            let p: SimilarParams = arguments(args)?;
            let product_id = p.product_id.clone();
            let value = host.similar(p).await.map_err(mcp_error)?;
            let summary = format!(
                "{} similar past states of {product_id} (state at {})",
                count(&value, "matches"),
                value["state_at"]
            );
            Ok(answer(summary, value))
        }
        other => Err(ErrorData::invalid_params(format!("unknown tool '{other}'"), None)),
    }
}

async fn place<H: McpHost>(
    host: &H,
    key: &ApiKey,
    params: PreviewParams,
    origin: McpOrigin,
) -> Result<CallToolResult, ErrorData> {
    let request = order_request(&params).map_err(mcp_error)?;
    let order = host.place(key, request, origin).await.map_err(mcp_error)?;
    let summary = order_summary("placed", &order);
    Ok(answer(summary, json!({"order": order, "mode": host.execution_mode(&key.account_id)})))
}

/// Reads a resource as `key`; an unknown URI or id is `resource_not_found`.
pub async fn read_resource<H: McpHost>(host: &H, key: &ApiKey, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let not_found = || ErrorData::resource_not_found(format!("no resource {uri}"), Some(json!({"uri": uri})));
    let found = |error: Failure| {
        if error.status == 404 {
            ErrorData::resource_not_found(format!("no resource {uri}: {}", error.message), Some(json!({"uri": uri})))
        } else {
            mcp_error(error)
        }
    };
    let path = uri.strip_prefix("coinswarm://").ok_or_else(not_found)?;
    let value: Value = match path.split_once('/') {
        None => match path {
            "accounts" => host.accounts(key).await.map_err(found)?,
            "products" => host.products().await.map_err(found)?,
            "orders" => host.orders(key, None, None, Some(crate::validation::ACCOUNT_PAGE.max)).await.map_err(found)?,
            "fills" => host.trades(key, None, Some(crate::validation::ACCOUNT_PAGE.max)).await.map_err(found)?,
            _ => return Err(not_found()),
        },
        Some(("account", id)) if !id.is_empty() => host.account(key, Some(id)).await.map_err(found)?,
        Some(("product", id)) if !id.is_empty() => host.product(id).await.map_err(found)?,
        Some(("order", id)) if !id.is_empty() => host.order(key, id).await.map_err(found)?,
        _ => return Err(not_found()),
    };
    Ok(ReadResourceResult::new(vec![ResourceContents::text(value.to_string(), uri).with_mime_type("application/json")]))
}

/// What the caller's account trades, said plainly in every prompt: real money or paper.
fn money<H: McpHost>(host: &H, key: &ApiKey) -> String {
    let account = &key.account_id;
    if host.execution_mode(account) == "live" {
        format!(
            "Your account {account} trades REAL MONEY on Coinbase (live): its orders need an API key with the \
             'live' scope."
        )
    } else {
        format!("Your account {account} is a paper account (simulated, no real money).")
    }
}

/// Gets a prompt, filled with the live market data (and the swarm's decision) now.
pub async fn get_prompt<H: McpHost>(
    host: &H,
    key: &ApiKey,
    request: &GetPromptRequestParams,
) -> Result<GetPromptResult, ErrorData> {
    let argument = |name: &str| -> Result<String, ErrorData> {
        request.arguments.as_ref().and_then(|a| a.get(name)).and_then(|v| v.as_str()).map(str::to_string).ok_or_else(
            || ErrorData::invalid_params(format!("prompt '{}' needs the argument '{name}'", request.name), None),
        )
    };
    match request.name.as_str() {
        "market_analysis" => {
            let product = argument("product_id")?;
            let market = host.market_data(&product).await.map_err(mcp_error)?;
            let prediction = match host.prediction(key, &product).await {
                Ok(value) => value.to_string(),
                Err(e) => format!("(no decision yet: {})", e.message),
            };
            let text = format!(
                "Analyse the {product} market for a trader.\n\nMarket data now (JSON):\n{market}\n\n\
                 The Coinswarm swarm's latest decision with every agent's vote (JSON):\n{prediction}\n\n\
                 Use get_historical_candles for the recent trend and find_similar_patterns for what followed \
                 similar states before. Say what the agents agree and disagree on, the regime, the risks \
                 (oversight and circuit breaker state from get_swarm_state), and end with a clear view: buy, \
                 sell or hold, with the confidence you have and why. {money}",
                money = money(host, key)
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
            let market = host.market_data(&product).await.map_err(mcp_error)?;
            let text = format!(
                "Execute this trade on your Coinswarm account: {side} {size} {product} at market. {money}\n\n\
                 Market data now (JSON):\n{market}\n\n\
                 Steps: 1. get_account_balance to check funds. 2. preview_order with order_type \"market\", \
                 side {side}, base_size \"{size}\": if it would be refused, stop and report the reason \
                 (oversight limit, breaker, balance). 3. place_market_order with the same fields and a new \
                 client_order_id (reuse it if you must retry, so the order is never placed twice). \
                 4. get_trades to confirm the fill and report price, size and fee.",
                money = money(host, key)
            );
            Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
                .with_description(format!("{side} {size} {product}")))
        }
        other => Err(ErrorData::invalid_params(format!("unknown prompt '{other}'"), None)),
    }
}
