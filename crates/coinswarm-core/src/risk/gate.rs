//! The pre-trade gate of one account.

use super::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, TripReason};
use super::order_value::{base_size, notional};
use super::oversight::{AccountSnapshot, Oversight, OversightConfig, ProposedOrder};
use super::refusal::Refusal;
use super::risk_event::RiskEvent;
use super::trading_state::TradingState;
use super::valuation::{last_prices, snapshot, value_account};
use crate::exchange::MatchingEngine;
use crate::market::{Currency, ProductId, Side};
use crate::order::{Fill, OrderRequest};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// The gate's limits (`[guard]` in `coinswarm up`'s config).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateConfig {
    /// Check orders against the limits and the breaker. Default true; turning it off leaves
    /// only the exchange's own validation (balance, size, price rules).
    pub enabled: bool,
    /// Exposure, order size, trade pace, daily loss and drawdown limits.
    pub oversight: OversightConfig,
    /// Equity-loss and price-move trips and the cool-down after one (`auto_close` on by
    /// default here: after the cool-down orders pass again as probes, and any trip condition
    /// re-opens it).
    pub breaker: CircuitBreakerConfig,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            oversight: OversightConfig::default(),
            breaker: CircuitBreakerConfig { auto_close: true, ..CircuitBreakerConfig::default() },
        }
    }
}

/// An account's pre-trade gate: its trading state, oversight limits and circuit breaker.
///
/// Checking never changes it; it learns from [`PreTradeGate::observe`] (equity and prices),
/// [`PreTradeGate::observe_intrabar`] (a bar's path), [`PreTradeGate::record_order`] (the
/// day's order count) and [`PreTradeGate::record_closing_trades`] (closed trades, for the
/// breaker). It acts with [`PreTradeGate::protect`]: on a breach of the daily loss, the
/// drawdown or the breaker, the account's working buys are cancelled.
///
/// Exits are always possible: an order that only reduces a position passes the breaker and
/// every oversight limit; only an operator's halt stops it.
#[derive(Debug, Clone)]
pub struct PreTradeGate {
    enabled: bool,
    halted: bool,
    oversight: Oversight,
    breaker: CircuitBreaker,
    /// Each product's net realised P&L when the breaker last heard of a closing trade.
    realised_reported: FxHashMap<ProductId, Decimal>,
}

impl PreTradeGate {
    pub fn new(config: &GateConfig) -> Self {
        Self {
            enabled: config.enabled,
            halted: false,
            oversight: Oversight::new(config.oversight),
            breaker: CircuitBreaker::new(config.breaker),
            realised_reported: FxHashMap::default(),
        }
    }

    /// What the account may do at `now`.
    pub fn trading_state(&self, now: Timestamp) -> TradingState {
        if self.halted {
            TradingState::Halted
        } else if self.breaker.allows_trading(now) {
            TradingState::Active
        } else {
            TradingState::ReducingOnly
        }
    }

    /// Stops every order until [`PreTradeGate::resume`].
    pub fn halt(&mut self) {
        self.halted = true;
    }

    pub fn resume(&mut self) {
        self.halted = false;
    }

    pub fn is_halted(&self) -> bool {
        self.halted
    }

    pub fn oversight(&self) -> &Oversight {
        &self.oversight
    }

    pub fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// Operator reset of the circuit breaker.
    pub fn reset_breaker(&mut self, now: Timestamp) {
        self.breaker.reset(now);
    }

    /// Operator reset of the drawdown's peak to the account's `equity` now.
    pub fn reset_drawdown_peak(&mut self, now: Timestamp, equity: Decimal) -> RiskEvent {
        self.oversight.reset_peak(now, equity)
    }

    /// Passes `order` at `now` on `account`, or says why not: a halted account passes
    /// nothing; while the breaker is not closed only an order that reduces the position
    /// passes; then every oversight limit (see [`Oversight::check`]). A disabled gate
    /// passes everything.
    pub fn check(&self, now: Timestamp, order: &ProposedOrder, account: &AccountSnapshot) -> Result<(), Refusal> {
        if !self.enabled {
            return Ok(());
        }
        if self.halted {
            return Err(Refusal::Halted);
        }
        if !self.breaker.allows_trading(now) && !reduces(order, account) {
            let until = self.breaker.cooldown_ends_at();
            let reason = self.breaker.trips().next_back().map(|(_, reason)| reason.to_string());
            return Err(Refusal::BreakerOpen { until, reason });
        }
        self.oversight.check(now, order, account).map_err(Refusal::Oversight)
    }

    /// Passes `request` at `now` on the account in `engine`, every product at its last
    /// price, equity in the order's quote currency. An order that reduces the position
    /// (against it, no larger than it) is valued at the last price, so oversight sees it
    /// reduce; any other counts the account's live orders on the same product and side as
    /// exposure already taken.
    pub fn check_request(
        &self,
        engine: &MatchingEngine,
        request: &OrderRequest,
        now: Timestamp,
    ) -> Result<(), Refusal> {
        if !self.enabled {
            return Ok(());
        }
        let product_id = request.product_id;
        let last = engine.last_price(product_id).unwrap_or_default();
        let held = engine.product(product_id).map_or(Decimal::ZERO, |p| engine.account().balance(p.base()).total());
        let size = base_size(request, last);
        let reduces = match request.side {
            Side::Buy => held < Decimal::ZERO && size.is_some_and(|s| s <= -held),
            Side::Sell => held > Decimal::ZERO && size.is_some_and(|s| s <= held),
        };
        let valuation = value_account(engine, product_id.quote, last_prices(engine));
        let account = snapshot(engine, product_id, last, valuation);
        if reduces {
            let order = ProposedOrder::new(product_id, request.side, size.unwrap_or_default().saturating_mul(last));
            return self.check(now, &order, &account);
        }
        let pending = pending_exposure(engine, product_id, request.side, last);
        let account = AccountSnapshot::new(
            account.equity,
            account.position_value.saturating_add(pending),
            account.open_positions,
        );
        self.check(now, &ProposedOrder::new(product_id, request.side, notional(request, last)), &account)
    }

    /// How many more orders the UTC day of `now` allows (the daily limit counts orders, each
    /// slice of a split decision being one).
    pub fn orders_left_today(&self, now: Timestamp) -> u32 {
        let limit = self.oversight.config().max_trades_per_day;
        limit.saturating_sub(self.oversight.trades_on_day_of(now))
    }

    /// Counts one order sent in its UTC day's trades.
    pub fn record_order(&mut self, now: Timestamp) {
        self.oversight.record_trade(now);
    }

    /// Folds in the account's equity and the prices at `now`; the breaker's trips are added
    /// to `tripped`. Returns oversight's event when the drawdown crossed its limit.
    pub fn observe(
        &mut self,
        now: Timestamp,
        equity: Decimal,
        prices: impl IntoIterator<Item = (ProductId, f64)>,
        tripped: &mut Vec<TripReason>,
    ) -> Option<RiskEvent> {
        tripped.extend(self.breaker.observe_equity(now, equity));
        for (product_id, price) in prices {
            tripped.extend(self.breaker.observe_price(now, product_id, price));
        }
        self.oversight.observe_equity(now, equity)
    }

    /// Folds a bar's path into the breaker's loss and move windows, so they see what happened
    /// inside the bar, not only its close: `points` are the path's prices of `product_id`
    /// before the close (open, then the two extremes in path order) with their times, and
    /// `equity_at` the account's equity at a price of that product. The close itself comes
    /// with [`PreTradeGate::observe`]. The path is known at `seen_at` (the bar's close): a
    /// trip on it starts its cool-down then.
    pub fn observe_intrabar(
        &mut self,
        product_id: ProductId,
        points: &[(Timestamp, Decimal)],
        equity_at: impl Fn(Decimal) -> Decimal,
        seen_at: Timestamp,
        tripped: &mut Vec<TripReason>,
    ) {
        let before = tripped.len();
        for &(time, price) in points {
            tripped.extend(self.breaker.observe_equity(time, equity_at(price)));
            let price = crate::market::decimal_to_f64(price);
            tripped.extend(self.breaker.observe_price(time, product_id, price));
        }
        if tripped.len() > before {
            self.breaker.start_cooldown_no_earlier_than(seen_at);
        }
    }

    /// A closed trade's net result, for the breaker's loss trips.
    pub fn record_trade_result(&mut self, now: Timestamp, pnl: Decimal) -> Option<TripReason> {
        self.breaker.record_trade_result(now, pnl)
    }

    /// Tells the breaker of the closing trades among `fills` (sells: spot accounts are long
    /// only), each product's result being the change in its net realised P&L since the
    /// breaker last heard of it (buy and sell fees included), so the losing-streak rule
    /// applies to every account. Returns the trips this caused.
    pub fn record_closing_trades<'a>(
        &mut self,
        engine: &MatchingEngine,
        fills: impl IntoIterator<Item = &'a Fill>,
        now: Timestamp,
    ) -> Vec<TripReason> {
        let mut sold: Vec<ProductId> = Vec::new();
        for fill in fills {
            if fill.side == Side::Sell && !sold.contains(&fill.product_id) {
                sold.push(fill.product_id);
            }
        }
        let mut tripped = Vec::new();
        for product_id in sold {
            let position = engine.account().position(product_id);
            let net_realised = position.map_or(Decimal::ZERO, |p| p.net_realised_pnl());
            let reported = self.realised_reported.insert(product_id, net_realised).unwrap_or_default();
            tripped.extend(self.breaker.record_trade_result(now, net_realised - reported));
        }
        tripped
    }

    /// Why new risk must stop at `now` on `account`, when it must: the breaker does not allow
    /// trading, or the daily loss or the drawdown is beyond its limit.
    pub fn loss_limit_breach(&self, now: Timestamp, account: &AccountSnapshot) -> Option<String> {
        if !self.enabled {
            return None;
        }
        if !self.breaker.allows_trading(now) {
            let state = self.breaker.state(now);
            return Some(match self.breaker.trips().next_back() {
                Some((_, reason)) => format!("circuit breaker {}: {reason}", state.as_str()),
                None => format!("circuit breaker {}", state.as_str()),
            });
        }
        self.oversight.breached_loss_limit(now, account).map(|breach| breach.to_string())
    }

    /// Acts on a breach: when new risk must stop ([`PreTradeGate::loss_limit_breach`], the
    /// account valued at its last prices in `quote`), cancels the account's working buys on
    /// `products` (every listed product when `None`), each with the reason in its
    /// cancellation. Returns what it did.
    pub fn protect(
        &self,
        engine: &mut MatchingEngine,
        quote: Currency,
        products: Option<&[ProductId]>,
        now: Timestamp,
    ) -> Option<RiskEvent> {
        if !self.enabled {
            return None;
        }
        let listed: Vec<ProductId>;
        let products = match products {
            Some(products) => products,
            None => {
                listed = engine.products().iter().map(|p| p.product_id).collect();
                &listed
            }
        };
        let account = engine.account();
        if products.iter().all(|&product_id| account.live_orders(product_id).is_empty()) {
            return None;
        }
        // Whether the loss limit is breached is a valuation; which buys are working is a walk
        // over the live orders: the walk only when there is something to do.
        let valuation = value_account(engine, quote, last_prices(engine));
        let snapshot = AccountSnapshot::new(valuation.equity, Decimal::ZERO, valuation.open_positions);
        let reason = self.loss_limit_breach(now, &snapshot)?;
        let account = engine.account();
        let buys: Vec<_> = products
            .iter()
            .flat_map(|&product_id| account.live_orders(product_id).iter().copied())
            .filter(|&id| account.order(id).is_some_and(|o| o.side == Side::Buy && !o.cancel_requested))
            .collect();
        if buys.is_empty() {
            return None;
        }
        let cancel_reason = format!("risk: {reason}; working buys cancelled");
        let orders =
            buys.into_iter().filter(|&id| engine.cancel_with_reason(id, now, cancel_reason.as_str()).is_ok()).count();
        (orders > 0).then_some(RiskEvent::BuysCancelled { orders, reason })
    }
}

impl Default for PreTradeGate {
    fn default() -> Self {
        Self::new(&GateConfig::default())
    }
}

/// An exit: against a position, positive, and no larger than it.
fn reduces(order: &ProposedOrder, account: &AccountSnapshot) -> bool {
    let against = match order.side {
        Side::Buy => account.position_value < Decimal::ZERO,
        Side::Sell => account.position_value > Decimal::ZERO,
    };
    against && order.notional > Decimal::ZERO && order.notional <= account.position_value.abs()
}

/// The signed value of the account's live orders on `product_id` and `side`: what they add
/// to the position if they fill (at their limit price, or `last` for a market order). The
/// live book keeps the limit-priced part as orders arrive, fill and end; only live market
/// orders (rare, and short-lived) are walked.
fn pending_exposure(engine: &MatchingEngine, product_id: ProductId, side: Side, last: Decimal) -> Decimal {
    let account = engine.account();
    let Some(book) = account.live_book(product_id) else { return Decimal::ZERO };
    let mut total = book.limit_exposure(side);
    if book.has_market_orders() {
        total = book
            .ids()
            .iter()
            .filter_map(|&id| account.order(id))
            .filter(|o| o.side == side && o.order_configuration.limit_price().is_none())
            .map(|o| o.remaining_base().unwrap_or_default().saturating_mul(last))
            .fold(total, Decimal::saturating_add);
    }
    match side {
        Side::Buy => total,
        Side::Sell => -total,
    }
}
