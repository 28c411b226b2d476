//! Random windows over a series: seeded, reproducible, and always inside the data.

use crate::data::CandleSeries;
use crate::time::DAY_MS;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::Serialize;

/// A stretch of a series: bars `start..end` (indices, end exclusive) spanning `days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: usize,
    pub end: usize,
    /// Length in days of 24 hours: the window holds the bars starting in
    /// `[start time, start time + days)`.
    pub days: u32,
}

/// Why windows cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("window lengths must satisfy 1 ≤ min days ≤ max days, got {0}–{1}")]
    BadLengths(u32, u32),
    #[error("the data covers {covered} days, fewer than the longest window ({max_days} days)")]
    TooShort { covered: i64, max_days: u32 },
    #[error("{0} windows asked for; at most {MAX_WINDOWS} are drawn")]
    TooMany(usize),
}

/// Most windows one random-window run draws (each is a full backtest).
pub const MAX_WINDOWS: usize = 100_000;

/// `count` windows drawn from a ChaCha8 stream seeded with `seed`: each length uniform in
/// `min_days..=max_days` whole days, then its first bar uniform among the bars from which a
/// window of that length ends inside the data (at or before the last bar's end). The same
/// series, count, lengths and seed always give the same windows.
pub fn random_windows(
    series: &CandleSeries,
    count: usize,
    min_days: u32,
    max_days: u32,
    seed: u64,
) -> Result<Vec<Window>, WindowError> {
    if min_days == 0 || min_days > max_days {
        return Err(WindowError::BadLengths(min_days, max_days));
    }
    let candles = series.candles();
    let (Some(first), Some(last)) = (candles.first(), candles.last()) else {
        return Err(WindowError::TooShort { covered: 0, max_days });
    };
    let data_end = last.start.millis() + series.granularity().millis();
    let covered = (data_end - first.start.millis()) / DAY_MS;
    if covered < i64::from(max_days) {
        return Err(WindowError::TooShort { covered, max_days });
    }
    if count > MAX_WINDOWS {
        return Err(WindowError::TooMany(count));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut windows = Vec::with_capacity(count);
    for _ in 0..count {
        let days = min_days + uniform_below(&mut rng, u64::from(max_days - min_days) + 1) as u32;
        let length = i64::from(days) * DAY_MS;
        // At least the first bar qualifies: the data covers at least `max_days`.
        let starts = candles.partition_point(|c| c.start.millis() + length <= data_end).max(1);
        let start = uniform_below(&mut rng, starts as u64) as usize;
        let until = candles[start].start.millis() + length;
        let end = start + candles[start..].partition_point(|c| c.start.millis() < until);
        windows.push(Window { start, end, days });
    }
    Ok(windows)
}

/// Uniform in `0..n` for `n ≥ 1`. The modulo bias is below `n / 2⁶⁴`, far under anything the
/// number of windows could show.
fn uniform_below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::{Candle, Granularity, ProductId};
    use crate::time::{HOUR_MS, Timestamp};
    use rust_decimal::Decimal;

    /// `days` days of hourly bars.
    fn hourly(days: i64) -> CandleSeries {
        let candles = (0..days * 24)
            .map(|h| Candle {
                start: Timestamp::from_millis(h * HOUR_MS),
                open: Decimal::ONE,
                high: Decimal::ONE,
                low: Decimal::ONE,
                close: Decimal::ONE,
                volume: Decimal::ONE,
            })
            .collect();
        CandleSeries::new(ProductId::parse("BTC-USD").unwrap(), Granularity::OneHour, candles).unwrap()
    }

    #[test]
    fn windows_stay_inside_the_data_and_within_the_length_bounds() {
        let series = hourly(200);
        assert_eq!(random_windows(&series, usize::MAX, 30, 180, 7), Err(WindowError::TooMany(usize::MAX)));
        let windows = random_windows(&series, 500, 30, 180, 7).unwrap();
        assert_eq!(windows.len(), 500);
        for w in &windows {
            assert!((30..=180).contains(&w.days), "{w:?}");
            // Hourly bars without gaps: exactly 24 bars a day, all inside the series.
            assert_eq!(w.end - w.start, w.days as usize * 24, "{w:?}");
            assert!(w.end <= series.len());
        }
        assert!(windows.iter().any(|w| w.days == 30) && windows.iter().any(|w| w.days == 180));
    }

    #[test]
    fn the_same_seed_draws_the_same_windows_and_another_seed_others() {
        let series = hourly(100);
        let draw = |seed| random_windows(&series, 20, 10, 60, seed).unwrap();
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
    }

    #[test]
    fn lengths_out_of_order_or_longer_than_the_data_are_refused() {
        let series = hourly(50);
        assert_eq!(random_windows(&series, 1, 0, 10, 0), Err(WindowError::BadLengths(0, 10)));
        assert_eq!(random_windows(&series, 1, 20, 10, 0), Err(WindowError::BadLengths(20, 10)));
        assert_eq!(random_windows(&series, 1, 10, 51, 0), Err(WindowError::TooShort { covered: 50, max_days: 51 }));
        assert_eq!(random_windows(&series, 3, 50, 50, 0).unwrap(), [Window { start: 0, end: 1200, days: 50 }; 3]);
    }
}
