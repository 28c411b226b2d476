//! The edge tier's own guarantees, under `wrangler dev` with `coinswarm up --edge-url` as its
//! agent tier: an acknowledged order survives a restart of the Worker, an order is never
//! filled at a stale quote, the ingest route takes only the edge token and applies a batch
//! once, and the same orders on the same market give the same account on both hosts.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use support::edge::{EDGE_TOKEN, Edge};
use support::server::{Client, Server, create_key, scratch_dir};

fn call(client: &Client, method: &str, path: &str, key: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    let bytes = body.map(|b| b.to_string().into_bytes());
    let (status, text) = client.request(method, path, key, bytes.as_deref());
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn agent(dir: &Path, edge: &Edge, args: &[&str]) -> Server {
    edge.agent(dir, 40, args)
}

fn market_buy(client_order_id: &str, quote_size: &str) -> Value {
    json!({"client_order_id": client_order_id, "product_id": "BTC-USD", "side": "BUY",
        "order_configuration": {"market_market_ioc": {"quote_size": quote_size}}})
}

fn limit(client_order_id: &str, side: &str, price: f64, post_only: bool) -> Value {
    json!({"client_order_id": client_order_id, "product_id": "BTC-USD", "side": side,
        "order_configuration": {"limit_limit_gtc": {"base_size": "0.01", "limit_price": format!("{price:.2}"), "post_only": post_only}}})
}

fn bid(client: &Client) -> f64 {
    let (_, market) = call(client, "GET", "/api/market-data?product_id=BTC-USD", None, None);
    market["best_bid"].as_str().unwrap().parse().unwrap()
}

#[test]
fn an_acknowledged_order_survives_a_restart_of_the_worker() {
    let dir = scratch_dir("edge-restart");
    let edge = Edge::start(&dir.join("edge"));
    let up = agent(&dir.join("up"), &edge, &[]);
    edge.wait_for_venue();
    let key = edge.create_key("restart-a", "trade");
    let client = edge.client();
    let (status, bought) = call(&client, "POST", "/api/orders", Some(&key), Some(&market_buy("r-1", "500")));
    assert_eq!((status, bought["order"]["status"].as_str()), (201, Some("FILLED")), "{bought}");
    let resting = limit("r-2", "BUY", bid(&client) * 0.5, false);
    let (status, rested) = call(&client, "POST", "/api/orders", Some(&key), Some(&resting));
    assert_eq!((status, rested["order"]["status"].as_str()), (201, Some("OPEN")), "{rested}");
    let (_, account_before) = call(&client, "GET", "/api/accounts/restart-a", Some(&key), None);

    let edge = edge.restart();
    let client = edge.client();
    let (_, orders) = call(&client, "GET", "/api/orders", Some(&key), None);
    let ids: Vec<&str> = orders["orders"].as_array().unwrap().iter().map(|o| o["order_id"].as_str().unwrap()).collect();
    let (first, second) =
        (bought["order"]["order_id"].as_str().unwrap(), rested["order"]["order_id"].as_str().unwrap());
    assert!(ids.contains(&first) && ids.contains(&second), "both acknowledged orders are kept: {orders}");
    let (_, trades) = call(&client, "GET", "/api/trades", Some(&key), None);
    assert!(trades["trades"].as_array().unwrap().iter().any(|t| t["order_id"] == first), "{trades}");
    let (_, account_after) = call(&client, "GET", "/api/accounts/restart-a", Some(&key), None);
    assert_eq!(account_after["balances"], account_before["balances"], "the same balances after the restart");
    // The same client_order_id after the restart is still the first order. Until the agent
    // tier's quotes reach the restarted Worker, an order is refused MARKET_STALE (a 503 with
    // Retry-After), and a client retries as it says.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (status, again) = loop {
        let (status, again) = call(&client, "POST", "/api/orders", Some(&key), Some(&market_buy("r-1", "500")));
        if status != 503 || again["error"]["code"] != "MARKET_STALE" || Instant::now() > deadline {
            break (status, again);
        }
        let wait = again["error"]["retry_after_secs"].as_u64().expect("a 503 says when to try again");
        std::thread::sleep(Duration::from_secs(wait));
    };
    assert_eq!((status, again["order"]["order_id"].as_str()), (201, Some(first)), "{again}");
    drop(up);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_order_is_refused_market_stale_when_the_agent_tier_stops_feeding_and_nothing_is_placed() {
    let dir = scratch_dir("edge-stale");
    let edge = Edge::start_with_vars(&dir.join("edge"), &[("MAX_QUOTE_AGE_MS", "700")]);
    let up = agent(&dir.join("up"), &edge, &[]);
    edge.wait_for_venue();
    let key = edge.create_key("stale-a", "trade");
    let client = edge.client();
    let (status, fresh) = call(&client, "POST", "/api/orders", Some(&key), Some(&market_buy("s-1", "100")));
    assert_eq!(status, 201, "a fresh quote fills: {fresh}");
    drop(up);
    std::thread::sleep(Duration::from_millis(1_500));
    let (status, headers, body) =
        client.raw("POST", "/api/orders", Some(&key), Some(market_buy("s-2", "100").to_string().as_bytes()));
    let refused: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, refused["error"]["code"].as_str()), (503, Some("MARKET_STALE")), "{refused}");
    assert!(headers.iter().any(|(name, value)| name == "retry-after" && value == "1"), "{headers:?}");
    let (_, orders) = call(&client, "GET", "/api/orders", Some(&key), None);
    assert_eq!(orders["orders"].as_array().unwrap().len(), 1, "the refused order left nothing: {orders}");
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_ingest_route_takes_only_the_edge_token_and_applies_a_batch_once() {
    let dir = scratch_dir("edge-ingest");
    let edge = Edge::start(&dir.join("edge"));
    let client = edge.client();
    let batch = json!({"run": "test-run", "seq": 1, "quotes": []});
    let body = batch.to_string();
    for token in [None, Some("not-the-token")] {
        let (status, _, text) = client.raw("POST", "/edge/ingest", token, Some(body.as_bytes()));
        assert_eq!(status, 401, "{token:?}: {text}");
        assert!(text.contains("UNAUTHORIZED"), "{text}");
    }
    let (status, _, text) = client.raw("POST", "/edge/ingest", Some(EDGE_TOKEN), Some(b"{\"run\":"));
    assert_eq!(status, 400, "malformed JSON is the caller's: {text}");
    // A first batch without the venue is refused (the edge cannot price anything yet).
    let (status, _, text) = client.raw("POST", "/edge/ingest", Some(EDGE_TOKEN), Some(body.as_bytes()));
    assert_eq!(status, 422, "{text}");
    let up = agent(&dir.join("up"), &edge, &[]);
    edge.wait_for_venue();
    // A batch of a run the edge has applied up to a later sequence changes nothing.
    let stale = json!({"run": "test-run", "seq": 1, "quotes": []}).to_string();
    let (status, _, text) = client.raw("POST", "/edge/ingest", Some(EDGE_TOKEN), Some(stale.as_bytes()));
    assert_eq!(status, 200, "{text}");
    let (status, _, text) = client.raw("POST", "/edge/ingest", Some(EDGE_TOKEN), Some(stale.as_bytes()));
    let ack: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (status, ack["applied"].as_bool()),
        (200, Some(false)),
        "a redelivered batch is not applied again: {text}"
    );
    drop(up);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_key_past_its_budget_is_refused_429_with_retry_after() {
    let dir = scratch_dir("edge-rate");
    let edge = Edge::start_with(&dir.join("edge"), &[], Some(5));
    let up = agent(&dir.join("up"), &edge, &[]);
    edge.wait_for_venue();
    let key = edge.create_key("rate-a", "read");
    let client = edge.client();
    let mut refused = None;
    for _ in 0..12 {
        let (status, headers, body) = client.raw("GET", "/api/accounts", Some(&key), None);
        if status == 429 {
            refused = Some((headers, body));
            break;
        }
        assert_eq!(status, 200, "{body}");
    }
    let (headers, body) = refused.expect("the sixth request of a 5-a-minute key is refused");
    assert!(body.contains("RATE_LIMITED"), "{body}");
    assert!(headers.iter().any(|(name, value)| name == "retry-after" && value == "60"), "{headers:?}");
    // Another key has its own budget.
    let other = edge.create_key("rate-b", "read");
    assert_eq!(client.request("GET", "/api/accounts", Some(&other), None).0, 200);
    drop(up);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}

/// `value` without its order and trade ids (each host draws their random part itself).
fn without_ids<T: serde::Serialize>(value: &T) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("order_id");
                map.remove("trade_id");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(value).unwrap();
    strip(&mut value);
    value
}

/// The bundled daily bars replayed once, fast, so the replay ends and both hosts hold the
/// same last quote.
fn replay_once(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("up.toml");
    std::fs::write(&config, "[feed]\ndata = \"bitfinex-daily\"\nloop_at_end = false\n").unwrap();
    config
}

/// Waits until both hosts show the same, final quote.
fn settled(up: &Client, edge: &Client) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        let (_, a) = call(up, "GET", "/api/market-data?product_id=BTC-USD", None, None);
        let (_, b) = call(edge, "GET", "/api/market-data?product_id=BTC-USD", None, None);
        if a["time"] == b["time"] && a["best_bid"] == b["best_bid"] && a == last && a["time"].is_number() {
            return;
        }
        last = a;
        std::thread::sleep(Duration::from_millis(1_200));
    }
    panic!("the two hosts never settled on the same last quote");
}

#[test]
fn the_same_orders_on_the_same_market_give_the_same_account_on_both_hosts() {
    let dir = scratch_dir("edge-same");
    std::fs::create_dir_all(&dir).unwrap();
    let config = replay_once(&dir);
    let edge = Edge::start_with_vars(&dir.join("edge"), &[("MAX_QUOTE_AGE_MS", "3600000")]);
    let up = edge.agent(&dir.join("up"), 2, &["--config", config.to_str().unwrap()]);
    edge.wait_for_venue();
    settled(&up.client(), &edge.client());
    let hosts = [
        ("up", up.client(), create_key(&dir.join("up"), "same-a", "trade")),
        ("edge", edge.client(), edge.create_key("same-a", "trade")),
    ];
    let price = bid(&hosts[0].1);
    let steps: Vec<(&str, String, Option<Value>)> = vec![
        ("POST", "/api/orders".into(), Some(market_buy("same-1", "2500"))),
        ("POST", "/api/orders".into(), Some(limit("same-2", "BUY", price * 0.9, false))),
        ("POST", "/api/orders".into(), Some(limit("same-3", "SELL", price * 1.1, true))),
        ("POST", "/api/orders/preview".into(), Some(market_buy("same-4", "1000"))),
        ("POST", "/api/orders".into(), Some(limit("same-5", "SELL", price * 0.95, false))),
        ("POST", "/api/orders".into(), Some(market_buy("same-1", "2500"))),
    ];
    let mut answers: Vec<Vec<Value>> = vec![Vec::new(), Vec::new()];
    for (method, path, body) in &steps {
        for (i, (name, client, key)) in hosts.iter().enumerate() {
            let (status, answer) = call(client, method, path, Some(key), body.as_ref());
            assert!(status < 500, "{name}: {method} {path}: {answer}");
            answers[i].push(json!({"status": status, "answer": answer}));
        }
    }
    // Cancel the resting buy on both.
    for (i, (name, client, key)) in hosts.iter().enumerate() {
        let id = answers[i][1]["answer"]["order"]["order_id"].as_str().unwrap().to_string();
        let (status, cancelled) = call(client, "DELETE", &format!("/api/orders/{id}"), Some(key), None);
        assert_eq!(status, 200, "{name}: {cancelled}");
        answers[i].push(cancelled);
    }
    assert_eq!(without_ids(&answers[0]), without_ids(&answers[1]), "every answer is the same on both hosts");
    let read = |path: &str| -> Vec<Value> {
        hosts.iter().map(|(_, c, k)| without_ids(&call(c, "GET", path, Some(k), None).1)).collect()
    };
    let accounts = read("/api/accounts/same-a");
    assert_eq!(accounts[0], accounts[1], "balances, positions and equity");
    assert!(accounts[0]["positions"].as_array().is_some_and(|p| !p.is_empty()), "{}", accounts[0]);
    let trades = read("/api/trades");
    assert_eq!(trades[0], trades[1], "fills and fees");
    assert!(trades[0]["trades"].as_array().is_some_and(|t| t.len() >= 2), "{}", trades[0]);
    let orders = read("/api/orders");
    assert_eq!(orders[0], orders[1], "orders");
    drop(up);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}
