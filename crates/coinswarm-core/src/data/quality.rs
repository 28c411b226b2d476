//! What is wrong with a loaded series, counted rather than fatal.

use super::series::CandleSeries;
use crate::market::{Granularity, ProductId};
use crate::time::Timestamp;
use serde::Serialize;

/// How many skipped rows a report keeps as examples; the count covers all of them.
pub const SKIPPED_EXAMPLES: usize = 5;

/// A source row a loader could not turn into a candle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedRow {
    /// 1-based line number in the source file (the header is line 1).
    pub line: u64,
    pub reason: String,
}

/// Defects found in one product's series. Loaders report defects and carry on; none is fatal.
///
/// Bar-level counts (gaps, zero volume, inconsistent, flat, off-grid) describe the candles
/// kept in the series; row-level counts (duplicates, skipped, leading empty) describe source
/// rows that did not become candles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataQualityReport {
    pub product_id: ProductId,
    pub granularity: Granularity,
    /// Candles kept in the series.
    pub candles: usize,
    /// Runs of missing bars between consecutive candles (one run per hole, whatever its length).
    pub gap_runs: usize,
    /// Bars missing in total across all gap runs, in units of the granularity.
    pub missing_bars: usize,
    /// Candles whose start is not a whole number of bars after the first candle's start;
    /// the missing-bar count rounds such holes down.
    pub off_grid_bars: usize,
    /// Candles with zero volume (no trade reported in the bar).
    pub zero_volume_bars: usize,
    /// Candles whose prices break low ≤ open, close ≤ high (see `Candle::is_consistent`).
    /// Kept in the series, since the other fields of the bar may still be right.
    pub inconsistent_bars: usize,
    /// Candles with open = high = low = close.
    pub flat_bars: usize,
    /// Rows whose start repeats an earlier row's; the first occurrence in the file is kept
    /// and the repeats are dropped.
    pub duplicate_timestamps: usize,
    /// Rows that could not be parsed into a candle (bad number, bad date, missing cells).
    pub skipped_rows: usize,
    /// The first [`SKIPPED_EXAMPLES`] skipped rows with their reasons, in file order.
    pub skipped_examples: Vec<SkippedRow>,
    /// Rows before the product's first candle whose cells were all empty: the product was
    /// not listed yet. Not a defect.
    pub leading_empty_rows: usize,
    /// Start of the first candle when the product listed after the file begins
    /// (`leading_empty_rows` > 0); `None` when it traded from the file's first row.
    pub listed_at: Option<Timestamp>,
}

impl DataQualityReport {
    /// The bar-level counts of a series; row-level counts start at zero for the loader to fill.
    pub fn for_series(series: &CandleSeries) -> Self {
        let candles = series.candles();
        let mut report = Self {
            product_id: series.product_id(),
            granularity: series.granularity(),
            candles: candles.len(),
            gap_runs: 0,
            missing_bars: 0,
            off_grid_bars: 0,
            zero_volume_bars: candles.iter().filter(|c| c.volume.is_zero()).count(),
            inconsistent_bars: candles.iter().filter(|c| !c.is_consistent()).count(),
            flat_bars: candles.iter().filter(|c| c.open == c.high && c.high == c.low && c.low == c.close).count(),
            duplicate_timestamps: 0,
            skipped_rows: 0,
            skipped_examples: Vec::new(),
            leading_empty_rows: 0,
            listed_at: None,
        };
        // In i128, so that no two i64 timestamps can overflow a difference.
        let step = i128::from(series.granularity().millis());
        if let Some(first) = candles.first() {
            let first = i128::from(first.start.millis());
            report.off_grid_bars =
                candles.iter().filter(|c| (i128::from(c.start.millis()) - first) % step != 0).count();
        }
        for gap in gaps(series) {
            report.gap_runs += 1;
            report.missing_bars = report.missing_bars.saturating_add(gap.bars());
        }
        report
    }

    /// Counts a source row that could not become a candle, keeping the first few as examples.
    pub fn record_skipped(&mut self, line: u64, reason: impl Into<String>) {
        self.skipped_rows += 1;
        if self.skipped_examples.len() < SKIPPED_EXAMPLES {
            self.skipped_examples.push(SkippedRow { line, reason: reason.into() });
        }
    }

    /// Whether nothing at all is wrong (leading empty rows are not a defect).
    pub fn is_clean(&self) -> bool {
        self.gap_runs == 0
            && self.off_grid_bars == 0
            && self.zero_volume_bars == 0
            && self.inconsistent_bars == 0
            && self.flat_bars == 0
            && self.duplicate_timestamps == 0
            && self.skipped_rows == 0
    }
}

/// A run of bars missing between two consecutive candles of a series: bar starts `first`,
/// `first + step`, …, `last`, in milliseconds. Wide integers, so extreme timestamps cannot
/// overflow; off-grid candles round the run down to whole bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gap {
    pub(crate) first: i128,
    pub(crate) last: i128,
    pub(crate) step: i128,
}

impl Gap {
    /// Bars in the run, saturating at `usize::MAX`.
    pub(crate) fn bars(self) -> usize {
        usize::try_from((self.last - self.first) / self.step + 1).unwrap_or(usize::MAX)
    }
}

/// The gaps of a series, oldest first.
pub(crate) fn gaps(series: &CandleSeries) -> impl Iterator<Item = Gap> + '_ {
    let step = i128::from(series.granularity().millis());
    series.candles().windows(2).filter_map(move |pair| {
        let (before, after) = (i128::from(pair[0].start.millis()), i128::from(pair[1].start.millis()));
        let missing = (after - before) / step - 1;
        (missing > 0).then(|| Gap { first: before + step, last: before + missing * step, step })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::Candle;
    use rust_decimal::Decimal;

    fn bar(minutes: i64, [open, high, low, close, volume]: [i64; 5]) -> Candle {
        Candle {
            start: Timestamp::from_millis(minutes * crate::time::MINUTE_MS),
            open: Decimal::from(open),
            high: Decimal::from(high),
            low: Decimal::from(low),
            close: Decimal::from(close),
            volume: Decimal::from(volume),
        }
    }

    fn report(candles: Vec<Candle>) -> DataQualityReport {
        let product = ProductId::parse("BTC-USD").unwrap();
        DataQualityReport::for_series(&CandleSeries::new(product, Granularity::OneHour, candles).unwrap())
    }

    #[test]
    fn gaps_count_runs_and_missing_bars_separately() {
        let ok = [10, 12, 9, 11, 5];
        let r = report(vec![bar(0, ok), bar(60, ok), bar(240, ok), bar(300, ok), bar(420, ok)]);
        assert_eq!((r.gap_runs, r.missing_bars, r.off_grid_bars), (2, 3, 0));
        assert!(!r.is_clean());
    }

    #[test]
    fn bars_off_the_hourly_grid_are_counted_and_round_the_gap_down() {
        let ok = [10, 12, 9, 11, 5];
        let r = report(vec![bar(0, ok), bar(150, ok)]);
        assert_eq!((r.gap_runs, r.missing_bars, r.off_grid_bars), (1, 1, 1));
        assert_eq!(r.candles, 2);
    }

    #[test]
    fn zero_volume_flat_and_inconsistent_bars_are_counted() {
        let r = report(vec![
            bar(0, [10, 10, 10, 10, 0]),
            bar(60, [10, 9, 11, 10, 3]),
            bar(120, [10, 12, 9, 11, 0]),
            bar(180, [10, 12, 9, 11, 4]),
        ]);
        assert_eq!((r.zero_volume_bars, r.flat_bars, r.inconsistent_bars), (2, 1, 1));
    }

    #[test]
    fn timestamps_at_the_ends_of_the_i64_range_are_measured_without_overflow() {
        let ok = [10, 12, 9, 11, 5];
        let (mut early, mut late) = (bar(0, ok), bar(0, ok));
        (early.start, late.start) = (Timestamp::from_millis(i64::MIN), Timestamp::from_millis(i64::MAX));
        let r = report(vec![early, late]);
        let hours = (i128::from(i64::MAX) - i128::from(i64::MIN)) / i128::from(crate::time::HOUR_MS);
        assert_eq!((r.gap_runs, r.off_grid_bars), (1, 1));
        assert_eq!(r.missing_bars, usize::try_from(hours - 1).unwrap_or(usize::MAX));
    }

    #[test]
    fn skipped_rows_are_all_counted_but_only_the_first_few_kept() {
        let mut r = report(vec![]);
        for line in 2..10 {
            r.record_skipped(line, format!("bad row {line}"));
        }
        assert_eq!(r.skipped_rows, 8);
        assert_eq!(r.skipped_examples.len(), SKIPPED_EXAMPLES);
        assert_eq!(r.skipped_examples[0], SkippedRow { line: 2, reason: "bad row 2".into() });
        assert!(report(vec![]).is_clean());
    }
}
