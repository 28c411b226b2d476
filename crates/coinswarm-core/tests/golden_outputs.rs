//! Golden outputs, byte for byte: a fixed session's event log, the candles of every
//! synthetic regime, and the swarm's decision-log hash on each regime. Any change to ids, field names, number formatting, matching, the
//! generators or their maths library shows up here, and `scripts/test` runs the same code
//! compiled to wasm32 (`examples/wasm_golden.rs`) against the same files. To accept an
//! intended change: `UPDATE_GOLDEN=1 cargo test -p coinswarm-core --test golden_outputs`.

#[path = "fixtures/golden_outputs.rs"]
mod golden_outputs;

use coinswarm_core::ledger::{Account, AccountEvent};

/// The expected text at `path`, after rewriting it with `actual` when `UPDATE_GOLDEN` is set.
fn golden(path: &str, actual: &str) -> String {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, actual).unwrap();
    }
    std::fs::read_to_string(path).expect("golden file present")
}

#[test]
fn a_fixed_session_writes_exactly_the_golden_event_log() {
    let log = golden_outputs::golden_session_log();
    let expected = golden("tests/fixtures/golden_event_log.jsonl", &log);
    assert_eq!(log, expected, "the event log changed; see this file's docs to accept an intended change");
    let events = AccountEvent::from_jsonl(&expected).unwrap();
    assert!(Account::replay(&events).is_ok());
}

#[test]
fn every_synthetic_regime_gives_the_pinned_candles_for_the_default_config() {
    let fingerprints = golden_outputs::synthetic_fingerprints();
    let expected = golden("tests/fixtures/golden_synthetic.txt", &fingerprints);
    assert_eq!(fingerprints, expected, "the synthetic candles changed; see this file's docs");
}

#[test]
fn the_swarm_takes_the_pinned_decisions_on_every_synthetic_regime() {
    let hashes = golden_outputs::swarm_decision_hashes();
    let expected = golden("tests/fixtures/golden_swarm.txt", &hashes);
    assert_eq!(hashes, expected, "the swarm's decisions changed; see this file's docs");
}
