//! The pre-trade gate acts on the accounts of `coinswarm up`: an API account's losing round
//! trips trip its breaker, a breach cancels its working buys with the reason, and an operator
//! restarts the swarm's drawdown peak over REST or MCP, recorded in the audit log and the
//! swarm's next decision.

mod support;

use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientCacheConfig, ServiceExt};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use support::server::{Server, create_key, scratch_dir};

/// A server on `dir` with `toml` as its config file and pattern memory off (a quick start).
fn start(dir: &Path, toml: &str) -> Server {
    let config = dir.join("up.toml");
    std::fs::write(&config, toml).unwrap();
    let config = config.to_str().unwrap().to_string();
    Server::start_with_args(dir, &[("COINSWARM_MEMORY_ENABLED", "false")], 40, &["--config", &config])
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn market(side: &str, base_size: &str) -> String {
    json!({"product_id": "BTC-USD", "side": side, "order_configuration": {"market_market_ioc": {"base_size": base_size}}})
        .to_string()
}

/// Posts `body` as `key` until it is accepted (the replay needs a price first), within 30 s;
/// returns the order.
fn place(server: &Server, key: &str, body: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, text) = server.post("/api/orders", Some(key), body);
        if status == 200 || status == 201 {
            return json_of(&text);
        }
        assert!(Instant::now() < deadline, "{body} not accepted within 30 s: {status} {text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The order's id in a placement's answer.
fn order_id(placed: &Value) -> String {
    placed["order"]["order_id"].as_str().unwrap_or_else(|| panic!("{placed}")).to_string()
}

/// The order as REST shows it, once `done` says it is what we wait for (within 20 s).
fn wait_for_order(server: &Server, key: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, text) = server.get(&format!("/api/orders/{id}"), Some(key));
        assert_eq!(status, 200, "{text}");
        let order = json_of(&text)["order"].clone();
        if done(&order) {
            return order;
        }
        assert!(Instant::now() < deadline, "order {id} never got there: {order}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_api_accounts_losing_round_trips_trip_its_breaker_which_cancels_its_working_buys_with_the_reason() {
    let dir = scratch_dir("risk-api-account");
    // Two losing trades in a row trip; the cool-down outlasts the test.
    let server = start(&dir, "[guard.breaker]\nmax_consecutive_losses = 2\ncooldown_ms = 315360000000\n");
    let trader = create_key(&dir, "trader", "trade");
    // A buy far below the market, left working; a position kept to exit later.
    let resting = json!({"product_id": "BTC-USD", "side": "BUY",
        "order_configuration": {"limit_limit_gtc": {"base_size": "0.01", "limit_price": "100.00"}}});
    let resting = order_id(&place(&server, &trader, &resting.to_string()));
    place(&server, &trader, &market("BUY", "0.05"));
    // Two round trips, each losing its fees and the spread.
    for _ in 0..2 {
        place(&server, &trader, &market("BUY", "0.1"));
        place(&server, &trader, &market("SELL", "0.1"));
    }
    let cancelled = wait_for_order(&server, &trader, &resting, |o| o["status"] != "OPEN");
    assert_eq!(cancelled["status"], "CANCELLED", "{cancelled}");
    let reason = cancelled["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("risk: circuit breaker OPEN: 2 consecutive losing trades"), "{cancelled}");

    // New risk is refused; the exit still goes.
    let (status, text) = server.post("/api/orders", Some(&trader), &market("BUY", "0.01"));
    assert_eq!(status, 422, "{text}");
    assert_eq!(json_of(&text)["error"]["code"], "BREAKER_OPEN", "{text}");
    let (status, text) = server.post("/api/orders", Some(&trader), &market("SELL", "0.05"));
    assert!(status == 200 || status == 201, "an exit passes a tripped breaker: {status} {text}");

    // The cancellation is in the account's audit log, with the reason.
    let (_, audit) = server.get("/api/orders/audit", Some(&trader));
    let audit = json_of(&audit);
    let risk = audit["records"].as_array().unwrap().iter().find(|r| r["kind"] == "external_risk");
    let risk = risk.unwrap_or_else(|| panic!("no risk record: {audit}"));
    assert_eq!(risk["event"]["event"], "buys_cancelled", "{risk}");
    assert_eq!(risk["event"]["orders"], 1, "{risk}");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_operator_restarts_the_swarms_drawdown_peak_over_rest_and_mcp_and_it_is_recorded() {
    let dir = scratch_dir("risk-drawdown-reset");
    let server = start(&dir, "");
    let admin = server.admin_key.clone().expect("the first start prints the admin key");
    let swarm_trader = create_key(&dir, "swarm", "trade");

    // Only an admin key may: a trading key of the same account may not.
    let (status, body) = server.post("/api/swarm/drawdown/reset", Some(&swarm_trader), "");
    assert_eq!(status, 403, "{body}");
    let (status, body) = server.post("/api/swarm/drawdown/reset", Some(&admin), "");
    assert_eq!(status, 200, "{body}");
    let reset = json_of(&body);
    assert_eq!(reset["success"], true, "{body}");
    assert!(reset["peak"].as_str().unwrap().parse::<f64>().unwrap() > 0.0, "{body}");

    // The swarm's next decision carries the reset.
    let deadline = Instant::now() + Duration::from_secs(20);
    let event = loop {
        let (_, body) = server.get("/api/decisions?limit=200", Some(&admin));
        let decisions = json_of(&body)["decisions"].as_array().unwrap().clone();
        let found = decisions
            .iter()
            .flat_map(|d| d["risk_events"].as_array().cloned().unwrap_or_default())
            .find(|e| e["event"] == "peak_reset");
        if let Some(event) = found {
            break event;
        }
        assert!(Instant::now() < deadline, "no decision with the reset: {decisions:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(event["peak"], reset["peak"], "{event}");

    // Over MCP: the admin key sees and calls the tool; the trading key sees no such tool.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        coinswarm_coinbase::install_tls_provider();
        let connect = |key: String| {
            let config =
                StreamableHttpClientTransportConfig::with_uri(format!("http://{}/mcp", server.addr)).auth_header(key);
            ().serve(StreamableHttpClientTransport::from_config(config))
        };
        let operator = connect(admin.clone()).await.expect("an MCP session");
        operator.set_response_cache_config(ClientCacheConfig::disabled()).await;
        let answer = operator.call_tool(CallToolRequestParams::new("reset_drawdown_peak")).await.unwrap();
        let answer = answer.structured_content.expect("structured content");
        assert_eq!(answer["success"], true, "{answer}");
        operator.cancel().await.unwrap();
        let trading = connect(swarm_trader.clone()).await.expect("an MCP session");
        trading.set_response_cache_config(ClientCacheConfig::disabled()).await;
        let tools = trading.list_all_tools().await.unwrap();
        assert!(tools.iter().all(|t| t.name != "reset_drawdown_peak"), "a trading key does not see the tool");
        assert!(trading.call_tool(CallToolRequestParams::new("reset_drawdown_peak")).await.is_err());
        trading.cancel().await.unwrap();
    });

    // Both resets are in the swarm account's audit log, with their channel.
    let (_, audit) = server.get("/api/orders/audit", Some(&admin));
    let audit = json_of(&audit);
    let channels: Vec<&str> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "external_drawdown_reset")
        .filter_map(|r| r["origin"]["channel"].as_str())
        .collect();
    assert_eq!(channels.len(), 2, "{audit}");
    assert!(channels.contains(&"rest") && channels.contains(&"mcp"), "{channels:?}");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_api_accounts_daily_limit_counts_orders_not_decisions() {
    let dir = scratch_dir("risk-orders-a-day");
    let config = dir.join("up.toml");
    std::fs::write(&config, "[guard.oversight]\nmax_trades_per_day = 3\n").unwrap();
    let config = config.to_str().unwrap().to_string();
    // One bar a second: a market day lasts 24 s, longer than the test.
    let server = Server::start_with_args(&dir, &[("COINSWARM_MEMORY_ENABLED", "false")], 1000, &["--config", &config]);
    let trader = create_key(&dir, "trader", "trade");
    let resting = |price: &str| {
        json!({"product_id": "BTC-USD", "side": "BUY",
            "order_configuration": {"limit_limit_gtc": {"base_size": "0.01", "limit_price": price}}})
        .to_string()
    };
    place(&server, &trader, &resting("100.00"));
    place(&server, &trader, &resting("101.00"));
    place(&server, &trader, &resting("102.00"));
    let (status, text) = server.post("/api/orders", Some(&trader), &resting("103.00"));
    assert_eq!(status, 422, "{text}");
    let refusal = json_of(&text);
    assert_eq!(refusal["error"]["code"], "OVERSIGHT_BREACH", "{text}");
    assert!(refusal["error"]["message"].as_str().unwrap().contains("trades"), "{text}");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}
