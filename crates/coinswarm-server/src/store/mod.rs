//! Storage ports and their embedded adapters.
//!
//! - [`SqlStore`]: SQLite in WAL mode with versioned migrations (`migrations/`), fsync on every
//!   commit (`synchronous = FULL`), so an acknowledged write survives a crash. It holds the
//!   accounts' event logs, API keys, decisions and the server's resume state.
//! - [`Kv`]: a TTL cache with hit and miss counters ([`MemoryKv`] embedded).

mod kv;
mod sql;

pub use kv::{Kv, KvStats, MemoryKv};
pub use sql::{ApiKeyRecord, SqlStore};
