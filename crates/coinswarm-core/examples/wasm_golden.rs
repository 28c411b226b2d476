//! The golden trading session compiled for wasm32, so `scripts/test` can check that the
//! edge build of the core writes the very event log the native build writes
//! (`tests/fixtures/golden_event_log.jsonl`). Built as a library with two exports: the
//! address and the length of the log in linear memory.
//!
//! `cargo build -p coinswarm-core --example wasm_golden --target wasm32-unknown-unknown`,
//! then `node scripts/wasm-golden.mjs <the .wasm file> <the golden file>`.

#[path = "../tests/fixtures/golden_session.rs"]
mod golden_session;

use std::sync::OnceLock;

fn log() -> &'static str {
    static LOG: OnceLock<String> = OnceLock::new();
    LOG.get_or_init(golden_session::golden_session_log)
}

/// Address of the session's JSON-lines event log (UTF-8) in linear memory.
#[unsafe(no_mangle)]
pub extern "C" fn golden_log_ptr() -> *const u8 {
    log().as_ptr()
}

/// Length in bytes of the session's event log.
#[unsafe(no_mangle)]
pub extern "C" fn golden_log_len() -> usize {
    log().len()
}
