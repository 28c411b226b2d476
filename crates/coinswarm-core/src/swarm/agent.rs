//! The contract every member of the swarm fulfils.

use super::observation::Observation;
use super::portfolio::PortfolioView;
use super::vote::{AgentKind, Vote};

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
pub trait Agent: std::fmt::Debug {
    fn kind(&self) -> AgentKind;
    fn observe(&mut self, observation: &Observation);
    fn vote(&self, context: &DecisionContext<'_>) -> Option<Vote>;
}
