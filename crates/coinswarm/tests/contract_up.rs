//! The API's contract suite (`support/contract_suite.rs`) against `coinswarm up`: the host
//! every other host of the API (the edge Worker) must answer like, on each store engine.

mod support;

use support::contract_suite::{Host, run};
use support::store::Store;

fn keeps_the_contract(store: Store) {
    let server = store.start(&[("COINSWARM_MEMORY_ENABLED", "false")]);
    let keys = |account: &str, scope: &str| store.create_key(account, scope);
    let name = format!("up on {}", store.engine());
    run(&Host { name: &name, client: server.client(), create_key: &keys });
    drop(server);
    store.remove();
}

#[test]
fn coinswarm_up_keeps_the_api_contract() {
    keeps_the_contract(Store::sqlite("contract-up"));
}

#[test]
fn coinswarm_up_on_postgresql_keeps_the_api_contract() {
    keeps_the_contract(Store::postgres("contract-up"));
}
