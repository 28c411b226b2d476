//! Why oversight blocked an order.

use crate::market::ProductId;
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// One limit an order would break, with the numbers behind it. Fractions are plain
/// fractions (0.2501) and are displayed as percentages ("25.01%").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Breach {
    /// Equity is zero or negative: the account is insolvent and every order is blocked but
    /// risk-reducing exits.
    NonPositiveEquity { equity: Decimal },
    /// The order's notional is zero or negative, so it is malformed.
    NonPositiveNotional { notional: Decimal },
    /// The product's position after the order would exceed the limit fraction of equity.
    PositionConcentration { product_id: ProductId, fraction: Decimal, limit: Decimal },
    /// The order's notional exceeds the per-order maximum (quote currency).
    OrderNotional { notional: Decimal, limit: Decimal },
    /// The order would be trade number `trade` of the UTC day, beyond the limit.
    DailyTradeCount { trade: u32, limit: u32 },
    /// The order would open position number `positions`, beyond the limit.
    ConcurrentPositions { positions: usize, limit: usize },
    /// The loss since the UTC day's opening equity exceeds the limit fraction.
    DailyLoss { loss: Decimal, limit: Decimal },
    /// The drawdown from peak equity exceeds the limit fraction.
    Drawdown { drawdown: Decimal, limit: Decimal },
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Breach::NonPositiveEquity { equity } => write!(f, "equity {} is not positive", equity.normalize()),
            Breach::NonPositiveNotional { notional } => {
                write!(f, "order notional {} is not positive", notional.normalize())
            }
            Breach::PositionConcentration { product_id, fraction, limit } => {
                write!(f, "{product_id} position {}% of equity exceeds {}%", percent(fraction), percent(limit))
            }
            Breach::OrderNotional { notional, limit } => {
                write!(f, "order notional {} exceeds the maximum {}", notional.normalize(), limit.normalize())
            }
            Breach::DailyTradeCount { trade, limit } => {
                write!(f, "trade {trade} of the UTC day exceeds {limit} trades per day")
            }
            Breach::ConcurrentPositions { positions, limit } => {
                write!(f, "opening position {positions} exceeds {limit} concurrent positions")
            }
            Breach::DailyLoss { loss, limit } => {
                write!(f, "daily loss {}% exceeds {}%", percent(loss), percent(limit))
            }
            Breach::Drawdown { drawdown, limit } => {
                write!(f, "drawdown {}% from peak equity exceeds {}%", percent(drawdown), percent(limit))
            }
        }
    }
}

/// A fraction as a percentage with at most 4 decimals and no trailing zeros: 0.2501 → 25.01.
fn percent(fraction: Decimal) -> Decimal {
    (fraction * Decimal::ONE_HUNDRED).round_dp(4).normalize()
}

/// Every limit an order would break, in a fixed order (equity, order shape, exposure, pace,
/// losses), never empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct OversightRejection {
    pub breaches: Vec<Breach>,
}

impl fmt::Display for OversightRejection {
    /// The breaches joined with "; ".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, breach) in self.breaches.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{breach}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn breaches_read_as_sentences_with_percentages() {
        let product_id = ProductId::parse("BTC-USD").unwrap();
        let breach = Breach::PositionConcentration { product_id, fraction: dec!(0.2501), limit: dec!(0.25) };
        assert_eq!(breach.to_string(), "BTC-USD position 25.01% of equity exceeds 25%");
        let drawdown = Breach::Drawdown { drawdown: dec!(0.101), limit: dec!(0.10) };
        assert_eq!(drawdown.to_string(), "drawdown 10.1% from peak equity exceeds 10%");
        let rejection =
            OversightRejection { breaches: vec![drawdown, Breach::DailyTradeCount { trade: 51, limit: 50 }] };
        assert_eq!(
            rejection.to_string(),
            "drawdown 10.1% from peak equity exceeds 10%; trade 51 of the UTC day exceeds 50 trades per day"
        );
    }
}
