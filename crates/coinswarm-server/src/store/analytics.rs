//! The `Analytics` port on the SQL store: append numeric events, query them aggregated by
//! time bucket.

use super::SqlStore;
use serde::Serialize;
use sqlx::Row;

/// One time bucket of one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Bucket start, ms since the Unix epoch.
    pub start: i64,
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
}

/// One numeric event; a repeated `dedupe_key` is recorded once.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsEvent {
    pub dedupe_key: String,
    pub metric: &'static str,
    pub time_ms: i64,
    pub value: f64,
    pub label: String,
}

/// Events waiting to be recorded together (a hot path records without touching the
/// database; the post-trade loop flushes).
#[derive(Debug, Default)]
pub struct AnalyticsBuffer {
    events: std::sync::Mutex<Vec<AnalyticsEvent>>,
}

impl AnalyticsBuffer {
    pub fn push(&self, event: AnalyticsEvent) {
        self.events.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }

    /// Records every buffered event at once.
    pub async fn flush(&self, analytics: &impl Analytics) -> anyhow::Result<()> {
        let events = std::mem::take(&mut *self.events.lock().unwrap_or_else(|p| p.into_inner()));
        analytics.record_events(&events).await
    }
}

/// The analytics port: append numeric events, query them aggregated by time bucket
/// (Analytics Engine at the edge; [`SqlStore`] embedded).
pub trait Analytics: Send + Sync {
    /// Records `events` all or none; events whose dedupe key was already recorded are skipped.
    fn record_events(&self, events: &[AnalyticsEvent]) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// `metric` in `[from_ms, to_ms]` aggregated into buckets of `bucket_ms`, oldest first.
    fn query_buckets(
        &self,
        metric: &str,
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
        bucket_ms: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> anyhow::Result<Vec<Bucket>> {
        anyhow::ensure!(bucket_ms > 0, "the bucket must be positive");
        let rows = sqlx::query(
            "SELECT (time / ?) * ? AS start, COUNT(*), SUM(value), MIN(value), MAX(value) FROM analytics_events
             WHERE metric = ? AND time BETWEEN ? AND ? GROUP BY start ORDER BY start",
        )
        .bind(bucket_ms)
        .bind(bucket_ms)
        .bind(metric)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let (count, sum): (i64, f64) = (r.get(1), r.get(2));
                Bucket { start: r.get(0), count, sum, min: r.get(3), max: r.get(4), mean: sum / count.max(1) as f64 }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_aggregate_by_bucket_and_a_repeat_counts_once() {
        let dir = std::env::temp_dir().join(format!("coinswarm-analytics-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqlStore::open(&dir).await.unwrap();
        let event = |key: &str, time_ms, value| AnalyticsEvent {
            dedupe_key: key.into(),
            metric: "notional",
            time_ms,
            value,
            label: String::new(),
        };
        store
            .record_events(&[event("a", 1_000, 2.0), event("b", 59_000, 4.0), event("c", 61_000, 10.0)])
            .await
            .unwrap();
        store.record_events(&[event("a", 1_000, 2.0)]).await.unwrap();
        let buckets = store.query_buckets("notional", 60_000, 0, 120_000).await.unwrap();
        assert_eq!(
            buckets,
            vec![
                Bucket { start: 0, count: 2, sum: 6.0, min: 2.0, max: 4.0, mean: 3.0 },
                Bucket { start: 60_000, count: 1, sum: 10.0, min: 10.0, max: 10.0, mean: 10.0 },
            ]
        );
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
