//! What is wrong with a data set as a whole: each source row and each bar time counted once,
//! however many products share it.

use super::dataset::DatasetEntry;
use super::quality::{Gap, SKIPPED_EXAMPLES, SkippedRow, gaps};
use serde::Serialize;

/// Defects of a whole data set. The per-product [`DataQualityReport`](super::DataQualityReport)s
/// count a hole or a bad row once per product it touches; this report counts it once. Bar-level
/// defects of candles (zero volume, flat, inconsistent, off-grid) belong to one product each
/// and are only in the per-product reports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DatasetQualityReport {
    /// Runs of bar times missing from at least one product (between that product's first and
    /// last candle). Holes of different products that overlap or touch form one run.
    pub gap_runs: usize,
    /// Distinct bar times missing from at least one product, counted on the bar grid.
    pub missing_bars: usize,
    /// Distinct source rows that lost at least one bar to a parse error, including the
    /// unattributed rows.
    pub skipped_rows: usize,
    /// Distinct source rows dropped, for at least one product, because their start repeated
    /// an earlier row's.
    pub duplicate_rows: usize,
    /// Skipped rows charged to no product: unreadable rows, rows with the wrong number of
    /// cells, a wide row whose date is bad, a long row whose symbol is no base currency
    /// quoted in the file's currency. A wide row's lost bars still show as gaps per product.
    pub unattributed_rows: usize,
    /// The first [`SKIPPED_EXAMPLES`] unattributed rows with their reasons, in file order.
    pub unattributed_examples: Vec<SkippedRow>,
}

impl DatasetQualityReport {
    /// Measures the finished `entries` of one file. `skipped_lines` and `duplicate_lines` are
    /// the numbers of distinct lines the products skipped and dropped; `unattributed` are the
    /// rows charged to no product, in file order.
    pub(crate) fn measure(
        entries: &[DatasetEntry],
        skipped_lines: usize,
        duplicate_lines: usize,
        unattributed: Vec<SkippedRow>,
    ) -> Self {
        let (gap_runs, missing_bars) = union_of_gaps(entries.iter().flat_map(|e| gaps(&e.series)).collect());
        Self {
            gap_runs,
            missing_bars,
            skipped_rows: skipped_lines + unattributed.len(),
            duplicate_rows: duplicate_lines,
            unattributed_rows: unattributed.len(),
            unattributed_examples: unattributed.into_iter().take(SKIPPED_EXAMPLES).collect(),
        }
    }
}

/// Runs and bar times of the union of `gaps`: overlapping or touching gaps merge.
fn union_of_gaps(mut gaps: Vec<Gap>) -> (usize, usize) {
    gaps.sort_by_key(|g| g.first);
    let mut merged: Vec<Gap> = Vec::new();
    for gap in gaps {
        match merged.last_mut() {
            Some(run) if gap.first <= run.last + run.step => run.last = run.last.max(gap.last),
            _ => merged.push(gap),
        }
    }
    (merged.len(), merged.iter().fold(0, |total: usize, run| total.saturating_add(run.bars())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CandleSeries, DataQualityReport};
    use crate::market::{Candle, Granularity, ProductId};
    use crate::time::{DAY_MS, Timestamp};
    use rust_decimal::Decimal;

    fn entry(product: &str, days: &[i64]) -> DatasetEntry {
        let p = Decimal::TEN;
        let candles = days
            .iter()
            .map(|d| Candle {
                start: Timestamp::from_millis(d * DAY_MS),
                open: p,
                high: p,
                low: p,
                close: p,
                volume: p,
            })
            .collect();
        let series = CandleSeries::new(ProductId::parse(product).unwrap(), Granularity::OneDay, candles).unwrap();
        DatasetEntry { quality: DataQualityReport::for_series(&series), series }
    }

    fn measure(entries: &[DatasetEntry]) -> (usize, usize) {
        let report = DatasetQualityReport::measure(entries, 0, 0, Vec::new());
        (report.gap_runs, report.missing_bars)
    }

    #[test]
    fn a_hole_shared_by_every_product_counts_once() {
        let hole = [1, 2, 15];
        assert_eq!(measure(&[entry("BTC-USD", &hole), entry("ETH-USD", &hole), entry("LTC-USD", &hole)]), (1, 12));
    }

    #[test]
    fn overlapping_and_touching_holes_merge_and_separate_holes_do_not() {
        let overlapping = [entry("BTC-USD", &[0, 5]), entry("ETH-USD", &[0, 3, 8])];
        assert_eq!(measure(&overlapping), (1, 7), "days 1 to 7");
        let touching = [entry("BTC-USD", &[0, 3, 5]), entry("ETH-USD", &[0, 1, 2, 5])];
        assert_eq!(measure(&touching), (1, 4), "days 1-2 and 4 (BTC), 3-4 (ETH)");
        let apart = [entry("BTC-USD", &[0, 2, 6]), entry("ETH-USD", &[0, 1, 2, 3, 6])];
        assert_eq!(measure(&apart), (2, 4), "day 1, then days 3-5");
    }

    #[test]
    fn unattributed_rows_are_counted_in_full_with_the_first_few_as_examples() {
        let rows: Vec<SkippedRow> = (2..12).map(|line| SkippedRow { line, reason: "unreadable".into() }).collect();
        let report = DatasetQualityReport::measure(&[], 3, 1, rows);
        assert_eq!((report.unattributed_rows, report.skipped_rows, report.duplicate_rows), (10, 13, 1));
        assert_eq!(report.unattributed_examples.len(), SKIPPED_EXAMPLES);
        assert_eq!(report.unattributed_examples[0].line, 2);
    }
}
