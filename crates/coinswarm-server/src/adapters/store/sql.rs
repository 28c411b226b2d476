//! The SQL store: SQLite under the data directory (the default, embedded) or PostgreSQL
//! (`--database-url postgres://…`), behind one type every component shares.

use super::AnalyticsEvent;
use super::postgres::Postgres;
use super::sqlite::Sqlite;
use crate::clock::SharedClock;
pub use crate::config::{Database, redact_password};
use crate::metrics::{Histogram, latency_histogram};
use anyhow::Context;
use coinswarm_core::ledger::{AccountEvent, EventKind};
use sqlx::Row;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The store shared by every component of one server (and by `coinswarm keys` and
/// `coinswarm memory`): the accounts' event logs, API keys, decisions, the server's resume
/// state, the queue, analytics, pattern memory and the edge outbox, on either engine.
///
/// Writes of account batches go through a group commit on both engines: every batch waiting
/// (from all accounts) is written in one transaction with one durable commit.
#[derive(Debug, Clone)]
pub struct SqlStore {
    /// Stamps commits (the outbox's jobs) with the time they are written.
    clock: SharedClock,
    pub(super) engine: Engine,
    commits: Arc<Mutex<CommitStats>>,
    /// Whether the durable streams' events go to the edge outbox (`up` with an edge).
    pub(super) edge_outbox: Arc<std::sync::atomic::AtomicBool>,
}

/// The engine behind a [`SqlStore`].
#[derive(Debug, Clone)]
pub(super) enum Engine {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

/// What the group commit has done, for `/metrics`.
#[derive(Debug, Clone)]
pub struct CommitStats {
    /// Time of each transaction, from BEGIN to the end of the durable COMMIT, in seconds
    /// (shared: a copy keeps counting).
    pub duration: Histogram,
    /// Writes committed (account batches and analytics; a transaction holds one or more).
    pub batches: u64,
}

impl Default for CommitStats {
    fn default() -> Self {
        Self { duration: latency_histogram(), batches: 0 }
    }
}

/// The queue topic of post-trade work (one job per fill, keyed by account and trade id: trade
/// ids are unique within an account only).
pub const POST_TRADE: &str = "post_trade";
/// Deliveries of a post-trade job before it is dead-lettered.
pub(super) const POST_TRADE_ATTEMPTS: i64 = 5;

/// Batches waiting for the group commit at most (beyond, senders wait: backpressure).
pub(super) const WRITE_QUEUE: usize = 1024;

/// One account's batch, already encoded by the caller (so JSON work runs in every session
/// task, in parallel, and the group commit only writes).
#[derive(Debug)]
pub(super) struct AccountBatch {
    pub(super) account_id: String,
    /// (seq, time, event JSON).
    pub(super) events: Vec<(i64, i64, String)>,
    /// Post-trade jobs: (dedupe key, payload JSON).
    pub(super) outbox: Vec<(String, String)>,
    /// Decision records: (time, JSON line).
    pub(super) decisions: Vec<(i64, String)>,
    /// Events for the edge outbox: (stream, payload JSON).
    pub(super) published: Vec<(&'static str, String)>,
    /// Analytics events, each naming its account (a batch of analytics alone has an empty
    /// `account_id` and no events, jobs or decisions).
    pub(super) analytics: Vec<AnalyticsEvent>,
    pub(super) done: oneshot::Sender<Result<(), String>>,
}

pub(super) fn writer_stopped() -> anyhow::Error {
    anyhow::anyhow!("the store's writer has stopped")
}

/// Counts a group commit in `stats` and answers every batch in it with `result`.
pub(super) fn answer(
    stats: &Mutex<CommitStats>,
    started: std::time::Instant,
    batch: &mut Vec<AccountBatch>,
    result: Result<(), String>,
) {
    {
        let mut stats = stats.lock().unwrap_or_else(|p| p.into_inner());
        stats.duration.observe(started.elapsed().as_secs_f64());
        stats.batches += batch.len() as u64;
    }
    for job in batch.drain(..) {
        let _ = job.done.send(result.clone());
    }
}

impl SqlStore {
    /// Opens (creating if needed) the SQLite store `data_dir/coinswarm.sqlite` and applies
    /// pending migrations.
    pub async fn open(data_dir: &Path, clock: SharedClock) -> anyhow::Result<Self> {
        Self::connect(&Database::Sqlite(data_dir.to_path_buf()), clock).await
    }

    /// Opens the store in `database` (creating its schema or applying pending migrations).
    pub async fn connect(database: &Database, clock: SharedClock) -> anyhow::Result<Self> {
        let commits = Arc::new(Mutex::new(CommitStats::default()));
        let engine = match database {
            Database::Sqlite(dir) => Engine::Sqlite(Sqlite::open(dir, clock.clone(), commits.clone()).await?),
            Database::Postgres(url) => Engine::Postgres(Postgres::connect(url, clock.clone(), commits.clone()).await?),
        };
        Ok(Self { clock, engine, commits, edge_outbox: Arc::default() })
    }

    /// `sqlite` or `postgres`.
    pub fn engine_name(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite(_) => "sqlite",
            Engine::Postgres(_) => "postgres",
        }
    }

    /// Durably appends an account's events and decision records ((time, JSON line)): returns
    /// once they are committed, together with whatever other batches were waiting. Each fill
    /// also queues its post-trade job in the same commit (the transactional outbox); with an
    /// edge, each fill and each of `published` (the swarm's decisions as the public may see
    /// them) goes to the edge outbox in it too.
    pub async fn commit(
        &self,
        account_id: &str,
        events: &[AccountEvent],
        decisions: &[(i64, &str)],
        published: &[String],
    ) -> anyhow::Result<()> {
        if events.is_empty() && decisions.is_empty() {
            return Ok(());
        }
        let now = self.clock.now().millis();
        let to_edge = self.publishes_to_edge();
        let mut encoded = Vec::with_capacity(events.len());
        let mut outbox = Vec::new();
        let mut edge = Vec::new();
        for event in events {
            encoded.push((event.seq as i64, event.time.millis(), serde_json::to_string(event)?));
            if let EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } = &event.kind {
                let payload = serde_json::json!({"account_id": account_id, "committed_at": now, "fill": fill});
                outbox.push((format!("{account_id}:{}", fill.trade_id), payload.to_string()));
                if to_edge {
                    let trade = serde_json::json!({"account_id": account_id, "fill": fill});
                    edge.push((coinswarm_api::edge::streams::TRADES, trade.to_string()));
                }
            }
        }
        if to_edge {
            edge.extend(published.iter().map(|d| (coinswarm_api::edge::streams::DECISIONS, d.clone())));
        }
        let decisions = decisions.iter().map(|(time, line)| (*time, line.to_string())).collect();
        self.group_write(|done| AccountBatch {
            account_id: account_id.to_string(),
            events: encoded,
            outbox,
            decisions,
            published: edge,
            analytics: Vec::new(),
            done,
        })
        .await
    }

    /// Durably appends analytics events in the next group commit (with the account batches
    /// waiting then: one transaction, one durable commit); a repeated dedupe key is skipped.
    pub(super) async fn append_analytics(&self, analytics: Vec<AnalyticsEvent>) -> anyhow::Result<()> {
        self.group_write(|done| AccountBatch {
            account_id: String::new(),
            events: Vec::new(),
            outbox: Vec::new(),
            decisions: Vec::new(),
            published: Vec::new(),
            analytics,
            done,
        })
        .await
    }

    /// Hands rows to the next group commit and waits until they are durable.
    async fn group_write(
        &self,
        rows: impl FnOnce(oneshot::Sender<Result<(), String>>) -> AccountBatch,
    ) -> anyhow::Result<()> {
        let (done, result) = oneshot::channel();
        match &self.engine {
            Engine::Sqlite(db) => db.group_write(rows(done), result).await,
            Engine::Postgres(db) => db.group_write(rows(done), result).await,
        }
    }

    /// Creates the account if it does not exist; returns whether it was created.
    pub async fn create_account(&self, account_id: &str, now_ms: i64) -> anyhow::Result<bool> {
        match &self.engine {
            Engine::Sqlite(db) => {
                let account_id = account_id.to_string();
                db.write(move |c| {
                    let created = c
                        .prepare_cached("INSERT OR IGNORE INTO accounts (id, created_at) VALUES (?1, ?2)")?
                        .execute((account_id, now_ms))?;
                    Ok(created == 1)
                })
                .await
            }
            Engine::Postgres(db) => {
                let created =
                    sqlx::query("INSERT INTO accounts (id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(account_id)
                        .bind(now_ms)
                        .execute(&db.pool)
                        .await?;
                Ok(created.rows_affected() == 1)
            }
        }
    }

    /// Every account id, oldest first.
    pub async fn accounts(&self) -> anyhow::Result<Vec<String>> {
        const SQL: &str = "SELECT id FROM accounts ORDER BY created_at, id";
        match &self.engine {
            Engine::Sqlite(db) => Ok(sqlx::query_scalar(SQL).fetch_all(&db.pool).await?),
            Engine::Postgres(db) => Ok(sqlx::query_scalar(SQL).fetch_all(&db.pool).await?),
        }
    }

    /// The account's whole event log, in sequence order.
    pub async fn load_events(&self, account_id: &str) -> anyhow::Result<Vec<AccountEvent>> {
        const SQL: &str = "SELECT event FROM account_events WHERE account_id = $1 ORDER BY seq";
        let texts: Vec<String> = match &self.engine {
            Engine::Sqlite(db) => sqlx::query_scalar(SQL).bind(account_id).fetch_all(&db.pool).await?,
            Engine::Postgres(db) => sqlx::query_scalar(SQL).bind(account_id).fetch_all(&db.pool).await?,
        };
        texts
            .iter()
            .map(|text| {
                serde_json::from_str(text).with_context(|| format!("a stored event of {account_id} is unreadable"))
            })
            .collect()
    }

    /// The latest `limit` decision records of an account (the swarm's), newest first, without
    /// the records of orders placed on it from outside ([`SqlStore::order_audit`]).
    pub async fn recent_decisions(&self, account_id: &str, limit: u32) -> anyhow::Result<Vec<String>> {
        self.decision_records(
            "SELECT record FROM decisions WHERE account_id = $1 AND record NOT LIKE '%\"kind\":\"external_%' AND record NOT LIKE '%\"kind\":\"live_%' ORDER BY id DESC LIMIT $2",
            account_id,
            limit,
        )
        .await
    }

    /// The latest `limit` records of orders placed or cancelled on an account through the API
    /// or MCP (who sent it: channel, key, MCP client and tool; and the outcome), newest first.
    pub async fn order_audit(&self, account_id: &str, limit: u32) -> anyhow::Result<Vec<String>> {
        self.decision_records(
            "SELECT record FROM decisions WHERE account_id = $1 AND (record LIKE '%\"kind\":\"external_%' OR record LIKE '%\"kind\":\"live_%') ORDER BY id DESC LIMIT $2",
            account_id,
            limit,
        )
        .await
    }

    /// Records of `account_id` that `sql` selects (`$1` the account, `$2` the limit).
    async fn decision_records(&self, sql: &'static str, account_id: &str, limit: u32) -> anyhow::Result<Vec<String>> {
        let rows = match &self.engine {
            Engine::Sqlite(db) => {
                let rows = sqlx::query(sql).bind(account_id).bind(limit).fetch_all(&db.pool).await?;
                rows.iter().map(|r| r.get::<String, _>(0)).collect()
            }
            Engine::Postgres(db) => {
                let rows = sqlx::query(sql).bind(account_id).bind(i64::from(limit)).fetch_all(&db.pool).await?;
                rows.iter().map(|r| r.get::<String, _>(0)).collect()
            }
        };
        Ok(rows)
    }

    /// The store's clock, in Unix milliseconds.
    pub(super) fn now_ms(&self) -> i64 {
        self.clock.now().millis()
    }

    /// The group commit's statistics so far.
    pub fn commit_stats(&self) -> CommitStats {
        self.commits.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Rows in `table` (for tests).
    #[cfg(test)]
    pub(crate) async fn row_count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        match &self.engine {
            Engine::Sqlite(db) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())).fetch_one(&db.pool).await.unwrap()
            }
            Engine::Postgres(db) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())).fetch_one(&db.pool).await.unwrap()
            }
        }
    }

    /// Waits for in-flight statements and closes the connections (on PostgreSQL, the
    /// accounts this process owned are released).
    pub async fn close(&self) {
        match &self.engine {
            Engine::Sqlite(db) => db.pool.close().await,
            Engine::Postgres(db) => db.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::store::testing;

    /// Every table's columns, as (table, column), sorted; without sqlx's own table.
    async fn columns(store: &SqlStore) -> Vec<(String, String)> {
        let mut columns: Vec<(String, String)> = match &store.engine {
            Engine::Sqlite(db) => sqlx::query_as(
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
            )
            .fetch_all(&db.pool)
            .await
            .unwrap(),
            Engine::Postgres(db) => sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(&db.pool)
            .await
            .unwrap(),
        };
        columns.sort();
        columns
    }

    #[tokio::test]
    async fn both_engines_migrate_to_the_same_tables_and_columns() {
        let (sqlite, postgres) = (testing::sqlite("schema").await, testing::postgres("schema").await);
        let mut expected = columns(&sqlite.store).await;
        // PostgreSQL has no implicit rowid: `patterns` spells out the one SQLite orders by.
        expected.push(("patterns".into(), "rowid".into()));
        expected.sort();
        assert!(expected.len() > 40, "the SQLite schema was read: {expected:?}");
        assert_eq!(columns(&postgres.store).await, expected, "migrations/postgres has drifted from migrations/sqlite");
        let versions = |dir: &str| -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(versions("migrations/postgres"), versions("migrations/sqlite"), "one file per version on both");
        sqlite.remove().await;
        postgres.remove().await;
    }
}
