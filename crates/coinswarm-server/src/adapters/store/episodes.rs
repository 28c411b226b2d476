//! The episode store port on the SQL store: pattern memory's source of truth (episodes and
//! the audit log of learned patterns), from which the vector index is rebuilt.

use super::SqlStore;
use super::sql::Engine;
use anyhow::Context;
use coinswarm_api::edge::streams;
use coinswarm_core::memory::episode::{state_from_bytes, state_to_bytes};
use coinswarm_core::memory::{AuditRecord, Episode, Pattern};
use sqlx::AssertSqlSafe;

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

/// An episode's columns, in this order, on either engine.
const EPISODE_COLUMNS: &str = "id, product_id, time, horizon_end, regime, action, state, outcome, price";
type EpisodeRow = (String, String, i64, i64, String, String, Vec<u8>, Option<f64>, Option<f64>);

fn episode_of_row(row: EpisodeRow) -> anyhow::Result<Episode> {
    let (id, product_id, time_ms, horizon_end_ms, regime, action, bytes, outcome, price) = row;
    let state = state_from_bytes(&bytes).with_context(|| format!("episode {id}'s state is damaged"))?;
    Ok(Episode { id, product_id, time_ms, horizon_end_ms, regime, action, state, outcome, price: price.unwrap_or(0.0) })
}

impl EpisodeStore for SqlStore {
    async fn record_episodes(&self, episodes: &[Episode]) -> anyhow::Result<()> {
        let episodes = episodes.to_vec();
        let (to_edge, now) = (self.publishes_to_edge(), self.now_ms());
        // Recorded (outcome unknown), with its state: the edge's vector index keeps every
        // state, so that it can search from the latest.
        let published = if to_edge {
            episodes.iter().map(serde_json::to_string).collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        match &self.engine {
            Engine::Sqlite(db) => {
                db.write(move |c| {
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
                    for body in &published {
                        super::edge_outbox::append_sqlite(&tx, streams::EPISODES, body, now)?;
                    }
                    tx.commit()?;
                    Ok(())
                })
                .await
            }
            Engine::Postgres(db) => {
                let mut tx = db.pool.begin().await?;
                for e in &episodes {
                    sqlx::query(
                        "INSERT INTO episodes (id, product_id, time, horizon_end, regime, action, state, outcome, price)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&e.id)
                    .bind(&e.product_id)
                    .bind(e.time_ms)
                    .bind(e.horizon_end_ms)
                    .bind(&e.regime)
                    .bind(&e.action)
                    .bind(state_to_bytes(&e.state))
                    .bind(e.outcome)
                    .bind(e.price)
                    .execute(&mut *tx)
                    .await
                    .with_context(|| format!("cannot store episode {}", e.id))?;
                }
                let bodies: Vec<&str> = published.iter().map(String::as_str).collect();
                super::edge_outbox::append_postgres(&mut tx, streams::EPISODES, &bodies, now).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }

    async fn set_outcome(&self, id: &str, outcome: f64) -> anyhow::Result<bool> {
        anyhow::ensure!(outcome.is_finite(), "an outcome must be a finite number");
        let (to_edge, now) = (self.publishes_to_edge(), self.now_ms());
        match &self.engine {
            Engine::Sqlite(db) => {
                let id = id.to_string();
                db.write(move |c| {
                    let tx = c.transaction()?;
                    let resolved =
                        tx.prepare_cached("UPDATE episodes SET outcome = ?1 WHERE id = ?2")?.execute((outcome, &id))?
                            == 1;
                    if resolved && to_edge {
                        // The episode again, resolved.
                        let episode = tx
                            .prepare_cached(&format!("SELECT {EPISODE_COLUMNS} FROM episodes WHERE id = ?1"))?
                            .query_row([&id], |r| {
                                Ok((
                                    r.get(0)?,
                                    r.get(1)?,
                                    r.get(2)?,
                                    r.get(3)?,
                                    r.get(4)?,
                                    r.get(5)?,
                                    r.get(6)?,
                                    r.get(7)?,
                                    r.get(8)?,
                                ))
                            })?;
                        let episode = episode_of_row(episode)?;
                        super::edge_outbox::append_sqlite(
                            &tx,
                            streams::EPISODES,
                            &serde_json::to_string(&episode)?,
                            now,
                        )?;
                    }
                    tx.commit()?;
                    Ok(resolved)
                })
                .await
            }
            Engine::Postgres(db) => {
                let mut tx = db.pool.begin().await?;
                let row: Option<EpisodeRow> = sqlx::query_as(AssertSqlSafe(format!(
                    "UPDATE episodes SET outcome = $1 WHERE id = $2 RETURNING {EPISODE_COLUMNS}"
                )))
                .bind(outcome)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else { return Ok(false) };
                if to_edge {
                    let body = serde_json::to_string(&episode_of_row(row)?)?;
                    super::edge_outbox::append_postgres(&mut tx, streams::EPISODES, &[&body], now).await?;
                }
                tx.commit().await?;
                Ok(true)
            }
        }
    }

    async fn episodes(&self) -> anyhow::Result<Vec<Episode>> {
        let sql = format!("SELECT {EPISODE_COLUMNS} FROM episodes ORDER BY time, id");
        let rows: Vec<EpisodeRow> = match &self.engine {
            Engine::Sqlite(db) => sqlx::query_as(AssertSqlSafe(sql.as_str())).fetch_all(&db.pool).await?,
            Engine::Postgres(db) => sqlx::query_as(AssertSqlSafe(sql.as_str())).fetch_all(&db.pool).await?,
        };
        rows.into_iter().map(episode_of_row).collect()
    }

    async fn episode_at_or_before(&self, product_id: &str, at_ms: i64) -> anyhow::Result<Option<Episode>> {
        let sql = format!(
            "SELECT {EPISODE_COLUMNS} FROM episodes WHERE product_id = $1 AND time <= $2 ORDER BY time DESC, id DESC LIMIT 1"
        );
        let row: Option<EpisodeRow> = match &self.engine {
            Engine::Sqlite(db) => {
                sqlx::query_as(AssertSqlSafe(sql.as_str()))
                    .bind(product_id)
                    .bind(at_ms)
                    .fetch_optional(&db.pool)
                    .await?
            }
            Engine::Postgres(db) => {
                sqlx::query_as(AssertSqlSafe(sql.as_str()))
                    .bind(product_id)
                    .bind(at_ms)
                    .fetch_optional(&db.pool)
                    .await?
            }
        };
        row.map(episode_of_row).transpose()
    }

    async fn append_audit(&self, records: &[AuditRecord]) -> anyhow::Result<()> {
        let records = records.to_vec();
        match &self.engine {
            Engine::Sqlite(db) => {
                db.write(move |c| {
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
            Engine::Postgres(db) => {
                let mut tx = db.pool.begin().await?;
                for r in &records {
                    sqlx::query(
                        "INSERT INTO memory_audit (seq, time, kind, payload, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(r.seq as i64)
                    .bind(r.time_ms)
                    .bind(&r.kind)
                    .bind(&r.payload)
                    .bind(&r.previous_hash)
                    .bind(&r.hash)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    }

    async fn audit_log(&self) -> anyhow::Result<Vec<AuditRecord>> {
        const SQL: &str = "SELECT seq, time, kind, payload, previous_hash, hash FROM memory_audit ORDER BY seq";
        let rows: Vec<(i64, i64, String, String, String, String)> = match &self.engine {
            Engine::Sqlite(db) => sqlx::query_as(SQL).fetch_all(&db.pool).await?,
            Engine::Postgres(db) => sqlx::query_as(SQL).fetch_all(&db.pool).await?,
        };
        Ok(rows
            .into_iter()
            .map(|(seq, time_ms, kind, payload, previous_hash, hash)| AuditRecord {
                seq: seq as u64,
                time_ms,
                kind,
                payload,
                previous_hash,
                hash,
            })
            .collect())
    }

    async fn save_patterns(&self, patterns: &[Pattern]) -> anyhow::Result<()> {
        let mut rows = Vec::with_capacity(patterns.len());
        for p in patterns {
            let lifecycle = serde_json::to_value(p.lifecycle)?.as_str().unwrap_or_default().to_string();
            rows.push((
                p.id.clone(),
                p.product_id.clone(),
                lifecycle,
                p.weight,
                serde_json::to_string(p)?,
                p.updated_ms,
            ));
        }
        let (to_edge, now) = (self.publishes_to_edge(), self.now_ms());
        const UPSERT: &str =
            "INSERT INTO patterns (id, product_id, lifecycle, weight, body, updated) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET lifecycle = excluded.lifecycle, weight = excluded.weight,
             body = excluded.body, updated = excluded.updated";
        match &self.engine {
            Engine::Sqlite(db) => {
                db.write(move |c| {
                    let tx = c.transaction()?;
                    {
                        let mut upsert = tx.prepare_cached(&UPSERT.replace('$', "?"))?;
                        for row in &rows {
                            upsert.execute(row.clone())?;
                        }
                    }
                    if to_edge {
                        for (.., body, _) in &rows {
                            super::edge_outbox::append_sqlite(&tx, streams::PATTERNS, body, now)?;
                        }
                    }
                    tx.commit()?;
                    Ok(())
                })
                .await
            }
            Engine::Postgres(db) => {
                let mut tx = db.pool.begin().await?;
                for (id, product_id, lifecycle, weight, body, updated) in &rows {
                    sqlx::query(UPSERT)
                        .bind(id)
                        .bind(product_id)
                        .bind(lifecycle)
                        .bind(weight)
                        .bind(body)
                        .bind(updated)
                        .execute(&mut *tx)
                        .await?;
                }
                if to_edge {
                    let bodies: Vec<&str> = rows.iter().map(|(.., body, _)| body.as_str()).collect();
                    super::edge_outbox::append_postgres(&mut tx, streams::PATTERNS, &bodies, now).await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    }

    async fn patterns(&self) -> anyhow::Result<Vec<Pattern>> {
        // `rowid`: SQLite's own, PostgreSQL's column of that name (the order first stored).
        const SQL: &str = "SELECT id, body FROM patterns ORDER BY rowid";
        let rows: Vec<(String, String)> = match &self.engine {
            Engine::Sqlite(db) => sqlx::query_as(SQL).fetch_all(&db.pool).await?,
            Engine::Postgres(db) => sqlx::query_as(SQL).fetch_all(&db.pool).await?,
        };
        rows.iter()
            .map(|(id, body)| serde_json::from_str(body).with_context(|| format!("pattern {id} is damaged")))
            .collect()
    }

    async fn episode_counts(&self) -> anyhow::Result<Vec<EpisodeCount>> {
        const SQL: &str =
            "SELECT product_id, regime, COUNT(*), COUNT(outcome) FROM episodes GROUP BY product_id, regime
             ORDER BY product_id, regime";
        let rows: Vec<(String, String, i64, i64)> = match &self.engine {
            Engine::Sqlite(db) => sqlx::query_as(SQL).fetch_all(&db.pool).await?,
            Engine::Postgres(db) => sqlx::query_as(SQL).fetch_all(&db.pool).await?,
        };
        Ok(rows
            .into_iter()
            .map(|(product_id, regime, episodes, resolved)| EpisodeCount {
                product_id,
                regime,
                episodes: episodes as u64,
                resolved: resolved as u64,
            })
            .collect())
    }

    async fn audit_len(&self) -> anyhow::Result<u64> {
        const SQL: &str = "SELECT COUNT(*) FROM memory_audit";
        let count: i64 = match &self.engine {
            Engine::Sqlite(db) => sqlx::query_scalar(SQL).fetch_one(&db.pool).await?,
            Engine::Postgres(db) => sqlx::query_scalar(SQL).fetch_one(&db.pool).await?,
        };
        Ok(count as u64)
    }
}
