//! The committee: weighted votes become one decision.
//!
//! Score per action = Σ weightᵢ·confidenceᵢ over the agents voting that action, divided by
//! Σ weightᵢ over every agent that voted (abstainers do not count), so weights move mass
//! between actions. A veto stops new risk, never an exit: it is not a vote (its weight is
//! left out of the scores), and it turns a winning Buy into Hold while a winning Sell (spot:
//! an exit) still goes. The best action needs a score ≥ the threshold
//! (default 0.7) and a strict lead over the runner-up (ties hold). Its size is the
//! weight·confidence-weighted mean of its voters' sizes; oversight caps it later.

use super::vote::{Action, AgentKind, Vote};
use serde::{Deserialize, Serialize};

/// Committee settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CommitteeConfig {
    /// Smallest winning score that trades, in [0, 1]. Default 0.7.
    pub threshold: f64,
    /// Weight of the hedge agent, which the planner's regime table does not cover. Default 0.15.
    pub hedge_weight: f64,
    /// Weight of the recall agent (pattern memory), which the regime table does not cover
    /// either. Default 0.15. It only counts when the recall agent votes (see `recall.enabled`).
    pub recall_weight: f64,
    /// Weight of the learned agent, likewise outside the regime table. Default 0.15. It only
    /// counts when the learned agent votes (see `learned.enabled`).
    pub learned_weight: f64,
    pub adaptive: AdaptiveWeightsConfig,
}

impl Default for CommitteeConfig {
    fn default() -> Self {
        Self {
            threshold: 0.7,
            hedge_weight: 0.15,
            recall_weight: 0.15,
            learned_weight: 0.15,
            adaptive: AdaptiveWeightsConfig::default(),
        }
    }
}

/// How agents' track records move their weights. An agent's effective weight is the
/// planner's regime weight times its performance multiplier; the multiplier starts at 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdaptiveWeightsConfig {
    /// Accuracy above which the multiplier grows. Default 0.6.
    pub raise_above: f64,
    /// Accuracy below which the multiplier shrinks. Default 0.4.
    pub lower_below: f64,
    /// Factor applied when raising. Default 1.1.
    pub raise_factor: f64,
    /// Factor applied when lowering. Default 0.9.
    pub lower_factor: f64,
    /// Bounds of the multiplier. Defaults 0.3 and 2.0.
    pub min_multiplier: f64,
    pub max_multiplier: f64,
    /// Resolved votes an agent needs before its accuracy counts. Default 10.
    pub min_samples: u32,
    /// Most recent resolved votes the accuracy looks at (older ones are forgotten by
    /// halving both counts when this many accumulate). Default 50.
    pub window: u32,
}

impl Default for AdaptiveWeightsConfig {
    fn default() -> Self {
        Self {
            raise_above: 0.6,
            lower_below: 0.4,
            raise_factor: 1.1,
            lower_factor: 0.9,
            min_multiplier: 0.3,
            max_multiplier: 2.0,
            min_samples: 10,
            window: 50,
        }
    }
}

/// What the committee decided on one event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CommitteeDecision {
    pub action: Action,
    /// Score of the chosen action (of the best action when it held for lack of score).
    pub score: f64,
    /// Scores of Buy, Sell and Hold, in that order.
    pub scores: [f64; 3],
    /// Fraction of equity to trade, in [0, 1]; 0 when holding.
    pub size: f64,
    /// The first agent that vetoed, when one did.
    pub vetoed_by: Option<AgentKind>,
}

/// Decides, and keeps each agent's track record.
#[derive(Debug, Clone, PartialEq)]
pub struct Committee {
    config: CommitteeConfig,
    multipliers: [f64; AgentKind::COUNT],
    correct: [u32; AgentKind::COUNT],
    resolved: [u32; AgentKind::COUNT],
}

impl Committee {
    pub fn new(config: CommitteeConfig) -> Self {
        Self {
            config,
            multipliers: [1.0; AgentKind::COUNT],
            correct: [0; AgentKind::COUNT],
            resolved: [0; AgentKind::COUNT],
        }
    }

    pub fn config(&self) -> &CommitteeConfig {
        &self.config
    }

    /// Each agent's effective weight: its regime weight (hedge, recall and learned: their configured weights) times
    /// its performance multiplier.
    pub fn effective_weights(&self, regime_weights: &[f64; AgentKind::COUNT]) -> [f64; AgentKind::COUNT] {
        let mut weights = *regime_weights;
        weights[AgentKind::Hedge.index()] = self.config.hedge_weight;
        weights[AgentKind::Recall.index()] = self.config.recall_weight;
        weights[AgentKind::Learned.index()] = self.config.learned_weight;
        for (weight, multiplier) in weights.iter_mut().zip(self.multipliers) {
            *weight *= multiplier;
        }
        weights
    }

    /// The decision for `votes` under `weights` (per agent, by [`AgentKind::index`]).
    pub fn decide(&self, votes: &[Vote], weights: &[f64; AgentKind::COUNT]) -> CommitteeDecision {
        let mut mass = [0.0; 3];
        let mut sized = [0.0; 3];
        let mut voted_weight = 0.0;
        let mut vetoed_by = None;
        for vote in votes {
            if vote.veto {
                vetoed_by.get_or_insert(vote.agent);
                continue;
            }
            let weight = weights[vote.agent.index()].max(0.0);
            voted_weight += weight;
            let i = vote.action.index();
            mass[i] += weight * vote.confidence;
            sized[i] += weight * vote.confidence * vote.size;
        }
        let scores = if voted_weight > 0.0 { mass.map(|m| m / voted_weight) } else { [0.0; 3] };
        let (best, runner_up) = top_two(&scores);
        let best_action = Action::ALL[best];
        let holds = (vetoed_by.is_some() && best_action == Action::Buy)
            || best_action == Action::Hold
            || scores[best] < self.config.threshold
            || scores[best] <= scores[runner_up];
        if holds {
            return CommitteeDecision { action: Action::Hold, score: scores[best], scores, size: 0.0, vetoed_by };
        }
        let size = if mass[best] > 0.0 { (sized[best] / mass[best]).clamp(0.0, 1.0) } else { 0.0 };
        CommitteeDecision { action: best_action, score: scores[best], scores, size, vetoed_by }
    }

    /// Records how a traded decision turned out: `realised_return` is the decision's return
    /// net of fees once its horizon passed. An agent that voted Buy is right when it is
    /// positive, one that voted Sell when it is negative; Hold votes are not scored.
    pub fn record_outcome(&mut self, votes: &[Vote], realised_return: f64) {
        for vote in votes {
            let right = match vote.action {
                Action::Buy => realised_return > 0.0,
                Action::Sell => realised_return < 0.0,
                Action::Hold => continue,
            };
            let i = vote.agent.index();
            if self.resolved[i] >= self.config.adaptive.window {
                self.resolved[i] /= 2;
                self.correct[i] /= 2;
            }
            self.resolved[i] += 1;
            self.correct[i] += u32::from(right);
        }
    }

    /// Moves every agent's multiplier by its accuracy (×1.1 above 0.6, ×0.9 below 0.4,
    /// within [0.3, 2.0]); agents with fewer than `min_samples` resolved votes keep theirs.
    pub fn adapt(&mut self) {
        let adaptive = &self.config.adaptive;
        for i in 0..AgentKind::COUNT {
            if self.resolved[i] < adaptive.min_samples.max(1) {
                continue;
            }
            let accuracy = f64::from(self.correct[i]) / f64::from(self.resolved[i]);
            let factor = if accuracy > adaptive.raise_above {
                adaptive.raise_factor
            } else if accuracy < adaptive.lower_below {
                adaptive.lower_factor
            } else {
                1.0
            };
            self.multipliers[i] =
                (self.multipliers[i] * factor).clamp(adaptive.min_multiplier, adaptive.max_multiplier);
        }
    }

    /// Each agent's performance multiplier.
    pub fn multipliers(&self) -> &[f64; AgentKind::COUNT] {
        &self.multipliers
    }

    /// An agent's scored directional votes so far: (right, scored).
    pub fn track_record(&self, agent: AgentKind) -> (u32, u32) {
        (self.correct[agent.index()], self.resolved[agent.index()])
    }

    /// Each agent's accuracy so far (None before any resolved vote).
    pub fn accuracy(&self, agent: AgentKind) -> Option<f64> {
        let i = agent.index();
        (self.resolved[i] > 0).then(|| f64::from(self.correct[i]) / f64::from(self.resolved[i]))
    }
}

/// Indices of the highest and second-highest scores (the first wins a tie for best).
fn top_two(scores: &[f64; 3]) -> (usize, usize) {
    let mut best = 0;
    for i in 1..3 {
        if scores[i] > scores[best] {
            best = i;
        }
    }
    let runner_up = (0..3).filter(|&i| i != best).fold(None::<usize>, |acc, i| match acc {
        Some(j) if scores[j] >= scores[i] => Some(j),
        _ => Some(i),
    });
    (best, runner_up.unwrap_or(best))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::vote::Reason;

    fn vote(agent: AgentKind, action: Action, confidence: f64) -> Vote {
        Vote::new(agent, action, confidence, 0.1, Reason::new("test", []))
    }

    fn weights(pairs: &[(AgentKind, f64)]) -> [f64; AgentKind::COUNT] {
        let mut w = [0.0; AgentKind::COUNT];
        for (agent, weight) in pairs {
            w[agent.index()] = *weight;
        }
        w
    }

    #[test]
    fn scores_divide_by_the_weight_of_every_agent_that_voted() {
        let committee = Committee::new(CommitteeConfig::default());
        let w = weights(&[(AgentKind::Trend, 0.5), (AgentKind::MeanReversion, 0.3), (AgentKind::Risk, 0.2)]);
        let votes = [
            vote(AgentKind::Trend, Action::Buy, 1.0),
            vote(AgentKind::MeanReversion, Action::Buy, 1.0),
            vote(AgentKind::Risk, Action::Hold, 0.5),
        ];
        let decision = committee.decide(&votes, &w);
        assert_eq!(decision.scores, [0.8, 0.0, 0.1]);
        assert_eq!(decision.action, Action::Buy);
        assert!((decision.size - 0.1).abs() < 1e-12);
    }

    #[test]
    fn a_score_below_the_threshold_holds_and_exactly_at_it_trades() {
        let committee = Committee::new(CommitteeConfig::default());
        let w = weights(&[(AgentKind::Trend, 0.7), (AgentKind::MeanReversion, 0.3)]);
        let at = [vote(AgentKind::Trend, Action::Buy, 1.0), vote(AgentKind::MeanReversion, Action::Sell, 0.0)];
        assert_eq!(committee.decide(&at, &w).action, Action::Buy, "0.7 ≥ 0.7");
        let below = [vote(AgentKind::Trend, Action::Buy, 0.99), vote(AgentKind::MeanReversion, Action::Sell, 0.0)];
        let decision = committee.decide(&below, &w);
        assert_eq!(decision.action, Action::Hold);
        assert!((decision.score - 0.693).abs() < 1e-12);
    }

    #[test]
    fn a_veto_turns_a_buy_into_hold() {
        let committee = Committee::new(CommitteeConfig::default());
        let w = weights(&[(AgentKind::Trend, 0.9), (AgentKind::Risk, 0.1)]);
        let votes = [vote(AgentKind::Trend, Action::Buy, 1.0), Vote::veto(AgentKind::Risk, Reason::new("vol", []))];
        let decision = committee.decide(&votes, &w);
        assert_eq!((decision.action, decision.vetoed_by), (Action::Hold, Some(AgentKind::Risk)));
    }

    #[test]
    fn a_veto_never_blocks_an_exit_and_does_not_dilute_the_sell_score() {
        let committee = Committee::new(CommitteeConfig::default());
        let w = weights(&[(AgentKind::Trend, 0.5), (AgentKind::Risk, 0.5)]);
        let votes =
            [vote(AgentKind::Trend, Action::Sell, 0.8), Vote::veto(AgentKind::Risk, Reason::new("drawdown", []))];
        let decision = committee.decide(&votes, &w);
        assert_eq!((decision.action, decision.vetoed_by), (Action::Sell, Some(AgentKind::Risk)));
        assert_eq!(decision.scores, [0.0, 0.8, 0.0], "the veto's weight is not in the denominator");
    }

    #[test]
    fn ties_hold() {
        let config = CommitteeConfig { threshold: 0.4, ..CommitteeConfig::default() };
        let committee = Committee::new(config);
        let w = weights(&[(AgentKind::Trend, 0.5), (AgentKind::MeanReversion, 0.5)]);
        let votes = [vote(AgentKind::Trend, Action::Buy, 1.0), vote(AgentKind::MeanReversion, Action::Sell, 1.0)];
        assert_eq!(committee.decide(&votes, &w).action, Action::Hold);
    }

    #[test]
    fn no_votes_hold_with_zero_scores() {
        let committee = Committee::new(CommitteeConfig::default());
        let decision = committee.decide(&[], &[0.2; AgentKind::COUNT]);
        assert_eq!((decision.action, decision.scores), (Action::Hold, [0.0; 3]));
    }

    #[test]
    fn accurate_agents_gain_weight_and_inaccurate_ones_lose_it_within_bounds() {
        let mut committee = Committee::new(CommitteeConfig::default());
        let votes = [vote(AgentKind::Trend, Action::Buy, 1.0), vote(AgentKind::MeanReversion, Action::Sell, 1.0)];
        for _ in 0..10 {
            committee.record_outcome(&votes, 0.01);
        }
        committee.adapt();
        assert!((committee.multipliers()[AgentKind::Trend.index()] - 1.1).abs() < 1e-12);
        assert!((committee.multipliers()[AgentKind::MeanReversion.index()] - 0.9).abs() < 1e-12);
        for _ in 0..100 {
            committee.record_outcome(&votes, 0.01);
            committee.adapt();
        }
        assert_eq!(committee.multipliers()[AgentKind::Trend.index()], 2.0);
        assert_eq!(committee.multipliers()[AgentKind::MeanReversion.index()], 0.3);
    }

    #[test]
    fn agents_between_forty_and_sixty_percent_keep_their_weight() {
        let mut committee = Committee::new(CommitteeConfig::default());
        let buy = [vote(AgentKind::Trend, Action::Buy, 1.0)];
        for i in 0..10 {
            committee.record_outcome(&buy, if i % 2 == 0 { 0.01 } else { -0.01 });
        }
        committee.adapt();
        assert_eq!(committee.multipliers()[AgentKind::Trend.index()], 1.0);
        assert_eq!(committee.accuracy(AgentKind::Trend), Some(0.5));
    }
}
