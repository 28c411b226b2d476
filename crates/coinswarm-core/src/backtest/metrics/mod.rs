//! Performance metrics of a backtest: what the equity curve and the closed trades say about a
//! strategy.
//!
//! The backtester feeds a [`CurveAccumulator`] one mark per bar as the bars stream past and a
//! [`TradeTally`] each round trip as it closes, so its memory does not grow with the run;
//! [`Metrics::compute`] does the same over a stored curve and trade list. Every figure is derived
//! from those inputs alone, so the same inputs always give the same numbers, natively and on
//! wasm32.
//!
//! Conventions, stated once for every file here:
//! - Money (equity, P&L, fees, notional) is [`rust_decimal::Decimal`]; ratios and returns are
//!   `f64` fractions (0.2 means 20 %), never percent.
//! - Per-bar returns are simple returns `(E[i] − E[i-1]) / E[i-1]` between consecutive points,
//!   in `f64` from correctly rounded equities.
//! - Annualisation uses [`Metrics::periods_per_year`] = `year_days · 86 400 000 / bar_ms`
//!   bars per year: 365 for daily bars and 8760 for hourly bars in the 365-day crypto year.
//! - A figure that is undefined for the inputs (no trades, one bar, zero variance, zero
//!   drawdown, non-positive equity) is `None`, never NaN or infinity; each doc comment names
//!   its own cases.

mod annualisation;
mod attribution;
mod calmar;
mod closed_trade;
mod config;
mod curve_accumulator;
mod drawdown;
mod equity_point;
mod exposure;
mod return_moments;
mod returns;
mod sharpe;
mod sortino;
mod summary;
mod trade_stats;
mod turnover;
mod volatility;

pub use annualisation::{per_bar_risk_free, periods_per_year};
pub use attribution::AgentAttribution;
pub use calmar::calmar_ratio;
pub use closed_trade::ClosedTrade;
pub use config::{MetricsConfig, MetricsConfigError};
pub use curve_accumulator::CurveAccumulator;
pub use drawdown::{DrawdownTracker, MaxDrawdown};
pub use equity_point::EquityPoint;
pub use exposure::{Exposure, ExposureTally};
pub use return_moments::ReturnMoments;
pub use returns::{cagr, per_bar_returns, total_return};
pub use sharpe::sharpe_ratio;
pub use sortino::sortino_ratio;
pub use summary::Metrics;
pub use trade_stats::{TradeStats, TradeTally};
pub use turnover::turnover;
pub use volatility::{annualised_volatility, sample_std_dev};

/// `Some(x)` when `x` is a finite number: the last guard that keeps NaN and infinity out of
/// every published ratio.
fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod test_curves;
