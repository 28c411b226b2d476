//! Per-agent attribution for the committee report.

use serde::{Deserialize, Serialize};

/// What one agent contributed to a committee backtest; the backtester fills it from the decision
/// log and the committee's final state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentAttribution {
    /// The agent's name, as in the decision log (`trend`, `risk`, …).
    pub agent: String,
    /// Votes the agent cast over the run.
    pub votes: u64,
    /// Vetoes the agent issued over the run.
    pub vetoes: u64,
    /// Fraction in [0, 1] of the agent's scored directional votes whose direction matched the
    /// outcome; `None` when none of its votes was scored.
    pub accuracy: Option<f64>,
    /// The agent's committee weight at the end of the run.
    pub final_weight: f64,
}
