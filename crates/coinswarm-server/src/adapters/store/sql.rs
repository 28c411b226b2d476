//! The embedded SQL store: one SQLite file under the data directory.

use super::AnalyticsEvent;
use crate::adapters::private_files;
use crate::clock::SharedClock;
use crate::metrics::{Histogram, latency_histogram};
use anyhow::Context;
use coinswarm_core::ledger::{AccountEvent, EventKind};
use rusqlite::TransactionBehavior;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// SQLite store shared by every component of one server (and by `coinswarm keys`).
///
/// Every write goes through one writer thread that groups every batch waiting (from all
/// accounts) into one transaction and one fsync: SQLite allows one writer at a time, and
/// concurrent writers would otherwise queue on its busy timeout. The writer is a plain
/// thread with a synchronous connection, so a commit never waits for an async runtime to
/// poll it between statements. Reads go through a pool of connections (WAL readers never
/// wait for the writer).
#[derive(Debug, Clone)]
pub struct SqlStore {
    /// Stamps commits (the outbox's jobs) with the time they are written.
    clock: SharedClock,
    pool: SqlitePool,
    writer: mpsc::Sender<WriteJob>,
    commits: Arc<Mutex<CommitStats>>,
    /// Whether the durable streams' events go to the edge outbox (`up` with an edge).
    pub(super) edge_outbox: Arc<std::sync::atomic::AtomicBool>,
}

/// What the group commit has done, for `/metrics`.
#[derive(Debug, Clone)]
pub struct CommitStats {
    /// Time of each transaction, from BEGIN to the end of COMMIT's fsync, in seconds (shared:
    /// a copy keeps counting).
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
const POST_TRADE_ATTEMPTS: i64 = 5;

/// Batches waiting for the group commit at most (beyond, senders wait: backpressure).
const WRITE_QUEUE: usize = 1024;
/// Page cache of the group commit's connection (negative: KiB), 32 MiB.
const WRITER_CACHE: &str = "-32768";
/// WAL pages after which a commit checkpoints the WAL (and the next commit starts it over).
/// By then the background backfill has copied nearly all of it into the database file, so
/// this checkpoint is short; SQLite's default (1,000 pages, checkpointed whole inside the
/// commit that crossed it) held commits up by tens of milliseconds several times a second.
const WRITER_CHECKPOINT_PAGES: &str = "10000";
/// How often committed WAL pages are copied into the database file in the background.
const BACKFILL_EVERY: Duration = Duration::from_millis(50);

/// Work for the single writer: account batches (grouped into one transaction) or any other
/// write (run on its own, between group commits).
enum WriteJob {
    Batch(AccountBatch),
    Other(OtherWrite),
}

/// A write other than an account batch: runs on the writer's connection and answers its caller.
type OtherWrite = Box<dyn FnOnce(&mut rusqlite::Connection) + Send>;

/// One account's batch, already encoded by the caller (so JSON work runs in every session
/// task, in parallel, and the single writer only writes).
#[derive(Debug)]
struct AccountBatch {
    account_id: String,
    /// (seq, time, event JSON).
    events: Vec<(i64, i64, String)>,
    /// Post-trade jobs: (dedupe key, payload JSON).
    outbox: Vec<(String, String)>,
    /// Decision records: (time, JSON line).
    decisions: Vec<(i64, String)>,
    /// Events for the edge outbox: (stream, payload JSON).
    published: Vec<(&'static str, String)>,
    /// Analytics events, each naming its account (a batch of analytics alone has an empty
    /// `account_id` and no events, jobs or decisions).
    analytics: Vec<AnalyticsEvent>,
    done: oneshot::Sender<Result<(), String>>,
}

impl SqlStore {
    /// Opens (creating if needed) `data_dir/coinswarm.sqlite` and applies pending migrations.
    /// The directory and the database's files are private to the owner ([`private_files`]).
    pub async fn open(data_dir: &Path, clock: SharedClock) -> anyhow::Result<Self> {
        private_files::create_dir(data_dir)?;
        let path = data_dir.join("coinswarm.sqlite");
        // Created private before SQLite opens it: SQLite gives its -wal and -shm files the
        // database file's mode.
        private_files::open_options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        private_files::restrict(&path)?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Only the group commit's connection checkpoints (below), between its commits.
            .pragma("wal_autocheckpoint", "0");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        // Files an older version left readable by others.
        for suffix in ["-wal", "-shm"] {
            let mut name = path.clone().into_os_string();
            name.push(suffix);
            private_files::restrict(Path::new(&name))?;
        }
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .with_context(|| format!("cannot migrate {}", path.display()))?;
        // The group commit keeps its own connection: its page cache stays warm with the
        // tables' tails it appends to, instead of a cold pooled connection per commit.
        let writer_connection = open_writer(&path)?;
        let (writer, jobs) = mpsc::channel(WRITE_QUEUE);
        let commits = Arc::new(Mutex::new(CommitStats::default()));
        let stats = commits.clone();
        let writer_clock = clock.clone();
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || group_commit(writer_connection, jobs, stats, writer_clock))
            .context("cannot start the store's writer thread")?;
        tokio::spawn(backfill_wal(pool.clone(), writer.downgrade()));
        Ok(Self { clock, pool, writer, commits, edge_outbox: Arc::default() })
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
    /// waiting then: one transaction, one fsync); a repeated dedupe key is skipped.
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
        self.writer.send(WriteJob::Batch(rows(done))).await.map_err(|_| writer_stopped())?;
        result.await.map_err(|_| writer_stopped())?.map_err(|e| anyhow::anyhow!(e))
    }

    /// Runs `write` on the single writer's connection, between group commits, and returns
    /// its result. Every write goes through here or `commit`: a second writing connection
    /// would contend for SQLite's write lock, and the loser sleeps in SQLite's busy handler
    /// (milliseconds at a time) while orders wait behind it.
    pub(super) async fn write<T, F>(&self, write: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> anyhow::Result<T> + Send + 'static,
    {
        let (done, result) = oneshot::channel();
        let job: OtherWrite = Box::new(move |connection| {
            let _ = done.send(write(connection));
        });
        self.writer.send(WriteJob::Other(job)).await.map_err(|_| writer_stopped())?;
        result.await.map_err(|_| writer_stopped())?
    }

    /// Creates the account if it does not exist; returns whether it was created.
    pub async fn create_account(&self, account_id: &str, now_ms: i64) -> anyhow::Result<bool> {
        let account_id = account_id.to_string();
        self.write(move |c| {
            let created = c
                .prepare_cached("INSERT OR IGNORE INTO accounts (id, created_at) VALUES (?1, ?2)")?
                .execute((account_id, now_ms))?;
            Ok(created == 1)
        })
        .await
    }

    /// Every account id, oldest first.
    pub async fn accounts(&self) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM accounts ORDER BY created_at, id").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    /// The account's whole event log, in sequence order.
    pub async fn load_events(&self, account_id: &str) -> anyhow::Result<Vec<AccountEvent>> {
        let rows = sqlx::query("SELECT event FROM account_events WHERE account_id = ? ORDER BY seq")
            .bind(account_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let text: String = row.get(0);
                serde_json::from_str(&text).with_context(|| format!("a stored event of {account_id} is unreadable"))
            })
            .collect()
    }

    /// The latest `limit` decision records of an account (the swarm's), newest first, without
    /// the records of orders placed on it from outside ([`SqlStore::order_audit`]).
    pub async fn recent_decisions(&self, account_id: &str, limit: u32) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT record FROM decisions WHERE account_id = ? AND record NOT LIKE '%\"kind\":\"external_%' AND record NOT LIKE '%\"kind\":\"live_%' ORDER BY id DESC LIMIT ?",
        )
            .bind(account_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    /// The latest `limit` records of orders placed or cancelled on an account through the API
    /// or MCP (who sent it: channel, key, MCP client and tool; and the outcome), newest first.
    pub async fn order_audit(&self, account_id: &str, limit: u32) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT record FROM decisions WHERE account_id = ? AND (record LIKE '%\"kind\":\"external_%' OR record LIKE '%\"kind\":\"live_%') ORDER BY id DESC LIMIT ?",
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    /// The store's clock, in Unix milliseconds.
    pub(super) fn now_ms(&self) -> i64 {
        self.clock.now().millis()
    }

    /// The group commit's statistics so far.
    pub fn commit_stats(&self) -> CommitStats {
        self.commits.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(super) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits for in-flight statements and closes the connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn writer_stopped() -> anyhow::Error {
    anyhow::anyhow!("the store's writer has stopped")
}

/// Opens the writer's connection (the pool has created the file and migrated it).
fn open_writer(path: &Path) -> anyhow::Result<rusqlite::Connection> {
    let connection = rusqlite::Connection::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.pragma_update(None, "cache_size", WRITER_CACHE)?;
    connection.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

/// The writer thread: takes every job waiting, writes the account batches in one
/// transaction, commits (one fsync), then answers each. A failed transaction fails every job
/// in it (none is kept). Other writes run on their own, in arrival order. Ends when every
/// sender is gone.
fn group_commit(
    mut connection: rusqlite::Connection,
    mut jobs: mpsc::Receiver<WriteJob>,
    stats: Arc<Mutex<CommitStats>>,
    clock: SharedClock,
) {
    let mut received = Vec::with_capacity(WRITE_QUEUE);
    let mut batch = Vec::with_capacity(WRITE_QUEUE);
    while jobs.blocking_recv_many(&mut received, WRITE_QUEUE) > 0 {
        for job in received.drain(..) {
            match job {
                WriteJob::Batch(job) => batch.push(job),
                WriteJob::Other(write) => write(&mut connection),
            }
        }
        if batch.is_empty() {
            continue;
        }
        let started = std::time::Instant::now();
        let result = write_jobs(&mut connection, &batch, clock.now().millis()).map_err(|e| format!("{e:#}"));
        {
            let mut stats = stats.lock().unwrap_or_else(|p| p.into_inner());
            stats.duration.observe(started.elapsed().as_secs_f64());
            stats.batches += batch.len() as u64;
        }
        for job in batch.drain(..) {
            let _ = job.done.send(result.clone());
        }
    }
}

/// Copies committed WAL pages into the database file every `BACKFILL_EVERY`, on a pooled
/// connection, concurrently with the writer (a PASSIVE checkpoint waits for no one), while
/// the store is open.
async fn backfill_wal(pool: SqlitePool, writer: mpsc::WeakSender<WriteJob>) {
    let mut every = tokio::time::interval(BACKFILL_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if writer.upgrade().is_none() || pool.is_closed() {
            return;
        }
        if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
            tracing::debug!("background WAL backfill: {err}");
        }
    }
}

/// Writes every job's rows in one transaction (prepared statements, one row each: with a
/// synchronous connection a statement is a function call, not a round trip).
fn write_jobs(connection: &mut rusqlite::Connection, jobs: &[AccountBatch], now: i64) -> anyhow::Result<()> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut events =
            tx.prepare_cached("INSERT INTO account_events (account_id, seq, time, event) VALUES (?1, ?2, ?3, ?4)")?;
        let mut outbox = tx.prepare_cached(
            "INSERT OR IGNORE INTO queue_jobs (topic, dedupe_key, payload, max_attempts, available_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )?;
        let mut decisions =
            tx.prepare_cached("INSERT INTO decisions (account_id, time, record) VALUES (?1, ?2, ?3)")?;
        let mut analytics = tx.prepare_cached(
            "INSERT OR IGNORE INTO analytics_events (dedupe_key, metric, time, value, label, samples, min_value, max_value, account_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for job in jobs {
            for (seq, time, json) in &job.events {
                events
                    .execute((&job.account_id, seq, time, json))
                    .with_context(|| format!("cannot append the events of {}", job.account_id))?;
            }
            for (dedupe_key, payload) in &job.outbox {
                outbox.execute((POST_TRADE, dedupe_key, payload, POST_TRADE_ATTEMPTS, now))?;
            }
            for (time, record) in &job.decisions {
                decisions.execute((&job.account_id, time, record))?;
            }
            for (stream, payload) in &job.published {
                super::edge_outbox::append(&tx, stream, payload, now)?;
            }
            for event in &job.analytics {
                let values = event.values;
                // A single value needs no extremes (they are the value).
                let (min, max) = if values.count == 1 { (None, None) } else { (Some(values.min), Some(values.max)) };
                analytics.execute((
                    &event.dedupe_key,
                    event.metric,
                    event.time_ms,
                    values.sum,
                    &event.label,
                    values.count,
                    min,
                    max,
                    &event.account_id,
                ))?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}
