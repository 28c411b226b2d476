//! Mean-reverting regime: an Ornstein–Uhlenbeck process in log price around a level.

use super::config::{SyntheticConfig, non_negative, positive, price_in_range};
use super::error::SyntheticError;
use super::series::{LogPriceProcess, build_candles, to_f64};
use crate::market::Candle;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Parameters of the mean-reverting regime.
///
/// The log price `x` follows `dx = −θ (x − ln level) dt + σ dW` with `θ = ln 2 / half-life`,
/// stepped with the exact Ornstein–Uhlenbeck transition, so a deviation halves on average
/// every `half_life_bars` and the log price's long-run standard deviation is `σ / √(2θ)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MeanRevertingConfig {
    /// The level prices revert to, in quote currency (positive, at most
    /// [`MAX_PRICE`](crate::exchange::MAX_PRICE)); `None` means the start price.
    pub level: Option<Decimal>,
    /// Bars for a deviation from the level to halve on average (> 0).
    pub half_life_bars: f64,
    /// Instantaneous volatility σ per √bar, in bps of log price.
    pub volatility_bps: f64,
}

impl Default for MeanRevertingConfig {
    fn default() -> Self {
        Self { level: None, half_life_bars: 10.0, volatility_bps: 100.0 }
    }
}

/// Candles of a mean-reverting series and the level they revert to.
pub(crate) fn generate(
    config: &SyntheticConfig,
    reverting: &MeanRevertingConfig,
) -> Result<(Vec<Candle>, Decimal), SyntheticError> {
    let (process, level) = process(config, reverting)?;
    Ok((build_candles(config, process)?, level))
}

/// The checked price process of the regime and the level it reverts to.
pub(crate) fn process(
    config: &SyntheticConfig,
    reverting: &MeanRevertingConfig,
) -> Result<(OrnsteinUhlenbeck, Decimal), SyntheticError> {
    let level = reverting.level.unwrap_or(config.start_price);
    price_in_range("mean-reversion level", level)?;
    positive("half-life (bars)", reverting.half_life_bars)?;
    non_negative("volatility (bps)", reverting.volatility_bps)?;
    let process = OrnsteinUhlenbeck {
        log_level: libm::log(to_f64(level)),
        theta: std::f64::consts::LN_2 / reverting.half_life_bars,
        sigma: reverting.volatility_bps / 1e4,
    };
    Ok((process, level))
}

#[derive(Debug, Clone)]
pub(crate) struct OrnsteinUhlenbeck {
    log_level: f64,
    /// Reversion speed per bar.
    theta: f64,
    /// Volatility per √bar, as a fraction of log price.
    sigma: f64,
}

impl LogPriceProcess for OrnsteinUhlenbeck {
    fn step(&self, log_price: f64, _bar: usize, dt: f64, shock: f64) -> f64 {
        let decay = libm::exp(-self.theta * dt);
        let spread = self.sigma * ((1.0 - decay * decay) / (2.0 * self.theta)).sqrt();
        self.log_level + (log_price - self.log_level) * decay + spread * shock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::test_stats::{log_returns, mean};
    use crate::synthetic::{RegimeKind, RegimeMetadata, generate};
    use rust_decimal::prelude::ToPrimitive;

    fn closes(config: &SyntheticConfig) -> Vec<f64> {
        generate(config).unwrap().candles.iter().map(|c| c.close.to_f64().unwrap()).collect()
    }

    #[test]
    fn closes_average_out_at_the_level_over_a_long_run() {
        for seed in 0..4 {
            let config = SyntheticConfig::new(RegimeKind::MeanReverting).with_bars(2_000).with_seed(seed);
            let mean_close = mean(&closes(&config));
            // Long-run sd of log price ≈ 2.7 %; the mean of 2000 bars has sd ≈ 0.35 %.
            assert!((mean_close / 30_000.0 - 1.0).abs() < 0.015, "seed {seed}: mean close {mean_close}");
        }
    }

    #[test]
    fn a_deviation_is_followed_by_a_return_towards_the_level() {
        let config = SyntheticConfig::new(RegimeKind::MeanReverting).with_bars(2_000);
        let market = generate(&config).unwrap();
        let log_level = libm::log(30_000.0);
        let deviations: Vec<f64> =
            market.candles.iter().map(|c| libm::log(c.close.to_f64().unwrap()) - log_level).collect();
        let next_returns = log_returns(&market.candles);
        // OLS slope of the next bar's log return on the current deviation: −(1 − e^(−θ)) ≈ −0.067.
        let x = &deviations[..deviations.len() - 1];
        let (mx, my) = (mean(x), mean(&next_returns));
        let cov: f64 = x.iter().zip(&next_returns).map(|(a, b)| (a - mx) * (b - my)).sum();
        let var: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
        let slope = cov / var;
        assert!((-0.11..-0.03).contains(&slope), "reversion slope {slope}");
    }

    #[test]
    fn a_start_away_from_the_level_is_pulled_back() {
        let mut config = SyntheticConfig::new(RegimeKind::MeanReverting).with_bars(1_000);
        config.regime = crate::synthetic::Regime::MeanReverting(MeanRevertingConfig {
            level: Some(Decimal::new(24_000, 0)),
            ..MeanRevertingConfig::default()
        });
        let market = generate(&config).unwrap();
        assert_eq!(market.metadata, RegimeMetadata::MeanReverting { level: Decimal::new(24_000, 0) });
        let closes: Vec<f64> = market.candles.iter().map(|c| c.close.to_f64().unwrap()).collect();
        let late = mean(&closes[500..]);
        assert!((late / 24_000.0 - 1.0).abs() < 0.02, "late mean {late}");
    }
}
