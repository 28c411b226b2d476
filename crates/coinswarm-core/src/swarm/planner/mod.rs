//! The planner: detects the market regime and proposes committee weights for it.
//!
//! A proposal is accepted only if its weights sum to 1 and none exceeds `max_weight`
//! (default 0.7); an accepted proposal is valid for `validity_ms` and is then renewed. The
//! planner switches regime only after the new one persists `confirmation` observations,
//! so a single odd bar does not flip the committee.

mod regime;
mod weight_table;

pub use regime::{Regime, RegimeConfig, RegimeDetector, RegimeStatistics};
pub use weight_table::{RegimeWeights, WeightTable};

use crate::swarm::observation::Observation;
use crate::swarm::vote::AgentKind;
use crate::time::{HOUR_MS, Timestamp};
use serde::{Deserialize, Serialize};

/// Planner settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlannerConfig {
    pub regime: RegimeConfig,
    pub weights: WeightTable,
    /// Largest weight a proposal may give one agent. Default 0.7.
    pub max_weight: f64,
    /// How long an accepted proposal stays valid, in milliseconds. Default 24 hours.
    pub validity_ms: i64,
    /// Regime assumed until the detector's window is full. Default range-bound.
    pub initial_regime: Regime,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        Self {
            regime: RegimeConfig::default(),
            weights: WeightTable::default(),
            max_weight: 0.7,
            validity_ms: 24 * HOUR_MS,
            initial_regime: Regime::RangeBound,
        }
    }
}

/// A set of weights the planner put forward, and whether it was accepted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightProposal {
    pub regime: Regime,
    pub weights: RegimeWeights,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    /// `None` when accepted, else why it was rejected.
    pub rejected: Option<String>,
}

/// Detects the regime and keeps the committee's regime weights.
#[derive(Debug, Clone)]
pub struct Planner {
    config: PlannerConfig,
    detector: RegimeDetector,
    regime: Regime,
    candidate: Option<(Regime, usize)>,
    active: Option<WeightProposal>,
    /// Weights in force, per agent (hedge 0: the committee sets it).
    weights: [f64; AgentKind::COUNT],
}

impl Planner {
    pub fn new(config: PlannerConfig) -> Self {
        let regime = config.initial_regime;
        let weights = config.weights.for_regime(regime).to_array();
        Self {
            detector: RegimeDetector::new(config.regime.clone()),
            config,
            regime,
            candidate: None,
            active: None,
            weights,
        }
    }

    pub fn regime(&self) -> Regime {
        self.regime
    }

    /// Weights in force, per agent.
    pub fn weights(&self) -> &[f64; AgentKind::COUNT] {
        &self.weights
    }

    pub fn statistics(&self) -> RegimeStatistics {
        self.detector.statistics()
    }

    /// Folds in an observation; returns the proposal made at it, if one was (a confirmed
    /// regime change, or the renewal of an expired one), accepted or not.
    pub fn observe(&mut self, observation: &Observation) -> Option<WeightProposal> {
        let detected = self.detector.observe(observation);
        if let Some(detected) = detected {
            if detected == self.regime {
                self.candidate = None;
            } else {
                let seen = match self.candidate {
                    Some((regime, count)) if regime == detected => count + 1,
                    _ => 1,
                };
                self.candidate = Some((detected, seen));
                if seen >= self.config.regime.confirmation.max(1) {
                    self.candidate = None;
                    return Some(self.propose(detected, observation.time));
                }
            }
        }
        let expired = self.active.as_ref().is_none_or(|p| observation.time >= p.valid_until);
        expired.then(|| self.propose(self.regime, observation.time))
    }

    /// Proposes the table's weights for `regime` and adopts them if they pass the rules.
    pub fn propose(&mut self, regime: Regime, now: Timestamp) -> WeightProposal {
        let weights = self.config.weights.for_regime(regime);
        let proposal = WeightProposal {
            regime,
            weights,
            valid_from: now,
            valid_until: now.plus_millis(self.config.validity_ms.max(1)),
            rejected: weights.validate(self.config.max_weight).err(),
        };
        if proposal.rejected.is_none() {
            self.regime = regime;
            self.weights = weights.to_array();
            self.active = Some(proposal.clone());
        }
        proposal
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{RegimeKind, SyntheticConfig, generate};
    use crate::time::Timestamp;

    /// `first` regime's bars, then `second`'s continuing in time, as observations.
    fn series(first: RegimeKind, second: RegimeKind) -> Vec<Observation> {
        let a = generate(&SyntheticConfig::new(first)).unwrap();
        let mut config = SyntheticConfig::new(second);
        config.start_time = a.candles.last().unwrap().start.plus_millis(HOUR_MS);
        let b = generate(&config).unwrap();
        a.candles.iter().chain(&b.candles).map(|c| Observation::from_candle(a.product_id, c)).collect()
    }

    #[test]
    fn the_planner_switches_regime_and_weights_when_the_series_changes_character() {
        let mut planner = Planner::new(PlannerConfig::default());
        let mut switches = Vec::new();
        let mut regime_at_500 = None;
        for (i, observation) in series(RegimeKind::RangeBound, RegimeKind::HighVolatility).iter().enumerate() {
            if let Some(proposal) = planner.observe(observation)
                && proposal.rejected.is_none()
            {
                switches.push((i, proposal.regime));
            }
            if i == 499 {
                regime_at_500 = Some(planner.regime());
            }
        }
        assert_ne!(regime_at_500, Some(Regime::HighVolatility), "range-bound data is not high-volatility");
        assert_eq!(planner.regime(), Regime::HighVolatility);
        assert_eq!(planner.weights()[AgentKind::Risk.index()], 0.40);
        let switch = switches.iter().find(|(_, regime)| *regime == Regime::HighVolatility).unwrap();
        assert!((500..560).contains(&switch.0), "switches soon after the change: {switches:?}");
    }

    #[test]
    fn a_trending_series_is_called_trending() {
        let mut planner = Planner::new(PlannerConfig::default());
        let market = generate(&SyntheticConfig::new(RegimeKind::Trending)).unwrap();
        let mut trending = 0;
        for candle in &market.candles[300..] {
            planner.observe(&Observation::from_candle(market.product_id, candle));
            trending += usize::from(planner.regime() == Regime::Trending);
        }
        assert!(trending > 100, "{trending} of 200 bars in the uptrend called trending");
    }

    #[test]
    fn a_rejected_proposal_keeps_the_weights_in_force() {
        let mut config = PlannerConfig::default();
        config.weights.high_volatility.risk = 0.9;
        let mut planner = Planner::new(config);
        let before = *planner.weights();
        let proposal = planner.propose(Regime::HighVolatility, Timestamp::from_millis(0));
        assert!(proposal.rejected.unwrap().contains("exceeds the maximum 0.7"));
        assert_eq!(planner.weights(), &before);
        assert_eq!(planner.regime(), Regime::RangeBound);
    }
}
