//! Collects one product's rows as a loader reads them, then orders, de-duplicates and
//! measures them into a series with its quality report.

use super::dataset::DatasetEntry;
use super::quality::{DataQualityReport, SkippedRow};
use super::series::CandleSeries;
use crate::market::{Candle, Granularity, ProductId};

#[derive(Debug)]
pub(crate) struct SeriesBuilder {
    product_id: ProductId,
    granularity: Granularity,
    /// Candles in file order.
    candles: Vec<Candle>,
    skipped: Vec<SkippedRow>,
    leading_empty_rows: usize,
}

impl SeriesBuilder {
    pub(crate) fn new(product_id: ProductId, granularity: Granularity) -> Self {
        Self { product_id, granularity, candles: Vec::new(), skipped: Vec::new(), leading_empty_rows: 0 }
    }

    pub(crate) fn product_id(&self) -> ProductId {
        self.product_id
    }

    pub(crate) fn push(&mut self, candle: Candle) {
        self.candles.push(candle);
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
    pub(crate) fn finish(mut self) -> DatasetEntry {
        self.candles.sort_by_key(|c| c.start);
        let before = self.candles.len();
        self.candles.dedup_by_key(|c| c.start);
        let duplicates = before - self.candles.len();
        let listed_at = match self.leading_empty_rows {
            0 => None,
            _ => self.candles.first().map(|c| c.start),
        };
        let series = CandleSeries::new(self.product_id, self.granularity, self.candles)
            .expect("candles were just sorted by start and de-duplicated");
        let mut quality = DataQualityReport::for_series(&series);
        quality.duplicate_timestamps = duplicates;
        quality.leading_empty_rows = self.leading_empty_rows;
        quality.listed_at = listed_at;
        self.skipped.sort_by_key(|row| row.line);
        for row in self.skipped {
            quality.record_skipped(row.line, row.reason);
        }
        DatasetEntry { series, quality }
    }
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

    #[test]
    fn newest_first_rows_come_out_oldest_first() {
        let mut b = builder();
        for d in [3, 2, 1] {
            b.push(day(d, d));
        }
        let entry = b.finish();
        let starts: Vec<i64> = entry.series.candles().iter().map(|c| c.start.millis() / DAY_MS).collect();
        assert_eq!(starts, [1, 2, 3]);
        assert_eq!(entry.quality.duplicate_timestamps, 0);
    }

    #[test]
    fn a_repeated_start_keeps_the_first_row_of_the_file_and_is_counted() {
        let mut b = builder();
        b.push(day(2, 200));
        b.push(day(1, 100));
        b.push(day(2, 999));
        let entry = b.finish();
        assert_eq!(entry.series.len(), 2);
        assert_eq!(entry.series.candles()[1].close, Decimal::from(200));
        assert_eq!(entry.quality.duplicate_timestamps, 1);
    }

    #[test]
    fn empty_rows_before_listing_are_leading_and_after_listing_are_skipped() {
        let mut b = builder();
        b.empty_row(2);
        b.empty_row(3);
        b.push(day(3, 10));
        b.empty_row(5);
        let entry = b.finish();
        assert_eq!(entry.quality.leading_empty_rows, 2);
        assert_eq!(entry.quality.listed_at, Some(Timestamp::from_millis(3 * DAY_MS)));
        assert_eq!(entry.quality.skipped_rows, 1);
        assert_eq!(entry.quality.skipped_examples[0].line, 5);
    }
}
