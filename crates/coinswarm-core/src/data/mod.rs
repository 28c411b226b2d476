//! Loaders for real exchange CSV files, candle series and data-quality reports.
//!
//! - [`CandleSeries`]: one product's candles at one granularity, oldest first.
//! - [`CsvFormat`]: the two CryptoDataDownload layouts, long ([`parse_long`]) and wide
//!   ([`parse_wide`]); both take the quote currency the file's prices are in.
//! - [`Dataset`]: a named set of series from one venue, each with its [`DataQualityReport`],
//!   and a [`DatasetQualityReport`] counting each bad row and missing bar time once.
//!
//! Loaders never fail on bad rows: gaps, zero-volume, flat and inconsistent bars are kept
//! and counted; duplicate starts keep the file's first row; unparsable rows are skipped and
//! counted with their line numbers (on the product they belong to, or on the data set when
//! they belong to none). Only a file whose header cannot be read is an error
//! ([`DataFormatError`]).

mod bar_rows;
mod builder;
mod dataset;
mod dataset_quality;
mod format;
mod long;
mod quality;
mod series;
mod wide;

pub use bar_rows::{BarCells, BarRow, fold_rows, product_of_symbol};
pub use dataset::{Dataset, DatasetEntry, UnknownProductError};
pub use dataset_quality::DatasetQualityReport;
pub use format::{CsvFormat, DataFormatError, ParsedCsv};
pub use long::parse_long;
pub use quality::{DataQualityReport, SKIPPED_EXAMPLES, SkippedRow};
pub use series::{CandleSeries, SeriesOrderError, Span};
pub use wide::parse_wide;
