//! Buy-and-hold: all cash into the product at the first opportunity, then nothing.

use super::orders::{buy_with_cash, has_working_order, holds};
use crate::backtest::strategy::{BarClose, Strategy};
use crate::exchange::MatchingEngine;
use rust_decimal::Decimal;

/// Buys with all the cash at the first bar's close (filled at the next open) and holds.
/// With several products the cash is split equally between them: each product, at its
/// first bar, gets the available cash divided by the products not bought yet (a product
/// that lists later finds its share waiting, idle, until then).
#[derive(Debug, Clone, Default)]
pub struct BuyAndHold {
    products: usize,
    bought: Vec<crate::market::ProductId>,
}

impl BuyAndHold {
    /// Buy-and-hold over `products` products (cash split equally).
    pub fn new(products: usize) -> Self {
        Self { products: products.max(1), bought: Vec::new() }
    }
}

impl Strategy for BuyAndHold {
    fn name(&self) -> String {
        "buy-and-hold".to_string()
    }

    fn on_bar_close(&mut self, engine: &mut MatchingEngine, bar: &BarClose<'_>) {
        let product = bar.product;
        if self.bought.contains(&product.product_id) || has_working_order(engine, product) || holds(engine, product) {
            return;
        }
        let remaining = self.products.saturating_sub(self.bought.len()).max(1);
        if buy_with_cash(engine, product, Decimal::ONE / Decimal::from(remaining), bar.decided_at) {
            self.bought.push(product.product_id);
        }
    }
}
