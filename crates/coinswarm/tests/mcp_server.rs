//! The MCP server driven by rmcp's own client, over both transports: `coinswarm mcp` on
//! stdio (a child process) and Streamable HTTP at `/mcp` on a real `coinswarm up`. Every
//! tool is called, every resource read and every prompt got; bad parameters, unknown
//! products, insufficient balance, oversight and unauthorised keys each come back as a clear
//! MCP error; an order placed over MCP shows in the REST API and on the WebSocket.

mod support;

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ErrorCode, GetPromptRequestParams, ReadResourceRequestParams,
};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{ConfigureCommandExt, StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientCacheConfig, ErrorData, ServiceExt};
use serde_json::{Value, json};
use std::time::Duration;
use support::server::{Server, create_key, scratch_dir};

type Client = RunningService<RoleClient, ()>;

const TOOLS: [&str; 15] = [
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
const TRADE_TOOLS: [&str; 5] =
    ["cancel_order", "place_limit_order", "place_market_order", "place_stop_limit_order", "preview_order"];
const ADMIN_TOOLS: [&str; 1] = ["reset_drawdown_peak"];

/// The tools a key with the `trade` scope sees: all but the operator's.
fn trade_tools() -> Vec<&'static str> {
    TOOLS.iter().copied().filter(|t| !ADMIN_TOOLS.contains(t)).collect()
}

/// The tools a read-only key sees.
fn read_only_tools() -> Vec<&'static str> {
    TOOLS.iter().copied().filter(|t| !TRADE_TOOLS.contains(t) && !ADMIN_TOOLS.contains(t)).collect()
}

fn args(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap()
}

/// Calls a tool, within 60 s.
async fn call(client: &Client, tool: &str, arguments: Value) -> Result<CallToolResult, ServiceError> {
    let request = CallToolRequestParams::new(tool.to_string()).with_arguments(args(arguments));
    tokio::time::timeout(Duration::from_secs(60), client.call_tool(request)).await.expect("a tool answers within 60 s")
}

/// A tool's structured answer, the call having succeeded with a text summary first.
async fn ok(client: &Client, tool: &str, arguments: Value) -> Value {
    let result = call(client, tool, arguments.clone()).await.unwrap_or_else(|e| panic!("{tool} {arguments}: {e}"));
    assert_ne!(result.is_error, Some(true), "{tool}: {result:?}");
    let summary = result.content[0].as_text().expect("a text summary").text.clone();
    assert!(!summary.is_empty(), "{tool}");
    result.structured_content.unwrap_or_else(|| panic!("{tool} gave no structured content"))
}

/// The MCP error a call gives.
async fn error(client: &Client, tool: &str, arguments: Value) -> ErrorData {
    match call(client, tool, arguments.clone()).await {
        Err(ServiceError::McpError(error)) => error,
        other => panic!("{tool} {arguments}: expected an MCP error, got {other:?}"),
    }
}

/// Waits (at most 60 s) until the replay has quotes and the swarm has decided.
async fn wait_for_market(client: &Client) {
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
async fn exercise(client: &Client, account: &str, tools: &[&str]) -> String {
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
        Err(ServiceError::McpError(e)) => assert!(e.message.contains("warming up"), "{e:?}"),
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_serves_every_tool_resource_and_prompt_and_records_the_client_with_its_orders() {
    let dir = scratch_dir("mcp-stdio");
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_coinswarm")).configure(|c| {
        c.args(["mcp", "--bar-interval-ms", "20", "--data-dir"]).arg(&dir).env("RUST_LOG", "warn");
    });
    let (transport, _stderr) = TokioChildProcess::builder(command).stderr(std::process::Stdio::null()).spawn().unwrap();
    let client = ().serve(transport).await.expect("the stdio server initializes");
    let order_id = exercise(&client, "mcp", &trade_tools()).await;
    client.cancel().await.unwrap();

    // The MCP client's identity is in the account's decision log with each order, stored in
    // the same commit as the order.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let store = coinswarm_server::adapters::store::SqlStore::open(&dir, coinswarm_server::clock::SystemClock::shared())
        .await
        .unwrap();
    let lines = store.order_audit("mcp", 1000).await.unwrap();
    assert!(
        lines.iter().any(|line| line.contains("\"channel\":\"mcp\"")
            && line.contains(&order_id)
            && line.contains("place_market_order")
            && line.contains("rmcp")),
        "no decision record of order {order_id} with the client's name: {lines:?}"
    );
    assert!(lines.iter().any(|line| line.contains("external_cancel") && line.contains("cancel_order")), "{lines:?}");
    assert!(store.recent_decisions("mcp", 1000).await.unwrap().is_empty(), "order records are not swarm decisions");
    store.close().await;
    std::fs::remove_dir_all(dir).unwrap();
}

async fn http_client(server: &Server, key: Option<&str>) -> Result<Client, rmcp::service::ClientInitializeError> {
    coinswarm_coinbase::install_tls_provider();
    let mut config = StreamableHttpClientTransportConfig::with_uri(format!("http://{}/mcp", server.addr));
    if let Some(key) = key {
        config = config.auth_header(key.to_string());
    }
    ().serve(StreamableHttpClientTransport::from_config(config)).await
}

#[test]
fn streamable_http_needs_a_key_offers_tools_by_scope_and_its_orders_reach_rest_and_the_stream() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;

    let dir = scratch_dir("mcp-http");
    let server = Server::start(&dir, &[]);
    let trader = create_key(&dir, "agent", "trade");
    let reader = create_key(&dir, "agent", "read");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        // No key, a wrong key: refused before any session exists.
        for key in [None, Some("csk_not_a_key")] {
            let Err(refused) = http_client(&server, key).await else { panic!("{key:?} was let in") };
            assert!(format!("{refused:?}").contains("401"), "{key:?}: {refused:?}");
        }

        // A read-only key sees and may call only the read-only tools.
        let reading = http_client(&server, Some(&reader)).await.unwrap();
        reading.set_response_cache_config(ClientCacheConfig::disabled()).await;
        let mut tools: Vec<String> =
            reading.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
        tools.sort();
        assert_eq!(tools, read_only_tools());
        wait_for_market(&reading).await;
        let e =
            error(&reading, "place_market_order", json!({"product_id": "BTC-USD", "side": "BUY", "quote_size": "100"}))
                .await;
        assert_eq!(e.code, ErrorCode(-32001), "{e:?}");
        assert!(e.message.contains("'trade' scope"), "{e:?}");
        // Its resources are its own account's.
        let orders = reading.read_resource(ReadResourceRequestParams::new("coinswarm://orders")).await.unwrap();
        assert!(format!("{:?}", orders.contents[0]).contains("orders"), "{orders:?}");
        reading.cancel().await.unwrap();

        // Fills of the trader's account on the WebSocket while it trades over MCP.
        let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/stream", server.addr)).await.unwrap();
        let subscribe =
            json!({"type": "subscribe", "channels": ["fills"], "product_ids": ["BTC-USD"], "api_key": trader});
        socket.send(Message::text(subscribe.to_string())).await.unwrap();

        let trading = http_client(&server, Some(&trader)).await.unwrap();
        let order_id = exercise(&trading, "agent", &trade_tools()).await;
        trading.cancel().await.unwrap();

        // The order is in the REST API for the same key.
        let (status, body) = server.get(&format!("/api/orders/{order_id}"), Some(&trader));
        assert_eq!(status, 200, "{body}");
        let order: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(order["order"]["client_order_id"], "mcp-buy-1", "{order}");
        let (status, body) = server.get("/api/trades?product_id=BTC-USD", Some(&trader));
        assert_eq!(status, 200);
        assert!(body.contains(&order_id), "{body}");

        // Who placed it, with the MCP client's name, is in the account's order audit.
        let (status, body) = server.get("/api/orders/audit", Some(&trader));
        assert_eq!(status, 200, "{body}");
        let audit: Value = serde_json::from_str(&body).unwrap();
        let placed =
            audit["records"].as_array().unwrap().iter().find(|r| r["outcome"]["order_id"] == order_id.as_str());
        let placed = placed.unwrap_or_else(|| panic!("{audit}"));
        assert_eq!(placed["origin"]["channel"], "mcp", "{placed}");
        assert_eq!(placed["origin"]["tool"], "place_market_order", "{placed}");
        assert!(placed["origin"]["client"].as_str().unwrap().starts_with("rmcp"), "{placed}");

        // And its fill came down the stream.
        let filled = support::stream::fill_arrives(&mut socket, &order_id, Duration::from_secs(20)).await;
        assert!(filled, "the MCP order's fill never reached the fills channel");
    });
    let status = server.terminate();
    assert!(status.success(), "the server stops cleanly with MCP sessions opened: {status:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_read_only_offers_only_the_read_only_tools_and_backtests_stay_within_their_bounds() {
    let dir = scratch_dir("mcp-read-only");
    let config = dir.join("mcp.toml");
    std::fs::write(&config, "[mcp]\nmax_backtest_bars = 5000\n").unwrap();
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_coinswarm")).configure(|c| {
        c.args(["mcp", "--read-only", "--config"]).arg(&config).arg("--data-dir").arg(&dir);
    });
    let (transport, _stderr) = TokioChildProcess::builder(command).stderr(std::process::Stdio::null()).spawn().unwrap();
    let client = ().serve(transport).await.expect("the stdio server initializes");
    let mut tools: Vec<String> =
        client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    tools.sort();
    assert_eq!(tools, read_only_tools());
    let e = error(&client, "cancel_order", json!({"order_id": "00000000-0000-0000-0000-000000000000"})).await;
    assert_eq!(e.code, ErrorCode(-32001), "{e:?}");
    // The whole hourly file is some 17,500 bars: beyond this server's 5,000.
    let e = error(&client, "run_backtest", json!({"data": "bitfinex-btcusd-1h", "strategy": "committee"})).await;
    assert_eq!(e.data.as_ref().unwrap()["code"], "TOO_MANY_BARS", "{e:?}");
    assert!(e.message.contains("at most 5000 per request"), "{e:?}");
    client.cancel().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_stdio_start_keeps_the_admin_key_in_a_private_file_never_on_stderr() {
    use tokio::io::AsyncReadExt;
    let dir = scratch_dir("mcp-first-key");
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_coinswarm")).configure(|c| {
        c.args(["mcp", "--data-dir"]).arg(&dir).env("RUST_LOG", "info");
    });
    let (transport, stderr) = TokioChildProcess::builder(command).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let client = ().serve(transport).await.expect("the stdio server initializes");
    ok(&client, "get_account_balance", json!({})).await;
    client.cancel().await.unwrap();
    // The process has ended once its stderr closes (and the data directory is free again).
    let mut logged = String::new();
    tokio::time::timeout(Duration::from_secs(30), stderr.unwrap().read_to_string(&mut logged))
        .await
        .expect("coinswarm mcp ends when its client goes")
        .unwrap();
    assert!(!logged.contains("csk_"), "a secret on stderr: {logged}");
    let path = dir.join("first-admin-key");
    assert!(logged.contains(&path.display().to_string()), "stderr names the key's file: {logged}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let secret = std::fs::read_to_string(&path).unwrap().trim().to_string();
    assert!(secret.starts_with("csk_"), "{secret}");

    // The key works, as an admin's: `up` on the same directory lists every account to it.
    let server = Server::start(&dir, &[]);
    assert_eq!(server.admin_key, None, "not a first start");
    let (status, body) = server.get("/api/accounts", Some(&secret));
    assert_eq!(status, 200, "{body}");
    let accounts: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> =
        accounts["accounts"].as_array().unwrap().iter().filter_map(|a| a["account_id"].as_str()).collect();
    assert!(ids.contains(&"swarm") && ids.contains(&"mcp"), "{ids:?}");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}
