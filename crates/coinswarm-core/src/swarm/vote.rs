//! What an agent says: an action, how sure it is, how much, why, and whether it vetoes.

use serde::ser::{Serialize, Serializer};
use serde::{Deserialize, Serialize as SerializeDerive};
use std::fmt;

/// What to do with a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, SerializeDerive, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    Buy,
    Sell,
    Hold,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Buy, Action::Sell, Action::Hold];

    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Buy => "BUY",
            Action::Sell => "SELL",
            Action::Hold => "HOLD",
        }
    }

    /// Position in [`Action::ALL`], for per-action arrays.
    pub const fn index(self) -> usize {
        match self {
            Action::Buy => 0,
            Action::Sell => 1,
            Action::Hold => 2,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The members of the swarm. The discriminant is the agent's index in per-agent arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, SerializeDerive, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    Trend = 0,
    MeanReversion = 1,
    Risk = 2,
    Hedge = 3,
    Arbitrage = 4,
    Execution = 5,
    /// Pattern memory: votes by what happened after similar past states.
    Recall = 6,
    /// The learned model: votes by its prediction of the next horizon's return.
    Learned = 7,
}

impl AgentKind {
    pub const ALL: [AgentKind; 8] = [
        AgentKind::Trend,
        AgentKind::MeanReversion,
        AgentKind::Risk,
        AgentKind::Hedge,
        AgentKind::Arbitrage,
        AgentKind::Execution,
        AgentKind::Recall,
        AgentKind::Learned,
    ];
    /// Number of agents, the length of per-agent arrays.
    pub const COUNT: usize = 8;

    pub const fn index(self) -> usize {
        self as usize
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            AgentKind::Trend => "trend",
            AgentKind::MeanReversion => "mean_reversion",
            AgentKind::Risk => "risk",
            AgentKind::Hedge => "hedge",
            AgentKind::Arbitrage => "arbitrage",
            AgentKind::Execution => "execution",
            AgentKind::Recall => "recall",
            AgentKind::Learned => "learned",
        }
    }
}

impl fmt::Display for AgentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Most numbers a reason can name.
pub const REASON_VALUES: usize = 4;

/// Why an agent voted as it did, naming the numbers behind it, without allocating: a fixed
/// template whose `{}` placeholders are filled, in order, with `values` when displayed.
/// Example: `Reason::new("RSI {} below {} and price {} under the lower band {}", [28.4, 30.0, 48000.0, 48500.0])`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reason {
    pub template: &'static str,
    pub values: [f64; REASON_VALUES],
}

impl Reason {
    pub fn new<const N: usize>(template: &'static str, values: [f64; N]) -> Self {
        let mut all = [0.0; REASON_VALUES];
        for (slot, value) in all.iter_mut().zip(values) {
            *slot = value;
        }
        Self { template, values: all }
    }
}

impl fmt::Display for Reason {
    /// Fills each `{}` with the next value, with up to 4 decimals and no trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut values = self.values.iter();
        let mut parts = self.template.split("{}");
        if let Some(first) = parts.next() {
            f.write_str(first)?;
        }
        for part in parts {
            let value = values.next().copied().unwrap_or(f64::NAN);
            // Rounded to 4 decimals, then written in its shortest exact form: no trailing
            // zeros, and far cheaper than fixed-precision formatting (the decision log
            // renders every reason of every vote).
            let rounded = if value.is_finite() { (value * 1e4).round() / 1e4 } else { value };
            write!(f, "{}", if rounded == 0.0 { 0.0 } else { rounded })?;
            f.write_str(part)?;
        }
        Ok(())
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One agent's vote on one market event.
#[derive(Debug, Clone, Copy, PartialEq, SerializeDerive)]
pub struct Vote {
    pub agent: AgentKind,
    pub action: Action,
    /// How sure the agent is, in [0, 1].
    pub confidence: f64,
    /// How much to trade, as a fraction of equity in [0, 1] (0 for Hold).
    pub size: f64,
    pub reason: Reason,
    /// A veto forces the committee to Hold, whatever the scores.
    pub veto: bool,
}

impl Vote {
    /// A vote with `confidence` and `size` clamped into [0, 1] (NaN becomes 0).
    pub fn new(agent: AgentKind, action: Action, confidence: f64, size: f64, reason: Reason) -> Self {
        Self { agent, action, confidence: unit(confidence), size: unit(size), reason, veto: false }
    }

    /// A Hold vote that vetoes any trade.
    pub fn veto(agent: AgentKind, reason: Reason) -> Self {
        Self { agent, action: Action::Hold, confidence: 1.0, size: 0.0, reason, veto: true }
    }
}

fn unit(x: f64) -> f64 {
    if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_their_numbers_without_trailing_zeros() {
        let reason = Reason::new("RSI {} below {} and price {} under the lower band", [28.41237, 30.0, 48000.5]);
        assert_eq!(reason.to_string(), "RSI 28.4124 below 30 and price 48000.5 under the lower band");
    }

    #[test]
    fn votes_clamp_confidence_and_size_into_the_unit_interval() {
        let vote = Vote::new(AgentKind::Trend, Action::Buy, 1.7, f64::NAN, Reason::new("x", []));
        assert_eq!((vote.confidence, vote.size), (1.0, 0.0));
    }
}
