//! Candles in Parquet files: user files a backtest or replay runs on, and the candle archive. Reading only needs the columns below; any other column is ignored.

mod read;
mod write;

pub use read::{is_parquet, read_bar_rows, read_bar_rows_from};
pub use write::candles_to_parquet;
