//! The PostgreSQL engine (`--database-url postgres://…`): a pool of connections, migrations
//! from `migrations/postgres` (the same versions, tables and columns as SQLite's), and a
//! group commit that writes every account batch waiting in one transaction: every table's
//! rows in one statement (`UNNEST` of arrays in data-modifying CTEs), so a commit is one
//! round trip and one WAL flush.
//!
//! Ownership of accounts across processes is [`super::ownership`]'s; it holds its own
//! connection.

use super::ownership::Owners;
use super::sql::{
    AccountBatch, CommitStats, POST_TRADE, POST_TRADE_ATTEMPTS, WRITE_QUEUE, redact_password, writer_stopped,
};
use crate::clock::SharedClock;
use anyhow::Context;
use sqlx::Connection;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Connections in the pool at most (reads, other writes, and one held by each committer).
const POOL_CONNECTIONS: u32 = 8;
/// Group commits in flight at once, each on its own connection. PostgreSQL commits
/// concurrent transactions in parallel (and flushes their WAL together), so a batch that
/// arrives during a commit starts at once instead of waiting for it: with one, the
/// acknowledgement of such a batch took up to two commits. An account has at most one batch
/// in flight (its session waits for each commit), so its rows keep their order.
const COMMITTERS: usize = 2;
/// How long a statement waits for a free connection, or a new one to open, before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The PostgreSQL engine of a [`super::SqlStore`].
#[derive(Debug, Clone)]
pub(super) struct Postgres {
    pub(super) pool: PgPool,
    writer: mpsc::Sender<AccountBatch>,
    /// The accounts this process owns (advisory locks on their own connection).
    pub(super) owners: Owners,
}

impl Postgres {
    /// Connects to `url`, applies pending migrations (sqlx holds an advisory lock while it
    /// migrates, so two processes starting together do not both apply one) and starts the
    /// group commit.
    pub(super) async fn connect(
        url: &str,
        clock: SharedClock,
        commits: Arc<Mutex<CommitStats>>,
    ) -> anyhow::Result<Self> {
        let shown = redact_password(url);
        let options = PgConnectOptions::from_str(url)
            .with_context(|| format!("'{shown}' is not a valid PostgreSQL URL"))?
            .application_name("coinswarm");
        let pool = PgPoolOptions::new()
            .max_connections(POOL_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {shown}"))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .with_context(|| format!("cannot migrate PostgreSQL at {shown}"))?;
        let (writer, jobs) = mpsc::channel(WRITE_QUEUE);
        let jobs = Arc::new(tokio::sync::Mutex::new(jobs));
        let owners = Owners::new(options);
        for _ in 0..COMMITTERS {
            let committer = group_commit(pool.clone(), owners.clone(), jobs.clone(), commits.clone(), clock.clone());
            tokio::spawn(committer);
        }
        Ok(Self { pool, writer, owners })
    }

    /// Hands a batch to the next group commit and waits until it is durable.
    pub(super) async fn group_write(
        &self,
        batch: AccountBatch,
        done: oneshot::Receiver<Result<(), String>>,
    ) -> anyhow::Result<()> {
        self.writer.send(batch).await.map_err(|_| writer_stopped())?;
        done.await.map_err(|_| writer_stopped())?.map_err(|e| anyhow::anyhow!(e))
    }

    /// Releases the accounts this process owns and closes the pool.
    pub(super) async fn close(&self) {
        self.owners.release_all().await;
        self.pool.close().await;
    }
}

/// The group commit: takes every batch waiting, writes them in one transaction, commits (one
/// WAL flush, `synchronous_commit` as the server has it: on by default), then answers each.
/// A failed transaction fails every batch in it (none is kept). Ends when every sender is gone
/// or the pool is closed.
///
/// Each committer keeps one connection of the pool for itself: no acquire and no liveness
/// ping before each commit (the pool's check is a round trip of its own, as long as the
/// commit's statement here), and its prepared statement stays on it. After a failed commit it
/// gives the connection back and takes a checked one for the next.
async fn group_commit(
    pool: PgPool,
    owners: Owners,
    jobs: Arc<tokio::sync::Mutex<mpsc::Receiver<AccountBatch>>>,
    stats: Arc<Mutex<CommitStats>>,
    clock: SharedClock,
) {
    let mut batch = Vec::with_capacity(WRITE_QUEUE);
    let mut connection: Option<PoolConnection<sqlx::Postgres>> = None;
    loop {
        // The other committer takes what arrives while this one writes. Closing the pool
        // waits for every connection to come back: the held one goes back then.
        let received = tokio::select! {
            received = gather(&jobs, &mut batch) => received,
            () = pool.close_event() => 0,
        };
        if received == 0 {
            return;
        }
        let started = std::time::Instant::now();
        let result = match connection.as_mut() {
            Some(held) => Ok(held),
            None => pool.acquire().await.map(|fresh| connection.insert(fresh)),
        };
        let result = match result {
            Ok(held) => write_jobs(held, &owners, &batch, clock.now().millis()).await,
            Err(error) => Err(anyhow::Error::new(error).context("no PostgreSQL connection for the group commit")),
        };
        if result.is_err() {
            connection = None;
        }
        super::sql::answer(&stats, started, &mut batch, result.map_err(|e| format!("{e:#}")));
    }
}

/// Takes the batches waiting (at least one, unless every sender is gone). When that is fewer
/// than a full commit, it first lets every task that is ready run once (sessions acknowledging
/// orders hand their batches in as they go) and takes what they sent too: a commit costs
/// PostgreSQL a round trip and a WAL flush whatever it holds, so fewer, fuller commits leave
/// the shared cores to the orders. It waits on nothing else (no timer).
async fn gather(jobs: &tokio::sync::Mutex<mpsc::Receiver<AccountBatch>>, batch: &mut Vec<AccountBatch>) -> usize {
    let mut jobs = jobs.lock().await;
    let received = jobs.recv_many(batch, WRITE_QUEUE).await;
    if received == 0 || batch.len() >= WRITE_QUEUE {
        return received;
    }
    tokio::task::yield_now().await;
    while batch.len() < WRITE_QUEUE {
        match jobs.try_recv() {
            Ok(more) => batch.push(more),
            Err(_) => break,
        }
    }
    batch.len()
}

/// Every table's rows of a group commit in one statement (data-modifying CTEs over arrays):
/// one round trip, and on its own one transaction with one durable commit. The fence ($22,
/// $23: the accounts written for and this process's tokens for them) holds their
/// `account_owners` rows while the statement commits, and fails it whole when another
/// process has taken one of them since (an account's new owner raises the token, waiting for
/// a commit holding the row, before it reads the account's log).
const WRITE_ROWS: &str = "WITH
 events AS (INSERT INTO account_events (account_id, seq, time, event)
   SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::text[])),
 jobs AS (INSERT INTO queue_jobs (topic, dedupe_key, payload, max_attempts, available_at, created_at)
   SELECT $5, k, p, $8, $9, $9 FROM UNNEST($6::text[], $7::text[]) WITH ORDINALITY AS t(k, p, n) ORDER BY n
   ON CONFLICT (dedupe_key) DO NOTHING),
 records AS (INSERT INTO decisions (account_id, time, record)
   SELECT a, t, r FROM UNNEST($10::text[], $11::bigint[], $12::text[]) WITH ORDINALITY AS u(a, t, r, n) ORDER BY n),
 analytics AS (INSERT INTO analytics_events (dedupe_key, metric, time, value, label, samples, min_value, max_value, account_id)
   SELECT * FROM UNNEST($13::text[], $14::text[], $15::bigint[], $16::float8[], $17::text[], $18::bigint[],
                        $19::float8[], $20::float8[], $21::text[])
   ON CONFLICT (dedupe_key) DO NOTHING),
 held AS (SELECT o.account_id FROM account_owners o
   JOIN UNNEST($22::text[], $23::bigint[]) AS f(a, t) ON o.account_id = f.a AND o.token = f.t
   FOR SHARE OF o),
 fence AS (SELECT coinswarm_fence((SELECT count(*) FROM held) = cardinality($22::text[]), $22::text[]) AS held)
SELECT held FROM fence";

/// Writes every batch's rows in one transaction: [`WRITE_ROWS`] alone (a decision's id is its
/// place in the log: rows go in the order given), or with the edge outbox's numbering in an
/// explicit transaction when there are events to publish.
async fn write_jobs(
    connection: &mut PgConnection,
    owners: &Owners,
    jobs: &[AccountBatch],
    now: i64,
) -> anyhow::Result<()> {
    let (mut accounts, mut seqs, mut times, mut bodies) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut job_keys, mut job_payloads) = (Vec::new(), Vec::new());
    let (mut decision_accounts, mut decision_times, mut records) = (Vec::new(), Vec::new(), Vec::new());
    // By stream name: concurrent commits lock the streams' rows in one order (no deadlock).
    let mut published: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for job in jobs {
        for (seq, time, json) in &job.events {
            accounts.push(job.account_id.as_str());
            seqs.push(*seq);
            times.push(*time);
            bodies.push(json.as_str());
        }
        for (dedupe_key, payload) in &job.outbox {
            job_keys.push(dedupe_key.as_str());
            job_payloads.push(payload.as_str());
        }
        for (time, record) in &job.decisions {
            decision_accounts.push(job.account_id.as_str());
            decision_times.push(*time);
            records.push(record.as_str());
        }
        for (stream, payload) in &job.published {
            published.entry(stream).or_default().push(payload);
        }
    }
    let (fenced, tokens) = owners.fences(accounts.iter().chain(&decision_accounts).copied());
    let analytics: Vec<_> = jobs.iter().flat_map(|job| &job.analytics).collect();
    let extremes: Vec<_> = analytics.iter().map(|e| e.values.extremes()).collect();
    let rows = sqlx::query(WRITE_ROWS)
        .bind(&accounts)
        .bind(&seqs)
        .bind(&times)
        .bind(&bodies)
        .bind(POST_TRADE)
        .bind(&job_keys)
        .bind(&job_payloads)
        .bind(POST_TRADE_ATTEMPTS)
        .bind(now)
        .bind(&decision_accounts)
        .bind(&decision_times)
        .bind(&records)
        .bind(analytics.iter().map(|e| e.dedupe_key.as_str()).collect::<Vec<_>>())
        .bind(analytics.iter().map(|e| e.metric).collect::<Vec<_>>())
        .bind(analytics.iter().map(|e| e.time_ms).collect::<Vec<_>>())
        .bind(analytics.iter().map(|e| e.values.sum).collect::<Vec<_>>())
        .bind(analytics.iter().map(|e| e.label.as_str()).collect::<Vec<_>>())
        .bind(analytics.iter().map(|e| e.values.count).collect::<Vec<_>>())
        .bind(extremes.iter().map(|(min, _)| *min).collect::<Vec<_>>())
        .bind(extremes.iter().map(|(_, max)| *max).collect::<Vec<_>>())
        .bind(analytics.iter().map(|e| e.account_id.as_str()).collect::<Vec<_>>())
        .bind(&fenced)
        .bind(&tokens);
    let failed = || format!("cannot commit the batches of {}", distinct(&accounts, &decision_accounts));
    if published.is_empty() {
        rows.execute(&mut *connection).await.with_context(failed)?;
        return Ok(());
    }
    let mut tx = connection.begin().await.context("cannot begin a transaction")?;
    rows.execute(&mut *tx).await.with_context(failed)?;
    for (stream, payloads) in &published {
        super::edge_outbox::append_postgres(&mut tx, stream, payloads, now).await?;
    }
    tx.commit().await.with_context(failed)?;
    Ok(())
}

/// The accounts named in a group commit, once each, for an error message.
fn distinct(events: &[&str], decisions: &[&str]) -> String {
    let mut names: Vec<&str> = events.iter().chain(decisions).copied().filter(|a| !a.is_empty()).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() { "analytics".to_string() } else { names.join(", ") }
}
