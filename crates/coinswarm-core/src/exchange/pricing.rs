//! Price and size arithmetic: increments, slippage, fees. All exact decimal.

use crate::market::Side;
use rust_decimal::Decimal;

/// The largest multiple of `increment` not above `value` (a zero increment keeps `value`).
pub(crate) fn floor_to(value: Decimal, increment: Decimal) -> Decimal {
    if increment.is_zero() { value } else { (value / increment).floor() * increment }
}

/// The smallest multiple of `increment` not below `value`.
pub(crate) fn ceil_to(value: Decimal, increment: Decimal) -> Decimal {
    if increment.is_zero() { value } else { (value / increment).ceil() * increment }
}

/// The price a taker pays (buy) or receives (sell) when the touch is `touch`: moved against
/// the trader by `slippage` (a fraction), rounded to `increment` against the trader, and
/// never beyond `limit` when there is one.
pub(crate) fn taker_price(side: Side, touch: Decimal, slippage: Decimal, increment: Decimal, limit: Option<Decimal>) -> Decimal {
    match side {
        Side::Buy => {
            let price = ceil_to(touch * (Decimal::ONE + slippage), increment);
            limit.map_or(price, |limit| price.min(limit))
        }
        Side::Sell => {
            let price = floor_to(touch * (Decimal::ONE - slippage), increment);
            limit.map_or(price, |limit| price.max(limit))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn slippage_rounds_against_the_trader_and_respects_the_limit() {
        let tick = dec!(0.01);
        assert_eq!(taker_price(Side::Buy, dec!(100.00), dec!(0.0005), tick, None), dec!(100.05));
        assert_eq!(taker_price(Side::Buy, dec!(100.01), dec!(0.0005), tick, None), dec!(100.07));
        assert_eq!(taker_price(Side::Sell, dec!(100.01), dec!(0.0005), tick, None), dec!(99.96));
        assert_eq!(taker_price(Side::Buy, dec!(100.00), dec!(0.001), tick, Some(dec!(100.05))), dec!(100.05));
        assert_eq!(taker_price(Side::Sell, dec!(100.00), dec!(0.001), tick, Some(dec!(99.95))), dec!(99.95));
        assert_eq!(floor_to(dec!(0.123456789), dec!(0.00000001)), dec!(0.12345678));
        assert_eq!(ceil_to(dec!(0.123456781), dec!(0.00000001)), dec!(0.12345679));
    }
}
