//! What each route costs on Cloudflare: the billable operations one call makes, as the
//! Worker and its objects count them (`x-coinswarm-billable`), and a month of the brief's
//! three traffic levels priced from them (`coinswarm_edge::pricing`). Run with
//! `--nocapture` to print the table docs/BENCHMARKS.md quotes.

mod support;

use coinswarm_edge::billable::{Billable, HEADER};
use coinswarm_edge::pricing::{Prices, Share};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::edge::Edge;
use support::server::{Client, scratch_dir};

/// A route's name, method, path, key and body.
type RouteCall<'a> = (&'a str, &'a str, String, Option<&'a str>, Option<Value>);

fn billed(
    client: &Client,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> (u16, Billable, Value) {
    let bytes = body.map(|b| b.to_string().into_bytes());
    let (status, headers, text) = client.raw(method, path, key, bytes.as_deref());
    let header = headers.iter().find(|(name, _)| name == HEADER).map(|(_, v)| v.clone());
    let header = header.unwrap_or_else(|| panic!("{method} {path} answered without {HEADER}: {headers:?}"));
    (status, Billable::parse(&header), serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn each_route_reports_its_billable_operations_and_a_month_at_100k_requests_a_day_stays_under_10_dollars() {
    let dir = scratch_dir("edge-cost");
    let edge = Edge::start(&dir.join("edge"));
    let agent = edge.agent(&dir.join("up"), 1000, &[]);
    edge.wait_for_venue();
    let key = edge.create_key("cost-a", "trade");
    let client = edge.client();
    let order = |id: &str| {
        json!({"client_order_id": id, "product_id": "BTC-USD", "side": "BUY",
            "order_configuration": {"market_market_ioc": {"quote_size": "100"}}})
    };
    // Warm: the objects awake, the key known to the isolate, market data in KV.
    let (status, _, placed) = billed(&client, "POST", "/api/orders", Some(&key), Some(&order("warm")));
    assert_eq!(status, 201, "{placed}");
    let order_id = placed["order"]["order_id"].as_str().unwrap().to_string();
    // The agent tier's prediction, asked until the swarm has decided (before that the edge
    // stands in with a degraded HOLD it does not cache), so the next read is KV's.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, answer) = billed(&client, "GET", "/api/predictions?product_id=BTC-USD", None, None);
        assert_eq!(status, 200, "{answer}");
        if answer.get("degraded").is_none() && answer.get("stale").is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "the swarm never decided: {answer}");
        std::thread::sleep(Duration::from_millis(100));
    }

    let routes: Vec<RouteCall> = vec![
        ("GET /healthz", "GET", "/healthz".into(), None, None),
        ("GET /api/market-data (cached)", "GET", "/api/market-data?product_id=BTC-USD".into(), None, None),
        ("GET /api/products", "GET", "/api/products".into(), None, None),
        ("GET /api/candles", "GET", "/api/candles?product_id=BTC-USD".into(), None, None),
        ("GET /api/predictions (cached)", "GET", "/api/predictions?product_id=BTC-USD".into(), None, None),
        ("GET /api/swarm", "GET", "/api/swarm".into(), None, None),
        ("GET /api/decisions", "GET", "/api/decisions?limit=10".into(), None, None),
        ("GET /api/accounts/{id}", "GET", "/api/accounts/cost-a".into(), Some(&key), None),
        ("GET /api/orders", "GET", "/api/orders".into(), Some(&key), None),
        ("GET /api/orders/{id}", "GET", format!("/api/orders/{order_id}"), Some(&key), None),
        ("GET /api/trades", "GET", "/api/trades".into(), Some(&key), None),
        ("POST /api/orders/preview", "POST", "/api/orders/preview".into(), Some(&key), Some(order("p"))),
        ("POST /api/orders (market, filled)", "POST", "/api/orders".into(), Some(&key), Some(order("cost-1"))),
        (
            "POST /mcp (tools/call get_market_data)",
            "POST",
            "/mcp".into(),
            Some(&key),
            Some(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "get_market_data", "arguments": {"product_id": "BTC-USD"}}})),
        ),
        (
            "POST /api/orders (repeated client_order_id)",
            "POST",
            "/api/orders".into(),
            Some(&key),
            Some(order("cost-1")),
        ),
    ];
    let mut table = String::from(
        "| Route | DO requests | KV reads / writes | D1 rows read / written | DO SQLite rows read / written | Queue messages |\n|---|---|---|---|---|---|\n",
    );
    let mut costs = Vec::new();
    for (name, method, path, key, body) in &routes {
        // A cached row is read right after a read that fills the cache: market data is fresh
        // for only a second, and a slow machine can take that long between the rows (or
        // between the two reads: then the pair is asked again, three times at most).
        let cached_row = name.contains("(cached)") || name.contains("get_market_data");
        let mut attempts = 0;
        let (status, billable, answer) = loop {
            attempts += 1;
            if cached_row {
                let filling = if name.contains("predictions") { "/api/predictions" } else { "/api/market-data" };
                billed(&client, "GET", &format!("{filling}?product_id=BTC-USD"), None, None);
            }
            let (status, billable, answer) = billed(&client, method, path, *key, body.as_ref());
            if !cached_row || billable.do_requests == 0 || attempts == 3 {
                break (status, billable, answer);
            }
        };
        assert!(status < 300, "{name}: {status} {answer}");
        table.push_str(&format!(
            "| `{name}` | {} | {} / {} | {} / {} | {} / {} | {} |\n",
            billable.do_requests,
            billable.kv_reads,
            billable.kv_writes,
            billable.d1_rows_read,
            billable.d1_rows_written,
            billable.sql_rows_read,
            billable.sql_rows_written,
            billable.queue_messages
        ));
        costs.push((*name, billable));
    }
    let cost = |name: &str| costs.iter().find(|(n, _)| *n == name).unwrap().1;
    assert_eq!(cost("GET /healthz"), Billable::default(), "health costs nothing but the Worker request");
    let cached = cost("GET /api/market-data (cached)");
    assert_eq!((cached.kv_reads, cached.do_requests, cached.kv_writes), (1, 0, 0), "a cached read is one KV read");
    let placed = cost("POST /api/orders (market, filled)");
    assert!(placed.do_requests >= 2, "the account's object and the hub's quote: {placed:?}");
    assert!(placed.sql_rows_written >= 2, "the order's events and its audit record are stored: {placed:?}");
    assert!(placed.queue_messages >= 1, "the fill's post-trade work is queued: {placed:?}");
    let tool = cost("POST /mcp (tools/call get_market_data)");
    assert_eq!((tool.kv_reads, tool.do_requests), (1, 0), "an MCP market read is the same cached read: {tool:?}");
    let prediction = cost("GET /api/predictions (cached)");
    assert_eq!(
        (prediction.kv_reads, prediction.do_requests, prediction.kv_writes),
        (1, 0, 0),
        "a prediction fresh in KV costs one KV read, no call to the agent tier: {prediction:?}"
    );
    let read = cost("GET /api/orders/{id}");
    assert_eq!((read.do_requests, read.sql_rows_written), (1, 0), "a read is one object call, no write: {read:?}");

    // The brief's traffic: mostly cached market reads, then predictions and the swarm, the
    // account's reads, and orders.
    let mix = [
        Share { billable: cached, fraction: 0.60 },
        Share { billable: prediction, fraction: 0.05 },
        Share { billable: cost("GET /api/swarm"), fraction: 0.05 },
        Share { billable: cost("GET /api/candles"), fraction: 0.05 },
        Share { billable: cost("GET /api/accounts/{id}"), fraction: 0.08 },
        Share { billable: cost("GET /api/orders"), fraction: 0.07 },
        Share { billable: cost("GET /api/trades"), fraction: 0.05 },
        Share { billable: placed, fraction: 0.05 },
    ];
    let prices = Prices::default();
    let mut projection = String::from("| Requests a day | Monthly cost (USD) |\n|---|---|\n");
    for per_day in [1_000.0, 100_000.0, 1_000_000.0] {
        projection.push_str(&format!("| {per_day} | {:.2} |\n", prices.monthly_usd(&mix, per_day)));
    }
    println!("{table}\n{projection}");
    let at_100k = prices.monthly_usd(&mix, 100_000.0);
    assert!(at_100k < 10.0, "the brief's target: under $10 a month at 100 K requests a day, not {at_100k:.2}");
    drop(agent);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}
