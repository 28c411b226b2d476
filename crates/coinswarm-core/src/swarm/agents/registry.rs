//! Agent registration: how each [`AgentKind`] is built from the swarm's settings. The swarm
//! ([`crate::swarm::Swarm`]) and single-agent backtests
//! ([`crate::backtest::strategies::SingleAgent`]) both build their members here.

use super::{
    ArbitrageAgent, ExecutionAgent, HedgeAgent, LearnedAgent, MeanReversionAgent, RecallAgent, RiskAgent, TrendAgent,
};
use crate::risk::fees;
use crate::swarm::{Agent, AgentKind, SwarmConfig, SwarmConfigError};

/// The agent of `kind`, with its settings from `config`, for the product named `product` on
/// bars of `bar_ms` milliseconds. Refused only when the recall agent's state settings are,
/// or the learned agent has no model.
pub fn build(
    kind: AgentKind,
    config: &SwarmConfig,
    product: &str,
    bar_ms: i64,
) -> Result<Box<dyn Agent + Send>, SwarmConfigError> {
    Ok(match kind {
        AgentKind::Trend => Box::new(TrendAgent::new(config.trend.clone())),
        AgentKind::MeanReversion => Box::new(MeanReversionAgent::new(config.mean_reversion.clone())),
        AgentKind::Risk => Box::new(RiskAgent::new(config.risk.clone())),
        AgentKind::Hedge => Box::new(HedgeAgent::new(config.hedge.clone())),
        AgentKind::Arbitrage => Box::new(ArbitrageAgent::new(config.arbitrage.clone())),
        AgentKind::Execution => Box::new(ExecutionAgent::new(config.execution.clone())),
        AgentKind::Recall => {
            let fee = fees::round_trip_taker_rate(config.exchange.taker_fee_bps);
            let agent = RecallAgent::new(config.recall.clone(), product, bar_ms, fee)
                .map_err(|e| SwarmConfigError { field: "recall.state", message: e.to_string() })?;
            Box::new(agent)
        }
        AgentKind::Learned => {
            let fee = fees::round_trip_taker_rate(config.exchange.taker_fee_bps);
            let model = config.learned.model.clone().ok_or_else(missing_model)?;
            Box::new(LearnedAgent::new(config.learned.clone(), model, bar_ms, fee))
        }
    })
}

/// Why the learned agent cannot be built without a model.
pub fn missing_model() -> SwarmConfigError {
    SwarmConfigError {
        field: "learned.model",
        message: "is not set: the learned agent needs a trained model (`--model FILE`, from `coinswarm model train`)"
            .to_string(),
    }
}

/// Whether the swarm holds an agent of `kind` under `config`: every kind, except pattern
/// memory's recall agent unless `recall.enabled` and the learned agent unless
/// `learned.enabled`.
pub fn enabled(kind: AgentKind, config: &SwarmConfig) -> bool {
    match kind {
        AgentKind::Recall => config.recall.enabled,
        AgentKind::Learned => config.learned.enabled,
        _ => true,
    }
}
