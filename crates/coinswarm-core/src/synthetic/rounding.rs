//! Rounding prices and sizes to a product's increment, refusing values the decimal range
//! cannot express as whole multiples of it.

use super::error::SyntheticError;
use rust_decimal::Decimal;

/// The nearest whole multiple of `increment` (ties to even). `increment` must be positive.
pub(crate) fn to_nearest(value: Decimal, increment: Decimal) -> Result<Decimal, SyntheticError> {
    whole_multiple(value, increment, Decimal::round)
}

/// The largest whole multiple of `increment` at or below `value`.
pub(crate) fn down_to(value: Decimal, increment: Decimal) -> Result<Decimal, SyntheticError> {
    whole_multiple(value, increment, Decimal::floor)
}

/// The smallest whole multiple of `increment` at or above `value`.
pub(crate) fn up_to(value: Decimal, increment: Decimal) -> Result<Decimal, SyntheticError> {
    whole_multiple(value, increment, Decimal::ceil)
}

/// `round(value / increment) × increment`, or `IncrementTooFine` when the count of
/// increments does not fit in a decimal (about 7.9 × 10²⁸).
fn whole_multiple(
    value: Decimal,
    increment: Decimal,
    round: fn(&Decimal) -> Decimal,
) -> Result<Decimal, SyntheticError> {
    value
        .checked_div(increment)
        .and_then(|count| round(&count).checked_mul(increment))
        .ok_or(SyntheticError::IncrementTooFine { value, increment })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_to_multiples_of_any_increment() {
        assert_eq!(to_nearest(dec!(100.126), dec!(0.01)), Ok(dec!(100.13)));
        assert_eq!(to_nearest(dec!(100.3), dec!(0.5)), Ok(dec!(100.5)));
        assert_eq!(down_to(dec!(100.129), dec!(0.01)), Ok(dec!(100.12)));
        assert_eq!(up_to(dec!(100.121), dec!(0.01)), Ok(dec!(100.13)));
        assert_eq!(up_to(dec!(100.12), dec!(0.01)), Ok(dec!(100.12)));
    }

    #[test]
    fn more_increments_than_a_decimal_holds_is_an_error_not_a_panic() {
        let (value, increment) = (dec!(1e27), dec!(1e-28));
        let err = SyntheticError::IncrementTooFine { value, increment };
        assert_eq!(to_nearest(value, increment), Err(err.clone()));
        assert_eq!(down_to(value, increment), Err(err.clone()));
        assert_eq!(up_to(value, increment), Err(err));
    }
}
