//! The SMA-cross baseline: long-only, all-in while the fast average is above the slow one.

use super::orders::{buy_with_cash, has_working_order, holds, sell_all};
use crate::backtest::strategy::{BarClose, Strategy};
use crate::exchange::MatchingEngine;
use crate::indicators::Sma;
use crate::market::ProductId;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;

/// At each close: fast SMA > slow SMA and flat → buy with all the cash; fast < slow and
/// long → sell everything. Equal averages change nothing. Per product, cash split equally
/// between products that are flat.
#[derive(Debug, Clone)]
pub struct SmaCross {
    fast: usize,
    slow: usize,
    averages: BTreeMap<ProductId, (Sma, Sma)>,
}

impl SmaCross {
    pub fn new(fast: usize, slow: usize) -> Self {
        Self { fast: fast.max(1), slow: slow.max(1), averages: BTreeMap::new() }
    }
}

impl Strategy for SmaCross {
    fn name(&self) -> String {
        format!("sma-cross({},{})", self.fast, self.slow)
    }

    fn on_bar_close(&mut self, engine: &mut MatchingEngine, bar: &BarClose<'_>) {
        let product = bar.product;
        let (fast, slow) = (self.fast, self.slow);
        let (fast_sma, slow_sma) =
            self.averages.entry(product.product_id).or_insert_with(|| (Sma::new(fast), Sma::new(slow)));
        let close = bar.candle.close.to_f64().unwrap_or(f64::NAN);
        let (Some(f), Some(s)) = (fast_sma.update(close), slow_sma.update(close)) else { return };
        if has_working_order(engine, product) {
            return;
        }
        let long = holds(engine, product);
        if f > s && !long {
            // An equal share of the cash for each product seen so far that is flat with no
            // order working (this one included).
            let flat = engine
                .products()
                .into_iter()
                .filter(|p| self.averages.contains_key(&p.product_id))
                .filter(|p| !holds(engine, p) && !has_working_order(engine, p))
                .count();
            buy_with_cash(engine, product, Decimal::ONE / Decimal::from(flat.max(1)), bar.decided_at);
        } else if f < s && long {
            sell_all(engine, product, bar.decided_at);
        }
    }
}
