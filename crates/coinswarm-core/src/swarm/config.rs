//! Every threshold of the swarm in one typed, documented config, with the design brief's
//! defaults. Serialised as TOML/JSON with unknown keys refused.

use super::agents::{
    ArbitrageConfig, ExecutionConfig, HedgeConfig, LearnedConfig, MeanReversionConfig, RecallConfig, RiskConfig,
    TrendConfig,
};
use super::committee::CommitteeConfig;
use super::planner::PlannerConfig;
use crate::exchange::ExchangeConfig;
use crate::memory::state::{MAX_DIMENSIONS, MIN_DIMENSIONS};
use crate::risk::CircuitBreakerConfig;
use crate::risk::OversightConfig;
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
    /// Pattern memory's agent (off by default here; `coinswarm up` turns it on).
    pub recall: RecallConfig,
    /// The learned agent (off unless a model is given).
    pub learned: LearnedConfig,
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
    /// A run whose decisions were unable to add risk (halted, breaker, oversight, vetoed) more
    /// than this fraction of the time says so, with counts and dates, in its summary and
    /// reports. Default 0.10.
    pub restricted_notice_fraction: f64,
}

impl Default for OrchestratorConfig {
    fn default() -> Self {
        Self { max_order_fraction: 0.25, outcome_horizon_bars: 24, adapt_every: 20, restricted_notice_fraction: 0.10 }
    }
}

/// Longest indicator or rolling window accepted, in bars: bounds the memory a config can ask for.
pub const MAX_PERIOD: usize = 100_000;

/// A setting out of its range: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid swarm config: {field} {message}")]
pub struct SwarmConfigError {
    pub field: &'static str,
    pub message: String,
}

impl SwarmConfig {
    /// Checks every setting a user could get wrong in a config file: numbers finite, fractions
    /// in [0, 1], periods from 1 to [`MAX_PERIOD`], minimums not above maximums, and every
    /// row of the planner's weight table passing the planner's own rules. The exchange section
    /// is checked by the exchange.
    pub fn validate(&self) -> Result<(), SwarmConfigError> {
        let (t, m, r, h, a, e) =
            (&self.trend, &self.mean_reversion, &self.risk, &self.hedge, &self.arbitrage, &self.execution);
        for (field, value) in [
            ("trend.fast_period", t.fast_period),
            ("trend.slow_period", t.slow_period),
            ("trend.momentum_period", t.momentum_period),
            ("trend.rsi_period", t.rsi_period),
            ("mean_reversion.bollinger_period", m.bollinger_period),
            ("mean_reversion.zscore_period", m.zscore_period),
            ("mean_reversion.rsi_period", m.rsi_period),
            ("risk.volatility_period", r.volatility_period),
            ("risk.move_bars", r.move_bars),
            ("execution.volatility_period", e.volatility_period),
            ("execution.volume_period", e.volume_period),
            ("planner.regime.window", self.planner.regime.window),
            ("planner.regime.confirmation", self.planner.regime.confirmation),
            ("orchestrator.outcome_horizon_bars", self.orchestrator.outcome_horizon_bars),
            ("orchestrator.adapt_every", self.orchestrator.adapt_every),
            ("recall.k", self.recall.k),
            ("recall.horizon_bars", self.recall.horizon_bars),
            ("recall.patterns.learn_every", self.recall.patterns.learn_every),
            ("recall.patterns.kmeans.k", self.recall.patterns.kmeans.k),
            ("recall.patterns.kmeans.max_iterations", self.recall.patterns.kmeans.max_iterations),
            ("learned.keep_samples", self.learned.keep_samples),
            ("learned.online.every_resolved", self.learned.online.every_resolved),
            ("learned.online.evaluation_samples", self.learned.online.evaluation_samples),
            ("learned.online.min_train_samples", self.learned.online.min_train_samples),
            ("learned.online.epochs", self.learned.online.epochs),
        ] {
            if !(1..=MAX_PERIOD).contains(&value) {
                return Err(SwarmConfigError {
                    field,
                    message: format!("must be from 1 to {MAX_PERIOD}, got {value}"),
                });
            }
        }
        for (field, value) in [
            ("trend.base_confidence", t.base_confidence),
            ("trend.fresh_cross_bonus", t.fresh_cross_bonus),
            ("trend.momentum_bonus", t.momentum_bonus),
            ("trend.max_size", t.max_size),
            ("mean_reversion.base_confidence", m.base_confidence),
            ("mean_reversion.agreement_bonus", m.agreement_bonus),
            ("mean_reversion.stretch_bonus", m.stretch_bonus),
            ("mean_reversion.max_size", m.max_size),
            ("risk.max_concentration", r.max_concentration),
            ("risk.max_drawdown", r.max_drawdown),
            ("hedge.stop_loss", h.stop_loss),
            ("hedge.take_profit", h.take_profit),
            ("hedge.risk_per_trade", h.risk_per_trade),
            ("arbitrage.trade_size", a.trade_size),
            ("execution.limit_offset_spread_fraction", e.limit_offset_spread_fraction),
            ("committee.threshold", self.committee.threshold),
            ("committee.adaptive.raise_above", self.committee.adaptive.raise_above),
            ("committee.adaptive.lower_below", self.committee.adaptive.lower_below),
            ("planner.max_weight", self.planner.max_weight),
            ("orchestrator.max_order_fraction", self.orchestrator.max_order_fraction),
            ("orchestrator.restricted_notice_fraction", self.orchestrator.restricted_notice_fraction),
            ("committee.recall_weight", self.committee.recall_weight),
            ("committee.learned_weight", self.committee.learned_weight),
            ("learned.max_size", self.learned.max_size),
            ("recall.min_similarity", self.recall.min_similarity),
            ("recall.max_size", self.recall.max_size),
            ("recall.patterns.established_weight", self.recall.patterns.established_weight),
            ("recall.patterns.quarantine_drawdown", self.recall.patterns.quarantine_drawdown),
            ("recall.patterns.governance.max_drawdown", self.recall.patterns.governance.max_drawdown),
            ("recall.patterns.governance.min_regime_share", self.recall.patterns.governance.min_regime_share),
            (
                "recall.patterns.governance.new_pattern_weight_cap",
                self.recall.patterns.governance.new_pattern_weight_cap,
            ),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(SwarmConfigError {
                    field,
                    message: format!("must be a fraction from 0 to 1, got {value}"),
                });
            }
        }
        for (field, value) in [
            ("trend.rsi_overbought", t.rsi_overbought),
            ("trend.rsi_oversold", t.rsi_oversold),
            ("trend.full_momentum_pct", t.full_momentum_pct),
            ("mean_reversion.bollinger_sigmas", m.bollinger_sigmas),
            ("mean_reversion.zscore_threshold", m.zscore_threshold),
            ("mean_reversion.rsi_oversold", m.rsi_oversold),
            ("mean_reversion.rsi_overbought", m.rsi_overbought),
            ("mean_reversion.full_stretch_sigmas", m.full_stretch_sigmas),
            ("risk.max_volatility", r.max_volatility),
            ("risk.max_spread_bps", r.max_spread_bps),
            ("risk.max_move", r.max_move),
            ("hedge.min_reward_risk", h.min_reward_risk),
            ("arbitrage.fee_bps", a.fee_bps),
            ("arbitrage.min_net_edge_bps", a.min_net_edge_bps),
            ("arbitrage.full_confidence_net_edge_bps", a.full_confidence_net_edge_bps),
            ("execution.max_market_spread_bps", e.max_market_spread_bps),
            ("execution.max_market_volatility", e.max_market_volatility),
            ("execution.slice_above_bar_volume", e.slice_above_bar_volume),
            ("execution.slice_above_notional", e.slice_above_notional),
            ("committee.hedge_weight", self.committee.hedge_weight),
            ("committee.adaptive.raise_factor", self.committee.adaptive.raise_factor),
            ("committee.adaptive.lower_factor", self.committee.adaptive.lower_factor),
            ("committee.adaptive.min_multiplier", self.committee.adaptive.min_multiplier),
            ("committee.adaptive.max_multiplier", self.committee.adaptive.max_multiplier),
            ("planner.regime.high_volatility_annualised", self.planner.regime.high_volatility_annualised),
            ("planner.regime.trending_efficiency", self.planner.regime.trending_efficiency),
            ("planner.regime.low_liquidity_spread_bps", self.planner.regime.low_liquidity_spread_bps),
            ("planner.regime.low_liquidity_volume_ratio", self.planner.regime.low_liquidity_volume_ratio),
            ("recall.min_edge", self.recall.min_edge),
            ("learned.min_edge", self.learned.min_edge),
            ("recall.state.half_life_bars", self.recall.state.half_life_bars),
            ("recall.state.clip", self.recall.state.clip),
            ("recall.patterns.governance.min_sharpe", self.recall.patterns.governance.min_sharpe),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(SwarmConfigError { field, message: format!("must be a finite number ≥ 0, got {value}") });
            }
        }
        if self.learned.enabled && self.learned.model.is_none() {
            return Err(super::agents::registry::missing_model());
        }
        let adaptive = &self.committee.adaptive;
        if adaptive.min_multiplier > adaptive.max_multiplier {
            return Err(SwarmConfigError {
                field: "committee.adaptive.min_multiplier",
                message: format!("{} is above max_multiplier {}", adaptive.min_multiplier, adaptive.max_multiplier),
            });
        }
        if adaptive.window < adaptive.min_samples.max(1) {
            return Err(SwarmConfigError {
                field: "committee.adaptive.window",
                message: format!(
                    "{} is below min_samples {}: weights would never adapt",
                    adaptive.window, adaptive.min_samples
                ),
            });
        }
        if !(MIN_DIMENSIONS..=MAX_DIMENSIONS).contains(&self.recall.state.dimensions) {
            return Err(SwarmConfigError {
                field: "recall.state.dimensions",
                message: format!(
                    "must be from {MIN_DIMENSIONS} to {MAX_DIMENSIONS}, got {}",
                    self.recall.state.dimensions
                ),
            });
        }
        if self.recall.state.half_life_bars <= 0.0 || self.recall.state.clip <= 0.0 {
            return Err(SwarmConfigError {
                field: "recall.state",
                message: "half_life_bars and clip must be positive".to_string(),
            });
        }
        if self.recall.max_indexed_episodes == 0 {
            return Err(SwarmConfigError {
                field: "recall.max_indexed_episodes",
                message: "must be at least 1".to_string(),
            });
        }
        if self.recall.k > crate::memory::MAX_TOP_K {
            return Err(SwarmConfigError {
                field: "recall.k",
                message: format!("must be from 1 to {}, got {}", crate::memory::MAX_TOP_K, self.recall.k),
            });
        }
        if e.max_slices == 0 {
            return Err(SwarmConfigError { field: "execution.max_slices", message: "must be at least 1".to_string() });
        }
        if self.planner.validity_ms <= 0 {
            return Err(SwarmConfigError {
                field: "planner.validity_ms",
                message: format!("must be positive, got {}", self.planner.validity_ms),
            });
        }
        for regime in super::planner::Regime::ALL {
            if let Err(message) = self.planner.weights.for_regime(regime).validate(self.planner.max_weight) {
                return Err(SwarmConfigError { field: "planner.weights", message: format!("{regime}: {message}") });
            }
        }
        Ok(())
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

    #[test]
    fn the_default_config_is_valid_and_nonsense_is_refused_by_name() {
        assert_eq!(SwarmConfig::default().validate(), Ok(()));
        let refused = |edit: fn(&mut SwarmConfig)| {
            let mut config = SwarmConfig::default();
            edit(&mut config);
            config.validate().unwrap_err().field
        };
        assert_eq!(refused(|c| c.committee.threshold = f64::NAN), "committee.threshold");
        assert_eq!(refused(|c| c.committee.threshold = -1.0), "committee.threshold");
        assert_eq!(refused(|c| c.orchestrator.max_order_fraction = 5.0), "orchestrator.max_order_fraction");
        assert_eq!(refused(|c| c.orchestrator.outcome_horizon_bars = usize::MAX), "orchestrator.outcome_horizon_bars");
        assert_eq!(refused(|c| c.planner.regime.window = 100_000_000_000_000), "planner.regime.window");
        assert_eq!(refused(|c| c.trend.slow_period = 0), "trend.slow_period");
        assert_eq!(refused(|c| c.committee.adaptive.min_multiplier = 3.0), "committee.adaptive.min_multiplier");
        assert_eq!(refused(|c| c.committee.adaptive.window = 5), "committee.adaptive.window");
        assert_eq!(refused(|c| c.planner.weights.range_bound.trend = 0.9), "planner.weights");
        assert_eq!(refused(|c| c.planner.validity_ms = -1), "planner.validity_ms");
        assert_eq!(refused(|c| c.recall.k = 0), "recall.k");
        assert_eq!(refused(|c| c.recall.k = 5_000), "recall.k");
        assert_eq!(refused(|c| c.recall.state.dimensions = 8), "recall.state.dimensions");
        assert_eq!(refused(|c| c.recall.max_size = 2.0), "recall.max_size");
        assert_eq!(refused(|c| c.recall.max_indexed_episodes = 0), "recall.max_indexed_episodes");
        assert_eq!(
            refused(|c| c.recall.patterns.governance.new_pattern_weight_cap = -0.1),
            "recall.patterns.governance.new_pattern_weight_cap"
        );
    }
}
