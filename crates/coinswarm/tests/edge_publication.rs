//! Publishing from the agent tier to the edge: what it could not deliver is counted where an
//! operator looks, never lost silently; and the durable streams (decisions, trades) reach the
//! edge exactly once, whatever happens to the agent tier in between.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::edge::{EDGE_TOKEN, Edge};
use support::server::{Client, Server, scratch_dir};

fn metric(server: &Server, name: &str) -> Option<u64> {
    let (status, text) = server.get("/metrics", None);
    assert_eq!(status, 200, "{text}");
    let prefix = format!("{name} ");
    text.lines().find_map(|line| line.strip_prefix(prefix.as_str())).map(|value| value.trim().parse().unwrap())
}

fn dropped_events(server: &Server) -> Option<u64> {
    metric(server, "coinswarm_edge_dropped_events_total")
}

#[test]
fn with_the_edge_unreachable_and_its_queue_full_the_dropped_events_are_counted_in_metrics() {
    let dir = scratch_dir("edge-publication-dropped");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("up.toml");
    // One event may wait; the edge's port refuses connections, so the first batch is retried
    // and every later event finds the queue full.
    std::fs::write(&config, "[edge]\nmax_pending = 1\nmax_retry_ms = 1000\n").unwrap();
    let config = config.to_str().unwrap();
    let args = ["--config", config, "--edge-url", "http://127.0.0.1:9", "--edge-token", "publication-token"];
    let server = Server::start_with_args(&dir.join("up"), &[], 40, &args);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let dropped = dropped_events(&server).expect("with an edge configured, /metrics counts dropped events");
        if dropped > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no event counted as dropped within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The durable streams are not dropped: they wait in the outbox.
    assert!(metric(&server, "coinswarm_edge_outbox_pending").is_some());
    drop(server);

    // Without an edge there is no link, and no such series.
    let alone = Server::start(&dir.join("alone"), &[]);
    assert_eq!(dropped_events(&alone), None);
    assert_eq!(metric(&alone, "coinswarm_edge_outbox_pending"), None);
    drop(alone);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Each stream's position at the edge (`GET /edge/streams`): (last_seq, applied, duplicates, gaps).
fn positions(client: &Client) -> std::collections::BTreeMap<String, (u64, u64, u64, u64)> {
    let (status, _, text) = client.raw("GET", "/edge/streams", Some(EDGE_TOKEN), None);
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    body["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let n = |field: &str| p[field].as_u64().unwrap();
            (p["stream"].as_str().unwrap().to_string(), (n("last_seq"), n("applied"), n("duplicates"), n("gaps")))
        })
        .collect()
}

fn applied(client: &Client, stream: &str) -> u64 {
    positions(client).get(stream).map_or(0, |p| p.0)
}

/// Market buys on the swarm's account through `up`'s API, as fast as they are answered.
fn buy(agent: &Server, key: &str, prefix: &str, count: usize) {
    for i in 0..count {
        let order = json!({"client_order_id": format!("{prefix}-{i}"), "product_id": "BTC-USD", "side": "BUY",
            "order_configuration": {"market_market_ioc": {"quote_size": "10"}}});
        let (status, text) = agent.post("/api/orders", Some(key), &order.to_string());
        assert!(status == 200 || status == 201, "{status}: {text}");
    }
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn publication_cut_by_sigkills_mid_batch_and_an_edge_restart_leaves_every_event_at_the_edge_exactly_once() {
    let dir = scratch_dir("edge-publication-sigkill");
    let edge = Edge::start(&dir.join("edge"));
    let client = edge.client();
    let up_dir = dir.join("up");

    // First run: decisions every bar, and trades; SIGKILLed while batches are on their way.
    let agent = edge.agent(&up_dir, 40, &[]);
    let admin = agent.admin_key.clone().expect("a first start prints the admin key");
    edge.wait_for_venue();
    wait_until("decisions at the edge", Duration::from_secs(60), || applied(&client, "decisions") >= 30);
    buy(&agent, &admin, "first", 10);
    agent.kill();

    // Second run on the same data: more of both, then SIGKILLed again, mid-stream.
    let agent = edge.agent(&up_dir, 40, &[]);
    let before = applied(&client, "decisions");
    buy(&agent, &admin, "second", 10);
    wait_until("more decisions at the edge", Duration::from_secs(60), || applied(&client, "decisions") >= before + 30);
    agent.kill();

    // The edge restarts too: its Durable Objects (the streams' positions), D1 and KV persist.
    let edge = edge.restart();
    let client = edge.client();

    // Third run, with no new bars: what the outbox still holds is delivered.
    let agent = edge.agent(&up_dir, 3_600_000, &[]);
    wait_until("the outbox drained", Duration::from_secs(60), || {
        metric(&agent, "coinswarm_edge_outbox_pending") == Some(0)
    });
    let published = metric(&agent, "coinswarm_edge_outbox_published_total").unwrap();

    // Every event up published reached the edge's positions (each is checked once below).
    let held = positions(&client);
    eprintln!("stream positions at the edge (last, applied, duplicates, gaps): {held:?}");
    let (decisions_last, _, _, _) = held["decisions"];
    let (trades_last, _, _, _) = held["trades"];
    assert_eq!(decisions_last + trades_last, published, "the edge applied what the agent tier published: {held:?}");
    assert!(trades_last >= 20, "the 20 buys' fills: {held:?}");

    // Count and content: the edge's decisions are up's, in the same order, each once.
    let (status, ours) = agent.get("/api/decisions?limit=500", None);
    assert_eq!(status, 200, "{ours}");
    let (status, theirs) = client.request("GET", "/api/decisions?limit=500", None, None);
    assert_eq!(status, 200, "{theirs}");
    let ours: Value = serde_json::from_str(&ours).unwrap();
    let theirs: Value = serde_json::from_str(&theirs).unwrap();
    assert_eq!(
        ours["decisions"].as_array().unwrap().len() as u64,
        decisions_last,
        "up holds every decision it published"
    );
    assert_eq!(theirs["decisions"], ours["decisions"], "the same decisions, in the same order, each once");

    // Trades: D1's replica holds each fill once, numbered 1..=n, and the edge's /api/trades
    // for the swarm's account (read from D1) is up's.
    let rows = edge.d1("SELECT seq, trade_id FROM replica_trades ORDER BY seq");
    let seqs: Vec<u64> = rows.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=trades_last).collect::<Vec<_>>(), "each trade once, in sequence");
    let (status, ours) = agent.get("/api/trades?limit=1000", Some(&admin));
    assert_eq!(status, 200, "{ours}");
    let key = edge.create_key("swarm", "read");
    let (status, theirs) = client.request("GET", "/api/trades?limit=1000", Some(&key), None);
    assert_eq!(status, 200, "{theirs}");
    let trade_ids = |text: &str| -> BTreeSet<String> {
        let body: Value = serde_json::from_str(text).unwrap();
        body["trades"].as_array().unwrap().iter().map(|t| t["trade_id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(trade_ids(&theirs), trade_ids(&ours), "the edge's trades of the swarm are up's");
    assert_eq!(trade_ids(&theirs).len() as u64, trades_last);

    // The edge's own rules, delivered by hand: an event it holds is a duplicate (ignored), one
    // past a gap is not applied and asks for a resend from the first missing.
    let event = |seq: u64| json!({"stream": "decisions", "seq": seq, "payload": {"probe": seq}});
    let batch = json!({"run": "probe", "seq": 1, "events": [event(1), event(decisions_last + 5)]});
    let (status, _, text) = client.raw("POST", "/edge/ingest", Some(EDGE_TOKEN), Some(batch.to_string().as_bytes()));
    assert_eq!(status, 200, "{text}");
    let ack: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(ack["streams"]["decisions"], decisions_last, "{ack}");
    assert_eq!(ack["resend_from"]["decisions"], decisions_last + 1, "{ack}");
    let after = positions(&client)["decisions"];
    assert_eq!((after.0, after.1), (decisions_last, decisions_last), "nothing applied: {after:?}");
    assert!(after.2 >= 1 && after.3 >= 1, "the duplicate and the gap are counted: {after:?}");
    // An unknown stream is refused whole.
    let batch = json!({"run": "probe", "seq": 2, "events": [{"stream": "nonsense", "seq": 1, "payload": {}}]});
    let (status, _, text) = client.raw("POST", "/edge/ingest", Some(EDGE_TOKEN), Some(batch.to_string().as_bytes()));
    assert_eq!(status, 422, "{text}");
    // The operator's view needs the token.
    let (status, _, _) = client.raw("GET", "/edge/streams", None, None);
    assert_eq!(status, 401);

    drop(agent);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}
