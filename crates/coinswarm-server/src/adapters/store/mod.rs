//! Storage ports and their embedded adapters.
//!
//! - [`SqlStore`]: SQLite in WAL mode with versioned migrations (`migrations/`), fsync on every
//!   commit (`synchronous = FULL`), so an acknowledged write survives a crash. It holds the
//!   accounts' event logs, API keys, decisions, the server's resume state, and pattern
//!   memory's episodes and audit log, behind the ports [`AccountLog`], [`KeyStore`],
//!   [`StateStore`], [`Queue`], [`Analytics`] and [`EpisodeStore`]. Every write goes
//!   through one writer thread (group commit: one transaction and one fsync for whatever is
//!   waiting).
//! - [`Kv`]: a TTL cache with hit and miss counters ([`MemoryKv`] embedded).
//! - [`Queue`] (`enqueue`, `lease`, `ack`, `fail`): durable, at-least-once, leases, retries
//!   with backoff, dead letters; and [`Analytics`] (`record_events`, `query_buckets`), both on
//!   the SQL store.
//! - The outbox of publication to the edge tier (`edge_outbox`): the durable streams'
//!   events, in the commit of what they record, until the edge has applied them.
//! - [`ObjectStore`]: a folder of Parquet files ([`LocalObjectStore`]), the candle archive.

mod account_log;
mod analytics;
mod edge_outbox;
mod episodes;
mod key_store;
mod kv;
mod object;
mod queue;
mod sql;
mod state_store;

pub use account_log::AccountLog;
pub use analytics::{Analytics, AnalyticsBuffer, AnalyticsEvent, Bucket};
pub use edge_outbox::OutboxHead;
pub use episodes::{EpisodeCount, EpisodeStore};
pub use key_store::{ApiKeyRecord, KeyStore};
pub use kv::{Kv, KvStats, MemoryKv};
pub use object::{LocalObjectStore, ObjectStore};
pub use queue::{Job, Queue, backoff_ms};
pub use sql::{CommitStats, POST_TRADE, SqlStore};
pub use state_store::StateStore;
