//! The random-window validator: many backtests over random stretches of history, each judged
//! by the pass criteria; a strategy is robust when nearly all of them pass.

use super::{BuildStrategy, Distribution, PassCriteria, RunSummary, Window, WindowError, random_windows, run_trial};
use crate::backtest::BacktestConfig;
use crate::data::CandleSeries;
use serde::{Deserialize, Serialize};

/// How the random-window validator runs, with the design brief's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomWindowConfig {
    /// Windows drawn. Default 100.
    pub windows: usize,
    /// Shortest window, in days. Default 30.
    pub min_days: u32,
    /// Longest window, in days. Default 180.
    pub max_days: u32,
    /// Seed of the window draw. Default 0.
    pub seed: u64,
    /// What each window must achieve. Default Sharpe ≥ 1.5, win rate ≥ 55 %, drawdown ≤ 20 %.
    pub criteria: PassCriteria,
    /// Fraction of windows that must pass for the strategy to count as robust. Default 0.95.
    pub robust_pass_rate: f64,
}

impl Default for RandomWindowConfig {
    fn default() -> Self {
        Self {
            windows: 100,
            min_days: 30,
            max_days: 180,
            seed: 0,
            criteria: PassCriteria::default(),
            robust_pass_rate: 0.95,
        }
    }
}

/// One window's outcome: its run (absent when it could not run) and every criterion it missed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowOutcome {
    pub window: Window,
    pub run: Option<RunSummary>,
    pub passed: bool,
    /// Why it failed: missed criteria, or why it could not run. Empty when it passed.
    pub failures: Vec<String>,
}

/// Everything the random-window validator found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RandomWindowReport {
    pub strategy: String,
    pub config: RandomWindowConfig,
    pub windows: Vec<WindowOutcome>,
    pub passed: usize,
    /// `passed / windows`, in [0, 1].
    pub pass_rate: f64,
    /// Whether `pass_rate ≥ robust_pass_rate`.
    pub robust: bool,
    /// Spread over the windows that ran; undefined values (a Sharpe with flat equity, a win rate
    /// without trades) are left out, so each `count` says how many windows it covers.
    pub sharpe: Option<Distribution>,
    pub win_rate: Option<Distribution>,
    pub max_drawdown: Option<Distribution>,
    pub total_return: Option<Distribution>,
    pub trades: Option<Distribution>,
}

/// Draws the windows and backtests a fresh strategy on each, one after the other.
pub fn run_random_window(
    series: &CandleSeries,
    strategy: &str,
    build: &BuildStrategy<'_>,
    backtest: &BacktestConfig,
    config: &RandomWindowConfig,
) -> Result<RandomWindowReport, WindowError> {
    let windows = random_windows(series, config.windows, config.min_days, config.max_days, config.seed)?;
    let outcomes: Vec<WindowOutcome> = windows
        .into_iter()
        .map(|window| match run_trial(series, window.start..window.end, build, backtest) {
            Ok(run) => {
                let failures = config.criteria.failures(&run);
                WindowOutcome { window, passed: failures.is_empty(), run: Some(run), failures }
            }
            Err(reason) => WindowOutcome { window, run: None, passed: false, failures: vec![reason] },
        })
        .collect();
    let passed = outcomes.iter().filter(|o| o.passed).count();
    let pass_rate = if outcomes.is_empty() { 0.0 } else { passed as f64 / outcomes.len() as f64 };
    let runs: Vec<&RunSummary> = outcomes.iter().filter_map(|o| o.run.as_ref()).collect();
    let spread = |metric: fn(&RunSummary) -> Option<f64>| Distribution::of(runs.iter().filter_map(|r| metric(r)));
    Ok(RandomWindowReport {
        strategy: strategy.to_string(),
        config: config.clone(),
        passed,
        pass_rate,
        robust: !outcomes.is_empty() && pass_rate >= config.robust_pass_rate,
        sharpe: spread(|r| r.sharpe),
        win_rate: spread(|r| r.win_rate),
        max_drawdown: spread(|r| Some(r.max_drawdown)),
        total_return: spread(|r| r.total_return),
        trades: spread(|r| Some(r.trades as f64)),
        windows: outcomes,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_series::wavy;
    use super::*;
    use crate::backtest::Strategy;
    use crate::backtest::strategies::BuyAndHold;
    use crate::market::Granularity;

    fn buy_and_hold(_: Granularity) -> Result<Box<dyn Strategy>, String> {
        Ok(Box::new(BuyAndHold::new(1)))
    }

    fn config(windows: usize, seed: u64) -> RandomWindowConfig {
        RandomWindowConfig { windows, min_days: 30, max_days: 90, seed, ..RandomWindowConfig::default() }
    }

    #[test]
    fn buy_and_hold_in_a_steadily_rising_market_passes_every_window_and_is_robust() {
        let series = wavy(Granularity::OneDay, 400, 0.003);
        let report =
            run_random_window(&series, "buy-and-hold", &buy_and_hold, &BacktestConfig::default(), &config(20, 1))
                .unwrap();
        assert_eq!((report.passed, report.pass_rate, report.robust), (20, 1.0, true), "{:?}", report.windows[0]);
        let sharpe = report.sharpe.unwrap();
        assert_eq!(sharpe.count, 20);
        assert!(sharpe.min >= 1.5 && sharpe.min <= sharpe.median && sharpe.median <= sharpe.max);
        for outcome in &report.windows {
            let run = outcome.run.as_ref().unwrap();
            assert_eq!(run.bars as usize, outcome.window.end - outcome.window.start);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_report() {
        let series = wavy(Granularity::OneDay, 300, 0.0);
        let run = |seed| {
            run_random_window(&series, "buy-and-hold", &buy_and_hold, &BacktestConfig::default(), &config(8, seed))
                .unwrap()
        };
        assert_eq!(run(5), run(5));
        assert_ne!(run(5).windows, run(6).windows);
    }

    #[test]
    fn a_strategy_that_cannot_be_built_fails_every_window_with_its_reason() {
        let series = wavy(Granularity::OneDay, 200, 0.0);
        let refuse = |_: Granularity| -> Result<Box<dyn Strategy>, String> { Err("bad parameters".to_string()) };
        let report = run_random_window(&series, "x", &refuse, &BacktestConfig::default(), &config(5, 0)).unwrap();
        assert_eq!((report.passed, report.robust, report.sharpe), (0, false, None));
        assert!(report.windows.iter().all(|w| w.run.is_none() && w.failures == ["bad parameters"]));
    }
}
