//! The quotes of a candle's intra-bar path: mids from [`intrabar_mids`], a spread around
//! them and evenly spaced times.

use super::error::SyntheticError;
use super::intrabar_config::IntrabarConfig;
use super::intrabar_path::intrabar_mids;
use super::rounding::{down_to, up_to};
use crate::market::{Candle, Granularity, Product, Quote};
use rust_decimal::Decimal;

/// The quotes of the candle's path for `product`: a deterministic sequence that honours the
/// candle's OHLC, by the rule below.
///
/// # The rule
///
/// For `n ≥ 4` quotes per bar, the mid path runs through the four anchors of
/// [`Candle::path`] — open, first extreme, second extreme, close (low first for a bar that
/// closes at or above its open, high first otherwise) — placed at indices
/// `k_j = ⌊(j (n − 1) + 1) / 3⌋` for `j = 0, 1, 2, 3` (so `0` and `n − 1` are the open and the
/// close, and the legs are as even as `n` allows). Anchors are copied exactly. Points between
/// two anchors `a` and `b` interpolate linearly, are rounded to the nearest quote increment
/// and then held within `[min(a, b), max(a, b)]`, so the path never leaves `[low, high]`
/// and each extreme is reached on its own leg. An optional seeded jitter moves each interior
/// point by up to `amplitude` interpolation steps before rounding; it uses ChaCha stream
/// `candle.start` of the jitter seed, so each bar wiggles differently but reproducibly.
///
/// Quote `i` is stamped `start + ⌊i × bar length / n⌋` ms, spreading the quotes evenly over
/// `[start, start + bar length)`. Its bid is `mid × (1 − s / 2)` rounded down to the quote
/// increment and its ask `mid × (1 + s / 2)` rounded up, where `s = spread_bps / 10 000`: the
/// quoted spread is never narrower than asked and the mid always lies within `[bid, ask]`.
///
/// Prices are in quote currency and must lie in `(0, MAX_PRICE]`
/// ([`MAX_PRICE`](crate::exchange::MAX_PRICE)); the bar must end within `i64` milliseconds.
pub fn intrabar_quotes(
    candle: &Candle,
    product: &Product,
    granularity: Granularity,
    config: &IntrabarConfig,
) -> Result<Vec<Quote>, SyntheticError> {
    let bar_ms = granularity.millis();
    if candle.start.millis().checked_add(bar_ms).is_none() {
        return Err(SyntheticError::TimeOutOfRange { start: candle.start, bars: 1, bar_ms });
    }
    let increment = product.quote_increment;
    let mids = intrabar_mids(candle, increment, config)?;
    let half = config.spread_bps / Decimal::from(20_000);
    let n = mids.len() as i64;
    mids.into_iter()
        .enumerate()
        .map(|(i, mid)| {
            let bid = down_to(mid * (Decimal::ONE - half), increment)?;
            if bid <= Decimal::ZERO {
                return Err(SyntheticError::BidNotPositive { start: candle.start, bid });
            }
            let ask = up_to(mid * (Decimal::ONE + half), increment)?;
            let time = candle.start.plus_millis(i as i64 * bar_ms / n);
            Ok(Quote::new(product.product_id, time, bid, ask))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::ProductId;
    use crate::synthetic::{IntrabarJitter, MAX_QUOTES_PER_BAR};
    use crate::time::Timestamp;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn btc_usd() -> Product {
        Product::spot(ProductId::parse("BTC-USD").unwrap())
    }

    fn candle(open: Decimal, high: Decimal, low: Decimal, close: Decimal) -> Candle {
        Candle { start: Timestamp(1_704_067_200_000), open, high, low, close, volume: Decimal::ONE }
    }

    /// Every promise of the module docs, checked for one candle.
    fn assert_path_honours_candle(c: &Candle, product: &Product, granularity: Granularity, config: &IntrabarConfig) {
        let mids = intrabar_mids(c, product.quote_increment, config).unwrap();
        let quotes = intrabar_quotes(c, product, granularity, config).unwrap();
        assert_eq!(mids.len(), config.quotes_per_bar);
        assert_eq!(quotes.len(), config.quotes_per_bar);
        assert_eq!(mids[0], c.open);
        assert_eq!(*mids.last().unwrap(), c.close);
        assert!(mids.iter().all(|m| c.low <= *m && *m <= c.high), "{mids:?} leaves {c:?}");
        let [_, first, second, _] = c.path();
        let first_at = mids.iter().position(|m| *m == first).expect("first extreme visited");
        let second_after = mids[first_at..].contains(&second);
        assert!(second_after, "{mids:?} does not visit {second} after {first}");
        let half = config.spread_bps / dec!(20000);
        let end = c.start.plus_millis(granularity.millis());
        for (i, (q, mid)) in quotes.iter().zip(&mids).enumerate() {
            assert!(q.bid > Decimal::ZERO && q.bid <= *mid && *mid <= q.ask, "quote {i}: {q:?} around {mid}");
            assert!(q.ask - q.bid >= mid * half * Decimal::TWO, "quote {i}: spread narrower than asked");
            assert!(q.ask - q.bid <= mid * half * Decimal::TWO + product.quote_increment * Decimal::TWO);
            assert!((q.bid % product.quote_increment).is_zero() && (q.ask % product.quote_increment).is_zero());
            assert!(c.start <= q.time && q.time < end, "quote {i} at {} outside the bar", q.time);
            if i > 0 {
                assert!(quotes[i - 1].time < q.time);
            }
        }
    }

    #[test]
    fn quotes_are_spread_evenly_over_the_bar_with_the_requested_spread() {
        let c = candle(dec!(30000.00), dec!(30300.00), dec!(29900.00), dec!(30100.00));
        let config = IntrabarConfig { quotes_per_bar: 4, spread_bps: dec!(10), jitter: None };
        let quotes = intrabar_quotes(&c, &btc_usd(), Granularity::OneHour, &config).unwrap();
        let offsets: Vec<i64> = quotes.iter().map(|q| q.time.millis() - c.start.millis()).collect();
        assert_eq!(offsets, [0, 900_000, 1_800_000, 2_700_000]);
        // 10 bps of 30 000 is 30: bid 29 985, ask 30 015.
        assert_eq!((quotes[0].bid, quotes[0].ask), (dec!(29985.00), dec!(30015.00)));
        assert_path_honours_candle(&c, &btc_usd(), Granularity::OneHour, &config);
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        let c = candle(dec!(100), dec!(101), dec!(99), dec!(100));
        let product = btc_usd();
        let quotes = |config: IntrabarConfig| intrabar_quotes(&c, &product, Granularity::OneMinute, &config);
        let err = quotes(IntrabarConfig { quotes_per_bar: 3, ..IntrabarConfig::default() }).unwrap_err();
        assert_eq!(err.to_string(), "quotes per bar must be at least 4 (open, both extremes, close), got 3");
        let err = quotes(IntrabarConfig { spread_bps: dec!(-1), ..IntrabarConfig::default() }).unwrap_err();
        assert_eq!(err, SyntheticError::InvalidSpread(dec!(-1)));
        let err = quotes(IntrabarConfig { quotes_per_bar: 10_001, ..IntrabarConfig::default() }).unwrap_err();
        assert_eq!(err.to_string(), "quotes per bar must be at most 10000, got 10001");
        let jitter = Some(IntrabarJitter { seed: 0, amplitude: 2.0 });
        assert!(quotes(IntrabarConfig { jitter, ..IntrabarConfig::default() }).is_err());

        let inverted = candle(dec!(100), dec!(99), dec!(101), dec!(100));
        let err = intrabar_quotes(&inverted, &product, Granularity::OneMinute, &IntrabarConfig::default());
        assert!(matches!(err, Err(SyntheticError::InconsistentCandle { .. })));
        let zero = candle(dec!(0), dec!(0), dec!(0), dec!(0));
        let err = intrabar_quotes(&zero, &product, Granularity::OneMinute, &IntrabarConfig::default());
        assert_eq!(err.unwrap_err().to_string(), "candle low must be positive, got 0");
        let tiny = candle(dec!(0.01), dec!(0.01), dec!(0.01), dec!(0.01));
        let wide = IntrabarConfig { spread_bps: dec!(5000), ..IntrabarConfig::default() };
        let err = intrabar_quotes(&tiny, &product, Granularity::OneMinute, &wide);
        assert!(matches!(err, Err(SyntheticError::BidNotPositive { .. })));
    }

    #[test]
    fn extreme_candles_and_settings_are_typed_errors_not_panics() {
        let product = btc_usd();
        let huge = Decimal::from_scientific("1e27").unwrap();
        let err = intrabar_quotes(&candle(huge, huge, huge, huge), &product, Granularity::OneHour, &Default::default());
        assert_eq!(err.unwrap_err(), SyntheticError::PriceAboveMax { name: "candle high", value: huge });

        let mut fine = btc_usd();
        fine.quote_increment = Decimal::from_scientific("1e-28").unwrap();
        let c = candle(dec!(100000), dec!(100000), dec!(100000), dec!(100000));
        let err = intrabar_quotes(&c, &fine, Granularity::OneHour, &Default::default());
        assert!(matches!(err, Err(SyntheticError::IncrementTooFine { .. })), "{err:?}");

        // 86.4 million quotes would fit a day at one per millisecond, and take gigabytes.
        let many = IntrabarConfig { quotes_per_bar: 86_400_000, ..IntrabarConfig::default() };
        let err = intrabar_quotes(&c, &product, Granularity::OneDay, &many);
        assert_eq!(err.unwrap_err(), SyntheticError::TooManyQuotes(86_400_000));
        let most = IntrabarConfig { quotes_per_bar: MAX_QUOTES_PER_BAR, ..IntrabarConfig::default() };
        assert_eq!(intrabar_quotes(&c, &product, Granularity::OneMinute, &most).unwrap().len(), MAX_QUOTES_PER_BAR);

        let last = Candle { start: Timestamp(i64::MAX - 59_999), ..c };
        let err = intrabar_quotes(&last, &product, Granularity::OneMinute, &Default::default());
        assert!(matches!(err, Err(SyntheticError::TimeOutOfRange { bars: 1, bar_ms: 60_000, .. })), "{err:?}");
    }

    /// A consistent candle in cents with prices between 0.01 and 1 000 000.00.
    fn any_candle() -> impl Strategy<Value = Candle> {
        (1i64..100_000_000, 0i64..1_000_000, 0.0f64..=1.0, 0.0f64..=1.0, 0i64..1_000_000).prop_map(
            |(low, range, open_at, close_at, hour)| {
                let cents = |v: i64| Decimal::new(v, 2);
                let at = |fraction: f64| cents(low + (range as f64 * fraction).round() as i64);
                Candle {
                    start: Timestamp(hour * 3_600_000),
                    open: at(open_at),
                    high: cents(low + range),
                    low: cents(low),
                    close: at(close_at),
                    volume: Decimal::ONE,
                }
            },
        )
    }

    proptest! {
        #[test]
        fn any_valid_candle_yields_a_path_that_honours_it(
            c in any_candle(),
            quotes_per_bar in 4usize..64,
            spread_tenths_bps in 0i64..2_000,
            jitter in proptest::option::of((any::<u64>(), 0.0f64..=1.0)),
            increment in prop_oneof![Just(dec!(0.01)), Just(dec!(0.05)), Just(dec!(1))],
        ) {
            let mut product = btc_usd();
            product.quote_increment = increment;
            let config = IntrabarConfig {
                quotes_per_bar,
                spread_bps: Decimal::new(spread_tenths_bps, 1),
                jitter: jitter.map(|(seed, amplitude)| IntrabarJitter { seed, amplitude }),
            };
            // Prices below the increment cannot carry a positive bid; those are refused, not broken.
            match intrabar_quotes(&c, &product, Granularity::OneHour, &config) {
                Err(SyntheticError::BidNotPositive { .. }) => prop_assert!(c.low < increment * Decimal::TWO),
                Err(other) => prop_assert!(false, "unexpected error {other}"),
                Ok(_) => assert_path_honours_candle(&c, &product, Granularity::OneHour, &config),
            }
        }
    }
}
