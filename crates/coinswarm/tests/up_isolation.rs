//! What one account, or another user on the machine, can see of the others, driven against
//! the real `coinswarm up`: each key's analytics are its own account's, two accounts never
//! share an order or trade id, and the data directory is private to its owner.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::server::{Server, create_key, scratch_dir};

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// A market buy of `quote_size` USD of BTC; answers the order.
fn market_buy(server: &Server, key: &str, quote_size: &str) -> Value {
    let order = json!({"product_id": "BTC-USD", "side": "BUY",
        "order_configuration": {"market_market_ioc": {"quote_size": quote_size}}});
    let (status, body) = server.post("/api/orders", Some(key), &order.to_string());
    assert_eq!(status, 201, "{body}");
    let order = json_of(&body)["order"].clone();
    assert_eq!(order["status"], "FILLED", "{order}");
    order
}

fn filled_value(order: &Value) -> f64 {
    order["filled_value"].as_str().unwrap().parse().unwrap()
}

/// The sum of `metric` over the last day as `key` sees it (`query`: more parameters).
fn analytics_sum(server: &Server, key: &str, metric: &str, query: &str) -> f64 {
    let (status, body) = server.get(&format!("/api/analytics?metric={metric}&bucket=1d{query}"), Some(key));
    assert_eq!(status, 200, "{body}");
    json_of(&body)["buckets"].as_array().unwrap().iter().map(|b| b["sum"].as_f64().unwrap()).sum()
}

/// Waits (at most 20 s) until `key`'s `trade_notional` reaches `expected`, and answers it.
fn notional_once_recorded(server: &Server, key: &str, query: &str, expected: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let notional = analytics_sum(server, key, "trade_notional", query);
        if notional >= expected - 1e-6 || Instant::now() > deadline {
            return notional;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The admin's `trade_notional` total (once it reaches `at_least`) and the swarm's share,
/// read while the swarm's figure stays the same before and after (at most 20 s): a reading
/// of both at one moment.
fn total_with_a_settled_swarm(server: &Server, admin: &str, at_least: f64) -> (f64, f64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let before = analytics_sum(server, admin, "trade_notional", "&account=swarm");
        let total = notional_once_recorded(server, admin, "", at_least);
        let after = analytics_sum(server, admin, "trade_notional", "&account=swarm");
        if before == after {
            return (total, after);
        }
        assert!(Instant::now() < deadline, "the swarm's figure still moves 20 s after it was halted");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn trade_ids(server: &Server, key: &str) -> Vec<String> {
    let (status, body) = server.get("/api/trades", Some(key));
    assert_eq!(status, 200, "{body}");
    json_of(&body)["trades"].as_array().unwrap().iter().map(|t| t["trade_id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn each_key_sees_only_its_own_accounts_analytics_and_an_admin_sees_every_account() {
    let dir = scratch_dir("analytics-accounts");
    let server = Server::start(&dir, &[]);
    let admin = server.admin_key.clone().expect("a first start prints an admin key");
    let alice = create_key(&dir, "alice", "trade");
    let bob = create_key(&dir, "bob", "trade");
    let alices = filled_value(&market_buy(&server, &alice, "1000"));
    let bobs = filled_value(&market_buy(&server, &bob, "3000"));

    assert!((notional_once_recorded(&server, &alice, "", alices) - alices).abs() < 1e-6, "alice sees only hers");
    assert!((notional_once_recorded(&server, &bob, "", bobs) - bobs).abs() < 1e-6, "bob sees only his");
    assert!((notional_once_recorded(&server, &alice, "&account=alice", alices) - alices).abs() < 1e-6);
    assert!((notional_once_recorded(&server, &admin, "&account=bob", bobs) - bobs).abs() < 1e-6);
    // The admin's total is every account's: alice's, bob's and whatever the swarm traded.
    // The swarm trades at every 40 ms bar: halted, it adds no more, and the total is read
    // between two equal readings of the swarm's figure, so no fill of its own landed between.
    let (status, body) = server.post("/api/swarm/shutdown", Some(&admin), "");
    assert_eq!(status, 200, "{body}");
    let (total, swarms) = total_with_a_settled_swarm(&server, &admin, alices + bobs);
    assert!((total - swarms - (alices + bobs)).abs() < 1e-6, "admin total {total}, swarm {swarms}");
    // Fees and acknowledgement times are per account too.
    assert!(analytics_sum(&server, &alice, "trade_fee", "") > 0.0);
    let deadline = Instant::now() + Duration::from_secs(20);
    let ack_count = |key: &str| -> i64 {
        let (_, body) = server.get("/api/analytics?metric=order_ack_ms&bucket=1d", Some(key));
        json_of(&body)["buckets"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).sum()
    };
    while ack_count(&admin) < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(ack_count(&alice), 1, "alice placed one order");

    // Another account, or one that does not exist, is answered alike: 404.
    for (key, account) in [(&alice, "bob"), (&bob, "swarm"), (&admin, "nobody")] {
        let (status, body) = server.get(&format!("/api/analytics?metric=trade_notional&account={account}"), Some(key));
        assert_eq!((status, json_of(&body)["error"]["code"].clone()), (404, json!("NOT_FOUND")), "{account}: {body}");
    }
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn two_accounts_placing_the_same_order_at_the_same_moment_get_their_own_order_and_trade_ids() {
    let dir = scratch_dir("ids-per-account");
    let alice = create_key(&dir, "alice", "trade");
    let bob = create_key(&dir, "bob", "trade");
    // One quote every 15 s: the two orders usually meet the same quote, at the same engine
    // time. A quote between them moves the second to a later time; the pair is then placed
    // again, until one pair shares its moment (at most 5 pairs).
    let server = Server::start_with_bar_interval(&dir, &[], 60_000);
    std::thread::sleep(Duration::from_millis(300));
    let mut pairs = Vec::new();
    loop {
        let pair = (market_buy(&server, &alice, "1000"), market_buy(&server, &bob, "1000"));
        let same_moment = pair.0["created_time"] == pair.1["created_time"];
        pairs.push(pair);
        if same_moment {
            break;
        }
        assert!(pairs.len() < 5, "no two orders at the same moment in 5 pairs: {pairs:?}");
    }
    let (alices, bobs) = pairs.last().unwrap();
    assert_ne!(alices["order_id"], bobs["order_id"]);
    let (alice_trades, bob_trades) = (trade_ids(&server, &alice), trade_ids(&server, &bob));
    assert!(!alice_trades.is_empty() && !bob_trades.is_empty());
    assert!(alice_trades.iter().all(|t| !bob_trades.contains(t)), "{alice_trades:?} {bob_trades:?}");

    // Every fill reaches analytics: none is taken for a repeat of the other account's.
    let alices: f64 = pairs.iter().map(|(alices, _)| filled_value(alices)).sum();
    let bobs: f64 = pairs.iter().map(|(_, bobs)| filled_value(bobs)).sum();
    assert!((notional_once_recorded(&server, &alice, "", alices) - alices).abs() < 1e-6);
    assert!((notional_once_recorded(&server, &bob, "", bobs) - bobs).abs() < 1e-6);
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn the_data_directory_and_every_file_in_it_are_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    fn modes(dir: &std::path::Path, found: &mut Vec<(std::path::PathBuf, u32)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            found.push((path.clone(), mode));
            if path.is_dir() {
                modes(&path, found);
            }
        }
    }
    let check = |dir: &std::path::Path, expected: &[&str]| {
        let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{} is {mode:o}", dir.display());
        let mut found = Vec::new();
        modes(dir, &mut found);
        let names: Vec<String> =
            found.iter().map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        for name in expected {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
        for (path, mode) in found {
            let private = if path.is_dir() { 0o700 } else { 0o600 };
            assert_eq!(mode, private, "{} is {mode:o}", path.display());
        }
    };

    // A directory made by someone else's tools, readable by everyone, and a key made in it.
    let dir = scratch_dir("private");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let key = create_key(&dir, "alice", "trade");
    let server = Server::start(&dir, &[]);
    market_buy(&server, &key, "1000");
    let files = ["coinswarm.sqlite", "coinswarm.sqlite-wal", "coinswarm.sqlite-shm", "server.lock", "exchange.mode"];
    check(&dir, &[&files[..], &["memory-index", "manifest.json"]].concat());
    // What the shutdown writes (the memory index, saved again) is private too.
    assert!(server.terminate().success());
    check(&dir, &["coinswarm.sqlite", "manifest.json"]);
    std::fs::remove_dir_all(dir).unwrap();
}
