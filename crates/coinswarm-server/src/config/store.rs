//! `[store]`: where `coinswarm up` keeps its data (SQLite in the data directory by default).

use crate::adapters::store::{Database, redact_password};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The store's engine and, on a database shared by several processes, how they hand
/// accounts over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// A PostgreSQL URL, `postgres://user:password@host:port/database` (env
    /// COINSWARM_DATABASE_URL, flag `--database-url`). Empty (the default): SQLite in the
    /// data directory. `--print-config` shows it without its password.
    #[serde(serialize_with = "without_password")]
    pub database_url: String,
    /// Where the candle archive lives: `s3://bucket/prefix` on an S3-compatible bucket (the
    /// usual AWS variables give credentials, region and `AWS_ENDPOINT_URL` for R2 or a local
    /// server; env COINSWARM_ARCHIVE_URL, flag `--archive-url`). Empty (the default): the
    /// data directory's `archive` folder.
    pub archive_url: String,
    /// On a shared database, how often a process that does not own the swarm's account
    /// tries to take it over, in ms (its owner stopped: the takeover follows within this).
    /// Default 1,000.
    pub claim_retry_ms: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { database_url: String::new(), archive_url: String::new(), claim_retry_ms: 1_000 }
    }
}

impl StoreConfig {
    /// The database this configuration names, with `data_dir` for SQLite.
    pub fn database(&self, data_dir: &Path) -> anyhow::Result<Database> {
        Database::choose(data_dir, &self.database_url)
    }

    /// Refuses a URL of another engine or scheme and a zero retry interval.
    pub fn validate(&self, data_dir: &Path) -> anyhow::Result<()> {
        self.database(data_dir)?;
        let archive = self.archive_url.trim();
        anyhow::ensure!(
            archive.is_empty() || archive.starts_with("s3://"),
            "store.archive_url '{archive}': only s3://bucket/prefix is supported; leave it empty for the data directory"
        );
        anyhow::ensure!(self.claim_retry_ms > 0, "store.claim_retry_ms must be at least 1");
        Ok(())
    }
}

fn without_password<S: serde::Serializer>(url: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_password(url))
}
