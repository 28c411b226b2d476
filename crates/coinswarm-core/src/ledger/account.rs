//! The account state: the fold of its event log.

use super::balance::Balance;
use super::event::{AccountEvent, EventKind, EventLogError};
use super::live_book::LiveBook;
use super::position::Position;
use crate::market::{Currency, ProductId, Side};
use crate::order::{Fill, Order, OrderId, OrderStatus, TriggerStatus};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, VecDeque};

/// How many ended (filled, cancelled, expired, failed) orders an account keeps in memory by
/// default, newest first; older ones live on only in the event log. Live orders are always kept.
pub const DEFAULT_RETAINED_ORDERS: usize = 10_000;

/// One account: balances, orders, positions and fees, rebuilt exactly by replaying its log.
///
/// Memory stays bounded however long the account trades: it keeps every live order and the
/// most recent `retained_orders` ended ones (their `client_order_id`s stay idempotent
/// while they are kept). Eviction is part of the fold, so a replay with the same retention
/// rebuilds the same state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    balances: BTreeMap<Currency, Balance>,
    orders: FxHashMap<OrderId, Order>,
    client_order_ids: FxHashMap<String, OrderId>,
    /// Ended orders still in `orders`, oldest first.
    ended_orders: VecDeque<OrderId>,
    retained_orders: usize,
    /// Live orders per product, in arrival order (the order in which they are matched).
    live_orders: BTreeMap<ProductId, LiveBook>,
    positions: BTreeMap<ProductId, Position>,
    fees_paid: BTreeMap<Currency, Decimal>,
    net_deposits: BTreeMap<Currency, Decimal>,
    next_seq: u64,
    time: Timestamp,
}

impl Default for Account {
    fn default() -> Self {
        Self::with_retention(DEFAULT_RETAINED_ORDERS)
    }
}

impl Account {
    /// An empty account keeping [`DEFAULT_RETAINED_ORDERS`] ended orders.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty account keeping `retained_orders` ended orders in memory.
    pub fn with_retention(retained_orders: usize) -> Self {
        Self {
            balances: BTreeMap::new(),
            orders: FxHashMap::default(),
            client_order_ids: FxHashMap::default(),
            ended_orders: VecDeque::new(),
            retained_orders,
            live_orders: BTreeMap::new(),
            positions: BTreeMap::new(),
            fees_paid: BTreeMap::new(),
            net_deposits: BTreeMap::new(),
            next_seq: 0,
            time: Timestamp::default(),
        }
    }

    /// Rebuilds an account from its log, with the default retention.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a AccountEvent>) -> Result<Self, EventLogError> {
        Self::replay_with_retention(events, DEFAULT_RETAINED_ORDERS)
    }

    /// Rebuilds an account from its log, keeping `retained_orders` ended orders.
    pub fn replay_with_retention<'a>(
        events: impl IntoIterator<Item = &'a AccountEvent>,
        retained_orders: usize,
    ) -> Result<Self, EventLogError> {
        let mut account = Self::with_retention(retained_orders);
        for event in events {
            account.apply(event)?;
        }
        Ok(account)
    }

    /// The balance in `currency` (zero if never seen).
    pub fn balance(&self, currency: Currency) -> Balance {
        self.balances.get(&currency).copied().unwrap_or_default()
    }

    /// Every currency's balance, sorted by currency.
    pub fn balances(&self) -> &BTreeMap<Currency, Balance> {
        &self.balances
    }

    pub fn order(&self, order_id: OrderId) -> Option<&Order> {
        self.orders.get(&order_id)
    }

    pub fn order_by_client_id(&self, client_order_id: &str) -> Option<&Order> {
        self.client_order_ids.get(client_order_id).and_then(|id| self.orders.get(id))
    }

    /// Live orders and the retained ended ones, in no particular order.
    pub fn orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.values()
    }

    /// Live (PENDING or OPEN) orders of a product, in arrival order.
    pub fn live_orders(&self, product_id: ProductId) -> &[OrderId] {
        if self.live_orders.is_empty() {
            return &[];
        }
        self.live_orders.get(&product_id).map(LiveBook::ids).unwrap_or(&[])
    }

    /// A product's live orders with their resting bounds, if it has any.
    pub fn live_book(&self, product_id: ProductId) -> Option<&LiveBook> {
        self.live_orders.get(&product_id)
    }

    pub fn position(&self, product_id: ProductId) -> Option<&Position> {
        self.positions.get(&product_id)
    }

    pub fn positions(&self) -> &BTreeMap<ProductId, Position> {
        &self.positions
    }

    /// Fees paid per currency.
    pub fn fees_paid(&self) -> &BTreeMap<Currency, Decimal> {
        &self.fees_paid
    }

    /// Deposits minus withdrawals per currency.
    pub fn net_deposits(&self) -> &BTreeMap<Currency, Decimal> {
        &self.net_deposits
    }

    /// The sequence number the next event must carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Time of the last event applied.
    pub fn time(&self) -> Timestamp {
        self.time
    }

    /// Folds one event into the state. An event that does not fit the state (wrong
    /// sequence, unknown order, overdrawn balance) is refused and changes nothing.
    pub fn apply(&mut self, event: &AccountEvent) -> Result<(), EventLogError> {
        if event.seq != self.next_seq {
            return Err(EventLogError::OutOfSequence { expected: self.next_seq, found: event.seq });
        }
        let seq = event.seq;
        if event.time < self.time {
            return Err(EventLogError::TimeWentBack { seq });
        }
        match &event.kind {
            EventKind::Deposited { currency, amount } => {
                positive(*amount, seq)?;
                self.balances.entry(*currency).or_default().available += *amount;
                *self.net_deposits.entry(*currency).or_default() += *amount;
            }
            EventKind::Withdrew { currency, amount } => {
                positive(*amount, seq)?;
                if self.balance(*currency).available < *amount {
                    return Err(EventLogError::NegativeBalance { seq, currency: *currency });
                }
                self.balances.entry(*currency).or_default().available -= *amount;
                *self.net_deposits.entry(*currency).or_default() -= *amount;
            }
            EventKind::OrderAccepted { order } => self.accept(seq, order)?,
            EventKind::OrderTriggered { order_id } => {
                self.live_order_mut(seq, *order_id)?.trigger_status = TriggerStatus::StopTriggered;
            }
            EventKind::OrderPartiallyFilled { fill } => self.fill(seq, fill, false)?,
            EventKind::OrderFilled { fill } => self.fill(seq, fill, true)?,
            EventKind::OrderCancelled { order_id, reason } => {
                self.end(seq, *order_id, OrderStatus::Cancelled, Some(reason.clone()))?
            }
            EventKind::OrderExpired { order_id } => self.end(seq, *order_id, OrderStatus::Expired, None)?,
            EventKind::OrderFailed { order_id, reason } => {
                self.end(seq, *order_id, OrderStatus::Failed, Some(reason.clone()))?
            }
            EventKind::OrderRouted { order_id, venue_order_id } => {
                self.live_order_mut(seq, *order_id)?.venue_order_id = Some(venue_order_id.clone());
            }
            EventKind::OrderCancelRequested { order_id } => {
                self.live_order_mut(seq, *order_id)?.cancel_requested = true;
            }
        }
        self.next_seq += 1;
        self.time = event.time;
        Ok(())
    }

    fn accept(&mut self, seq: u64, order: &Order) -> Result<(), EventLogError> {
        let order_id = order.order_id;
        if self.orders.contains_key(&order_id) {
            return Err(EventLogError::DuplicateOrder { seq, order_id });
        }
        let hold_currency = match order.side {
            Side::Buy => order.product_id.quote,
            Side::Sell => order.product_id.base,
        };
        let fresh = order.status.is_live()
            && order.venue_order_id.is_none()
            && !order.cancel_requested
            && order.filled_size.is_zero()
            && order.filled_value.is_zero()
            && order.total_fees.is_zero()
            && order.hold_currency == hold_currency
            && !order.hold_remaining.is_sign_negative();
        if !fresh {
            return Err(EventLogError::InvalidNewOrder { seq, order_id });
        }
        if order.client_order_id.as_ref().is_some_and(|id| self.client_order_ids.contains_key(id)) {
            return Err(EventLogError::DuplicateClientOrderId { seq });
        }
        if self.balance(hold_currency).available < order.hold_remaining {
            return Err(EventLogError::NegativeBalance { seq, currency: hold_currency });
        }
        let balance = self.balances.entry(hold_currency).or_default();
        balance.available -= order.hold_remaining;
        balance.hold += order.hold_remaining;
        if let Some(client_order_id) = &order.client_order_id {
            self.client_order_ids.insert(client_order_id.clone(), order.order_id);
        }
        self.live_orders.entry(order.product_id).or_default().add(order);
        self.orders.insert(order.order_id, order.clone());
        Ok(())
    }

    fn fill(&mut self, seq: u64, fill: &Fill, completes: bool) -> Result<(), EventLogError> {
        let order_id = fill.order_id;
        if fill.size <= Decimal::ZERO || fill.price <= Decimal::ZERO || fill.fee.is_sign_negative() {
            return Err(EventLogError::NonPositiveAmount { seq });
        }
        // One lookup; the balance, fee and position maps are other fields, borrowed beside it.
        let order = self.orders.get_mut(&order_id).ok_or(EventLogError::UnknownOrder { seq, order_id })?;
        if !order.status.is_live() {
            return Err(EventLogError::OrderNotLive { seq, order_id });
        }
        let overfills = order.remaining_base().is_some_and(|remaining| fill.size > remaining);
        if fill.side != order.side || fill.product_id != order.product_id || overfills {
            return Err(EventLogError::InconsistentFill { seq, order_id });
        }
        let product = order.product_id;
        let notional = fill.notional();
        let (spent_currency, spent, received_currency, received) = match fill.side {
            Side::Buy => (product.quote, notional + fill.fee, product.base, fill.size),
            Side::Sell => (product.base, fill.size, product.quote, notional - fill.fee),
        };
        let from_hold = spent.min(order.hold_remaining);
        let from_available = spent - from_hold;
        let spendable = self.balances.get(&spent_currency).map_or(Decimal::ZERO, |b| b.available);
        if spendable < from_available || received.is_sign_negative() {
            return Err(EventLogError::NegativeBalance { seq, currency: spent_currency });
        }
        let balance = self.balances.entry(spent_currency).or_default();
        balance.hold -= from_hold;
        balance.available -= from_available;
        self.balances.entry(received_currency).or_default().available += received;
        *self.fees_paid.entry(product.quote).or_default() += fill.fee;
        self.positions
            .entry(product)
            .or_insert_with(|| Position::new(product))
            .apply_fill(fill.side, fill.price, fill.size, notional, fill.fee);

        if let Some(live) = self.live_orders.get_mut(&product) {
            live.fill(order, fill.size);
        }
        order.hold_remaining -= from_hold;
        order.filled_size += fill.size;
        order.filled_value += notional;
        order.total_fees += fill.fee;
        if completes {
            order.status = OrderStatus::Filled;
            let released = std::mem::take(&mut order.hold_remaining);
            let balance = self.balances.entry(order.hold_currency).or_default();
            balance.hold -= released;
            balance.available += released;
            self.retire(product, order_id);
        }
        Ok(())
    }

    /// Moves a live order to a terminal status and releases what it still holds.
    fn end(
        &mut self,
        seq: u64,
        order_id: OrderId,
        status: OrderStatus,
        reason: Option<String>,
    ) -> Result<(), EventLogError> {
        let order = self.live_order_mut(seq, order_id)?;
        order.status = status;
        order.reason = reason;
        let (currency, released, product) = (order.hold_currency, order.hold_remaining, order.product_id);
        order.hold_remaining = Decimal::ZERO;
        let balance = self.balances.entry(currency).or_default();
        balance.hold -= released;
        balance.available += released;
        self.retire(product, order_id);
        Ok(())
    }

    /// Takes an order that just ended off its product's live list, and forgets the oldest
    /// ended order once more than `retained_orders` are kept.
    fn retire(&mut self, product: ProductId, order_id: OrderId) {
        if let Some(live) = self.live_orders.get_mut(&product)
            && let Some(order) = self.orders.get(&order_id)
        {
            live.remove(order, &self.orders);
            if live.is_empty() {
                self.live_orders.remove(&product);
            }
        }
        self.ended_orders.push_back(order_id);
        while self.ended_orders.len() > self.retained_orders {
            let Some(oldest) = self.ended_orders.pop_front() else { break };
            if let Some(client_order_id) = self.orders.remove(&oldest).and_then(|order| order.client_order_id) {
                self.client_order_ids.remove(&client_order_id);
            }
        }
    }

    fn live_order_mut(&mut self, seq: u64, order_id: OrderId) -> Result<&mut Order, EventLogError> {
        let order = self.orders.get_mut(&order_id).ok_or(EventLogError::UnknownOrder { seq, order_id })?;
        if !order.status.is_live() {
            return Err(EventLogError::OrderNotLive { seq, order_id });
        }
        Ok(order)
    }
}

fn positive(amount: Decimal, seq: u64) -> Result<(), EventLogError> {
    if amount > Decimal::ZERO { Ok(()) } else { Err(EventLogError::NonPositiveAmount { seq }) }
}
