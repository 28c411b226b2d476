//! The clock as a dependency: services that need "now" are given a [`Clock`], so live,
//! replay and tests differ only in the clock handed in. The core has no wall clock; the
//! server supplies one, and tests use a [`ManualClock`].

use super::Timestamp;
use std::fmt::Debug;
use std::sync::atomic::{AtomicI64, Ordering};

/// Where a service reads the current time from.
pub trait Clock: Send + Sync + Debug {
    /// The current time, UTC milliseconds.
    fn now(&self) -> Timestamp;
}

/// A clock that moves only when told to: for tests and simulations.
#[derive(Debug, Default)]
pub struct ManualClock {
    millis: AtomicI64,
}

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        Self { millis: AtomicI64::new(start.millis()) }
    }

    /// Shows `time` from now on.
    pub fn set(&self, time: Timestamp) {
        self.millis.store(time.millis(), Ordering::SeqCst);
    }

    /// Moves the clock forward by `millis` (backward if negative).
    pub fn advance(&self, millis: i64) {
        self.millis.fetch_add(millis, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.millis.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(Timestamp(1_000));
        assert_eq!(clock.now(), Timestamp(1_000));
        clock.advance(250);
        assert_eq!(clock.now(), Timestamp(1_250));
        clock.set(Timestamp(10));
        assert_eq!(clock.now(), Timestamp(10));
    }
}
