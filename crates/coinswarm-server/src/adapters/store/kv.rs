//! The `Kv` port: a small key-value cache with per-entry time to live (Workers KV at the
//! edge), and its embedded in-memory adapter.

use crate::clock::SharedClock;
use bytes::Bytes;
use coinswarm_core::time::Timestamp;
use moka::policy::EvictionPolicy;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A TTL cache of byte values (reference-counted: a hit copies nothing).
pub trait Kv: Send + Sync {
    /// The value under `key`, if present and not expired.
    fn get(&self, key: &str) -> Option<Bytes>;
    /// Stores `value` under `key` for `ttl`.
    fn put(&self, key: &str, value: Bytes, ttl: Duration);
    /// Hits and misses so far.
    fn stats(&self) -> KvStats;
}

/// Cache effectiveness counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct KvStats {
    pub hits: u64,
    pub misses: u64,
}

/// In-process [`Kv`]: a size-bounded cache (moka, least recently used evicted first) whose
/// entries expire by the [`Clock`](coinswarm_core::time::Clock) it is given; an expired entry
/// is dropped when read.
#[derive(Debug)]
pub struct MemoryKv {
    /// Key → (expires at, value).
    entries: moka::sync::Cache<String, (Timestamp, Bytes)>,
    clock: SharedClock,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl MemoryKv {
    /// A cache of at most `max_entries` entries (`cache.max_entries`) whose time to live is
    /// measured by `clock`.
    pub fn new(max_entries: u64, clock: SharedClock) -> Self {
        // Least recently used out first: a value just put is always admitted, so a read that
        // follows its write finds it (moka's default admission may refuse a new key).
        let entries =
            moka::sync::Cache::builder().max_capacity(max_entries).eviction_policy(EvictionPolicy::lru()).build();
        Self { entries, clock, hits: AtomicU64::new(0), misses: AtomicU64::new(0) }
    }

    /// The entries held, expired ones not yet read included (after moka's pending
    /// evictions are applied).
    pub fn entries(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }
}

impl Kv for MemoryKv {
    fn get(&self, key: &str) -> Option<Bytes> {
        let found = match self.entries.get(key) {
            Some((expires, value)) if expires > self.clock.now() => Some(value),
            Some(_) => {
                self.entries.invalidate(key);
                None
            }
            None => None,
        };
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn put(&self, key: &str, value: Bytes, ttl: Duration) {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        self.entries.insert(key.to_string(), (self.clock.now().plus_millis(ttl_ms), value));
    }

    fn stats(&self) -> KvStats {
        KvStats { hits: self.hits.load(Ordering::Relaxed), misses: self.misses.load(Ordering::Relaxed) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coinswarm_core::time::ManualClock;
    use std::sync::Arc;

    #[test]
    fn entries_expire_after_their_ttl_and_reads_are_counted() {
        let clock = Arc::new(ManualClock::new(Timestamp(1_700_000_000_000)));
        let kv = MemoryKv::new(100, clock.clone());
        kv.put("a", Bytes::from_static(b"1"), Duration::from_millis(30));
        assert_eq!(kv.get("a"), Some(Bytes::from_static(b"1")));
        assert_eq!(kv.get("b"), None);
        clock.advance(29);
        assert_eq!(kv.get("a"), Some(Bytes::from_static(b"1")), "still alive 1 ms before its TTL ends");
        clock.advance(1);
        assert_eq!(kv.get("a"), None, "gone once its TTL has passed");
        assert_eq!(kv.stats(), KvStats { hits: 2, misses: 2 });
    }

    #[test]
    fn a_rewritten_entry_lives_for_its_new_ttl() {
        let clock = Arc::new(ManualClock::new(Timestamp(0)));
        let kv = MemoryKv::new(100, clock.clone());
        kv.put("quote", Bytes::from_static(b"old"), Duration::from_millis(1_000));
        clock.advance(900);
        kv.put("quote", Bytes::from_static(b"new"), Duration::from_millis(1_000));
        clock.advance(900);
        assert_eq!(kv.get("quote"), Some(Bytes::from_static(b"new")));
    }

    #[test]
    fn the_cache_holds_no_more_than_its_bound_under_many_inserts() {
        let clock = Arc::new(ManualClock::new(Timestamp(0)));
        let kv = MemoryKv::new(1_000, clock);
        for i in 0..50_000 {
            kv.put(&format!("market-data:{i}"), Bytes::from_static(b"{}"), Duration::from_secs(60));
        }
        let held = kv.entries();
        assert!((1..=1_000).contains(&held), "at most the bound is held: {held}");
        assert!(kv.get("market-data:49999").is_some(), "the newest entry is kept");
    }
}
