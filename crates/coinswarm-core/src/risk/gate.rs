//! The pre-trade gate of one account.

use super::circuit_breaker::{CircuitBreaker, CircuitBreakerConfig, TripReason};
use super::order_value::{base_size, notional};
use super::oversight::{AccountSnapshot, Oversight, OversightConfig, ProposedOrder};
use super::refusal::Refusal;
use super::trading_state::TradingState;
use super::valuation::{last_prices, snapshot, value_account};
use crate::exchange::MatchingEngine;
use crate::market::{ProductId, Side};
use crate::order::OrderRequest;
use crate::time::Timestamp;
use rust_decimal::Decimal;
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
/// [`PreTradeGate::record_order`] (the day's trade count) and
/// [`PreTradeGate::record_trade_result`] (closed trades, for the breaker).
#[derive(Debug, Clone)]
pub struct PreTradeGate {
    enabled: bool,
    halted: bool,
    oversight: Oversight,
    breaker: CircuitBreaker,
}

impl PreTradeGate {
    pub fn new(config: &GateConfig) -> Self {
        Self {
            enabled: config.enabled,
            halted: false,
            oversight: Oversight::new(config.oversight),
            breaker: CircuitBreaker::new(config.breaker),
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

    /// Counts an order sent in its UTC day's trades.
    pub fn record_order(&mut self, now: Timestamp) {
        self.oversight.record_trade(now);
    }

    /// Folds in the account's equity and the prices at `now`; the breaker's trips are added
    /// to `tripped`.
    pub fn observe(
        &mut self,
        now: Timestamp,
        equity: Decimal,
        prices: impl IntoIterator<Item = (ProductId, f64)>,
        tripped: &mut Vec<TripReason>,
    ) {
        tripped.extend(self.breaker.observe_equity(now, equity));
        for (product_id, price) in prices {
            tripped.extend(self.breaker.observe_price(now, product_id, price));
        }
        self.oversight.observe_equity(now, equity);
    }

    /// A closed trade's net result, for the breaker's loss trips.
    pub fn record_trade_result(&mut self, now: Timestamp, pnl: Decimal) -> Option<TripReason> {
        self.breaker.record_trade_result(now, pnl)
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
/// to the position if they fill (at their limit price, or `last`).
fn pending_exposure(engine: &MatchingEngine, product_id: ProductId, side: Side, last: Decimal) -> Decimal {
    let total = engine
        .account()
        .orders()
        .filter(|o| o.product_id == product_id && o.side == side && o.status.is_live())
        .map(|o| {
            let price = o.order_configuration.limit_price().unwrap_or(last);
            o.remaining_base().unwrap_or_default().saturating_mul(price)
        })
        .fold(Decimal::ZERO, Decimal::saturating_add);
    match side {
        Side::Buy => total,
        Side::Sell => -total,
    }
}
