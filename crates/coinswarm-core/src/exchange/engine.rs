//! The matching engine: admits orders, matches them against market data, and records every
//! change in the account's event log. Rules are in the [module docs](super).

use super::config::{ExchangeConfig, Rates};
use super::fill::{Fill, Liquidity, TradeId};
use super::order::{Order, OrderId, OrderStatus, TriggerStatus};
use super::pricing::{floor_to, taker_price};
use super::rejection::Rejection;
use super::request::{OrderConfiguration, OrderRequest};
use super::validation::{Admission, MarketView, admit};
use crate::ledger::{Account, AccountEvent, EventKind};
use crate::market::{Candle, Currency, Product, ProductId, Quote, Side, TradePrint};
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
    #[error("market data for {product_id} out of order: {time} is before {last}")]
    OutOfOrder { product_id: ProductId, time: Timestamp, last: Timestamp },
}

/// The paper exchange for one account. See the [module docs](super) for the fill rules.
#[derive(Debug, Clone)]
pub struct MatchingEngine {
    config: ExchangeConfig,
    rates: Rates,
    markets: FxHashMap<ProductId, Market>,
    account: Account,
    events: Vec<AccountEvent>,
    /// Engine time: the latest of every command's and market event's time.
    now: Timestamp,
    /// Earliest `end_time` among live GTD orders, so expiry is checked only when due.
    next_expiry: Option<Timestamp>,
    /// Reused list of live order ids, so matching allocates nothing per market event.
    scratch: Vec<OrderId>,
}

/// What the engine knows of one product's market.
#[derive(Debug, Clone)]
struct Market {
    product: Product,
    quote: Option<Quote>,
    last_price: Option<Decimal>,
    last_data_time: Option<Timestamp>,
    /// Base volume this account may still take in the current market event, per side
    /// (`None`: no cap, or the venue did not say how much there was).
    budget_buy: Option<Decimal>,
    budget_sell: Option<Decimal>,
}

/// The market moment an order is matched against.
#[derive(Debug, Clone, Copy)]
enum Touch {
    /// Top of book; the last price for stops is the mid.
    Quote { bid: Decimal, ask: Decimal },
    /// A print on the tape.
    Print { price: Decimal },
    /// A continuous move of the price from `from` to `to`: one leg of a candle's path.
    Leg { from: Decimal, to: Decimal },
}

impl Touch {
    /// The price an order entering the book now meets: ask (buy) / bid (sell), the print,
    /// or the start of the leg.
    fn entry(self, side: Side) -> Decimal {
        match (self, side) {
            (Touch::Quote { ask, .. }, Side::Buy) => ask,
            (Touch::Quote { bid, .. }, Side::Sell) => bid,
            (Touch::Print { price }, _) => price,
            (Touch::Leg { from, .. }, _) => from,
        }
    }

    /// Whether a resting limit at `limit` is reached.
    fn reaches(self, side: Side, limit: Decimal) -> bool {
        match (self, side) {
            (Touch::Quote { ask, .. }, Side::Buy) => ask <= limit,
            (Touch::Quote { bid, .. }, Side::Sell) => bid >= limit,
            (Touch::Print { price }, Side::Buy) => price <= limit,
            (Touch::Print { price }, Side::Sell) => price >= limit,
            (Touch::Leg { from, to }, Side::Buy) => from.min(to) <= limit,
            (Touch::Leg { from, to }, Side::Sell) => from.max(to) >= limit,
        }
    }
}

/// How one execution attempt ended.
enum Execution {
    Complete,
    /// Something filled or nothing did; `reason` says what stopped the rest.
    Incomplete {
        reason: String,
    },
}

impl MatchingEngine {
    /// An engine with no products and an empty account.
    pub fn new(config: ExchangeConfig) -> Self {
        Self {
            rates: config.rates(),
            config,
            markets: FxHashMap::default(),
            account: Account::new(),
            events: Vec::new(),
            now: Timestamp::default(),
            next_expiry: None,
            scratch: Vec::new(),
        }
    }

    /// Makes a product tradable. Listing the same product again with the same rules is a no-op.
    pub fn list_product(&mut self, product: Product) -> Result<(), Rejection> {
        if let Some(existing) = self.markets.get(&product.product_id) {
            return if existing.product == product {
                Ok(())
            } else {
                Err(Rejection::ProductConflict(product.product_id))
            };
        }
        let market = Market {
            product: product.clone(),
            quote: None,
            last_price: None,
            last_data_time: None,
            budget_buy: None,
            budget_sell: None,
        };
        self.markets.insert(product.product_id, market);
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

    /// The account's event log, from the first event.
    pub fn events(&self) -> &[AccountEvent] {
        &self.events
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

    /// Adds funds from outside.
    pub fn deposit(&mut self, currency: Currency, amount: Decimal, now: Timestamp) -> Result<(), Rejection> {
        if amount <= Decimal::ZERO {
            return Err(Rejection::NonPositiveAmount);
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
        let available = self.account.balance(currency).available;
        if available < amount {
            return Err(Rejection::InsufficientBalance { currency, needed: amount, available });
        }
        self.advance_time(now);
        self.emit(EventKind::Withdrew { currency, amount });
        Ok(())
    }

    /// Runs every check `submit` would and says what accepting would reserve, placing nothing.
    pub fn preview(&self, request: &OrderRequest, now: Timestamp) -> Result<Admission, Rejection> {
        let market = self.markets.get(&request.product_id).ok_or(Rejection::UnknownProduct(request.product_id))?;
        admit(request, market.view(), &self.account, &self.rates, now.max(self.now))
    }

    /// Places an order. A repeated `client_order_id` returns the first order unchanged.
    /// An accepted order executes at once when the current quote allows it.
    pub fn submit(&mut self, request: OrderRequest, now: Timestamp) -> Result<&Order, Rejection> {
        if let Some(existing) = request.client_order_id.as_deref().and_then(|id| self.account.order_by_client_id(id)) {
            let order_id = existing.order_id;
            return Ok(self.account.order(order_id).expect("indexed order exists"));
        }
        let admission = self.preview(&request, now)?;
        self.advance_time(now);
        let order_id = OrderId(self.next_uuid());
        let product_id = request.product_id;
        let order = Order {
            order_id,
            client_order_id: request.client_order_id,
            product_id: request.product_id,
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
            order_configuration: request.order_configuration,
        };
        if let Some(end_time) = order.order_configuration.end_time() {
            self.next_expiry = Some(self.next_expiry.map_or(end_time, |t| t.min(end_time)));
        }
        self.emit(EventKind::OrderAccepted { order });
        if let Some(quote) = self.markets[&product_id].quote {
            self.match_order(order_id, Touch::Quote { bid: quote.bid, ask: quote.ask }, true);
        }
        Ok(self.account.order(order_id).expect("just accepted"))
    }

    /// Cancels a live order and releases its hold.
    pub fn cancel(&mut self, order_id: OrderId, now: Timestamp) -> Result<&Order, Rejection> {
        self.advance_time(now);
        let order = self.account.order(order_id).ok_or_else(|| Rejection::UnknownOrder(order_id.to_string()))?;
        match order.status {
            OrderStatus::Filled => return Err(Rejection::CannotCancelFilled),
            status if !status.is_live() => return Err(Rejection::OrderNotLive(status.as_str())),
            _ => {}
        }
        self.emit(EventKind::OrderCancelled { order_id, reason: "Cancelled by user".to_string() });
        Ok(self.account.order(order_id).expect("known order"))
    }

    /// Moves engine time forward (never back) and expires GTD orders whose end time is reached.
    pub fn advance_time(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
        if self.next_expiry.is_some_and(|t| t <= self.now) {
            self.expire_due_orders();
        }
    }

    /// A new top of book: pending market orders and touched limits execute, stops trigger on the mid.
    pub fn on_quote(&mut self, quote: &Quote) -> Result<(), MarketDataError> {
        let product_id = quote.product_id;
        if !quote.is_valid() {
            return Err(MarketDataError::InvalidQuote { product_id, reason: "bid must be positive and not above ask" });
        }
        if quote.bid_size.is_some_and(|s| s.is_sign_negative()) || quote.ask_size.is_some_and(|s| s.is_sign_negative())
        {
            return Err(MarketDataError::InvalidQuote { product_id, reason: "sizes must not be negative" });
        }
        let cap = self.config.participation_cap;
        let market = self.market_for_data(product_id, quote.time)?;
        market.quote = Some(*quote);
        market.last_price = Some(quote.mid());
        market.budget_buy = cap.zip(quote.ask_size).map(|(c, s)| c * s);
        market.budget_sell = cap.zip(quote.bid_size).map(|(c, s)| c * s);
        self.advance_time(quote.time);
        self.match_live_orders(product_id, Touch::Quote { bid: quote.bid, ask: quote.ask });
        Ok(())
    }

    /// A trade on the tape: pending market orders fill at its price (± slippage), limits
    /// at or through it fill at their limit, stops trigger on it.
    pub fn on_trade(&mut self, print: &TradePrint) -> Result<(), MarketDataError> {
        let product_id = print.product_id;
        if print.price <= Decimal::ZERO || print.size.is_sign_negative() {
            return Err(MarketDataError::InvalidTrade {
                product_id,
                reason: "price must be positive and size not negative",
            });
        }
        let budget = self.config.participation_cap.map(|c| c * print.size);
        let market = self.market_for_data(product_id, print.time)?;
        market.last_price = Some(print.price);
        market.budget_buy = budget;
        market.budget_sell = budget;
        self.advance_time(print.time);
        self.match_live_orders(product_id, Touch::Print { price: print.price });
        Ok(())
    }

    /// A bar: pending market orders fill at its open (± slippage); then the bar is walked
    /// along [`Candle::path`], triggering stops and filling touched limits. The current
    /// quote is cleared (the bar supersedes it). A bar whose high or low does not bound its
    /// open and close is widened to do so; fills inside a bar carry its start time.
    pub fn on_candle(&mut self, product_id: ProductId, candle: &Candle) -> Result<(), MarketDataError> {
        let invalid = |reason| MarketDataError::InvalidCandle { product_id, start: candle.start, reason };
        if [candle.open, candle.high, candle.low, candle.close].iter().any(|p| *p <= Decimal::ZERO) {
            return Err(invalid("prices must be positive"));
        }
        if candle.volume.is_sign_negative() {
            return Err(invalid("volume must not be negative"));
        }
        let mut bar = *candle;
        bar.high = bar.high.max(bar.open).max(bar.close).max(bar.low);
        bar.low = bar.low.min(bar.open).min(bar.close).min(candle.high);
        let budget = self.config.participation_cap.map(|c| c * bar.volume);
        let market = self.market_for_data(product_id, bar.start)?;
        market.quote = None;
        market.budget_buy = budget;
        market.budget_sell = budget;
        self.advance_time(bar.start);
        let [open, first, second, close] = bar.path();
        for (from, to) in [(open, open), (open, first), (first, second), (second, close)] {
            self.match_live_orders(product_id, Touch::Leg { from, to });
        }
        if let Some(market) = self.markets.get_mut(&product_id) {
            market.last_price = Some(bar.close);
        }
        Ok(())
    }

    fn market_for_data(&mut self, product_id: ProductId, time: Timestamp) -> Result<&mut Market, MarketDataError> {
        let market = self.markets.get_mut(&product_id).ok_or(MarketDataError::UnknownProduct(product_id))?;
        if let Some(last) = market.last_data_time
            && time < last
        {
            return Err(MarketDataError::OutOfOrder { product_id, time, last });
        }
        market.last_data_time = Some(time);
        Ok(market)
    }

    fn match_live_orders(&mut self, product_id: ProductId, touch: Touch) {
        let mut ids = std::mem::take(&mut self.scratch);
        ids.clear();
        ids.extend_from_slice(self.account.live_orders(product_id));
        for &order_id in &ids {
            self.match_order(order_id, touch, false);
        }
        self.scratch = ids;
    }

    /// Matches one live order against `touch`. `arriving`: the order enters the book now
    /// (just placed, or just triggered), so it may take liquidity at the entry price.
    fn match_order(&mut self, order_id: OrderId, touch: Touch, arriving: bool) {
        let Some(order) = self.account.order(order_id) else { return };
        if !order.status.is_live() {
            return;
        }
        let side = order.side;
        if order.status == OrderStatus::Pending {
            let product = &self.markets[&order.product_id].product;
            let price = taker_price(side, touch.entry(side), self.rates.slippage, product.quote_increment, None);
            self.execute_immediate_or_cancel(order_id, price);
            return;
        }
        let limit = order.order_configuration.limit_price().expect("open orders are limits or stop-limits");
        let (mut touch, mut arriving) = (touch, arriving);
        if let OrderConfiguration::StopLimitStopLimitGtc(stop) = &order.order_configuration
            && order.trigger_status == TriggerStatus::StopPending
        {
            let (stop_price, direction) = (stop.stop_price, stop.stop_direction);
            let trigger_at = match touch {
                Touch::Quote { bid, ask } => {
                    Some((bid + ask) / Decimal::TWO).filter(|mid| direction.is_triggered(stop_price, *mid))
                }
                Touch::Print { price } => Some(price).filter(|p| direction.is_triggered(stop_price, *p)),
                Touch::Leg { from, to } => {
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
            if let Touch::Leg { to, .. } = touch {
                touch = Touch::Leg { from: trigger_price, to };
            }
            arriving = true;
        }
        if arriving {
            let entry = touch.entry(side);
            let marketable = match side {
                Side::Buy => entry <= limit,
                Side::Sell => entry >= limit,
            };
            if marketable {
                let increment =
                    self.markets[&self.account.order(order_id).expect("live").product_id].product.quote_increment;
                let price = taker_price(side, entry, self.rates.slippage, increment, Some(limit));
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

    /// Executes a market order once; whatever cannot fill now is cancelled (IOC) or, if
    /// nothing filled for lack of funds, the order fails.
    fn execute_immediate_or_cancel(&mut self, order_id: OrderId, price: Decimal) {
        if let Execution::Incomplete { reason } = self.execute(order_id, price, Liquidity::Taker) {
            let order = self.account.order(order_id).expect("executed order exists");
            if order.filled_size.is_zero() && !reason.starts_with("no volume") {
                self.emit(EventKind::OrderFailed { order_id, reason });
            } else {
                self.emit(EventKind::OrderCancelled { order_id, reason: format!("IOC remainder cancelled: {reason}") });
            }
        }
    }

    /// Fills as much of the order as the budget and the account allow, at `price`.
    fn execute(&mut self, order_id: OrderId, price: Decimal, liquidity: Liquidity) -> Execution {
        let order = self.account.order(order_id).expect("executing a known order");
        let market = &self.markets[&order.product_id];
        let (side, product_id) = (order.side, order.product_id);
        let increment = market.product.base_increment;
        let rate = match liquidity {
            Liquidity::Maker => self.rates.maker,
            Liquidity::Taker => self.rates.taker,
        };
        let wanted = match (order.remaining_base(), &order.order_configuration) {
            (Some(remaining), _) => remaining,
            (None, OrderConfiguration::MarketMarketIoc(m)) => {
                let quote_size = m.quote_size.unwrap_or_default();
                match side {
                    Side::Buy => floor_to(
                        (quote_size - order.filled_value - order.total_fees) / (price * (Decimal::ONE + rate)),
                        increment,
                    ),
                    Side::Sell => floor_to((quote_size - order.filled_value) / price, increment),
                }
            }
            (None, _) => Decimal::ZERO,
        };
        if wanted <= Decimal::ZERO {
            return Execution::Incomplete {
                reason: format!("quote_size too small to trade one base increment at {price}"),
            };
        }
        let mut size = wanted;
        let mut reason = String::new();
        let budget = match side {
            Side::Buy => market.budget_buy,
            Side::Sell => market.budget_sell,
        };
        if let Some(budget) = budget
            && size > budget
        {
            size = floor_to(budget.max(Decimal::ZERO), increment);
            reason = "no volume left under the participation cap".to_string();
        }
        let funds = order.hold_remaining + self.account.balance(order.hold_currency).available;
        match side {
            Side::Buy if price * size * (Decimal::ONE + rate) > funds => {
                size = floor_to(funds / (price * (Decimal::ONE + rate)), increment);
                reason = format!("insufficient balance at fill price {price}");
            }
            Side::Sell if size > funds => {
                size = floor_to(funds, increment);
                reason = format!("insufficient position at fill price {price}");
            }
            _ => {}
        }
        if size <= Decimal::ZERO {
            return Execution::Incomplete { reason };
        }
        let fill = Fill {
            trade_id: TradeId(self.next_uuid()),
            order_id,
            product_id,
            side,
            price,
            size,
            fee: price * size * rate,
            liquidity,
            time: self.now,
        };
        let market = self.markets.get_mut(&product_id).expect("listed product");
        let budget = match side {
            Side::Buy => &mut market.budget_buy,
            Side::Sell => &mut market.budget_sell,
        };
        if let Some(budget) = budget {
            *budget -= size;
        }
        if size == wanted {
            self.emit(EventKind::OrderFilled { fill });
            Execution::Complete
        } else {
            self.emit(EventKind::OrderPartiallyFilled { fill });
            Execution::Incomplete { reason }
        }
    }

    fn expire_due_orders(&mut self) {
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
        // Deterministic order: by acceptance time, then id.
        due.sort_unstable();
        for (_, order_id) in due {
            self.emit(EventKind::OrderExpired { order_id });
        }
        self.next_expiry = next;
    }

    /// Appends an event the engine has already checked, and folds it into the account.
    fn emit(&mut self, kind: EventKind) {
        let event = AccountEvent { seq: self.account.next_seq(), time: self.now, kind };
        if let Err(error) = self.account.apply(&event) {
            unreachable!("the engine emitted an event its own checks should have refused: {error}");
        }
        self.events.push(event);
    }

    /// A UUIDv7 from engine time and the next event sequence, mixed with the configured
    /// seed: unique per event, identical for identical inputs.
    fn next_uuid(&self) -> Uuid {
        let mixed = splitmix64(self.config.id_seed ^ splitmix64(self.account.next_seq()));
        let tail = splitmix64(mixed);
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&mixed.to_le_bytes());
        random[8..].copy_from_slice(&tail.to_le_bytes()[..2]);
        Builder::from_unix_timestamp_millis(self.now.millis().max(0) as u64, &random).into_uuid()
    }
}

impl Market {
    fn view(&self) -> MarketView<'_> {
        MarketView { product: &self.product, quote: self.quote.as_ref(), last_price: self.last_price }
    }
}

/// SplitMix64: a fixed, well-mixed 64-bit permutation.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
