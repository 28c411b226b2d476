//! One validator run: a freshly built strategy backtested over a range of bars.

use super::RunSummary;
use crate::backtest::{BacktestConfig, Strategy, run_backtest};
use crate::data::CandleSeries;
use crate::market::Granularity;
use std::collections::BTreeMap;

/// Builds a fresh strategy (no state from earlier runs) for bars of the given length, or says
/// why it cannot (e.g. parameters that make no sense).
pub type BuildStrategy<'a> = dyn Fn(Granularity) -> Result<Box<dyn Strategy>, String> + Sync + 'a;

/// Backtests a fresh strategy over `series.candles()[range]`. Every way this can go wrong (an
/// empty range, a strategy that cannot be built, a backtest error) is returned as a reason,
/// never a panic; the validators count it as a failed run.
pub fn run_trial(
    series: &CandleSeries,
    range: std::ops::Range<usize>,
    build: &BuildStrategy<'_>,
    config: &BacktestConfig,
) -> Result<RunSummary, String> {
    let candles = series.candles().get(range.clone()).ok_or_else(|| {
        format!("bars {}..{} lie outside the {} bars of the series", range.start, range.end, series.len())
    })?;
    if candles.is_empty() {
        return Err("no bars in the window".to_string());
    }
    let slice =
        CandleSeries::new(series.product_id(), series.granularity(), candles.to_vec()).map_err(|e| e.to_string())?;
    let mut strategy = build(series.granularity())?;
    let result = run_backtest(&[&slice], strategy.as_mut(), config, &BTreeMap::new()).map_err(|e| e.to_string())?;
    Ok(RunSummary::of(&result))
}
