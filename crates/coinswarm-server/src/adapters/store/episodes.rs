//! The episode store port on the SQL store: pattern memory's source of truth (episodes and
//! the audit log of learned patterns), from which the vector index is rebuilt.

use super::SqlStore;
use anyhow::Context;
use coinswarm_api::edge::streams;
use coinswarm_core::memory::episode::{state_from_bytes, state_to_bytes};
use coinswarm_core::memory::{AuditRecord, Episode, Pattern};
use sqlx::Row;

pub use coinswarm_api::views::EpisodeCount;

/// Where episodes and the audit log are kept.
pub trait EpisodeStore: Send + Sync {
    /// Stores new episodes (an id already stored is refused, nothing is written).
    fn record_episodes(&self, episodes: &[Episode]) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Sets an episode's outcome; returns whether the episode exists.
    fn set_outcome(&self, id: &str, outcome: f64) -> impl Future<Output = anyhow::Result<bool>> + Send;
    /// Every episode, oldest first (ties by id).
    fn episodes(&self) -> impl Future<Output = anyhow::Result<Vec<Episode>>> + Send;
    /// Appends audit records (their chain is the caller's).
    fn append_audit(&self, records: &[AuditRecord]) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// The whole audit log in order.
    fn audit_log(&self) -> impl Future<Output = anyhow::Result<Vec<AuditRecord>>> + Send;
    /// Stores these patterns, replacing any with the same id.
    fn save_patterns(&self, patterns: &[Pattern]) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Every pattern, in the order first stored.
    fn patterns(&self) -> impl Future<Output = anyhow::Result<Vec<Pattern>>> + Send;
    /// Episodes counted per product and regime (without reading their states).
    fn episode_counts(&self) -> impl Future<Output = anyhow::Result<Vec<EpisodeCount>>> + Send;
    /// Records in the audit log.
    fn audit_len(&self) -> impl Future<Output = anyhow::Result<u64>> + Send;
    /// The product's latest episode decided at or before `at_ms`, if any.
    fn episode_at_or_before(
        &self,
        product_id: &str,
        at_ms: i64,
    ) -> impl Future<Output = anyhow::Result<Option<Episode>>> + Send;
}

fn episode_of_row(r: &sqlx::sqlite::SqliteRow) -> anyhow::Result<Episode> {
    let id: String = r.get(0);
    let bytes: Vec<u8> = r.get(6);
    let state = state_from_bytes(&bytes).with_context(|| format!("episode {id}'s state is damaged"))?;
    Ok(Episode {
        product_id: r.get(1),
        time_ms: r.get(2),
        horizon_end_ms: r.get(3),
        regime: r.get(4),
        action: r.get(5),
        state,
        outcome: r.get(7),
        price: r.get::<Option<f64>, _>(8).unwrap_or(0.0),
        id,
    })
}

impl EpisodeStore for SqlStore {
    async fn record_episodes(&self, episodes: &[Episode]) -> anyhow::Result<()> {
        let episodes = episodes.to_vec();
        let (to_edge, now) = (self.publishes_to_edge(), self.now_ms());
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO episodes (id, product_id, time, horizon_end, regime, action, state, outcome, price)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                for e in &episodes {
                    insert
                        .execute((
                            &e.id,
                            &e.product_id,
                            e.time_ms,
                            e.horizon_end_ms,
                            &e.regime,
                            &e.action,
                            state_to_bytes(&e.state),
                            e.outcome,
                            e.price,
                        ))
                        .with_context(|| format!("cannot store episode {}", e.id))?;
                }
            }
            if to_edge {
                // Recorded (outcome unknown), with its state: the edge's vector index keeps
                // every state, so that it can search from the latest.
                for e in &episodes {
                    super::edge_outbox::append(&tx, streams::EPISODES, &serde_json::to_string(e)?, now)?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn set_outcome(&self, id: &str, outcome: f64) -> anyhow::Result<bool> {
        anyhow::ensure!(outcome.is_finite(), "an outcome must be a finite number");
        let id = id.to_string();
        let (to_edge, now) = (self.publishes_to_edge(), self.now_ms());
        self.write(move |c| {
            let tx = c.transaction()?;
            let resolved = tx.prepare_cached("UPDATE episodes SET outcome = ?1 WHERE id = ?2")?.execute((outcome, &id))? == 1;
            if resolved && to_edge {
                // The episode again, resolved.
                let episode = tx
                    .prepare_cached(
                        "SELECT id, product_id, time, horizon_end, regime, action, state, outcome, price FROM episodes WHERE id = ?1",
                    )?
                    .query_row([&id], |r| {
                        Ok(Episode {
                            id: r.get(0)?,
                            product_id: r.get(1)?,
                            time_ms: r.get(2)?,
                            horizon_end_ms: r.get(3)?,
                            regime: r.get(4)?,
                            action: r.get(5)?,
                            state: state_from_bytes(&r.get::<_, Vec<u8>>(6)?).unwrap_or_default(),
                            outcome: r.get(7)?,
                            price: r.get::<_, Option<f64>>(8)?.unwrap_or(0.0),
                        })
                    })?;
                super::edge_outbox::append(&tx, streams::EPISODES, &serde_json::to_string(&episode)?, now)?;
            }
            tx.commit()?;
            Ok(resolved)
        })
        .await
    }

    async fn episodes(&self) -> anyhow::Result<Vec<Episode>> {
        let rows = sqlx::query(
            "SELECT id, product_id, time, horizon_end, regime, action, state, outcome, price FROM episodes ORDER BY time, id",
        )
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(episode_of_row).collect()
    }

    async fn episode_at_or_before(&self, product_id: &str, at_ms: i64) -> anyhow::Result<Option<Episode>> {
        let row = sqlx::query(
            "SELECT id, product_id, time, horizon_end, regime, action, state, outcome, price FROM episodes
             WHERE product_id = ?1 AND time <= ?2 ORDER BY time DESC, id DESC LIMIT 1",
        )
        .bind(product_id)
        .bind(at_ms)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(episode_of_row).transpose()
    }

    async fn append_audit(&self, records: &[AuditRecord]) -> anyhow::Result<()> {
        let records = records.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO memory_audit (seq, time, kind, payload, previous_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for r in &records {
                    insert.execute((r.seq as i64, r.time_ms, &r.kind, &r.payload, &r.previous_hash, &r.hash))?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn audit_log(&self) -> anyhow::Result<Vec<AuditRecord>> {
        let rows = sqlx::query("SELECT seq, time, kind, payload, previous_hash, hash FROM memory_audit ORDER BY seq")
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(|r| AuditRecord {
                seq: r.get::<i64, _>(0) as u64,
                time_ms: r.get(1),
                kind: r.get(2),
                payload: r.get(3),
                previous_hash: r.get(4),
                hash: r.get(5),
            })
            .collect())
    }

    async fn save_patterns(&self, patterns: &[Pattern]) -> anyhow::Result<()> {
        let rows: Vec<(Pattern, String)> =
            patterns.iter().map(|p| Ok((p.clone(), serde_json::to_string(p)?))).collect::<anyhow::Result<_>>()?;
        let (to_edge, now) = (self.publishes_to_edge(), self.now_ms());
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO patterns (id, product_id, lifecycle, weight, body, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (id) DO UPDATE SET lifecycle = excluded.lifecycle, weight = excluded.weight,
                     body = excluded.body, updated = excluded.updated",
                )?;
                for (p, body) in &rows {
                    let lifecycle = serde_json::to_value(p.lifecycle)?.as_str().unwrap_or_default().to_string();
                    upsert.execute((&p.id, &p.product_id, lifecycle, p.weight, body, p.updated_ms))?;
                }
            }
            if to_edge {
                for (_, body) in &rows {
                    super::edge_outbox::append(&tx, streams::PATTERNS, body, now)?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn patterns(&self) -> anyhow::Result<Vec<Pattern>> {
        let rows = sqlx::query("SELECT id, body FROM patterns ORDER BY rowid").fetch_all(self.pool()).await?;
        rows.iter()
            .map(|r| {
                let id: String = r.get(0);
                let body: String = r.get(1);
                serde_json::from_str(&body).with_context(|| format!("pattern {id} is damaged"))
            })
            .collect()
    }

    async fn episode_counts(&self) -> anyhow::Result<Vec<EpisodeCount>> {
        let rows = sqlx::query(
            "SELECT product_id, regime, COUNT(*), COUNT(outcome) FROM episodes GROUP BY product_id, regime
             ORDER BY product_id, regime",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|r| EpisodeCount {
                product_id: r.get(0),
                regime: r.get(1),
                episodes: r.get::<i64, _>(2) as u64,
                resolved: r.get::<i64, _>(3) as u64,
            })
            .collect())
    }

    async fn audit_len(&self) -> anyhow::Result<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memory_audit").fetch_one(self.pool()).await?;
        Ok(count as u64)
    }
}
