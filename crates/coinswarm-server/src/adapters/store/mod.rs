//! Storage ports and their embedded adapters.
//!
//! - [`SqlStore`]: the accounts' event logs, API keys, decisions, the server's resume state,
//!   and pattern memory's episodes and audit log, behind the ports [`AccountLog`],
//!   [`KeyStore`], [`StateStore`], [`Queue`], [`Analytics`] and [`EpisodeStore`], on one of
//!   two engines ([`Database`]):
//!   - SQLite (the default, `sqlite.rs`): WAL mode, versioned migrations
//!     (`migrations/sqlite`), fsync on every commit (`synchronous = FULL`), every write
//!     through one writer thread;
//!   - PostgreSQL (`--database-url`, `postgres.rs`): the same schema (`migrations/postgres`),
//!     a pool, and ownership of accounts across processes (`ownership.rs`).
//!
//!   On both, account batches go through a group commit (one transaction and one durable
//!   commit for whatever is waiting), so an acknowledged write survives a crash.
//! - [`Kv`]: a TTL cache with hit and miss counters ([`MemoryKv`] embedded).
//! - [`Queue`] (`enqueue`, `lease`, `ack`, `fail`): durable, at-least-once, leases, retries
//!   with backoff, dead letters; and [`Analytics`] (`record_events`, `query_buckets`), both on
//!   the SQL store.
//! - The outbox of publication to the edge tier (`edge_outbox`): the durable streams'
//!   events, in the commit of what they record, until the edge has applied them.
//! - [`ObjectStore`]: the candle archive's Parquet files, in a folder ([`LocalObjectStore`],
//!   the default) or an S3-compatible bucket ([`BucketObjectStore`], `--archive-url s3://…`).

mod account_log;
mod analytics;
mod bucket;
mod edge_outbox;
mod episodes;
mod key_store;
mod kv;
mod object;
mod ownership;
mod postgres;
mod queue;
mod sql;
mod sqlite;
mod state_store;
#[cfg(test)]
pub(crate) mod testing;

pub use account_log::AccountLog;
pub use analytics::{Analytics, AnalyticsBuffer, AnalyticsEvent, Bucket};
pub use bucket::BucketObjectStore;
pub use edge_outbox::OutboxHead;
pub use episodes::{EpisodeCount, EpisodeStore};
pub use key_store::{ApiKeyRecord, KeyStore};
pub use kv::{Kv, KvStats, MemoryKv};
pub use object::{LocalObjectStore, ObjectStore};
pub use ownership::lock_key;
pub use queue::{Job, Queue, backoff_ms};
pub use sql::{CommitStats, Database, POST_TRADE, SqlStore, redact_password};
pub use state_store::StateStore;
