//! Every threshold of the swarm in one typed, documented config, with the design brief's
//! defaults. Serialised as TOML/JSON with unknown keys refused.

use super::agents::{ArbitrageConfig, ExecutionConfig, HedgeConfig, MeanReversionConfig, RiskConfig, TrendConfig};
use super::circuit_breaker::CircuitBreakerConfig;
use super::committee::CommitteeConfig;
use super::oversight::OversightConfig;
use super::planner::PlannerConfig;
use crate::exchange::ExchangeConfig;
use serde::{Deserialize, Serialize};

/// The whole swarm's settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SwarmConfig {
    pub trend: TrendConfig,
    pub mean_reversion: MeanReversionConfig,
    pub risk: RiskConfig,
    pub hedge: HedgeConfig,
    pub arbitrage: ArbitrageConfig,
    pub execution: ExecutionConfig,
    pub committee: CommitteeConfig,
    pub planner: PlannerConfig,
    pub oversight: OversightConfig,
    pub circuit_breaker: CircuitBreakerConfig,
    pub orchestrator: OrchestratorConfig,
    /// The paper exchange the swarm trades on (fees, slippage, participation cap).
    pub exchange: ExchangeConfig,
}

/// How decisions become orders, and how outcomes feed back into the committee.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrchestratorConfig {
    /// Largest order as a fraction of equity, whatever the committee asks. Default 0.25.
    pub max_order_fraction: f64,
    /// Bars after a traded decision at which its outcome is scored for adaptive weights. Default 24.
    pub outcome_horizon_bars: usize,
    /// Resolved outcomes between two adjustments of the agents' weights. Default 20.
    pub adapt_every: usize,
}

impl Default for OrchestratorConfig {
    fn default() -> Self {
        Self { max_order_fraction: 0.25, outcome_horizon_bars: 24, adapt_every: 20 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_design_briefs() {
        let config = SwarmConfig::default();
        assert_eq!(config.committee.threshold, 0.7);
        assert_eq!(config.planner.max_weight, 0.7);
        assert_eq!(config.planner.weights.trending.trend, 0.50);
        assert_eq!(config.hedge.stop_loss, 0.02);
        assert_eq!(config.hedge.take_profit, 0.06);
        assert_eq!(config.oversight.max_position_fraction.to_string(), "0.25");
        assert_eq!(config.oversight.max_trades_per_day, 50);
        assert_eq!(config.circuit_breaker.max_consecutive_losses, 5);
        assert_eq!(config.circuit_breaker.cooldown_ms, 15 * 60 * 1000);
        assert_eq!(config.orchestrator.max_order_fraction, 0.25);
        assert_eq!(config.mean_reversion.bollinger_period, 20);
    }

    #[test]
    fn a_config_round_trips_through_json_and_refuses_unknown_keys() {
        let text = serde_json::to_string(&SwarmConfig::default()).unwrap();
        let back: SwarmConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(back, SwarmConfig::default());
        let partial: SwarmConfig = serde_json::from_str(r#"{"committee":{"threshold":0.6}}"#).unwrap();
        assert_eq!(partial.committee.threshold, 0.6);
        assert!(serde_json::from_str::<SwarmConfig>(r#"{"comittee":{}}"#).is_err());
    }
}
