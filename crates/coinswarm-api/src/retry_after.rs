//! When a refused request may pass: the `Retry-After` every 503 (and 429) carries, in whole
//! seconds, never 0. A 503 is built with one ([`Failure::unavailable`](crate::Failure::unavailable)),
//! so each place that answers one decides how long the wait is: a figure it can compute
//! (bars still needed × the feed's bar interval while warming up), or one of the documented
//! defaults below.

use std::fmt;

/// Seconds until the same request may pass (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RetryAfter(u64);

impl RetryAfter {
    /// A slot that frees within moments: the backtest room, the connection or MCP-session
    /// caps, an account session being handed over between processes.
    pub const BUSY: RetryAfter = RetryAfter(1);
    /// A store, a platform binding (SQLite, Postgres, D1, KV, R2, a queue, a Durable Object)
    /// or an account session failed or stopped: such faults usually pass within seconds.
    pub const FAULT: RetryAfter = RetryAfter(5);
    /// Turned off in the configuration (pattern memory with `memory.enabled = false`): only
    /// a restart with it on brings it back, so a minute between asks is plenty.
    pub const TURNED_OFF: RetryAfter = RetryAfter(60);
    /// The agent tier did not answer the edge (down, slow, or the link's breaker open): about
    /// when the link's breaker lets the next call through to try it again.
    pub const LINK: RetryAfter = RetryAfter(5);

    /// `secs` seconds (0 is taken as 1: a `Retry-After` of 0 asks for a busy loop).
    pub const fn secs(secs: u64) -> Self {
        RetryAfter(if secs == 0 { 1 } else { secs })
    }

    /// `ms` milliseconds, rounded up to whole seconds (at least 1).
    pub const fn millis(ms: u64) -> Self {
        Self::secs(ms.div_ceil(1000))
    }

    /// The wait for `bars` more bars of `bar_ms` wall-clock milliseconds each (a warm-up),
    /// rounded up to whole seconds (at least 1).
    pub const fn bars(bars: u64, bar_ms: u64) -> Self {
        Self::millis(bars.saturating_mul(bar_ms))
    }

    pub const fn as_secs(self) -> u64 {
        self.0
    }
}

/// For people: "17 s", "13 min", "3 h" (rounded up past two minutes and two hours).
impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            secs @ ..120 => write!(f, "{secs} s"),
            secs @ ..7_200 => write!(f, "{} min", secs.div_ceil(60)),
            secs => write!(f, "{} h", secs.div_ceil(3_600)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_whole_seconds_rounded_up_and_never_zero() {
        assert_eq!(RetryAfter::secs(0).as_secs(), 1);
        assert_eq!(RetryAfter::millis(1).as_secs(), 1);
        assert_eq!(RetryAfter::millis(2_001).as_secs(), 3);
        assert_eq!(RetryAfter::bars(412, 40).as_secs(), 17, "16.48 s rounds up");
        assert_eq!(RetryAfter::bars(0, 1_000).as_secs(), 1);
        assert_eq!(RetryAfter::bars(u64::MAX, 60_000).as_secs(), u64::MAX.div_ceil(1000));
    }

    #[test]
    fn a_wait_reads_in_seconds_minutes_or_hours() {
        assert_eq!(RetryAfter::secs(17).to_string(), "17 s");
        assert_eq!(RetryAfter::secs(119).to_string(), "119 s");
        assert_eq!(RetryAfter::secs(121).to_string(), "3 min");
        assert_eq!(RetryAfter::bars(621, 60_000).to_string(), "11 h");
    }
}
