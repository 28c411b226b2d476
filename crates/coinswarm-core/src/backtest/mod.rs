//! Backtesting: replaying history through the same swarm and matching engine that trade live,
//! and measuring the result.
//!
//! - [`metrics`]: performance metrics of an equity curve and a trade list (returns, risk-adjusted
//!   ratios, drawdown, trade statistics, exposure, turnover) and per-agent attribution.

pub mod metrics;
