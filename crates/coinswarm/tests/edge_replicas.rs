//! Pattern memory at the edge, read from D1's replicas of the agent tier's streams. One
//! pattern is followed along the brief's path: learned by the swarm in `coinswarm up`,
//! committed there under the managers' quorum (and audited), published through the outbox,
//! written to D1 at the edge, and its product's cached prediction invalidated in KV.

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

#[test]
fn a_learned_pattern_reaches_d1_at_the_edge_and_invalidates_its_products_cached_prediction() {
    let dir = scratch_dir("edge-replicas");
    // Predictions stay fresh in KV for ten minutes here: only an invalidation makes a miss.
    let edge = Edge::start_with_vars(&dir.join("edge"), &[("PREDICTIONS_FRESH_MS", "600000")]);
    let client = edge.client();
    // Pattern memory on, a bar every 2 ms: patterns are learned past 500 resolved episodes.
    let agent = edge.agent_with_env(&dir.join("up"), 2, &[], &[]);
    edge.wait_for_venue();

    // Before any pattern: the edge's memory is empty, and a prediction is cached.
    let deadline = Instant::now() + Duration::from_secs(30);
    while prediction_cache(&client) != "hit" {
        assert!(Instant::now() < deadline, "no cached prediction within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    let commits_before = pattern_commits(&client);

    // Wait for a pattern commit to be applied at the edge.
    let deadline = Instant::now() + Duration::from_secs(240);
    while pattern_commits(&client) == commits_before {
        assert!(Instant::now() < deadline, "no pattern reached the edge within 240 s: {}", edge.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    // Its product's prediction was dropped from KV: the next read asks the agent tier again.
    assert_eq!(prediction_cache(&client), "miss", "the pattern invalidated BTC-USD's cached prediction");

    // The pattern at the edge is one the agent tier committed under its managers' quorum.
    let at_edge = get(&client, "/api/memory/patterns?product_id=BTC-USD");
    let edge_patterns = at_edge["patterns"].as_array().unwrap();
    assert!(!edge_patterns.is_empty(), "{at_edge}");
    let up = agent.client();
    let at_up = get(&up, "/api/memory/patterns?product_id=BTC-USD");
    for pattern in edge_patterns {
        let id = &pattern["id"];
        assert!(at_up["patterns"].as_array().unwrap().iter().any(|p| &p["id"] == id), "{id} is up's");
    }
    let rows = edge.d1("SELECT id, seq FROM replica_patterns ORDER BY seq");
    assert_eq!(rows.len(), edge_patterns.len(), "D1 holds the patterns the edge lists: {rows:?}");
    let up_summary = get(&up, "/api/memory");
    assert!(up_summary["audit_records"].as_u64().unwrap() >= 1, "committed under the quorum and audited: {up_summary}");

    // The edge's summary and lifecycle filter read the same replica.
    let summary = get(&client, "/api/memory");
    let by_lifecycle: u64 = summary["patterns"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(by_lifecycle as usize, edge_patterns.len(), "{summary}");
    assert!(summary["resolved"].as_u64().unwrap() > 0, "resolved episodes are replicated: {summary}");
    let (status, text) = client.request("GET", "/api/memory/patterns?lifecycle=nonsense", None, None);
    assert_eq!(status, 400, "{text}");

    // Similarity search at the edge is the agent tier's.
    let similar = get(&client, "/api/memory/similar?product_id=BTC-USD&top_k=3");
    let matches = similar["matches"].as_array().unwrap();
    assert!(!matches.is_empty() && matches.len() <= 3, "{similar}");
    let (status, text) = client.request("GET", "/api/memory/similar?top_k=0", None, None);
    assert_eq!(status, 400, "{text}");

    drop(agent);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}
