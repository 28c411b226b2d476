//! The swarm's members as one set indexed by their kind: every event reaches each member in
//! [`AgentKind::ALL`] order, and a member with a role beyond voting (the execution agent's
//! plans, pattern memory) is reached by its kind.

use super::registry;
use crate::market::Candle;
use crate::swarm::planner::Regime;
use crate::swarm::{Action, Agent, AgentKind, DecisionContext, Observation, SwarmConfig, SwarmConfigError, Vote};
use crate::time::Timestamp;
use std::any::Any;

/// The agents of one swarm, at most one per kind, in [`AgentKind::ALL`] order.
#[derive(Debug)]
pub struct AgentSet {
    members: Vec<Box<dyn Agent + Send>>,
    /// Where each kind sits in `members` (by [`AgentKind::index`]), `None` when not held.
    position: [Option<usize>; AgentKind::COUNT],
}

impl AgentSet {
    /// Every kind enabled under `config` ([`registry::enabled`]), built by the registry.
    pub fn new(config: &SwarmConfig, product: &str, bar_ms: i64) -> Result<Self, SwarmConfigError> {
        let members = AgentKind::ALL
            .into_iter()
            .filter(|&kind| registry::enabled(kind, config))
            .map(|kind| registry::build(kind, config, product, bar_ms))
            .collect::<Result<Vec<_>, _>>()?;
        let mut position = [None; AgentKind::COUNT];
        for (at, agent) in members.iter().enumerate() {
            position[agent.kind().index()] = Some(at);
        }
        Ok(Self { members, position })
    }

    /// The kinds held, in order.
    pub fn kinds(&self) -> impl Iterator<Item = AgentKind> + '_ {
        self.members.iter().map(|agent| agent.kind())
    }

    /// Folds a market event into every member.
    pub fn observe(&mut self, observation: &Observation) {
        for agent in &mut self.members {
            agent.observe(observation);
        }
    }

    /// A bar's close, before the vote (see [`Agent::on_bar_close`]).
    pub fn on_bar_close(&mut self, candle: &Candle, context: &DecisionContext<'_>, now: Timestamp, regime: Regime) {
        for agent in &mut self.members {
            agent.on_bar_close(candle, context, now, regime);
        }
    }

    /// Appends the vote of every member that does not abstain, in order.
    pub fn vote_into(&self, context: &DecisionContext<'_>, votes: &mut Vec<Vote>) {
        votes.extend(self.members.iter().filter_map(|agent| agent.vote(context)));
    }

    /// The action the swarm took at a bar's close (see [`Agent::on_decision`]).
    pub fn on_decision(&mut self, now: Timestamp, action: Action, regime: Regime, price: f64) {
        for agent in &mut self.members {
            agent.on_decision(now, action, regime, price);
        }
    }

    /// The member of `kind`, as its concrete type `T`; `None` when the set holds no such
    /// member or it is not a `T`.
    pub fn get<T: Agent + 'static>(&self, kind: AgentKind) -> Option<&T> {
        let agent = &self.members[self.position[kind.index()]?];
        let any: &dyn Any = agent.as_ref();
        any.downcast_ref()
    }

    /// The member of `kind`, as its concrete type `T`, to change.
    pub fn get_mut<T: Agent + 'static>(&mut self, kind: AgentKind) -> Option<&mut T> {
        let agent = &mut self.members[self.position[kind.index()]?];
        let any: &mut dyn Any = agent.as_mut();
        any.downcast_mut()
    }

    /// Replaces the member of the same kind as `agent`; `false` (and nothing changes) when the
    /// set holds none.
    pub fn replace(&mut self, agent: Box<dyn Agent + Send>) -> bool {
        match self.position[agent.kind().index()] {
            Some(at) => {
                self.members[at] = agent;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::{ExecutionAgent, RecallAgent, TrendAgent};

    #[test]
    fn the_set_holds_every_kind_in_order_and_recall_and_the_learned_agent_only_when_enabled() {
        let mut config = SwarmConfig::default();
        let without = AgentSet::new(&config, "BTC-USD", 3_600_000).unwrap();
        assert_eq!(without.kinds().collect::<Vec<_>>(), AgentKind::ALL[..AgentKind::COUNT - 2]);
        config.recall.enabled = true;
        let with = AgentSet::new(&config, "BTC-USD", 3_600_000).unwrap();
        assert_eq!(with.kinds().collect::<Vec<_>>(), AgentKind::ALL[..AgentKind::COUNT - 1]);
    }

    #[test]
    fn a_member_is_reached_by_its_kind_as_its_own_type() {
        let mut config = SwarmConfig::default();
        config.recall.enabled = true;
        let mut set = AgentSet::new(&config, "BTC-USD", 3_600_000).unwrap();
        assert!(set.get::<ExecutionAgent>(AgentKind::Execution).is_some());
        assert!(set.get::<TrendAgent>(AgentKind::Trend).is_some());
        assert!(set.get::<TrendAgent>(AgentKind::Execution).is_none(), "the wrong type is not a match");
        assert!(set.get_mut::<RecallAgent>(AgentKind::Recall).is_some());
    }

    #[test]
    fn replacing_a_member_the_set_does_not_hold_changes_nothing() {
        let config = SwarmConfig::default();
        let mut set = AgentSet::new(&config, "BTC-USD", 3_600_000).unwrap();
        let mut enabled = config.clone();
        enabled.recall.enabled = true;
        let recall = registry::build(AgentKind::Recall, &enabled, "BTC-USD", 3_600_000).unwrap();
        assert!(!set.replace(recall));
        assert!(set.get::<RecallAgent>(AgentKind::Recall).is_none());
        let trend = registry::build(AgentKind::Trend, &config, "BTC-USD", 3_600_000).unwrap();
        assert!(set.replace(trend));
    }
}
