//! Decimal prices and amounts as `f64`, correctly rounded and the same on every target.
//!
//! `rust_decimal`'s own conversion goes through `f64::powi`, whose last-bit rounding is not
//! specified, so native and wasm32 could disagree. Indicators, marks and metrics work in
//! `f64` and must not.

use rust_decimal::Decimal;

/// Exact powers of ten: every one up to 10²² is representable in an `f64`.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Mantissas up to 2⁵³ convert to `f64` exactly.
const EXACT_MANTISSA: u64 = 1 << 53;

/// The `f64` nearest to `value` (ties to even).
///
/// Fast path: a mantissa below 2⁵³ and a scale up to 22 are both exact in `f64`, so one IEEE
/// division rounds the quotient correctly. Anything else goes through Rust's correctly rounded
/// decimal parser.
pub fn decimal_to_f64(value: Decimal) -> f64 {
    let scale = value.scale() as usize;
    if let Ok(mantissa) = i64::try_from(value.mantissa())
        && mantissa.unsigned_abs() < EXACT_MANTISSA
        && scale < POWERS_OF_TEN.len()
    {
        return mantissa as f64 / POWERS_OF_TEN[scale];
    }
    value.to_string().parse().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn matches_the_correctly_rounded_parse_of_the_decimal_text() {
        let values = [
            dec!(0),
            dec!(-0.5),
            dec!(0.1),
            dec!(29999.99),
            dec!(43210.12345678),
            dec!(1000000000000),
            dec!(0.00000001),
            dec!(-123.456),
            dec!(79228162514264337593543950335),
            dec!(0.0000000000000000000000000001),
            dec!(9007199254740993),
        ];
        for value in values {
            let expected: f64 = value.to_string().parse().unwrap();
            assert_eq!(decimal_to_f64(value).to_bits(), expected.to_bits(), "{value}");
        }
    }
}
