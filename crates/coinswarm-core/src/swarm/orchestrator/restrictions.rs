//! How much of a run the swarm spent unable to add risk, by cause, with dates.

use crate::time::Timestamp;
use serde::Serialize;

/// Why a decision could not add risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restriction {
    /// An operator halted the account: nothing at all is sent.
    Halted,
    /// The circuit breaker was not closed.
    Breaker,
    /// Oversight's daily-loss or drawdown limit was breached, or it refused the decision's order.
    Oversight,
    /// An agent vetoed (a buy became a hold).
    Vetoed,
}

/// Decisions under one restriction: how many, the first and last, and the longest unbroken
/// run of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RestrictedSpan {
    pub decisions: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last: Option<Timestamp>,
    /// The longest run of consecutive restricted decisions: (from, to, decisions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest: Option<(Timestamp, Timestamp, u64)>,
    /// The run in progress, (from, decisions).
    #[serde(skip)]
    current: Option<(Timestamp, u64)>,
}

impl RestrictedSpan {
    /// Folds in one decision at `time`, restricted or not.
    fn record(&mut self, time: Timestamp, restricted: bool) {
        if !restricted {
            self.current = None;
            return;
        }
        self.decisions += 1;
        self.first.get_or_insert(time);
        self.last = Some(time);
        let (from, count) = self.current.map_or((time, 1), |(from, count)| (from, count + 1));
        self.current = Some((from, count));
        if self.longest.is_none_or(|(_, _, longest)| count > longest) {
            self.longest = Some((from, time, count));
        }
    }

    /// Merges another product's span (counts added, dates widened, the longer run kept).
    pub fn merge(&mut self, other: &RestrictedSpan) {
        self.decisions += other.decisions;
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = self.last.max(other.last);
        if other.longest.is_some_and(|(_, _, n)| self.longest.is_none_or(|(_, _, m)| n > m)) {
            self.longest = other.longest;
        }
    }
}

/// Every restriction a run met, and the decisions taken.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Restrictions {
    pub decisions: u64,
    /// Decisions under any restriction.
    pub any: RestrictedSpan,
    pub halted: RestrictedSpan,
    pub breaker: RestrictedSpan,
    pub oversight: RestrictedSpan,
    pub vetoed: RestrictedSpan,
}

impl Restrictions {
    /// Folds in one decision at `time` and the restrictions it was under.
    pub fn record(&mut self, time: Timestamp, under: &[Restriction]) {
        self.decisions += 1;
        self.any.record(time, !under.is_empty());
        self.halted.record(time, under.contains(&Restriction::Halted));
        self.breaker.record(time, under.contains(&Restriction::Breaker));
        self.oversight.record(time, under.contains(&Restriction::Oversight));
        self.vetoed.record(time, under.contains(&Restriction::Vetoed));
    }

    /// Merges another product's run.
    pub fn merge(&mut self, other: &Restrictions) {
        self.decisions += other.decisions;
        self.any.merge(&other.any);
        self.halted.merge(&other.halted);
        self.breaker.merge(&other.breaker);
        self.oversight.merge(&other.oversight);
        self.vetoed.merge(&other.vetoed);
    }

    /// The fraction of decisions under any restriction (0 without decisions).
    pub fn fraction(&self) -> f64 {
        if self.decisions == 0 { 0.0 } else { self.any.decisions as f64 / self.decisions as f64 }
    }

    /// Each cause with its span, in a fixed order.
    pub fn causes(&self) -> [(&'static str, &RestrictedSpan); 4] {
        [("halted", &self.halted), ("breaker", &self.breaker), ("oversight", &self.oversight), ("vetoed", &self.vetoed)]
    }

    /// A warning, in words, when more than `fraction` of the decisions were restricted;
    /// `None` otherwise.
    pub fn notice(&self, fraction: f64) -> Option<String> {
        if self.fraction() <= fraction {
            return None;
        }
        let date = |t: Option<Timestamp>| t.map_or_else(|| "-".to_string(), |t| t.to_rfc3339());
        let mut words = format!(
            "{} of {} decisions ({:.1}%) could not add risk, {} → {}:",
            self.any.decisions,
            self.decisions,
            self.fraction() * 100.0,
            date(self.any.first),
            date(self.any.last)
        );
        for (cause, span) in self.causes().iter().filter(|(_, span)| span.decisions > 0) {
            words.push_str(&format!(" {cause} {}", span.decisions));
            if let Some((from, to, n)) = span.longest {
                words.push_str(&format!(" (longest {n} in a row, {} → {})", from.to_rfc3339(), to.to_rfc3339()));
            }
            words.push(';');
        }
        words.pop();
        Some(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_restricted_beyond_the_fraction_says_so_with_counts_and_dates() {
        let mut restrictions = Restrictions::default();
        for t in 0..10 {
            let under: &[Restriction] = if (3..6).contains(&t) { &[Restriction::Breaker] } else { &[] };
            restrictions.record(Timestamp(t * 3_600_000), under);
        }
        assert_eq!(restrictions.any.decisions, 3);
        assert_eq!(restrictions.breaker.longest, Some((Timestamp(3 * 3_600_000), Timestamp(5 * 3_600_000), 3)));
        let notice = restrictions.notice(0.10).expect("30% > 10%");
        assert!(notice.starts_with("3 of 10 decisions (30.0%) could not add risk, 1970-01-01T03:00:00"), "{notice}");
        assert!(notice.contains("breaker 3 (longest 3 in a row"), "{notice}");
        assert_eq!(restrictions.notice(0.30), None, "exactly at the fraction is not beyond it");
    }
}
