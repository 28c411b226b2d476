//! Loaders for real exchange CSV files, candle series and data-quality reports.
