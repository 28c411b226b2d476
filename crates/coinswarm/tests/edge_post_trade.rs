//! The edge's post-trade queue: each fill's work (D1's `fills` read model) is done once,
//! however often its message is delivered, and a message that keeps failing ends in the
//! dead-letter queue (kept in D1's `dead_letters`), under `wrangler dev`.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::edge::{EDGE_TOKEN, Edge};
use support::server::scratch_dir;

/// Waits (at most 30 s) until `query`'s first row's `n` is `expected`.
fn eventually(edge: &Edge, query: &str, expected: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut n = -1;
    while Instant::now() < deadline {
        n = edge.d1(query).first().and_then(|row| row["n"].as_i64()).unwrap_or(-1);
        if n == expected {
            return n;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    n
}

#[test]
fn redelivered_post_trade_work_changes_nothing_and_a_failing_message_lands_in_the_dead_letter_queue() {
    let dir = scratch_dir("edge-post-trade");
    let edge = Edge::start(&dir.join("edge"));
    let agent = edge.agent(&dir.join("up"), 200, &[]);
    edge.wait_for_venue();
    let key = edge.create_key("queue-a", "trade");
    let client = edge.client();
    let order = json!({"client_order_id": "q-1", "product_id": "BTC-USD", "side": "BUY",
        "order_configuration": {"market_market_ioc": {"quote_size": "250"}}});
    let (status, placed) = client.request("POST", "/api/orders", Some(&key), Some(order.to_string().as_bytes()));
    assert_eq!(status, 201, "{placed}");
    let (_, trades) = client.request("GET", "/api/trades", Some(&key), None);
    let trades: Value = serde_json::from_str(&trades).unwrap();
    let fill = trades["trades"][0].clone();
    let trade_id = fill["trade_id"].as_str().unwrap().to_string();
    let count = format!("SELECT COUNT(*) AS n FROM fills WHERE trade_id = '{trade_id}'");
    assert_eq!(eventually(&edge, &count, 1), 1, "the fill reached D1's read model through the queue");

    // The same message delivered twice more: still one row.
    let message = json!({"account_id": "queue-a", "fill": fill}).to_string();
    for _ in 0..2 {
        let (status, _, text) = client.raw("POST", "/edge/post-trade", Some(EDGE_TOKEN), Some(message.as_bytes()));
        assert_eq!(status, 202, "{text}");
    }
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(eventually(&edge, &count, 1), 1, "redelivery changes nothing");
    assert_eq!(
        eventually(&edge, "SELECT COUNT(*) AS n FROM fills WHERE account_id = 'queue-a'", 1),
        1,
        "one fill, one row"
    );

    // A message no consumer can apply is retried, then kept as a dead letter.
    let (status, _, text) =
        client.raw("POST", "/edge/post-trade", Some(EDGE_TOKEN), Some(br#"{"account_id": 7, "fill": "not a fill"}"#));
    assert_eq!(status, 202, "{text}");
    let dead = "SELECT COUNT(*) AS n FROM dead_letters WHERE body LIKE '%not a fill%'";
    assert_eq!(eventually(&edge, dead, 1), 1, "the failing message is in the dead-letter queue: {}", edge.log());
    // Without the edge token nothing is re-driven.
    let (status, _, _) = client.raw("POST", "/edge/post-trade", None, Some(message.as_bytes()));
    assert_eq!(status, 401);
    drop(agent);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}
