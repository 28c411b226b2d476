//! `--strategy NAME` on the command line: the core's strategy registry as a clap value, so
//! `backtest` and `validate` list and accept exactly the strategies the registry builds.

use clap::ValueEnum;
use clap::builder::PossibleValue;
use coinswarm_core::backtest::strategies::StrategyName;

/// A strategy named on the command line (`mean-reversion` or `mean_reversion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrategyArg(pub StrategyName);

const VARIANTS: [StrategyArg; StrategyName::ALL.len()] = {
    let mut variants = [StrategyArg(StrategyName::Committee); StrategyName::ALL.len()];
    let mut i = 0;
    while i < variants.len() {
        variants[i] = StrategyArg(StrategyName::ALL[i]);
        i += 1;
    }
    variants
};

impl ValueEnum for StrategyArg {
    fn value_variants<'a>() -> &'a [Self] {
        &VARIANTS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.0.cli_name()).alias(self.0.as_str()).help(self.0.summary()))
    }
}
