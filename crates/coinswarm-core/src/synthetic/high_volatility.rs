//! High-volatility regime: a driftless random walk in log price with wide bars.

use super::config::{SyntheticConfig, finite, non_negative};
use super::error::SyntheticError;
use super::series::{LogPriceProcess, build_candles};
use crate::market::Candle;
use serde::{Deserialize, Serialize};

/// Parameters of the high-volatility regime: geometric Brownian motion whose volatility is
/// several times that of the other regimes' defaults (100 bps per bar).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HighVolatilityConfig {
    /// Standard deviation of the log return per bar, in bps.
    pub volatility_bps: f64,
    /// Drift per bar, in bps of log price.
    pub drift_bps: f64,
}

impl Default for HighVolatilityConfig {
    fn default() -> Self {
        Self { volatility_bps: 400.0, drift_bps: 0.0 }
    }
}

/// Candles of a high-volatility series.
pub(crate) fn generate(
    config: &SyntheticConfig,
    volatile: &HighVolatilityConfig,
) -> Result<Vec<Candle>, SyntheticError> {
    build_candles(config, process(volatile)?)
}

/// The checked price process of the regime.
pub(crate) fn process(volatile: &HighVolatilityConfig) -> Result<HighVolatilityConfig, SyntheticError> {
    non_negative("volatility (bps)", volatile.volatility_bps)?;
    finite("drift (bps)", volatile.drift_bps)?;
    Ok(volatile.clone())
}

impl LogPriceProcess for HighVolatilityConfig {
    fn step(&self, log_price: f64, _bar: usize, dt: f64, shock: f64) -> f64 {
        log_price + self.drift_bps / 1e4 * dt + self.volatility_bps / 1e4 * dt.sqrt() * shock
    }
}

#[cfg(test)]
mod tests {
    use crate::synthetic::test_stats::{log_returns, stdev};
    use crate::synthetic::{RegimeKind, SyntheticConfig, generate};

    fn realised_volatility_bps(kind: RegimeKind, seed: u64) -> f64 {
        let market = generate(&SyntheticConfig::new(kind).with_bars(1_000).with_seed(seed)).unwrap();
        stdev(&log_returns(&market.candles)) * 1e4
    }

    #[test]
    fn realised_volatility_matches_the_config_and_dwarfs_the_other_regimes() {
        for seed in [1, 2, 3] {
            let high = realised_volatility_bps(RegimeKind::HighVolatility, seed);
            assert!((high / 400.0 - 1.0).abs() < 0.1, "seed {seed}: realised {high} bps per bar");
            for calm in [RegimeKind::Trending, RegimeKind::MeanReverting, RegimeKind::RangeBound] {
                let other = realised_volatility_bps(calm, seed);
                assert!(high > 3.0 * other, "seed {seed}: high-vol {high} bps vs {calm} {other} bps");
            }
        }
    }
}
