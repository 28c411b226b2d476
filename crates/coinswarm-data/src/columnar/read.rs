//! Reading one-product-and-bar-per-row Parquet files into [`BarRow`]s.
//!
//! Columns are found by name, in any case and order:
//! - time: `start`, `time`, `timestamp` or `date` — a Parquet timestamp (any unit, any zone:
//!   read as UTC), a date, integers of Unix **milliseconds**, or text (RFC 3339,
//!   `YYYY-MM-DD HH:MM` or a plain date);
//! - product: `product_id` or `symbol` — `BTC-USD`, or `BTCUSD` glued to the quote currency;
//! - `open`, `high`, `low`, `close` and volume (`volume`, `volumefrom` or `base_volume`, in
//!   base currency) — decimals, integers, floats (read by their shortest round-trip text, so
//!   `11849.99` stays exactly that) or text.
//!
//! A bad cell or a null skips its row with a reason, as the CSV loaders do; only a file that
//! is not Parquet or lacks a column is an error.

use anyhow::{Context, bail};
use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMillisecondType;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use coinswarm_core::data::{BarCells, BarRow, product_of_symbol};
use coinswarm_core::market::Currency;
use coinswarm_core::time::Timestamp;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;
use std::io::Read;
use std::path::Path;

const TIME: [&str; 4] = ["start", "time", "timestamp", "date"];
const PRODUCT: [&str; 2] = ["product_id", "symbol"];
const VOLUME: [&str; 3] = ["volume", "volumefrom", "base_volume"];

/// Whether the file starts with Parquet's magic bytes.
pub fn is_parquet(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path).and_then(|mut file| file.read_exact(&mut magic)).is_ok() && &magic == b"PAR1"
}

/// Every row of the file, in file order, numbered from 1.
pub fn read_bar_rows(path: &Path, quote: Currency) -> anyhow::Result<Vec<BarRow>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{}: not a readable Parquet file", path.display()))?;
    rows_of(builder, path, quote)
}

/// Every row of a Parquet file held in memory (an archived object), numbered from 1.
pub fn read_bar_rows_from(bytes: Vec<u8>, name: &Path, quote: Currency) -> anyhow::Result<Vec<BarRow>> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .with_context(|| format!("{}: not a readable Parquet file", name.display()))?;
    rows_of(builder, name, quote)
}

fn rows_of<T: parquet::file::reader::ChunkReader + 'static>(
    builder: ParquetRecordBatchReaderBuilder<T>,
    path: &Path,
    quote: Currency,
) -> anyhow::Result<Vec<BarRow>> {
    let schema = builder.schema().clone();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let find = |choices: &[&str]| -> anyhow::Result<usize> {
        names.iter().position(|name| choices.iter().any(|c| name.eq_ignore_ascii_case(c))).with_context(|| {
            format!(
                "{}: no {} column (columns: {}); expected a time, product_id, open, high, low, close and volume column",
                path.display(),
                choices.join(" / "),
                names.join(", ")
            )
        })
    };
    let columns = [
        find(&TIME)?,
        find(&PRODUCT)?,
        find(&["open"])?,
        find(&["high"])?,
        find(&["low"])?,
        find(&["close"])?,
        find(&VOLUME)?,
    ];
    let reader = builder.build().with_context(|| format!("{}: cannot read its row groups", path.display()))?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.with_context(|| format!("{}: a row group cannot be decoded", path.display()))?;
        read_batch(&batch, &columns, quote, &mut rows)?;
    }
    Ok(rows)
}

/// The time column: either milliseconds (timestamps, dates, integers) or text.
enum TimeColumn {
    Millis(ArrayRef),
    Text(ArrayRef),
}

fn read_batch(
    batch: &RecordBatch,
    columns: &[usize; 7],
    quote: Currency,
    rows: &mut Vec<BarRow>,
) -> anyhow::Result<()> {
    let time = time_column(batch.column(columns[0]))?;
    let text = |index: usize| -> anyhow::Result<ArrayRef> {
        let column = batch.column(columns[index]);
        arrow_cast::cast(column, &DataType::Utf8)
            .with_context(|| format!("column {} of type {} cannot be read as text", index, column.data_type()))
    };
    let [product, open, high, low, close, volume] = [text(1)?, text(2)?, text(3)?, text(4)?, text(5)?, text(6)?];
    let strings = |array: &ArrayRef| array.as_string::<i32>().clone();
    let (product, open, high, low, close, volume) =
        (strings(&product), strings(&open), strings(&high), strings(&low), strings(&close), strings(&volume));
    for row in 0..batch.num_rows() {
        let line = rows.len() as u64 + 1;
        let symbol = cell(&product, row);
        let product = product_of_symbol(symbol, quote)
            .ok_or_else(|| format!("product '{symbol}' is not a product or a base currency quoted in {quote}"));
        let cells = BarCells {
            start: "",
            open: cell(&open, row),
            high: cell(&high, row),
            low: cell(&low, row),
            close: cell(&close, row),
            volume: cell(&volume, row),
        };
        let candle = match &time {
            TimeColumn::Millis(millis) => {
                let millis = millis.as_primitive::<TimestampMillisecondType>();
                if millis.is_null(row) {
                    Err("time is empty".to_string())
                } else {
                    cells.candle_at(Timestamp::from_millis(millis.value(row)))
                }
            }
            TimeColumn::Text(text) => BarCells { start: cell(text.as_string::<i32>(), row), ..cells }.candle(),
        };
        rows.push(BarRow { line, product, candle });
    }
    Ok(())
}

fn time_column(column: &ArrayRef) -> anyhow::Result<TimeColumn> {
    let millis = DataType::Timestamp(TimeUnit::Millisecond, None);
    let cast = |from: &ArrayRef, to: &DataType| {
        arrow_cast::cast(from, to).with_context(|| format!("the time column ({}) cannot be read", column.data_type()))
    };
    Ok(match column.data_type() {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => TimeColumn::Millis(cast(column, &millis)?),
        DataType::Int64 | DataType::Int32 | DataType::UInt32 | DataType::UInt64 => {
            TimeColumn::Millis(cast(&cast(column, &DataType::Int64)?, &millis)?)
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => TimeColumn::Text(cast(column, &DataType::Utf8)?),
        other => bail!("the time column is {other}: expected a timestamp, a date, Unix milliseconds or text"),
    })
}

/// A text cell, empty for a null.
fn cell(array: &arrow_array::StringArray, row: usize) -> &str {
    if array.is_null(row) { "" } else { array.value(row) }
}
