//! A spot position in one product.

use crate::market::{ProductId, Side};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The base held through trading one product, with its cost basis and P&L in quote currency.
///
/// Only fills move a position; base deposited from outside has no cost basis and does not
/// count. When a sell is larger than the position (selling deposited base), P&L is
/// realised on the position's part only and the position closes at zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub product_id: ProductId,
    /// Base size held, never negative.
    pub size: Decimal,
    /// What the size held cost: Σ price × size of its buys, fees excluded; zero when flat.
    pub cost_basis: Decimal,
    /// Σ (sell price − average entry) × size sold, before fees.
    pub realised_pnl: Decimal,
    /// Σ fees paid on this product's fills.
    pub fees_paid: Decimal,
}

impl Position {
    pub fn new(product_id: ProductId) -> Self {
        Self {
            product_id,
            size: Decimal::ZERO,
            cost_basis: Decimal::ZERO,
            realised_pnl: Decimal::ZERO,
            fees_paid: Decimal::ZERO,
        }
    }

    /// Size-weighted average buy price of the size held (cost basis ÷ size); zero when flat.
    pub fn average_entry_price(&self) -> Decimal {
        if self.size.is_zero() { Decimal::ZERO } else { self.cost_basis / self.size }
    }

    /// mark × size − cost basis: what closing at `mark` would add to realised P&L.
    pub fn unrealised_pnl(&self, mark: Decimal) -> Decimal {
        mark * self.size - self.cost_basis
    }

    /// Realised P&L net of fees.
    pub fn net_realised_pnl(&self) -> Decimal {
        self.realised_pnl - self.fees_paid
    }

    /// Folds one fill of `size` at `price` (`notional` = price × size) with `fee` into the
    /// position. Buys and full closes are exact; a partial close takes its share of the cost
    /// basis by one division (rounded at the 28th significant digit).
    pub(crate) fn apply_fill(&mut self, side: Side, price: Decimal, size: Decimal, notional: Decimal, fee: Decimal) {
        self.fees_paid += fee;
        match side {
            Side::Buy => {
                self.size += size;
                self.cost_basis += notional;
            }
            Side::Sell if size >= self.size => {
                self.realised_pnl += price * self.size - self.cost_basis;
                self.size = Decimal::ZERO;
                self.cost_basis = Decimal::ZERO;
            }
            Side::Sell => {
                let cost_sold = self.cost_basis * size / self.size;
                self.realised_pnl += notional - cost_sold;
                self.size -= size;
                self.cost_basis -= cost_sold;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn fill(position: &mut Position, side: Side, price: Decimal, size: Decimal, fee: Decimal) {
        position.apply_fill(side, price, size, price * size, fee);
    }

    #[test]
    fn average_entry_and_realised_pnl_follow_fills() {
        let mut position = Position::new("BTC-USD".parse().unwrap());
        fill(&mut position, Side::Buy, dec!(100), dec!(1), dec!(0.6));
        fill(&mut position, Side::Buy, dec!(130), dec!(2), dec!(1.56));
        assert_eq!(position.average_entry_price(), dec!(120));
        assert_eq!(position.unrealised_pnl(dec!(125)), dec!(15));
        fill(&mut position, Side::Sell, dec!(150), dec!(1.5), dec!(1.35));
        assert_eq!(position.realised_pnl, dec!(45));
        assert_eq!(position.size, dec!(1.5));
        assert_eq!(position.cost_basis, dec!(180));
        assert_eq!(position.fees_paid, dec!(3.51));
        assert_eq!(position.net_realised_pnl(), dec!(41.49));
        fill(&mut position, Side::Sell, dec!(110), dec!(2), dec!(0));
        assert_eq!(position.size, dec!(0));
        assert_eq!(position.realised_pnl, dec!(30), "only the 1.5 held realises P&L");
        assert_eq!(position.average_entry_price(), dec!(0));
    }
}
