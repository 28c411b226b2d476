//! Publishing from the agent tier to the edge, seen from `coinswarm up`: what it could not
//! deliver is counted where an operator looks, never lost silently.

mod support;

use std::time::{Duration, Instant};
use support::server::{Server, scratch_dir};

fn dropped_events(server: &Server) -> Option<u64> {
    let (status, text) = server.get("/metrics", None);
    assert_eq!(status, 200, "{text}");
    text.lines()
        .find_map(|line| line.strip_prefix("coinswarm_edge_dropped_events_total "))
        .map(|value| value.trim().parse().unwrap())
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
    drop(server);

    // Without an edge there is no link, and no such series.
    let alone = Server::start(&dir.join("alone"), &[]);
    assert_eq!(dropped_events(&alone), None);
    drop(alone);
    std::fs::remove_dir_all(dir).unwrap();
}
