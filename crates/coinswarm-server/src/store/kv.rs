//! The `Kv` port: a small key-value cache with per-entry time to live (Workers KV at the
//! edge), and its embedded in-memory adapter.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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

/// In-process [`Kv`]: a map behind a mutex; expired entries are dropped when read or
/// overwritten.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: Mutex<HashMap<String, (Instant, Bytes)>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Kv for MemoryKv {
    fn get(&self, key: &str) -> Option<Bytes> {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let found = match entries.get(key) {
            Some((expires, value)) if *expires > Instant::now() => Some(value.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        };
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn put(&self, key: &str, value: Bytes, ttl: Duration) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match entries.get_mut(key) {
            Some(entry) => *entry = (Instant::now() + ttl, value),
            None => {
                entries.insert(key.to_string(), (Instant::now() + ttl, value));
            }
        }
    }

    fn stats(&self) -> KvStats {
        KvStats { hits: self.hits.load(Ordering::Relaxed), misses: self.misses.load(Ordering::Relaxed) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_their_ttl_and_reads_are_counted() {
        let kv = MemoryKv::default();
        kv.put("a", Bytes::from_static(b"1"), Duration::from_millis(30));
        assert_eq!(kv.get("a"), Some(Bytes::from_static(b"1")));
        assert_eq!(kv.get("b"), None);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(kv.get("a"), None);
        assert_eq!(kv.stats(), KvStats { hits: 1, misses: 2 });
    }
}
