//! A run of candles for one product at one granularity, oldest first.

use crate::market::{Candle, Granularity, ProductId};
use crate::time::Timestamp;
use serde::Serialize;

/// The first and last bar starts of a series or data set, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub first: Timestamp,
    pub last: Timestamp,
}

impl Span {
    /// The smallest span covering both.
    pub fn union(self, other: Span) -> Span {
        Span { first: self.first.min(other.first), last: self.last.max(other.last) }
    }
}

/// Candles of one product at one granularity, ordered by strictly increasing start time.
///
/// The ordering is an invariant checked on construction, so range queries can binary-search
/// and consumers can replay the series as a feed without sorting it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandleSeries {
    product_id: ProductId,
    granularity: Granularity,
    candles: Vec<Candle>,
}

/// Candles handed to [`CandleSeries::new`] that are not in strictly increasing start order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("candles of {product_id} must be oldest first with distinct starts, but {next} follows {previous}")]
pub struct SeriesOrderError {
    pub product_id: ProductId,
    pub previous: Timestamp,
    pub next: Timestamp,
}

impl CandleSeries {
    /// A series from candles already ordered by strictly increasing `start`.
    pub fn new(
        product_id: ProductId,
        granularity: Granularity,
        candles: Vec<Candle>,
    ) -> Result<Self, SeriesOrderError> {
        if let Some(pair) = candles.windows(2).find(|pair| pair[0].start >= pair[1].start) {
            return Err(SeriesOrderError { product_id, previous: pair[0].start, next: pair[1].start });
        }
        Ok(Self { product_id, granularity, candles })
    }

    pub fn product_id(&self) -> ProductId {
        self.product_id
    }

    pub fn granularity(&self) -> Granularity {
        self.granularity
    }

    /// All candles, oldest first.
    pub fn candles(&self) -> &[Candle] {
        &self.candles
    }

    pub fn into_candles(self) -> Vec<Candle> {
        self.candles
    }

    pub fn len(&self) -> usize {
        self.candles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candles.is_empty()
    }

    /// First and last bar starts; `None` for an empty series.
    pub fn span(&self) -> Option<Span> {
        Some(Span { first: self.candles.first()?.start, last: self.candles.last()?.start })
    }

    /// The candles whose start lies in `from ..= to`; both bounds are inclusive and a
    /// missing bound is open. An empty slice when `from` is after `to`.
    pub fn between(&self, from: Option<Timestamp>, to: Option<Timestamp>) -> &[Candle] {
        let lo = from.map_or(0, |from| self.candles.partition_point(|c| c.start < from));
        let hi = to.map_or(self.candles.len(), |to| self.candles.partition_point(|c| c.start <= to));
        if lo >= hi { &[] } else { &self.candles[lo..hi] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn candle(hour: i64) -> Candle {
        let price = Decimal::from(100 + hour);
        Candle {
            start: Timestamp::from_millis(hour * crate::time::HOUR_MS),
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Decimal::ONE,
        }
    }

    fn btc_usd() -> ProductId {
        ProductId::parse("BTC-USD").unwrap()
    }

    fn hours(hours: &[i64]) -> CandleSeries {
        let candles = hours.iter().map(|&h| candle(h)).collect();
        CandleSeries::new(btc_usd(), Granularity::OneHour, candles).unwrap()
    }

    fn starts(candles: &[Candle]) -> Vec<i64> {
        candles.iter().map(|c| c.start.millis() / crate::time::HOUR_MS).collect()
    }

    #[test]
    fn construction_rejects_unsorted_or_repeated_starts() {
        for bad in [vec![candle(2), candle(1)], vec![candle(1), candle(1)]] {
            let err = CandleSeries::new(btc_usd(), Granularity::OneHour, bad).unwrap_err();
            assert!(err.to_string().contains("oldest first"), "{err}");
        }
    }

    #[test]
    fn between_includes_both_bounds_and_leaves_missing_bounds_open() {
        let series = hours(&[0, 1, 2, 5, 6]);
        let at = |h: i64| Some(Timestamp::from_millis(h * crate::time::HOUR_MS));
        assert_eq!(starts(series.between(at(1), at(5))), [1, 2, 5]);
        assert_eq!(starts(series.between(at(3), at(4))), Vec::<i64>::new());
        assert_eq!(starts(series.between(None, at(1))), [0, 1]);
        assert_eq!(starts(series.between(at(6), None)), [6]);
        assert_eq!(starts(series.between(at(5), at(1))), Vec::<i64>::new());
        assert_eq!(series.between(None, None).len(), 5);
    }

    #[test]
    fn span_is_first_and_last_start_and_none_when_empty() {
        let span = hours(&[3, 4, 9]).span().unwrap();
        assert_eq!(span.first.millis(), 3 * crate::time::HOUR_MS);
        assert_eq!(span.last.millis(), 9 * crate::time::HOUR_MS);
        assert_eq!(hours(&[]).span(), None);
    }
}
