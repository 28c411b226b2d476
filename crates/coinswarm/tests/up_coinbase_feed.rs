//! `coinswarm up --feed coinbase` against the local mock Coinbase: the live tickers reach
//! `/api/market-data` and the candles built from them, the swarm decides on them, and an
//! order fills at the mock's prices on the paper exchange.

mod support;

use coinswarm_coinbase::mock::{MockCoinbase, WsStep};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::server::{Server, scratch_dir};

/// The next whole minute (UNIX seconds): the mock's stream starts there, after the history
/// the swarm warms up on.
fn next_minute() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    (now / 60 + 1) * 60
}

fn tickers(start: i64) -> Vec<WsStep> {
    let mut steps = Vec::new();
    for minute in 0..900i64 {
        let time = chrono_like(start + minute * 60);
        // BTC drifts up with a wave; ETH is flat around 2,200.
        let btc = 40_000.0 + minute as f64 * 4.0 + 150.0 * ((minute as f64) / 9.0).sin();
        let eth = 2_200.0 + 5.0 * ((minute as f64) / 7.0).cos();
        for (product, price) in [("BTC-USD", btc), ("ETH-USD", eth)] {
            steps.push(WsStep::Send(
                json!({"channel": "ticker", "timestamp": time, "events": [{"type": "update", "tickers": [{
                "product_id": product, "price": format!("{price:.2}"),
                "best_bid": format!("{:.2}", price - 0.5), "best_ask": format!("{:.2}", price + 0.5)}]}]}),
            ));
        }
        steps.push(WsStep::Send(json!({"channel": "market_trades", "timestamp": time, "events": [{"type": "update", "trades": [
            {"trade_id": minute.to_string(), "product_id": "BTC-USD", "price": format!("{btc:.2}"), "size": "0.5", "side": "BUY", "time": time}]}]})));
        steps.push(WsStep::Sleep(4));
    }
    // The last minute's last tick, a second before its end; then the market goes quiet.
    let last = chrono_like(start + 899 * 60 + 59);
    steps
        .push(WsStep::Send(json!({"channel": "ticker", "timestamp": last, "events": [{"type": "update", "tickers": [{
        "product_id": "BTC-USD", "price": "43600.00", "best_bid": "43599.50", "best_ask": "43600.50"}]}]})));
    steps
}

fn rfc3339(seconds: i64) -> String {
    chrono_like(seconds)
}

/// RFC 3339 of UNIX seconds (UTC).
fn chrono_like(seconds: i64) -> String {
    coinswarm_core::time::Timestamp::from_millis(seconds * 1000).to_rfc3339()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_feed_drives_market_data_candles_the_swarm_and_paper_fills() {
    let mock = MockCoinbase::start(None, None).await;
    let start = next_minute();
    mock.with(|s| s.ws_plans.push_back(tickers(start)));
    let dir = scratch_dir("coinbase-feed");
    let (ws_url, rest_url) = (mock.ws_url(), mock.url());
    let server = tokio::task::spawn_blocking(move || {
        Server::start(
            &dir,
            &[
                ("COINSWARM_FEED_SOURCE", "coinbase"),
                ("COINSWARM_FEED_PRODUCTS", "BTC-USD,ETH-USD"),
                ("COINSWARM_COINBASE_WS_URL", ws_url.as_str()),
                ("COINSWARM_COINBASE_REST_URL", rest_url.as_str()),
            ],
        )
    })
    .await
    .unwrap();
    let key = server.admin_key.clone().unwrap();
    let server = std::sync::Arc::new(server);
    let s = server.clone();
    tokio::task::spawn_blocking(move || {
        // Both products' prices come from the mock.
        let deadline = Instant::now() + Duration::from_secs(60);
        let get = |path: &str| {
            let (status, body) = s.get(path, Some(&key));
            (status, serde_json::from_str::<Value>(&body).unwrap_or(Value::Null))
        };
        loop {
            let (status, eth) = get("/api/market-data?product_id=ETH-USD");
            if status == 200 {
                let bid: f64 = eth["best_bid"].as_str().unwrap().parse().unwrap();
                assert!((2_190.0..2_210.0).contains(&bid), "{eth}");
                break;
            }
            assert!(Instant::now() < deadline, "no ETH-USD market data in 60 s: {eth}");
            std::thread::sleep(Duration::from_millis(100));
        }
        // The swarm warmed up on the 300 minutes before the stream, from REST, without trading.
        let (_, history) = get(&format!("/api/candles?product_id=BTC-USD&granularity=ONE_MINUTE&end={}", rfc3339(start - 60)));
        assert_eq!(history["candles"].as_array().unwrap().len(), 300, "the warm-up history is on the board");
        // Minute bars are built from the tickers on the exchange's clock, and the swarm decides at each close.
        loop {
            let (_, candles) = get(&format!("/api/candles?product_id=BTC-USD&granularity=ONE_MINUTE&start={}", rfc3339(start)));
            let (_, decisions) = get("/api/decisions?limit=5");
            let bars = candles["candles"].as_array().map_or(0, Vec::len);
            let decided = decisions["decisions"].as_array().map_or(0, Vec::len);
            if bars >= 100 && decided >= 5 {
                assert_eq!(candles["candles"][0]["start"], start * 1000, "the first minute of the mock's clock");
                let first = &candles["candles"][0];
                assert_eq!((first["open"].as_str(), first["close"].as_str()), (Some("40000.00"), Some("40000.00")));
                assert_eq!(first["volume"], "0.5", "volume from the market trades: {first}");
                let price = decisions["decisions"][0]["price"].as_f64().unwrap();
                assert_eq!(decisions["decisions"][0]["halted"], false, "a live decision, not the warm-up's");
                assert!((39_000.0..45_000.0).contains(&price), "a decision at the mock's price: {price}");
                break;
            }
            assert!(Instant::now() < deadline, "{bars} bars and {decided} decisions in 60 s");
            std::thread::sleep(Duration::from_millis(200));
        }
        // When the tickers stop, the last bar still closes, by the clock.
        loop {
            let (_, candles) =
                get(&format!("/api/candles?product_id=BTC-USD&granularity=ONE_MINUTE&start={}", rfc3339(start + 899 * 60)));
            if candles["candles"].as_array().is_some_and(|c| c.len() == 1) {
                break;
            }
            assert!(Instant::now() < deadline, "the last minute never closed: {candles}");
            std::thread::sleep(Duration::from_millis(200));
        }
        // A paper order fills at the live price.
        let order = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"market_market_ioc": {"quote_size": "1000"}}});
        let (status, body) = s.post("/api/orders", Some(&key), &order.to_string());
        assert_eq!(status, 201, "{body}");
        let placed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(placed["order"]["status"], "FILLED", "{placed}");
        let average: f64 = placed["order"]["average_filled_price"].as_str().map_or_else(
            || {
                let value: f64 = placed["order"]["filled_value"].as_str().unwrap().parse().unwrap();
                let size: f64 = placed["order"]["filled_size"].as_str().unwrap().parse().unwrap();
                value / size
            },
            |p| p.parse().unwrap(),
        );
        assert!((2_190.0..2_210.0).contains(&average), "filled at the mock's ETH price: {average}");
    })
    .await
    .unwrap();
    assert!(mock.with(|s| {
        s.ws_subscriptions
            .iter()
            .any(|(_, _, m)| m["channel"] == "ticker" && m["product_ids"] == json!(["BTC-USD", "ETH-USD"]))
    }));
    drop(server);
}

/// The text inside the element with this id in a DOM dump.
fn element_text<'a>(dom: &'a str, id: &str) -> Option<&'a str> {
    let open = dom.find(&format!("id=\"{id}\""))?;
    let start = open + dom[open..].find('>')? + 1;
    let end = start + dom[start..].find('<')?;
    Some(&dom[start..end])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_live_feeds_prices() {
    let Some(chromium) = support::browser::chromium_or_skip() else { return };
    let mock = MockCoinbase::start(None, None).await;
    // A long stream: the page loads while it runs.
    let steps: Vec<WsStep> = tickers(next_minute()).into_iter().cycle().take(40_000).collect();
    mock.with(|s| s.ws_plans.push_back(steps));
    let dir = scratch_dir("coinbase-dashboard");
    let (ws_url, rest_url) = (mock.ws_url(), mock.url());
    tokio::task::spawn_blocking(move || {
        let server = Server::start(
            &dir,
            &[
                ("COINSWARM_FEED_SOURCE", "coinbase"),
                ("COINSWARM_FEED_PRODUCTS", "BTC-USD,ETH-USD"),
                ("COINSWARM_COINBASE_WS_URL", ws_url.as_str()),
                ("COINSWARM_COINBASE_REST_URL", rest_url.as_str()),
            ],
        );
        let url = format!("http://{}/", server.addr);
        let mut last = String::new();
        for attempt in 0..5 {
            let dom = support::browser::dump_dom(&chromium, &url, &dir.join(format!("browser-{attempt}")), 8_000);
            if let Some(price) = element_text(&dom, "price").map(|t| t.replace([',', ' ', '$'], ""))
                && let Ok(price) = price.parse::<f64>()
            {
                assert!((39_000.0..45_000.0).contains(&price), "the mock's BTC price on the page: {price}");
                drop(server);
                std::fs::remove_dir_all(&dir).unwrap();
                return;
            }
            last = dom;
        }
        panic!("no live price on the page in five loads: {}", &last[..last.len().min(2000)]);
    })
    .await
    .unwrap();
}
