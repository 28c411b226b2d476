//! A fixed session's event log, byte for byte. Any change to ids, field names, number
//! formatting or matching shows up here, and `scripts/test` runs the same session compiled
//! to wasm32 (`examples/wasm_golden.rs`) against the same file. To accept an intended change:
//! `UPDATE_GOLDEN=1 cargo test -p coinswarm-core --test golden_event_log`.

#[path = "fixtures/golden_session.rs"]
mod golden_session;

use coinswarm_core::ledger::{Account, AccountEvent};

const GOLDEN: &str = "tests/fixtures/golden_event_log.jsonl";

#[test]
fn a_fixed_session_writes_exactly_the_golden_event_log() {
    let log = golden_session::golden_session_log();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &log).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("golden log present");
    assert_eq!(log, golden, "the event log changed; see this file's docs to accept an intended change");
    let events = AccountEvent::from_jsonl(&golden).unwrap();
    assert!(Account::replay(&events).is_ok());
}
