//! `coinswarm up --exchange coinbase-live` against the local mock Coinbase: live mode
//! refuses to start without every safeguard (saying why), and with them it sends the
//! account's orders to Coinbase only after the order guard passed them, records every
//! request and answer in the audit log, follows fills and cancellations, and shows the
//! Coinbase balances. Orders on the live account need a key with the `live` scope, on REST and
//! MCP alike, and so does resuming a halted live swarm; the public swarm state, decisions,
//! predictions and stream hide the live account's figures; MCP tells agents it is real money.

mod support;

use coinswarm_coinbase::CdpKey;
use coinswarm_coinbase::mock::{Fault, MockCoinbase, WsStep};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, GetPromptRequestParams};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::server::{Server, create_key, keys_create, scratch_dir};

fn d(text: &str) -> rust_decimal::Decimal {
    text.parse().unwrap()
}

const KEY_NAME: &str = "organizations/test/apiKeys/live";
/// An Ed25519 key (32 bytes of 7s, base64): tests only.
const PRIVATE_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
const CONFIRM: &str = "--i-understand-this-trades-real-money";

/// Runs `coinswarm up` expecting it to refuse to start: its exit status and stderr.
fn refused(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_mode_refuses_to_start_without_a_key_the_flag_and_live_prices() {
    let other = CdpKey::random("organizations/test/apiKeys/other", "EdDSA").unwrap();
    let mock = MockCoinbase::start(Some(other.verifying_key()), None).await;
    let rest_url = mock.url();
    let right = MockCoinbase::start(Some(CdpKey::new(KEY_NAME, PRIVATE_KEY).unwrap().verifying_key()), None).await;
    right.with(|s| s.delisted.insert("ETH-USD".into()));
    let right_url = right.url();
    let dir = scratch_dir("live-refusals");
    tokio::task::spawn_blocking(move || {
        // Nothing given: every missing safeguard is named at once.
        let (ok, stderr) = refused(&dir, &["--exchange", "coinbase-live"], &[]);
        assert!(!ok);
        assert!(stderr.contains("refusing to start --exchange coinbase-live"), "{stderr}");
        assert!(stderr.contains(CONFIRM), "the flag is named: {stderr}");
        assert!(stderr.contains("COINSWARM_COINBASE_KEY_NAME"), "the key is named: {stderr}");
        assert!(stderr.contains("--feed coinbase"), "live prices are named: {stderr}");

        // A key and live prices, but no confirmation.
        let key_env = [("COINSWARM_COINBASE_KEY_NAME", KEY_NAME), ("COINSWARM_COINBASE_PRIVATE_KEY", PRIVATE_KEY)];
        let args = ["--exchange", "coinbase-live", "--feed", "coinbase", "--products", "ETH-USD"];
        let (ok, stderr) = refused(&dir, &args, &key_env);
        assert!(!ok);
        assert!(stderr.contains(CONFIRM) && !stderr.contains("COINSWARM_COINBASE_KEY_NAME"), "{stderr}");

        // The flag without a key.
        let mut confirmed = args.to_vec();
        confirmed.push(CONFIRM);
        let (ok, stderr) = refused(&dir, &confirmed, &[]);
        assert!(!ok);
        assert!(stderr.contains("needs a Coinbase CDP API key") && !stderr.contains(CONFIRM), "{stderr}");

        // The order guard turned off.
        let (ok, stderr) = refused(&dir, &confirmed, &[key_env[0], key_env[1], ("COINSWARM_GUARD_ENABLED", "false")]);
        assert!(!ok);
        assert!(stderr.contains("the order guard is off") && !stderr.contains("CDP API key"), "{stderr}");

        // Everything, but Coinbase does not know the key.
        let env = [key_env[0], key_env[1], ("COINSWARM_COINBASE_REST_URL", rest_url.as_str())];
        let (ok, stderr) = refused(&dir, &confirmed, &env);
        assert!(!ok);
        assert!(stderr.contains("Coinbase refused the API key"), "{stderr}");

        // A key file that is not a key.
        let file = dir.join("key.json");
        std::fs::write(&file, r#"{"name": "organizations/x/apiKeys/y", "privateKey": "not a key"}"#).unwrap();
        let mut with_file = confirmed.clone();
        with_file.extend(["--coinbase-key-file", file.to_str().unwrap()]);
        let (ok, stderr) = refused(&dir, &with_file, &env[2..]);
        assert!(!ok);
        assert!(stderr.contains("the Coinbase key in"), "{stderr}");

        // A product Coinbase does not trade: no rules to size orders by.
        let env = [key_env[0], key_env[1], ("COINSWARM_COINBASE_REST_URL", right_url.as_str())];
        let (ok, stderr) = refused(&dir, &confirmed, &env);
        assert!(!ok);
        assert!(stderr.contains("no trading rules for ETH-USD") && stderr.contains("not tradable"), "{stderr}");
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await
    .unwrap();
    // No order request ever reached Coinbase.
    assert!(mock.with(|s| s.orders.is_empty()) && right.with(|s| s.orders.is_empty()));
}

/// A ticker a second for ETH-USD (the swarm's product) and BTC-USD, on the wall clock: no
/// full minute bar closes while the test runs, so the swarm (warmed up without trading)
/// places nothing of its own beside the test's orders.
fn tickers() -> Vec<WsStep> {
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
async fn live_mock(balances: &[(&str, &str)], streams: usize) -> MockCoinbase {
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
fn start_live(dir: &std::path::Path, urls: &(String, String), products: &str, live_settings: &str) -> Server {
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
fn live_trader(dir: &std::path::Path) -> String {
    keys_create(dir, &["--account", "swarm", "--scope", "trade", "--scope", "live", CONFIRM])
        .unwrap_or_else(|stderr| panic!("{stderr}"))
}

/// Waits (at most 60 s) for the live feed's first ETH-USD prices.
fn wait_for_prices(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.get("/api/market-data?product_id=ETH-USD", None).0 != 200 {
        assert!(Instant::now() < deadline, "ETH-USD prices within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Order requests that reached the mock Coinbase.
fn orders_sent(mock: &MockCoinbase) -> usize {
    mock.with(|s| s.requests.iter().filter(|(m, p, _)| m == "POST" && p.ends_with("/orders")).count())
}

/// An MCP client of the server's `/mcp`, acting with `key`.
async fn mcp_client(server: &Server, key: &str) -> RunningService<RoleClient, ()> {
    coinswarm_coinbase::install_tls_provider();
    let config = StreamableHttpClientTransportConfig::with_uri(format!("http://{}/mcp", server.addr))
        .auth_header(key.to_string());
    ().serve(StreamableHttpClientTransport::from_config(config)).await.unwrap()
}

async fn call_tool(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    arguments: Value,
) -> Result<CallToolResult, ServiceError> {
    let request = CallToolRequestParams::new(tool.to_string()).with_arguments(arguments.as_object().cloned().unwrap());
    client.call_tool(request).await
}

/// Whether `value` has a field `name` at any depth.
fn has_field(value: &Value, name: &str) -> bool {
    match value {
        Value::Object(fields) => fields.iter().any(|(key, inner)| key == name || has_field(inner, name)),
        Value::Array(items) => items.iter().any(|item| has_field(item, name)),
        _ => false,
    }
}

/// A prompt's text, as the MCP client gets it.
async fn prompt_text(client: &RunningService<RoleClient, ()>, name: &str, arguments: Value) -> String {
    let request = GetPromptRequestParams::new(name).with_arguments(arguments.as_object().cloned().unwrap());
    let prompt = client.get_prompt(request).await.unwrap();
    format!("{:?}", prompt.messages)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_orders_pass_the_guard_reach_coinbase_once_and_are_followed_and_audited() {
    let mock = live_mock(&[("USD", "5000"), ("ETH", "0.5"), ("BTC", "0.01")], 1).await;
    mock.with(|s| s.market_prices.insert("ETH-USD".into(), d("2200")));
    let dir = scratch_dir("live-orders");
    let urls = (mock.ws_url(), mock.url());
    let m = mock.clone();
    tokio::task::spawn_blocking(move || {
        let server = start_live(&dir, &urls, "ETH-USD,BTC-USD", "");
        let admin = server.admin_key.clone().unwrap();
        let trader = live_trader(&dir);
        let get = |path: &str| {
            let (status, body) = server.get(path, Some(&admin));
            (status, serde_json::from_str::<Value>(&body).unwrap_or(Value::Null))
        };
        let post = |path: &str, body: Value| {
            let (status, text) = server.post(path, Some(&trader), &body.to_string());
            (status, serde_json::from_str::<Value>(&text).unwrap_or(Value::Null))
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let wait_for = |what: &str, check: &dyn Fn() -> Option<Value>| loop {
            if let Some(found) = check() {
                return found;
            }
            assert!(Instant::now() < deadline, "{what} within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        };
        wait_for("ETH-USD prices", &|| (get("/api/market-data?product_id=ETH-USD").0 == 200).then_some(Value::Null));

        // The account is Coinbase's: its balances, not the paper capital.
        let (_, account) = get("/api/accounts/swarm");
        assert_eq!(account["mode"], "live", "{account}");
        let balance = |account: &Value, currency: &str| {
            account["balances"].as_array().unwrap().iter().find(|b| b["currency"] == currency).map(|b| b["total"].clone())
        };
        assert_eq!(balance(&account, "USD"), Some(json!("5000")), "{account}");
        assert_eq!(balance(&account, "ETH"), Some(json!("0.5")), "{account}");

        // Beyond the guard's limits: refused before any request leaves.
        let sent_before = m.with(|s| s.requests.iter().filter(|(m, p, _)| m == "POST" && p.ends_with("/orders")).count());
        let big = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"market_market_ioc": {"quote_size": "4000"}}});
        let (status, refusal) = post("/api/orders", big);
        assert_eq!((status, refusal["error"]["code"].as_str()), (422, Some("OVERSIGHT_BREACH")), "{refusal}");
        let sent_after = m.with(|s| s.requests.iter().filter(|(m, p, _)| m == "POST" && p.ends_with("/orders")).count());
        assert_eq!(sent_after, sent_before, "the refused order was never sent");

        // A market buy: sent once with its own id as client order id, answered once Coinbase took it.
        let buy = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"market_market_ioc": {"quote_size": "100"}}});
        let (status, placed) = post("/api/orders", buy);
        assert_eq!(status, 201, "{placed}");
        let order_id = placed["order"]["order_id"].as_str().unwrap().to_string();
        let venue_id = placed["order"]["venue_order_id"].as_str().expect("Coinbase's order id").to_string();
        let at_coinbase = m.with(|s| s.orders.get(&order_id).cloned()).expect("the order reached Coinbase under its own id");
        assert_eq!(at_coinbase["order_id"], venue_id.as_str());
        let filled = wait_for("the market buy filled", &|| {
            let (_, order) = get(&format!("/api/orders/{order_id}"));
            (order["order"]["status"] == "FILLED").then(|| order["order"].clone())
        });
        let size: f64 = filled["filled_size"].as_str().unwrap().parse().unwrap();
        let value: f64 = filled["filled_value"].as_str().unwrap().parse().unwrap();
        assert!((value / size - 2200.0).abs() < 1e-6, "filled at Coinbase's price: {filled}");
        let (_, trades) = get("/api/trades?product_id=ETH-USD");
        assert!(trades["trades"].as_array().unwrap().iter().any(|t| t["order_id"] == order_id.as_str()), "{trades}");

        // A resting limit order: cancelled at Coinbase, and ended here when Coinbase says so.
        let limit = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"limit_limit_gtc": {"base_size": "0.01", "limit_price": "2000.00"}}});
        let (status, placed) = post("/api/orders", limit);
        assert_eq!(status, 201, "{placed}");
        let limit_id = placed["order"]["order_id"].as_str().unwrap().to_string();
        assert_eq!(placed["order"]["status"], "OPEN", "{placed}");
        let (status, body) = server.delete(&format!("/api/orders/{limit_id}"), Some(&admin));
        assert_eq!(status, 200, "{body}");
        wait_for("the cancellation confirmed", &|| {
            let (_, order) = get(&format!("/api/orders/{limit_id}"));
            (order["order"]["status"] == "CANCELLED").then_some(Value::Null)
        });
        assert_eq!(m.with(|s| s.orders[&limit_id]["status"].clone()), "CANCELLED");

        // A partly filled limit order: the fills come from Coinbase's cumulative figures.
        let limit = json!({"product_id": "ETH-USD", "side": "SELL", "order_configuration": {"limit_limit_gtc": {"base_size": "0.2", "limit_price": "2300.00"}}});
        let (_, placed) = post("/api/orders", limit);
        let sell_id = placed["order"]["order_id"].as_str().unwrap().to_string();
        assert!(m.fill_order(&sell_id, d("0.05"), d("2300")));
        let partial = wait_for("the partial fill", &|| {
            let (_, order) = get(&format!("/api/orders/{sell_id}"));
            (order["order"]["filled_size"] == "0.05").then(|| order["order"].clone())
        });
        assert_eq!(partial["status"], "OPEN", "{partial}");
        assert!(m.fill_order(&sell_id, d("0.15"), d("2300")));
        wait_for("the sell filled", &|| {
            let (_, order) = get(&format!("/api/orders/{sell_id}"));
            (order["order"]["status"] == "FILLED").then_some(Value::Null)
        });

        // Coinbase refuses one: the caller gets its reason, and the hold is released.
        m.inject("/orders", [Fault::Refuse("INSUFFICIENT_FUND".into())]);
        let buy = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"market_market_ioc": {"quote_size": "50"}}});
        let (status, refusal) = post("/api/orders", buy);
        assert_eq!((status, refusal["error"]["code"].as_str()), (422, Some("VENUE_REJECTED")), "{refusal}");
        assert!(refusal["error"]["message"].as_str().unwrap().contains("INSUFFICIENT_FUND"), "{refusal}");
        let (_, orders) = get("/api/orders?status=FAILED");
        assert!(orders["orders"].as_array().unwrap().iter().any(|o| o["reason"].as_str().is_some_and(|r| r.contains("INSUFFICIENT_FUND"))), "{orders}");

        // Coinbase stores an order but its answer is lost, and it stays silent for the client's
        // retries: the caller hears PENDING, and the order is found by its client order id,
        // not sent again.
        let silence = [Fault::StoreThenFail, Fault::Status(502), Fault::Status(502), Fault::Status(502), Fault::Status(502), Fault::Status(502)];
        m.inject("/orders", silence);
        let buy = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"market_market_ioc": {"quote_size": "60"}}});
        let (status, placed) = post("/api/orders", buy);
        assert_eq!(status, 201, "{placed}");
        assert_eq!(placed["order"]["status"], "PENDING", "unconfirmed: {placed}");
        assert!(placed["order"]["venue_order_id"].is_null(), "{placed}");
        let lost_id = placed["order"]["order_id"].as_str().unwrap().to_string();
        let found = wait_for("the unanswered order found and filled", &|| {
            let (_, order) = get(&format!("/api/orders/{lost_id}"));
            (order["order"]["status"] == "FILLED").then(|| order["order"].clone())
        });
        assert!(found["venue_order_id"].is_string(), "{found}");
        assert_eq!(m.with(|s| s.order_posts.iter().filter(|id| **id == lost_id).count()), 1, "stored once, never resent");

        // Coinbase never gets an order (down for the first send and the resends that follow
        // it), and it is cancelled while unanswered: it is not sent again, and ends here
        // without ever trading.
        m.inject("/orders", std::iter::repeat_n(Fault::Status(502), 18));
        let limit = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"limit_limit_gtc": {"base_size": "0.01", "limit_price": "2150.00"}}});
        let (status, placed) = post("/api/orders", limit);
        assert_eq!((status, placed["order"]["status"].as_str()), (201, Some("OPEN")), "{placed}");
        let never_id = placed["order"]["order_id"].as_str().unwrap().to_string();
        let (status, body) = server.delete(&format!("/api/orders/{never_id}"), Some(&admin));
        assert_eq!(status, 200, "{body}");
        let ended = wait_for("the unsent order ended", &|| {
            let (_, order) = get(&format!("/api/orders/{never_id}"));
            (order["order"]["status"] == "FAILED").then(|| order["order"].clone())
        });
        assert!(ended["reason"].as_str().unwrap().contains("CANCELLED_BEFORE_PLACED"), "{ended}");
        assert!(m.with(|s| !s.orders.contains_key(&never_id)), "never placed");

        // Every live request and answer is in the audit log.
        let (_, audit) = get("/api/orders/audit?limit=500");
        let records: Vec<Value> = audit["records"].as_array().or(audit["audit"].as_array()).cloned().unwrap_or_default();
        let about = |id: &str, kind: &str| records.iter().filter(|r| r["kind"] == kind && r["order_id"] == id).count();
        assert_eq!(about(&order_id, "live_order"), 1, "the buy was sent once: {audit}");
        assert!(about(&order_id, "live_report") >= 2, "routed, then filled: {audit}");
        assert_eq!(about(&limit_id, "live_cancel"), 1, "{audit}");
        assert!(records.iter().all(|r| r["detail"]["source"] != "swarm"), "the swarm sent nothing of its own: {audit}");
        assert!(records.iter().any(|r| r["kind"] == "external_order" && r["outcome"]["rejected"] == "OVERSIGHT_BREACH"), "{audit}");
        assert!(records.iter().any(|r| r["kind"] == "live_report" && r["detail"]["refused"] == "INSUFFICIENT_FUND"), "{audit}");
        assert!(records.iter().any(|r| r["order_id"] == lost_id.as_str() && r["detail"]["unconfirmed"].is_string()), "{audit}");
        // One Coinbase order per order sent: the orders Coinbase has are exactly those the log
        // says were sent, but the one it refused and the one it never got.
        let refused_id = records.iter().find(|r| r["detail"]["refused"] == "INSUFFICIENT_FUND").unwrap()["order_id"].clone();
        let sent: std::collections::BTreeSet<String> = records
            .iter()
            .filter(|r| r["kind"] == "live_order" && r["detail"]["request"].is_object() && r["order_id"] != refused_id && r["order_id"] != never_id.as_str())
            .map(|r| r["order_id"].as_str().unwrap().to_string())
            .collect();
        let at_coinbase: std::collections::BTreeSet<String> = m.with(|s| s.orders.keys().cloned().collect());
        assert_eq!(at_coinbase, sent);
        drop(server);
    })
    .await
    .unwrap();
    assert!(
        mock.with(|s| s.auth_failures.is_empty()),
        "every request carried a valid JWT: {:?}",
        mock.with(|s| s.auth_failures.clone())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_order_resting_at_coinbase_is_followed_after_a_restart_and_never_sent_twice() {
    let mock = live_mock(&[("USD", "5000")], 2).await;
    let dir = scratch_dir("live-restart");
    let urls = (mock.ws_url(), mock.url());
    let m = mock.clone();
    tokio::task::spawn_blocking(move || {
        let settings = "balance_poll_ms = 300
order_poll_ms = 200
";
        let server = start_live(&dir, &urls, "ETH-USD", settings);
        let admin = server.admin_key.clone().unwrap();
        let limit = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"limit_limit_gtc": {"base_size": "0.1", "limit_price": "2100.00"}}});
        let (status, body) = server.post("/api/orders", Some(&live_trader(&dir)), &limit.to_string());
        assert_eq!(status, 201, "{body}");
        let placed: Value = serde_json::from_str(&body).unwrap();
        let order_id = placed["order"]["order_id"].as_str().unwrap().to_string();
        assert!(placed["order"]["venue_order_id"].is_string(), "{placed}");
        assert!(server.terminate().success(), "a clean stop");

        let sent = || m.with(|s| s.requests.iter().filter(|(m, p, _)| m == "POST" && p.ends_with("/orders")).count());
        let sent_before = sent();
        // Filled at Coinbase while the server was down: Coinbase's balances already show it.
        assert!(m.fill_order(&order_id, d("0.1"), d("2100")));
        let server = start_live(&dir, &urls, "ETH-USD", settings);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (_, body) = server.get(&format!("/api/orders/{order_id}"), Some(&admin));
            let order: Value = serde_json::from_str(&body).unwrap();
            if order["order"]["status"] == "FILLED" {
                assert_eq!(order["order"]["filled_size"], "0.1", "{order}");
                break;
            }
            assert!(Instant::now() < deadline, "the fill after the restart was never recorded: {order}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let (_, account) = server.get("/api/accounts/swarm", Some(&admin));
        let account: Value = serde_json::from_str(&account).unwrap();
        let eth = account["balances"].as_array().unwrap().iter().find(|b| b["currency"] == "ETH").cloned();
        assert_eq!(eth.map(|b| b["available"].clone()), Some(json!("0.1")), "{account}");
        // Balance checks ran after the restart (every 300 ms) and found nothing to correct:
        // the fill was counted once, not once by the fill and again by a balance check.
        std::thread::sleep(Duration::from_millis(1500));
        let (_, account) = server.get("/api/accounts/swarm", Some(&admin));
        let account: Value = serde_json::from_str(&account).unwrap();
        let total = |currency: &str| {
            let balance = account["balances"].as_array().unwrap().iter().find(|b| b["currency"] == currency).cloned();
            balance.map(|b| b["total"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
        };
        let at_coinbase = |currency: &str| m.with(|s| s.balances[currency].parse::<rust_decimal::Decimal>().unwrap());
        assert_eq!(total("ETH"), Some(at_coinbase("ETH")), "{account}");
        assert_eq!(total("USD"), Some(at_coinbase("USD")), "{account}");
        let (_, audit) = server.get("/api/orders/audit?limit=500", Some(&admin));
        let audit: Value = serde_json::from_str(&audit).unwrap();
        let records = audit["records"].as_array().unwrap();
        let corrections: Vec<&Value> =
            records.iter().filter(|r| r["kind"] == "live_balance" && r["currency"] != "USD").collect();
        assert!(corrections.is_empty(), "no balance correction for the fill: {corrections:?}");
        assert_eq!(sent(), sent_before, "the order was followed, not sent again");
        drop(server);
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_announced_on_the_user_channel_is_recorded_before_the_next_poll() {
    let mock = live_mock(&[("USD", "5000")], 1).await;
    let dir = scratch_dir("live-user-channel");
    let urls = (mock.ws_url(), mock.url());
    let m = mock.clone();
    tokio::task::spawn_blocking(move || {
        // Orders are polled once a minute: only the user channel can bring the fill sooner.
        let server = start_live(&dir, &urls, "ETH-USD", "order_poll_ms = 60000
balance_poll_ms = 60000
");
        let admin = server.admin_key.clone().unwrap();
        let limit = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"limit_limit_gtc": {"base_size": "0.05", "limit_price": "2100.00"}}});
        let (status, body) = server.post("/api/orders", Some(&live_trader(&dir)), &limit.to_string());
        assert_eq!(status, 201, "{body}");
        let placed: Value = serde_json::from_str(&body).unwrap();
        let order_id = placed["order"]["order_id"].as_str().unwrap().to_string();
        let venue_id = placed["order"]["venue_order_id"].as_str().unwrap().to_string();

        let started = Instant::now();
        assert!(m.fill_order(&order_id, d("0.05"), d("2100")));
        m.with(|s| {
            s.user_events.push_back(json!({"channel": "user", "events": [{"type": "update", "orders": [
                {"order_id": venue_id, "client_order_id": order_id, "status": "FILLED", "cumulative_quantity": "0.05"}]}]}))
        });
        loop {
            let (_, body) = server.get(&format!("/api/orders/{order_id}"), Some(&admin));
            let order: Value = serde_json::from_str(&body).unwrap();
            if order["order"]["status"] == "FILLED" {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the user channel's news was not acted on: {order}");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(started.elapsed() < Duration::from_secs(30), "well before the minute's poll");
        drop(server);
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await
    .unwrap();
    let user_subscriptions = mock
        .with(|s| s.ws_subscriptions.iter().filter(|(_, _, m)| m["channel"] == "user" && m["jwt"].is_string()).count());
    assert!(user_subscriptions >= 1, "the user channel is subscribed with a JWT");
    assert!(mock.with(|s| s.auth_failures.is_empty()), "{:?}", mock.with(|s| s.auth_failures.clone()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_order_needs_a_key_with_the_live_scope_on_rest_and_mcp_and_each_refusal_is_audited() {
    let mock = live_mock(&[("USD", "5000"), ("ETH", "0.5")], 1).await;
    mock.with(|s| s.market_prices.insert("ETH-USD".into(), d("2200")));
    let dir = scratch_dir("live-scope");
    let urls = (mock.ws_url(), mock.url());
    let m = mock.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let server = start_live(&dir, &urls, "ETH-USD", "");
        let admin = server.admin_key.clone().unwrap();
        wait_for_prices(&server);
        let market_buy = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"market_market_ioc": {"quote_size": "20"}}});

        // The admin key `up` printed has no `live`: refused over REST...
        let (status, body) = server.post("/api/orders", Some(&admin), &market_buy.to_string());
        let refusal: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, refusal["error"]["code"].as_str()), (403, Some("LIVE_SCOPE_REQUIRED")), "{body}");
        assert!(refusal["error"]["message"].as_str().unwrap().contains("real money"), "{body}");
        // ...and over MCP, with the same code.
        let over_mcp = runtime.block_on(async {
            let client = mcp_client(&server, &admin).await;
            let order = json!({"product_id": "ETH-USD", "side": "BUY", "quote_size": "20"});
            let result = call_tool(&client, "place_market_order", order).await;
            let _ = client.cancel().await;
            result
        });
        match over_mcp {
            Err(ServiceError::McpError(error)) => {
                assert_eq!(error.data.as_ref().unwrap()["code"], "LIVE_SCOPE_REQUIRED", "{error:?}");
            }
            other => panic!("an MCP order from a key without `live` must be refused: {other:?}"),
        }
        assert_eq!(orders_sent(&m), 0, "no refused order reached Coinbase");
        let (_, audit) = server.get("/api/orders/audit", Some(&admin));
        let audit: Value = serde_json::from_str(&audit).unwrap();
        let refused_over = |channel: &str| {
            audit["records"].as_array().unwrap().iter().any(|r| {
                r["kind"] == "external_order"
                    && r["origin"]["channel"] == channel
                    && r["origin"]["key_id"].is_string()
                    && r["outcome"]["rejected"] == "LIVE_SCOPE_REQUIRED"
            })
        };
        assert!(refused_over("rest") && refused_over("mcp"), "both refusals are audited: {audit}");

        // `live` is given only with the flag that says it is real money, and never alone.
        let refused = keys_create(&dir, &["--account", "swarm", "--scope", "trade", "--scope", "live"]).unwrap_err();
        assert!(refused.contains(CONFIRM) && refused.contains("real money"), "{refused}");
        let alone = keys_create(&dir, &["--account", "swarm", "--scope", "live", CONFIRM]).unwrap_err();
        assert!(alone.contains("needs 'trade'"), "{alone}");

        // A key with `trade` and `live` places one, and Coinbase gets it.
        let trader = live_trader(&dir);
        let limit = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"limit_limit_gtc": {"base_size": "0.01", "limit_price": "2000.00"}}});
        let (status, body) = server.post("/api/orders", Some(&trader), &limit.to_string());
        assert_eq!(status, 201, "{body}");
        let placed: Value = serde_json::from_str(&body).unwrap();
        let order_id = placed["order"]["order_id"].as_str().unwrap().to_string();
        assert!(placed["order"]["venue_order_id"].is_string(), "{placed}");
        assert!(m.with(|s| s.orders.contains_key(&order_id)), "the order reached Coinbase");
        // Cancelling only lowers the risk: the admin key, without `live`, may.
        let (status, body) = server.delete(&format!("/api/orders/{order_id}"), Some(&admin));
        assert_eq!(status, 200, "{body}");

        // Over MCP, a key given `trade,live` in one list places one too.
        let agent = keys_create(&dir, &["--account", "swarm", "--scope", "trade,live", CONFIRM]).unwrap();
        let placed = runtime.block_on(async {
            let client = mcp_client(&server, &agent).await;
            let order = json!({"product_id": "ETH-USD", "side": "BUY", "base_size": "0.01", "limit_price": "2000.00"});
            let result = call_tool(&client, "place_limit_order", order).await;
            let _ = client.cancel().await;
            result
        });
        let placed = placed.expect("a key with `live` places over MCP").structured_content.unwrap();
        assert_eq!(placed["mode"], "live", "{placed}");
        assert!(placed["order"]["venue_order_id"].is_string(), "{placed}");

        // Paper accounts are unaffected: a plain trade key trades its own paper account.
        let paper = create_key(&dir, "alice", "trade");
        let (status, body) = server.post("/api/orders", Some(&paper), &market_buy.to_string());
        assert_eq!(status, 201, "{body}");
        let (_, account) = server.get("/api/accounts/alice", Some(&paper));
        assert_eq!(serde_json::from_str::<Value>(&account).unwrap()["mode"], "paper", "{account}");
        assert_eq!(orders_sent(&m), 2, "only the two live orders reached Coinbase");
        drop(server);
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await
    .unwrap();
}

/// ETH-USD tickers a minute of exchange time apart, one every 200 ms from the next whole
/// minute: a bar closes, and the swarm decides, five times a second.
fn minute_tickers() -> Vec<WsStep> {
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
const ACCOUNT_AMOUNTS: [&str; 5] = ["equity", "base_size", "notional", "pnl", "last_pnl"];

/// The first decision the `/stream` `decisions` channel sends an anonymous subscriber (at
/// most 30 s).
async fn first_streamed_decision(server: &Server) -> Value {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_live_mode_the_public_swarm_state_decisions_and_predictions_hide_the_account_and_mcp_says_it_is_real_money()
{
    let mock = live_mock(&[("USD", "5000"), ("ETH", "0.5")], 0).await;
    mock.with(|s| s.ws_plans.push_back(minute_tickers()));
    let dir = scratch_dir("live-public");
    let urls = (mock.ws_url(), mock.url());
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let server = start_live(&dir, &urls, "ETH-USD", "");
        let admin = server.admin_key.clone().unwrap();
        let other = create_key(&dir, "alice", "read");
        wait_for_prices(&server);
        let get = |path: &str, key: Option<&str>| {
            let (status, body) = server.get(path, key);
            assert_eq!(status, 200, "{path}: {body}");
            serde_json::from_str::<Value>(&body).unwrap()
        };
        // The swarm has decided (a key that may read its account sees the whole record).
        let deadline = Instant::now() + Duration::from_secs(60);
        while get("/api/swarm", Some(&admin))["swarm"]["latest_decision"].is_null() {
            assert!(Instant::now() < deadline, "a decision within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        let decisions = get("/api/decisions?limit=5", Some(&admin));
        assert!(decisions["decisions"][0]["equity"].is_string(), "the swarm account's own view: {decisions}");
        let prediction = get("/api/predictions?product_id=ETH-USD", Some(&admin));
        assert!(prediction["decision"]["equity"].is_string(), "{prediction}");

        // Anonymous: the swarm's public state, nothing of the Coinbase account.
        let public = get("/api/swarm", None);
        assert_eq!(public["mode"], "live", "{public}");
        assert!(public["swarm"]["weights"].is_array() && public["swarm"]["breaker"].is_string(), "{public}");
        assert!(public["swarm"]["latest_decision"]["votes"].is_array(), "the latest decision shows: {public}");
        assert!(public.get("account").is_none(), "{public}");
        for private in ["balances", "positions", "equity"] {
            assert!(!has_field(&public, private), "no {private} for an anonymous caller: {public}");
        }
        // Nor in the decisions and the prediction, for anyone who may not read the account.
        for key in [None, Some(other.as_str())] {
            let decisions = get("/api/decisions?limit=500", key);
            assert!(decisions["decisions"].as_array().is_some_and(|d| !d.is_empty()), "{decisions}");
            let prediction = get("/api/predictions?product_id=ETH-USD", key);
            assert!(prediction["decision"]["votes"].is_array(), "{prediction}");
            for amount in ACCOUNT_AMOUNTS {
                let latest = &decisions["decisions"][0];
                assert!(!has_field(&decisions, amount), "no {amount} in the decisions for {key:?}, latest {latest}");
                assert!(!has_field(&prediction, amount), "no {amount} in the prediction for {key:?}: {prediction}");
            }
        }
        // A key that may read the swarm's account sees it; a key of another account does not.
        let with_key = get("/api/swarm", Some(&admin));
        let usd = with_key["account"]["balances"].as_array().and_then(|b| b.iter().find(|b| b["currency"] == "USD"));
        assert!(usd.is_some_and(|b| b["total"].is_string()), "{with_key}");
        assert!(with_key["swarm"]["latest_decision"]["equity"].is_string(), "{with_key}");
        assert!(get("/api/swarm", Some(&other)).get("account").is_none());
        assert_eq!(server.get("/api/swarm", Some("csk_not_a_key")).0, 401, "a wrong key is refused, not anonymous");

        runtime.block_on(async {
            // The stream's decisions, one message for every subscriber, are the public form.
            let streamed = first_streamed_decision(&server).await;
            assert!(streamed["votes"].is_array(), "{streamed}");
            for amount in ACCOUNT_AMOUNTS {
                assert!(!has_field(&streamed, amount), "no {amount} on the stream: {streamed}");
            }

            // MCP says what is true: the swarm's account is real money, and orders need `live`.
            let client = mcp_client(&server, &admin).await;
            let instructions = client.peer_info().unwrap().instructions.clone().unwrap_or_default();
            assert!(instructions.contains("REAL MONEY") && instructions.contains("'live' scope"), "{instructions}");
            assert!(!instructions.contains("PAPER"), "{instructions}");
            let trade = prompt_text(
                &client,
                "trade_execution",
                json!({"product_id": "ETH-USD", "side": "BUY", "size": "0.01"}),
            )
            .await;
            assert!(trade.contains("REAL MONEY") && !trade.contains("paper account"), "{trade}");
            let swarm = call_tool(&client, "get_swarm_state", json!({})).await.unwrap().structured_content.unwrap();
            assert!(swarm["account"]["balances"].is_array(), "{swarm}");
            let prediction = call_tool(&client, "get_prediction", json!({"product_id": "ETH-USD"})).await.unwrap();
            let prediction = prediction.structured_content.unwrap();
            assert!(prediction["decision"]["equity"].is_string(), "{prediction}");
            let _ = client.cancel().await;
            // An agent on a paper account is told it is paper, and gets the public decision.
            let client = mcp_client(&server, &other).await;
            let analysis = prompt_text(&client, "market_analysis", json!({"product_id": "ETH-USD"})).await;
            assert!(analysis.contains("paper account") && !analysis.contains("REAL MONEY"), "{analysis}");
            assert!(analysis.contains(r#"\"votes\""#) && !analysis.contains(r#"\"equity\""#), "{analysis}");
            let prediction = call_tool(&client, "get_prediction", json!({"product_id": "ETH-USD"})).await.unwrap();
            let prediction = prediction.structured_content.unwrap();
            assert!(prediction["decision"]["votes"].is_array(), "{prediction}");
            for amount in ACCOUNT_AMOUNTS {
                assert!(!has_field(&prediction, amount), "no {amount} over MCP for another account: {prediction}");
            }
            let _ = client.cancel().await;
        });
        drop(server);
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await
    .unwrap();
}

/// The id `coinswarm keys list` shows for the key of `account` with exactly `scopes`.
fn key_id(dir: &std::path::Path, account: &str, scopes: &str) -> String {
    let output =
        Command::new(env!("CARGO_BIN_EXE_coinswarm")).args(["keys", "list", "--data-dir"]).arg(dir).output().unwrap();
    let listing = String::from_utf8(output.stdout).unwrap();
    let row =
        listing.lines().map(|l| l.split_whitespace().collect::<Vec<_>>()).find(|c| c[1] == account && c[2] == scopes);
    row.unwrap_or_else(|| panic!("no {account} key with {scopes}: {listing}"))[0].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_halted_live_swarm_resumes_only_with_a_key_with_the_live_scope_and_every_attempt_is_audited() {
    let mock = live_mock(&[("USD", "5000")], 1).await;
    let dir = scratch_dir("live-resume");
    let urls = (mock.ws_url(), mock.url());
    tokio::task::spawn_blocking(move || {
        let server = start_live(&dir, &urls, "ETH-USD", "");
        let admin = server.admin_key.clone().unwrap();
        wait_for_prices(&server);
        let halted = || {
            let (_, body) = server.get("/api/swarm", None);
            serde_json::from_str::<Value>(&body).unwrap()["swarm"]["halted"].clone()
        };

        // Halting only lowers the risk: the admin key may.
        let (status, body) = server.post("/api/swarm/shutdown", Some(&admin), "");
        assert_eq!(status, 200, "{body}");
        assert_eq!(halted(), json!(true));
        // Resuming lets the swarm trade real money again: admin alone is not enough.
        let (status, body) = server.post("/api/swarm/resume", Some(&admin), "");
        let refusal: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, refusal["error"]["code"].as_str()), (403, Some("LIVE_SCOPE_REQUIRED")), "{body}");
        assert!(refusal["error"]["message"].as_str().unwrap().contains("resuming its swarm"), "{body}");
        assert_eq!(halted(), json!(true), "still halted");
        // Nor is `live` without admin.
        let (status, body) = server.post("/api/swarm/resume", Some(&live_trader(&dir)), "");
        assert_eq!(status, 403, "{body}");
        // A key with admin and live resumes it.
        let operator = keys_create(&dir, &["--account", "swarm", "--scope", "admin", "--scope", "live", CONFIRM])
            .unwrap_or_else(|stderr| panic!("{stderr}"));
        let (status, body) = server.post("/api/swarm/resume", Some(&operator), "");
        assert_eq!(status, 200, "{body}");
        assert_eq!(halted(), json!(false));

        // Each attempt is in the swarm account's audit log, with the key that made it.
        let (admin_id, operator_id) = (key_id(&dir, "swarm", "admin"), key_id(&dir, "swarm", "admin,live"));
        let (_, audit) = server.get("/api/orders/audit", Some(&admin));
        let audit: Value = serde_json::from_str(&audit).unwrap();
        let records = audit["records"].as_array().unwrap();
        let recorded = |kind: &str, key_id: &str, outcome: Value| {
            records.iter().any(|r| r["kind"] == kind && r["origin"]["key_id"] == key_id && r["outcome"] == outcome)
        };
        assert!(recorded("external_halt", &admin_id, json!({"halted": true})), "{audit}");
        let refused = records.iter().any(|r| {
            r["kind"] == "external_resume"
                && r["origin"]["key_id"] == admin_id.as_str()
                && r["outcome"]["rejected"] == "LIVE_SCOPE_REQUIRED"
        });
        assert!(refused, "the refusal: {audit}");
        assert!(recorded("external_resume", &operator_id, json!({"halted": false})), "{audit}");
        // They are the audit log's, not the swarm's decisions.
        let (_, decisions) = server.get("/api/decisions?limit=500", Some(&admin));
        assert!(!decisions.contains("external_"), "{decisions}");
        drop(server);
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await
    .unwrap();
}
