//! Micro-batching with single flight: the keys that miss a cache within a short window (or
//! until the batch holds `max_keys`) go upstream in one call, and a key already waiting or
//! in flight is never asked for twice: its callers join the call under way. Pure
//! bookkeeping, with time passed in; each host drives it with its own timers.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How misses are gathered into one upstream call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchConfig {
    /// The longest a miss waits for others to join its batch, in ms. Default 10.
    pub window_ms: i64,
    /// Keys in one upstream call at most; a full batch goes at once. Default 32.
    pub max_keys: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self { window_ms: 10, max_keys: 32 }
    }
}

/// What became of a key asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Joined<K> {
    /// It is already waiting or in flight: wait for that call's answer.
    Follower,
    /// It waits in the open batch, which is due at `due_ms` (or sooner, if it fills).
    Waiting { due_ms: i64 },
    /// It filled the batch: these keys go upstream now, in one call.
    Send(Vec<K>),
}

/// The keys waiting for a batch and those in flight.
#[derive(Debug, Clone)]
pub struct MicroBatch<K: Ord + Clone> {
    config: BatchConfig,
    waiting: Vec<K>,
    opened_ms: Option<i64>,
    in_flight: BTreeSet<K>,
}

impl<K: Ord + Clone> MicroBatch<K> {
    pub fn new(config: BatchConfig) -> Self {
        Self { config, waiting: Vec::new(), opened_ms: None, in_flight: BTreeSet::new() }
    }

    /// Asks for `key` at `now_ms`.
    pub fn join(&mut self, key: K, now_ms: i64) -> Joined<K> {
        if self.in_flight.contains(&key) || self.waiting.contains(&key) {
            return Joined::Follower;
        }
        let opened = *self.opened_ms.get_or_insert(now_ms);
        self.waiting.push(key);
        if self.waiting.len() >= self.config.max_keys.max(1) {
            return Joined::Send(self.take());
        }
        Joined::Waiting { due_ms: opened + self.config.window_ms }
    }

    /// The open batch, if its window has passed at `now_ms`: those keys go upstream now.
    pub fn due(&mut self, now_ms: i64) -> Option<Vec<K>> {
        let opened = self.opened_ms?;
        (now_ms - opened >= self.config.window_ms).then(|| self.take())
    }

    /// A call's keys have their answer (or its failure): they may be asked for again.
    pub fn finish(&mut self, keys: &[K]) {
        for key in keys {
            self.in_flight.remove(key);
        }
    }

    /// Keys in flight now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    fn take(&mut self) -> Vec<K> {
        self.opened_ms = None;
        let keys = std::mem::take(&mut self.waiting);
        self.in_flight.extend(keys.iter().cloned());
        keys
    }
}

/// Upstream calls for `misses` distinct keys in batches of at most `max_keys`: ⌈misses / max_keys⌉.
pub fn calls_for(misses: usize, max_keys: usize) -> usize {
    misses.div_ceil(max_keys.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misses_within_the_window_go_in_one_call_and_a_key_in_flight_is_joined_not_asked_again() {
        let mut batch = MicroBatch::new(BatchConfig { window_ms: 10, max_keys: 32 });
        assert_eq!(batch.join("BTC-USD", 100), Joined::Waiting { due_ms: 110 });
        assert_eq!(batch.join("ETH-USD", 105), Joined::Waiting { due_ms: 110 });
        assert_eq!(batch.join("BTC-USD", 106), Joined::Follower, "already waiting");
        assert_eq!(batch.due(109), None);
        assert_eq!(batch.due(110), Some(vec!["BTC-USD", "ETH-USD"]));
        assert_eq!(batch.join("ETH-USD", 111), Joined::Follower, "in flight");
        batch.finish(&["BTC-USD", "ETH-USD"]);
        assert_eq!(batch.in_flight(), 0);
        assert_eq!(batch.join("ETH-USD", 200), Joined::Waiting { due_ms: 210 }, "asked again once answered");
    }

    #[test]
    fn n_concurrent_misses_make_n_over_batch_calls() {
        let mut batch = MicroBatch::new(BatchConfig { window_ms: 10, max_keys: 32 });
        let mut calls = 0;
        for product in 0..100 {
            if let Joined::Send(keys) = batch.join(product, 0) {
                assert_eq!(keys.len(), 32);
                calls += 1;
            }
        }
        calls += usize::from(batch.due(10).is_some());
        assert_eq!(calls, calls_for(100, 32));
        assert_eq!(calls, 4);
    }
}
