//! The hybrid link under faults, under `wrangler dev` with `coinswarm up` as the agent tier.
//! Predictions at the edge go through the agent link (KV, single flight, micro-batches, a
//! timeout per call, a circuit breaker). When the agent tier is killed or stalled:
//! - prediction reads degrade (stale, with their age, or a degraded HOLD) within the timeout;
//! - the breaker opens;
//! - cached reads and orders keep their latency.
//!
//! Once the agent tier is back, the breaker closes and fresh predictions return within 5 s.
//! N concurrent misses make ⌈N/batch⌉ upstream calls, and misses for one product make one.

mod support;

use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};
use support::edge::Edge;
use support::server::{Client, scratch_dir};

/// The link's timeout per predictions call in these tests (`AGENT_PREDICTION_TIMEOUT_MS`).
const TIMEOUT_MS: u64 = 1_000;

/// The Worker's settings for the fault tests: a 1 s timeout, a breaker that opens after 3
/// failures for 1 s, and quotes that stay tradable while the feed (the agent tier) is down.
const FAULT_VARS: [(&str, &str); 4] = [
    ("AGENT_PREDICTION_TIMEOUT_MS", "1000"),
    ("AGENT_BREAKER_FAILURES", "3"),
    ("AGENT_BREAKER_OPEN_MS", "1000"),
    ("MAX_QUOTE_AGE_MS", "3600000"),
];

/// Below this, a p99 is the runtime's own jitter on this 2-core machine: a faulted run's p99
/// is compared with 2× the healthy one or 2× this, whichever is larger.
const JITTER_FLOOR_MS: f64 = 5.0;

struct Read {
    status: u16,
    body: Value,
    cache: String,
    ms: u64,
}

fn prediction(client: &Client, product: &str) -> Read {
    let started = Instant::now();
    let (status, headers, text) = client.raw("GET", &format!("/api/predictions?product_id={product}"), None, None);
    let ms = started.elapsed().as_millis() as u64;
    let cache = headers.iter().find(|(name, _)| name == "x-coinswarm-cache").map(|(_, v)| v.clone());
    Read { status, body: serde_json::from_str(&text).unwrap_or(Value::Null), cache: cache.unwrap_or_default(), ms }
}

fn is_fresh(read: &Read) -> bool {
    read.status == 200
        && matches!(read.cache.as_str(), "hit" | "miss")
        && read.body.get("stale").is_none()
        && read.body.get("degraded").is_none()
}

/// Reads BTC-USD's prediction every 100 ms until it is the swarm's own, fresh; how long that took.
fn wait_fresh(client: &Client, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let read = prediction(client, "BTC-USD");
        if is_fresh(&read) {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "no fresh prediction within {within:?}: {} {}", read.status, read.body);
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn agent_link(client: &Client) -> Value {
    let (status, text) = client.request("GET", "/api/swarm", None, None);
    assert_eq!(status, 200, "{text}");
    let swarm: Value = serde_json::from_str(&text).unwrap();
    swarm["agent_link"].clone()
}

fn p99(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() as f64 * 0.99) as usize).min(samples.len() - 1)]
}

/// p99 (ms) of 200 cached `GET /api/market-data` and of 40 `POST /api/orders` (limits
/// resting far under the market, from an account of the run's own: the gate allows 50
/// trades a day), each answered as it should be.
fn fast_path_p99(edge: &Edge, run: &str) -> (f64, f64) {
    let client = edge.client();
    let trader = edge.create_key(&format!("link-{run}"), "trade");
    let mut reads = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let (status, text) = client.request("GET", "/api/market-data?product_id=BTC-USD", None, None);
        reads.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(status, 200, "{run}: {text}");
    }
    let mut orders = Vec::new();
    for i in 0..40 {
        let order = json!({"client_order_id": format!("{run}-{i}"), "product_id": "BTC-USD", "side": "BUY",
            "order_configuration": {"limit_limit_gtc": {"base_size": "0.02", "limit_price": "100.00"}}});
        let body = order.to_string();
        let started = Instant::now();
        let (status, text) = client.request("POST", "/api/orders", Some(&trader), Some(body.as_bytes()));
        orders.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(status, 201, "{run}: {text}");
    }
    (p99(reads), p99(orders))
}

fn assert_kept_latency(healthy: (f64, f64), faulted: (f64, f64), fault: &str) {
    println!(
        "{fault}: cached read p99 {:.2} ms (healthy {:.2} ms), order p99 {:.2} ms (healthy {:.2} ms)",
        faulted.0, healthy.0, faulted.1, healthy.1
    );
    assert!(
        faulted.0 <= 2.0 * healthy.0.max(JITTER_FLOOR_MS),
        "{fault}: cached reads slowed: {faulted:?} vs {healthy:?}"
    );
    assert!(faulted.1 <= 2.0 * healthy.1.max(JITTER_FLOOR_MS), "{fault}: orders slowed: {faulted:?} vs {healthy:?}");
}

/// With the agent tier unable to answer: every prediction read is a 200 within the timeout,
/// fresh from KV at first, then the last one marked stale with its age; the breaker opens.
fn predictions_degrade_and_the_breaker_opens(client: &Client, fault: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stale = None;
    while stale.is_none() || agent_link(client)["breaker"]["opened"].as_u64() < Some(1) {
        let read = prediction(client, "BTC-USD");
        assert_eq!(read.status, 200, "{fault}: a read that can degrade failed: {}", read.body);
        assert!(read.ms <= TIMEOUT_MS + 500, "{fault}: answered in {} ms, over the {TIMEOUT_MS} ms timeout", read.ms);
        if read.cache == "stale" {
            assert_eq!(read.body["stale"], true, "{}", read.body);
            assert!(read.body["age_ms"].as_i64() >= Some(5_000), "older than its freshness: {}", read.body);
            assert!(read.body["decision"]["action"].is_string() && read.body["reason"].is_string(), "{}", read.body);
            stale = Some(read);
        }
        assert!(
            Instant::now() < deadline,
            "{fault}: no stale prediction and open breaker within 30 s: {}",
            agent_link(client)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let link = agent_link(client);
    assert!(link["counters"]["upstream_calls"].as_u64() > Some(0), "{link}");
    println!("{fault}: stale after the fault: {}; link {link}", stale.unwrap().body["age_ms"]);
}

/// After the agent tier is back (`since`): fresh predictions within 5 s, the breaker closed.
fn fresh_again_and_the_breaker_closes(client: &Client, fault: &str) {
    let took = wait_fresh(client, Duration::from_secs(5));
    let link = agent_link(client);
    assert_eq!(link["breaker"]["state"], "closed", "{fault}: {link}");
    println!("{fault}: fresh predictions {} ms after the agent tier was back", took.as_millis());
}

#[test]
fn the_agent_tier_killed_and_restarted_degrades_predictions_opens_then_closes_the_breaker() {
    let dir = scratch_dir("edge-link-kill");
    let edge = Edge::start_with_vars(&dir.join("edge"), &FAULT_VARS);
    let agent = edge.agent(&dir.join("up"), 40, &[]);
    edge.wait_for_venue();
    let client = edge.client();
    wait_fresh(&client, Duration::from_secs(30));
    let healthy = fast_path_p99(&edge, "healthy");

    agent.kill();
    predictions_degrade_and_the_breaker_opens(&client, "killed");
    assert_kept_latency(healthy, fast_path_p99(&edge, "killed"), "killed");

    let _agent = edge.agent(&dir.join("up"), 40, &[]);
    fresh_again_and_the_breaker_closes(&client, "restarted");
}

#[test]
fn the_agent_tier_stalled_beyond_the_timeout_degrades_predictions_opens_then_closes_the_breaker() {
    let dir = scratch_dir("edge-link-stall");
    let edge = Edge::start_with_vars(&dir.join("edge"), &FAULT_VARS);
    let agent = edge.agent(&dir.join("up"), 40, &[]);
    edge.wait_for_venue();
    let client = edge.client();
    wait_fresh(&client, Duration::from_secs(30));
    let healthy = fast_path_p99(&edge, "healthy");

    // SIGSTOP: its socket still accepts connections, and no call is ever answered.
    let pid = agent.pid().to_string();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
    predictions_degrade_and_the_breaker_opens(&client, "stalled");
    let link = agent_link(&client);
    assert!(link["breaker"]["recent_timeouts"].as_u64() > Some(0), "the calls timed out: {link}");
    assert_kept_latency(healthy, fast_path_p99(&edge, "stalled"), "stalled");

    assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    fresh_again_and_the_breaker_closes(&client, "resumed");
}

#[test]
fn concurrent_misses_go_upstream_in_ceil_n_over_batch_calls_and_one_per_product() {
    let dir = scratch_dir("edge-link-batch");
    // A window long enough that every miss of a burst lands in it: batches close on size.
    let vars = [("AGENT_BATCH_WINDOW_MS", "3000"), ("AGENT_BATCH_MAX_KEYS", "8")];
    let edge = Edge::start_with_vars(&dir.join("edge"), &vars);
    let _agent = edge.agent(&dir.join("up"), 40, &[]);
    edge.wait_for_venue();
    let client = edge.client();
    wait_fresh(&client, Duration::from_secs(30));

    let burst = |products: Vec<String>| -> Vec<Read> {
        let readers: Vec<_> =
            products.into_iter().map(|p| std::thread::spawn(move || prediction(&client, &p))).collect();
        readers.into_iter().map(|r| r.join().unwrap()).collect()
    };
    let counters = || agent_link(&client)["counters"].clone();
    let delta =
        |before: &Value, after: &Value, name: &str| after[name].as_u64().unwrap() - before[name].as_u64().unwrap();

    // 20 distinct products nobody asked for: ⌈20 / 8⌉ = 3 calls carrying 20 products.
    let products: Vec<String> = (0..20).map(|i| format!("ZB{}-USD", (b'A' + i) as char)).collect();
    let before = counters();
    for read in burst(products.clone()) {
        assert_eq!((read.status, read.cache.as_str()), (404, "miss"), "the agent tier's refusal: {}", read.body);
    }
    let after = counters();
    assert_eq!(delta(&before, &after, "upstream_calls"), 3, "{before} → {after}");
    assert_eq!(delta(&before, &after, "products_sent"), 20, "{before} → {after}");

    // The same products again: KV answers, nothing goes upstream.
    for read in burst(products) {
        assert_eq!((read.status, read.cache.as_str()), (404, "hit"), "{}", read.body);
    }
    assert_eq!(delta(&after, &counters(), "upstream_calls"), 0);

    // 12 readers missing one product at once: one call, one product in it (single flight).
    let before = counters();
    for read in burst(vec!["ZCA-USD".to_string(); 12]) {
        assert_eq!(read.status, 404, "{}", read.body);
    }
    let after = counters();
    assert_eq!(delta(&before, &after, "upstream_calls"), 1, "{before} → {after}");
    assert_eq!(delta(&before, &after, "products_sent"), 1, "{before} → {after}");
}

#[test]
fn with_no_agent_tier_to_ask_a_prediction_is_a_hold_at_the_latest_price_marked_degraded() {
    let dir = scratch_dir("edge-link-degraded");
    // The agent tier feeds the edge, but the edge's AGENT_URL reaches nothing.
    let nowhere = format!("http://127.0.0.1:{}", support::edge::free_port());
    let edge = Edge::start_with_vars(&dir.join("edge"), &[("AGENT_URL", nowhere.as_str())]);
    let _agent = edge.agent(&dir.join("up"), 40, &[]);
    edge.wait_for_venue();
    let client = edge.client();

    let read = prediction(&client, "BTC-USD");
    assert_eq!((read.status, read.cache.as_str()), (200, "degraded"), "{}", read.body);
    assert!(read.ms <= TIMEOUT_MS + 500, "answered in {} ms", read.ms);
    let body = &read.body;
    assert_eq!((body["degraded"].as_bool(), body["decision"]["action"].as_str()), (Some(true), Some("HOLD")), "{body}");
    assert!(body["reason"].as_str().unwrap().contains("agent tier"), "{body}");
    let price = body["decision"]["price"].as_f64().unwrap();
    let (_, market) = client.request("GET", "/api/market-data?product_id=BTC-USD", None, None);
    let market: Value = serde_json::from_str(&market).unwrap();
    let last: f64 = market["last_price"].as_str().unwrap().parse().unwrap();
    assert!((price - last).abs() / last < 0.05, "a HOLD at the latest price: {price} vs {last}");
    // A product the edge has no price for is not made up: 404.
    let unknown = prediction(&client, "ETH-USD");
    assert_eq!(unknown.status, 404, "{}", unknown.body);
}
