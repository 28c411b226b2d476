//! The full swarm as a strategy: one swarm per product, all trading one paper account.

use crate::backtest::strategy::{BarClose, Strategy};
use crate::exchange::MatchingEngine;
use crate::market::{Granularity, ProductId};
use crate::swarm::{Swarm, SwarmConfig, SwarmConfigError, SwarmError};
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
}
