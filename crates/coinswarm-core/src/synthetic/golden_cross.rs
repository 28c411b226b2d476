//! The golden cross: the 50-bar simple moving average of closes crossing above the 200-bar one.

use crate::market::Candle;
use rust_decimal::Decimal;

/// Length of the fast simple moving average, in bars.
pub const FAST_SMA_BARS: usize = 50;
/// Length of the slow simple moving average, in bars.
pub const SLOW_SMA_BARS: usize = 200;

/// The index of the last bar at or after bar `from` (0-based) at which the fast average of
/// closes crosses above the slow one, or `None` if it never does there.
///
/// The average at bar `i` covers the closes of bars `i − n + 1 ..= i`. Bar `i` is a cross when
/// the fast average is strictly above the slow one at `i` and at or below it at `i − 1`, so
/// the first candidate is bar 200 (the first bar whose predecessor has a slow average). The
/// comparison is exact in decimals.
pub fn golden_cross_bar(candles: &[Candle], from: usize) -> Option<usize> {
    if candles.len() <= SLOW_SMA_BARS {
        return None;
    }
    let window_sum = |end: usize, len: usize| candles[end + 1 - len..=end].iter().map(|c| c.close).sum::<Decimal>();
    let mut fast = window_sum(SLOW_SMA_BARS - 1, FAST_SMA_BARS);
    let mut slow = window_sum(SLOW_SMA_BARS - 1, SLOW_SMA_BARS);
    // fast / 50 > slow / 200  ⇔  fast × 200 > slow × 50, without dividing.
    let above =
        |fast: Decimal, slow: Decimal| fast * Decimal::from(SLOW_SMA_BARS) > slow * Decimal::from(FAST_SMA_BARS);
    let mut was_above = above(fast, slow);
    let mut cross = None;
    for i in SLOW_SMA_BARS..candles.len() {
        fast += candles[i].close - candles[i - FAST_SMA_BARS].close;
        slow += candles[i].close - candles[i - SLOW_SMA_BARS].close;
        let is_above = above(fast, slow);
        if is_above && !was_above && i >= from {
            cross = Some(i);
        }
        was_above = is_above;
    }
    cross
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn closes(prices: impl IntoIterator<Item = i64>) -> Vec<Candle> {
        prices
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let p = Decimal::from(p);
                Candle { start: Timestamp(i as i64), open: p, high: p, low: p, close: p, volume: Decimal::ONE }
            })
            .collect()
    }

    #[test]
    fn a_v_shaped_series_crosses_where_the_averages_say() {
        // 250 bars down by 1, then up by 3: the cross must be where a naive recomputation finds it.
        let candles = closes((0..250).map(|i| 1_000 - i).chain((1..=250).map(|i| 751 + 3 * i)));
        let sma = |end: usize, n: usize| {
            candles[end + 1 - n..=end].iter().map(|c| c.close).sum::<Decimal>() / Decimal::from(n)
        };
        let bar = golden_cross_bar(&candles, 0).expect("a V turns the averages");
        assert!(sma(bar, 50) > sma(bar, 200));
        assert!(sma(bar - 1, 50) <= sma(bar - 1, 200));
        assert!((bar + 1..candles.len()).all(|i| sma(i, 50) > sma(i, 200)));
    }

    #[test]
    fn a_steady_rise_or_a_short_series_has_no_cross() {
        assert_eq!(golden_cross_bar(&closes(100..600), 0), None, "fast is above slow from the first comparable bar");
        assert_eq!(golden_cross_bar(&closes(0..200), 0), None);
    }

    #[test]
    fn a_cross_before_the_search_start_is_not_reported() {
        // Down 250 bars, up 250: one cross, some bars into the rise.
        let candles = closes((0..250).map(|i| 1_000 - i).chain((1..=250).map(|i| 751 + 3 * i)));
        let bar = golden_cross_bar(&candles, 0).unwrap();
        assert_eq!(golden_cross_bar(&candles, bar), Some(bar));
        assert_eq!(golden_cross_bar(&candles, bar + 1), None);
    }
}
