//! Who is calling: the one place a presented secret becomes a key, for REST, MCP over HTTP
//! and the stream's `fills` subscriptions alike. It remembers verified keys for a few
//! seconds (a revocation takes effect within [`KEY_CACHE`]), answers a secret just found
//! unknown from memory (no store lookup per guess), limits failed attempts per client
//! address (429 before any lookup once spent), and keeps each key's request budget.

use crate::config::LimitsConfig;
use crate::keys::{self, ApiKey};
use crate::store::SqlStore;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a verified key is trusted before the store is asked again.
pub const KEY_CACHE: Duration = Duration::from_secs(5);

/// Most unknown secrets, and most client addresses with failures, remembered at once: each
/// map is pruned of stale entries when it reaches this, and emptied if that is not enough, so
/// no stream of invented secrets or addresses grows memory without bound.
const MAX_REMEMBERED: usize = 10_000;

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
#[derive(Debug, Default)]
pub struct KeyGuard {
    /// Secret hash → (verified at, key).
    verified: Mutex<HashMap<String, (Instant, ApiKey)>>,
    /// Secret hash → when it was found unknown.
    unknown: Mutex<HashMap<String, Instant>>,
    /// Client address → (failures it may still make, last refill).
    failures: Mutex<HashMap<IpAddr, (f64, Instant)>>,
    /// Key id → (requests it may still make, last refill).
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl KeyGuard {
    /// The live key behind `secret`, presented from `peer` (none on stdio), charged one
    /// request of its budget.
    pub async fn authenticate(
        &self,
        store: &SqlStore,
        limits: &LimitsConfig,
        secret: &str,
        peer: Option<IpAddr>,
    ) -> Result<ApiKey, Refusal> {
        let key = self.identify(store, limits, secret, peer).await?;
        take_token(&self.buckets, key.id.clone(), limits.requests_per_second as f64, limits.burst as f64)
            .map_err(|retry_after_secs| Refusal::RateLimited { retry_after_secs })?;
        Ok(key)
    }

    /// The live key behind `secret`, without charging its request budget (a long-lived
    /// subscription checking its key again).
    pub async fn identify(
        &self,
        store: &SqlStore,
        limits: &LimitsConfig,
        secret: &str,
        peer: Option<IpAddr>,
    ) -> Result<ApiKey, Refusal> {
        // A key verified moments ago passes even from an address that failed too often (a
        // proxy or NAT shares one address among many clients).
        let hash = keys::hash_secret(secret);
        if let Some(key) = self.cached(&hash) {
            return Ok(key);
        }
        if let Some(peer) = peer
            && let Some(retry_after_secs) = self.failures_spent(peer, limits)
        {
            return Err(Refusal::TooManyFailures { retry_after_secs });
        }
        let unknown_for = Duration::from_millis(limits.unknown_key_cache_ms);
        let known_unknown = {
            let unknown = self.unknown.lock().unwrap_or_else(|p| p.into_inner());
            unknown.get(&hash).is_some_and(|at| at.elapsed() < unknown_for)
        };
        if known_unknown {
            self.fail(peer, limits);
            return Err(Refusal::UnknownKey);
        }
        match keys::verify(store, secret).await {
            Ok(Some(key)) => {
                let mut verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
                if verified.len() >= MAX_REMEMBERED {
                    verified.retain(|_, (at, _)| at.elapsed() < KEY_CACHE);
                }
                verified.insert(hash, (Instant::now(), key.clone()));
                Ok(key)
            }
            Ok(None) => {
                let mut unknown = self.unknown.lock().unwrap_or_else(|p| p.into_inner());
                if unknown.len() >= MAX_REMEMBERED {
                    unknown.retain(|_, at| at.elapsed() < unknown_for);
                    if unknown.len() >= MAX_REMEMBERED {
                        unknown.clear();
                    }
                }
                unknown.insert(hash, Instant::now());
                drop(unknown);
                self.fail(peer, limits);
                Err(Refusal::UnknownKey)
            }
            Err(err) => Err(Refusal::Unavailable(format!("cannot check the key: {err:#}"))),
        }
    }

    fn cached(&self, hash: &str) -> Option<ApiKey> {
        let verified = self.verified.lock().unwrap_or_else(|p| p.into_inner());
        verified.get(hash).filter(|(at, _)| at.elapsed() < KEY_CACHE).map(|(_, key)| key.clone())
    }

    /// Seconds until `peer` may fail again, when its failure budget is spent.
    fn failures_spent(&self, peer: IpAddr, limits: &LimitsConfig) -> Option<u64> {
        let peer = client_network(peer);
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, _) =
            refill(&mut failures, peer, limits.auth_failures_per_second as f64, limits.auth_failure_burst as f64)?;
        (tokens < 1.0).then(|| ((1.0 - tokens) / limits.auth_failures_per_second as f64).ceil().max(1.0) as u64)
    }

    fn fail(&self, peer: Option<IpAddr>, limits: &LimitsConfig) {
        let Some(peer) = peer else { return };
        let rate = limits.auth_failures_per_second as f64;
        let burst = limits.auth_failure_burst as f64;
        let peer = client_network(peer);
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_REMEMBERED && !failures.contains_key(&peer) {
            // Addresses whose budget has refilled are no different from new ones; if none
            // has, the one with the most budget left gives its place (never a clear-out, which
            // would hand every spent address a fresh budget).
            let now = Instant::now();
            let left = |(tokens, last): &(f64, Instant)| *tokens + now.duration_since(*last).as_secs_f64() * rate;
            failures.retain(|_, entry| left(entry) < burst);
            if failures.len() >= MAX_REMEMBERED
                && let Some(most) = failures.iter().max_by(|a, b| left(a.1).total_cmp(&left(b.1))).map(|(ip, _)| *ip)
            {
                failures.remove(&most);
            }
        }
        let entry = failures.entry(peer).or_insert((burst, Instant::now()));
        let now = Instant::now();
        entry.0 = (entry.0 + now.duration_since(entry.1).as_secs_f64() * rate).min(burst) - 1.0;
        entry.1 = now;
    }
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

/// The budget of `id` brought up to now, if it has one.
fn refill<K: std::hash::Hash + Eq>(
    buckets: &mut HashMap<K, (f64, Instant)>,
    id: K,
    rate: f64,
    burst: f64,
) -> Option<(f64, Instant)> {
    let (tokens, last) = buckets.get_mut(&id)?;
    let now = Instant::now();
    *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(burst);
    *last = now;
    Some((*tokens, *last))
}

/// Takes one token from `id`'s bucket; on an empty bucket, the seconds until one is back.
fn take_token(buckets: &Mutex<HashMap<String, (f64, Instant)>>, id: String, rate: f64, burst: f64) -> Result<(), u64> {
    let mut buckets = buckets.lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    let (tokens, last) = buckets.entry(id).or_insert((burst, now));
    *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(burst);
    *last = now;
    if *tokens >= 1.0 {
        *tokens -= 1.0;
        Ok(())
    } else {
        Err(((1.0 - *tokens) / rate).ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Scope, create_key};

    async fn store(name: &str) -> (SqlStore, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("coinswarm-key-guard-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqlStore::open(&dir, crate::clock::SystemClock::shared()).await.unwrap();
        store.create_account("alice", 0).await.unwrap();
        (store, dir)
    }

    #[tokio::test]
    async fn an_unknown_secret_is_refused_from_memory_until_its_cache_time_passes() {
        let (store, dir) = store("unknown").await;
        let guard = KeyGuard::default();
        let limits = LimitsConfig { unknown_key_cache_ms: 300, ..LimitsConfig::default() };
        assert_eq!(guard.identify(&store, &limits, "csk_guess", None).await, Err(Refusal::UnknownKey));
        // With the store closed, a lookup would fail: the second answer comes from memory.
        store.close().await;
        assert_eq!(guard.identify(&store, &limits, "csk_guess", None).await, Err(Refusal::UnknownKey));
        tokio::time::sleep(Duration::from_millis(350)).await;
        let looked_up = guard.identify(&store, &limits, "csk_guess", None).await;
        assert!(
            matches!(looked_up, Err(Refusal::Unavailable(_))),
            "after the cache time, the store is asked: {looked_up:?}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn an_address_out_of_failures_is_refused_before_any_lookup_but_a_recent_key_passes() {
        let (store, dir) = store("failures").await;
        let guard = KeyGuard::default();
        let limits = LimitsConfig { auth_failure_burst: 3, auth_failures_per_second: 1, ..LimitsConfig::default() };
        let key = create_key(&store, "alice", &[Scope::Read], "test", 0).await.unwrap();
        let shared: IpAddr = "10.1.1.1".parse().unwrap();
        guard.identify(&store, &limits, &key.secret, Some(shared)).await.unwrap();
        for i in 0..3 {
            let guess = format!("csk_guess_{i}");
            assert_eq!(guard.identify(&store, &limits, &guess, Some(shared)).await, Err(Refusal::UnknownKey));
        }
        let refused = guard.identify(&store, &limits, "csk_guess_more", Some(shared)).await;
        assert_eq!(refused, Err(Refusal::TooManyFailures { retry_after_secs: 1 }));
        let known = guard.identify(&store, &limits, &key.secret, Some(shared)).await;
        assert_eq!(known.unwrap().id, key.id, "a key verified moments ago is not locked out by a guesser");
        let same_host: IpAddr = "2001:db8:1:2::5".parse().unwrap();
        for i in 0..3 {
            let guess = format!("csk_v6_{i}");
            assert_eq!(guard.identify(&store, &limits, &guess, Some(same_host)).await, Err(Refusal::UnknownKey));
        }
        let next_door: IpAddr = "2001:db8:1:2::9".parse().unwrap();
        let refused = guard.identify(&store, &limits, "csk_v6_more", Some(next_door)).await;
        assert!(matches!(refused, Err(Refusal::TooManyFailures { .. })), "one IPv6 /64 is one budget: {refused:?}");
        let other: IpAddr = "10.1.1.2".parse().unwrap();
        assert_eq!(guard.identify(&store, &limits, "csk_guess_9", Some(other)).await, Err(Refusal::UnknownKey));
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
