//! Resampling candles to a coarser bar length, for validators that need longer bars than the
//! data holds.

use crate::data::CandleSeries;
use crate::market::{Candle, Granularity};
use crate::time::Timestamp;

/// Why a series cannot be resampled to a bar length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResampleError {
    #[error("needs {to} bars, finer than the data's {from} bars")]
    Finer { from: Granularity, to: Granularity },
    #[error("cannot resample {from} bars to {to}: the new bar length must be a whole multiple of the old one")]
    NotMultiple { from: Granularity, to: Granularity },
}

/// The series with bars of `granularity`. Each new bar covers `[k·len, (k + 1)·len)` since the
/// Unix epoch (so daily bars start at midnight UTC): open of its first source bar, close of its
/// last, highest high, lowest low, summed volume. A bucket with missing source bars (a gap, or
/// the data starting or ending mid-bucket) is built from the bars it has; a bucket with none
/// yields no bar. The same granularity returns the series unchanged.
pub fn resample(series: &CandleSeries, granularity: Granularity) -> Result<CandleSeries, ResampleError> {
    let (old, new) = (series.granularity().millis(), granularity.millis());
    let (from, to) = (series.granularity(), granularity);
    if new < old {
        return Err(ResampleError::Finer { from, to });
    }
    if new % old != 0 {
        return Err(ResampleError::NotMultiple { from, to });
    }
    let mut bars: Vec<Candle> = Vec::with_capacity(series.len() / (new / old) as usize + 1);
    for candle in series.candles() {
        let start = Timestamp::from_millis(candle.start.millis().div_euclid(new) * new);
        match bars.last_mut() {
            Some(bar) if bar.start == start => {
                bar.high = bar.high.max(candle.high);
                bar.low = bar.low.min(candle.low);
                bar.close = candle.close;
                bar.volume += candle.volume;
            }
            _ => bars.push(Candle { start, ..*candle }),
        }
    }
    // Source starts strictly increase, so bucket starts do too.
    Ok(CandleSeries::new(series.product_id(), granularity, bars).expect("bucket starts increase with source starts"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::ProductId;
    use crate::time::HOUR_MS;
    use rust_decimal::Decimal;

    fn bar(hour: i64, [open, high, low, close, volume]: [i64; 5]) -> Candle {
        let d = Decimal::from;
        let start = Timestamp::from_millis(hour * HOUR_MS);
        Candle { start, open: d(open), high: d(high), low: d(low), close: d(close), volume: d(volume) }
    }

    fn hourly(candles: Vec<Candle>) -> CandleSeries {
        CandleSeries::new(ProductId::parse("BTC-USD").unwrap(), Granularity::OneHour, candles).unwrap()
    }

    #[test]
    fn four_hour_bars_take_first_open_last_close_extremes_and_summed_volume() {
        // Hours 2..=3 fall in the bucket starting at hour 0, hours 4..=7 in the next; hour 6 is a
        // gap, and hour 12 sits alone in its bucket.
        let series = hourly(vec![
            bar(2, [10, 12, 9, 11, 1]),
            bar(3, [11, 15, 10, 14, 2]),
            bar(4, [14, 14, 8, 9, 3]),
            bar(5, [9, 10, 7, 10, 4]),
            bar(7, [10, 13, 10, 12, 5]),
            bar(12, [20, 21, 19, 20, 6]),
        ]);
        let four = resample(&series, Granularity::FourHour).unwrap();
        assert_eq!(four.granularity(), Granularity::FourHour);
        assert_eq!(
            four.candles(),
            [bar(0, [10, 15, 9, 14, 3]), bar(4, [14, 14, 7, 12, 12]), bar(12, [20, 21, 19, 20, 6])]
        );
    }

    #[test]
    fn the_same_length_is_unchanged_and_finer_or_uneven_lengths_are_refused() {
        let series = hourly(vec![bar(0, [1, 1, 1, 1, 1]), bar(1, [2, 2, 2, 2, 2])]);
        assert_eq!(resample(&series, Granularity::OneHour).unwrap(), series);
        let finer = resample(&series, Granularity::FifteenMinute).unwrap_err();
        assert_eq!(finer, ResampleError::Finer { from: Granularity::OneHour, to: Granularity::FifteenMinute });
        let six = resample(&series, Granularity::SixHour).unwrap();
        assert!(resample(&six, Granularity::OneDay).is_ok(), "a day is four six-hour bars");
        let four = resample(&series, Granularity::FourHour).unwrap();
        assert!(resample(&four, Granularity::SixHour).unwrap_err().to_string().contains("whole multiple"));
    }
}
