//! Candles in Parquet files: user files a backtest or replay runs on (and, later, the candle
//! archive). Reading only needs the columns below; any other column is ignored.

mod read;

pub use read::{is_parquet, read_bar_rows};
