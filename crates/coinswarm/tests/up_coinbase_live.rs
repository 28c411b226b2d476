//! `coinswarm up --exchange coinbase-live` against the local mock Coinbase: live mode
//! refuses to start without every safeguard (saying why), and with them it sends the
//! account's orders to Coinbase only after the pre-trade gate passed them, records every
//! request and answer in the audit log, follows fills and cancellations, and shows the
//! Coinbase balances. Who may do what on the live account: `up_coinbase_live_access.rs`.

mod support;

use coinswarm_coinbase::CdpKey;
use coinswarm_coinbase::mock::{Fault, MockCoinbase};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::live::*;
use support::server::scratch_dir;

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
