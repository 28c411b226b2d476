//! Trending regime: a decline, then an uptrend strong enough to produce a golden cross.

use super::config::{SyntheticConfig, finite, invalid, non_negative};
use super::error::SyntheticError;
use super::golden_cross::{SLOW_SMA_BARS, golden_cross_bar};
use super::series::{LogPriceProcess, build_candles};
use crate::market::Candle;
use serde::{Deserialize, Serialize};

/// Parameters of the trending regime. Drifts and volatility are per bar, in basis points of
/// log price (100 bps ≈ 1 %).
///
/// The series declines for `lead_in_bars`, so the 50-bar average sits below the 200-bar one,
/// then rises at `drift_bps` until the end; the fast average crosses above the slow one a few
/// dozen bars into the rise. With the defaults, 300 seeds put the cross 32 to 95 bars after
/// the turn, never during the decline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrendingConfig {
    /// Bars of decline before the uptrend starts (at least 200, the slow average's length).
    pub lead_in_bars: usize,
    /// Drift per bar during the lead-in, in bps of log price (negative: a decline).
    pub lead_in_drift_bps: f64,
    /// Drift per bar during the uptrend, in bps of log price (positive).
    pub drift_bps: f64,
    /// Standard deviation of the log return per bar, in bps.
    pub volatility_bps: f64,
}

impl Default for TrendingConfig {
    fn default() -> Self {
        Self { lead_in_bars: 250, lead_in_drift_bps: -25.0, drift_bps: 40.0, volatility_bps: 80.0 }
    }
}

/// Candles of a trending series and the bar of its golden cross: the last one at or after the
/// trend start (bar `lead_in_bars`); a cross only during the decline is an error.
pub(crate) fn generate(
    config: &SyntheticConfig,
    trending: &TrendingConfig,
) -> Result<(Vec<Candle>, usize), SyntheticError> {
    let lead_in_bars = trending.lead_in_bars;
    let candles = build_candles(config, process(config, trending)?)?;
    let cross = golden_cross_bar(&candles, lead_in_bars)
        .ok_or(SyntheticError::NoGoldenCross { seed: config.seed, trend_start_bar: lead_in_bars })?;
    Ok((candles, cross))
}

/// The checked price process of the regime.
pub(crate) fn process(config: &SyntheticConfig, trending: &TrendingConfig) -> Result<Trend, SyntheticError> {
    if trending.lead_in_bars < SLOW_SMA_BARS {
        return Err(invalid("lead-in bars", trending.lead_in_bars, "at least 200"));
    }
    finite("lead-in drift (bps)", trending.lead_in_drift_bps)?;
    if !(trending.drift_bps.is_finite() && trending.drift_bps > 0.0) {
        return Err(invalid("drift (bps)", trending.drift_bps, "a finite number > 0 (an uptrend)"));
    }
    non_negative("volatility (bps)", trending.volatility_bps)?;
    let lead_in_bars = trending.lead_in_bars;
    let needed = lead_in_bars
        .checked_add(SLOW_SMA_BARS)
        .ok_or_else(|| invalid("lead-in bars", lead_in_bars, "at least 200 and at most the series' bars minus 200"))?;
    if config.bars < needed {
        return Err(SyntheticError::TrendTooShort { bars: config.bars, lead_in_bars, needed });
    }
    Ok(Trend(trending.clone()))
}

/// Brownian motion in log price with a drift that turns from the lead-in's to the trend's.
#[derive(Debug, Clone)]
pub(crate) struct Trend(TrendingConfig);

impl LogPriceProcess for Trend {
    fn step(&self, log_price: f64, bar: usize, dt: f64, shock: f64) -> f64 {
        let drift_bps = if bar < self.0.lead_in_bars { self.0.lead_in_drift_bps } else { self.0.drift_bps };
        log_price + drift_bps / 1e4 * dt + self.0.volatility_bps / 1e4 * dt.sqrt() * shock
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::test_stats::{log_returns, mean, sma};
    use crate::synthetic::{Regime, RegimeKind, RegimeMetadata, generate};

    #[test]
    fn every_seed_shows_the_reported_golden_cross_after_the_decline() {
        for seed in 0..20 {
            let market = generate(&SyntheticConfig::new(RegimeKind::Trending).with_seed(seed)).unwrap();
            let RegimeMetadata::Trending { trend_start_bar, golden_cross_bar: bar } = market.metadata else {
                panic!("trending metadata expected");
            };
            let closes: Vec<f64> = market.candles.iter().map(|c| c.close.try_into().unwrap()).collect();
            assert!(bar > trend_start_bar, "seed {seed}: cross at {bar} before the trend at {trend_start_bar}");
            assert!(sma(&closes, bar, 50) > sma(&closes, bar, 200), "seed {seed}");
            assert!(sma(&closes, bar - 1, 50) <= sma(&closes, bar - 1, 200), "seed {seed}");
            let last = closes.len() - 1;
            assert!(sma(&closes, last, 50) > sma(&closes, last, 200), "seed {seed}: trend holds to the end");
        }
    }

    #[test]
    fn the_uptrend_drifts_up_at_about_the_configured_rate() {
        let config = SyntheticConfig::new(RegimeKind::Trending).with_bars(1_250);
        let market = generate(&config).unwrap();
        let trend = &market.candles[250..];
        let drift_bps = mean(&log_returns(trend)) * 1e4;
        // 1000 bars of 80 bps noise: the mean's standard error is about 2.5 bps.
        assert!((drift_bps - 40.0).abs() < 10.0, "measured drift {drift_bps} bps per bar");
        assert!(trend.last().unwrap().close > trend[0].close);
    }

    #[test]
    fn a_cross_only_during_the_lead_in_is_no_golden_cross() {
        // A flat, noisy lead-in: with seed 2 the fast average crosses up at bar 295 and is
        // still above the slow one when the uptrend starts at bar 400, so no cross follows.
        let trending = TrendingConfig { lead_in_bars: 400, lead_in_drift_bps: 0.0, ..TrendingConfig::default() };
        let config = SyntheticConfig {
            regime: Regime::Trending(trending.clone()),
            ..SyntheticConfig::new(RegimeKind::Trending).with_bars(700).with_seed(2)
        };
        let candles = build_candles(&config, Trend(trending.clone())).unwrap();
        assert_eq!(golden_cross_bar(&candles, 0), Some(295));
        let err = generate(&config).unwrap_err();
        assert_eq!(err, SyntheticError::NoGoldenCross { seed: 2, trend_start_bar: 400 });
    }

    #[test]
    fn a_series_too_short_for_the_slow_average_is_refused() {
        let err = generate(&SyntheticConfig::new(RegimeKind::Trending).with_bars(300)).unwrap_err();
        assert_eq!(err, SyntheticError::TrendTooShort { bars: 300, lead_in_bars: 250, needed: 450 });
        assert!(err.to_string().contains("at least 450 bars"));
    }
}
