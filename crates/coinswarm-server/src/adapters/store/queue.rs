//! The `Queue` port on the SQL store: durable, at-least-once, with leases, retries with
//! exponential backoff and a dead-letter state. Consumers must be idempotent (a job whose
//! lease expires before its ack is delivered again).

use super::SqlStore;
use super::sql::Engine;
use sqlx::Row;

/// A leased job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub topic: String,
    pub dedupe_key: String,
    pub payload: String,
    /// Deliveries so far, this one included.
    pub attempts: i64,
}

/// Retry delay after `attempts` failed deliveries: 100 ms doubling, at most a minute.
pub fn backoff_ms(attempts: i64) -> i64 {
    (100i64 << attempts.clamp(0, 20)).min(60_000)
}

/// The queue port: durable, at-least-once delivery with leases, retries with backoff and
/// dead letters (Cloudflare Queues at the edge; [`SqlStore`] on SQLite or PostgreSQL).
pub trait Queue: Send + Sync {
    /// Enqueues a job unless one with the same dedupe key exists; returns whether it was added.
    fn enqueue(
        &self,
        topic: &str,
        dedupe_key: &str,
        payload: &str,
        max_attempts: i64,
        now_ms: i64,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
    /// Leases up to `max` ready jobs of `topic` for `lease_ms`, oldest first.
    fn lease(
        &self,
        topic: &str,
        max: i64,
        lease_ms: i64,
        now_ms: i64,
    ) -> impl Future<Output = anyhow::Result<Vec<Job>>> + Send;
    /// Marks a leased job done.
    fn ack(&self, id: i64) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Records a failed delivery: retried after a backoff, or dead-lettered after its last attempt.
    fn fail(&self, job: &Job, error: &str, now_ms: i64) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Jobs of `topic` not yet done or dead.
    fn queue_depth(&self, topic: &str) -> impl Future<Output = anyhow::Result<i64>> + Send;
    /// Dead-lettered jobs of `topic`: (dedupe key, last error).
    fn dead_letters(&self, topic: &str) -> impl Future<Output = anyhow::Result<Vec<(String, String)>>> + Send;
}

impl Queue for SqlStore {
    async fn enqueue(
        &self,
        topic: &str,
        dedupe_key: &str,
        payload: &str,
        max_attempts: i64,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        match &self.engine {
            Engine::Sqlite(db) => {
                let (topic, dedupe_key, payload) = (topic.to_string(), dedupe_key.to_string(), payload.to_string());
                db.write(move |c| {
                    let inserted = c
                        .prepare_cached(
                            "INSERT OR IGNORE INTO queue_jobs (topic, dedupe_key, payload, max_attempts, available_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                        )?
                        .execute((topic, dedupe_key, payload, max_attempts, now_ms))?;
                    Ok(inserted == 1)
                })
                .await
            }
            Engine::Postgres(db) => {
                let inserted = sqlx::query(
                    "INSERT INTO queue_jobs (topic, dedupe_key, payload, max_attempts, available_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (dedupe_key) DO NOTHING",
                )
                .bind(topic)
                .bind(dedupe_key)
                .bind(payload)
                .bind(max_attempts)
                .bind(now_ms)
                .execute(&db.pool)
                .await?;
                Ok(inserted.rows_affected() == 1)
            }
        }
    }

    /// Leases up to `max` ready jobs of `topic` for `lease_ms`, oldest first.
    async fn lease(&self, topic: &str, max: i64, lease_ms: i64, now_ms: i64) -> anyhow::Result<Vec<Job>> {
        let mut jobs = match &self.engine {
            Engine::Sqlite(db) => {
                // Reading first spares the writer when nothing is ready (the usual case).
                let ready: bool = sqlx::query_scalar(READY).bind(topic).bind(now_ms).fetch_one(&db.pool).await?;
                if !ready {
                    return Ok(Vec::new());
                }
                let topic = topic.to_string();
                db.write(move |c| {
                    let mut lease = c.prepare_cached(
                        "UPDATE queue_jobs SET leased_until = ?1, attempts = attempts + 1 WHERE id IN (
                         SELECT id FROM queue_jobs WHERE topic = ?2 AND state = 'ready' AND available_at <= ?3
                         AND (leased_until IS NULL OR leased_until <= ?3) ORDER BY id LIMIT ?4)
                         RETURNING id, topic, dedupe_key, payload, attempts",
                    )?;
                    let jobs = lease
                        .query_map((now_ms + lease_ms, topic, now_ms, max), |r| {
                            Ok(Job {
                                id: r.get(0)?,
                                topic: r.get(1)?,
                                dedupe_key: r.get(2)?,
                                payload: r.get(3)?,
                                attempts: r.get(4)?,
                            })
                        })?
                        .collect::<Result<Vec<Job>, _>>()?;
                    Ok(jobs)
                })
                .await?
            }
            Engine::Postgres(db) => {
                let ready: bool = sqlx::query_scalar(READY).bind(topic).bind(now_ms).fetch_one(&db.pool).await?;
                if !ready {
                    return Ok(Vec::new());
                }
                // SKIP LOCKED: consumers in other processes lease other jobs instead of waiting.
                let rows = sqlx::query(
                    "UPDATE queue_jobs SET leased_until = $1, attempts = attempts + 1 WHERE id IN (
                     SELECT id FROM queue_jobs WHERE topic = $2 AND state = 'ready' AND available_at <= $3
                     AND (leased_until IS NULL OR leased_until <= $3) ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
                     RETURNING id, topic, dedupe_key, payload, attempts",
                )
                .bind(now_ms + lease_ms)
                .bind(topic)
                .bind(now_ms)
                .bind(max)
                .fetch_all(&db.pool)
                .await?;
                rows.iter()
                    .map(|r| Job {
                        id: r.get(0),
                        topic: r.get(1),
                        dedupe_key: r.get(2),
                        payload: r.get(3),
                        attempts: r.get(4),
                    })
                    .collect()
            }
        };
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Marks a leased job done.
    async fn ack(&self, id: i64) -> anyhow::Result<()> {
        match &self.engine {
            Engine::Sqlite(db) => {
                db.write(move |c| {
                    c.prepare_cached("UPDATE queue_jobs SET state = 'done', leased_until = NULL WHERE id = ?1")?
                        .execute([id])?;
                    Ok(())
                })
                .await
            }
            Engine::Postgres(db) => {
                sqlx::query("UPDATE queue_jobs SET state = 'done', leased_until = NULL WHERE id = $1")
                    .bind(id)
                    .execute(&db.pool)
                    .await?;
                Ok(())
            }
        }
    }

    /// Records a failed delivery: retried after a backoff, or dead-lettered after its last attempt.
    async fn fail(&self, job: &Job, error: &str, now_ms: i64) -> anyhow::Result<()> {
        let (available_at, id) = (now_ms + backoff_ms(job.attempts), job.id);
        match &self.engine {
            Engine::Sqlite(db) => {
                let error = error.to_string();
                db.write(move |c| {
                    c.prepare_cached(
                        "UPDATE queue_jobs SET leased_until = NULL, last_error = ?1, available_at = ?2,
                         state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END WHERE id = ?3",
                    )?
                    .execute((error, available_at, id))?;
                    Ok(())
                })
                .await
            }
            Engine::Postgres(db) => {
                sqlx::query(
                    "UPDATE queue_jobs SET leased_until = NULL, last_error = $1, available_at = $2,
                     state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END WHERE id = $3",
                )
                .bind(error)
                .bind(available_at)
                .bind(id)
                .execute(&db.pool)
                .await?;
                Ok(())
            }
        }
    }

    /// Jobs of `topic` not yet done or dead.
    async fn queue_depth(&self, topic: &str) -> anyhow::Result<i64> {
        const SQL: &str = "SELECT COUNT(*) FROM queue_jobs WHERE topic = $1 AND state = 'ready'";
        Ok(match &self.engine {
            Engine::Sqlite(db) => sqlx::query_scalar(SQL).bind(topic).fetch_one(&db.pool).await?,
            Engine::Postgres(db) => sqlx::query_scalar(SQL).bind(topic).fetch_one(&db.pool).await?,
        })
    }

    /// Dead-lettered jobs of `topic`: (dedupe key, last error).
    async fn dead_letters(&self, topic: &str) -> anyhow::Result<Vec<(String, String)>> {
        const SQL: &str = "SELECT dedupe_key, COALESCE(last_error, '') FROM queue_jobs WHERE topic = $1 AND state = 'dead' ORDER BY id";
        Ok(match &self.engine {
            Engine::Sqlite(db) => sqlx::query_as(SQL).bind(topic).fetch_all(&db.pool).await?,
            Engine::Postgres(db) => sqlx::query_as(SQL).bind(topic).fetch_all(&db.pool).await?,
        })
    }
}

/// Whether a job of `$1` is ready at `$2` (the same text on both engines).
const READY: &str =
    "SELECT EXISTS (SELECT 1 FROM queue_jobs WHERE topic = $1 AND state = 'ready' AND available_at <= $2
     AND (leased_until IS NULL OR leased_until <= $2))";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::store::testing::each_engine;

    #[tokio::test]
    async fn jobs_are_leased_once_redelivered_after_the_lease_and_acked_for_good() {
        for scratch in each_engine("queue-lease").await {
            let (store, engine) = (&scratch.store, scratch.engine());
            assert!(store.enqueue("t", "a", "{}", 3, 0).await.unwrap());
            assert!(
                !store.enqueue("t", "a", "{}", 3, 0).await.unwrap(),
                "{engine}: the dedupe key makes enqueue idempotent"
            );
            let jobs = store.lease("t", 10, 1000, 0).await.unwrap();
            assert_eq!((jobs.len(), jobs[0].attempts), (1, 1), "{engine}");
            assert!(
                store.lease("t", 10, 1000, 500).await.unwrap().is_empty(),
                "{engine}: leased, not delivered twice at once"
            );
            let again = store.lease("t", 10, 1000, 1000).await.unwrap();
            assert_eq!(again[0].attempts, 2, "{engine}: an expired lease delivers the job again");
            store.ack(again[0].id).await.unwrap();
            assert!(store.lease("t", 10, 1000, 10_000).await.unwrap().is_empty(), "{engine}");
            assert_eq!(store.queue_depth("t").await.unwrap(), 0, "{engine}");
            scratch.remove().await;
        }
    }

    #[tokio::test]
    async fn failures_back_off_and_the_last_attempt_goes_to_the_dead_letters() {
        for scratch in each_engine("queue-dead").await {
            let (store, engine) = (&scratch.store, scratch.engine());
            store.enqueue("t", "b", "{}", 2, 0).await.unwrap();
            let job = store.lease("t", 1, 1000, 0).await.unwrap().remove(0);
            store.fail(&job, "boom", 0).await.unwrap();
            assert!(
                store.lease("t", 1, 1000, backoff_ms(1) - 1).await.unwrap().is_empty(),
                "{engine}: not before the backoff"
            );
            let job = store.lease("t", 1, 1000, backoff_ms(1)).await.unwrap().remove(0);
            store.fail(&job, "boom again", backoff_ms(1)).await.unwrap();
            assert!(store.lease("t", 1, 1000, 1_000_000).await.unwrap().is_empty(), "{engine}");
            assert_eq!(
                store.dead_letters("t").await.unwrap(),
                vec![("b".to_string(), "boom again".to_string())],
                "{engine}"
            );
            scratch.remove().await;
        }
    }

    #[tokio::test]
    async fn two_consumers_leasing_at_once_never_get_the_same_job() {
        for scratch in each_engine("queue-race").await {
            let (store, engine) = (&scratch.store, scratch.engine());
            for n in 0..40 {
                store.enqueue("t", &format!("job-{n}"), "{}", 3, 0).await.unwrap();
            }
            let (a, b) = tokio::join!(store.lease("t", 25, 60_000, 0), store.lease("t", 25, 60_000, 0));
            let mut ids: Vec<i64> = a.unwrap().iter().chain(b.unwrap().iter()).map(|j| j.id).collect();
            let leased = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!((ids.len(), leased), (40, 40), "{engine}: every job leased once between the two");
            scratch.remove().await;
        }
    }
}
