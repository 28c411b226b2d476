//! The one taker fee estimate: basis points (1 bp = 0.01%) as a fraction of notional.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The taker fee as a fraction of notional: `bps / 10_000` (10 bps → 0.001).
pub fn taker_rate(taker_fee_bps: Decimal) -> Decimal {
    taker_fee_bps / Decimal::from(10_000)
}

/// A round trip's taker fees as a fraction of notional, for the agents' float arithmetic:
/// twice the taker rate (a buy and a sell).
pub fn round_trip_taker_rate(taker_fee_bps: Decimal) -> f64 {
    2.0 * (taker_fee_bps.to_f64().unwrap_or(0.0) / 10_000.0)
}

/// The fee a taker order of `notional` pays. A market buy sized in quote currency
/// (`fee_included`) spends its fee out of that amount; any other order pays it on top.
pub fn estimated_taker_fee(notional: Decimal, taker_fee_bps: Decimal, fee_included: bool) -> Decimal {
    let rate = taker_rate(taker_fee_bps);
    if fee_included {
        notional - notional.checked_div(Decimal::ONE + rate).unwrap_or(notional)
    } else {
        notional.saturating_mul(rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_fee_on_top_is_the_rate_of_the_notional_and_an_included_fee_is_taken_out_of_it() {
        assert_eq!(taker_rate(dec!(60)), dec!(0.006));
        assert_eq!(estimated_taker_fee(dec!(1000), dec!(60), false), dec!(6));
        // 1006 spent: 1000 of base bought and 6 of fee.
        assert_eq!(estimated_taker_fee(dec!(1006), dec!(60), true).round_dp(8), dec!(6));
        assert!((round_trip_taker_rate(dec!(60)) - 0.012).abs() < 1e-15);
    }
}
