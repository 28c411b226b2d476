//! The mid-price path through a candle's anchors; the rule is in
//! [`intrabar_quotes`](super::intrabar_quotes)' docs.

use super::error::SyntheticError;
use super::intrabar_config::IntrabarConfig;
use super::noise::Noise;
use super::rounding::to_nearest;
use crate::exchange::MAX_PRICE;
use crate::market::Candle;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

/// The mid prices of the candle's path, in quote currency, one per quote, by the rule in
/// [`intrabar_quotes`](super::intrabar_quotes)' docs. The candle's prices must lie in
/// `(0, MAX_PRICE]`.
pub fn intrabar_mids(
    candle: &Candle,
    quote_increment: Decimal,
    config: &IntrabarConfig,
) -> Result<Vec<Decimal>, SyntheticError> {
    config.validate()?;
    if quote_increment <= Decimal::ZERO {
        return Err(SyntheticError::NonPositiveIncrement { name: "quote increment", value: quote_increment });
    }
    if !candle.is_consistent() {
        return Err(SyntheticError::InconsistentCandle { start: candle.start });
    }
    if candle.low <= Decimal::ZERO {
        return Err(SyntheticError::NonPositivePrice { name: "candle low", value: candle.low });
    }
    if candle.high > MAX_PRICE {
        return Err(SyntheticError::PriceAboveMax { name: "candle high", value: candle.high });
    }
    let mut noise =
        config.jitter.map(|jitter| (Noise::with_stream(jitter.seed, candle.start.millis() as u64), jitter.amplitude));
    let n = config.quotes_per_bar;
    let anchors = candle.path();
    let index = |j: usize| (j * (n - 1) + 1) / 3;
    let mut mids = Vec::with_capacity(n);
    mids.push(anchors[0]);
    for leg in 0..3 {
        let (a, b) = (anchors[leg], anchors[leg + 1]);
        let (from, to) = (index(leg), index(leg + 1));
        let step = (b - a) / Decimal::from(to - from);
        for i in 1..to - from {
            let wiggle = noise.as_mut().map_or(Decimal::ZERO, |(noise, amplitude)| {
                Decimal::from_f64((2.0 * noise.uniform() - 1.0) * *amplitude).unwrap_or_default()
            });
            let point = a + step * (Decimal::from(i) + wiggle);
            mids.push(to_nearest(point, quote_increment)?.clamp(a.min(b), a.max(b)));
        }
        mids.push(b);
    }
    Ok(mids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::IntrabarJitter;
    use crate::time::Timestamp;
    use rust_decimal_macros::dec;

    fn candle(open: Decimal, high: Decimal, low: Decimal, close: Decimal) -> Candle {
        Candle { start: Timestamp(1_704_067_200_000), open, high, low, close, volume: Decimal::ONE }
    }

    #[test]
    fn an_up_bar_goes_down_to_the_low_before_the_high() {
        let c = candle(dec!(100.00), dec!(103.00), dec!(98.00), dec!(102.00));
        let config = IntrabarConfig { quotes_per_bar: 4, spread_bps: Decimal::ZERO, jitter: None };
        let mids = intrabar_mids(&c, dec!(0.01), &config).unwrap();
        assert_eq!(mids, vec![dec!(100.00), dec!(98.00), dec!(103.00), dec!(102.00)]);
    }

    #[test]
    fn a_down_bar_goes_up_to_the_high_first_and_interpolates_between_anchors() {
        let c = candle(dec!(100.00), dec!(103.00), dec!(97.00), dec!(98.00));
        let config = IntrabarConfig { quotes_per_bar: 7, spread_bps: Decimal::ZERO, jitter: None };
        let mids = intrabar_mids(&c, dec!(0.01), &config).unwrap();
        // Anchors at 0, 2, 4, 6.
        assert_eq!(mids, [dec!(100), dec!(101.5), dec!(103), dec!(100), dec!(97), dec!(97.5), dec!(98)]);
    }

    #[test]
    fn jitter_is_reproducible_differs_by_seed_and_stays_inside_the_bar() {
        let c = candle(dec!(100.00), dec!(110.00), dec!(90.00), dec!(95.00));
        let jittered = |seed| IntrabarConfig {
            quotes_per_bar: 40,
            spread_bps: dec!(5),
            jitter: Some(IntrabarJitter { seed, amplitude: 1.0 }),
        };
        let path = |seed| intrabar_mids(&c, dec!(0.01), &jittered(seed)).unwrap();
        assert_eq!(path(1), path(1));
        assert_ne!(path(1), path(2));
        assert_ne!(path(1), intrabar_mids(&c, dec!(0.01), &IntrabarConfig { jitter: None, ..jittered(1) }).unwrap());
        let mids = path(1);
        assert_eq!((mids[0], mids[39]), (c.open, c.close));
        assert!(mids.iter().all(|m| c.low <= *m && *m <= c.high));
        // Down bar: anchors at 0, 13, 26, 39 hold open, high, low, close.
        assert_eq!((mids[13], mids[26]), (c.high, c.low));
    }
}
