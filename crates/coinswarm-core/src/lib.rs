//! # coinswarm-core
//!
//! The pure trading domain of Coinswarm, shared by backtests, paper sessions, live trading
//! and the edge Worker. It does no I/O, reads no wall clock and owns no global RNG: time
//! ([`time::Timestamp`]) and seeds are passed in, so the same inputs always produce the same
//! outputs, byte for byte. It builds for `wasm32-unknown-unknown`.
//!
//! Main components:
//! - [`market`]: products, currencies, candles with Coinbase granularities, quotes, trade prints.
//! - [`data`]: loaders for real exchange CSV files, candle series and data-quality reports.
//! - [`synthetic`]: seeded regime generators and the intra-bar quote path of a candle.
//! - [`order`]: the order model (requests, orders, fills, rejections) both the engine and
//!   the ledger import.
//! - [`risk`]: the pre-trade gate every order passes (trading state, oversight, circuit
//!   breaker, one equity and one fee estimate).
//! - [`exchange`]: the paper matching engine with Coinbase Advanced Trade order shapes.
//! - [`ledger`]: multi-currency accounts as a fold over an append-only event log.
//! - [`memory`]: the vector index port of pattern memory and its exact adapter.
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, unused_crate_dependencies)]

pub mod backtest;
pub mod data;
pub mod exchange;
pub mod indicators;
pub mod learned;
pub mod ledger;
pub mod market;
pub mod memory;
pub mod order;
pub mod risk;
pub mod swarm;
pub mod synthetic;
pub mod time;

pub use rust_decimal::Decimal;

// Dev-dependencies used by the benchmarks and integration tests only, not by unit tests.
#[cfg(test)]
use {coinswarm_data as _, criterion as _};
