//! MCP driven by rmcp's own client, the same on every host: every tool called, every
//! resource read and every prompt got, and the errors a caller can make, against `coinswarm
//! mcp` on stdio, `coinswarm up`'s `/mcp` and the edge Worker's `/mcp` alike.
// Only the MCP test binaries use it; the others share `support` without it.
#![allow(dead_code)]

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ErrorCode, GetPromptRequestParams, ReadResourceRequestParams,
};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientCacheConfig, ErrorData, ServiceExt};
use serde_json::{Value, json};
use std::time::Duration;

pub type Client = RunningService<RoleClient, ()>;

pub const TOOLS: [&str; 15] = [
    "cancel_order",
    "find_similar_patterns",
    "get_account_balance",
    "get_historical_candles",
    "get_market_data",
    "get_prediction",
    "get_swarm_state",
    "get_trades",
    "list_orders",
    "place_limit_order",
    "place_market_order",
    "place_stop_limit_order",
    "preview_order",
    "reset_drawdown_peak",
    "run_backtest",
];
pub const TRADE_TOOLS: [&str; 5] =
    ["cancel_order", "place_limit_order", "place_market_order", "place_stop_limit_order", "preview_order"];
pub const ADMIN_TOOLS: [&str; 1] = ["reset_drawdown_peak"];

/// The tools a key with the `trade` scope sees: all but the operator's.
pub fn trade_tools() -> Vec<&'static str> {
    TOOLS.iter().copied().filter(|t| !ADMIN_TOOLS.contains(t)).collect()
}

/// The tools a read-only key sees.
pub fn read_only_tools() -> Vec<&'static str> {
    TOOLS.iter().copied().filter(|t| !TRADE_TOOLS.contains(t) && !ADMIN_TOOLS.contains(t)).collect()
}

pub fn args(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap()
}

/// Calls a tool, within 60 s.
pub async fn call(client: &Client, tool: &str, arguments: Value) -> Result<CallToolResult, ServiceError> {
    let request = CallToolRequestParams::new(tool.to_string()).with_arguments(args(arguments));
    tokio::time::timeout(Duration::from_secs(60), client.call_tool(request)).await.expect("a tool answers within 60 s")
}

/// A tool's structured answer, the call having succeeded with a text summary first.
pub async fn ok(client: &Client, tool: &str, arguments: Value) -> Value {
    let result = call(client, tool, arguments.clone()).await.unwrap_or_else(|e| panic!("{tool} {arguments}: {e}"));
    assert_ne!(result.is_error, Some(true), "{tool}: {result:?}");
    let summary = result.content[0].as_text().expect("a text summary").text.clone();
    assert!(!summary.is_empty(), "{tool}");
    result.structured_content.unwrap_or_else(|| panic!("{tool} gave no structured content"))
}

/// The MCP error a call gives.
pub async fn error(client: &Client, tool: &str, arguments: Value) -> ErrorData {
    match call(client, tool, arguments.clone()).await {
        Err(ServiceError::McpError(error)) => error,
        other => panic!("{tool} {arguments}: expected an MCP error, got {other:?}"),
    }
}

/// Waits (at most 60 s) until the replay has quotes and the swarm has decided.
pub async fn wait_for_market(client: &Client) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let market = call(client, "get_market_data", json!({"product_id": "BTC-USD"})).await;
        let prediction = call(client, "get_prediction", json!({"product_id": "BTC-USD"})).await;
        if market.is_ok() && prediction.is_ok() {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "no market data within 60 s: {market:?} {prediction:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every tool, resource and prompt, and the errors a caller can make; `tools` are those the
/// caller's key may see. Returns the id of the order this placed.
pub async fn exercise(client: &Client, account: &str, tools: &[&str]) -> String {
    let expected_tools = tools;
    client.set_response_cache_config(ClientCacheConfig::disabled()).await;
    let info = client.peer_info().expect("the server introduced itself");
    assert_eq!(info.server_info.as_ref().map(|s| s.name.as_str()), Some("coinswarm"));
    let instructions = info.instructions.clone().unwrap_or_default();
    assert!(instructions.contains("paper") && !instructions.contains("REAL MONEY"), "{instructions}");
    let mut tools: Vec<String> =
        client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    tools.sort();
    assert_eq!(tools, expected_tools);
    for tool in client.list_all_tools().await.unwrap() {
        assert_eq!(tool.input_schema.get("type"), Some(&json!("object")), "{}", tool.name);
    }
    wait_for_market(client).await;

    // Reads.
    let market = ok(client, "get_market_data", json!({"product_id": "BTC-USD"})).await;
    assert!(market["best_bid"].is_string() && market["best_ask"].is_string(), "{market}");
    let candles = ok(
        client,
        "get_historical_candles",
        json!({"product_id": "BTC-USD", "start": "2017-01-01", "end": "2030-01-01", "granularity": "ONE_HOUR"}),
    )
    .await;
    assert!(!candles["candles"].as_array().unwrap().is_empty(), "{candles}");
    let balance = ok(client, "get_account_balance", json!({})).await;
    assert_eq!(balance["account_id"], account);
    let prediction = ok(client, "get_prediction", json!({"product_id": "BTC-USD"})).await;
    assert!(prediction["decision"]["votes"].is_array(), "every agent that voted, none while warming up: {prediction}");
    assert!(
        prediction["decision"]["action"].is_string() && prediction["decision"]["regime"].is_string(),
        "{prediction}"
    );
    let e = error(client, "get_prediction", json!({"product_id": "ETH-USD"})).await;
    assert!(e.message.contains("ETH-USD is not listed"), "{e:?}");
    let swarm = ok(client, "get_swarm_state", json!({})).await;
    assert!(swarm["swarm"]["weights"].is_array(), "{swarm}");
    let backtest = ok(
        client,
        "run_backtest",
        json!({"data": "bitfinex-btcusd-1h", "strategy": "sma_cross", "from": "2018-01-01", "to": "2018-03-31", "params": {"fast": 12, "slow": 48}}),
    )
    .await;
    assert!(backtest["bars"].as_u64().unwrap() > 2000, "{backtest}");
    assert!(backtest["metrics"].is_object() && backtest["final_equity"].is_string(), "{backtest}");
    // Memory is still warming up this early, or answers with matches: never a crash.
    match call(client, "find_similar_patterns", json!({"product_id": "BTC-USD", "top_k": 5})).await {
        Ok(result) => assert!(result.structured_content.unwrap()["matches"].is_array()),
        Err(ServiceError::McpError(e)) => {
            assert!(e.message.contains("warming up") && e.message.contains("ready in about"), "{e:?}");
            let wait = e.data.as_ref().and_then(|data| data["retry_after_secs"].as_u64());
            assert!(wait.is_some_and(|secs| secs >= 1), "the wait REST's Retry-After says: {e:?}");
        }
        Err(other) => panic!("{other:?}"),
    }

    // Trading: preview, place (idempotent), list, cancel.
    let preview = ok(
        client,
        "preview_order",
        json!({"order_type": "market", "product_id": "BTC-USD", "side": "BUY", "quote_size": "1000"}),
    )
    .await;
    assert_eq!(preview["preview"]["accepted"], true, "{preview}");
    assert!(preview["preview"]["estimated_fee"].is_string(), "{preview}");
    let blocked = ok(
        client,
        "preview_order",
        json!({"order_type": "market", "product_id": "BTC-USD", "side": "BUY", "quote_size": "50000"}),
    )
    .await;
    assert_eq!(blocked["preview"]["accepted"], false, "{blocked}");
    assert_eq!(blocked["preview"]["rejection"]["code"], "OVERSIGHT_BREACH", "{blocked}");
    let bought = ok(
        client,
        "place_market_order",
        json!({"product_id": "BTC-USD", "side": "BUY", "quote_size": "1000", "client_order_id": "mcp-buy-1"}),
    )
    .await;
    assert_eq!(bought["mode"], "paper");
    let order_id = bought["order"]["order_id"].as_str().unwrap().to_string();
    let again = ok(
        client,
        "place_market_order",
        json!({"product_id": "BTC-USD", "side": "BUY", "quote_size": "1000", "client_order_id": "mcp-buy-1"}),
    )
    .await;
    assert_eq!(again["order"]["order_id"], order_id.as_str(), "a retry returns the first order");
    let price: f64 = market["best_bid"].as_str().unwrap().parse().unwrap();
    let far_below = format!("{:.2}", (price * 0.5).floor());
    let resting = ok(
        client,
        "place_limit_order",
        json!({"product_id": "BTC-USD", "side": "BUY", "base_size": "0.001", "limit_price": far_below, "post_only": true}),
    )
    .await;
    let resting_id = resting["order"]["order_id"].as_str().unwrap().to_string();
    let far_above = format!("{:.2}", (price * 2.0).floor());
    let stop = ok(
        client,
        "place_stop_limit_order",
        json!({"product_id": "BTC-USD", "side": "BUY", "base_size": "0.001", "limit_price": far_above, "stop_price": far_above, "stop_direction": "UP"}),
    )
    .await;
    assert!(stop["order"]["order_id"].is_string(), "{stop}");
    let open = ok(client, "list_orders", json!({"status": "OPEN", "product_id": "BTC-USD"})).await;
    assert!(open["orders"].as_array().unwrap().iter().any(|o| o["order_id"] == resting_id.as_str()), "{open}");
    let cancelled = ok(client, "cancel_order", json!({"order_id": resting_id})).await;
    assert_eq!(cancelled["order"]["status"], "CANCELLED", "{cancelled}");
    let trades = ok(client, "get_trades", json!({"product_id": "BTC-USD", "limit": 10})).await;
    assert!(!trades["trades"].as_array().unwrap().is_empty(), "the market buy filled: {trades}");

    // Errors: each a clear MCP error, never a crash or a hang.
    let e = error(client, "get_market_data", json!({})).await;
    assert_eq!(e.code, ErrorCode::INVALID_PARAMS, "{e:?}");
    assert!(e.message.contains("product_id"), "{e:?}");
    let e = error(client, "get_market_data", json!({"product_id": "BTC-USD", "colour": "red"})).await;
    assert_eq!(e.code, ErrorCode::INVALID_PARAMS, "{e:?}");
    let e = error(client, "get_market_data", json!({"product_id": "DOGE-USD"})).await;
    assert_eq!(
        (e.code, e.data.as_ref().unwrap()["code"].as_str()),
        (ErrorCode::INVALID_PARAMS, Some("NOT_FOUND")),
        "{e:?}"
    );
    assert!(e.message.contains("DOGE-USD is not listed"), "{e:?}");
    let e = error(client, "place_market_order", json!({"product_id": "BTC-USD", "side": "SELL", "base_size": "1000"}))
        .await;
    assert_eq!(e.code, ErrorCode::INVALID_PARAMS, "{e:?}");
    assert!(e.message.to_lowercase().contains("insufficient"), "insufficient balance: {e:?}");
    let e = error(client, "place_market_order", json!({"product_id": "BTC-USD", "side": "BUY", "quote_size": "50000"}))
        .await;
    assert_eq!(e.data.as_ref().unwrap()["code"], "OVERSIGHT_BREACH", "{e:?}");
    assert!(e.message.contains("order notional 50000 exceeds the maximum 25000"), "{e:?}");
    let e = error(
        client,
        "place_limit_order",
        json!({"product_id": "BTC-USD", "side": "BUY", "base_size": "-1", "limit_price": "100"}),
    )
    .await;
    assert_eq!(e.code, ErrorCode::INVALID_PARAMS, "{e:?}");
    let e = error(
        client,
        "place_limit_order",
        json!({"product_id": "BTC-USD", "side": "UP", "base_size": "1", "limit_price": "100"}),
    )
    .await;
    assert!(e.message.contains("BUY or SELL"), "{e:?}");
    let e = error(client, "cancel_order", json!({"order_id": "not-an-order"})).await;
    assert_eq!(e.code, ErrorCode::INVALID_PARAMS, "{e:?}");
    let e = error(client, "run_backtest", json!({"data": "bitfinex-btcusd-1h", "strategy": "moon"})).await;
    assert!(e.message.contains("unknown strategy"), "{e:?}");
    let e = error(client, "run_backtest", json!({"data": "bitfinex-daily", "strategy": "committee", "params": {"product_id": "BTC-USD"}, "to": "2014-01-01"})).await;
    assert!(e.message.contains("no bars"), "{e:?}");
    let e = error(client, "find_similar_patterns", json!({"product_id": "BTC-USD", "top_k": 0})).await;
    assert!(e.message.contains("top_k"), "{e:?}");
    let e = error(client, "cancel_order", json!({"order_id": "00000000-0000-0000-0000-000000000000"})).await;
    assert_eq!(
        (e.code, e.data.as_ref().unwrap()["code"].as_str()),
        (ErrorCode::INVALID_PARAMS, Some("NOT_FOUND")),
        "{e:?}"
    );
    let e = error(client, "get_account_balance", json!({"account_id": "swarm"})).await;
    assert!(e.message.contains("no account swarm"), "another account is answered as missing: {e:?}");
    // A size that would overflow the arithmetic is refused, and the account's session lives on.
    let huge = json!({"order_type": "market", "product_id": "BTC-USD", "side": "BUY", "base_size": "10000000000000000000000000"});
    match call(client, "preview_order", huge).await {
        Ok(result) => assert_eq!(result.structured_content.unwrap()["preview"]["accepted"], false),
        Err(ServiceError::McpError(e)) => assert_eq!(e.code, ErrorCode::INVALID_PARAMS, "{e:?}"),
        Err(other) => panic!("{other:?}"),
    }
    ok(client, "get_account_balance", json!({})).await;
    let e = error(client, "no_such_tool", json!({})).await;
    assert_eq!(e.code, ErrorCode::INVALID_PARAMS, "{e:?}");

    // Resources.
    let resources: Vec<String> =
        client.list_all_resources().await.unwrap().into_iter().map(|r| r.uri.clone()).collect();
    assert_eq!(resources, ["coinswarm://accounts", "coinswarm://products", "coinswarm://orders", "coinswarm://fills"]);
    let templates: Vec<String> =
        client.list_all_resource_templates().await.unwrap().into_iter().map(|t| t.uri_template.clone()).collect();
    assert_eq!(templates, ["coinswarm://account/{id}", "coinswarm://product/{id}", "coinswarm://order/{id}"]);
    let account_uri = format!("coinswarm://account/{account}");
    let order_uri = format!("coinswarm://order/{order_id}");
    for uri in resources.iter().map(String::as_str).chain([
        account_uri.as_str(),
        "coinswarm://product/BTC-USD",
        order_uri.as_str(),
    ]) {
        let read =
            client.read_resource(ReadResourceRequestParams::new(uri)).await.unwrap_or_else(|e| panic!("{uri}: {e}"));
        let text = match &read.contents[0] {
            rmcp::model::ResourceContents::TextResourceContents { text, mime_type, .. } => {
                assert_eq!(mime_type.as_deref(), Some("application/json"));
                text.clone()
            }
            other => panic!("{uri}: {other:?}"),
        };
        let value: Value = serde_json::from_str(&text).unwrap();
        assert!(value.is_object(), "{uri}: {value}");
    }
    for missing in [
        "coinswarm://nothing",
        "coinswarm://order/00000000-0000-0000-0000-000000000000",
        "coinswarm://product/DOGE-USD",
        "https://example.com",
    ] {
        match client.read_resource(ReadResourceRequestParams::new(missing)).await {
            Err(ServiceError::McpError(e)) => assert_eq!(e.code, ErrorCode::RESOURCE_NOT_FOUND, "{missing}: {e:?}"),
            other => panic!("{missing}: {other:?}"),
        }
    }

    // Prompts.
    let mut prompts: Vec<String> = client.list_all_prompts().await.unwrap().into_iter().map(|p| p.name).collect();
    prompts.sort();
    assert_eq!(prompts, ["market_analysis", "trade_execution"]);
    let analysis = client
        .get_prompt(
            GetPromptRequestParams::new("market_analysis").with_arguments(args(json!({"product_id": "BTC-USD"}))),
        )
        .await
        .unwrap();
    assert!(format!("{:?}", analysis.messages[0]).contains("best_bid"), "{analysis:?}");
    let execution = client
        .get_prompt(
            GetPromptRequestParams::new("trade_execution")
                .with_arguments(args(json!({"product_id": "BTC-USD", "side": "buy", "size": "0.01"}))),
        )
        .await
        .unwrap();
    let execution = format!("{:?}", execution.messages[0]);
    assert!(execution.contains("preview_order"), "{execution}");
    assert!(execution.contains("paper account") && !execution.contains("REAL MONEY"), "{execution}");
    for (name, arguments) in [
        ("market_analysis", json!({})),
        ("trade_execution", json!({"product_id": "BTC-USD", "side": "hold", "size": "1"})),
        ("no_such_prompt", json!({})),
    ] {
        match client.get_prompt(GetPromptRequestParams::new(name).with_arguments(args(arguments))).await {
            Err(ServiceError::McpError(e)) => assert_eq!(e.code, ErrorCode::INVALID_PARAMS, "{name}: {e:?}"),
            other => panic!("{name}: {other:?}"),
        }
    }
    order_id
}

/// An rmcp client of the Streamable HTTP MCP at `url` (e.g. `http://127.0.0.1:8080/mcp`),
/// with `key` as its bearer.
pub async fn http_client(url: &str, key: Option<&str>) -> Result<Client, rmcp::service::ClientInitializeError> {
    coinswarm_coinbase::install_tls_provider();
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_string());
    if let Some(key) = key {
        config = config.auth_header(key.to_string());
    }
    ().serve(StreamableHttpClientTransport::from_config(config)).await
}
