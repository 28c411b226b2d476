//! A circuit breaker on a call to another tier: closed (calls pass) → open after
//! `failures_to_open` failures in a row, or when timeouts reach `timeout_rate_to_open` of
//! the last `window` calls → half-open after `open_ms` (up to `half_open_probes` calls test
//! the other side) → closed on a probe's success, open again on its failure. Time is
//! passed in (ms since the epoch), so the same policy runs in the Worker, in `up` and in
//! tests.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// When the breaker opens and how it recovers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Failures (errors or timeouts) in a row that open the breaker. Default 5.
    pub failures_to_open: u32,
    /// The share of timeouts among the last `window` calls that opens it. Default 0.5.
    pub timeout_rate_to_open: f64,
    /// Calls the timeout rate is taken over (the rate counts once the window is full).
    /// Default 20.
    pub window: usize,
    /// How long the breaker stays open before it lets a probe through, in ms. Default 5,000.
    pub open_ms: i64,
    /// Calls let through at once while half-open. Default 1.
    pub half_open_probes: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { failures_to_open: 5, timeout_rate_to_open: 0.5, window: 20, open_ms: 5_000, half_open_probes: 1 }
    }
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// An error answer or an unreachable peer.
    Failure,
    /// No answer within the call's timeout.
    Timeout,
}

/// Where the breaker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Closed,
    Open { since_ms: i64 },
    HalfOpen { probes_out: u32 },
}

/// The breaker's state as `/healthz` and `/api/swarm` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerView {
    /// `closed`, `open` or `half_open`.
    pub state: String,
    pub consecutive_failures: u32,
    /// Timeouts among the last calls counted.
    pub recent_timeouts: u32,
    /// While open: ms until a probe may pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_in_ms: Option<i64>,
    /// Times it has opened.
    pub opened: u64,
}

/// One breaker, for one upstream.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    phase: Phase,
    consecutive_failures: u32,
    /// The last `window` outcomes: whether each was a timeout.
    recent: VecDeque<bool>,
    opened: u64,
}

impl CircuitBreaker {
    pub fn new(config: BreakerConfig) -> Self {
        Self { config, phase: Phase::Closed, consecutive_failures: 0, recent: VecDeque::new(), opened: 0 }
    }

    /// Whether a call may go upstream at `now_ms`. While half-open each `true` is a probe
    /// the caller must [`record`](Self::record).
    pub fn try_call(&mut self, now_ms: i64) -> bool {
        match self.phase {
            Phase::Closed => true,
            Phase::Open { since_ms } if now_ms - since_ms >= self.config.open_ms => {
                self.phase = Phase::HalfOpen { probes_out: 1 };
                true
            }
            Phase::Open { .. } => false,
            Phase::HalfOpen { probes_out } if probes_out < self.config.half_open_probes.max(1) => {
                self.phase = Phase::HalfOpen { probes_out: probes_out + 1 };
                true
            }
            Phase::HalfOpen { .. } => false,
        }
    }

    /// Records how a call let through by [`try_call`](Self::try_call) ended.
    pub fn record(&mut self, outcome: Outcome, now_ms: i64) {
        let timed_out = outcome == Outcome::Timeout;
        self.recent.push_back(timed_out);
        while self.recent.len() > self.config.window.max(1) {
            self.recent.pop_front();
        }
        if outcome == Outcome::Success {
            self.consecutive_failures = 0;
            if matches!(self.phase, Phase::HalfOpen { .. }) {
                self.phase = Phase::Closed;
                self.recent.clear();
            }
            return;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        let open = match self.phase {
            Phase::HalfOpen { .. } => true,
            Phase::Open { .. } => false,
            Phase::Closed => {
                let window_full = self.recent.len() >= self.config.window.max(1);
                let timeouts = self.recent.iter().filter(|t| **t).count() as f64;
                self.consecutive_failures >= self.config.failures_to_open
                    || (window_full && timeouts / self.recent.len() as f64 >= self.config.timeout_rate_to_open)
            }
        };
        if open {
            self.phase = Phase::Open { since_ms: now_ms };
            self.opened += 1;
        }
    }

    /// Whether calls are refused at `now_ms` (open, and not yet due for a probe).
    pub fn is_open(&self, now_ms: i64) -> bool {
        matches!(self.phase, Phase::Open { since_ms } if now_ms - since_ms < self.config.open_ms)
    }

    /// The breaker's state at `now_ms`.
    pub fn view(&self, now_ms: i64) -> BreakerView {
        let (state, retry_in_ms) = match self.phase {
            Phase::Closed => ("closed", None),
            Phase::Open { since_ms } => ("open", Some((since_ms + self.config.open_ms - now_ms).max(0))),
            Phase::HalfOpen { .. } => ("half_open", None),
        };
        BreakerView {
            state: state.to_string(),
            consecutive_failures: self.consecutive_failures,
            recent_timeouts: self.recent.iter().filter(|t| **t).count() as u32,
            retry_in_ms,
            opened: self.opened,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> CircuitBreaker {
        CircuitBreaker::new(BreakerConfig {
            failures_to_open: 3,
            timeout_rate_to_open: 0.5,
            window: 4,
            open_ms: 1_000,
            half_open_probes: 1,
        })
    }

    #[test]
    fn failures_in_a_row_open_it_and_a_success_between_them_does_not() {
        let mut b = breaker();
        for outcome in [Outcome::Failure, Outcome::Failure, Outcome::Success, Outcome::Failure, Outcome::Failure] {
            assert!(b.try_call(0));
            b.record(outcome, 0);
        }
        assert_eq!(b.view(0).state, "closed");
        assert!(b.try_call(0));
        b.record(Outcome::Failure, 10);
        assert_eq!(b.view(10).state, "open");
        assert!(!b.try_call(500), "open: no call goes upstream");
        assert_eq!(b.view(500).retry_in_ms, Some(510));
        assert_eq!(b.view(500).opened, 1);
    }

    #[test]
    fn a_timeout_rate_over_the_window_opens_it_without_failures_in_a_row() {
        let mut b = breaker();
        for outcome in [Outcome::Success, Outcome::Timeout, Outcome::Success, Outcome::Timeout] {
            assert!(b.try_call(0));
            b.record(outcome, 0);
        }
        assert_eq!(b.view(0).state, "open", "2 timeouts in the last 4 calls reach the 50% rate");
    }

    #[test]
    fn after_open_ms_one_probe_passes_and_its_outcome_closes_or_reopens_it() {
        let mut b = breaker();
        for _ in 0..3 {
            b.try_call(0);
            b.record(Outcome::Failure, 0);
        }
        assert!(!b.try_call(999));
        assert!(b.try_call(1_000), "the probe");
        assert_eq!(b.view(1_000).state, "half_open");
        assert!(!b.try_call(1_001), "one probe at a time");
        b.record(Outcome::Timeout, 1_200);
        assert_eq!(b.view(1_200).state, "open", "a failed probe opens it again");
        assert!(b.try_call(2_200));
        b.record(Outcome::Success, 2_210);
        assert_eq!(b.view(2_210).state, "closed");
        assert_eq!(b.view(2_210).consecutive_failures, 0);
        assert!(b.try_call(2_211));
        assert_eq!(b.view(2_211).opened, 2);
    }
}
