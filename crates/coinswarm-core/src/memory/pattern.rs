//! A learned pattern: a cluster of similar market states, the statistics of what followed
//! them, its place in the lifecycle, its influence on the recall agent, and its live record
//! since it became active.

use super::governance::{Lifecycle, PatternEvidence};

/// What followed a pattern's states. Outcomes are episodes' outcomes: the return of a long
/// position over the horizon, net of fees.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct PatternStats {
    pub count: u64,
    /// Share of outcomes above zero.
    pub win_rate: f64,
    pub mean: f64,
    /// Sample standard deviation (0 below two outcomes).
    pub std: f64,
    /// mean / std × √(horizons per year): the Sharpe of trading every state of the pattern.
    pub sharpe: f64,
    /// Worst peak-to-trough fall of the equity that puts 1/horizon of capital in each
    /// episode in time order (episodes overlap: about `horizon` are open at once).
    pub max_drawdown: f64,
    /// The regime most of its episodes were decided in, and their share.
    pub regime: String,
    pub regime_share: f64,
}

/// How outcomes become statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatsScale {
    /// Outcome horizons in a year (bars per year / horizon bars), for the Sharpe.
    pub horizons_per_year: f64,
    /// Episodes open at once (the horizon in bars), for the drawdown.
    pub overlap: f64,
}

impl PatternStats {
    /// Statistics of `outcomes` (time order) with the regime of each.
    pub fn of<'a>(outcomes: impl IntoIterator<Item = (f64, &'a str)>, scale: StatsScale) -> Self {
        let mut stats = Self::default();
        let mut regimes: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        let mut record = LiveRecord::default();
        let mut wins = 0_u64;
        for (outcome, regime) in outcomes {
            record.add(outcome, scale);
            wins += u64::from(outcome > 0.0);
            *regimes.entry(regime).or_default() += 1;
        }
        stats.count = record.count;
        if record.count == 0 {
            return stats;
        }
        stats.win_rate = wins as f64 / record.count as f64;
        stats.mean = record.mean();
        stats.std = record.std();
        stats.sharpe = record.sharpe(scale);
        stats.max_drawdown = record.max_drawdown;
        // The most frequent regime; ties go to the first in name order.
        if let Some((regime, n)) = regimes.iter().fold(None, |best: Option<(&str, u64)>, (r, n)| match best {
            Some((_, m)) if m >= *n => best,
            _ => Some((r, *n)),
        }) {
            stats.regime = regime.to_string();
            stats.regime_share = n as f64 / record.count as f64;
        }
        stats
    }
}

/// Running statistics of outcomes: count, mean and variance (Welford), and the drawdown of
/// the overlapped equity (see [`PatternStats::max_drawdown`]).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LiveRecord {
    pub count: u64,
    mean: f64,
    m2: f64,
    equity: f64,
    peak: f64,
    pub max_drawdown: f64,
}

impl Default for LiveRecord {
    fn default() -> Self {
        Self { count: 0, mean: 0.0, m2: 0.0, equity: 1.0, peak: 1.0, max_drawdown: 0.0 }
    }
}

impl LiveRecord {
    pub fn add(&mut self, outcome: f64, scale: StatsScale) {
        self.count += 1;
        let delta = outcome - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (outcome - self.mean);
        self.equity *= 1.0 + outcome / scale.overlap.max(1.0);
        self.peak = self.peak.max(self.equity);
        if self.peak > 0.0 {
            self.max_drawdown = self.max_drawdown.max(1.0 - self.equity / self.peak);
        }
    }

    pub fn mean(&self) -> f64 {
        self.mean
    }

    pub fn std(&self) -> f64 {
        if self.count < 2 { 0.0 } else { (self.m2 / (self.count - 1) as f64).sqrt() }
    }

    /// Annualised Sharpe; 0 without spread.
    pub fn sharpe(&self, scale: StatsScale) -> f64 {
        let std = self.std();
        if std > 0.0 { self.mean / std * scale.horizons_per_year.max(0.0).sqrt() } else { 0.0 }
    }
}

/// One learned pattern.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pattern {
    /// `<product>/p-<n>`, unique per product.
    pub id: String,
    pub product_id: String,
    pub lifecycle: Lifecycle,
    /// Its influence on the recall agent's expected outcome, in [0, 1]; 0 unless active.
    pub weight: f64,
    /// The mean state of its episodes.
    pub centroid: Vec<f32>,
    /// Statistics over every episode it held at the last learning run.
    pub stats: PatternStats,
    /// Outcomes of the states that matched it since it became active.
    pub live: LiveRecord,
    /// When it was first found and last changed, ms since the Unix epoch.
    pub created_ms: i64,
    pub updated_ms: i64,
}

impl Pattern {
    /// What the governance managers check a change against.
    pub fn evidence(&self, scale: StatsScale) -> PatternEvidence {
        PatternEvidence {
            lifecycle: self.lifecycle,
            count: self.stats.count,
            win_rate: self.stats.win_rate,
            sharpe: self.stats.sharpe,
            max_drawdown: self.stats.max_drawdown,
            regime: self.stats.regime.clone(),
            regime_share: self.stats.regime_share,
            live_count: self.live.count,
            live_sharpe: self.live.sharpe(scale),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCALE: StatsScale = StatsScale { horizons_per_year: 365.0, overlap: 1.0 };

    #[test]
    fn statistics_count_wins_moments_sharpe_drawdown_and_the_main_regime() {
        let outcomes = [(0.02, "trending"), (-0.01, "trending"), (0.03, "ranging"), (-0.02, "trending")];
        let stats = PatternStats::of(outcomes, SCALE);
        assert_eq!(stats.count, 4);
        assert_eq!(stats.win_rate, 0.5);
        assert!((stats.mean - 0.005).abs() < 1e-12);
        let std = ((0.015_f64.powi(2) + 0.015_f64.powi(2) + 0.025_f64.powi(2) + 0.025_f64.powi(2)) / 3.0).sqrt();
        assert!((stats.std - std).abs() < 1e-12);
        assert!((stats.sharpe - 0.005 / std * 365_f64.sqrt()).abs() < 1e-9);
        // Equity 1.02, 1.0098, 1.040094, 1.01929212: the worst fall is the last, 2%.
        assert!((stats.max_drawdown - 0.02).abs() < 1e-12);
        assert_eq!((stats.regime.as_str(), stats.regime_share), ("trending", 0.75));
    }

    #[test]
    fn overlapping_episodes_share_the_capital_in_the_drawdown() {
        let stats = PatternStats::of([(-0.24, "x")], StatsScale { horizons_per_year: 1.0, overlap: 24.0 });
        assert!((stats.max_drawdown - 0.01).abs() < 1e-12);
        assert_eq!(PatternStats::of([], SCALE), PatternStats::default());
    }
}
