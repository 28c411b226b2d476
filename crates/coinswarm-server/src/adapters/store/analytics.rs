//! The `Analytics` port on the SQL store: append numeric events, each of one account, and
//! query them aggregated by time bucket, for one account or all.

use super::SqlStore;
use super::sql::Engine;
use sqlx::AssertSqlSafe;

pub use coinswarm_api::views::AnalyticsBucket as Bucket;

/// One numeric event, or several values of one metric and label summarised; a repeated
/// `dedupe_key` is recorded once.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsEvent {
    /// The account it measures (a key sees only its own account's events).
    pub account_id: String,
    pub dedupe_key: String,
    pub metric: &'static str,
    pub time_ms: i64,
    pub label: String,
    pub values: Summary,
}

/// Count, sum and extremes of one or more values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    pub fn one(value: f64) -> Self {
        Self { count: 1, sum: value, min: value, max: value }
    }

    /// (min, max) as stored: none for a single value (they are the value).
    pub fn extremes(&self) -> (Option<f64>, Option<f64>) {
        if self.count == 1 { (None, None) } else { (Some(self.min), Some(self.max)) }
    }

    pub fn add(&mut self, value: f64) {
        self.count += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }
}

impl AnalyticsEvent {
    /// A single value of `account_id`.
    pub fn one(
        account_id: String,
        dedupe_key: String,
        metric: &'static str,
        time_ms: i64,
        value: f64,
        label: String,
    ) -> Self {
        Self { account_id, dedupe_key, metric, time_ms, label, values: Summary::one(value) }
    }
}

/// Width of the rows [`AnalyticsBuffer`] writes: values of one metric and label within one
/// second become one row (the finest bucket a query can ask for is still exact for counts,
/// sums, means and extremes).
const SUMMARY_MS: i64 = 1000;

/// Values recorded on hot paths (one per request) without touching the database: summarised
/// per metric, account, label and second in memory, and written as one row each when the post-trade
/// loop flushes. One row per order would put thousands of rows a second through the single
/// writer, between the account batches waiting for it.
#[derive(Debug)]
pub struct AnalyticsBuffer {
    pending: std::sync::Mutex<Pending>,
    /// Distinguishes this process's rows from another run's (dedupe keys must not collide).
    run: u64,
}

#[derive(Debug, Default)]
struct Pending {
    /// By (metric, account, label, second).
    summaries: std::collections::BTreeMap<(&'static str, String, String, i64), Summary>,
    flushes: u64,
}

impl Default for AnalyticsBuffer {
    fn default() -> Self {
        Self { pending: Default::default(), run: rand::random() }
    }
}

impl AnalyticsBuffer {
    /// Adds `value` of `metric` for `account_id` at `time_ms` to its second's summary.
    pub fn record(&self, metric: &'static str, account_id: &str, label: &str, time_ms: i64, value: f64) {
        let second = time_ms.div_euclid(SUMMARY_MS) * SUMMARY_MS;
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending
            .summaries
            .entry((metric, account_id.to_string(), label.to_string(), second))
            .and_modify(|s| s.add(value))
            .or_insert_with(|| Summary::one(value));
    }

    /// Records every summary at once (a second flushed twice gives two rows; queries add them).
    pub async fn flush(&self, analytics: &impl Analytics) -> anyhow::Result<()> {
        let events: Vec<AnalyticsEvent> = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.flushes += 1;
            let flush = pending.flushes;
            std::mem::take(&mut pending.summaries)
                .into_iter()
                .map(|((metric, account_id, label, second), values)| AnalyticsEvent {
                    dedupe_key: format!("summary:{:016x}:{flush}:{metric}:{account_id}:{label}:{second}", self.run),
                    account_id,
                    metric,
                    time_ms: second,
                    label,
                    values,
                })
                .collect()
        };
        analytics.record_events(&events).await
    }
}

/// The analytics port: append numeric events, query them aggregated by time bucket
/// (Analytics Engine at the edge; [`SqlStore`] on SQLite or PostgreSQL).
pub trait Analytics: Send + Sync {
    /// Records `events` all or none; events whose dedupe key was already recorded are skipped.
    fn record_events(&self, events: &[AnalyticsEvent]) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// `metric` of `account_id` (`None`: every account, and events of no known account) in
    /// `[from_ms, to_ms]` aggregated into buckets of `bucket_ms`, oldest first.
    fn query_buckets(
        &self,
        metric: &str,
        account_id: Option<&str>,
        bucket_ms: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> impl Future<Output = anyhow::Result<Vec<Bucket>>> + Send;
}

impl Analytics for SqlStore {
    async fn record_events(&self, events: &[AnalyticsEvent]) -> anyhow::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.append_analytics(events.to_vec()).await
    }

    async fn query_buckets(
        &self,
        metric: &str,
        account_id: Option<&str>,
        bucket_ms: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> anyhow::Result<Vec<Bucket>> {
        anyhow::ensure!(bucket_ms > 0, "the bucket must be positive");
        // Two statements rather than `($1 IS NULL OR account_id = $1)`: each uses its own
        // index. The same text on both engines.
        let filter = if account_id.is_some() { "account_id = $5 AND metric = $2" } else { "metric = $2" };
        let sql = format!(
            "SELECT (time / $1) * $1 AS start, CAST(SUM(samples) AS BIGINT), SUM(value), MIN(COALESCE(min_value, value)),
             MAX(COALESCE(max_value, value)) FROM analytics_events
             WHERE {filter} AND time BETWEEN $3 AND $4 GROUP BY start ORDER BY start"
        );
        type Row = (i64, i64, f64, f64, f64);
        let rows: Vec<Row> = match &self.engine {
            Engine::Sqlite(db) => {
                let query =
                    sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(bucket_ms).bind(metric).bind(from_ms).bind(to_ms);
                match account_id {
                    Some(account_id) => query.bind(account_id).fetch_all(&db.pool).await?,
                    None => query.fetch_all(&db.pool).await?,
                }
            }
            Engine::Postgres(db) => {
                let query =
                    sqlx::query_as(AssertSqlSafe(sql.as_str())).bind(bucket_ms).bind(metric).bind(from_ms).bind(to_ms);
                match account_id {
                    Some(account_id) => query.bind(account_id).fetch_all(&db.pool).await?,
                    None => query.fetch_all(&db.pool).await?,
                }
            }
        };
        Ok(rows
            .into_iter()
            .map(|(start, count, sum, min, max)| Bucket {
                start,
                count,
                sum,
                min,
                max,
                mean: sum / count.max(1) as f64,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::store::testing::each_engine;

    #[tokio::test]
    async fn events_aggregate_by_bucket_and_a_repeat_counts_once() {
        for scratch in each_engine("analytics").await {
            let (store, engine) = (&scratch.store, scratch.engine());
            let event = |key: &str, time_ms, value| {
                AnalyticsEvent::one("alice".into(), key.into(), "notional", time_ms, value, String::new())
            };
            store
                .record_events(&[event("a", 1_000, 2.0), event("b", 59_000, 4.0), event("c", 61_000, 10.0)])
                .await
                .unwrap();
            store.record_events(&[event("a", 1_000, 2.0)]).await.unwrap();
            let buckets = store.query_buckets("notional", None, 60_000, 0, 120_000).await.unwrap();
            assert_eq!(
                buckets,
                vec![
                    Bucket { start: 0, count: 2, sum: 6.0, min: 2.0, max: 4.0, mean: 3.0 },
                    Bucket { start: 60_000, count: 1, sum: 10.0, min: 10.0, max: 10.0, mean: 10.0 },
                ],
                "{engine}"
            );
            scratch.remove().await;
        }
    }

    #[tokio::test]
    async fn hot_path_values_are_written_one_row_per_metric_and_second_and_query_exactly() {
        for scratch in each_engine("analytics-summary").await {
            let (store, engine) = (&scratch.store, scratch.engine());
            let buffer = AnalyticsBuffer::default();
            for i in 0..1000_i32 {
                buffer.record("order_ack_ms", "alice", "", 10_000 + i64::from(i % 1000), f64::from(i % 10));
            }
            buffer.record("order_ack_ms", "alice", "", 11_500, 50.0);
            buffer.flush(store).await.unwrap();
            // The same second again, in a later flush: a second row that queries add up.
            buffer.record("order_ack_ms", "alice", "", 10_999, 0.5);
            buffer.flush(store).await.unwrap();
            buffer.flush(store).await.unwrap();

            assert_eq!(
                store.row_count("analytics_events").await,
                3,
                "{engine}: one row per metric and second per flush, not one per value"
            );
            let buckets = store.query_buckets("order_ack_ms", Some("alice"), 60_000, 0, 60_000).await.unwrap();
            let expected_sum = 4500.0 + 50.0 + 0.5;
            assert_eq!(
                buckets,
                vec![Bucket {
                    start: 0,
                    count: 1002,
                    sum: expected_sum,
                    min: 0.0,
                    max: 50.0,
                    mean: expected_sum / 1002.0
                }]
            );
            let seconds = store.query_buckets("order_ack_ms", None, 1_000, 0, 60_000).await.unwrap();
            assert_eq!(
                seconds.iter().map(|b| (b.start, b.count)).collect::<Vec<_>>(),
                vec![(10_000, 1001), (11_000, 1)]
            );
            scratch.remove().await;
        }
    }

    #[tokio::test]
    async fn one_accounts_events_are_queried_apart_and_every_account_together() {
        for scratch in each_engine("analytics-accounts").await {
            let (store, engine) = (&scratch.store, scratch.engine());
            let event = |account: &str, key: &str, value| {
                AnalyticsEvent::one(account.into(), key.into(), "notional", 1_000, value, String::new())
            };
            store.record_events(&[event("alice", "a", 2.0), event("bob", "b", 5.0)]).await.unwrap();
            let buffer = AnalyticsBuffer::default();
            buffer.record("notional", "alice", "", 1_000, 1.0);
            buffer.record("notional", "bob", "", 1_000, 10.0);
            buffer.flush(store).await.unwrap();

            let sum = async |account| -> f64 {
                store.query_buckets("notional", account, 60_000, 0, 60_000).await.unwrap().iter().map(|b| b.sum).sum()
            };
            assert_eq!(sum(Some("alice")).await, 3.0, "{engine}");
            assert_eq!(sum(Some("bob")).await, 15.0, "{engine}");
            assert_eq!(sum(Some("carol")).await, 0.0, "{engine}");
            assert_eq!(sum(None).await, 18.0, "{engine}");
            scratch.remove().await;
        }
    }
}
