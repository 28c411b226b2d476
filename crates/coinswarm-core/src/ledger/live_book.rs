//! One product's live orders in arrival order, with the bounds the matching engine needs to
//! tell at a glance that a market event cannot reach any of them, and what the orders with a
//! limit price would add to the position if they filled (the pre-trade gate's pending
//! exposure), kept as orders arrive, fill and end so that no order walks all the others.

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
    /// The value of what the live buys with a limit price (every kind but market) have left to
    /// fill, at their limit prices.
    buy_exposure: Decimal,
    /// The same for the live sells.
    sell_exposure: Decimal,
    /// Live market orders: no limit price, so their exposure depends on the last price.
    market_orders: usize,
}

/// The limit price of a plain limit order, which fills only where the market reaches it.
fn plain_limit(order: &Order) -> Option<Decimal> {
    match &order.order_configuration {
        OrderConfiguration::LimitLimitGtc(limit) => Some(limit.limit_price),
        OrderConfiguration::LimitLimitGtd(limit) => Some(limit.limit_price),
        _ => None,
    }
}

/// The value of what `order` has left to fill at its limit price, when it has one.
fn limit_exposure(order: &Order) -> Option<Decimal> {
    let limit = order.order_configuration.limit_price()?;
    Some(order.remaining_base().unwrap_or_default().saturating_mul(limit))
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

    /// What the live orders on `side` with a limit price would add to the position if they
    /// filled: the sum of each one's unfilled base size times its limit price. It is exact
    /// while the amounts fit `Decimal`'s 28 digits (an account's holds bound them); the book
    /// is dropped when its last order ends, so nothing carries over.
    pub fn limit_exposure(&self, side: Side) -> Decimal {
        match side {
            Side::Buy => self.buy_exposure,
            Side::Sell => self.sell_exposure,
        }
    }

    /// Whether a market order is live (its exposure depends on the last price: walk
    /// [`LiveBook::ids`] for it).
    pub fn has_market_orders(&self) -> bool {
        self.market_orders > 0
    }

    fn exposure_mut(&mut self, side: Side) -> &mut Decimal {
        match side {
            Side::Buy => &mut self.buy_exposure,
            Side::Sell => &mut self.sell_exposure,
        }
    }

    pub(super) fn add(&mut self, order: &Order) {
        self.ids.push(order.order_id);
        match limit_exposure(order) {
            Some(value) => {
                let exposure = self.exposure_mut(order.side);
                *exposure = exposure.saturating_add(value);
            }
            None => self.market_orders += 1,
        }
        match (plain_limit(order), order.side) {
            (Some(limit), Side::Buy) => self.highest_buy = Some(self.highest_buy.map_or(limit, |b| b.max(limit))),
            (Some(limit), Side::Sell) => self.lowest_sell = Some(self.lowest_sell.map_or(limit, |b| b.min(limit))),
            (None, _) => self.others += 1,
        }
    }

    /// Takes `size` of a live order's base off its exposure, before the order records the fill.
    pub(super) fn fill(&mut self, order: &Order, size: Decimal) {
        if let Some(limit) = order.order_configuration.limit_price() {
            let exposure = self.exposure_mut(order.side);
            *exposure = exposure.saturating_sub(size.saturating_mul(limit));
        }
    }

    /// Takes `order` off the book (with what it had left to fill); a bound it held is
    /// recomputed from the orders left.
    pub(super) fn remove(&mut self, order: &Order, orders: &FxHashMap<OrderId, Order>) {
        let Some(index) = self.ids.iter().position(|id| *id == order.order_id) else { return };
        self.ids.remove(index);
        match limit_exposure(order) {
            Some(value) => {
                let exposure = self.exposure_mut(order.side);
                *exposure = exposure.saturating_sub(value);
            }
            None => self.market_orders -= 1,
        }
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
