//! Storage ports and their embedded adapters.
//!
//! - [`SqlStore`]: SQLite in WAL mode with versioned migrations (`migrations/`), fsync on every
//!   commit (`synchronous = FULL`), so an acknowledged write survives a crash. It holds the
//!   accounts' event logs, API keys, decisions and the server's resume state.
//! - [`Kv`]: a TTL cache with hit and miss counters ([`MemoryKv`] embedded).
//! - Queue (`enqueue`, `lease`, `ack`, `fail`): durable, at-least-once, leases, retries with
//!   backoff, dead letters; and Analytics (`record_event`, `query_buckets`), both on the SQL store.

mod account_log;
mod analytics;
mod kv;
mod object;
mod queue;
mod sql;

pub use account_log::AccountLog;
pub use analytics::{Analytics, AnalyticsBuffer, AnalyticsEvent, Bucket};
pub use kv::{Kv, KvStats, MemoryKv};
pub use object::{LocalObjectStore, ObjectStore};
pub use queue::{Job, Queue, backoff_ms};
pub use sql::{ApiKeyRecord, POST_TRADE, SqlStore};
