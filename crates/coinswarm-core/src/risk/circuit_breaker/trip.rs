//! Why the breaker tripped.

use crate::market::ProductId;
use crate::time::{MINUTE_MS, SECOND_MS};
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// A trip condition with the numbers that met it. Fractions are plain fractions, displayed
/// as percentages; money is quote currency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TripReason {
    /// Equity fell `loss_fraction` from the window's highest equity.
    EquityLoss { high: Decimal, equity: Decimal, loss_fraction: Decimal, window_ms: i64 },
    /// A product's price moved `change` (signed: positive a rise, negative a fall) from the
    /// window's lowest or highest price.
    PriceMove { product_id: ProductId, from: f64, to: f64, change: f64, window_ms: i64 },
    /// `losses` losing trades in a row; `last_pnl` is the one that tripped.
    LosingStreak { losses: u32, last_pnl: Decimal },
    /// A losing trade while HALF_OPEN with auto-close (the probe failed).
    HalfOpenLoss { pnl: Decimal },
}

impl fmt::Display for TripReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TripReason::EquityLoss { high, equity, loss_fraction, window_ms } => {
                let loss = (loss_fraction * Decimal::ONE_HUNDRED).round_dp(4).normalize();
                let (high, equity) = (high.normalize(), equity.normalize());
                write!(f, "equity fell {loss}% from {high} to {equity} within {}", Duration(window_ms))
            }
            TripReason::PriceMove { product_id, from, to, change, window_ms } => {
                let direction = if change >= 0.0 { "rose" } else { "fell" };
                let (change, from, to) = (Number(change.abs() * 100.0), Number(from), Number(to));
                write!(f, "{product_id} {direction} {change}% from {from} to {to} within {}", Duration(window_ms))
            }
            TripReason::LosingStreak { losses, last_pnl } => {
                write!(f, "{losses} consecutive losing trades (last pnl {})", last_pnl.normalize())
            }
            TripReason::HalfOpenLoss { pnl } => write!(f, "losing trade (pnl {}) while half-open", pnl.normalize()),
        }
    }
}

/// A float with up to 4 decimals and no trailing zeros.
struct Number(f64);

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:.4}", self.0);
        f.write_str(if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text })
    }
}

/// Milliseconds in the largest whole unit: "5 min", "60 s", "250 ms".
struct Duration(i64);

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            ms if ms != 0 && ms % MINUTE_MS == 0 && ms > MINUTE_MS => write!(f, "{} min", ms / MINUTE_MS),
            ms if ms != 0 && ms % SECOND_MS == 0 => write!(f, "{} s", ms / SECOND_MS),
            ms => write!(f, "{ms} ms"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn reasons_name_their_numbers() {
        let loss = TripReason::EquityLoss {
            high: dec!(10000),
            equity: dec!(9700.00),
            loss_fraction: dec!(0.03),
            window_ms: 5 * MINUTE_MS,
        };
        assert_eq!(loss.to_string(), "equity fell 3% from 10000 to 9700 within 5 min");
        let product_id = ProductId::parse("BTC-USD").unwrap();
        let pump = TripReason::PriceMove { product_id, from: 100.0, to: 110.0, change: 0.1, window_ms: 60_000 };
        assert_eq!(pump.to_string(), "BTC-USD rose 10% from 100 to 110 within 60 s");
        let streak = TripReason::LosingStreak { losses: 5, last_pnl: dec!(-12.50) };
        assert_eq!(streak.to_string(), "5 consecutive losing trades (last pnl -12.5)");
    }
}
