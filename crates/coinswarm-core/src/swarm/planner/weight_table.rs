//! Committee weights per regime, and the rules a proposal must pass.

use super::regime::Regime;
use crate::swarm::vote::AgentKind;
use serde::{Deserialize, Serialize};

/// Weights of the five table agents in one regime (the hedge agent's weight is the
/// committee's own setting).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimeWeights {
    pub trend: f64,
    pub mean_reversion: f64,
    pub execution: f64,
    pub risk: f64,
    pub arbitrage: f64,
}

impl RegimeWeights {
    /// As a per-agent array (by [`AgentKind::index`]), hedge 0.
    pub fn to_array(self) -> [f64; AgentKind::COUNT] {
        let mut weights = [0.0; AgentKind::COUNT];
        weights[AgentKind::Trend.index()] = self.trend;
        weights[AgentKind::MeanReversion.index()] = self.mean_reversion;
        weights[AgentKind::Execution.index()] = self.execution;
        weights[AgentKind::Risk.index()] = self.risk;
        weights[AgentKind::Arbitrage.index()] = self.arbitrage;
        weights
    }

    fn values(self) -> [(&'static str, f64); 5] {
        [
            ("trend", self.trend),
            ("mean_reversion", self.mean_reversion),
            ("execution", self.execution),
            ("risk", self.risk),
            ("arbitrage", self.arbitrage),
        ]
    }

    /// Accepts weights that are finite, non-negative, sum to 1 (within 1e-9) and of which
    /// none exceeds `max_weight`; otherwise says why.
    pub fn validate(self, max_weight: f64) -> Result<(), String> {
        let mut sum = 0.0;
        for (agent, weight) in self.values() {
            if !weight.is_finite() || weight < 0.0 {
                return Err(format!("{agent} weight {weight} is not a non-negative number"));
            }
            if weight > max_weight {
                return Err(format!("{agent} weight {weight} exceeds the maximum {max_weight}"));
            }
            sum += weight;
        }
        if (sum - 1.0).abs() > 1e-9 {
            return Err(format!("weights sum to {sum}, not 1"));
        }
        Ok(())
    }
}

/// The planner's table: committee weights for each regime. Defaults from the design brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeightTable {
    /// Trend 0.50, mean reversion 0.10, execution 0.15, risk 0.15, arbitrage 0.10.
    pub trending: RegimeWeights,
    /// 0.15 / 0.45 / 0.15 / 0.15 / 0.10.
    pub range_bound: RegimeWeights,
    /// 0.20 / 0.15 / 0.15 / 0.40 / 0.10.
    pub high_volatility: RegimeWeights,
    /// 0.20 / 0.20 / 0.30 / 0.25 / 0.05.
    pub low_liquidity: RegimeWeights,
}

const fn weights(trend: f64, mean_reversion: f64, execution: f64, risk: f64, arbitrage: f64) -> RegimeWeights {
    RegimeWeights { trend, mean_reversion, execution, risk, arbitrage }
}

impl Default for WeightTable {
    fn default() -> Self {
        Self {
            trending: weights(0.50, 0.10, 0.15, 0.15, 0.10),
            range_bound: weights(0.15, 0.45, 0.15, 0.15, 0.10),
            high_volatility: weights(0.20, 0.15, 0.15, 0.40, 0.10),
            low_liquidity: weights(0.20, 0.20, 0.30, 0.25, 0.05),
        }
    }
}

impl WeightTable {
    pub fn for_regime(&self, regime: Regime) -> RegimeWeights {
        match regime {
            Regime::Trending => self.trending,
            Regime::RangeBound => self.range_bound,
            Regime::HighVolatility => self.high_volatility,
            Regime::LowLiquidity => self.low_liquidity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_passes_its_own_rules() {
        let table = WeightTable::default();
        for regime in Regime::ALL {
            assert_eq!(table.for_regime(regime).validate(0.7), Ok(()), "{regime}");
        }
    }

    #[test]
    fn proposals_must_sum_to_one_and_cap_each_weight() {
        assert!(weights(0.5, 0.1, 0.15, 0.15, 0.2).validate(0.7).unwrap_err().contains("sum to 1.1"));
        assert!(weights(0.75, 0.0, 0.05, 0.1, 0.1).validate(0.7).unwrap_err().contains("exceeds the maximum 0.7"));
        assert_eq!(weights(0.7, 0.0, 0.1, 0.1, 0.1).validate(0.7), Ok(()));
        assert!(weights(f64::NAN, 0.0, 0.1, 0.1, 0.1).validate(0.7).is_err());
    }
}
