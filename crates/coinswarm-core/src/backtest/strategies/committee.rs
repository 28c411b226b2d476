//! The full swarm as a strategy: one swarm per product, all trading one paper account.

use crate::backtest::metrics::AgentAttribution;
use crate::backtest::strategy::{BarClose, Strategy};
use crate::exchange::MatchingEngine;
use crate::market::{Granularity, ProductId};
use crate::swarm::{AgentKind, Restrictions, Swarm, SwarmConfig, SwarmConfigError, SwarmError};
use std::collections::BTreeMap;

/// The committee of agents, exactly as `coinswarm swarm` and live sessions run it.
#[derive(Debug)]
pub struct CommitteeStrategy {
    config: SwarmConfig,
    granularity: Granularity,
    swarms: BTreeMap<ProductId, Swarm>,
}

impl CommitteeStrategy {
    pub fn new(config: SwarmConfig, granularity: Granularity) -> Result<Self, SwarmConfigError> {
        config.validate()?;
        Ok(Self { config, granularity, swarms: BTreeMap::new() })
    }

    /// The swarm of each product seen so far.
    pub fn swarms(&self) -> &BTreeMap<ProductId, Swarm> {
        &self.swarms
    }
}

impl Strategy for CommitteeStrategy {
    fn name(&self) -> String {
        "committee".to_string()
    }

    fn on_bar_close(&mut self, engine: &mut MatchingEngine, bar: &BarClose<'_>) {
        let swarm = match self.swarms.entry(bar.product.product_id) {
            std::collections::btree_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::btree_map::Entry::Vacant(entry) => {
                let created = Swarm::new(self.config.clone(), bar.product.clone(), self.granularity, None);
                // The config was validated in `new`, so creating a swarm cannot fail.
                let Ok(swarm) = created.map_err(|e: SwarmError| e) else { return };
                entry.insert(swarm)
            }
        };
        swarm.decide_at_close(engine, bar.candle, bar.other_venues);
    }

    /// Every product's swarm's restrictions, merged.
    fn restrictions(&self) -> Option<(Restrictions, f64)> {
        let mut merged = Restrictions::default();
        for swarm in self.swarms.values() {
            merged.merge(&swarm.summary().restrictions);
        }
        Some((merged, self.config.orchestrator.restricted_notice_fraction))
    }

    /// Per agent, over every product's swarm: votes and vetoes summed, accuracy over all
    /// scored votes, final weight averaged.
    fn attribution(&self) -> Vec<AgentAttribution> {
        let swarms = self.swarms.values().count().max(1) as f64;
        AgentKind::ALL
            .iter()
            .map(|&agent| {
                let i = agent.index();
                let (mut votes, mut vetoes, mut right, mut scored, mut weight) = (0, 0, 0u64, 0u64, 0.0);
                for swarm in self.swarms.values() {
                    votes += swarm.summary().votes[i];
                    vetoes += swarm.summary().vetoes[i];
                    let (r, s) = swarm.committee().track_record(agent);
                    right += u64::from(r);
                    scored += u64::from(s);
                    weight += swarm.effective_weights()[i];
                }
                AgentAttribution {
                    agent: agent.as_str().to_string(),
                    votes,
                    vetoes,
                    accuracy: (scored > 0).then(|| right as f64 / scored as f64),
                    final_weight: weight / swarms,
                }
            })
            .collect()
    }
}
