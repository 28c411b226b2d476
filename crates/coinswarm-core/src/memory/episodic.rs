//! Episodic memory of one product: every decision becomes an episode (state, action,
//! regime, time); once its horizon has passed, its outcome is realised from the price then,
//! and only then does it enter the vector index, where recall can find it.
//!
//! The outcome of an episode is the market's verdict on its state: the return of a long
//! position opened at the decision's price and closed at the first price at or after the
//! horizon's end, net of round-trip taker fees. Whatever the decision was, that is what
//! recall asks of a similar state: did buying there pay?

use super::episode::Episode;
use super::pattern_book::Sample;
use super::vector::{VectorError, VectorIndex};
use std::collections::VecDeque;

/// A change to persist (the SQL store is the source of truth).
#[derive(Debug, Clone, PartialEq)]
pub enum EpisodeChange {
    Recorded(Episode),
    Resolved { id: String, outcome: f64 },
}

/// Episodes waiting for their horizon, the index of resolved ones, and the recent resolved
/// ones for pattern learning.
pub struct EpisodicMemory {
    product_id: String,
    index: Box<dyn VectorIndex + Send>,
    /// Unresolved episodes in time order.
    pending: VecDeque<Episode>,
    samples: VecDeque<Sample>,
    max_samples: usize,
    /// Ids in the index, oldest first, and how many it may hold.
    indexed: VecDeque<String>,
    max_indexed: usize,
    changes: Option<Vec<EpisodeChange>>,
    resolved: u64,
}

impl std::fmt::Debug for EpisodicMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EpisodicMemory")
            .field("product_id", &self.product_id)
            .field("indexed", &self.index.len())
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl EpisodicMemory {
    /// Memory over `index` (which may already hold resolved episodes: name them with
    /// [`EpisodicMemory::restore_indexed`]), keeping the last `max_samples` resolved ones for
    /// learning and at most `max_indexed` in the index (the oldest leave it first).
    pub fn new(
        product_id: impl Into<String>,
        index: Box<dyn VectorIndex + Send>,
        max_samples: usize,
        max_indexed: usize,
    ) -> Self {
        Self {
            product_id: product_id.into(),
            index,
            pending: VecDeque::new(),
            samples: VecDeque::new(),
            max_samples,
            indexed: VecDeque::new(),
            max_indexed: max_indexed.max(1),
            changes: None,
            resolved: 0,
        }
    }

    /// Keep every change for [`EpisodicMemory::take_changes`] (off by default: backtests
    /// do not persist episodes).
    pub fn keep_changes(&mut self, keep: bool) {
        self.changes = keep.then(Vec::new);
    }

    pub fn take_changes(&mut self) -> Vec<EpisodeChange> {
        self.changes.as_mut().map(std::mem::take).unwrap_or_default()
    }

    pub fn index(&self) -> &dyn VectorIndex {
        self.index.as_ref()
    }

    /// The index, to write to directly (tests, tools) or flush.
    pub fn index_mut(&mut self) -> &mut (dyn VectorIndex + Send + 'static) {
        self.index.as_mut()
    }

    pub fn product_id(&self) -> &str {
        &self.product_id
    }

    /// Episodes whose outcome is not known yet.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Episodes resolved since this memory was made.
    pub fn resolved(&self) -> u64 {
        self.resolved
    }

    /// The most recent resolved episodes, oldest first.
    pub fn samples(&mut self) -> &[Sample] {
        self.samples.make_contiguous()
    }

    /// The ids already in the index (a restart), oldest first, so that the oldest leave it
    /// first when it is full.
    pub fn restore_indexed(&mut self, ids: impl IntoIterator<Item = String>) {
        self.indexed.extend(ids);
        self.evict();
    }

    /// Removes the oldest episodes from the index beyond `max_indexed`.
    fn evict(&mut self) {
        let excess = self.indexed.len().saturating_sub(self.max_indexed);
        if excess > 0 {
            let oldest: Vec<String> = self.indexed.drain(..excess).collect();
            let ids: Vec<&str> = oldest.iter().map(String::as_str).collect();
            self.index.delete_by_ids(&ids);
        }
    }

    /// Adds earlier resolved episodes (a restart) to the learning samples, oldest first.
    pub fn restore_samples(&mut self, samples: impl IntoIterator<Item = Sample>) {
        for sample in samples {
            self.push_sample(sample);
        }
    }

    /// A new decision at `episode.time_ms`, taken at `episode.price`.
    pub fn record(&mut self, episode: Episode) {
        if let Some(changes) = &mut self.changes {
            changes.push(EpisodeChange::Recorded(episode.clone()));
        }
        self.pending.push_back(episode);
    }

    /// Episodes stored before a restart whose outcome was not known yet: they resolve when
    /// their horizon ends, as if there had been no restart (oldest first; ones already
    /// pending are skipped).
    pub fn restore_pending(&mut self, episodes: impl IntoIterator<Item = Episode>) {
        for episode in episodes {
            if episode.outcome.is_none() && !self.pending.iter().any(|p| p.id == episode.id) {
                self.pending.push_back(episode);
            }
        }
        self.pending.make_contiguous().sort_by_key(|e| e.horizon_end_ms);
    }

    /// Resolves every episode whose horizon ended at or before `now_ms` at `price` (the
    /// price now) with `round_trip_fee` (a fraction), indexes them, and returns them.
    pub fn resolve(&mut self, now_ms: i64, price: f64, round_trip_fee: f64) -> Result<Vec<Sample>, VectorError> {
        let mut resolved = Vec::new();
        let mut records = Vec::new();
        while self.pending.front().is_some_and(|e| e.horizon_end_ms <= now_ms) {
            let Some(mut episode) = self.pending.pop_front() else { break };
            let entry = episode.price;
            if !(entry > 0.0 && price > 0.0) {
                continue;
            }
            let outcome = price / entry - 1.0 - round_trip_fee;
            episode.outcome = Some(outcome);
            if let Some(changes) = &mut self.changes {
                changes.push(EpisodeChange::Resolved { id: episode.id.clone(), outcome });
            }
            records.push(episode.to_record());
            resolved.push(Sample { time_ms: episode.time_ms, state: episode.state, outcome, regime: episode.regime });
        }
        if !records.is_empty() {
            let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
            self.index.upsert(records)?;
            self.indexed.extend(ids);
            self.evict();
        }
        self.resolved += resolved.len() as u64;
        for sample in &resolved {
            self.push_sample(sample.clone());
        }
        Ok(resolved)
    }

    fn push_sample(&mut self, sample: Sample) {
        if self.samples.len() == self.max_samples {
            self.samples.pop_front();
        }
        if self.max_samples > 0 {
            self.samples.push_back(sample);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{ExactIndex, Metric};

    fn episode(i: i64, price: f64) -> Episode {
        Episode {
            id: format!("e{i}"),
            product_id: "BTC-USD".into(),
            time_ms: i,
            horizon_end_ms: i + 10,
            regime: "trending".into(),
            action: "HOLD".into(),
            price,
            state: vec![1.0, 0.5],
            outcome: None,
        }
    }

    #[test]
    fn episodes_pending_at_a_restart_resolve_at_their_horizon_from_their_own_price() {
        let mut memory = EpisodicMemory::new("BTC-USD", Box::new(ExactIndex::new(Metric::Cosine, 2)), 100, 1_000);
        memory.record(episode(5, 200.0));
        memory.restore_pending([episode(1, 100.0), episode(5, 200.0)]);
        assert_eq!(memory.pending(), 2, "the one already pending is not doubled");
        let resolved = memory.resolve(11, 110.0, 0.0).unwrap();
        assert_eq!(resolved.len(), 1);
        assert!((resolved[0].outcome - 0.1).abs() < 1e-12);
        let resolved = memory.resolve(15, 220.0, 0.0).unwrap();
        assert!((resolved[0].outcome - 0.1).abs() < 1e-12);
        assert_eq!((memory.pending(), memory.index().len(), memory.resolved()), (0, 2, 2));
    }

    #[test]
    fn a_full_index_lets_its_oldest_episodes_go_first() {
        let mut memory = EpisodicMemory::new("BTC-USD", Box::new(ExactIndex::new(Metric::Cosine, 2)), 100, 3);
        memory.restore_indexed(["old".to_string()]);
        for i in 0..4 {
            memory.record(episode(i * 100, 100.0));
        }
        memory.resolve(1_000, 101.0, 0.0).unwrap();
        assert_eq!(memory.index().len(), 3);
        let kept: Vec<String> =
            memory.index().get_by_ids(&["e0", "e100", "e200", "e300"]).into_iter().map(|r| r.id).collect();
        assert_eq!(kept, ["e100", "e200", "e300"]);
        assert_eq!(memory.resolved(), 4, "the store still has every episode; only the index forgets");
    }
}
