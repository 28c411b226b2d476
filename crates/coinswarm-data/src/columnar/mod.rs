//! Candles in Parquet files: user files a backtest or replay runs on, and the candle archive. Reading only needs the columns below; any other column is ignored.

mod read;
mod write;

pub use read::{is_parquet, read_bar_rows, read_bar_rows_from};
pub use write::candles_to_parquet;

use coinswarm_core::market::{Candle, Granularity, ProductId};

/// The archive's folder of a product's candles:
/// `candles/venue=V/product=P/granularity=G/`, one `date=YYYY-MM.parquet` per month (the
/// same layout on disk, in S3 and in the edge's R2 bucket).
pub fn archive_prefix(venue: &str, product_id: ProductId, granularity: Granularity) -> String {
    format!("candles/venue={}/product={product_id}/granularity={granularity}/", venue.to_ascii_lowercase())
}

/// `YYYY-MM` of a candle's start (UTC): the month file it belongs to.
pub fn archive_month(candle: &Candle) -> String {
    candle.start.to_string().chars().take(7).collect()
}

/// The key of a month's file under `prefix`.
pub fn archive_key(prefix: &str, month: &str) -> String {
    format!("{prefix}date={month}.parquet")
}
