//! Backtests over a user's Parquet file: the same result as over the same bars from CSV, bad
//! rows counted rather than fatal, and a clear error for a file that cannot be used.

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use assert_cmd::Command;
use coinswarm_core::market::Candle;
use parquet::arrow::ArrowWriter;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("coinswarm-parquet-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `candles` of `product` as a Parquet file: microsecond UTC timestamps, float prices,
/// text volumes (three of the column types users' tools write).
fn write_parquet(path: &Path, product: &str, candles: &[Candle], break_row: Option<usize>) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("timestamp", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        Field::new("product_id", DataType::Utf8, false),
        Field::new("Open", DataType::Float64, false),
        Field::new("High", DataType::Float64, false),
        Field::new("Low", DataType::Float64, false),
        Field::new("Close", DataType::Float64, true),
        Field::new("volume", DataType::Utf8, false),
    ]));
    let price = |f: fn(&Candle) -> rust_decimal::Decimal| -> ArrayRef {
        Arc::new(Float64Array::from(candles.iter().map(|c| f(c).to_f64().unwrap()).collect::<Vec<_>>()))
    };
    let close: ArrayRef = Arc::new(Float64Array::from(
        candles
            .iter()
            .enumerate()
            .map(|(i, c)| (Some(i) != break_row).then(|| c.close.to_f64().unwrap()))
            .collect::<Vec<_>>(),
    ));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            TimestampMicrosecondArray::from(candles.iter().map(|c| c.start.millis() * 1000).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
        Arc::new(StringArray::from(vec![product; candles.len()])),
        price(|c| c.open),
        price(|c| c.high),
        price(|c| c.low),
        close,
        Arc::new(StringArray::from(candles.iter().map(|c| c.volume.to_string()).collect::<Vec<_>>())),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut writer = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

fn hourly_candles() -> Vec<Candle> {
    let dataset = coinswarm_data::load("bitfinex-btcusd-1h").unwrap();
    dataset.entry("BTC-USD".parse().unwrap()).unwrap().series.candles().to_vec()
}

fn run(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("coinswarm").unwrap().args(args).output().unwrap()
}

fn backtest_json(data: &str) -> Value {
    let output = run(&["backtest", "--data", data, "--strategy", "sma-cross", "--json", "-"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn a_parquet_file_backtests_exactly_like_the_bundled_csv_it_came_from() {
    let dir = scratch("same");
    let path = dir.join("btc-hourly.parquet");
    write_parquet(&path, "BTC-USD", &hourly_candles(), None);
    let from_parquet = backtest_json(path.to_str().unwrap());
    let from_csv = backtest_json("bitfinex-btcusd-1h");
    assert_eq!(from_parquet["granularity"], "ONE_HOUR");
    assert_eq!(from_parquet["bars"], 17_583);
    assert_eq!(from_parquet["final_equity"], from_csv["final_equity"]);
    assert_eq!(from_parquet["trades"], from_csv["trades"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_row_with_a_missing_close_is_skipped_and_counted_not_fatal() {
    let dir = scratch("gap");
    let path = dir.join("btc.parquet");
    write_parquet(&path, "BTCUSD", &hourly_candles()[..500], Some(100));
    let output = run(&["data", "quality", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(text.contains("101") && text.contains("Close is empty"), "{text}");
    let report = backtest_json(path.to_str().unwrap());
    assert_eq!(report["bars"], 499);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_parquet_file_without_a_price_column_is_refused_by_name() {
    let dir = scratch("columns");
    let path = dir.join("no-close.parquet");
    let schema = Arc::new(Schema::new(vec![Field::new("time", DataType::Utf8, false)]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(vec!["2024-01-01"])) as ArrayRef])
        .unwrap();
    let mut writer = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let output = run(&["backtest", "--data", path.to_str().unwrap(), "--strategy", "buy-and-hold"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no product_id / symbol column") && stderr.contains("columns: time"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}
