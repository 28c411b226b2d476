//! The candle archive at the edge: months the agent tier's bars have closed are written to
//! R2 in the native archive's layout and Parquet files, and `GET /api/candles` reads them
//! back after the hub has let them go (here: after a restart of the Worker), answering what
//! `coinswarm up` answers for the same range.

mod support;

use coinswarm_edge::billable::{Billable, HEADER};
use serde_json::Value;
use std::time::{Duration, Instant};
use support::edge::Edge;
use support::server::scratch_dir;

#[test]
fn closed_months_are_archived_in_r2_and_read_back_as_up_answers_them() {
    let dir = scratch_dir("edge-archive");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("up.toml");
    std::fs::write(&config, "[feed]\ndata = \"bitfinex-btcusd-1h\"\nloop_at_end = false\n").unwrap();
    let edge = Edge::start_with_vars(&dir.join("edge"), &[("MAX_QUOTE_AGE_MS", "3600000")]);
    let up = edge.agent(&dir.join("up"), 2, &["--config", config.to_str().unwrap()]);
    edge.wait_for_venue();
    // Replayed from July 2017: wait until September has begun at the edge (July closed).
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, text) = edge.client().request("GET", "/api/market-data?product_id=BTC-USD", None, None);
        let time = serde_json::from_str::<Value>(&text).ok().and_then(|v| v["time"].as_i64()).unwrap_or(0);
        if time >= 1_504_569_600_000 {
            break; // 2017-09-05
        }
        assert!(Instant::now() < deadline, "the replay never reached September 2017 at the edge: {text}");
        std::thread::sleep(Duration::from_millis(500));
    }
    let path = "/api/candles?product_id=BTC-USD&start=2017-07-10&end=2017-07-20";
    let (status, from_up) = up.client().request("GET", path, None, None);
    assert_eq!(status, 200, "{from_up}");
    let from_up: Value = serde_json::from_str(&from_up).unwrap();
    assert!(from_up["candles"].as_array().is_some_and(|c| c.len() > 200), "{from_up}");

    // After a restart the hub holds only its recent bars: July comes from R2.
    let edge = edge.restart();
    let (status, headers, text) = edge.client().raw("GET", path, None, None);
    assert_eq!(status, 200, "{text}");
    let from_edge: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(from_edge, from_up, "the same bars from the archive as from up");
    let billed = headers.iter().find(|(name, _)| name == HEADER).map(|(_, v)| Billable::parse(v)).unwrap();
    assert!(billed.r2_class_b >= 1, "read from R2: {billed:?}");
    drop(up);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}
