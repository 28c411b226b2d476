//! The API's contract suite (`support/contract_suite.rs`) against the edge Worker under
//! `wrangler dev`, fed by `coinswarm up --edge-url` as its agent tier: the same answers as
//! `coinswarm up` gives (`contract_up.rs`), route by route.

mod support;

use support::contract_suite::{Host, run};
use support::edge::Edge;
use support::server::scratch_dir;

#[test]
fn the_edge_worker_keeps_the_api_contract() {
    let dir = scratch_dir("contract-edge");
    let edge = Edge::start(&dir.join("edge"));
    let agent = edge.agent(&dir.join("up"), 40, &[]);
    edge.wait_for_venue();
    let keys = |account: &str, scope: &str| edge.create_key(account, scope);
    run(&Host { name: "edge", client: edge.client(), create_key: &keys });
    drop(agent);
    edge.stop();
    std::fs::remove_dir_all(dir).unwrap();
}
