//! The multi-timescale validator: the strategy judged as an HFT, day, swing and long-term
//! strategy, each on the bar length that style trades and by that style's own criteria.

use super::{BuildStrategy, PassCriteria, RunSummary, resample, run_trial};
use crate::backtest::BacktestConfig;
use crate::data::CandleSeries;
use crate::market::Granularity;
use serde::{Deserialize, Serialize};

/// One trading style: the bars it runs on and what it must achieve over the whole data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimescaleProfile {
    pub name: String,
    /// Bar length the style trades on; coarser than the data means resampling, finer means the
    /// profile cannot run on this data.
    pub granularity: Granularity,
    pub criteria: PassCriteria,
}

impl TimescaleProfile {
    fn new(name: &str, granularity: Granularity, sharpe: f64, win_rate: f64, drawdown: f64, trades: u64) -> Self {
        let criteria =
            PassCriteria { min_sharpe: sharpe, min_win_rate: win_rate, max_drawdown: drawdown, min_trades: trades };
        Self { name: name.to_string(), granularity, criteria }
    }

    /// The design brief's four profiles: HFT on one-minute bars (Sharpe ≥ 2.0, win ≥ 51 %,
    /// drawdown ≤ 5 %, ≥ 1000 trades), day trading on hourly bars (1.5 / 55 % / 10 % / ≥ 100),
    /// swing on four-hour bars (1.2 / 55 % / 15 % / ≥ 50), long-term on daily bars
    /// (1.0 / 50 % / 25 % / ≥ 20).
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::new("hft", Granularity::OneMinute, 2.0, 0.51, 0.05, 1000),
            Self::new("day", Granularity::OneHour, 1.5, 0.55, 0.10, 100),
            Self::new("swing", Granularity::FourHour, 1.2, 0.55, 0.15, 50),
            Self::new("long-term", Granularity::OneDay, 1.0, 0.50, 0.25, 20),
        ]
    }
}

/// How one profile went.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileOutcome {
    pub profile: TimescaleProfile,
    /// Bars after resampling; 0 when the profile could not run.
    pub bars: usize,
    /// The whole-data run; absent when the profile could not run.
    pub run: Option<RunSummary>,
    pub passed: bool,
    /// Missed criteria, or why the profile could not run (e.g. bars finer than the data).
    pub failures: Vec<String>,
}

/// Everything the multi-timescale validator found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MultiTimescaleReport {
    pub strategy: String,
    /// Bar length of the data before resampling.
    pub data_granularity: Granularity,
    pub profiles: Vec<ProfileOutcome>,
    /// Profiles passed, out of `profiles.len()`.
    pub passed: usize,
}

/// Runs a fresh strategy over the whole series once per profile, resampled to its bar length.
pub fn run_multi_timescale(
    series: &CandleSeries,
    strategy: &str,
    build: &BuildStrategy<'_>,
    backtest: &BacktestConfig,
    profiles: &[TimescaleProfile],
) -> MultiTimescaleReport {
    let outcomes: Vec<ProfileOutcome> = profiles
        .iter()
        .map(|profile| {
            let outcome = resample(series, profile.granularity)
                .map_err(|e| e.to_string())
                .and_then(|bars| Ok((bars.len(), run_trial(&bars, 0..bars.len(), build, backtest)?)));
            match outcome {
                Ok((bars, run)) => {
                    let failures = profile.criteria.failures(&run);
                    ProfileOutcome {
                        profile: profile.clone(),
                        bars,
                        passed: failures.is_empty(),
                        run: Some(run),
                        failures,
                    }
                }
                Err(reason) => ProfileOutcome {
                    profile: profile.clone(),
                    bars: 0,
                    run: None,
                    passed: false,
                    failures: vec![reason],
                },
            }
        })
        .collect();
    MultiTimescaleReport {
        strategy: strategy.to_string(),
        data_granularity: series.granularity(),
        passed: outcomes.iter().filter(|o| o.passed).count(),
        profiles: outcomes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_series::wavy;
    use super::*;
    use crate::backtest::Strategy;
    use crate::backtest::strategies::SmaCross;

    #[test]
    fn each_profile_runs_on_its_own_bar_length_and_finer_ones_cannot_run() {
        let series = wavy(Granularity::OneHour, 24 * 120, 0.0001);
        let build = |_: Granularity| -> Result<Box<dyn Strategy>, String> { Ok(Box::new(SmaCross::new(3, 8))) };
        let report =
            run_multi_timescale(&series, "sma", &build, &BacktestConfig::default(), &TimescaleProfile::defaults());
        let bars: Vec<usize> = report.profiles.iter().map(|p| p.bars).collect();
        assert_eq!(bars, [0, 24 * 120, 6 * 120, 120]);
        let hft = &report.profiles[0];
        assert!(!hft.passed && hft.run.is_none() && hft.failures[0].contains("finer than"), "{hft:?}");
        for profile in &report.profiles[1..] {
            let run = profile.run.as_ref().unwrap();
            assert_eq!(run.bars as usize, profile.bars);
            assert_eq!(profile.passed, profile.failures.is_empty());
        }
        assert_eq!(report.passed, report.profiles.iter().filter(|p| p.passed).count());
    }
}
