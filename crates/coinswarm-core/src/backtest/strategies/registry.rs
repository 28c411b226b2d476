//! The strategy registry: every strategy a backtest can run, by name. The command line
//! (`coinswarm backtest`, `coinswarm validate …`), the desk and MCP's `run_backtest` all
//! resolve a name here, so a new strategy is one file in this folder plus one line in
//! [`StrategyName`] and [`build`].

use super::{BuyAndHold, CommitteeStrategy, SingleAgent, SmaCross};
use crate::backtest::Strategy;
use crate::market::Granularity;
use crate::swarm::{AgentKind, SwarmConfig, SwarmConfigError};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A strategy a backtest can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StrategyName {
    Committee,
    Trend,
    MeanReversion,
    Arbitrage,
    Recall,
    Learned,
    BuyAndHold,
    SmaCross,
}

impl StrategyName {
    /// Every strategy, in the order help texts list them.
    pub const ALL: [StrategyName; 8] = [
        StrategyName::Committee,
        StrategyName::Trend,
        StrategyName::MeanReversion,
        StrategyName::Arbitrage,
        StrategyName::Recall,
        StrategyName::Learned,
        StrategyName::BuyAndHold,
        StrategyName::SmaCross,
    ];

    /// The name in requests and files (`snake_case`, e.g. `mean_reversion`).
    pub const fn as_str(self) -> &'static str {
        match self {
            StrategyName::Committee => "committee",
            StrategyName::Trend => "trend",
            StrategyName::MeanReversion => "mean_reversion",
            StrategyName::Arbitrage => "arbitrage",
            StrategyName::Recall => "recall",
            StrategyName::Learned => "learned",
            StrategyName::BuyAndHold => "buy_and_hold",
            StrategyName::SmaCross => "sma_cross",
        }
    }

    /// The name on the command line (`kebab-case`, e.g. `mean-reversion`).
    pub const fn cli_name(self) -> &'static str {
        match self {
            StrategyName::MeanReversion => "mean-reversion",
            StrategyName::BuyAndHold => "buy-and-hold",
            StrategyName::SmaCross => "sma-cross",
            other => other.as_str(),
        }
    }

    /// One line on what the strategy does, for help texts and tool descriptions.
    pub const fn summary(self) -> &'static str {
        match self {
            StrategyName::Committee => "The full swarm: every agent, the committee, planner and guards.",
            StrategyName::Trend => "The trend agent alone.",
            StrategyName::MeanReversion => "The mean-reversion agent alone.",
            StrategyName::Arbitrage => "The arbitrage agent alone (needs a second venue's prices).",
            StrategyName::Recall => "The recall agent (pattern memory) alone: it learns online from its own episodes.",
            StrategyName::Learned => "The learned agent (a small neural network) alone: needs a model.",
            StrategyName::BuyAndHold => "Buy with all cash at the first bar, hold to the end.",
            StrategyName::SmaCross => "Long-only, all-in while the fast SMA is above the slow SMA.",
        }
    }

    /// Whether the strategy needs a second venue's closes (only the arbitrage agent does).
    pub const fn needs_second_venue(self) -> bool {
        matches!(self, StrategyName::Arbitrage)
    }

    /// Whether the strategy needs a trained model (`--model FILE`, or one trained per fold).
    pub const fn needs_model(self) -> bool {
        matches!(self, StrategyName::Learned)
    }

    /// Whether the strategy takes the SMA lengths of [`StrategySettings::sma`].
    pub const fn uses_sma_lengths(self) -> bool {
        matches!(self, StrategyName::SmaCross)
    }

    /// Every name, comma-separated, as error messages list them.
    pub fn list() -> String {
        Self::ALL.map(StrategyName::as_str).join(", ")
    }
}

impl fmt::Display for StrategyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StrategyName {
    type Err = StrategyError;

    /// Either spelling: `mean_reversion` or `mean-reversion`.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name || s.cli_name() == name)
            .ok_or_else(|| StrategyError::Unknown(name.to_string()))
    }
}

/// The fast and slow average lengths, in bars, of the SMA cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmaLengths {
    pub fast: usize,
    pub slow: usize,
}

impl Default for SmaLengths {
    /// 10 and 30 bars.
    fn default() -> Self {
        Self { fast: 10, slow: 30 }
    }
}

/// What a strategy is built from.
#[derive(Debug, Clone, Copy)]
pub struct StrategySettings<'a> {
    /// The swarm's thresholds (committee and single agents).
    pub swarm: &'a SwarmConfig,
    /// The bar length of the series it will run on.
    pub granularity: Granularity,
    /// How many products the run holds (buy-and-hold splits its cash among them).
    pub products: usize,
    /// The SMA cross's lengths (ignored by the other strategies).
    pub sma: SmaLengths,
}

/// Why a strategy could not be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StrategyError {
    #[error("unknown strategy '{0}': one of {list}", list = StrategyName::list())]
    Unknown(String),
    #[error("sma-cross needs 0 < fast < slow, got fast {fast}, slow {slow}")]
    SmaLengths { fast: usize, slow: usize },
    #[error(transparent)]
    Swarm(#[from] SwarmConfigError),
}

/// A fresh strategy of kind `name`. Whether a second venue is at hand is the caller's to
/// check ([`StrategyName::needs_second_venue`]): the arbitrage agent without one never trades.
pub fn build(name: StrategyName, settings: StrategySettings<'_>) -> Result<Box<dyn Strategy + Send>, StrategyError> {
    let swarm = settings.swarm.clone();
    Ok(match name {
        StrategyName::Committee => Box::new(CommitteeStrategy::new(swarm, settings.granularity)?),
        StrategyName::Trend => Box::new(SingleAgent::new(AgentKind::Trend, swarm)?),
        StrategyName::MeanReversion => Box::new(SingleAgent::new(AgentKind::MeanReversion, swarm)?),
        StrategyName::Arbitrage => Box::new(SingleAgent::new(AgentKind::Arbitrage, swarm)?),
        StrategyName::Recall => Box::new(SingleAgent::new(AgentKind::Recall, swarm)?),
        StrategyName::Learned => {
            let mut swarm = swarm;
            swarm.learned.enabled = true;
            Box::new(SingleAgent::new(AgentKind::Learned, swarm)?)
        }
        StrategyName::BuyAndHold => Box::new(BuyAndHold::new(settings.products.max(1))),
        StrategyName::SmaCross => {
            let SmaLengths { fast, slow } = settings.sma;
            if fast == 0 || fast >= slow {
                return Err(StrategyError::SmaLengths { fast, slow });
            }
            Box::new(SmaCross::new(fast, slow))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(swarm: &SwarmConfig, sma: SmaLengths) -> StrategySettings<'_> {
        StrategySettings { swarm, granularity: Granularity::OneHour, products: 1, sma }
    }

    #[test]
    fn every_name_reads_back_in_both_spellings() {
        for name in StrategyName::ALL {
            assert_eq!(name.cli_name(), name.as_str().replace('_', "-"));
            assert_eq!(name.as_str().parse::<StrategyName>(), Ok(name));
            assert_eq!(name.cli_name().parse::<StrategyName>(), Ok(name));
        }
        assert_eq!("mean-reversion".parse::<StrategyName>(), Ok(StrategyName::MeanReversion));
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_list_of_names() {
        let error = "momentum".parse::<StrategyName>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown strategy 'momentum': one of committee, trend, mean_reversion, arbitrage, recall, learned, buy_and_hold, sma_cross"
        );
    }

    #[test]
    fn every_strategy_builds_and_names_itself() {
        let swarm = SwarmConfig::default();
        let names: Vec<String> = StrategyName::ALL
            .into_iter()
            .filter(|name| !name.needs_model())
            .map(|name| build(name, settings(&swarm, SmaLengths::default())).unwrap().name())
            .collect();
        assert_eq!(
            names,
            [
                "committee",
                "agent:trend",
                "agent:mean_reversion",
                "agent:arbitrage",
                "agent:recall",
                "buy-and-hold",
                "sma-cross(10,30)"
            ]
        );
    }

    #[test]
    fn the_learned_strategy_without_a_model_is_refused_with_how_to_get_one() {
        let swarm = SwarmConfig::default();
        let error = build(StrategyName::Learned, settings(&swarm, SmaLengths::default())).err().unwrap();
        assert!(error.to_string().contains("learned.model is not set"), "{error}");
        assert!(error.to_string().contains("coinswarm model train"), "{error}");
    }

    #[test]
    fn sma_lengths_must_be_ordered_and_positive() {
        let swarm = SwarmConfig::default();
        for (fast, slow) in [(0, 30), (30, 30), (40, 30)] {
            let error = build(StrategyName::SmaCross, settings(&swarm, SmaLengths { fast, slow })).err();
            assert_eq!(error, Some(StrategyError::SmaLengths { fast, slow }));
        }
        assert!(build(StrategyName::SmaCross, settings(&swarm, SmaLengths { fast: 5, slow: 6 })).is_ok());
    }

    #[test]
    fn only_arbitrage_needs_a_second_venue() {
        let needing: Vec<_> = StrategyName::ALL.into_iter().filter(|s| s.needs_second_venue()).collect();
        assert_eq!(needing, [StrategyName::Arbitrage]);
    }
}
