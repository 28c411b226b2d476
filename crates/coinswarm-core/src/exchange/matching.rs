//! Matching live orders against one market event: triggers, fills, IOC remainders, expiry.
//! The rules are in the [module docs](super).

use super::engine::MatchingEngine;
use super::pricing::{ceil_to, floor_to, is_positive, taker_price};
use super::touch::{PriorTouch, Touch};
use crate::ledger::EventKind;
use crate::market::{ProductId, Side};
use crate::order::OrderConfiguration;
use crate::order::{Fill, Liquidity, TradeId};
use crate::order::{OrderId, OrderStatus, TriggerStatus};
use crate::time::Timestamp;
use rust_decimal::Decimal;

/// How one execution attempt ended.
enum FillAttempt {
    Complete,
    /// Part or none of the order filled; `reason` says what stopped the rest.
    Incomplete {
        reason: String,
    },
}

impl MatchingEngine {
    /// Matches the product's live orders, in arrival order, against `touch`. Orders created
    /// after `created_by` (a bar that started before they existed) sit this event out.
    pub(super) fn match_live_orders(
        &mut self,
        product_id: ProductId,
        touch: Touch,
        prior: PriorTouch,
        created_by: Option<Timestamp>,
    ) {
        let Some(book) = self.account.live_book(product_id) else { return };
        // Plain limits fill only where the market reaches their limit: when the event reaches
        // neither the highest buy nor the lowest sell, and no other kind of order is live,
        // none can fill, and the walk is skipped (resting orders far from the market cost
        // nothing per quote).
        let (highest_buy, lowest_sell, others) = book.bounds();
        let reachable = others
            || highest_buy.is_some_and(|limit| touch.reaches(Side::Buy, limit))
            || lowest_sell.is_some_and(|limit| touch.reaches(Side::Sell, limit));
        if !reachable {
            return;
        }
        let mut ids = std::mem::take(&mut self.scratch);
        ids.clear();
        ids.extend_from_slice(self.account.live_orders(product_id));
        for &order_id in &ids {
            let too_new = created_by
                .is_some_and(|limit| self.account.order(order_id).is_some_and(|order| order.created_time > limit));
            if !too_new {
                self.match_order(order_id, touch, prior, false);
            }
        }
        self.scratch = ids;
    }

    /// Matches one live order against `touch`. `arriving`: the order enters the book now
    /// (just placed), so it may take liquidity at the entry price.
    pub(super) fn match_order(&mut self, order_id: OrderId, touch: Touch, prior: PriorTouch, arriving: bool) {
        let Some(order) = self.account.order(order_id) else { return };
        if !order.status.is_live() {
            return;
        }
        let side = order.side;
        let increment = self.markets[&order.product_id].product.quote_increment;
        if order.status == OrderStatus::Pending {
            let price = taker_price(side, touch.entry(side), &self.rates, increment, None);
            self.execute_immediate_or_cancel(order_id, price);
            return;
        }
        if let OrderConfiguration::TriggerBracketGtc(_) = &order.order_configuration {
            self.match_bracket(order_id, touch, prior, arriving);
            return;
        }
        let Some(limit) = order.order_configuration.limit_price() else { return };
        let mut touch = touch;
        let mut taking = arriving
            || prior.is_none_or(|(bid, ask)| match side {
                Side::Buy => ask <= limit,
                Side::Sell => bid >= limit,
            });
        if let OrderConfiguration::StopLimitStopLimitGtc(stop) = &order.order_configuration
            && order.trigger_status == TriggerStatus::StopPending
        {
            let (stop_price, direction) = (stop.stop_price, stop.stop_direction);
            let trigger_at = match touch.stop_leg().unwrap_or(touch) {
                Touch::Quote { bid, ask, .. } => {
                    Some((bid + ask) / Decimal::TWO).filter(|mid| direction.is_triggered(stop_price, *mid))
                }
                Touch::Print { price } => Some(price).filter(|p| direction.is_triggered(stop_price, *p)),
                Touch::Leg { from, to, .. } => {
                    if direction.is_triggered(stop_price, from) {
                        Some(from)
                    } else if direction.is_triggered(stop_price, to) {
                        Some(stop_price)
                    } else {
                        None
                    }
                }
            };
            let Some(trigger_price) = trigger_at else { return };
            self.emit(EventKind::OrderTriggered { order_id });
            // From the trigger on, the order is a limit entering the book at the trigger price,
            // on the rest of the leg.
            if let Some(Touch::Leg { to, bar_low, bar_high, .. }) = touch.stop_leg() {
                touch = Touch::Leg { from: trigger_price, to, bar_low, bar_high };
            }
            taking = true;
        }
        if taking {
            let entry = touch.entry(side);
            let marketable = match side {
                Side::Buy => entry <= limit,
                Side::Sell => entry >= limit,
            };
            if marketable {
                let price = taker_price(side, entry, &self.rates, increment, Some(limit));
                self.execute(order_id, price, Liquidity::Taker);
                return;
            }
            if !matches!(touch, Touch::Leg { .. }) {
                return;
            }
        }
        if touch.reaches(side, limit) {
            self.execute(order_id, limit, Liquidity::Maker);
        }
    }

    /// Matches a bracket: the stop first (the market, the print, or anywhere in the bar),
    /// then the take-profit limit. Checking the stop over the whole bar before the target is
    /// the conservative rule: a bar that reaches both levels fills the stop, never the target.
    /// A triggered stop is a stop-limit `bracket_stop_limit_band` through its trigger: it fills
    /// as taker at the market down (a SELL) or up (a BUY) to that limit, and past it rests as
    /// a limit there.
    fn match_bracket(&mut self, order_id: OrderId, touch: Touch, prior: PriorTouch, arriving: bool) {
        let Some(order) = self.account.order(order_id) else { return };
        let OrderConfiguration::TriggerBracketGtc(bracket) = &order.order_configuration else { return };
        let (limit, stop) = (bracket.limit_price, bracket.stop_trigger_price);
        let triggered = order.trigger_status == TriggerStatus::StopTriggered;
        let increment = self.markets[&order.product_id].product.quote_increment;
        let side = order.side;
        let band = self.rates.bracket_band;
        let stop_limit = match side {
            Side::Sell => floor_to(stop * (Decimal::ONE - band), increment),
            Side::Buy => ceil_to(stop * (Decimal::ONE + band), increment),
        };
        // Never better than the stop: the lower of the two for a SELL, the higher for a BUY.
        let worse = |a: Decimal, b: Decimal| if side == Side::Sell { a.min(b) } else { a.max(b) };
        let reached = |price: Decimal| if side == Side::Sell { price <= stop } else { price >= stop };
        // The market price the stop meets, if it is reached.
        let stop_base = match touch.stop_leg().unwrap_or(touch) {
            _ if triggered => Some(worse(touch.entry(side), stop)),
            Touch::Quote { bid, ask, .. } => {
                let market = if side == Side::Sell { bid } else { ask };
                reached(market).then_some(market)
            }
            Touch::Print { price } => reached(price).then_some(price),
            Touch::Leg { from, bar_low, bar_high, .. } => {
                let extreme = if side == Side::Sell { bar_low } else { bar_high };
                reached(extreme).then(|| worse(from, stop))
            }
        };
        if let Some(base) = stop_base {
            if !triggered {
                self.emit(EventKind::OrderTriggered { order_id });
            }
            let within_band = if side == Side::Sell { base >= stop_limit } else { base <= stop_limit };
            if within_band {
                let price = taker_price(side, base, &self.rates, increment, Some(stop_limit));
                self.execute(order_id, price, Liquidity::Taker);
            } else if touch.reaches(side, stop_limit) {
                self.execute(order_id, stop_limit, Liquidity::Maker);
            }
            return;
        }
        let taking =
            arriving || prior.is_none_or(|(bid, ask)| if side == Side::Sell { bid >= limit } else { ask <= limit });
        let entry = touch.entry(side);
        let marketable = if side == Side::Sell { entry >= limit } else { entry <= limit };
        if taking && marketable {
            let price = taker_price(side, entry, &self.rates, increment, Some(limit));
            self.execute(order_id, price, Liquidity::Taker);
        } else if touch.reaches(side, limit) {
            self.execute(order_id, limit, Liquidity::Maker);
        }
    }

    /// Executes a market order once; whatever cannot fill now is cancelled (IOC) or, if
    /// nothing filled for any reason but missing volume, the order fails.
    fn execute_immediate_or_cancel(&mut self, order_id: OrderId, price: Decimal) {
        if let FillAttempt::Incomplete { reason } = self.execute(order_id, price, Liquidity::Taker) {
            let filled_nothing = self.account.order(order_id).is_some_and(|o| o.filled_size.is_zero());
            if filled_nothing && !reason.starts_with("no volume") {
                self.emit(EventKind::OrderFailed { order_id, reason });
            } else {
                self.emit(EventKind::OrderCancelled { order_id, reason: format!("IOC remainder cancelled: {reason}") });
            }
        }
    }

    /// Fills as much of the order as the participation budget, the product limits and the
    /// account allow, at `price`.
    fn execute(&mut self, order_id: OrderId, price: Decimal, liquidity: Liquidity) -> FillAttempt {
        let Some(order) = self.account.order(order_id) else {
            return FillAttempt::Incomplete { reason: "unknown order".to_string() };
        };
        let market = &self.markets[&order.product_id];
        let product = &market.product;
        let (side, product_id) = (order.side, order.product_id);
        let increment = product.base_increment;
        let (rate, cost_factor) = match liquidity {
            Liquidity::Maker => (self.rates.maker, self.rates.maker_cost_factor),
            Liquidity::Taker => (self.rates.taker, self.rates.taker_cost_factor),
        };
        let wanted = match (order.remaining_base(), &order.order_configuration) {
            (Some(remaining), _) => remaining,
            (None, OrderConfiguration::MarketMarketIoc(market_ioc)) => {
                let quote_size = market_ioc.quote_size.unwrap_or_default();
                let size = match side {
                    Side::Buy => floor_to(
                        (quote_size - order.filled_value - order.total_fees) / (price * cost_factor),
                        increment,
                    ),
                    Side::Sell => floor_to((quote_size - order.filled_value) / price, increment),
                };
                size.min(product.base_max_size)
            }
            (None, _) => Decimal::ZERO,
        };
        if !is_positive(wanted) || (order.filled_size.is_zero() && wanted < product.base_min_size) {
            return FillAttempt::Incomplete {
                reason: format!("quote_size too small to trade the product minimum size at {price}"),
            };
        }
        let mut size = wanted;
        let mut reason = String::new();
        if let Some(budget) = market.budget.available(side)
            && size > budget
        {
            size = floor_to(budget.max(Decimal::ZERO), increment);
            reason = "no volume left under the participation cap".to_string();
        }
        let funds = order.hold_remaining + self.account.balance(order.hold_currency).available;
        let mut notional = price * size;
        let mut fee = notional * rate;
        let short = match side {
            Side::Buy if notional + fee > funds => {
                size = floor_to(funds / (price * cost_factor), increment);
                Some("balance")
            }
            Side::Sell if size > funds => {
                size = floor_to(funds, increment);
                Some("position")
            }
            _ => None,
        };
        if let Some(what) = short {
            reason = format!("insufficient {what} at fill price {price}");
            notional = price * size;
            fee = notional * rate;
        }
        if !is_positive(size) {
            return FillAttempt::Incomplete { reason };
        }
        let fill = Fill {
            trade_id: TradeId(self.next_uuid()),
            order_id,
            product_id,
            side,
            price,
            size,
            fee,
            liquidity,
            time: self.now,
        };
        if let Some(market) = self.markets.get_mut(&product_id) {
            market.budget.consume(side, size);
        }
        if size == wanted {
            self.emit(EventKind::OrderFilled { fill });
            FillAttempt::Complete
        } else {
            self.emit(EventKind::OrderPartiallyFilled { fill });
            FillAttempt::Incomplete { reason }
        }
    }

    /// Expires every live GTD order whose end time engine time has reached.
    pub(super) fn expire_due_orders(&mut self) {
        let now = self.now;
        let mut due = Vec::new();
        let mut next = None::<Timestamp>;
        for order in self.account.orders().filter(|o| o.status.is_live()) {
            if let Some(end_time) = order.order_configuration.end_time() {
                if end_time <= now {
                    due.push((order.created_time, order.order_id));
                } else {
                    next = Some(next.map_or(end_time, |t| t.min(end_time)));
                }
            }
        }
        // Deterministic order whatever the map's: by acceptance time, then id.
        due.sort_unstable();
        for (_, order_id) in due {
            self.emit(EventKind::OrderExpired { order_id });
        }
        self.next_expiry = next;
    }
}
