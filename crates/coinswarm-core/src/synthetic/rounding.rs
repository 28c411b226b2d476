//! Rounding prices and sizes to a product's increment.

use rust_decimal::Decimal;

/// The nearest whole multiple of `increment` (ties to even). `increment` must be positive.
pub(crate) fn to_nearest(value: Decimal, increment: Decimal) -> Decimal {
    (value / increment).round() * increment
}

/// The largest whole multiple of `increment` at or below `value`.
pub(crate) fn down_to(value: Decimal, increment: Decimal) -> Decimal {
    (value / increment).floor() * increment
}

/// The smallest whole multiple of `increment` at or above `value`.
pub(crate) fn up_to(value: Decimal, increment: Decimal) -> Decimal {
    (value / increment).ceil() * increment
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_to_multiples_of_any_increment() {
        assert_eq!(to_nearest(dec!(100.126), dec!(0.01)), dec!(100.13));
        assert_eq!(to_nearest(dec!(100.3), dec!(0.5)), dec!(100.5));
        assert_eq!(down_to(dec!(100.129), dec!(0.01)), dec!(100.12));
        assert_eq!(up_to(dec!(100.121), dec!(0.01)), dec!(100.13));
        assert_eq!(up_to(dec!(100.12), dec!(0.01)), dec!(100.12));
    }
}
