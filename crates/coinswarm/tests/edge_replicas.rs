//! Pattern memory at the edge, read from D1's replicas of the agent tier's streams. One
//! pattern is followed along the brief's path: learned by the swarm in `coinswarm up`, a
//! change to it committed there under the managers' quorum (and audited), published through
//! the outbox, written to D1 at the edge, and its product's cached prediction invalidated
//! in KV.

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::edge::{EDGE_TOKEN, Edge};
use support::server::{Client, scratch_dir};

fn get(client: &Client, path: &str) -> Value {
    let (status, text) = client.request("GET", path, None, None);
    assert_eq!(status, 200, "{path}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// The `x-coinswarm-cache` of a prediction read at the edge.
fn prediction_cache(client: &Client) -> String {
    let (status, headers, text) = client.raw("GET", "/api/predictions?product_id=BTC-USD", None, None);
    assert_eq!(status, 200, "{text}");
    headers.iter().find(|(name, _)| name == "x-coinswarm-cache").map(|(_, v)| v.clone()).unwrap_or_default()
}

/// One of the agent link's counters (`GET /api/swarm`).
fn link_counter(client: &Client, name: &str) -> u64 {
    get(client, "/api/swarm")["agent_link"]["counters"][name].as_u64().unwrap()
}

/// Pattern commits the edge has applied.
fn pattern_commits(client: &Client) -> u64 {
    let (status, _, text) = client.raw("GET", "/edge/streams", Some(EDGE_TOKEN), None);
    assert_eq!(status, 200, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    body["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["stream"] == "patterns")
        .map_or(0, |p| p["applied"].as_u64().unwrap())
}

/// The edge's patterns of BTC-USD (from D1), optionally in one lifecycle.
fn edge_patterns(client: &Client, lifecycle: Option<&str>) -> Vec<Value> {
    let path = match lifecycle {
        Some(lifecycle) => format!("/api/memory/patterns?product_id=BTC-USD&lifecycle={lifecycle}"),
        None => "/api/memory/patterns?product_id=BTC-USD".to_string(),
    };
    get(client, &path)["patterns"].as_array().unwrap().clone()
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_pattern_committed_under_the_quorum_reaches_d1_at_the_edge_and_invalidates_its_products_prediction() {
    let dir = scratch_dir("edge-replicas");
    // Predictions stay fresh in KV for ten minutes here: only an invalidation makes a miss.
    let edge = Edge::start_with_vars(&dir.join("edge"), &[("PREDICTIONS_FRESH_MS", "600000")]);
    let client = edge.client();
    // Pattern memory on, a bar every 2 ms: patterns are learned past 500 resolved episodes.
    let agent = edge.agent_with_env(&dir.join("up"), 2, &[], &[]);
    let admin = agent.admin_key.clone().expect("a first start prints the admin key");
    let up = agent.client();
    edge.wait_for_venue();

    // The swarm learns patterns (candidates); they reach D1 at the edge.
    wait_until("a learned pattern at the edge", Duration::from_secs(240), || !edge_patterns(&client, None).is_empty());
    let pattern = edge_patterns(&client, Some("candidate")).first().cloned().expect("a candidate at the edge");
    let pattern_id = pattern["id"].as_str().unwrap().to_string();
    let up_patterns = get(&up, "/api/memory/patterns?product_id=BTC-USD");
    assert!(
        up_patterns["patterns"].as_array().unwrap().iter().any(|p| p["id"] == pattern["id"]),
        "{pattern_id} is up's"
    );

    // A prediction of its product is cached (fresh for ten minutes).
    wait_until("a cached prediction", Duration::from_secs(30), || prediction_cache(&client) == "hit");
    let audited_before = get(&up, "/api/memory")["audit_records"].as_u64().unwrap();

    // The operator quarantines it at the agent tier: the three managers commit it, audited.
    let change = serde_json::json!({"pattern_id": pattern_id, "action": "quarantine", "reason": "operator review"});
    let (status, body) = agent.post("/api/memory/patterns/change", Some(&admin), &change.to_string());
    assert_eq!(status, 200, "{body}");
    assert!(get(&up, "/api/memory")["audit_records"].as_u64().unwrap() > audited_before, "the change is audited");

    // The committed change is published, written to D1 at the edge, and its product's cached
    // prediction is dropped from KV: the next read asks the agent tier again.
    wait_until("the quarantine at the edge", Duration::from_secs(60), || {
        edge_patterns(&client, Some("quarantined")).iter().any(|p| p["id"] == pattern["id"])
    });
    let rows = edge.d1(&format!("SELECT lifecycle FROM replica_patterns WHERE id = '{pattern_id}'"));
    assert_eq!(rows.len(), 1, "one row per pattern: {rows:?}");
    assert_eq!(rows[0]["lifecycle"], "quarantined");
    // Nor does the agent link answer from its memory of the old one: the agent tier is asked.
    let asked_before = link_counter(&client, "upstream_calls");
    let remembered_before = link_counter(&client, "answered_from_memory");
    assert_eq!(prediction_cache(&client), "miss", "the pattern's change invalidated BTC-USD's cached prediction");
    assert_eq!(link_counter(&client, "answered_from_memory"), remembered_before, "not from the link's memory");
    assert!(link_counter(&client, "upstream_calls") > asked_before, "asked of the agent tier again");
    assert!(pattern_commits(&client) >= 2, "the learning and the quarantine");

    // The edge's summary reads the same replicas: episodes recorded and resolved, as up counts them.
    let summary = get(&client, "/api/memory");
    let by_lifecycle: u64 = summary["patterns"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(by_lifecycle as usize, edge_patterns(&client, None).len(), "{summary}");
    let (episodes, resolved) = (summary["episodes"].as_u64().unwrap(), summary["resolved"].as_u64().unwrap());
    assert!(resolved > 0 && episodes >= resolved, "{summary}");
    let (status, text) = client.request("GET", "/api/memory/patterns?lifecycle=nonsense", None, None);
    assert_eq!(status, 400, "{text}");

    // Similarity search at the edge: `wrangler dev` has no Vectorize, so the agent tier answers.
    let similar = get(&client, "/api/memory/similar?product_id=BTC-USD&top_k=3");
    let matches = similar["matches"].as_array().unwrap();
    assert!(!matches.is_empty() && matches.len() <= 3, "{similar}");
    let (status, text) = client.request("GET", "/api/memory/similar?top_k=0", None, None);
    assert_eq!(status, 400, "{text}");
    // It went through the agent link (single flight, batches, the breaker): counted there.
    let link = get(&client, "/api/swarm")["agent_link"]["counters"].clone();
    assert!(link["similar_callers"].as_u64().unwrap() >= 1 && link["similar_calls"].as_u64().unwrap() >= 1, "{link}");

    drop(agent);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}
