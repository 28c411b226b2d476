//! Market regimes and their detection from rolling statistics.

use crate::swarm::observation::Observation;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;

/// The market's character, as the planner sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    Trending,
    RangeBound,
    HighVolatility,
    LowLiquidity,
}

impl Regime {
    pub const ALL: [Regime; 4] = [Regime::Trending, Regime::RangeBound, Regime::HighVolatility, Regime::LowLiquidity];

    pub const fn as_str(self) -> &'static str {
        match self {
            Regime::Trending => "trending",
            Regime::RangeBound => "range_bound",
            Regime::HighVolatility => "high_volatility",
            Regime::LowLiquidity => "low_liquidity",
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How regimes are told apart. Precedence: low liquidity, then high volatility, then
/// trending, else range-bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegimeConfig {
    /// Bars in the rolling window of returns. Default 48.
    pub window: usize,
    /// Annualised volatility (a 365-day year, bar length from the observations' spacing)
    /// above which the market is high-volatility. Default 1.5 (150%).
    pub high_volatility_annualised: f64,
    /// Kaufman efficiency ratio |net move| / Σ|moves| over the window above which the
    /// market is trending. Default 0.3.
    pub trending_efficiency: f64,
    /// Quoted spread in basis points above which the market is illiquid. Default 25.
    pub low_liquidity_spread_bps: f64,
    /// Mean bar volume over the window, as a fraction of its long-run mean (a 10× longer
    /// window), below which the market is illiquid. Default 0.3.
    pub low_liquidity_volume_ratio: f64,
    /// Consecutive observations a new regime must persist before the planner switches. Default 3.
    pub confirmation: usize,
}

impl Default for RegimeConfig {
    fn default() -> Self {
        Self {
            window: 48,
            high_volatility_annualised: 1.5,
            trending_efficiency: 0.3,
            low_liquidity_spread_bps: 25.0,
            low_liquidity_volume_ratio: 0.3,
            confirmation: 3,
        }
    }
}

/// Milliseconds in the 365-day year used to annualise.
const YEAR_MS: f64 = 365.0 * 86_400_000.0;

/// The statistics behind a regime call, for the decision log.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct RegimeStatistics {
    pub annualised_volatility: f64,
    pub efficiency_ratio: f64,
    pub spread_bps: f64,
    pub volume_ratio: f64,
}

/// Rolling statistics over the last `window` observations, O(1) per update.
#[derive(Debug, Clone)]
pub struct RegimeDetector {
    config: RegimeConfig,
    closes: VecDeque<f64>,
    abs_moves: VecDeque<f64>,
    log_returns: VecDeque<f64>,
    volumes: VecDeque<f64>,
    long_volumes: VecDeque<f64>,
    sum_abs_moves: f64,
    sum_returns: f64,
    sum_squared_returns: f64,
    sum_volume: f64,
    sum_long_volume: f64,
    last_time: Option<i64>,
    bar_ms: f64,
    spread_bps: f64,
    statistics: RegimeStatistics,
}

impl RegimeDetector {
    pub fn new(config: RegimeConfig) -> Self {
        let window = config.window.max(2);
        Self {
            closes: VecDeque::with_capacity(window + 1),
            abs_moves: VecDeque::with_capacity(window + 1),
            log_returns: VecDeque::with_capacity(window + 1),
            volumes: VecDeque::with_capacity(window + 1),
            long_volumes: VecDeque::with_capacity(window * 10 + 1),
            config: RegimeConfig { window, ..config },
            sum_abs_moves: 0.0,
            sum_returns: 0.0,
            sum_squared_returns: 0.0,
            sum_volume: 0.0,
            sum_long_volume: 0.0,
            last_time: None,
            bar_ms: 0.0,
            spread_bps: 0.0,
            statistics: RegimeStatistics::default(),
        }
    }

    /// Folds one observation in and returns the regime it indicates, once the window is full.
    pub fn observe(&mut self, observation: &Observation) -> Option<Regime> {
        let close = observation.close;
        if !close.is_finite() || close <= 0.0 {
            return None;
        }
        let time = observation.time.millis();
        if let Some(last) = self.last_time
            && time > last
        {
            // Bar length: a slow-moving average of the spacing, robust to the odd gap.
            let spacing = (time - last) as f64;
            self.bar_ms = if self.bar_ms == 0.0 { spacing } else { self.bar_ms.min(spacing).max(self.bar_ms * 0.9) };
        }
        self.last_time = Some(time);
        self.spread_bps = observation.spread_bps().unwrap_or(0.0);
        if let Some(&previous) = self.closes.back() {
            let r = libm::log(close / previous);
            push(&mut self.log_returns, r, self.config.window, |old| {
                self.sum_returns -= old;
                self.sum_squared_returns -= old * old;
            });
            self.sum_returns += r;
            self.sum_squared_returns += r * r;
            let moved = (close - previous).abs();
            push(&mut self.abs_moves, moved, self.config.window, |old| self.sum_abs_moves -= old);
            self.sum_abs_moves += moved;
        }
        push(&mut self.closes, close, self.config.window + 1, |_| {});
        let volume = if observation.volume.is_finite() { observation.volume.max(0.0) } else { 0.0 };
        push(&mut self.volumes, volume, self.config.window, |old| self.sum_volume -= old);
        self.sum_volume += volume;
        push(&mut self.long_volumes, volume, self.config.window * 10, |old| self.sum_long_volume -= old);
        self.sum_long_volume += volume;
        if self.log_returns.len() < self.config.window {
            return None;
        }
        Some(self.classify())
    }

    /// The statistics of the last full window.
    pub fn statistics(&self) -> RegimeStatistics {
        self.statistics
    }

    fn classify(&mut self) -> Regime {
        let n = self.log_returns.len() as f64;
        let mean = self.sum_returns / n;
        let variance = (self.sum_squared_returns / n - mean * mean).max(0.0);
        let bars_per_year = if self.bar_ms > 0.0 { YEAR_MS / self.bar_ms } else { 0.0 };
        let annualised_volatility = variance.sqrt() * bars_per_year.sqrt();
        let net = match (self.closes.front(), self.closes.back()) {
            (Some(first), Some(last)) => (last - first).abs(),
            _ => 0.0,
        };
        let efficiency_ratio = if self.sum_abs_moves > 0.0 { (net / self.sum_abs_moves).min(1.0) } else { 0.0 };
        let long_mean = self.sum_long_volume / self.long_volumes.len() as f64;
        let volume_ratio =
            if long_mean > 0.0 { (self.sum_volume / self.volumes.len() as f64) / long_mean } else { 1.0 };
        self.statistics =
            RegimeStatistics { annualised_volatility, efficiency_ratio, spread_bps: self.spread_bps, volume_ratio };
        let config = &self.config;
        let has_volume = self.sum_long_volume > 0.0;
        if self.spread_bps > config.low_liquidity_spread_bps
            || (has_volume && volume_ratio < config.low_liquidity_volume_ratio)
        {
            Regime::LowLiquidity
        } else if annualised_volatility > config.high_volatility_annualised {
            Regime::HighVolatility
        } else if efficiency_ratio > config.trending_efficiency {
            Regime::Trending
        } else {
            Regime::RangeBound
        }
    }
}

/// Appends `value`, evicting (and reporting) the oldest once `capacity` is exceeded.
fn push(buffer: &mut VecDeque<f64>, value: f64, capacity: usize, mut evicted: impl FnMut(f64)) {
    if buffer.len() == capacity
        && let Some(old) = buffer.pop_front()
    {
        evicted(old);
    }
    buffer.push_back(value);
}
