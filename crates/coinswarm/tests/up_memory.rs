//! Pattern memory in `coinswarm up`: the swarm's recall agent remembers every decision in
//! the data directory, realises outcomes, learns patterns under the quorum, and saves its
//! index at shutdown; the `memory` commands read it all back.

mod support;

use std::time::{Duration, Instant};
use support::server::{Server, scratch_dir};

fn coinswarm(args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::cargo::cargo_bin_cmd!("coinswarm").args(args).output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.code().unwrap(), text(output.stdout), text(output.stderr))
}

/// (episodes, with an outcome) from `memory stats`.
fn counts(dir: &str) -> (u64, u64) {
    let (code, stdout, stderr) = coinswarm(&["memory", "stats", "--data-dir", dir]);
    assert_eq!(code, 0, "{stderr}");
    let value =
        |prefix: &str| stdout.lines().find_map(|l| l.strip_prefix(prefix)).map_or(0, |v| v.trim().parse().unwrap());
    (value("episodes"), value("with an outcome"))
}

#[test]
fn the_swarm_remembers_its_decisions_realises_outcomes_and_saves_the_index_at_shutdown() {
    let dir = scratch_dir("memory");
    let data_dir = dir.to_str().unwrap().to_string();
    let server = Server::start_with_bar_interval(&dir, &[], 2);
    let deadline = Instant::now() + Duration::from_secs(90);
    let (mut episodes, mut resolved) = (0, 0);
    // Past 500 resolved episodes the first patterns are learned.
    while Instant::now() < deadline && resolved < 700 {
        std::thread::sleep(Duration::from_millis(500));
        (episodes, resolved) = counts(&data_dir);
    }
    assert!(resolved >= 700, "after 90 s: {episodes} episodes, {resolved} with an outcome");

    // The same over HTTP.
    let (status, body) = server.get("/api/memory", None);
    assert_eq!(status, 200, "{body}");
    let summary: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(summary["enabled"], true);
    assert!(summary["resolved"].as_u64().unwrap() >= resolved, "{summary}");
    assert_eq!(summary["by_product_and_regime"][0]["product_id"], "BTC-USD");
    let (status, body) = server.get("/api/memory/patterns?product_id=BTC-USD", None);
    assert_eq!(status, 200, "{body}");
    assert!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["patterns"].is_array());
    // What memory recalls for the state now: episodes whose outcome was known at that close.
    let (status, body) = server.get("/api/memory/similar?top_k=5", None);
    assert_eq!(status, 200, "{body}");
    let similar: serde_json::Value = serde_json::from_str(&body).unwrap();
    let state_at = coinswarm_core::time::Timestamp::parse(similar["state_at"].as_str().unwrap()).unwrap().millis();
    let matches = similar["matches"].as_array().unwrap();
    assert!(!matches.is_empty() && matches.len() <= 5, "{similar}");
    for m in matches {
        assert!(m["metadata"]["horizon_end"].as_f64().unwrap() as i64 <= state_at, "{m}");
        assert!(m["metadata"]["outcome"].is_number() && m["score"].as_f64().unwrap() <= 1.0 + 1e-6, "{m}");
    }
    // The state at an earlier decision: what memory knew then, nothing from after it.
    let earlier = coinswarm_core::time::Timestamp::from_millis(state_at - 100 * 3_600_000).to_rfc3339();
    let (status, body) = server.get(&format!("/api/memory/similar?top_k=5&product_id=BTC-USD&at={earlier}"), None);
    assert_eq!(status, 200, "{body}");
    let then: serde_json::Value = serde_json::from_str(&body).unwrap();
    let then_at = coinswarm_core::time::Timestamp::parse(then["state_at"].as_str().unwrap()).unwrap().millis();
    assert!(then_at <= state_at - 100 * 3_600_000, "{then}");
    for m in then["matches"].as_array().unwrap() {
        assert!(m["metadata"]["horizon_end"].as_f64().unwrap() as i64 <= then_at, "{m}");
    }
    let (status, body) = server.get("/api/memory/similar?at=2000-01-01", None);
    assert_eq!(status, 404, "no state remembered that early: {body}");
    for bad in ["top_k=0", "top_k=1000", "top_k=ten", "k=3", "at=yesterday"] {
        let (status, body) = server.get(&format!("/api/memory/similar?{bad}"), None);
        assert_eq!(status, 400, "{bad}: {body}");
    }
    assert_eq!(server.get("/api/memory/similar?product_id=ETH-USD", None).0, 404);
    let (_, body) = server.get("/api/memory/similar?top_k=1000", None);
    assert!(body.contains("top_k must be between 1 and 100"), "{body}");
    // An operator quarantines, then deletes, a learned pattern: through the quorum.
    let key = server.admin_key.clone().expect("a first start prints an admin key");
    let change =
        |body: serde_json::Value, key: Option<&str>| server.post("/api/memory/patterns/change", key, &body.to_string());
    let (status, body) = server.get("/api/memory/patterns", None);
    let patterns: serde_json::Value = serde_json::from_str(&body).unwrap();
    let live = patterns["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["lifecycle"] != "quarantined" && p["lifecycle"] != "deleted");
    let pattern_id = live.map(|p| p["id"].as_str().unwrap().to_string());
    assert_eq!(status, 200);
    let pattern_id = pattern_id.expect("patterns are learned every 500 resolved episodes");
    let (status, _) = change(serde_json::json!({"pattern_id": pattern_id, "action": "delete"}), None);
    assert_eq!(status, 401);
    let (status, body) = change(serde_json::json!({"pattern_id": "BTC-USD/p-999", "action": "delete"}), Some(&key));
    assert_eq!(status, 404, "{body}");
    let (status, body) = change(serde_json::json!({"pattern_id": pattern_id, "action": "forget"}), Some(&key));
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("unknown variant `forget`"), "{body}");
    let (status, body) = change(serde_json::json!({"pattern_id": pattern_id, "action": "quarantine"}), Some(&key));
    assert_eq!(status, 422, "a quarantine needs a reason: {body}");
    assert!(body.contains("needs a reason"), "{body}");
    let (status, body) = change(
        serde_json::json!({"pattern_id": pattern_id, "action": "quarantine", "reason": "operator review"}),
        Some(&key),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = change(serde_json::json!({"pattern_id": pattern_id, "action": "delete"}), Some(&key));
    assert_eq!(status, 200, "{body}");
    let (_, body) = server.get("/api/memory/patterns?lifecycle=deleted", None);
    assert!(body.contains(&pattern_id), "{body}");

    let (status, body) = server.get("/api/memory/patterns?lifecycle=forgotten", None);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("lifecycle must be"), "{body}");
    assert!(server.terminate().success());

    // Every decision after the state builder's warm-up is an episode; all but the last
    // horizon's (24 bars) have their outcome.
    let (episodes, resolved) = counts(&data_dir);
    assert!(episodes >= resolved && episodes - resolved <= 24, "{episodes} episodes, {resolved} resolved");
    // The index was saved at shutdown with exactly the resolved episodes.
    let manifest = std::fs::read_to_string(dir.join("memory-index/manifest.json")).expect("index saved");
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(manifest["records"].as_u64(), Some(resolved));

    let (code, stdout, stderr) = coinswarm(&["memory", "audit", "--verify", "--data-dir", &data_dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // The patterns were learned and saved: the table lists the one the operator deleted.
    let (code, stdout, _) = coinswarm(&["memory", "patterns", "--data-dir", &data_dir]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("pattern "), "{stdout}");
    let deleted = stdout.lines().find(|l| l.split_whitespace().next() == Some(pattern_id.as_str()));
    assert_eq!(deleted.and_then(|l| l.split_whitespace().nth(1)), Some("deleted"), "{stdout}");

    // A restart continues the same memory, adding to it.
    let server = Server::start_with_bar_interval(&dir, &[], 2);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut more = resolved;
    while Instant::now() < deadline && more <= resolved + 50 {
        std::thread::sleep(Duration::from_millis(500));
        more = counts(&data_dir).1;
    }
    assert!(more > resolved + 50, "no new outcomes after the restart ({more} vs {resolved})");
    assert!(server.terminate().success());
    // The decisions still waiting at the first stop were resolved after the restart: only
    // the last horizon's are open.
    let (episodes, resolved) = counts(&data_dir);
    assert!(episodes - resolved <= 24, "{episodes} episodes, {resolved} resolved: some were lost in the restart");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The bars still needed and the seconds until ready, read from a warm-up's 503 message
/// ("pattern memory is warming up: 412 more bars needed, ready in about 17 s").
fn warm_up_figures(message: &str) -> (u64, u64) {
    let last_word = |text: &str| -> u64 {
        let word = text.rsplit(' ').next().unwrap_or_default();
        word.parse().unwrap_or_else(|e| panic!("'{word}': {e}: {message}"))
    };
    let (before, _) = message.split_once(" more bar").unwrap_or_else(|| panic!("no bars in: {message}"));
    let ready_in = message.strip_suffix(" s").unwrap_or_else(|| panic!("no seconds in: {message}"));
    (last_word(before), last_word(ready_in))
}

/// One `GET /api/memory/similar` during warm-up: (bars still needed, Retry-After seconds),
/// after checking that the header, the body's `retry_after_secs` and the message agree with
/// bars × `bar_ms`.
fn warming_up(server: &Server, bar_ms: u64) -> (u64, u64) {
    let (status, headers, body) = server.raw("GET", "/api/memory/similar", None, None);
    assert_eq!(status, 503, "{body}");
    let retry_after: u64 = headers
        .iter()
        .find(|(name, _)| name == "retry-after")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or_else(|| panic!("a warm-up 503 says when to try again: {headers:?}"));
    let error = &serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"];
    assert_eq!(error["code"], "UNAVAILABLE", "{body}");
    assert_eq!(error["retry_after_secs"].as_u64(), Some(retry_after), "{body}");
    let message = error["message"].as_str().unwrap();
    assert!(message.starts_with("pattern memory is warming up: "), "{message}");
    let (bars, ready_in) = warm_up_figures(message);
    assert_eq!(ready_in, retry_after, "the message and the header say the same: {message}");
    assert!(bars >= 1 && retry_after >= 1, "{message}");
    assert_eq!(retry_after, (bars * bar_ms).div_ceil(1000), "bars still needed × the bar interval: {message}");
    (bars, retry_after)
}

#[test]
fn similar_states_during_warm_up_are_503_with_retry_after_the_bars_still_needed_times_the_bar_interval() {
    let dir = scratch_dir("memory-warming-up");
    // 621 bars of warm-up at 150 ms: about 93 s before the first market state.
    let bar_ms = 150;
    let server = Server::start_with_bar_interval(&dir, &[], bar_ms);
    let (bars, retry_after) = warming_up(&server, bar_ms);
    assert!(bars > 500, "a first start has most of its warm-up ahead: {bars} bars");
    std::thread::sleep(Duration::from_secs(3));
    let (fewer, sooner) = warming_up(&server, bar_ms);
    assert!(fewer + 10 <= bars, "bars arrived in 3 s, so fewer are needed: {bars} then {fewer}");
    assert!(sooner < retry_after, "and it is ready sooner: {retry_after} s then {sooner} s");

    // MCP's find_similar_patterns says the same, with the same wait in the error's data.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let key = server.admin_key.clone().expect("a first start prints an admin key");
    let error = runtime.block_on(async {
        let client = support::mcp::http_client(&format!("http://{}/mcp", server.addr), Some(&key)).await.unwrap();
        let arguments = serde_json::json!({"product_id": "BTC-USD"});
        let error = support::mcp::error(&client, "find_similar_patterns", arguments).await;
        client.cancel().await.unwrap();
        error
    });
    assert!(error.message.contains("pattern memory is warming up: "), "{error:?}");
    let (later, ready_in) = warm_up_figures(&error.message);
    assert!(later <= fewer, "{error:?}");
    let data = error.data.clone().unwrap_or_default();
    assert_eq!(
        (data["http_status"].as_u64(), data["retry_after_secs"].as_u64()),
        (Some(503), Some(ready_in)),
        "{error:?}"
    );
    assert!(server.terminate().success());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn memory_can_be_turned_off() {
    let dir = scratch_dir("memory-off");
    let server = Server::start_with_bar_interval(&dir, &[("COINSWARM_MEMORY_ENABLED", "false")], 2);
    std::thread::sleep(Duration::from_secs(3));
    let (status, body) = server.get("/api/memory/similar", None);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("pattern memory is off"), "{body}");
    // Only a restart with memory on brings it back: no point asking again soon.
    let (_, headers, _) = server.raw("GET", "/api/memory/similar", None, None);
    assert!(headers.iter().any(|(name, value)| name == "retry-after" && value == "60"), "{headers:?}");
    assert!(server.terminate().success());
    assert_eq!(counts(dir.to_str().unwrap()), (0, 0));
    assert!(!dir.join("memory-index").exists());
    std::fs::remove_dir_all(dir).unwrap();
}
