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
/// division rounds the quotient correctly. Any other decimal (long results of decimal
/// arithmetic: equity, average entry prices) is rounded in integers ([`nearest_by_division`]).
pub fn decimal_to_f64(value: Decimal) -> f64 {
    let scale = value.scale() as usize;
    if let Ok(mantissa) = i64::try_from(value.mantissa())
        && mantissa.unsigned_abs() < EXACT_MANTISSA
        && scale < POWERS_OF_TEN.len()
    {
        return mantissa as f64 / POWERS_OF_TEN[scale];
    }
    let magnitude = nearest_by_division(value.mantissa().unsigned_abs(), value.scale());
    if value.is_sign_negative() { -magnitude } else { magnitude }
}

/// Bits of the integer quotient the rounding works on: at least two more than an `f64`'s 53,
/// so that jamming the remainder into the last bit and letting the conversion round once
/// gives the correctly rounded result ("round to odd").
const QUOTIENT_BITS: u32 = 56;

/// The `f64` nearest to `mantissa / 10^scale` for a decimal's mantissa (below 2⁹⁶) and scale
/// (up to 28), with integer arithmetic only, so every target gives the same bits.
///
/// `10^scale = 5^scale · 2^scale`; the quotient `mantissa · 2^shift / 5^scale` is taken with
/// [`QUOTIENT_BITS`] or one more bits, any remainder (or bits shifted out) sets its lowest
/// bit, its conversion to `f64` rounds once, and the power of two `2^(−shift − scale)` is
/// applied exactly.
fn nearest_by_division(mantissa: u128, scale: u32) -> f64 {
    if mantissa == 0 {
        return 0.0;
    }
    let divisor = 5_u128.pow(scale);
    let bits = |x: u128| 128 - x.leading_zeros() as i32;
    let shift = QUOTIENT_BITS as i32 + bits(divisor) - bits(mantissa);
    let (numerator, mut inexact) = if shift >= 0 {
        (mantissa << shift, false)
    } else {
        let dropped = shift.unsigned_abs();
        (mantissa >> dropped, mantissa & ((1_u128 << dropped) - 1) != 0)
    };
    let quotient = numerator / divisor;
    // The remainder from the quotient (one multiplication rather than a second division).
    inexact |= quotient * divisor != numerator;
    // At most QUOTIENT_BITS + 1 bits: it fits a u64 exactly.
    let jammed = quotient as u64 | u64::from(inexact);
    let exponent = -shift - scale as i32;
    jammed as f64 * f64::from_bits(((exponent + 1023) as u64) << 52)
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

    #[test]
    fn long_decimals_round_to_the_nearest_f64_as_the_parser_does() {
        // Mantissas of every length up to 96 bits at every scale, from a fixed LCG.
        let mut state: u128 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state = state.wrapping_mul(0x2360_ed05_1fc6_5da4_4385_df64_9fcc_f645).wrapping_add(1);
            state >> 32
        };
        for round in 0..20_000_u32 {
            let bits = 1 + round % 96;
            let mantissa = next() & ((1_u128 << bits) - 1);
            let scale = round % 29;
            let negative = round % 3 == 0;
            let value =
                Decimal::from_i128_with_scale(if negative { -(mantissa as i128) } else { mantissa as i128 }, scale);
            let expected: f64 = value.to_string().parse().unwrap();
            assert_eq!(decimal_to_f64(value).to_bits(), expected.to_bits(), "{value}");
        }
        // Ties: 2^53 + 1 and 2^53 + 3 lie exactly halfway between two f64s (at scales up to 10
        // the decimal is that integer); at larger scales, near-ties.
        for mantissa in [9_007_199_254_740_993_i128, 9_007_199_254_740_995] {
            for scale in [1, 7, 20, 28] {
                let value = Decimal::from_i128_with_scale(mantissa * 10_i128.pow(scale.min(10)), scale);
                let expected: f64 = value.to_string().parse().unwrap();
                assert_eq!(decimal_to_f64(value).to_bits(), expected.to_bits(), "{value}");
            }
        }
    }
}
