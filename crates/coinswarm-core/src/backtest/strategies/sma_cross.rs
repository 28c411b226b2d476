//! The SMA-cross baseline: long-only, all-in while the fast average is above the slow one.

use super::orders::{buy_with_cash, has_working_order, holds, sell_all};
use crate::backtest::strategy::{BarClose, Strategy};
use crate::exchange::MatchingEngine;
use crate::indicators::Sma;
use crate::market::ProductId;
use rust_decimal::Decimal;

/// At each close: fast SMA > slow SMA and flat → buy with all the cash; fast < slow and
/// long → sell everything. Equal averages change nothing. Per product, cash split equally
/// between products that are flat.
#[derive(Debug, Clone)]
pub struct SmaCross {
    fast: usize,
    slow: usize,
    /// Per product, in the order first seen (a handful at most: a scan beats a map).
    products: Vec<(ProductId, ProductState)>,
}

/// One product's averages and what the account held the last time it was looked at.
#[derive(Debug, Clone)]
struct ProductState {
    fast: Sma,
    slow: Sma,
    /// (account event sequence, holds the product, has an order working): the account only
    /// changes through events, so the position is read again only after one.
    seen: Option<(u64, bool, bool)>,
    /// The account event sequence at which a buy placed nothing (too little cash): until the
    /// account changes, another attempt would place nothing either.
    unaffordable_at: Option<u64>,
}

impl SmaCross {
    pub fn new(fast: usize, slow: usize) -> Self {
        Self { fast: fast.max(1), slow: slow.max(1), products: Vec::new() }
    }
}

impl Strategy for SmaCross {
    fn name(&self) -> String {
        format!("sma-cross({},{})", self.fast, self.slow)
    }

    fn on_bar_close(&mut self, engine: &mut MatchingEngine, bar: &BarClose<'_>) {
        let product = bar.product;
        let (fast, slow) = (self.fast, self.slow);
        let index = match self.products.iter().position(|(id, _)| *id == product.product_id) {
            Some(index) => index,
            None => {
                let state =
                    ProductState { fast: Sma::new(fast), slow: Sma::new(slow), seen: None, unaffordable_at: None };
                self.products.push((product.product_id, state));
                self.products.len() - 1
            }
        };
        let state = &mut self.products[index].1;
        let (Some(f), Some(s)) = (state.fast.update(bar.close), state.slow.update(bar.close)) else { return };
        let seq = engine.account().next_seq();
        let (long, working) = match state.seen {
            Some((seen, long, working)) if seen == seq => (long, working),
            _ => {
                let now = (holds(engine, product), has_working_order(engine, product));
                state.seen = Some((seq, now.0, now.1));
                now
            }
        };
        if working {
            return;
        }
        if f > s && !long && state.unaffordable_at != Some(seq) {
            // An equal share of the cash for each product seen so far that is flat with no
            // order working (this one included).
            let flat = engine
                .products()
                .into_iter()
                .filter(|p| self.products.iter().any(|(id, _)| *id == p.product_id))
                .filter(|p| !holds(engine, p) && !has_working_order(engine, p))
                .count();
            if !buy_with_cash(engine, product, Decimal::ONE / Decimal::from(flat.max(1)), bar.decided_at) {
                self.products[index].1.unaffordable_at = Some(seq);
            }
        } else if f < s && long {
            sell_all(engine, product, bar.decided_at);
        }
    }
}
