//! A budget per key (an API key's requests, a client network's failed authentications):
//! governor's GCRA rate limiter, its state held in a size-bounded table (moka, least
//! recently used evicted first) and its time read from the server's
//! [`Clock`](coinswarm_core::time::Clock).

use crate::clock::SharedClock;
use coinswarm_core::time::Timestamp;
use governor::clock::Clock as RateClock;
use governor::middleware::StateInformationMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::{Quota, RateLimiter};
use moka::ops::compute::Op;
use moka::policy::EvictionPolicy;
use std::hash::Hash;
use std::num::NonZeroU32;

/// Nanoseconds in a millisecond, the resolution of the server's clock.
const NANOS_PER_MILLI: u64 = 1_000_000;

/// `per_second` units come back each second, up to `burst` held at once; a key seen for the
/// first time starts with a full burst. At most `max_keys` keys are remembered: past that the
/// least recently used one is forgotten (and starts again with a full burst if it returns).
#[derive(Debug)]
pub struct KeyedBudget<K: Hash + Eq + Clone + Send + Sync + 'static> {
    limiter: RateLimiter<K, BoundedState<K>, MillisClock, StateInformationMiddleware>,
    /// The limiter's state, shared with it (to count the keys held).
    cells: moka::sync::Cache<K, Nanos>,
    clock: MillisClock,
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> KeyedBudget<K> {
    pub fn new(per_second: NonZeroU32, burst: NonZeroU32, max_keys: u64, clock: SharedClock) -> Self {
        let quota = Quota::per_second(per_second).allow_burst(burst);
        let cells = moka::sync::Cache::builder()
            .max_capacity(max_keys)
            // A key's state is always admitted: moka's default admission policy could refuse
            // it, which would leave that key unlimited.
            .eviction_policy(EvictionPolicy::lru())
            .build();
        let clock = MillisClock(clock);
        let limiter = RateLimiter::new(quota, BoundedState { cells: cells.clone() }, clock.clone());
        Self { limiter, cells, clock }
    }

    /// Takes one unit of `key`'s budget and answers the units left; on an empty budget, takes
    /// nothing and answers when the next unit is back.
    pub fn take(&self, key: &K) -> Result<u32, Timestamp> {
        self.limiter
            .check_key(key)
            .map(|state| state.remaining_burst_capacity())
            .map_err(|not_until| timestamp_of(not_until.earliest_possible()))
    }

    /// Whole seconds from now until `at` (at least 1), as a `Retry-After` says them.
    pub fn seconds_until(&self, at: Timestamp) -> u64 {
        let millis = u64::try_from(at.millis().saturating_sub(self.clock.0.now().millis())).unwrap_or(0);
        millis.div_ceil(1_000).max(1)
    }

    /// The keys remembered (after moka's pending evictions are applied).
    pub fn keys(&self) -> u64 {
        self.cells.run_pending_tasks();
        self.cells.entry_count()
    }
}

/// The server's [`Clock`](coinswarm_core::time::Clock) as governor's time source:
/// milliseconds since the epoch, counted in nanoseconds. A clock set back makes the limiter
/// see no time pass (never a refill).
#[derive(Debug, Clone)]
struct MillisClock(SharedClock);

impl RateClock for MillisClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let millis = u64::try_from(self.0.now().millis()).unwrap_or(0);
        Nanos::new(millis.saturating_mul(NANOS_PER_MILLI))
    }
}

/// The time a [`MillisClock`] instant names, rounded up to the millisecond.
fn timestamp_of(instant: Nanos) -> Timestamp {
    Timestamp(i64::try_from(instant.as_u64().div_ceil(NANOS_PER_MILLI)).unwrap_or(i64::MAX))
}

/// governor's per-key state (each key's theoretical arrival time) in a bounded moka cache;
/// moka's per-key compute makes each update atomic, as governor requires.
#[derive(Debug)]
struct BoundedState<K: Hash + Eq + Send + Sync + 'static> {
    cells: moka::sync::Cache<K, Nanos>,
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> StateStore for BoundedState<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut outcome = None;
        self.cells.entry_by_ref(key).and_compute_with(|cell| {
            let (op, decided) = match f(cell.map(|cell| cell.into_value())) {
                Ok((value, next)) => (Op::Put(next), Ok(value)),
                Err(refusal) => (Op::Nop, Err(refusal)),
            };
            outcome = Some(decided);
            op
        });
        // moka runs the computation exactly once per call; the fallback re-measures without
        // storing, so it can never grant more than the state allows.
        outcome.unwrap_or_else(|| f(self.cells.get(key)).map(|(value, _)| value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coinswarm_core::time::ManualClock;
    use std::sync::Arc;

    fn budget(per_second: u32, burst: u32, max_keys: u64, clock: &Arc<ManualClock>) -> KeyedBudget<String> {
        let per_second = NonZeroU32::new(per_second).unwrap();
        let burst = NonZeroU32::new(burst).unwrap();
        KeyedBudget::new(per_second, burst, max_keys, clock.clone())
    }

    #[test]
    fn a_burst_is_spent_then_units_come_back_at_the_rate() {
        let clock = Arc::new(ManualClock::new(Timestamp(1_700_000_000_000)));
        let budget = budget(2, 3, 100, &clock);
        let key = "key-a".to_string();
        assert_eq!(budget.take(&key), Ok(2));
        assert_eq!(budget.take(&key), Ok(1));
        assert_eq!(budget.take(&key), Ok(0));
        let back = budget.take(&key).unwrap_err();
        assert_eq!(back, Timestamp(1_700_000_000_500), "one unit comes back after 1/2 s");
        assert_eq!(budget.seconds_until(back), 1);
        clock.advance(499);
        assert!(budget.take(&key).is_err(), "not a millisecond early");
        clock.advance(1);
        assert_eq!(budget.take(&key), Ok(0));
        assert_eq!(budget.take(&"key-b".to_string()), Ok(2), "each key has its own budget");
    }

    #[test]
    fn a_flood_of_distinct_keys_keeps_the_table_bounded() {
        let clock = Arc::new(ManualClock::new(Timestamp(0)));
        let budget = budget(1, 1, 500, &clock);
        for i in 0..20_000 {
            assert_eq!(budget.take(&format!("address-{i}")), Ok(0));
        }
        let held = budget.keys();
        assert!((1..=500).contains(&held), "at most 500 keys held: {held}");
        assert!(budget.take(&"address-19999".to_string()).is_err(), "the latest key is still remembered");
    }
}
