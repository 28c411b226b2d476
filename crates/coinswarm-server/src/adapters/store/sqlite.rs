//! The embedded engine: one SQLite file under the data directory, in WAL mode with an fsync
//! on every commit (`synchronous = FULL`), every write through one writer thread (group
//! commit: one transaction and one fsync for whatever is waiting), reads from a pool.

use super::sql::{AccountBatch, CommitStats, POST_TRADE, POST_TRADE_ATTEMPTS, WRITE_QUEUE, writer_stopped};
use crate::adapters::private_files;
use crate::clock::SharedClock;
use anyhow::Context;
use rusqlite::TransactionBehavior;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Page cache of the group commit's connection (negative: KiB), 32 MiB.
const WRITER_CACHE: &str = "-32768";
/// WAL pages after which a commit checkpoints the WAL (and the next commit starts it over).
/// By then the background backfill has copied nearly all of it into the database file, so
/// this checkpoint is short; SQLite's default (1,000 pages, checkpointed whole inside the
/// commit that crossed it) held commits up by tens of milliseconds several times a second.
const WRITER_CHECKPOINT_PAGES: &str = "10000";
/// How often committed WAL pages are copied into the database file in the background.
const BACKFILL_EVERY: Duration = Duration::from_millis(50);

/// The SQLite engine of a [`super::SqlStore`].
///
/// Every write goes through one writer thread that groups every batch waiting (from all
/// accounts) into one transaction and one fsync: SQLite allows one writer at a time, and
/// concurrent writers would otherwise queue on its busy timeout. The writer is a plain
/// thread with a synchronous connection, so a commit never waits for an async runtime to
/// poll it between statements. Reads go through a pool of connections (WAL readers never
/// wait for the writer).
#[derive(Debug, Clone)]
pub(super) struct Sqlite {
    pub(super) pool: SqlitePool,
    writer: mpsc::Sender<WriteJob>,
}

/// Work for the single writer: account batches (grouped into one transaction) or any other
/// write (run on its own, between group commits).
enum WriteJob {
    Batch(AccountBatch),
    Other(OtherWrite),
}

/// A write other than an account batch: runs on the writer's connection and answers its caller.
type OtherWrite = Box<dyn FnOnce(&mut rusqlite::Connection) + Send>;

impl Sqlite {
    /// Opens (creating if needed) `data_dir/coinswarm.sqlite` and applies pending migrations.
    /// The directory and the database's files are private to the owner ([`private_files`]).
    pub(super) async fn open(
        data_dir: &Path,
        clock: SharedClock,
        commits: Arc<Mutex<CommitStats>>,
    ) -> anyhow::Result<Self> {
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
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .with_context(|| format!("cannot migrate {}", path.display()))?;
        // The group commit keeps its own connection: its page cache stays warm with the
        // tables' tails it appends to, instead of a cold pooled connection per commit.
        let writer_connection = open_writer(&path)?;
        let (writer, jobs) = mpsc::channel(WRITE_QUEUE);
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || group_commit(writer_connection, jobs, commits, clock))
            .context("cannot start the store's writer thread")?;
        tokio::spawn(backfill_wal(pool.clone(), writer.downgrade()));
        Ok(Self { pool, writer })
    }

    /// Hands a batch to the next group commit and waits until it is durable.
    pub(super) async fn group_write(
        &self,
        batch: AccountBatch,
        done: oneshot::Receiver<Result<(), String>>,
    ) -> anyhow::Result<()> {
        self.writer.send(WriteJob::Batch(batch)).await.map_err(|_| writer_stopped())?;
        done.await.map_err(|_| writer_stopped())?.map_err(|e| anyhow::anyhow!(e))
    }

    /// Runs `write` on the single writer's connection, between group commits, and returns
    /// its result. Every write goes through here or the group commit: a second writing
    /// connection would contend for SQLite's write lock, and the loser sleeps in SQLite's
    /// busy handler (milliseconds at a time) while orders wait behind it.
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
        super::sql::answer(&stats, started, &mut batch, result);
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
                super::edge_outbox::append_sqlite(&tx, stream, payload, now)?;
            }
            for event in &job.analytics {
                let (min, max) = event.values.extremes();
                analytics.execute((
                    &event.dedupe_key,
                    event.metric,
                    event.time_ms,
                    event.values.sum,
                    &event.label,
                    event.values.count,
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
