//! The core's golden outputs computed on wasm32, so `scripts/test` can check that the edge
//! build writes exactly what the native build writes: the fixed session's event log
//! (`tests/fixtures/golden_event_log.jsonl`), the synthetic regimes' fingerprints
//! (`tests/fixtures/golden_synthetic.txt`) and the swarm's decision-log hash on each regime
//! (`tests/fixtures/golden_swarm.txt`), and the learned model's predictions and committee
//! decisions (`tests/fixtures/golden_learned.txt`). Built as a library exporting the address and
//! length of each text in linear memory.
//!
//! `cargo build -p coinswarm-core --example wasm_golden --target wasm32-unknown-unknown`,
//! then `node scripts/wasm-golden.mjs <the .wasm file> crates/coinswarm-core/tests/fixtures`.

#[path = "../tests/fixtures/golden_outputs.rs"]
mod golden_outputs;

use std::sync::OnceLock;

fn event_log() -> &'static str {
    static LOG: OnceLock<String> = OnceLock::new();
    LOG.get_or_init(golden_outputs::golden_session_log)
}

fn synthetic() -> &'static str {
    static FINGERPRINTS: OnceLock<String> = OnceLock::new();
    FINGERPRINTS.get_or_init(golden_outputs::synthetic_fingerprints)
}

/// Address of the session's JSON-lines event log (UTF-8) in linear memory.
#[unsafe(no_mangle)]
pub extern "C" fn golden_event_log_ptr() -> *const u8 {
    event_log().as_ptr()
}

/// Length in bytes of the session's event log.
#[unsafe(no_mangle)]
pub extern "C" fn golden_event_log_len() -> usize {
    event_log().len()
}

/// Address of the synthetic regimes' fingerprints (UTF-8) in linear memory.
#[unsafe(no_mangle)]
pub extern "C" fn golden_synthetic_ptr() -> *const u8 {
    synthetic().as_ptr()
}

/// Length in bytes of the synthetic regimes' fingerprints.
#[unsafe(no_mangle)]
pub extern "C" fn golden_synthetic_len() -> usize {
    synthetic().len()
}

fn swarm() -> &'static str {
    static HASHES: OnceLock<String> = OnceLock::new();
    HASHES.get_or_init(golden_outputs::swarm_decision_hashes)
}

/// Address of the swarm's decision-log hashes per regime (UTF-8) in linear memory.
#[unsafe(no_mangle)]
pub extern "C" fn golden_swarm_ptr() -> *const u8 {
    swarm().as_ptr()
}

/// Length in bytes of the swarm's decision-log hashes.
#[unsafe(no_mangle)]
pub extern "C" fn golden_swarm_len() -> usize {
    swarm().len()
}

fn learned() -> &'static str {
    static OUTPUTS: OnceLock<String> = OnceLock::new();
    OUTPUTS.get_or_init(golden_outputs::learned_outputs)
}

/// Address of the learned model's predictions and committee decisions (UTF-8) in linear memory.
#[unsafe(no_mangle)]
pub extern "C" fn golden_learned_ptr() -> *const u8 {
    learned().as_ptr()
}

/// Length in bytes of the learned model's outputs.
#[unsafe(no_mangle)]
pub extern "C" fn golden_learned_len() -> usize {
    learned().len()
}
