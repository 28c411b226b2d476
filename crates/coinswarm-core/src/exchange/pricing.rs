//! Price and size arithmetic: increments, slippage, fees. All exact decimal.

use super::config::Rates;
use crate::market::Side;
use rust_decimal::{Decimal, RoundingStrategy};

/// The largest multiple of `increment` not above `value` (a zero increment keeps `value`).
pub(crate) fn floor_to(value: Decimal, increment: Decimal) -> Decimal {
    match decimal_places(increment) {
        Some(places) if value.scale() <= places => value,
        Some(places) => value.round_dp_with_strategy(places, RoundingStrategy::ToNegativeInfinity),
        None if increment.is_zero() => value,
        None => (value / increment).floor() * increment,
    }
}

/// The smallest multiple of `increment` not below `value`.
pub(crate) fn ceil_to(value: Decimal, increment: Decimal) -> Decimal {
    match decimal_places(increment) {
        Some(places) if value.scale() <= places => value,
        Some(places) => value.round_dp_with_strategy(places, RoundingStrategy::ToPositiveInfinity),
        None if increment.is_zero() => value,
        None => (value / increment).ceil() * increment,
    }
}

/// Whether `value` is a whole multiple of `increment` (a zero increment accepts anything).
pub(crate) fn is_multiple(value: Decimal, increment: Decimal) -> bool {
    match decimal_places(increment) {
        Some(places) => {
            value.scale() <= places || value.round_dp_with_strategy(places, RoundingStrategy::ToZero) == value
        }
        None => increment.is_zero() || (value % increment).is_zero(),
    }
}

/// `Some(k)` when `increment` is exactly 10^-k (0.01, 0.00000001, 1): the common case,
/// which rounds by rescaling instead of dividing.
fn decimal_places(increment: Decimal) -> Option<u32> {
    (increment.mantissa() == 1).then(|| increment.scale())
}

/// The price a taker pays (buy) or receives (sell) when the touch is `touch`: moved against
/// the trader by the configured slippage, rounded to `increment` against the trader, never
/// beyond `limit` when there is one, and never below one increment.
pub(crate) fn taker_price(
    side: Side,
    touch: Decimal,
    rates: &Rates,
    increment: Decimal,
    limit: Option<Decimal>,
) -> Decimal {
    match side {
        Side::Buy => {
            let slipped = if rates.has_slippage { touch * rates.buy_slippage_factor } else { touch };
            let price = ceil_to(slipped, increment);
            limit.map_or(price, |limit| price.min(limit))
        }
        Side::Sell => {
            let slipped = if rates.has_slippage { touch * rates.sell_slippage_factor } else { touch };
            // Never below one increment: slippage must not turn a sale into a gift.
            let price = floor_to(slipped, increment).max(increment);
            limit.map_or(price, |limit| price.max(limit))
        }
    }
}

/// Whether `value` is strictly positive (a sign test, cheaper than comparing with zero).
pub(crate) fn is_positive(value: Decimal) -> bool {
    value.is_sign_positive() && !value.is_zero()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn rates(slippage_bps: Decimal) -> Rates {
        crate::exchange::ExchangeConfig { slippage_bps, ..Default::default() }.rates()
    }

    #[test]
    fn slippage_rounds_against_the_trader_and_respects_the_limit() {
        let tick = dec!(0.01);
        assert_eq!(taker_price(Side::Buy, dec!(100.00), &rates(dec!(5)), tick, None), dec!(100.05));
        assert_eq!(taker_price(Side::Buy, dec!(100.01), &rates(dec!(5)), tick, None), dec!(100.07));
        assert_eq!(taker_price(Side::Sell, dec!(100.01), &rates(dec!(5)), tick, None), dec!(99.95));
        assert_eq!(taker_price(Side::Buy, dec!(100.00), &rates(dec!(10)), tick, Some(dec!(100.05))), dec!(100.05));
        assert_eq!(taker_price(Side::Sell, dec!(100.00), &rates(dec!(10)), tick, Some(dec!(99.95))), dec!(99.95));
        assert_eq!(floor_to(dec!(0.123456789), dec!(0.00000001)), dec!(0.12345678));
        assert_eq!(ceil_to(dec!(0.123456781), dec!(0.00000001)), dec!(0.12345679));
        assert_eq!(floor_to(dec!(-0.5), dec!(1)), dec!(-1));
        assert_eq!(
            taker_price(Side::Sell, dec!(0.01), &rates(dec!(1000)), tick, None),
            dec!(0.01),
            "never below a tick"
        );
        assert_eq!(floor_to(dec!(7.3), dec!(0.25)), dec!(7.25));
        assert_eq!(ceil_to(dec!(7.3), dec!(0.25)), dec!(7.5));
    }

    #[test]
    fn multiples_are_checked_exactly_for_decimal_and_other_increments() {
        assert!(is_multiple(dec!(123.45), dec!(0.01)));
        assert!(is_multiple(dec!(123.4500), dec!(0.01)));
        assert!(!is_multiple(dec!(123.455), dec!(0.01)));
        assert!(is_multiple(dec!(7.25), dec!(0.25)));
        assert!(!is_multiple(dec!(7.3), dec!(0.25)));
        assert!(is_multiple(dec!(7.3), dec!(0)));
    }
}
