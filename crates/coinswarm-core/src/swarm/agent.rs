//! The contract every member of the swarm fulfils.

use super::observation::Observation;
use super::planner::Regime;
use super::portfolio::PortfolioView;
use super::vote::{Action, AgentKind, Vote};
use crate::market::Candle;
use crate::time::Timestamp;

/// What an agent may consult besides its own state when it votes.
#[derive(Debug, Clone, Copy)]
pub struct DecisionContext<'a> {
    pub observation: &'a Observation,
    pub portfolio: &'a PortfolioView,
    /// The same product's last price on other venues, (venue, price), for cross-venue arbitrage.
    pub other_venues: &'a [(&'a str, f64)],
}

/// A specialised voter. `observe` folds each market event into the agent's indicators
/// (O(1), no allocation); `vote` reads that state and returns a vote, or `None` to abstain
/// (not warmed up, or no opinion) — abstainers do not count in the committee's denominator.
pub trait Agent: std::fmt::Debug + std::any::Any {
    fn kind(&self) -> AgentKind;
    fn observe(&mut self, observation: &Observation);
    fn vote(&self, context: &DecisionContext<'_>) -> Option<Vote>;
    /// At a bar's close `now`, before the vote, for agents whose state needs the account as
    /// it stands then (pattern memory embeds the position). Default: nothing.
    fn on_bar_close(&mut self, _candle: &Candle, _context: &DecisionContext<'_>, _now: Timestamp, _regime: Regime) {}
    /// The action the swarm took at that bar's close, at `price`. Default: nothing.
    fn on_decision(&mut self, _now: Timestamp, _action: Action, _regime: Regime, _price: f64) {}
}
