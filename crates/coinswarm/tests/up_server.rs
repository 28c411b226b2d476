//! `coinswarm up` driven over HTTP as a client would: the real binary on a free loopback port.

mod support;

use serde_json::{Value, json};
use support::server::{Server, create_key, scratch_dir};
use support::store::Store;

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn limit_buy(client_order_id: &str, price: &str) -> String {
    json!({
        "client_order_id": client_order_id,
        "product_id": "BTC-USD",
        "side": "BUY",
        "order_configuration": {"limit_limit_gtc": {"base_size": "0.01", "limit_price": price}}
    })
    .to_string()
}

#[test]
fn orders_are_placed_listed_cancelled_and_an_idempotent_repeat_returns_the_first() {
    let dir = scratch_dir("orders");
    let server = Server::start(&dir, &[]);
    let key = server.admin_key.clone().expect("a first start prints an admin key");

    // A limit far below the market rests.
    let (status, body) = server.post("/api/orders", Some(&key), &limit_buy("rest-1", "100"));
    assert_eq!(status, 201, "{body}");
    let order = json_of(&body)["order"].clone();
    assert_eq!(order["status"], "OPEN");
    let id = order["order_id"].as_str().unwrap().to_string();

    let (status, body) = server.post("/api/orders", Some(&key), &limit_buy("rest-1", "100"));
    assert_eq!(status, 201);
    assert_eq!(json_of(&body)["order"]["order_id"], id.as_str(), "same client_order_id, same order");

    let (status, body) = server.get("/api/orders?status=open", Some(&key));
    assert_eq!(status, 200);
    let open = json_of(&body)["orders"].as_array().unwrap().clone();
    assert_eq!(open.iter().filter(|o| o["order_id"] == id.as_str()).count(), 1);

    let (status, body) = server.get(&format!("/api/orders/{id}"), Some(&key));
    assert_eq!((status, json_of(&body)["order"]["status"].clone()), (200, json!("OPEN")));
    let (status, body) = server.delete(&format!("/api/orders/{id}"), Some(&key));
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["order"]["status"], "CANCELLED");
    let (status, body) = server.delete(&format!("/api/orders/{id}"), Some(&key));
    assert_eq!(status, 422, "a second cancel is refused: {body}");

    // A market buy fills against the replayed quotes and shows in the account and trades.
    let market = json!({"product_id": "BTC-USD", "side": "BUY",
        "order_configuration": {"market_market_ioc": {"quote_size": "1000"}}});
    let (status, body) = server.post("/api/orders", Some(&key), &market.to_string());
    assert_eq!(status, 201, "{body}");
    assert_eq!(json_of(&body)["order"]["status"], "FILLED");
    let (_, body) = server.get("/api/trades?limit=5", Some(&key));
    assert!(!json_of(&body)["trades"].as_array().unwrap().is_empty());
    let (_, body) = server.get("/api/accounts/swarm", Some(&key));
    let account = json_of(&body);
    assert!(account["balances"].as_array().unwrap().iter().any(|b| b["currency"] == "BTC"), "{account}");
    assert!(server.terminate().success(), "SIGTERM ends the server cleanly");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn keys_only_reach_their_own_account_and_scopes_limit_what_they_do() {
    let dir = scratch_dir("scopes");
    let server = Server::start(&dir, &[]);
    let reader = create_key(&dir, "bob", "read");
    let trader = create_key(&dir, "carol", "trade");

    assert_eq!(server.get("/api/accounts/bob", None).0, 401);
    assert_eq!(server.get("/api/accounts/bob", Some("csk_not_a_key")).0, 401);
    let (status, body) = server.get("/api/accounts/bob", Some(&reader));
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["equity"], "100000", "a new account is funded with the initial capital");
    let (status, body) = server.post("/api/orders", Some(&reader), &limit_buy("r", "100"));
    assert_eq!((status, json_of(&body)["error"]["code"].clone()), (403, json!("FORBIDDEN")));
    // Another account is answered as if it did not exist.
    assert_eq!(server.get("/api/accounts/carol", Some(&reader)).0, 404);
    assert_eq!(server.get("/api/accounts/swarm", Some(&trader)).0, 404);
    let (status, body) = server.post("/api/orders", Some(&trader), &limit_buy("c", "100"));
    assert_eq!(status, 201, "{body}");
    let carols = json_of(&body)["order"]["order_id"].as_str().unwrap().to_string();
    assert_eq!(server.get(&format!("/api/orders/{carols}"), Some(&reader)).0, 404);
    assert_eq!(server.delete(&format!("/api/orders/{carols}"), Some(&create_key(&dir, "bob", "trade"))).0, 404);
    assert_eq!(server.post("/api/swarm/shutdown", Some(&trader), "").0, 403);
    // The paper swarm's account is the public demo: shown without a key.
    let (status, body) = server.get("/api/swarm", None);
    assert_eq!(status, 200, "{body}");
    let swarm = json_of(&body);
    assert_eq!(swarm["mode"], "paper", "{body}");
    assert!(swarm["account"]["balances"].is_array() && swarm["account"]["equity"].is_string(), "{body}");
    let (_, body) = server.get("/api/accounts", Some(&trader));
    let listed = json_of(&body)["accounts"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["account_id"], "carol");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_input_gets_a_4xx_with_a_message_never_a_5xx() {
    let dir = scratch_dir("bad-input");
    let server = Server::start(&dir, &[]);
    let key = server.admin_key.clone().unwrap();
    let order = |body: &[u8]| server.request("POST", "/api/orders", Some(&key), Some(body));
    let cases: Vec<(&str, (u16, String), u16)> = vec![
        ("malformed JSON", order(b"{\"product_id\":"), 400),
        ("wrong type", order(br#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":true,"limit_price":"1"}}}"#), 422),
        ("unknown field", order(br#"{"product_id":"BTC-USD","side":"BUY","colour":"red","order_configuration":{"market_market_ioc":{"base_size":"1"}}}"#), 422),
        ("unknown product", order(br#"{"product_id":"DOGE-USD","side":"BUY","order_configuration":{"market_market_ioc":{"base_size":"1"}}}"#), 404),
        ("negative size", order(br#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"-1","limit_price":"100"}}}"#), 422),
        ("huge size", order(br#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"99999999999999","limit_price":"100"}}}"#), 422),
        ("invalid UTF-8", order(b"{\"product_id\":\"\xff\xfe\"}"), 400),
        ("oversized body", order(&vec![b' '; 200 * 1024]), 413),
        ("unknown route", server.get("/api/nothing", Some(&key)), 404),
        ("wrong method", server.request("PUT", "/api/orders", Some(&key), None), 405),
        ("bad query", server.get("/api/market-data?product=BTC-USD", None), 400),
        ("bad product id", server.get("/api/market-data?product_id=BTCUSD", None), 400),
        ("bad order id", server.get("/api/orders/not-an-id", Some(&key)), 400),
        ("bad limit", server.get("/api/trades?limit=0", Some(&key)), 400),
        ("bad time", server.get("/api/candles?product_id=BTC-USD&start=yesterday", None), 400),
    ];
    for (case, (status, body), expected) in cases {
        assert_eq!(status, expected, "{case}: {body}");
        let error = json_of(&body)["error"].clone();
        assert!(error["code"].is_string() && !error["message"].as_str().unwrap().is_empty(), "{case}: {body}");
    }
    let (status, _) = server.get("/api/market-data?product_id=BTC-USD", None);
    assert_eq!(status, 200, "the server is still serving");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_burst_beyond_the_key_rate_gets_429_with_retry_after() {
    let dir = scratch_dir("rate");
    let server = Server::start(&dir, &[("COINSWARM_REQUESTS_PER_SECOND", "2"), ("COINSWARM_BURST", "5")]);
    let key = server.admin_key.clone().unwrap();
    let statuses: Vec<(u16, Vec<(String, String)>)> =
        (0..12).map(|_| server.raw("GET", "/api/accounts/swarm", Some(&key), None)).map(|(s, h, _)| (s, h)).collect();
    let limited: Vec<_> = statuses.iter().filter(|(s, _)| *s == 429).collect();
    assert!(statuses.iter().take(5).all(|(s, _)| *s == 200));
    assert!(limited.len() >= 5, "{} of 12 limited", limited.len());
    assert!(limited.iter().all(|(_, h)| h.iter().any(|(n, v)| n == "retry-after" && v.parse::<u64>().is_ok())));
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_restart_resumes_the_accounts_and_keys_from_the_data_directory() {
    let dir = scratch_dir("restart");
    let server = Server::start(&dir, &[]);
    let key = server.admin_key.clone().unwrap();
    let (_, body) = server.post("/api/orders", Some(&key), &limit_buy("keep-me", "100"));
    let id = json_of(&body)["order"]["order_id"].as_str().unwrap().to_string();
    assert!(server.terminate().success());

    let server = Server::start(&dir, &[]);
    assert_eq!(server.admin_key, None, "the admin key is only printed on the first start");
    let (status, body) = server.get(&format!("/api/orders/{id}"), Some(&key));
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["order"]["status"], "OPEN");
    let (_, body) = server.post("/api/orders", Some(&key), &limit_buy("keep-me", "100"));
    assert_eq!(json_of(&body)["order"]["order_id"], id.as_str(), "idempotency survives the restart");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn up_prints_its_effective_config_and_refuses_a_remote_address_without_the_flag() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_coinswarm"))
        .args(["up", "--print-config", "--listen", "127.0.0.1:9999"])
        .env("COINSWARM_FEED_BAR_INTERVAL_MS", "250")
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("listen = \"127.0.0.1:9999\"") && text.contains("bar_interval_ms = 250"), "{text}");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_coinswarm"))
        .args(["up", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(scratch_dir("remote"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-remote"));
}

#[test]
fn after_a_sigkill_mid_stream_every_acknowledged_order_is_there_exactly_once() {
    sigkill_mid_stream_loses_and_duplicates_nothing(Store::sqlite("crash"));
}

#[test]
fn on_postgresql_after_a_sigkill_mid_stream_every_acknowledged_order_is_there_exactly_once() {
    sigkill_mid_stream_loses_and_duplicates_nothing(Store::postgres("crash"));
}

/// Orders stream in; `up` is killed with SIGKILL; after a restart on the same store every
/// acknowledged order is there exactly once and the ledger's holds match the open orders.
fn sigkill_mid_stream_loses_and_duplicates_nothing(store: Store) {
    let engine = store.engine();
    let server = store.start(&[("COINSWARM_REQUESTS_PER_SECOND", "100000"), ("COINSWARM_BURST", "100000")]);
    let key = server.admin_key.clone().unwrap();
    let addr = server.addr;
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let key_for_clients = key.clone();
    let client = std::thread::spawn(move || {
        let client = support::server::Client { addr };
        let mut acknowledged = Vec::new();
        for i in 0..900 {
            if stop_rx.try_recv().is_ok() {
                break;
            }
            let (status, body) = client.request(
                "POST",
                "/api/orders",
                Some(&key_for_clients),
                Some(limit_buy(&format!("c{i}"), "100").as_bytes()),
            );
            if status == 201 {
                let order: Value = serde_json::from_str(&body).unwrap();
                acknowledged.push((format!("c{i}"), order["order"]["order_id"].as_str().unwrap().to_string()));
            } else if status == 0 {
                break; // the server is gone
            }
        }
        acknowledged
    });
    std::thread::sleep(std::time::Duration::from_millis(700));
    server.kill();
    let _ = stop_tx.send(());
    let acknowledged = client.join().unwrap();
    assert!(acknowledged.len() > 20, "{engine}: only {} orders were acknowledged before the kill", acknowledged.len());

    let server = store.start(&[]);
    let (_, body) = server.get("/api/orders?limit=1000&status=open", Some(&key));
    let open = json_of(&body)["orders"].as_array().unwrap().clone();
    for (client_order_id, order_id) in &acknowledged {
        let matching: Vec<_> = open.iter().filter(|o| o["client_order_id"] == client_order_id.as_str()).collect();
        assert_eq!(matching.len(), 1, "{engine}: {client_order_id} is there exactly once");
        assert_eq!(matching[0]["order_id"], order_id.as_str());
    }
    // Ledger invariants after recovery: nothing negative, and the USD on hold is exactly what
    // the open orders still reserve.
    let (_, body) = server.get("/api/accounts/swarm", Some(&key));
    let account = json_of(&body);
    let decimal = |v: &Value| v.as_str().unwrap().parse::<f64>().unwrap();
    for balance in account["balances"].as_array().unwrap() {
        assert!(decimal(&balance["available"]) >= 0.0 && decimal(&balance["hold"]) >= 0.0, "{balance}");
    }
    let usd = account["balances"].as_array().unwrap().iter().find(|b| b["currency"] == "USD").unwrap();
    let reserved: f64 = open.iter().map(|o| decimal(&o["hold_remaining"])).sum();
    assert!((decimal(&usd["hold"]) - reserved).abs() < 1e-6, "{engine}: hold {} vs reserved {reserved}", usd["hold"]);
    drop(server);
    store.remove();
}

#[test]
fn the_stream_sends_coalesced_tickers_candles_decisions_and_the_callers_own_fills() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let dir = scratch_dir("stream");
    let server = Server::start(&dir, &[]);
    let key = server.admin_key.clone().unwrap();
    let client = server.client();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/stream", server.addr)).await.unwrap();
        socket.send(Message::text(r#"{"type":"subscribe","channels":["ticker"],"product_ids":["DOGE-USD"]}"#)).await.unwrap();
        let subscribe = json!({"type": "subscribe", "channels": ["ticker", "candles", "decisions", "heartbeats", "fills"],
            "product_ids": ["BTC-USD"], "api_key": key});
        socket.send(Message::text(subscribe.to_string())).await.unwrap();
        // A market order placed over REST shows on the fills channel.
        let order = json!({"product_id": "BTC-USD", "side": "BUY",
            "order_configuration": {"market_market_ioc": {"quote_size": "500"}}});
        let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
        let mut placed = false;
        let mut errors = Vec::new();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        while tokio::time::Instant::now() < deadline {
            let Ok(Some(Ok(Message::Text(text)))) =
                tokio::time::timeout(std::time::Duration::from_secs(5), socket.next()).await
            else {
                continue;
            };
            let message: Value = serde_json::from_str(&text).unwrap();
            if message["type"] == "error" {
                errors.push(message["message"].as_str().unwrap().to_string());
            }
            if message["type"] == "subscriptions" && !placed {
                placed = true;
                let (status, body) = client.request("POST", "/api/orders", Some(&key), Some(order.to_string().as_bytes()));
                assert_eq!(status, 201, "{body}");
            }
            if let Some(channel) = message["channel"].as_str() {
                *seen.entry(channel.to_string()).or_default() += 1;
            }
            if ["ticker", "candles", "decisions", "heartbeats", "fills"].iter().all(|c| seen.contains_key(*c)) {
                break;
            }
        }
        assert_eq!(errors, vec!["product DOGE-USD is not listed".to_string()]);
        for channel in ["ticker", "candles", "decisions", "heartbeats", "fills"] {
            assert!(seen.contains_key(channel), "no {channel} message in 20 s: {seen:?}");
        }
    });
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn metrics_count_requests_by_route_template_with_latency_histograms_and_cache_hits() {
    let dir = scratch_dir("metrics");
    let server = Server::start(&dir, &[]);
    let key = server.admin_key.clone().unwrap();
    // Each answer names the server's own share of its latency: within what the client
    // measured for the whole exchange, and the very figure the latency histogram records.
    let mut server_millis = Vec::new();
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let (status, headers, _) = server.raw("GET", "/api/market-data?product_id=BTC-USD", None, None);
        let client_millis = started.elapsed().as_secs_f64() * 1000.0;
        assert_eq!(status, 200);
        let timing = headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("server-timing")).unwrap();
        let millis: f64 = timing.1.strip_prefix("app;dur=").unwrap().parse().unwrap();
        assert!(millis > 0.0 && millis <= client_millis, "{timing:?}, the client measured {client_millis} ms");
        server_millis.push(millis);
    }
    assert_eq!(server.get("/api/orders/015d006f-9920-7e61-b974-08ab415ec386", Some(&key)).0, 404);
    let (status, text) = server.get("/metrics", None);
    assert_eq!(status, 200);
    assert!(
        text.contains("coinswarm_http_requests_total{route=\"/api/market-data\",method=\"GET\",status=\"200\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("coinswarm_http_request_duration_seconds_bucket{route=\"/api/orders/{id}\",le=\"+Inf\"} 1"),
        "{text}"
    );
    // The histogram's sum for the route is the three Server-Timing figures added up (each
    // printed to the microsecond, so within 0.5 µs of what was recorded).
    let sums: Vec<f64> = text
        .lines()
        .filter(|l| {
            l.starts_with("coinswarm_http_request_duration_seconds_sum{") && l.contains("route=\"/api/market-data\"")
        })
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(!sums.is_empty(), "no latency sum for /api/market-data: {text}");
    let recorded_seconds: f64 = sums.iter().sum();
    let reported: f64 = server_millis.iter().sum();
    assert!(
        (recorded_seconds * 1000.0 - reported).abs() <= 0.0015 + 1e-9,
        "the histogram recorded {recorded_seconds} s, Server-Timing reported {server_millis:?} ms"
    );
    let hits = text.lines().find_map(|l| l.strip_prefix("coinswarm_cache_hits_total ")).unwrap();
    assert!(hits.parse::<f64>().unwrap() >= 1.0, "three reads within the 1 s TTL hit the cache at least once");
    for gauge in ["coinswarm_ws_clients", "coinswarm_sessions 1", "coinswarm_decisions_total", "coinswarm_orders"] {
        assert!(text.contains(gauge), "{gauge}");
    }
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_fill_reaches_analytics_through_the_post_trade_queue() {
    let dir = scratch_dir("analytics");
    let server = Server::start(&dir, &[]);
    let key = server.admin_key.clone().unwrap();
    let order = json!({"product_id": "BTC-USD", "side": "BUY",
        "order_configuration": {"market_market_ioc": {"quote_size": "1000"}}});
    let (status, body) = server.post("/api/orders", Some(&key), &order.to_string());
    assert_eq!(status, 201, "{body}");
    let filled = json_of(&body)["order"]["filled_value"].as_str().unwrap().parse::<f64>().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut notional = 0.0;
    while std::time::Instant::now() < deadline && notional < filled - 1e-6 {
        let (status, body) = server.get("/api/analytics?metric=trade_notional&bucket=1d", Some(&key));
        assert_eq!(status, 200, "{body}");
        notional = json_of(&body)["buckets"].as_array().unwrap().iter().map(|b| b["sum"].as_f64().unwrap()).sum();
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The swarm may have traded too; the order's own notional is at least in the total.
    assert!(notional >= filled - 1e-6, "analytics saw {notional}, the order filled {filled}");
    let (_, body) = server.get("/api/analytics?metric=order_ack_ms&bucket=1h", Some(&key));
    assert!(json_of(&body)["buckets"][0]["count"].as_i64().unwrap() >= 1, "{body}");
    let (status, body) = server.get("/api/analytics?metric=nonsense", Some(&key));
    assert_eq!((status, json_of(&body)["error"]["code"].clone()), (400, json!("UNKNOWN_METRIC")));
    assert_eq!(server.get("/api/analytics?metric=trade_fee&bucket=0s", Some(&key)).0, 400);
    // The queue drains: the swarm's own fills may enqueue a job just before a read, so the
    // depth is read until it shows 0 (bounded).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let drained = loop {
        let (_, metrics) = server.get("/metrics", None);
        if metrics.contains("coinswarm_queue_depth 0") || std::time::Instant::now() > deadline {
            break metrics.contains("coinswarm_queue_depth 0");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(drained, "every post-trade job is done");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_decision_history_is_served_newest_first() {
    let dir = scratch_dir("decisions");
    let server = Server::start(&dir, &[]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let decisions = loop {
        let (status, body) = server.get("/api/decisions?limit=5", None);
        assert_eq!(status, 200, "{body}");
        let decisions = json_of(&body)["decisions"].as_array().unwrap().clone();
        if decisions.len() >= 2 || std::time::Instant::now() > deadline {
            break decisions;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(decisions.len() >= 2, "{decisions:?}");
    assert!(decisions[0]["time"].as_i64() > decisions[1]["time"].as_i64(), "newest first");
    assert!(decisions[0]["votes"].is_array() && decisions[0]["regime"].is_string());
    // The paper swarm's account is the public demo: its decisions are shown whole.
    assert!(decisions[0]["equity"].is_string(), "{}", decisions[0]);
    assert_eq!(server.get("/api/decisions?limit=0", None).0, 400);
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A raw WebSocket client that subscribes and then reads nothing.
fn subscribe_and_stop_reading(server: &Server, subscribe: &str) -> std::net::TcpStream {
    use std::io::{Read, Write};
    // A small receive window, as a client on a slow link would have.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&server.addr.into()).unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    let request = format!(
        "GET /stream HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "handshake cut short");
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    let mask = [1u8, 2, 3, 4];
    let payload = subscribe.as_bytes();
    let mut frame = vec![0x81, 0x80 | 126];
    frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).unwrap();
    stream
}

/// The close frame's (code, reason) among the server frames in `bytes`, if any.
fn close_frame(bytes: &[u8]) -> Option<(u16, String)> {
    let mut at = 0;
    while at + 2 <= bytes.len() {
        let (opcode, short) = (bytes[at] & 0x0f, (bytes[at + 1] & 0x7f) as usize);
        let (length, header) = match short {
            126 => (u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize, 4),
            127 => (u64::from_be_bytes(bytes[at + 2..at + 10].try_into().unwrap()) as usize, 10),
            n => (n, 2),
        };
        let payload = bytes.get(at + header..at + header + length)?;
        if opcode == 0x8 {
            return Some((u16::from_be_bytes([payload[0], payload[1]]), String::from_utf8_lossy(&payload[2..]).into()));
        }
        at += header + length;
    }
    None
}

#[test]
fn a_client_that_stops_reading_is_closed_with_a_reason_and_never_delays_the_others() {
    use futures_util::{SinkExt, StreamExt};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};
    use tokio_tungstenite::tungstenite::Message;

    let dir = scratch_dir("slow-consumer");
    // A small kernel send buffer and a short send timeout make a stalled reader show fast.
    let server = Server::start(
        &dir,
        &[("COINSWARM_STREAM_SEND_TIMEOUT_MS", "300"), ("COINSWARM_STREAM_SEND_BUFFER_BYTES", "4096")],
    );
    let everything =
        r#"{"type":"subscribe","channels":["ticker","candles","decisions","heartbeats"],"product_ids":["BTC-USD"]}"#;

    // A healthy client reads the ticker throughout and logs each update's lag and arrival.
    let healthy: Arc<Mutex<Vec<(Instant, f64)>>> = Arc::default();
    let log = healthy.clone();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let finished = done.clone();
    let url = format!("ws://{}/stream", server.addr);
    let reader = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
            socket.send(Message::text(everything)).await.unwrap();
            let end = Instant::now() + Duration::from_secs(60);
            while Instant::now() < end && !finished.load(std::sync::atomic::Ordering::Relaxed) {
                match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
                    Ok(Some(Ok(Message::Text(text)))) => {
                        let message: Value = serde_json::from_str(&text).unwrap();
                        if message["channel"] == "ticker" {
                            let now_ms =
                                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
                                    as f64;
                            let lag = now_ms - message["published_ms"].as_f64().unwrap();
                            log.lock().unwrap().push((Instant::now(), lag));
                        }
                    }
                    Ok(Some(Ok(Message::Close(frame)))) => panic!("the healthy client was closed: {frame:?}"),
                    Ok(Some(Ok(_))) => {}
                    other => panic!("the healthy client's stream ended: {other:?}"),
                }
            }
        });
    });
    let ws_clients = |server: &Server| {
        let (_, metrics) = server.get("/metrics", None);
        metrics.lines().find_map(|l| l.strip_prefix("coinswarm_ws_clients ")).map(|v| v.trim().to_string())
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while ws_clients(&server).as_deref() != Some("1") {
        assert!(Instant::now() < deadline, "the healthy client never connected");
        std::thread::sleep(Duration::from_millis(20));
    }

    // The slow client subscribes to everything and never reads: its buffers fill, a write
    // waits longer than the send timeout, and the server leaves it.
    let stalled_at = Instant::now();
    let mut slow = subscribe_and_stop_reading(&server, everything);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen_two = false;
    loop {
        match ws_clients(&server).as_deref() {
            Some("2") => seen_two = true,
            Some("1") if seen_two => break,
            _ => {}
        }
        assert!(Instant::now() < deadline, "the stalled client was never cut off");
        std::thread::sleep(Duration::from_millis(20));
    }
    let cut_after = stalled_at.elapsed();

    // Reading now, it gets what was queued and then the close frame with its reason.
    use std::io::Read;
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut bytes = Vec::new();
    let _ = slow.read_to_end(&mut bytes);
    let (code, reason) = close_frame(&bytes).expect("a close frame after the queued updates");
    assert_eq!(code, 1008);
    assert!(reason.starts_with("slow consumer"), "{reason}");

    done.store(true, std::sync::atomic::Ordering::Relaxed);
    reader.join().unwrap();
    let healthy = healthy.lock().unwrap();
    let during: Vec<&(Instant, f64)> =
        healthy.iter().filter(|(at, _)| *at >= stalled_at && *at <= stalled_at + cut_after).collect();
    // The feed quotes 100 times a second, coalesced to one update per 50 ms: about 20 a second.
    assert!(
        during.len() as f64 >= cut_after.as_secs_f64() * 10.0,
        "the healthy client got {} updates in {cut_after:?} while the other stalled",
        during.len()
    );
    let worst = during.iter().map(|(_, lag)| *lag).fold(0.0, f64::max);
    assert!(worst < 500.0, "the healthy client's updates were delayed by up to {worst} ms");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_second_server_on_the_same_data_directory_is_refused_with_the_reason() {
    let dir = scratch_dir("owner");
    let server = Server::start(&dir, &[]);
    for command in ["up", "mcp"] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_coinswarm"))
            .args([command, "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&dir)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(!output.status.success(), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("another coinswarm server (up or mcp) is running on"), "{command}: {stderr}");
    }
    assert_eq!(server.get("/readyz", None).0, 200, "the first server is unharmed");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn api_orders_pass_the_accounts_oversight_and_a_preview_places_nothing() {
    let dir = scratch_dir("guard");
    let server = Server::start(&dir, &[]);
    let key = create_key(&dir, "guarded", "trade");
    let order = |quote_size: &str| {
        json!({"product_id": "BTC-USD", "side": "BUY", "order_configuration": {"market_market_ioc": {"quote_size": quote_size}}})
            .to_string()
    };
    // Wait for prices, then preview: every check and the fee estimate, nothing placed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let preview = loop {
        let (status, body) = server.post("/api/orders/preview", Some(&key), &order("1000"));
        let value: Value = serde_json::from_str(&body).unwrap();
        if status == 200 && value["preview"]["accepted"] == true {
            break value;
        }
        assert!(std::time::Instant::now() < deadline, "{status} {body}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert_eq!(preview["preview"]["notional"], "1000", "{preview}");
    let fee: f64 = preview["preview"]["estimated_fee"].as_str().unwrap().parse().unwrap();
    // A market buy's quote size includes the 60 bps taker fee: 1000 − 1000 / 1.006.
    assert!((fee - 5.964_214_71).abs() < 1e-8, "{preview}");
    let (_, body) = server.get("/api/orders", Some(&key));
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["orders"], json!([]), "a preview places nothing");

    // Beyond the per-order limit: refused with the breach, before the engine sees it.
    let (status, body) = server.post("/api/orders", Some(&key), &order("30000"));
    assert_eq!(status, 422, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["error"]["code"], "OVERSIGHT_BREACH", "{body}");
    assert!(error["error"]["message"].as_str().unwrap().contains("order notional 30000 exceeds the maximum 25000"));
    let (status, body) = server.post("/api/orders/preview", Some(&key), &order("30000"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["preview"]["rejection"]["code"], "OVERSIGHT_BREACH");
    // Within it: placed; a read key may not preview.
    assert_eq!(server.post("/api/orders", Some(&key), &order("1000")).0, 201);
    let reader = create_key(&dir, "guarded", "read");
    assert_eq!(server.post("/api/orders/preview", Some(&reader), &order("1000")).0, 403);
    drop(server);

    // With the guard off, only the exchange's rules apply.
    let server = Server::start(&dir, &[("COINSWARM_GUARD_ENABLED", "false")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (status, body) = server.post("/api/orders", Some(&key), &order("30000"));
        if status == 201 {
            break;
        }
        assert!(std::time::Instant::now() < deadline && !body.contains("OVERSIGHT"), "{status} {body}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}
