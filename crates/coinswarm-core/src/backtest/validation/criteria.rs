//! Pass criteria: the thresholds a run must meet, and the reasons it fails them.

use super::RunSummary;
use serde::{Deserialize, Serialize};

/// What a run must achieve to pass. Every bound is inclusive (a Sharpe of exactly 1.5 meets a
/// minimum of 1.5). A metric that is undefined for the run (no trades, flat equity) fails its
/// criterion: a run that cannot be measured has not shown anything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassCriteria {
    /// Lowest annualised Sharpe ratio.
    pub min_sharpe: f64,
    /// Lowest win rate, as a fraction (0.55 is 55 %).
    pub min_win_rate: f64,
    /// Deepest acceptable drawdown, as a fraction of the peak (0.2 is 20 %).
    pub max_drawdown: f64,
    /// Fewest round trips; 0 imposes nothing.
    pub min_trades: u64,
}

impl Default for PassCriteria {
    /// The random-window defaults of the design brief: Sharpe ≥ 1.5, win rate ≥ 55 %,
    /// drawdown ≤ 20 %, no trade minimum.
    fn default() -> Self {
        Self { min_sharpe: 1.5, min_win_rate: 0.55, max_drawdown: 0.2, min_trades: 0 }
    }
}

impl PassCriteria {
    /// Every criterion `run` misses, in the order Sharpe, win rate, drawdown, trades; empty
    /// when it passes.
    pub fn failures(&self, run: &RunSummary) -> Vec<String> {
        let mut failures = Vec::new();
        match run.sharpe {
            None => failures.push("Sharpe undefined (fewer than 3 bars or flat equity)".to_string()),
            Some(s) if s < self.min_sharpe => failures.push(format!("Sharpe {s:.3} < {}", self.min_sharpe)),
            Some(_) => {}
        }
        match run.win_rate {
            None => failures.push("win rate undefined (no trades)".to_string()),
            Some(w) if w < self.min_win_rate => {
                failures.push(format!("win rate {} < {}", percent(w), percent(self.min_win_rate)));
            }
            Some(_) => {}
        }
        if run.max_drawdown > self.max_drawdown {
            failures.push(format!("drawdown {} > {}", percent(run.max_drawdown), percent(self.max_drawdown)));
        }
        if run.trades < self.min_trades {
            failures.push(format!("{} trades < {}", run.trades, self.min_trades));
        }
        failures
    }
}

/// A fraction as a percentage with at most two decimals and no trailing zeros (0.55 → "55%").
fn percent(fraction: f64) -> String {
    let text = format!("{:.2}", fraction * 100.0);
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn run(sharpe: Option<f64>, win_rate: Option<f64>, max_drawdown: f64, trades: u64) -> RunSummary {
        let t = Timestamp::from_millis(0);
        RunSummary {
            from: t,
            to: t,
            bars: 10,
            total_return: Some(0.0),
            sharpe,
            win_rate,
            max_drawdown,
            trades,
            fees: 0.0,
            restriction_notice: None,
        }
    }

    #[test]
    fn a_run_exactly_at_every_bound_passes() {
        let criteria = PassCriteria { min_trades: 5, ..PassCriteria::default() };
        assert!(criteria.failures(&run(Some(1.5), Some(0.55), 0.2, 5)).is_empty());
    }

    #[test]
    fn each_missed_bound_is_named_and_undefined_metrics_fail() {
        let criteria = PassCriteria { min_trades: 5, ..PassCriteria::default() };
        let failures = criteria.failures(&run(Some(1.0), Some(0.5), 0.25, 4));
        assert_eq!(failures, ["Sharpe 1.000 < 1.5", "win rate 50% < 55%", "drawdown 25% > 20%", "4 trades < 5"]);
        let failures = criteria.failures(&run(None, None, 0.0, 0));
        assert!(failures[0].starts_with("Sharpe undefined") && failures[1].starts_with("win rate undefined"));
    }
}
