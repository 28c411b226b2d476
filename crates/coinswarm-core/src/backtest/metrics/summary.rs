//! Every metric of one backtest, in one serialisable record.

use super::{ClosedTrade, CurveAccumulator, EquityPoint, Exposure, MaxDrawdown, MetricsConfig, TradeStats};
use crate::market::decimal_to_f64;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The performance of a backtest. Returns and ratios are fractions (0.2 is 20 %); money is in the
/// quote currency. Each `Option` is `None` exactly where its figure is undefined (see each field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Points in the equity curve (one per bar).
    pub bars: u64,
    /// Equity at the first point; `None` for an empty curve.
    pub start_equity: Option<Decimal>,
    /// Equity at the last point; `None` for an empty curve.
    pub end_equity: Option<Decimal>,
    /// The annualisation factor: bars per year, `year_days · 86 400 000 / bar_ms` (365 for daily
    /// bars, 8760 for hourly bars). Volatility, Sharpe and Sortino scale by its square root.
    /// `None` when `bar_ms` is not positive or `year_days` is invalid; the annualised figures
    /// are then `None` too.
    pub periods_per_year: Option<f64>,
    /// `last / first − 1` of the equity curve. See [`total_return`](super::total_return).
    pub total_return: Option<f64>,
    /// Compound annual growth rate from the first to the last point's time.
    /// See [`cagr`](super::cagr).
    pub cagr: Option<f64>,
    /// Sample standard deviation of per-bar returns × `√periods_per_year`. `None` with fewer than
    /// three points or a non-positive equity before the last point.
    pub annualised_volatility: Option<f64>,
    /// Annualised Sharpe ratio against the config's risk-free rate; `None` also for zero
    /// variance. See [`sharpe_ratio`](super::sharpe_ratio).
    pub sharpe: Option<f64>,
    /// Annualised Sortino ratio with the risk-free rate as target; `None` also when no bar fell
    /// short of it. See [`sortino_ratio`](super::sortino_ratio).
    pub sortino: Option<f64>,
    /// `cagr / max_drawdown.fraction`; `None` for zero drawdown. See [`calmar_ratio`](super::calmar_ratio).
    pub calmar: Option<f64>,
    /// Deepest fall from a peak and longest underwater spell.
    pub max_drawdown: MaxDrawdown,
    /// Win rate, profit factor, average win and loss, expectancy and trade count.
    pub trades: TradeStats,
    /// Time in the market and mean exposure relative to equity.
    pub exposure: Exposure,
    /// Traded notional over mean equity. See [`turnover`](super::turnover).
    pub turnover: Option<f64>,
    /// Notional of every fill (buys and sells), as passed in by the backtester.
    pub traded_notional: Decimal,
    /// Fees paid on every fill, as passed in by the backtester.
    pub fees_paid: Decimal,
}

impl Metrics {
    /// Computes every metric from the equity curve (one point per bar, in time order, bars
    /// `bar_ms` apart), the closed trades, the total traded notional and the total fees.
    /// Never fails and never panics on odd input: an empty or one-point curve, no trades, zero
    /// variance, zero drawdown, non-positive equity and an invalid config each leave the
    /// affected figures `None` (or 0 for the drawdown) and the rest intact.
    pub fn compute(
        curve: &[EquityPoint],
        trades: &[ClosedTrade],
        traded_notional: Decimal,
        fees_paid: Decimal,
        bar_ms: i64,
        config: &MetricsConfig,
    ) -> Self {
        let mut accumulator = CurveAccumulator::new(bar_ms, config);
        for point in curve {
            accumulator.record(point.time, decimal_to_f64(point.equity), decimal_to_f64(point.exposure));
        }
        let equities = (curve.first().map(|p| p.equity), curve.last().map(|p| p.equity));
        accumulator.finish(equities, TradeStats::compute(trades), traded_notional, fees_paid)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_curves::{daily, reference};
    use super::*;
    use crate::time::{DAY_MS, HOUR_MS, Timestamp};
    use rust_decimal_macros::dec;

    fn close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a value");
        assert!((actual - expected).abs() <= 1e-12 * expected.abs().max(1.0), "{actual} vs {expected}");
    }

    #[test]
    fn reference_curve_gives_exact_daily_metrics() {
        // 100 → 125 → 100 → 125 → 150, daily. Returns +0.25, −0.2, +0.25, +0.2:
        // mean 0.125, sample variance 0.1425 / 3 = 0.0475, downside deviation √(0.04 / 4) = 0.1.
        let metrics = Metrics::compute(&reference(), &[], dec!(1200), dec!(3), DAY_MS, &MetricsConfig::default());
        assert_eq!(metrics.bars, 5);
        assert_eq!((metrics.start_equity, metrics.end_equity), (Some(dec!(100)), Some(dec!(150))));
        assert_eq!(metrics.periods_per_year, Some(365.0));
        assert_eq!(metrics.total_return, Some(0.5));
        // 1.5^(365 / 4) − 1 over 4 days.
        let cagr = libm::pow(1.5, 91.25) - 1.0;
        close(metrics.cagr, cagr);
        close(metrics.annualised_volatility, (0.0475f64 * 365.0).sqrt());
        close(metrics.sharpe, 0.125 / 0.0475f64.sqrt() * 365f64.sqrt());
        close(metrics.sortino, 0.125 / 0.1 * 365f64.sqrt());
        // (125 − 100) / 125 = 0.2 from day 1 to the recovery on day 3.
        assert_eq!(metrics.max_drawdown, MaxDrawdown { fraction: 0.2, duration_ms: 2 * DAY_MS, duration_bars: 2 });
        close(metrics.calmar, cagr / 0.2);
        // 1200 / mean(100, 125, 100, 125, 150) = 1200 / 120 = 10.
        assert_eq!(metrics.turnover, Some(10.0));
        assert_eq!((metrics.traded_notional, metrics.fees_paid), (dec!(1200), dec!(3)));
        assert_eq!(metrics.exposure, Exposure { time_in_market: Some(0.0), mean_exposure: Some(0.0) });
        assert_eq!(metrics.trades, TradeStats::default());
    }

    #[test]
    fn hourly_bars_annualise_by_8760_and_the_risk_free_rate_is_compounded_per_bar() {
        let mut curve = reference();
        for (hour, point) in curve.iter_mut().enumerate() {
            point.time = Timestamp(hour as i64 * HOUR_MS);
        }
        let config = MetricsConfig { risk_free_rate: 0.04, ..MetricsConfig::default() };
        let metrics = Metrics::compute(&curve, &[], dec!(0), dec!(0), HOUR_MS, &config);
        assert_eq!(metrics.periods_per_year, Some(8760.0));
        close(metrics.annualised_volatility, (0.0475f64 * 8760.0).sqrt());
        let rf = libm::pow(1.04, 1.0 / 8760.0) - 1.0;
        close(metrics.sharpe, (0.125 - rf) / 0.0475f64.sqrt() * 8760f64.sqrt());
        // Downside below rf: only −0.2 − rf, so DD = |−0.2 − rf| / √4 = (0.2 + rf) / 2.
        close(metrics.sortino, (0.125 - rf) / ((0.2 + rf) / 2.0) * 8760f64.sqrt());
        // 1.5× in 4 hours compounds past f64's range over a year: no CAGR, so no Calmar.
        assert_eq!((metrics.cagr, metrics.calmar), (None, None));
    }

    #[test]
    fn one_bar_and_no_trades_leave_the_ratios_undefined() {
        let metrics = Metrics::compute(&daily(&[100]), &[], dec!(0), dec!(0), DAY_MS, &MetricsConfig::default());
        assert_eq!(metrics.total_return, Some(0.0));
        let undefined = [metrics.cagr, metrics.annualised_volatility, metrics.sharpe, metrics.sortino, metrics.calmar];
        assert_eq!(undefined, [None; 5]);
        assert_eq!(metrics.max_drawdown, MaxDrawdown::default());
        assert_eq!((metrics.trades.win_rate, metrics.trades.profit_factor), (None, None));
    }

    #[test]
    fn an_empty_curve_has_no_metrics_but_still_serialises() {
        let metrics = Metrics::compute(&[], &[], dec!(0), dec!(0), DAY_MS, &MetricsConfig::default());
        assert_eq!((metrics.bars, metrics.start_equity, metrics.total_return, metrics.turnover), (0, None, None, None));
        let json = serde_json::to_string(&metrics).unwrap();
        assert!(json.contains("\"periods_per_year\":365.0") && json.contains("\"sharpe\":null"), "{json}");
    }

    #[test]
    fn zero_variance_has_volatility_zero_and_no_sharpe_sortino_or_calmar() {
        // 100 → 150 → 225 → 337.5: every return exactly 0.5 (in binary too); never a drawdown.
        let mut curve = daily(&[100, 150, 225, 0]);
        curve[3].equity = dec!(337.5);
        let metrics = Metrics::compute(&curve, &[], dec!(0), dec!(0), DAY_MS, &MetricsConfig::default());
        assert_eq!(metrics.annualised_volatility, Some(0.0));
        assert_eq!((metrics.sharpe, metrics.sortino, metrics.calmar), (None, None, None));
        assert_eq!(metrics.max_drawdown.fraction, 0.0);
    }

    #[test]
    fn negative_equity_leaves_return_ratios_undefined_but_measures_the_fall() {
        // 100 → −20 → 10: returns after a negative base have no meaning; the fall is
        // (100 − (−20)) / 100 = 1.2 and never recovered (2 bars).
        let metrics =
            Metrics::compute(&daily(&[100, -20, 10]), &[], dec!(0), dec!(0), DAY_MS, &MetricsConfig::default());
        assert_eq!((metrics.annualised_volatility, metrics.sharpe, metrics.sortino), (None, None, None));
        assert_eq!(metrics.total_return, Some(-0.9));
        assert_eq!(metrics.max_drawdown, MaxDrawdown { fraction: 1.2, duration_ms: 2 * DAY_MS, duration_bars: 2 });
        assert_eq!(metrics.exposure.mean_exposure, None);
        let json = serde_json::to_string(&metrics).unwrap();
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    }

    #[test]
    fn a_bar_of_no_length_has_no_annualised_figures() {
        let metrics = Metrics::compute(&reference(), &[], dec!(0), dec!(0), 0, &MetricsConfig::default());
        assert_eq!(metrics.periods_per_year, None);
        assert_eq!((metrics.annualised_volatility, metrics.sharpe, metrics.sortino), (None, None, None));
        assert_eq!(metrics.total_return, Some(0.5));
    }
}
