//! Rows of candles from any tabular source (a long-layout CSV, a Parquet file): one product
//! and bar per row, in any order, folded into a data set with the same quality accounting.

use super::builder::{SeriesBuilder, finish_file};
use super::format::{ParsedCsv, parse_price, parse_volume};
use super::quality::SkippedRow;
use crate::market::{Candle, Currency, Granularity, ProductId};
use crate::time::Timestamp;

/// One row read from a tabular source: the 1-based row number (a line, for text files), the
/// product it names (or why it names none), and its candle (or what is wrong with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarRow {
    pub line: u64,
    pub product: Result<ProductId, String>,
    pub candle: Result<Candle, String>,
}

/// The text cells of one bar, parsed with the CSV loaders' rules: prices positive decimals,
/// volume a decimal ≥ 0, the time RFC 3339, `YYYY-MM-DD HH:MM` or a plain date (UTC).
#[derive(Debug, Clone, Copy)]
pub struct BarCells<'a> {
    pub start: &'a str,
    pub open: &'a str,
    pub high: &'a str,
    pub low: &'a str,
    pub close: &'a str,
    pub volume: &'a str,
}

impl BarCells<'_> {
    /// The candle the cells describe, or the first problem found.
    pub fn candle(&self) -> Result<Candle, String> {
        let start = Timestamp::parse(self.start).map_err(|_| format!("time '{}' is not a date or time", self.start))?;
        self.candle_at(start)
    }

    /// The candle of the price and volume cells starting at `start` (a time read elsewhere).
    pub fn candle_at(&self, start: Timestamp) -> Result<Candle, String> {
        Ok(Candle {
            start,
            open: parse_price("Open", self.open)?,
            high: parse_price("High", self.high)?,
            low: parse_price("Low", self.low)?,
            close: parse_price("Close", self.close)?,
            volume: parse_volume("Volume", self.volume)?,
        })
    }
}

/// The product a symbol names: `BTC-USD` as is, or `BTCUSD` as a base glued to `quote`.
pub fn product_of_symbol(symbol: &str, quote: Currency) -> Option<ProductId> {
    if let Ok(product_id) = ProductId::parse(symbol.trim()) {
        return Some(product_id);
    }
    let symbol = symbol.trim().to_ascii_uppercase();
    let base = symbol.strip_suffix(quote.as_str())?;
    let base = Currency::new(base).ok()?;
    (base != quote).then(|| ProductId::new(base, quote))
}

/// Folds rows into one series per product (in order of first appearance), sorted and
/// de-duplicated, with every skipped row counted: a row with a product but a bad candle on
/// that product, a row without a product on the data set.
pub fn fold_rows(rows: impl IntoIterator<Item = BarRow>, granularity: Granularity) -> ParsedCsv {
    let mut builders: Vec<SeriesBuilder> = Vec::new();
    let mut count = 0;
    let mut unattributed = Vec::new();
    for row in rows {
        count += 1;
        let product_id = match row.product {
            Ok(product_id) => product_id,
            Err(reason) => {
                unattributed.push(SkippedRow { line: row.line, reason });
                continue;
            }
        };
        let index = match builders.iter().position(|b| b.product_id() == product_id) {
            Some(index) => index,
            None => {
                builders.push(SeriesBuilder::new(product_id, granularity));
                builders.len() - 1
            }
        };
        match row.candle {
            Ok(candle) => builders[index].push(row.line, candle),
            Err(reason) => builders[index].skip(row.line, reason),
        }
    }
    finish_file(count, builders, unattributed)
}
