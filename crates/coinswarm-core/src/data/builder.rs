//! Collects one product's rows as a loader reads them, then orders, de-duplicates and
//! measures them into a series with its quality report; [`finish_file`] does so for every
//! product of a file and measures the file as a whole.

use super::dataset::DatasetEntry;
use super::dataset_quality::DatasetQualityReport;
use super::format::ParsedCsv;
use super::quality::{DataQualityReport, SkippedRow};
use super::series::CandleSeries;
use crate::market::{Candle, Granularity, ProductId};
use rustc_hash::FxHashSet;

#[derive(Debug)]
pub(crate) struct SeriesBuilder {
    product_id: ProductId,
    granularity: Granularity,
    /// Candles in file order, each with the 1-based line of its row.
    candles: Vec<(u64, Candle)>,
    skipped: Vec<SkippedRow>,
    leading_empty_rows: usize,
}

/// Lines of the rows the products of one file dropped, each line once however many
/// products dropped it.
#[derive(Debug, Default)]
pub(crate) struct DroppedLines {
    skipped: FxHashSet<u64>,
    duplicates: FxHashSet<u64>,
}

impl SeriesBuilder {
    pub(crate) fn new(product_id: ProductId, granularity: Granularity) -> Self {
        Self { product_id, granularity, candles: Vec::new(), skipped: Vec::new(), leading_empty_rows: 0 }
    }

    pub(crate) fn product_id(&self) -> ProductId {
        self.product_id
    }

    /// A candle read from the row on `line`.
    pub(crate) fn push(&mut self, line: u64, candle: Candle) {
        self.candles.push((line, candle));
    }

    pub(crate) fn skip(&mut self, line: u64, reason: impl Into<String>) {
        self.skipped.push(SkippedRow { line, reason: reason.into() });
    }

    /// A row whose cells for this product are all empty: "not listed yet" before the first
    /// candle, a skipped row after it.
    pub(crate) fn empty_row(&mut self, line: u64) {
        if self.candles.is_empty() {
            self.leading_empty_rows += 1;
        } else {
            self.skip(line, format!("no values for {} after it listed", self.product_id));
        }
    }

    /// Orders the candles oldest first and drops repeated starts, keeping the first row of
    /// the file with that start (the sort is stable, so file order decides between equals).
    /// The lines of skipped and dropped rows are added to `dropped`.
    pub(crate) fn finish(mut self, dropped: &mut DroppedLines) -> DatasetEntry {
        self.candles.sort_by_key(|(_, c)| c.start);
        let mut candles: Vec<Candle> = Vec::with_capacity(self.candles.len());
        let mut duplicates = 0;
        for (line, candle) in self.candles {
            if candles.last().is_some_and(|last| last.start == candle.start) {
                duplicates += 1;
                dropped.duplicates.insert(line);
            } else {
                candles.push(candle);
            }
        }
        let listed_at = match self.leading_empty_rows {
            0 => None,
            _ => candles.first().map(|c| c.start),
        };
        let series = CandleSeries::new(self.product_id, self.granularity, candles)
            .expect("candles were just sorted by start and de-duplicated");
        let mut quality = DataQualityReport::for_series(&series);
        quality.duplicate_timestamps = duplicates;
        quality.leading_empty_rows = self.leading_empty_rows;
        quality.listed_at = listed_at;
        self.skipped.sort_by_key(|row| row.line);
        for row in self.skipped {
            dropped.skipped.insert(row.line);
            quality.record_skipped(row.line, row.reason);
        }
        DatasetEntry { series, quality }
    }
}

/// Finishes every product of a file of `rows` data rows. `unattributed` are the rows the
/// loader charged to no product, in file order.
pub(crate) fn finish_file(rows: usize, builders: Vec<SeriesBuilder>, unattributed: Vec<SkippedRow>) -> ParsedCsv {
    let mut dropped = DroppedLines::default();
    let entries: Vec<DatasetEntry> = builders.into_iter().map(|b| b.finish(&mut dropped)).collect();
    let quality =
        DatasetQualityReport::measure(&entries, dropped.skipped.len(), dropped.duplicates.len(), unattributed);
    ParsedCsv { rows, entries, quality }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{DAY_MS, Timestamp};
    use rust_decimal::Decimal;

    fn day(day: i64, close: i64) -> Candle {
        let close = Decimal::from(close);
        Candle {
            start: Timestamp::from_millis(day * DAY_MS),
            open: close,
            high: close,
            low: close,
            close,
            volume: Decimal::ONE,
        }
    }

    fn builder() -> SeriesBuilder {
        SeriesBuilder::new(ProductId::parse("ETH-USD").unwrap(), Granularity::OneDay)
    }

    fn finish(builder: SeriesBuilder) -> DatasetEntry {
        builder.finish(&mut DroppedLines::default())
    }

    #[test]
    fn newest_first_rows_come_out_oldest_first() {
        let mut b = builder();
        for d in [3, 2, 1] {
            b.push(5 - d as u64, day(d, d));
        }
        let entry = finish(b);
        let starts: Vec<i64> = entry.series.candles().iter().map(|c| c.start.millis() / DAY_MS).collect();
        assert_eq!(starts, [1, 2, 3]);
        assert_eq!(entry.quality.duplicate_timestamps, 0);
    }

    #[test]
    fn a_repeated_start_keeps_the_first_row_of_the_file_and_is_counted() {
        let mut b = builder();
        b.push(2, day(2, 200));
        b.push(3, day(1, 100));
        b.push(4, day(2, 999));
        let entry = finish(b);
        assert_eq!(entry.series.len(), 2);
        assert_eq!(entry.series.candles()[1].close, Decimal::from(200));
        assert_eq!(entry.quality.duplicate_timestamps, 1);
    }

    #[test]
    fn empty_rows_before_listing_are_leading_and_after_listing_are_skipped() {
        let mut b = builder();
        b.empty_row(2);
        b.empty_row(3);
        b.push(4, day(3, 10));
        b.empty_row(5);
        let entry = finish(b);
        assert_eq!(entry.quality.leading_empty_rows, 2);
        assert_eq!(entry.quality.listed_at, Some(Timestamp::from_millis(3 * DAY_MS)));
        assert_eq!(entry.quality.skipped_rows, 1);
        assert_eq!(entry.quality.skipped_examples[0].line, 5);
    }

    #[test]
    fn a_row_dropped_by_several_products_counts_once_for_the_file() {
        let products = ["BTC-USD", "ETH-USD"].map(|p| ProductId::parse(p).unwrap());
        let mut builders = products.map(|p| SeriesBuilder::new(p, Granularity::OneDay));
        for b in &mut builders {
            b.push(2, day(1, 10));
            b.push(3, day(1, 11));
            b.skip(4, "bad cell");
        }
        let unattributed = vec![SkippedRow { line: 5, reason: "unreadable row".into() }];
        let parsed = finish_file(4, builders.into(), unattributed);
        for entry in &parsed.entries {
            assert_eq!((entry.quality.duplicate_timestamps, entry.quality.skipped_rows), (1, 1));
        }
        let q = &parsed.quality;
        assert_eq!((q.duplicate_rows, q.skipped_rows, q.unattributed_rows), (1, 2, 1));
        assert_eq!(q.unattributed_examples[0].line, 5);
    }
}
