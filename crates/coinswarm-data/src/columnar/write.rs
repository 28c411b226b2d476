//! Writing candles as Parquet in the layout [`super::read_bar_rows`] reads: a UTC
//! millisecond timestamp, the product id, and prices and volume as exact decimal text.

use arrow_array::{ArrayRef, RecordBatch, StringArray, TimestampMillisecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use coinswarm_core::market::{Candle, ProductId};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::sync::Arc;

/// One product's candles as a Parquet file (snappy-compressed), in memory.
pub fn candles_to_parquet(product_id: ProductId, candles: &[Candle]) -> anyhow::Result<Vec<u8>> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("start", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
        Field::new("product_id", DataType::Utf8, false),
        Field::new("open", DataType::Utf8, false),
        Field::new("high", DataType::Utf8, false),
        Field::new("low", DataType::Utf8, false),
        Field::new("close", DataType::Utf8, false),
        Field::new("volume", DataType::Utf8, false),
    ]));
    let text = |f: fn(&Candle) -> String| -> ArrayRef {
        Arc::new(StringArray::from(candles.iter().map(f).collect::<Vec<_>>()))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            TimestampMillisecondArray::from(candles.iter().map(|c| c.start.millis()).collect::<Vec<_>>())
                .with_timezone("UTC"),
        ),
        Arc::new(StringArray::from(vec![product_id.to_string(); candles.len()])),
        text(|c| c.open.to_string()),
        text(|c| c.high.to_string()),
        text(|c| c.low.to_string()),
        text(|c| c.close.to_string()),
        text(|c| c.volume.to_string()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    let properties = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(properties))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(bytes)
}
