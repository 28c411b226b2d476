//! Backtesting: replaying history through the same swarm and matching engine that trade live,
//! and measuring the result.
//!
//! - [`run_backtest`] / [`run_backtest_feeds`]: the loop over loaded series or streamed
//!   [`BarFeed`]s (semantics in its module docs) over one or several products
//!   sharing one cash balance, with any [`Strategy`]; [`strategies`] holds the committee,
//!   single agents, buy-and-hold and the SMA cross.
//! - [`metrics`]: performance metrics of an equity curve and a trade list (returns, risk-adjusted
//!   ratios, drawdown, trade statistics, exposure, turnover) and per-agent attribution.
//! - [`validation`]: random-window, multi-timescale and walk-forward validators.

mod bar_feed;
pub mod metrics;
mod round_trips;
mod runner;
mod sampled_curve;
pub mod strategies;
mod strategy;
pub mod validation;

pub use bar_feed::BarFeed;
pub use round_trips::RoundTrips;
pub use runner::{BacktestConfig, BacktestError, BacktestResult, MarketModel, run_backtest, run_backtest_feeds};
pub use strategy::{BarClose, Strategy};
