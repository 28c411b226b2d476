//! One product's live orders in arrival order, with the bounds the matching engine needs to
//! tell at a glance that a market event cannot reach any of them.

use crate::market::Side;
use crate::order::{Order, OrderConfiguration, OrderId};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

/// A product's live orders (arrival order) and bounds over its plain limits (GTC and GTD
/// limits, which can fill only where the market reaches their limit price).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveBook {
    ids: Vec<OrderId>,
    /// Highest limit price among live plain limit buys.
    highest_buy: Option<Decimal>,
    /// Lowest limit price among live plain limit sells.
    lowest_sell: Option<Decimal>,
    /// Live orders that are not plain limits (market, stop-limit, bracket): matched always.
    others: usize,
}

/// The limit price of a plain limit order, which fills only where the market reaches it.
fn plain_limit(order: &Order) -> Option<Decimal> {
    match &order.order_configuration {
        OrderConfiguration::LimitLimitGtc(limit) => Some(limit.limit_price),
        OrderConfiguration::LimitLimitGtd(limit) => Some(limit.limit_price),
        _ => None,
    }
}

impl LiveBook {
    pub fn ids(&self) -> &[OrderId] {
        &self.ids
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The highest plain limit buy, the lowest plain limit sell, and whether other kinds of
    /// orders are live. When no other kind is live and a market event reaches neither bound,
    /// no live order can fill on it.
    pub fn bounds(&self) -> (Option<Decimal>, Option<Decimal>, bool) {
        (self.highest_buy, self.lowest_sell, self.others > 0)
    }

    pub(super) fn add(&mut self, order: &Order) {
        self.ids.push(order.order_id);
        match (plain_limit(order), order.side) {
            (Some(limit), Side::Buy) => self.highest_buy = Some(self.highest_buy.map_or(limit, |b| b.max(limit))),
            (Some(limit), Side::Sell) => self.lowest_sell = Some(self.lowest_sell.map_or(limit, |b| b.min(limit))),
            (None, _) => self.others += 1,
        }
    }

    /// Takes `order` off the book; a bound it held is recomputed from the orders left.
    pub(super) fn remove(&mut self, order: &Order, orders: &FxHashMap<OrderId, Order>) {
        let Some(index) = self.ids.iter().position(|id| *id == order.order_id) else { return };
        self.ids.remove(index);
        let Some(limit) = plain_limit(order) else {
            self.others -= 1;
            return;
        };
        let held = match order.side {
            Side::Buy => self.highest_buy == Some(limit),
            Side::Sell => self.lowest_sell == Some(limit),
        };
        if !held {
            return;
        }
        let same_side_limits =
            self.ids.iter().filter_map(|id| orders.get(id)).filter(|o| o.side == order.side).filter_map(plain_limit);
        match order.side {
            Side::Buy => self.highest_buy = same_side_limits.max(),
            Side::Sell => self.lowest_sell = same_side_limits.min(),
        }
    }
}
