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
    /// Size-weighted average buy price of the size held (fees excluded); zero when flat.
    pub average_entry_price: Decimal,
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
            average_entry_price: Decimal::ZERO,
            realised_pnl: Decimal::ZERO,
            fees_paid: Decimal::ZERO,
        }
    }

    /// (mark − average entry) × size: what closing at `mark` would add to realised P&L.
    pub fn unrealised_pnl(&self, mark: Decimal) -> Decimal {
        (mark - self.average_entry_price) * self.size
    }

    /// Realised P&L net of fees.
    pub fn net_realised_pnl(&self) -> Decimal {
        self.realised_pnl - self.fees_paid
    }

    /// Folds one fill of `size` at `price` with `fee` into the position.
    pub(crate) fn apply_fill(&mut self, side: Side, price: Decimal, size: Decimal, fee: Decimal) {
        self.fees_paid += fee;
        match side {
            Side::Buy => {
                let new_size = self.size + size;
                self.average_entry_price = (self.average_entry_price * self.size + price * size) / new_size;
                self.size = new_size;
            }
            Side::Sell => {
                let closed = size.min(self.size);
                self.realised_pnl += (price - self.average_entry_price) * closed;
                self.size -= closed;
                if self.size.is_zero() {
                    self.average_entry_price = Decimal::ZERO;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn average_entry_and_realised_pnl_follow_fills() {
        let mut position = Position::new("BTC-USD".parse().unwrap());
        position.apply_fill(Side::Buy, dec!(100), dec!(1), dec!(0.6));
        position.apply_fill(Side::Buy, dec!(130), dec!(2), dec!(1.56));
        assert_eq!(position.average_entry_price, dec!(120));
        assert_eq!(position.unrealised_pnl(dec!(125)), dec!(15));
        position.apply_fill(Side::Sell, dec!(150), dec!(1.5), dec!(1.35));
        assert_eq!(position.realised_pnl, dec!(45));
        assert_eq!(position.size, dec!(1.5));
        assert_eq!(position.fees_paid, dec!(3.51));
        assert_eq!(position.net_realised_pnl(), dec!(41.49));
        position.apply_fill(Side::Sell, dec!(110), dec!(2), dec!(0));
        assert_eq!(position.size, dec!(0));
        assert_eq!(position.realised_pnl, dec!(30), "only the 1.5 held realises P&L");
        assert_eq!(position.average_entry_price, dec!(0));
    }
}
