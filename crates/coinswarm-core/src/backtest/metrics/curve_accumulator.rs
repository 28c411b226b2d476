//! Every metric of the equity curve gathered one point at a time, so a backtest of any length
//! computes its figures in constant memory, as the bars stream past.

use super::returns::{cagr_between, fraction_change};
use super::turnover::turnover_over;
use super::{
    DrawdownTracker, ExposureTally, Metrics, MetricsConfig, ReturnMoments, TradeStats, calmar_ratio, per_bar_risk_free,
    periods_per_year,
};
use crate::time::Timestamp;
use rust_decimal::Decimal;

/// The running state behind [`Metrics`]: first and last points, return moments, drawdown,
/// exposure and mean equity. Equities are `f64` marks of the decimal account (correctly
/// rounded), so figures agree with a decimal recomputation to about 1e-15 relative.
#[derive(Debug, Clone)]
pub struct CurveAccumulator {
    config: MetricsConfig,
    periods: Option<f64>,
    /// Whether a per-bar risk-free rate exists (Sharpe and Sortino need it).
    has_risk_free: bool,
    points: u64,
    first: Option<(Timestamp, f64)>,
    last: Option<(Timestamp, f64)>,
    /// `None` once a return had no positive base (then no per-bar figure is defined).
    returns: Option<ReturnMoments>,
    drawdown: DrawdownTracker,
    exposure: ExposureTally,
    equity_sum: f64,
}

impl CurveAccumulator {
    /// An empty curve of bars `bar_ms` long, annualised and risk-adjusted by `config`.
    pub fn new(bar_ms: i64, config: &MetricsConfig) -> Self {
        let periods = periods_per_year(bar_ms, config.year_days);
        let risk_free = periods.and_then(|p| per_bar_risk_free(config.risk_free_rate, p));
        Self {
            config: *config,
            periods,
            has_risk_free: risk_free.is_some(),
            points: 0,
            first: None,
            last: None,
            returns: Some(ReturnMoments::new(risk_free.unwrap_or(0.0))),
            drawdown: DrawdownTracker::default(),
            exposure: ExposureTally::default(),
            equity_sum: 0.0,
        }
    }

    /// Adds the next point (in time order): the account's equity and the value of its open
    /// positions at `time`.
    pub fn record(&mut self, time: Timestamp, equity: f64, exposure: f64) {
        if let Some((_, previous)) = self.last {
            self.returns = self.returns.and_then(|mut moments| {
                moments.record(fraction_change(previous, equity)?);
                Some(moments)
            });
        }
        self.first.get_or_insert((time, equity));
        self.last = Some((time, equity));
        self.points += 1;
        self.drawdown.record(time, equity);
        self.exposure.record(equity, exposure);
        self.equity_sum += equity;
    }

    /// Points recorded.
    pub fn points(&self) -> u64 {
        self.points
    }

    /// The metrics of the curve so far, with the trades' statistics, the total traded notional
    /// and fees, and the exact decimal equities at the first and last points.
    pub fn finish(
        &self,
        equities: (Option<Decimal>, Option<Decimal>),
        trades: TradeStats,
        traded_notional: Decimal,
        fees_paid: Decimal,
    ) -> Metrics {
        let periods = self.periods;
        let per_bar = self.returns.as_ref().zip(periods);
        let risk_adjusted = per_bar.filter(|_| self.has_risk_free);
        let cagr = self.first.zip(self.last).and_then(|(first, last)| cagr_between(first, last, self.config.year_days));
        let max_drawdown = self.drawdown.finish();
        let mean_equity = (self.points > 0).then(|| self.equity_sum / self.points as f64);
        Metrics {
            bars: self.points,
            start_equity: equities.0,
            end_equity: equities.1,
            periods_per_year: periods,
            total_return: self.first.zip(self.last).and_then(|((_, first), (_, last))| fraction_change(first, last)),
            cagr,
            annualised_volatility: per_bar.and_then(|(m, p)| m.annualised_volatility(p)),
            sharpe: risk_adjusted.and_then(|(m, p)| m.sharpe(p)),
            sortino: risk_adjusted.and_then(|(m, p)| m.sortino(p)),
            calmar: calmar_ratio(cagr, max_drawdown.fraction),
            max_drawdown,
            trades,
            exposure: self.exposure.finish(),
            turnover: mean_equity.and_then(|mean| turnover_over(traded_notional, mean)),
            traded_notional,
            fees_paid,
        }
    }
}
