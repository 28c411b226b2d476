//! The pre-trade gate refuses alike on every channel: one order refused for each refusal
//! code (`OVERSIGHT_BREACH`, `SWARM_HALTED`, `BREAKER_OPEN`), sent over REST and over MCP,
//! answers with the same code and the same message on both.

mod support;

use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientCacheConfig, ServiceExt};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use support::server::{Server, create_key, scratch_dir};

type Client = RunningService<RoleClient, ()>;

/// A server on `dir` with `toml` as its config file and pattern memory off (a quick start).
fn start(dir: &Path, toml: &str) -> Server {
    let config = dir.join("up.toml");
    std::fs::write(&config, toml).unwrap();
    let config = config.to_str().unwrap().to_string();
    Server::start_with_args(dir, &[("COINSWARM_MEMORY_ENABLED", "false")], 40, &["--config", &config])
}

/// A market buy of `quote_size` in REST's shape.
fn rest_buy(quote_size: &str) -> String {
    json!({"product_id": "BTC-USD", "side": "BUY", "order_configuration": {"market_market_ioc": {"quote_size": quote_size}}})
        .to_string()
}

/// The same buy as MCP's `place_market_order` takes it.
fn mcp_buy(quote_size: &str) -> Value {
    json!({"product_id": "BTC-USD", "side": "BUY", "quote_size": quote_size})
}

/// The REST refusal of `body` by `key`: (status, code, message).
fn rest_refusal(server: &Server, key: &str, body: &str) -> (u16, String, String) {
    let (status, text) = server.post("/api/orders", Some(key), body);
    let error: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {text}: {e}"));
    let code = error["error"]["code"].as_str().unwrap_or_default().to_string();
    let message = error["error"]["message"].as_str().unwrap_or_default().to_string();
    (status, code, message)
}

/// REST refuses `body` by `key` with `code`, within 30 s (the replay needs prices first):
/// returns the message.
fn wait_for_rest_refusal(server: &Server, key: &str, body: &str, code: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, got, message) = rest_refusal(server, key, body);
        if got == code {
            assert_eq!(status, 422, "{code}: {message}");
            return message;
        }
        assert!(Instant::now() < deadline, "no {code} within 30 s: {status} {got} {message}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn mcp_client(server: &Server, key: &str) -> Client {
    coinswarm_coinbase::install_tls_provider();
    let config = StreamableHttpClientTransportConfig::with_uri(format!("http://{}/mcp", server.addr))
        .auth_header(key.to_string());
    let client = ().serve(StreamableHttpClientTransport::from_config(config)).await.expect("an MCP session");
    client.set_response_cache_config(ClientCacheConfig::disabled()).await;
    client
}

/// MCP's refusal of `place_market_order` with `arguments`: (code, message).
async fn mcp_refusal(client: &Client, arguments: Value) -> (String, String) {
    let request =
        CallToolRequestParams::new("place_market_order").with_arguments(arguments.as_object().cloned().unwrap());
    match tokio::time::timeout(Duration::from_secs(30), client.call_tool(request)).await.expect("an answer in 30 s") {
        Err(ServiceError::McpError(error)) => {
            let code = error.data.as_ref().and_then(|d| d["code"].as_str()).unwrap_or_default().to_string();
            (code, error.message.to_string())
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The MCP refusal says exactly what the REST one said: the same code, and the message as
/// MCP errors carry it (`CODE: message`).
fn assert_same_refusal(rest: (&str, &str), mcp: (String, String)) {
    let (code, message) = rest;
    assert_eq!(mcp.0, code, "the same code on MCP: {mcp:?}");
    assert_eq!(mcp.1, format!("{code}: {message}"), "the same message on MCP");
}

#[test]
fn each_refusal_of_the_gate_has_the_same_code_and_message_over_rest_and_mcp() {
    let dir = scratch_dir("refusals");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    // The default limits: at most 25,000 per order.
    let server = start(&dir, "");
    let admin = server.admin_key.clone().expect("the first start prints the admin key");
    let trader = create_key(&dir, "trader", "trade");
    let message = wait_for_rest_refusal(&server, &trader, &rest_buy("30000"), "OVERSIGHT_BREACH");
    assert!(message.contains("order notional 30000 exceeds the maximum 25000"), "{message}");
    let mcp = runtime.block_on(async {
        let client = mcp_client(&server, &trader).await;
        mcp_refusal(&client, mcp_buy("30000")).await
    });
    assert_same_refusal(("OVERSIGHT_BREACH", &message), mcp);

    // A halted swarm: its account takes no order from anyone until resumed.
    let (status, body) = server.post("/api/swarm/shutdown", Some(&admin), "");
    assert_eq!(status, 200, "{body}");
    let swarm_trader = create_key(&dir, "swarm", "trade");
    let message = wait_for_rest_refusal(&server, &swarm_trader, &rest_buy("100"), "SWARM_HALTED");
    assert_eq!(message, "the swarm's account is halted (POST /api/swarm/resume to resume)");
    let mcp = runtime.block_on(async {
        let client = mcp_client(&server, &swarm_trader).await;
        mcp_refusal(&client, mcp_buy("100")).await
    });
    assert_same_refusal(("SWARM_HALTED", &message), mcp);
    drop(server);

    // A breaker that opens at the first price move and cools down for years: every buy is
    // refused with the same trip, whichever channel asks.
    let breaker = "[guard.breaker]\nprice_move_fraction = 1e-9\nprice_move_window_ms = 315360000000\ncooldown_ms = 315360000000\nauto_close = false\n";
    let server = start(&dir, breaker);
    let message = wait_for_rest_refusal(&server, &trader, &rest_buy("100"), "BREAKER_OPEN");
    assert!(message.starts_with("the circuit breaker is open until "), "{message}");
    assert!(message.ends_with("; only orders that reduce a position pass"), "{message}");
    let mcp = runtime.block_on(async {
        let client = mcp_client(&server, &trader).await;
        mcp_refusal(&client, mcp_buy("100")).await
    });
    assert_same_refusal(("BREAKER_OPEN", &message), mcp);
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}
