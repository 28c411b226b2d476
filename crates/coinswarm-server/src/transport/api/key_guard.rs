//! Who is calling: the one place a presented secret becomes a key, for REST, MCP over HTTP
//! and the stream's `fills` subscriptions alike. It remembers verified keys for a few
//! seconds (a revocation takes effect within [`KEY_CACHE`]), answers a secret just found
//! unknown from memory (no store lookup per guess), limits failed attempts per client
//! address (429 before any lookup once spent), and keeps each key's request budget. Every
//! table it keeps is bounded ([`MAX_REMEMBERED`] entries, least recently used forgotten
//! first) and every time it compares comes from the
//! [`Clock`](coinswarm_core::time::Clock) it is given.

use super::budget::KeyedBudget;
use crate::adapters::keys::{self, ApiKey};
use crate::adapters::store::SqlStore;
use crate::clock::SharedClock;
use crate::config::LimitsConfig;
use coinswarm_core::time::Timestamp;
use moka::policy::EvictionPolicy;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// How long a verified key is trusted before the store is asked again.
pub const KEY_CACHE: Duration = Duration::from_secs(5);

/// Most verified keys, unknown secrets, client addresses with failures and keys with request
/// budgets remembered at once, each: past it the least recently used is forgotten, so no
/// stream of invented secrets or addresses grows memory without bound.
pub const MAX_REMEMBERED: u64 = 10_000;

/// Why a caller was not let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The secret names no live key.
    UnknownKey,
    /// The client's address failed too often: try again after this many seconds.
    TooManyFailures { retry_after_secs: u64 },
    /// The key is fine but spent its request budget: try again after this many seconds.
    RateLimited { retry_after_secs: u64 },
    /// The key store could not be read.
    Unavailable(String),
}

/// Verified keys, unknown secrets, failure budgets per address and request budgets per key.
#[derive(Debug)]
pub struct KeyGuard {
    clock: SharedClock,
    /// How long a secret found unknown is answered from memory (`limits.unknown_key_cache_ms`).
    unknown_for_ms: i64,
    /// Secret hash → (verified at, key).
    verified: moka::sync::Cache<String, (Timestamp, ApiKey)>,
    /// Secret hash → when it was found unknown.
    unknown: moka::sync::Cache<String, Timestamp>,
    /// Failed authentications per client network (`limits.auth_failures_per_second`,
    /// `limits.auth_failure_burst`).
    failures: KeyedBudget<IpAddr>,
    /// Client network → when its next failure is allowed, once its failure budget is spent.
    spent: moka::sync::Cache<IpAddr, Timestamp>,
    /// Requests per key id (`limits.requests_per_second`, `limits.burst`).
    requests: KeyedBudget<String>,
}

impl KeyGuard {
    /// A guard enforcing `limits` (validated: every rate and burst at least 1), by `clock`.
    pub fn new(limits: &LimitsConfig, clock: SharedClock) -> Self {
        let at_least_one = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Self {
            unknown_for_ms: i64::try_from(limits.unknown_key_cache_ms).unwrap_or(i64::MAX),
            verified: bounded_table(),
            unknown: bounded_table(),
            failures: KeyedBudget::new(
                at_least_one(limits.auth_failures_per_second),
                at_least_one(limits.auth_failure_burst),
                MAX_REMEMBERED,
                clock.clone(),
            ),
            spent: bounded_table(),
            requests: KeyedBudget::new(
                at_least_one(limits.requests_per_second),
                at_least_one(limits.burst),
                MAX_REMEMBERED,
                clock.clone(),
            ),
            clock,
        }
    }

    /// The live key behind `secret`, presented from `peer` (none on stdio), charged one
    /// request of its budget.
    pub async fn authenticate(&self, store: &SqlStore, secret: &str, peer: Option<IpAddr>) -> Result<ApiKey, Refusal> {
        let key = self.identify(store, secret, peer).await?;
        self.requests
            .take(&key.id)
            .map_err(|back| Refusal::RateLimited { retry_after_secs: self.requests.seconds_until(back) })?;
        Ok(key)
    }

    /// The live key behind `secret`, without charging its request budget (a long-lived
    /// subscription checking its key again).
    pub async fn identify(&self, store: &SqlStore, secret: &str, peer: Option<IpAddr>) -> Result<ApiKey, Refusal> {
        // A key verified moments ago passes even from an address that failed too often (a
        // proxy or NAT shares one address among many clients).
        let hash = keys::hash_secret(secret);
        let now = self.clock.now();
        let key_cache_ms = i64::try_from(KEY_CACHE.as_millis()).unwrap_or(i64::MAX);
        if let Some((at, key)) = self.verified.get(&hash)
            && now.millis() - at.millis() < key_cache_ms
        {
            return Ok(key);
        }
        if let Some(peer) = peer
            && let Some(retry_after_secs) = self.failures_spent(client_network(peer), now)
        {
            return Err(Refusal::TooManyFailures { retry_after_secs });
        }
        if self.unknown.get(&hash).is_some_and(|at| now.millis() - at.millis() < self.unknown_for_ms) {
            self.fail(peer);
            return Err(Refusal::UnknownKey);
        }
        match keys::verify(store, secret).await {
            Ok(Some(key)) => {
                self.verified.insert(hash, (self.clock.now(), key.clone()));
                Ok(key)
            }
            Ok(None) => {
                self.unknown.insert(hash, self.clock.now());
                self.fail(peer);
                Err(Refusal::UnknownKey)
            }
            Err(err) => Err(Refusal::Unavailable(format!("cannot check the key: {err:#}"))),
        }
    }

    /// Seconds until `network` may fail again, when its failure budget is spent.
    fn failures_spent(&self, network: IpAddr, now: Timestamp) -> Option<u64> {
        let back = self.spent.get(&network).filter(|back| *back > now)?;
        Some(self.failures.seconds_until(back))
    }

    /// Charges a failed attempt to `peer`'s network; the failure that spends its budget
    /// locks it out until a failure is allowed again.
    fn fail(&self, peer: Option<IpAddr>) {
        let Some(peer) = peer else { return };
        let network = client_network(peer);
        let spent_until = match self.failures.take(&network) {
            // The last unit just went: ask when the next is back (an empty budget answers
            // without taking anything).
            Ok(0) => self.failures.take(&network).err(),
            Ok(_) => None,
            Err(back) => Some(back),
        };
        if let Some(back) = spent_until {
            self.spent.insert(network, back);
        }
    }

    /// Entries held across the guard's tables (after pending evictions are applied).
    pub fn remembered(&self) -> u64 {
        self.verified.run_pending_tasks();
        self.unknown.run_pending_tasks();
        self.spent.run_pending_tasks();
        self.verified.entry_count()
            + self.unknown.entry_count()
            + self.spent.entry_count()
            + self.failures.keys()
            + self.requests.keys()
    }
}

/// A table of at most [`MAX_REMEMBERED`] entries, least recently used forgotten first (every
/// new entry is admitted).
fn bounded_table<K: Hash + Eq + Send + Sync + 'static, V: Clone + Send + Sync + 'static>() -> moka::sync::Cache<K, V> {
    moka::sync::Cache::builder().max_capacity(MAX_REMEMBERED).eviction_policy(EvictionPolicy::lru()).build()
}

/// The unit failures are counted by: an IPv4 address, or an IPv6 /64 (one host's usual
/// allocation, so a client cannot take a fresh budget from each of its 2^64 addresses).
fn client_network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(v6.to_bits() & !0xffff_ffff_ffff_ffffu128)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::keys::{Scope, create_key};
    use coinswarm_core::time::ManualClock;
    use std::sync::Arc;

    async fn store(name: &str) -> (SqlStore, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("coinswarm-key-guard-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqlStore::open(&dir, crate::clock::SystemClock::shared()).await.unwrap();
        store.create_account("alice", 0).await.unwrap();
        (store, dir)
    }

    fn clock() -> Arc<ManualClock> {
        Arc::new(ManualClock::new(Timestamp(1_700_000_000_000)))
    }

    #[tokio::test]
    async fn an_unknown_secret_is_refused_from_memory_until_its_cache_time_passes() {
        let (store, dir) = store("unknown").await;
        let clock = clock();
        let guard =
            KeyGuard::new(&LimitsConfig { unknown_key_cache_ms: 300, ..LimitsConfig::default() }, clock.clone());
        assert_eq!(guard.identify(&store, "csk_guess", None).await, Err(Refusal::UnknownKey));
        // With the store closed, a lookup would fail: the second answer comes from memory.
        store.close().await;
        clock.advance(299);
        assert_eq!(guard.identify(&store, "csk_guess", None).await, Err(Refusal::UnknownKey));
        clock.advance(1);
        let looked_up = guard.identify(&store, "csk_guess", None).await;
        assert!(
            matches!(looked_up, Err(Refusal::Unavailable(_))),
            "after the cache time, the store is asked: {looked_up:?}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn an_address_out_of_failures_is_refused_before_any_lookup_but_a_recent_key_passes() {
        let (store, dir) = store("failures").await;
        let clock = clock();
        let limits = LimitsConfig { auth_failure_burst: 3, auth_failures_per_second: 1, ..LimitsConfig::default() };
        let guard = KeyGuard::new(&limits, clock.clone());
        let key = create_key(&store, "alice", &[Scope::Read], "test", 0).await.unwrap();
        let shared: IpAddr = "10.1.1.1".parse().unwrap();
        guard.identify(&store, &key.secret, Some(shared)).await.unwrap();
        for i in 0..3 {
            let guess = format!("csk_guess_{i}");
            assert_eq!(guard.identify(&store, &guess, Some(shared)).await, Err(Refusal::UnknownKey));
        }
        let refused = guard.identify(&store, "csk_guess_more", Some(shared)).await;
        assert_eq!(refused, Err(Refusal::TooManyFailures { retry_after_secs: 1 }));
        let known = guard.identify(&store, &key.secret, Some(shared)).await;
        assert_eq!(known.unwrap().id, key.id, "a key verified moments ago is not locked out by a guesser");
        let same_host: IpAddr = "2001:db8:1:2::5".parse().unwrap();
        for i in 0..3 {
            let guess = format!("csk_v6_{i}");
            assert_eq!(guard.identify(&store, &guess, Some(same_host)).await, Err(Refusal::UnknownKey));
        }
        let next_door: IpAddr = "2001:db8:1:2::9".parse().unwrap();
        let refused = guard.identify(&store, "csk_v6_more", Some(next_door)).await;
        assert!(matches!(refused, Err(Refusal::TooManyFailures { .. })), "one IPv6 /64 is one budget: {refused:?}");
        let other: IpAddr = "10.1.1.2".parse().unwrap();
        assert_eq!(guard.identify(&store, "csk_guess_9", Some(other)).await, Err(Refusal::UnknownKey));
        clock.advance(1_000);
        let after = guard.identify(&store, "csk_guess_later", Some(shared)).await;
        assert_eq!(after, Err(Refusal::UnknownKey), "a second later the address may fail once more");
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_key_past_its_burst_is_rate_limited_until_a_request_is_back() {
        let (store, dir) = store("requests").await;
        let clock = clock();
        let guard =
            KeyGuard::new(&LimitsConfig { requests_per_second: 4, burst: 2, ..LimitsConfig::default() }, clock.clone());
        let key = create_key(&store, "alice", &[Scope::Read], "test", 0).await.unwrap();
        for _ in 0..2 {
            guard.authenticate(&store, &key.secret, None).await.unwrap();
        }
        let limited = guard.authenticate(&store, &key.secret, None).await;
        assert_eq!(limited, Err(Refusal::RateLimited { retry_after_secs: 1 }));
        clock.advance(250);
        assert!(guard.authenticate(&store, &key.secret, None).await.is_ok(), "one request back after 1/4 s");
        assert!(guard.identify(&store, &key.secret, None).await.is_ok(), "identifying charges nothing");
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_flood_of_failing_addresses_keeps_the_tables_bounded() {
        let (store, dir) = store("flood").await;
        let guard = KeyGuard::new(&LimitsConfig { auth_failure_burst: 1, ..LimitsConfig::default() }, clock());
        let addresses = 3 * MAX_REMEMBERED as u32;
        for i in 0..addresses {
            let peer = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            assert_eq!(guard.identify(&store, "csk_guess", Some(peer)).await, Err(Refusal::UnknownKey));
        }
        // Each address spent its one failure: it sits in the failure budgets and the lockouts,
        // each capped; the one unknown secret is remembered once.
        let remembered = guard.remembered();
        assert!(remembered <= 2 * MAX_REMEMBERED + 1, "{remembered} entries for {addresses} addresses");
        let last = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + addresses - 1));
        let refused = guard.identify(&store, "csk_guess", Some(last)).await;
        assert!(
            matches!(refused, Err(Refusal::TooManyFailures { .. })),
            "the latest address is remembered: {refused:?}"
        );
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
