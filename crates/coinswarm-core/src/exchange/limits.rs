//! Bounds on the numbers the engine accepts, so that no product of a price, a size and a
//! rate can overflow a 96-bit decimal (about 7.9e28), whatever a request or a feed sends.

use rust_decimal::Decimal;

/// Largest price accepted in an order or in market data: 10^12 quote per base.
pub const MAX_PRICE: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

/// Largest size accepted: 10^12 base in an order, or quote in `quote_size`, or base in a
/// quote size or a candle's volume.
pub const MAX_SIZE: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

/// Largest single deposit or withdrawal, and largest balance a deposit may lead to: 10^18.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_808_348_672, 232_830_643, 0, false, 0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_the_documented_powers_of_ten() {
        assert_eq!(MAX_PRICE, Decimal::from(1_000_000_000_000u64));
        assert_eq!(MAX_SIZE, Decimal::from(1_000_000_000_000u64));
        assert_eq!(MAX_AMOUNT, Decimal::from(1_000_000_000_000_000_000u64));
        // The worst product the engine forms stays far inside the decimal range.
        let worst = MAX_PRICE * MAX_SIZE * Decimal::TWO;
        assert!(worst < Decimal::MAX / Decimal::from(1_000));
    }
}
