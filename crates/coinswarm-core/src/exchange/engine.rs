//! The matching engine: admits orders, matches them against market data, and records every
//! change in the account's event log. Rules are in the [module docs](super).

use super::config::{ConfigError, ExchangeConfig, Rates};
use super::execution::{Execution, PaperExecution};
use super::limits::{MAX_AMOUNT, MAX_PRICE, MAX_SIZE};
use super::market_state::{Budget, MarketState};
use super::touch::Touch;
use super::validation::{Admission, admit};
use crate::ledger::{Account, AccountEvent, EventKind};
use crate::market::{Candle, Currency, Product, ProductId, Quote, TradePrint};
use crate::order::OrderRequest;
use crate::order::Rejection;
use crate::order::{Order, OrderId, OrderStatus};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use uuid::{Builder, Uuid};

/// Market data the engine cannot use; nothing changes when it is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketDataError {
    #[error("market data for unknown product {0}")]
    UnknownProduct(ProductId),
    #[error("invalid quote for {product_id}: {reason}")]
    InvalidQuote { product_id: ProductId, reason: &'static str },
    #[error("invalid trade print for {product_id}: {reason}")]
    InvalidTrade { product_id: ProductId, reason: &'static str },
    #[error("invalid candle for {product_id} at {start}: {reason}")]
    InvalidCandle { product_id: ProductId, start: Timestamp, reason: &'static str },
    #[error("market data for {product_id} out of order: {time} is not after {last}")]
    OutOfOrder { product_id: ProductId, time: Timestamp, last: Timestamp },
}

/// What [`MatchingEngine::submit_gated`] answers: the order, and whether it was placed
/// earlier under the same `client_order_id` (then nothing was checked or recorded again).
#[derive(Debug, Clone, Copy)]
pub struct Submitted<'a> {
    pub order: &'a Order,
    pub repeated: bool,
}

/// The paper exchange for one account. See the [module docs](super) for the fill rules.
#[derive(Debug, Clone)]
pub struct MatchingEngine {
    config: ExchangeConfig,
    pub(super) rates: Rates,
    pub(super) markets: FxHashMap<ProductId, MarketState>,
    pub(super) account: Account,
    /// Outbox of recorded events not yet drained.
    events: Vec<AccountEvent>,
    /// Engine time: the latest of every command's and market event's time.
    pub(super) now: Timestamp,
    /// Earliest `end_time` among live GTD orders, so expiry is checked only when due.
    pub(super) next_expiry: Option<Timestamp>,
    /// Reused list of live order ids, so matching allocates nothing per market event.
    pub(super) scratch: Vec<OrderId>,
    /// Who executes accepted orders: this engine (paper) or an outside venue.
    pub(super) execution: Box<dyn Execution>,
}

impl MatchingEngine {
    /// An engine with no products and an empty account, once `config` is valid.
    pub fn new(config: ExchangeConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let account = Account::with_retention(config.retained_orders);
        Ok(Self {
            rates: config.rates(),
            config,
            markets: FxHashMap::default(),
            account,
            events: Vec::new(),
            now: Timestamp::default(),
            next_expiry: None,
            scratch: Vec::new(),
            execution: Box::new(PaperExecution),
        })
    }

    /// An engine that carries on from `account` (rebuilt from its event log, e.g. after a
    /// restart): its clock resumes at the account's last event, live orders keep working
    /// (GTD expiries included) and the next event continues the account's sequence. Products
    /// must be listed again; market state starts empty: give each product's last quote again
    /// (it matches nothing that was not already matched) so resting orders are known to rest.
    pub fn resume(config: ExchangeConfig, account: Account) -> Result<Self, ConfigError> {
        let mut engine = Self::new(config)?;
        engine.now = account.time();
        engine.next_expiry =
            account.orders().filter(|o| o.status.is_live()).filter_map(|o| o.order_configuration.end_time()).min();
        engine.account = account;
        Ok(engine)
    }

    /// Makes a product tradable. Listing the same product again with the same rules is a no-op.
    pub fn list_product(&mut self, product: Product) -> Result<(), Rejection> {
        let invalid = |reason| Rejection::InvalidProduct { product_id: product.product_id, reason };
        if product.base_increment <= Decimal::ZERO || product.quote_increment <= Decimal::ZERO {
            return Err(invalid("increments must be positive"));
        }
        if product.base_min_size.is_sign_negative()
            || product.quote_min_size.is_sign_negative()
            || product.base_min_size > product.base_max_size
            || product.base_max_size > MAX_SIZE
        {
            return Err(invalid("sizes must satisfy 0 ≤ base_min_size ≤ base_max_size ≤ 10^12"));
        }
        if let Some(existing) = self.markets.get(&product.product_id) {
            return if existing.product == product {
                Ok(())
            } else {
                Err(Rejection::ProductConflict(product.product_id))
            };
        }
        self.markets.insert(product.product_id, MarketState::new(product));
        Ok(())
    }

    pub fn product(&self, product_id: ProductId) -> Option<&Product> {
        self.markets.get(&product_id).map(|m| &m.product)
    }

    /// Listed products, sorted by id.
    pub fn products(&self) -> Vec<&Product> {
        let mut products: Vec<&Product> = self.markets.values().map(|m| &m.product).collect();
        products.sort_by_key(|p| p.product_id);
        products
    }

    pub fn config(&self) -> &ExchangeConfig {
        &self.config
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    /// Events not yet handed over with [`MatchingEngine::drain_events`]: the whole log when
    /// nothing was drained.
    pub fn events(&self) -> &[AccountEvent] {
        &self.events
    }

    /// Hands over the events recorded since the last drain, oldest first: the outbox an
    /// account's owner appends to its durable log after each command. Draining does not
    /// change the account; sequence numbers continue.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, AccountEvent> {
        self.events.drain(..)
    }

    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The current quote of a product (cleared when a candle arrives).
    pub fn quote(&self, product_id: ProductId) -> Option<&Quote> {
        self.markets.get(&product_id).and_then(|m| m.quote.as_ref())
    }

    /// The last price seen: quote mid, trade print or candle close.
    pub fn last_price(&self, product_id: ProductId) -> Option<Decimal> {
        self.markets.get(&product_id).and_then(|m| m.last_price)
    }

    /// Adds funds from outside: at most 10^18 at once, and a balance of at most 10^18.
    pub fn deposit(&mut self, currency: Currency, amount: Decimal, now: Timestamp) -> Result<(), Rejection> {
        if amount <= Decimal::ZERO {
            return Err(Rejection::NonPositiveAmount);
        }
        if amount > MAX_AMOUNT || self.account.balance(currency).total() > MAX_AMOUNT - amount {
            return Err(Rejection::OutOfRange { field: "balance after deposit", max: MAX_AMOUNT });
        }
        self.advance_time(now);
        self.emit(EventKind::Deposited { currency, amount });
        Ok(())
    }

    /// Sends available funds outside.
    pub fn withdraw(&mut self, currency: Currency, amount: Decimal, now: Timestamp) -> Result<(), Rejection> {
        if amount <= Decimal::ZERO {
            return Err(Rejection::NonPositiveAmount);
        }
        self.advance_time(now);
        let available = self.account.balance(currency).available;
        if available < amount {
            return Err(Rejection::InsufficientBalance { currency, needed: amount, available });
        }
        self.emit(EventKind::Withdrew { currency, amount });
        Ok(())
    }

    /// Runs every check `submit` would at engine time and says what accepting would
    /// reserve, placing nothing.
    pub fn preview(&self, request: &OrderRequest) -> Result<Admission, Rejection> {
        let market = self.markets.get(&request.product_id).ok_or(Rejection::UnknownProduct(request.product_id))?;
        admit(request, market.view(), &self.account, &self.rates, self.now)
    }

    /// Places an order at time `now`. A repeated `client_order_id` returns the first order
    /// unchanged. An accepted order executes at once when the current quote allows it.
    ///
    /// Time moves to `now` first, so GTD orders that are due expire (and release their
    /// holds) before the request is checked, even when it is then rejected.
    pub fn submit(&mut self, request: OrderRequest, now: Timestamp) -> Result<&Order, Rejection> {
        self.submit_gated(request, now, |_, _| Ok(())).map(|submitted| submitted.order)
    }

    /// [`MatchingEngine::submit`] with a pre-trade gate: once the exchange's own checks pass,
    /// `gate` sees the request on the engine as it will be accepted (time moved, due orders
    /// expired) and may refuse it; then nothing is accepted and nothing is recorded. The
    /// order is checked once: an order the gate admitted is placed without a second
    /// validation. A repeated `client_order_id` returns the first order without asking the
    /// gate again, marked [`Submitted::repeated`].
    pub fn submit_gated<E: From<Rejection>>(
        &mut self,
        request: OrderRequest,
        now: Timestamp,
        gate: impl FnOnce(&Self, &OrderRequest) -> Result<(), E>,
    ) -> Result<Submitted<'_>, E> {
        self.advance_time(now);
        if let Some(existing) = request.client_order_id.as_deref().and_then(|id| self.account.order_by_client_id(id)) {
            let order_id = existing.order_id;
            let order = self.account.order(order_id).ok_or_else(|| Rejection::UnknownOrder(order_id.to_string()))?;
            return Ok(Submitted { order, repeated: true });
        }
        let admission = self.preview(&request)?;
        gate(self, &request)?;
        let order_id = OrderId(self.next_uuid());
        let product_id = request.product_id;
        let order = Order {
            order_id,
            client_order_id: request.client_order_id,
            product_id,
            side: request.side,
            status: admission.status,
            trigger_status: admission.trigger_status,
            created_time: self.now,
            filled_size: Decimal::ZERO,
            filled_value: Decimal::ZERO,
            total_fees: Decimal::ZERO,
            hold_currency: admission.hold_currency,
            hold_remaining: admission.hold_amount,
            reason: None,
            venue_order_id: None,
            cancel_requested: false,
            order_configuration: request.order_configuration,
        };
        if let Some(end_time) = order.order_configuration.end_time() {
            self.next_expiry = Some(self.next_expiry.map_or(end_time, |t| t.min(end_time)));
        }
        self.emit(EventKind::OrderAccepted { order });
        if !self.execution.on_accepted(order_id) {
            let order = self.account.order(order_id).ok_or_else(|| Rejection::UnknownOrder(order_id.to_string()))?;
            return Ok(Submitted { order, repeated: false });
        }
        let market = &self.markets[&product_id];
        if let Some(quote) = market.quote {
            let prior = market.touch_prices();
            self.match_order(order_id, Touch::Quote { bid: quote.bid, ask: quote.ask, since: None }, prior, true);
        }
        let order = self.account.order(order_id).ok_or_else(|| Rejection::UnknownOrder(order_id.to_string()))?;
        Ok(Submitted { order, repeated: false })
    }

    /// Cancels a live order at time `now` and releases its hold. Time moves first, so an
    /// order that is due expires instead and cannot be cancelled.
    pub fn cancel(&mut self, order_id: OrderId, now: Timestamp) -> Result<&Order, Rejection> {
        self.cancel_with_reason(order_id, now, "Cancelled by user")
    }

    /// [`MatchingEngine::cancel`], recording `reason` in the cancellation (e.g. the risk limit
    /// that made the pre-trade gate cancel working buys).
    pub fn cancel_with_reason(
        &mut self,
        order_id: OrderId,
        now: Timestamp,
        reason: impl Into<String>,
    ) -> Result<&Order, Rejection> {
        self.advance_time(now);
        let order = self.account.order(order_id).ok_or_else(|| Rejection::UnknownOrder(order_id.to_string()))?;
        match order.status {
            OrderStatus::Filled => return Err(Rejection::CannotCancelFilled),
            status if !status.is_live() => return Err(Rejection::OrderNotLive(status.as_str())),
            _ => {}
        }
        let requested = order.cancel_requested;
        if !self.execution.on_cancel(order_id) {
            // The venue cancels (the request recorded once, asked again on each cancel); the
            // order ends when the venue says so.
            if !requested {
                self.emit(EventKind::OrderCancelRequested { order_id });
            }
            return self.account.order(order_id).ok_or_else(|| Rejection::UnknownOrder(order_id.to_string()));
        }
        self.emit(EventKind::OrderCancelled { order_id, reason: reason.into() });
        self.account.order(order_id).ok_or_else(|| Rejection::UnknownOrder(order_id.to_string()))
    }

    /// Moves engine time forward (never back) and expires GTD orders whose end time is reached.
    pub fn advance_time(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        if self.execution.matches_market_data() && self.next_expiry.is_some_and(|t| t <= self.now) {
            self.expire_due_orders();
        }
    }

    /// A new top of book: pending market orders and touched limits execute, stops trigger on
    /// the mid's move from the last price (a stop crossed between two quotes triggers at its
    /// stop price, as on a candle's path).
    pub fn on_quote(&mut self, quote: &Quote) -> Result<(), MarketDataError> {
        let product_id = quote.product_id;
        let invalid = |reason| MarketDataError::InvalidQuote { product_id, reason };
        if !quote.is_valid() || quote.ask > MAX_PRICE {
            return Err(invalid("prices must satisfy 0 < bid ≤ ask ≤ 10^12"));
        }
        let size_ok = |size: Option<Decimal>| size.is_none_or(|s| !s.is_sign_negative() && s <= MAX_SIZE);
        if !size_ok(quote.bid_size) || !size_ok(quote.ask_size) {
            return Err(invalid("sizes must be between 0 and 10^12"));
        }
        let cap = self.config.participation_cap;
        let market = self.market_for_data(product_id, quote.time, false)?;
        let prior = market.touch_prices();
        let since = market.last_price;
        market.quote = Some(*quote);
        market.last_price = Some(quote.mid());
        market.budget = Budget::PerSide {
            buy: cap.zip(quote.ask_size).map(|(c, s)| c * s),
            sell: cap.zip(quote.bid_size).map(|(c, s)| c * s),
        };
        self.advance_time(quote.time);
        if self.execution.matches_market_data() {
            let touch = Touch::Quote { bid: quote.bid, ask: quote.ask, since };
            self.match_live_orders(product_id, touch, prior, None);
        }
        Ok(())
    }

    /// A trade on the tape: pending market orders fill at its price (± slippage), limits
    /// at or through it fill at their limit, stops trigger on it.
    pub fn on_trade(&mut self, print: &TradePrint) -> Result<(), MarketDataError> {
        let product_id = print.product_id;
        if print.price <= Decimal::ZERO
            || print.price > MAX_PRICE
            || print.size.is_sign_negative()
            || print.size > MAX_SIZE
        {
            return Err(MarketDataError::InvalidTrade {
                product_id,
                reason: "price must be in (0, 10^12] and size in [0, 10^12]",
            });
        }
        let budget = self.config.participation_cap.map(|c| c * print.size);
        let market = self.market_for_data(product_id, print.time, false)?;
        let prior = market.touch_prices();
        market.last_price = Some(print.price);
        market.budget = Budget::Shared(budget);
        self.advance_time(print.time);
        if self.execution.matches_market_data() {
            self.match_live_orders(product_id, Touch::Print { price: print.price }, prior, None);
        }
        Ok(())
    }

    /// A bar: pending market orders fill at its open (± slippage); then the bar is walked
    /// along [`Candle::path`], triggering stops and filling touched limits. Orders created
    /// after the bar's start wait for the next event (no fill at a price from before they
    /// existed). Each bar must start after the previous one. The current quote is cleared
    /// (the bar supersedes it). A bar whose high or low does not bound its open and close is
    /// widened to do so. Fills inside a bar carry engine time (the bar's start, unless a
    /// command already moved time later).
    pub fn on_candle(&mut self, product_id: ProductId, candle: &Candle) -> Result<(), MarketDataError> {
        let invalid = |reason| MarketDataError::InvalidCandle { product_id, start: candle.start, reason };
        let prices = [candle.open, candle.high, candle.low, candle.close];
        if !prices.iter().all(|p| within(*p, MAX_PRICE) && !p.is_zero()) {
            return Err(invalid("prices must be in (0, 10^12]"));
        }
        if !within(candle.volume, MAX_SIZE) {
            return Err(invalid("volume must be in [0, 10^12]"));
        }
        let budget = self.config.participation_cap.map(|c| c * candle.volume);
        let idle = self.account.live_orders(product_id).is_empty() || !self.execution.matches_market_data();
        let market = self.market_for_data(product_id, candle.start, true)?;
        market.budget = Budget::Shared(budget);
        if idle {
            // Nothing to match: the bar only moves the clock and the last price.
            market.quote = None;
            market.last_price = Some(candle.close);
            self.advance_time(candle.start);
            return Ok(());
        }
        let prior = market.touch_prices();
        market.quote = None;
        let mut bar = *candle;
        bar.high = prices.into_iter().max().unwrap_or(bar.high);
        bar.low = prices.into_iter().min().unwrap_or(bar.low);
        self.advance_time(bar.start);
        let [open, first, second, close] = bar.path();
        for (from, to) in [(open, open), (open, first), (first, second), (second, close)] {
            let leg = Touch::Leg { from, to, bar_low: bar.low, bar_high: bar.high };
            self.match_live_orders(product_id, leg, prior, Some(bar.start));
        }
        if let Some(market) = self.markets.get_mut(&product_id) {
            market.last_price = Some(bar.close);
        }
        Ok(())
    }

    /// The product's market, once `time` is in order: not before the last data, and for a
    /// candle strictly after the last candle's start.
    fn market_for_data(
        &mut self,
        product_id: ProductId,
        time: Timestamp,
        is_candle: bool,
    ) -> Result<&mut MarketState, MarketDataError> {
        let market = self.markets.get_mut(&product_id).ok_or(MarketDataError::UnknownProduct(product_id))?;
        if let Some(last) = market.last_data_time
            && time < last
        {
            return Err(MarketDataError::OutOfOrder { product_id, time, last });
        }
        if is_candle {
            if let Some(last) = market.last_candle_start
                && time <= last
            {
                return Err(MarketDataError::OutOfOrder { product_id, time, last });
            }
            market.last_candle_start = Some(time);
        }
        market.last_data_time = Some(time);
        Ok(market)
    }

    /// Appends an event the engine has already checked, and folds it into the account.
    pub(super) fn emit(&mut self, kind: EventKind) {
        let event = AccountEvent { seq: self.account.next_seq(), time: self.now, kind };
        if let Err(error) = self.account.apply(&event) {
            unreachable!("the engine emitted an event its own checks should have refused: {error}");
        }
        self.events.push(event);
    }

    /// A UUIDv7 from engine time and the next event sequence, mixed with the configured
    /// seed: unique per event, identical for identical inputs.
    pub(super) fn next_uuid(&self) -> Uuid {
        let mixed = splitmix64(self.config.id_seed ^ splitmix64(self.account.next_seq()));
        let tail = splitmix64(mixed);
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&mixed.to_le_bytes());
        random[8..].copy_from_slice(&tail.to_le_bytes()[..2]);
        Builder::from_unix_timestamp_millis(self.now.millis().max(0) as u64, &random).into_uuid()
    }
}

/// SplitMix64: a fixed, well-mixed 64-bit permutation.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Whether `value` lies in `[0, max]` for a non-negative `max`: a bit test when the mantissa
/// alone is within `max` (the scale only divides it), a full comparison otherwise.
fn within(value: Decimal, max: Decimal) -> bool {
    if value.is_sign_negative() && !value.is_zero() {
        return false;
    }
    let mantissa = value.mantissa().unsigned_abs();
    (max.scale() == 0 && mantissa <= max.mantissa().unsigned_abs()) || value <= max
}
