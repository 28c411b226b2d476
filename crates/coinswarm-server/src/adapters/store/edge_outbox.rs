//! The outbox of publication to the edge tier (`edge_outbox`, `edge_streams`): each event of
//! a durable stream (`coinswarm_api::edge::streams`) is written in the same transaction as
//! what it records, numbered per stream from 1 without gaps, read by the edge link in
//! batches, and deleted once the edge says it has applied it. Written only when `up` runs
//! with an edge ([`SqlStore::publish_to_edge`]).

use super::SqlStore;
use coinswarm_api::edge::{StreamEvent, streams};
use sqlx::Row;
use std::collections::BTreeMap;

/// Appends an event to `stream` in the caller's transaction and returns its number.
pub(super) fn append(tx: &rusqlite::Transaction, stream: &str, payload: &str, now_ms: i64) -> anyhow::Result<u64> {
    tx.prepare_cached("INSERT OR IGNORE INTO edge_streams (stream, last_seq) VALUES (?1, 0)")?.execute([stream])?;
    let seq: i64 = tx
        .prepare_cached("UPDATE edge_streams SET last_seq = last_seq + 1 WHERE stream = ?1 RETURNING last_seq")?
        .query_row([stream], |row| row.get(0))?;
    tx.prepare_cached("INSERT INTO edge_outbox (stream, seq, payload, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute((stream, seq, payload, now_ms))?;
    Ok(seq as u64)
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
        let mut events = Vec::new();
        for stream in streams::ALL {
            let rows = sqlx::query("SELECT seq, payload FROM edge_outbox WHERE stream = ? ORDER BY seq LIMIT ?")
                .bind(stream)
                .bind(per_stream)
                .fetch_all(self.pool())
                .await?;
            for row in rows {
                let payload: String = row.get(1);
                let payload = serde_json::from_str(&payload)
                    .map_err(|e| anyhow::anyhow!("an outbox event of {stream} is unreadable: {e}"))?;
                events.push(StreamEvent { stream: stream.to_string(), seq: row.get::<i64, _>(0) as u64, payload });
            }
        }
        Ok(events)
    }

    /// Forgets each stream's events up to the last the edge has applied.
    pub async fn ack_edge_outbox(&self, applied: BTreeMap<String, u64>) -> anyhow::Result<()> {
        if applied.is_empty() {
            return Ok(());
        }
        self.write(move |c| {
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

    /// Every stream's last number and last applied at the edge.
    pub async fn edge_outbox_heads(&self) -> anyhow::Result<Vec<OutboxHead>> {
        let rows = sqlx::query("SELECT stream, last_seq, acked_seq FROM edge_streams ORDER BY stream")
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .iter()
            .map(|row| OutboxHead {
                stream: row.get(0),
                last_seq: row.get::<i64, _>(1) as u64,
                acked_seq: row.get::<i64, _>(2) as u64,
            })
            .collect())
    }
}
