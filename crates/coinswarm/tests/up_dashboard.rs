//! The dashboard served by `coinswarm up`, loaded in headless Chromium from the running
//! server: prices and the swarm's decisions arrive over the stream and are drawn.

mod support;

use support::browser::{chromium_or_skip, dump_dom};
use support::server::{Server, scratch_dir};

fn body_count(dom: &str, name: &str) -> u64 {
    let marker = format!("data-{name}=\"");
    dom.find(&marker)
        .and_then(|at| dom[at + marker.len()..].split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_dashboard_shows_live_prices_and_decisions() {
    let Some(chromium) = chromium_or_skip() else { return };
    let dir = scratch_dir("dashboard");
    let server = Server::start(&dir, &[]);
    let url = format!("http://{}/", server.addr);
    // The page keeps running on virtual time while the stream delivers in real time; retry a
    // few times in case one load ends before enough updates arrived.
    let mut last = String::new();
    for attempt in 0..5 {
        let dom = dump_dom(&chromium, &url, &dir.join(format!("browser-{attempt}")), 8_000);
        let (ticks, candles, decisions) =
            (body_count(&dom, "ticks"), body_count(&dom, "candles"), body_count(&dom, "decisions"));
        // Ticks and candles only arrive live on the stream; decisions also from the history.
        if ticks >= 2 && candles >= 1 && decisions >= 1 {
            assert!(!dom.contains("id=\"price\" class=\"price\">–<"), "the price is drawn");
            assert!(dom.contains("id=\"regime\">") && !dom.contains("id=\"regime\">–<"), "the regime is shown");
            assert!(dom.contains("class=\"bar\""), "agent weights are drawn");
            for agent in ["trend", "mean_reversion", "risk", "hedge", "arbitrage", "execution", "recall", "learned"] {
                assert!(dom.contains(&format!("<td>{agent}</td>")), "the {agent} agent's weight is labelled by name");
            }
            assert!(
                dom.contains("id=\"memory-episodes\">") && !dom.contains("id=\"memory-episodes\">–<"),
                "pattern memory's counts are shown"
            );
            drop(server);
            std::fs::remove_dir_all(&dir).unwrap();
            return;
        }
        last = dom;
    }
    panic!("no live updates in five loads: {}", &last[..last.len().min(2000)]);
}
