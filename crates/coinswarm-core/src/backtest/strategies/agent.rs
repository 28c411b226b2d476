//! One agent alone as a strategy: its Buy votes buy, its Sell votes exit.

use super::orders::{buy_with_cash, has_working_order, holds, sell_all};
use crate::backtest::strategy::{BarClose, Strategy};
use crate::exchange::MatchingEngine;
use crate::market::{ProductId, decimal_to_f64};
use crate::swarm::registry;
use crate::swarm::{
    Action, Agent, AgentKind, DecisionContext, Observation, PortfolioView, SwarmConfig, SwarmConfigError,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use std::collections::BTreeMap;

/// A single agent trading on its own votes: Buy (when flat) spends the vote's size as a
/// fraction of the cash, Sell exits the whole position, Hold and abstentions do nothing.
/// Agents that never initiate (risk, execution) therefore never trade.
#[derive(Debug)]
pub struct SingleAgent {
    kind: AgentKind,
    config: SwarmConfig,
    agents: BTreeMap<ProductId, Box<dyn Agent + Send>>,
}

impl SingleAgent {
    /// `kind` with its settings taken from `config` (refused when the config is invalid).
    pub fn new(kind: AgentKind, config: SwarmConfig) -> Result<Self, SwarmConfigError> {
        config.validate()?;
        Ok(Self { kind, config, agents: BTreeMap::new() })
    }

    /// The agent for one product, from the agent registry (the recall agent enabled, as it
    /// is the one asked for); `None` only if the recall agent's state settings were refused,
    /// which validation in [`SingleAgent::new`] rules out.
    fn build(&self, product_id: ProductId, bar_ms: i64) -> Option<Box<dyn Agent + Send>> {
        let mut config = self.config.clone();
        config.recall.enabled |= self.kind == AgentKind::Recall;
        config.learned.enabled |= self.kind == AgentKind::Learned;
        registry::build(self.kind, &config, &product_id.to_string(), bar_ms).ok()
    }
}

impl Strategy for SingleAgent {
    fn name(&self) -> String {
        format!("agent:{}", self.kind)
    }

    fn on_bar_close(&mut self, engine: &mut MatchingEngine, bar: &BarClose<'_>) {
        let product = bar.product;
        if !self.agents.contains_key(&product.product_id) {
            let bar_ms = bar.decided_at.millis() - bar.candle.start.millis();
            let Some(agent) = self.build(product.product_id, bar_ms) else { return };
            self.agents.insert(product.product_id, agent);
        }
        let Some(agent) = self.agents.get_mut(&product.product_id) else { return };
        let observation = Observation::from_candle(product.product_id, bar.candle);
        agent.observe(&observation);
        let account = engine.account();
        let close = bar.candle.close;
        let cash = account.balance(product.quote()).total();
        let base = account.balance(product.base()).total();
        let equity = decimal_to_f64(cash + base * close);
        let entry = account.position(product.product_id).map_or(0.0, |p| decimal_to_f64(p.average_entry_price()));
        let portfolio = PortfolioView {
            equity,
            peak_equity: equity,
            cash: decimal_to_f64(cash),
            position_size: decimal_to_f64(base),
            entry_price: entry,
            open_positions: usize::from(!base.is_zero()),
        };
        let context =
            DecisionContext { observation: &observation, portfolio: &portfolio, other_venues: bar.other_venues };
        // Alone, an agent has no planner: episodes are remembered in the configured initial regime.
        let regime = self.config.planner.initial_regime;
        agent.on_bar_close(bar.candle, &context, bar.decided_at, regime);
        let vote = agent.vote(&context);
        agent.on_decision(bar.decided_at, vote.map_or(Action::Hold, |v| v.action), regime, bar.close);
        let Some(vote) = vote else { return };
        if has_working_order(engine, product) {
            return;
        }
        match vote.action {
            Action::Buy if !holds(engine, product) => {
                let fraction = Decimal::from_f64(vote.size).unwrap_or_default().min(Decimal::ONE);
                buy_with_cash(engine, product, fraction, bar.decided_at);
            }
            Action::Sell if holds(engine, product) => sell_all(engine, product, bar.decided_at),
            _ => {}
        }
    }
}
