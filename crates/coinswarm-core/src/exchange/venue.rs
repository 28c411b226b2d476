//! Venue execution: the engine keeps the account (checks, holds, fills, positions) while an
//! outside venue, a live exchange, executes the orders. Accepting an order or asking to
//! cancel one leaves a [`VenueRequest`] in an outbox for the engine's owner to send; what the
//! venue reports back (its id for the order, its cumulative fills and status, the account's
//! balances) is folded in as ordinary account events, so the ledger, positions and P&L are
//! computed the same way as on paper.

use super::engine::MatchingEngine;
use super::execution::{Execution, VenueRequest};
use crate::ledger::EventKind;
use crate::market::{Currency, Side};
use crate::order::OrderConfiguration;
use crate::order::Rejection;
use crate::order::{Fill, Liquidity, TradeId};
use crate::order::{OrderId, OrderStatus};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The largest difference in recorded value taken for rounding rather than a fill.
const ROUNDING_LEFTOVER: Decimal = Decimal::from_parts(1, 0, 0, false, 12);

/// An order's status at the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VenueStatus {
    /// Queued, open or partly filled: it can still trade.
    Working,
    Filled,
    Cancelled,
    Expired,
    Failed,
}

/// What the venue says about one order: cumulative figures, as venues report them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueOrderState {
    pub status: VenueStatus,
    /// Base size filled so far.
    pub filled_size: Decimal,
    /// Σ price × size over its fills, in quote currency.
    pub filled_value: Decimal,
    /// Σ fees over its fills, in quote currency.
    pub total_fees: Decimal,
    /// The venue's words for a cancellation or failure.
    pub reason: Option<String>,
}

/// What folding a venue report changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VenueUpdate {
    /// The fill made of the difference since the last report, if any.
    pub fill: Option<Fill>,
    /// The status the order ended with, if it ended.
    pub ended: Option<OrderStatus>,
    /// A shortfall in the balance the fill was paid from (the venue charged more than was
    /// held and available), deposited first so the fill could be recorded; the next balance
    /// reconciliation sets the true figure.
    pub shortfall: Option<(Currency, Decimal)>,
}

impl MatchingEngine {
    /// Has `execution` execute every order accepted from now on (see [`Execution`]).
    pub fn set_execution(&mut self, execution: impl Execution + 'static) {
        self.execution = Box::new(execution);
    }

    /// Who executes the orders this engine accepts.
    pub fn execution(&self) -> &dyn Execution {
        self.execution.as_ref()
    }

    /// Hands over what the venue must be asked, oldest first.
    pub fn drain_venue_requests(&mut self) -> Vec<VenueRequest> {
        self.execution.drain_requests()
    }

    /// Records the venue's own id for a live order.
    pub fn venue_routed(&mut self, order_id: OrderId, venue_order_id: &str, now: Timestamp) -> Result<(), Rejection> {
        let order = self.live_order(order_id)?;
        if order.venue_order_id.as_deref() == Some(venue_order_id) {
            return Ok(());
        }
        self.advance_time(now);
        self.emit(EventKind::OrderRouted { order_id, venue_order_id: venue_order_id.to_string() });
        Ok(())
    }

    /// Ends a live order the venue refused or never took, releasing its hold.
    pub fn venue_failed(&mut self, order_id: OrderId, reason: &str, now: Timestamp) -> Result<(), Rejection> {
        self.live_order(order_id)?;
        self.advance_time(now);
        self.emit(EventKind::OrderFailed { order_id, reason: reason.to_string() });
        Ok(())
    }

    /// Folds the venue's cumulative report on a live order in: what was filled since the
    /// last report becomes one fill (at the average price of the difference, with the
    /// difference in fees), and a terminal status ends the order. A market order's figures
    /// are folded in once it has ended (its last report says whether it filled). A report
    /// that goes backwards (less filled than already recorded), overfills, or charges a
    /// sell more in fees than it brought is refused and changes nothing.
    pub fn venue_update(
        &mut self,
        order_id: OrderId,
        state: &VenueOrderState,
        now: Timestamp,
    ) -> Result<VenueUpdate, Rejection> {
        let order = self.live_order(order_id)?;
        if state.status == VenueStatus::Working
            && matches!(order.order_configuration, OrderConfiguration::MarketMarketIoc(_))
        {
            return Ok(VenueUpdate::default());
        }
        let size = state.filled_size - order.filled_size;
        let mut value = state.filled_value - order.filled_value;
        // The recorded value adds up price × size per fill, with the price a 28-digit
        // quotient: with no new size, a leftover that small is rounding, not a fill.
        if size.is_zero() && value.abs() <= ROUNDING_LEFTOVER {
            value = Decimal::ZERO;
        }
        let fee = (state.total_fees - order.total_fees).max(Decimal::ZERO);
        if size.is_sign_negative()
            || (size.is_zero() && !value.is_zero())
            || (!size.is_zero() && value <= Decimal::ZERO)
        {
            return Err(Rejection::InvalidVenueReport {
                order_id: order_id.to_string(),
                reason: format!(
                    "filled {} for {} after {} for {} already recorded",
                    state.filled_size, state.filled_value, order.filled_size, order.filled_value
                ),
            });
        }
        if order.remaining_base().is_some_and(|remaining| size > remaining) {
            return Err(Rejection::InvalidVenueReport {
                order_id: order_id.to_string(),
                reason: format!(
                    "filled {} of an order for {}",
                    state.filled_size,
                    order.filled_size + order.remaining_base().unwrap_or_default()
                ),
            });
        }
        // What the account will credit a sell: price × size (as it computes it) less the fee.
        if order.side == Side::Sell && size > Decimal::ZERO && fee > (value / size) * size {
            return Err(Rejection::InvalidVenueReport {
                order_id: order_id.to_string(),
                reason: format!("a fee of {fee} on a sale that brought {value}"),
            });
        }
        let (side, product_id, hold_left) = (order.side, order.product_id, order.hold_remaining);
        let completes_size = order.remaining_base().is_some_and(|remaining| size == remaining);
        let liquidity = match order.order_configuration {
            OrderConfiguration::MarketMarketIoc(_) => Liquidity::Taker,
            _ => Liquidity::Maker,
        };
        self.advance_time(now);
        let mut update = VenueUpdate::default();
        if size > Decimal::ZERO {
            let price = value / size;
            // What the account will take: the notional as it computes it (price × size).
            let (currency, spent) = match side {
                Side::Buy => (product_id.quote, price * size + fee),
                Side::Sell => (product_id.base, size),
            };
            let available = self.account.balance(currency).available;
            let short = spent - hold_left.min(spent) - available;
            if short > Decimal::ZERO {
                self.emit(EventKind::Deposited { currency, amount: short });
                update.shortfall = Some((currency, short));
            }
            let completes = state.status == VenueStatus::Filled || completes_size;
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
            if completes {
                self.emit(EventKind::OrderFilled { fill: fill.clone() });
                update.ended = Some(OrderStatus::Filled);
            } else {
                self.emit(EventKind::OrderPartiallyFilled { fill: fill.clone() });
            }
            update.fill = Some(fill);
        }
        if update.ended.is_none() {
            let reason = || state.reason.clone().unwrap_or_default();
            let ended = match state.status {
                VenueStatus::Working => None,
                VenueStatus::Cancelled => Some(EventKind::OrderCancelled { order_id, reason: reason() }),
                // Reported filled with nothing more to record (an IOC whose last fill was
                // already folded in): what is left of it will not trade.
                VenueStatus::Filled => Some(EventKind::OrderCancelled {
                    order_id,
                    reason: "the venue reported it FILLED: the unfilled rest is released".to_string(),
                }),
                VenueStatus::Expired => Some(EventKind::OrderExpired { order_id }),
                VenueStatus::Failed => Some(EventKind::OrderFailed { order_id, reason: reason() }),
            };
            if let Some(kind) = ended {
                self.emit(kind);
                update.ended = self.account.order(order_id).map(|o| o.status);
            }
        }
        Ok(update)
    }

    /// Sets a currency's total balance (available + held) to the venue's: the difference,
    /// money that moved outside Coinswarm, is recorded as a deposit or a withdrawal of
    /// available funds, so P&L stays the trading's own. Totals do not depend on how each
    /// side sized its holds, so live orders do not stand in the way; the caller must make
    /// sure no fill is in flight (reported by the venue but not yet folded in). Answers the
    /// difference (zero: nothing recorded); a withdrawal larger than what is available is
    /// refused.
    pub fn venue_reconcile(
        &mut self,
        currency: Currency,
        total: Decimal,
        now: Timestamp,
    ) -> Result<Decimal, Rejection> {
        if total.is_sign_negative() {
            return Err(Rejection::NonPositiveAmount);
        }
        let delta = total - self.account.balance(currency).total();
        if delta > Decimal::ZERO {
            self.deposit(currency, delta, now)?;
        } else if delta < Decimal::ZERO {
            self.withdraw(currency, -delta, now)?;
        }
        Ok(delta)
    }

    fn live_order(&self, order_id: OrderId) -> Result<&crate::order::Order, Rejection> {
        let order = self.account.order(order_id).ok_or_else(|| Rejection::UnknownOrder(order_id.to_string()))?;
        if !order.status.is_live() {
            return Err(Rejection::OrderNotLive(order.status.as_str()));
        }
        Ok(order)
    }
}
