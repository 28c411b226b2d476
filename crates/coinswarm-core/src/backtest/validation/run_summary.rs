//! The handful of figures a validator judges a run by, taken from its full metrics.

use crate::backtest::BacktestResult;
use crate::time::Timestamp;
use serde::Serialize;

/// One backtest of a validator, reduced to what the pass criteria and the reports use.
/// Fractions are fractions (0.2 is 20 %); `None` where the metric is undefined (see
/// [`Metrics`](crate::backtest::metrics::Metrics)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// Start of the first bar replayed (inclusive).
    #[serde(with = "crate::time::rfc3339")]
    pub from: Timestamp,
    /// End of the last bar replayed (exclusive).
    #[serde(with = "crate::time::rfc3339")]
    pub to: Timestamp,
    /// Bars replayed.
    pub bars: u64,
    /// `final / initial − 1` of the equity.
    pub total_return: Option<f64>,
    /// Annualised Sharpe ratio (365-day year).
    pub sharpe: Option<f64>,
    /// Winning trades over all trades, in [0, 1]; `None` without trades.
    pub win_rate: Option<f64>,
    /// Deepest fall from a peak, as a fraction of the peak.
    pub max_drawdown: f64,
    /// Round trips, including one still open at the end.
    pub trades: u64,
    /// Fees paid, in quote currency.
    pub fees: f64,
    /// Said when more of the run than its strategy's threshold (default 10%) could not add
    /// risk (halted, breaker, oversight, vetoed), with counts and dates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restriction_notice: Option<String>,
}

impl RunSummary {
    pub fn of(result: &BacktestResult) -> Self {
        let m = &result.metrics;
        let (from, to) = match (result.equity_curve.first(), result.equity_curve.last()) {
            // Each curve point is stamped at its bar's end.
            (Some(first), Some(last)) => (first.time.plus_millis(-result.granularity.millis()), last.time),
            _ => (Timestamp::from_millis(0), Timestamp::from_millis(0)),
        };
        Self {
            from,
            to,
            bars: result.bars,
            total_return: m.total_return,
            sharpe: m.sharpe,
            win_rate: m.trades.win_rate,
            max_drawdown: m.max_drawdown.fraction,
            trades: m.trades.count,
            fees: crate::market::decimal_to_f64(m.fees_paid),
            restriction_notice: result.restriction_notice.clone(),
        }
    }
}

/// A validator's note on its runs that could not add risk for more than their threshold of
/// decisions: how many of the `runs` (`what` names them: "windows", "test segments") and the
/// first one's notice. `None` when no run was restricted that much.
pub fn restricted_runs_notice<'a>(
    runs: impl IntoIterator<Item = Option<&'a RunSummary>>,
    what: &str,
) -> Option<String> {
    let mut total = 0;
    let notices: Vec<(&RunSummary, &str)> = runs
        .into_iter()
        .inspect(|_| total += 1)
        .flatten()
        .filter_map(|run| Some((run, run.restriction_notice.as_deref()?)))
        .collect();
    let (first, notice) = notices.first()?;
    Some(format!(
        "{} of {total} {what} could not add risk in more of their decisions than the notice threshold (default 10%; each one's restriction_notice in the JSON); the first, from {}: {notice}",
        notices.len(),
        first.from
    ))
}
