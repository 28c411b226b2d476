//! A live Coinswarm against the local mock Coinbase, for the `up_coinbase_live*` tests: the
//! test key, a mock that knows it and streams tickers, `coinswarm up --exchange
//! coinbase-live` started on it, keys with the `live` scope, and MCP and stream clients.
#![allow(dead_code)]

use super::server::{Server, keys_create};
use coinswarm_coinbase::CdpKey;
use coinswarm_coinbase::mock::{MockCoinbase, WsStep};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, GetPromptRequestParams};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn d(text: &str) -> rust_decimal::Decimal {
    text.parse().unwrap()
}

pub const KEY_NAME: &str = "organizations/test/apiKeys/live";
/// An Ed25519 key (32 bytes of 7s, base64): tests only.
pub const PRIVATE_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
pub const CONFIRM: &str = "--i-understand-this-trades-real-money";

/// Runs `coinswarm up` expecting it to refuse to start: its exit status and stderr.
pub fn refused(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_coinswarm"));
    command.args(["up", "--listen", "127.0.0.1:0", "--data-dir"]).arg(dir).args(args);
    command.env_remove("COINSWARM_COINBASE_KEY_NAME").env_remove("COINSWARM_COINBASE_PRIVATE_KEY");
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            return (status.success(), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("coinswarm up {args:?} did not stop within 60 s: it should have refused to start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A ticker a second for ETH-USD (the swarm's product) and BTC-USD, on the wall clock: no
/// full minute bar closes while the test runs, so the swarm (warmed up without trading)
/// places nothing of its own beside the test's orders.
pub fn tickers() -> Vec<WsStep> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut steps = Vec::new();
    for second in 0..180i64 {
        let time = coinswarm_core::time::Timestamp::from_millis((now + second) * 1000).to_rfc3339();
        let eth = 2_200.0 + (second % 3) as f64;
        for (product, price) in [("ETH-USD", eth), ("BTC-USD", 40_000.0)] {
            steps.push(WsStep::Send(json!({"channel": "ticker", "timestamp": time, "events": [{"type": "update",
                "tickers": [{"product_id": product, "price": format!("{price:.2}"),
                "best_bid": format!("{:.2}", price - 0.5), "best_ask": format!("{:.2}", price + 0.5)}]}]})));
        }
        steps.push(WsStep::Sleep(1000));
    }
    steps
}

/// A mock Coinbase that knows the test key, holding `balances` and streaming tickers to
/// `streams` feed connections.
pub async fn live_mock(balances: &[(&str, &str)], streams: usize) -> MockCoinbase {
    let key = CdpKey::new(KEY_NAME, PRIVATE_KEY).unwrap();
    let mock = MockCoinbase::start(Some(key.verifying_key()), None).await;
    mock.with(|s| {
        s.balances.clear();
        for (currency, amount) in balances {
            s.balances.insert(currency.to_string(), amount.to_string());
        }
        for _ in 0..streams {
            s.ws_plans.push_back(tickers());
        }
    });
    mock
}

/// `coinswarm up` trading `products` live against the mock at `urls` (WebSocket, REST),
/// with these `[live]` settings.
pub fn start_live(dir: &std::path::Path, urls: &(String, String), products: &str, live_settings: &str) -> Server {
    let (ws_url, rest_url) = urls;
    let env = [
        ("COINSWARM_COINBASE_KEY_NAME", KEY_NAME),
        ("COINSWARM_COINBASE_PRIVATE_KEY", PRIVATE_KEY),
        ("COINSWARM_COINBASE_WS_URL", ws_url.as_str()),
        ("COINSWARM_COINBASE_USER_WS_URL", ws_url.as_str()),
        ("COINSWARM_COINBASE_REST_URL", rest_url.as_str()),
    ];
    let config = dir.join("live.toml");
    std::fs::write(&config, format!("[live]\n{live_settings}")).unwrap();
    let config = config.to_str().unwrap().to_string();
    let args =
        ["--exchange", "coinbase-live", CONFIRM, "--feed", "coinbase", "--products", products, "--config", &config];
    Server::start_with_args(dir, &env, 40, &args)
}

/// A key for the swarm's (live) account that may place orders on it: `trade` and `live`,
/// confirmed.
pub fn live_trader(dir: &std::path::Path) -> String {
    keys_create(dir, &["--account", "swarm", "--scope", "trade", "--scope", "live", CONFIRM])
        .unwrap_or_else(|stderr| panic!("{stderr}"))
}

/// Waits (at most 60 s) for the live feed's first ETH-USD prices.
pub fn wait_for_prices(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.get("/api/market-data?product_id=ETH-USD", None).0 != 200 {
        assert!(Instant::now() < deadline, "ETH-USD prices within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Order requests that reached the mock Coinbase.
pub fn orders_sent(mock: &MockCoinbase) -> usize {
    mock.with(|s| s.requests.iter().filter(|(m, p, _)| m == "POST" && p.ends_with("/orders")).count())
}

/// An MCP client of the server's `/mcp`, acting with `key`.
pub async fn mcp_client(server: &Server, key: &str) -> RunningService<RoleClient, ()> {
    coinswarm_coinbase::install_tls_provider();
    let config = StreamableHttpClientTransportConfig::with_uri(format!("http://{}/mcp", server.addr))
        .auth_header(key.to_string());
    ().serve(StreamableHttpClientTransport::from_config(config)).await.unwrap()
}

pub async fn call_tool(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    arguments: Value,
) -> Result<CallToolResult, ServiceError> {
    let request = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments.as_object().cloned().unwrap());
    client.call_tool(request).await
}

/// Whether `value` has a field `name` at any depth.
pub fn has_field(value: &Value, name: &str) -> bool {
    match value {
        Value::Object(fields) => fields.iter().any(|(key, inner)| key == name || has_field(inner, name)),
        Value::Array(items) => items.iter().any(|item| has_field(item, name)),
        _ => false,
    }
}

/// A prompt's text, as the MCP client gets it.
pub async fn prompt_text(client: &RunningService<RoleClient, ()>, name: &str, arguments: Value) -> String {
    let request = GetPromptRequestParams::new(name).with_arguments(arguments.as_object().cloned().unwrap());
    let prompt = client.get_prompt(request).await.unwrap();
    format!("{:?}", prompt.messages)
}

/// ETH-USD tickers a minute of exchange time apart, one every 200 ms from the next whole
/// minute: a bar closes, and the swarm decides, five times a second.
pub fn minute_tickers() -> Vec<WsStep> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let start = (now / 60 + 1) * 60;
    let mut steps = Vec::new();
    for minute in 0..900i64 {
        let time = coinswarm_core::time::Timestamp::from_millis((start + minute * 60) * 1000).to_rfc3339();
        let price = 2_200.0 + 5.0 * ((minute as f64) / 7.0).cos();
        steps.push(WsStep::Send(json!({"channel": "ticker", "timestamp": time, "events": [{"type": "update",
            "tickers": [{"product_id": "ETH-USD", "price": format!("{price:.2}"),
            "best_bid": format!("{:.2}", price - 0.5), "best_ask": format!("{:.2}", price + 0.5)}]}]})));
        steps.push(WsStep::Sleep(200));
    }
    steps
}

/// Amounts of the live account's money a decision record carries (the equity, an order's
/// size, P&L).
pub const ACCOUNT_AMOUNTS: [&str; 5] = ["equity", "base_size", "notional", "pnl", "last_pnl"];

/// The first decision the `/stream` `decisions` channel sends an anonymous subscriber (at
/// most 30 s).
pub async fn first_streamed_decision(server: &Server) -> Value {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/stream", server.addr)).await.unwrap();
    let subscribe = json!({"type": "subscribe", "channels": ["decisions"], "product_ids": ["ETH-USD"]});
    socket.send(Message::text(subscribe.to_string())).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::time::Instant::now() < deadline {
        let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(Duration::from_secs(5), socket.next()).await
        else {
            continue;
        };
        let message: Value = serde_json::from_str(&text).unwrap();
        if message["channel"] == "decisions" {
            return message["data"].clone();
        }
    }
    panic!("no decision on the stream within 30 s");
}

/// The id `coinswarm keys list` shows for the key of `account` with exactly `scopes`.
pub fn key_id(dir: &std::path::Path, account: &str, scopes: &str) -> String {
    let output =
        Command::new(env!("CARGO_BIN_EXE_coinswarm")).args(["keys", "list", "--data-dir"]).arg(dir).output().unwrap();
    let listing = String::from_utf8(output.stdout).unwrap();
    let row =
        listing.lines().map(|l| l.split_whitespace().collect::<Vec<_>>()).find(|c| c[1] == account && c[2] == scopes);
    row.unwrap_or_else(|| panic!("no {account} key with {scopes}: {listing}"))[0].to_string()
}
