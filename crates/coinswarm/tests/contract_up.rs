//! The API's contract suite (`support/contract_suite.rs`) against `coinswarm up`: the host
//! every other host of the API (the edge Worker) must answer like.

mod support;

use support::contract_suite::{Host, run};
use support::server::{Server, create_key, scratch_dir};

#[test]
fn coinswarm_up_keeps_the_api_contract() {
    let dir = scratch_dir("contract-up");
    let server = Server::start(&dir, &[("COINSWARM_MEMORY_ENABLED", "false")]);
    let keys = |account: &str, scope: &str| create_key(&dir, account, scope);
    run(&Host { name: "up", client: server.client(), create_key: &keys });
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}
