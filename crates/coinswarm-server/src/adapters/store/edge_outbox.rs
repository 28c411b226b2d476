//! The outbox of publication to the edge tier (`edge_outbox`, `edge_streams`): each event of
//! a durable stream (`coinswarm_api::edge::streams`) is written in the same transaction as
//! what it records, numbered per stream from 1 without gaps, read by the edge link in
//! batches, and deleted once the edge says it has applied it. Written only when `up` runs
//! with an edge ([`SqlStore::publish_to_edge`]).

use super::SqlStore;
use super::sql::Engine;
use anyhow::Context;
use coinswarm_api::edge::{StreamEvent, streams};
use std::collections::BTreeMap;

/// Appends an event to `stream` in the caller's SQLite transaction and returns its number.
pub(super) fn append_sqlite(
    tx: &rusqlite::Transaction,
    stream: &str,
    payload: &str,
    now_ms: i64,
) -> anyhow::Result<u64> {
    tx.prepare_cached("INSERT OR IGNORE INTO edge_streams (stream, last_seq) VALUES (?1, 0)")?.execute([stream])?;
    let seq: i64 = tx
        .prepare_cached("UPDATE edge_streams SET last_seq = last_seq + 1 WHERE stream = ?1 RETURNING last_seq")?
        .query_row([stream], |row| row.get(0))?;
    tx.prepare_cached("INSERT INTO edge_outbox (stream, seq, payload, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute((stream, seq, payload, now_ms))?;
    Ok(seq as u64)
}

/// Appends `payloads`, in order, to `stream` in the caller's PostgreSQL transaction: the
/// stream's row is locked by the update until the commit, so numbers stay gapless and in
/// commit order across writers.
pub(super) async fn append_postgres(
    tx: &mut sqlx::PgConnection,
    stream: &str,
    payloads: &[&str],
    now_ms: i64,
) -> anyhow::Result<()> {
    if payloads.is_empty() {
        return Ok(());
    }
    sqlx::query("INSERT INTO edge_streams (stream, last_seq) VALUES ($1, 0) ON CONFLICT DO NOTHING")
        .bind(stream)
        .execute(&mut *tx)
        .await?;
    let last: i64 =
        sqlx::query_scalar("UPDATE edge_streams SET last_seq = last_seq + $2 WHERE stream = $1 RETURNING last_seq")
            .bind(stream)
            .bind(payloads.len() as i64)
            .fetch_one(&mut *tx)
            .await?;
    let first = last - payloads.len() as i64 + 1;
    sqlx::query(
        "INSERT INTO edge_outbox (stream, seq, payload, created_at)
         SELECT $1, $2 + n - 1, p, $4 FROM UNNEST($3::text[]) WITH ORDINALITY AS t(p, n)",
    )
    .bind(stream)
    .bind(first)
    .bind(payloads)
    .bind(now_ms)
    .execute(&mut *tx)
    .await
    .with_context(|| format!("cannot append to the edge outbox of {stream}"))?;
    Ok(())
}

/// A stream's numbers in the agent tier, for `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxHead {
    pub stream: String,
    /// The last number given.
    pub last_seq: u64,
    /// The last number the edge has applied.
    pub acked_seq: u64,
}

impl SqlStore {
    /// From now on, the durable streams' events are written to the outbox with what they
    /// record (called before any session starts).
    pub fn publish_to_edge(&self) {
        self.edge_outbox.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub(super) fn publishes_to_edge(&self) -> bool {
        self.edge_outbox.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Events waiting for the edge: at most `per_stream` of each stream, each stream's in
    /// order (so a long backlog of one stream does not hold the others back).
    pub async fn edge_outbox(&self, per_stream: u32) -> anyhow::Result<Vec<StreamEvent>> {
        const SQL: &str = "SELECT seq, payload FROM edge_outbox WHERE stream = $1 ORDER BY seq LIMIT $2";
        let mut events = Vec::new();
        for stream in streams::ALL {
            let rows: Vec<(i64, String)> = match &self.engine {
                Engine::Sqlite(db) => sqlx::query_as(SQL).bind(stream).bind(per_stream).fetch_all(&db.pool).await?,
                Engine::Postgres(db) => {
                    sqlx::query_as(SQL).bind(stream).bind(i64::from(per_stream)).fetch_all(&db.pool).await?
                }
            };
            for (seq, payload) in rows {
                let payload = serde_json::from_str(&payload)
                    .map_err(|e| anyhow::anyhow!("an outbox event of {stream} is unreadable: {e}"))?;
                events.push(StreamEvent { stream: stream.to_string(), seq: seq as u64, payload });
            }
        }
        Ok(events)
    }

    /// Forgets each stream's events up to the last the edge has applied.
    pub async fn ack_edge_outbox(&self, applied: BTreeMap<String, u64>) -> anyhow::Result<()> {
        if applied.is_empty() {
            return Ok(());
        }
        match &self.engine {
            Engine::Sqlite(db) => {
                db.write(move |c| {
                    let tx = c.transaction()?;
                    for (stream, last) in &applied {
                        let last = *last as i64;
                        tx.prepare_cached("DELETE FROM edge_outbox WHERE stream = ?1 AND seq <= ?2")?
                            .execute((stream, last))?;
                        tx.prepare_cached("UPDATE edge_streams SET acked_seq = MAX(acked_seq, ?2) WHERE stream = ?1")?
                            .execute((stream, last))?;
                    }
                    tx.commit()?;
                    Ok(())
                })
                .await
            }
            Engine::Postgres(db) => {
                let mut tx = db.pool.begin().await?;
                for (stream, last) in &applied {
                    let last = *last as i64;
                    sqlx::query("DELETE FROM edge_outbox WHERE stream = $1 AND seq <= $2")
                        .bind(stream)
                        .bind(last)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE edge_streams SET acked_seq = GREATEST(acked_seq, $2) WHERE stream = $1")
                        .bind(stream)
                        .bind(last)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    }

    /// Every stream's last number and last applied at the edge.
    pub async fn edge_outbox_heads(&self) -> anyhow::Result<Vec<OutboxHead>> {
        const SQL: &str = "SELECT stream, last_seq, acked_seq FROM edge_streams ORDER BY stream";
        let rows: Vec<(String, i64, i64)> = match &self.engine {
            Engine::Sqlite(db) => sqlx::query_as(SQL).fetch_all(&db.pool).await?,
            Engine::Postgres(db) => sqlx::query_as(SQL).fetch_all(&db.pool).await?,
        };
        Ok(rows
            .into_iter()
            .map(|(stream, last_seq, acked_seq)| OutboxHead {
                stream,
                last_seq: last_seq as u64,
                acked_seq: acked_seq as u64,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::store::EpisodeStore;
    use crate::adapters::store::testing::each_engine;
    use coinswarm_core::memory::Episode;

    fn seqs(events: &[StreamEvent], stream: &str) -> Vec<u64> {
        events.iter().filter(|e| e.stream == stream).map(|e| e.seq).collect()
    }

    #[tokio::test]
    async fn events_are_numbered_per_stream_in_their_commit_and_forgotten_once_the_edge_applied_them() {
        for scratch in each_engine("outbox-numbers").await {
            let store = &scratch.store;
            store.create_account("swarm", 0).await.unwrap();
            // Without an edge, nothing goes to the outbox.
            store.commit("swarm", &[], &[(1, "{\"n\":0}")], &["{\"n\":0}".into()]).await.unwrap();
            assert!(store.edge_outbox(100).await.unwrap().is_empty());

            store.publish_to_edge();
            let published: Vec<String> = (1..=3).map(|n| format!("{{\"n\":{n}}}")).collect();
            store.commit("swarm", &[], &[(1, "{\"n\":1}")], &published).await.unwrap();
            let episode = Episode {
                id: "BTC-USD@1".into(),
                product_id: "BTC-USD".into(),
                time_ms: 1,
                horizon_end_ms: 2,
                regime: "trending".into(),
                action: "BUY".into(),
                price: 100.0,
                state: vec![0.5, -0.5],
                outcome: None,
            };
            store.record_episodes(std::slice::from_ref(&episode)).await.unwrap();
            assert!(store.set_outcome("BTC-USD@1", 0.01).await.unwrap());

            let waiting = store.edge_outbox(100).await.unwrap();
            assert_eq!(seqs(&waiting, streams::DECISIONS), vec![1, 2, 3]);
            assert_eq!(waiting.iter().find(|e| e.stream == streams::DECISIONS).unwrap().payload["n"], 1);
            // The episode twice, recorded then resolved, each with its state.
            assert_eq!(seqs(&waiting, streams::EPISODES), vec![1, 2]);
            let resolved: Episode = serde_json::from_value(waiting.last().unwrap().payload.clone()).unwrap();
            assert_eq!(resolved, Episode { outcome: Some(0.01), ..episode });
            // At most `per_stream` of each.
            assert_eq!(seqs(&store.edge_outbox(2).await.unwrap(), streams::DECISIONS), vec![1, 2]);

            // The edge applied decisions up to 2: they are forgotten, 3 is sent again.
            store.ack_edge_outbox([(streams::DECISIONS.to_string(), 2)].into()).await.unwrap();
            let waiting = store.edge_outbox(100).await.unwrap();
            assert_eq!(seqs(&waiting, streams::DECISIONS), vec![3]);
            let heads = store.edge_outbox_heads().await.unwrap();
            let decisions = heads.iter().find(|h| h.stream == streams::DECISIONS).unwrap();
            assert_eq!((decisions.last_seq, decisions.acked_seq), (3, 2));
            // An older acknowledgement (a retried answer) moves nothing back.
            store.ack_edge_outbox([(streams::DECISIONS.to_string(), 1)].into()).await.unwrap();
            let heads = store.edge_outbox_heads().await.unwrap();
            assert_eq!(heads.iter().find(|h| h.stream == streams::DECISIONS).unwrap().acked_seq, 2);

            // Numbers go on after a restart, from where the stream was.
            let scratch = scratch.reopen().await;
            let store = &scratch.store;
            store.publish_to_edge();
            store.commit("swarm", &[], &[(2, "{\"n\":4}")], &["{\"n\":4}".into()]).await.unwrap();
            assert_eq!(
                seqs(&store.edge_outbox(100).await.unwrap(), streams::DECISIONS),
                vec![3, 4],
                "{}",
                scratch.engine()
            );
            scratch.remove().await;
        }
    }
}
