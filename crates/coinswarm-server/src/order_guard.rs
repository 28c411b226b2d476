//! The guard every order from outside the swarm passes (REST and MCP alike), inside the
//! account's session: oversight limits and a circuit breaker of the account's own, with the
//! swarm's thresholds, checked on the account as it is at that moment, after the exchange's
//! rules and before the matching engine places the order. An order that only reduces a
//! position (opposite side, no larger than it) skips the size limits and the breaker, so a
//! caller can always get out.
//!
//! Time is the feed's market time (the engine's clock): in a replay the "UTC day" of the
//! trade count and the breaker's windows and cool-down pass at the replay's pace. The
//! guard's counters start afresh when the session starts.

use coinswarm_core::exchange::{MatchingEngine, Order, OrderConfiguration, OrderId, OrderRequest};
use coinswarm_core::market::Side;
use coinswarm_core::swarm::{
    AccountSnapshot, CircuitBreaker, CircuitBreakerConfig, Oversight, OversightConfig, ProposedOrder,
};
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// The guard's limits (`[guard]` in the server config).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GuardConfig {
    /// Check orders placed through the API and MCP. Default true; turning it off leaves only
    /// the exchange's own validation (balance, size, price rules).
    pub enabled: bool,
    /// Exposure, order size, trade pace, daily loss and drawdown limits (the swarm's defaults).
    pub oversight: OversightConfig,
    /// Equity-loss and price-move trips and the cool-down after one (the swarm's thresholds,
    /// with `auto_close` on: after the cool-down orders pass again as probes, and any trip
    /// condition re-opens it).
    pub breaker: CircuitBreakerConfig,
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            oversight: OversightConfig::default(),
            breaker: CircuitBreakerConfig { auto_close: true, ..CircuitBreakerConfig::default() },
        }
    }
}

/// Why the guard refused an order: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct GuardRejection {
    /// `OVERSIGHT_BREACH`, `BREAKER_OPEN` or `SWARM_HALTED`.
    pub code: &'static str,
    pub message: String,
}

/// An account's oversight and breaker state.
#[derive(Debug)]
pub struct OrderGuard {
    enabled: bool,
    oversight: Oversight,
    breaker: CircuitBreaker,
}

impl OrderGuard {
    pub fn new(config: &GuardConfig) -> Self {
        Self {
            enabled: config.enabled,
            oversight: Oversight::new(config.oversight),
            breaker: CircuitBreaker::new(config.breaker),
        }
    }

    /// Passes `request` at `now` against the account in `engine`, or says why not. The
    /// exchange's own checks come first (the caller runs them).
    pub fn check(&self, engine: &MatchingEngine, request: &OrderRequest, now: Timestamp) -> Result<(), GuardRejection> {
        self.check_excluding(engine, request, now, None)
    }

    /// Passes an order the engine has already accepted (the swarm's, in live mode) before it
    /// is sent to the venue: the same checks, with the order itself left out of the resting
    /// exposure.
    pub fn check_placed(&self, engine: &MatchingEngine, order: &Order, now: Timestamp) -> Result<(), GuardRejection> {
        let request = OrderRequest {
            client_order_id: order.client_order_id.clone(),
            product_id: order.product_id,
            side: order.side,
            order_configuration: order.order_configuration.clone(),
        };
        self.check_excluding(engine, &request, now, Some(order.order_id))
    }

    fn check_excluding(
        &self,
        engine: &MatchingEngine,
        request: &OrderRequest,
        now: Timestamp,
        exclude: Option<OrderId>,
    ) -> Result<(), GuardRejection> {
        if !self.enabled {
            return Ok(());
        }
        let account = engine.account();
        let last = engine.last_price(request.product_id).unwrap_or_default();
        let held = account.positions().get(&request.product_id).map_or(Decimal::ZERO, |p| p.size);
        let size = base_size(request, last);
        let reduces = match request.side {
            Side::Buy => held < Decimal::ZERO && size.is_some_and(|s| s <= -held),
            Side::Sell => held > Decimal::ZERO && size.is_some_and(|s| s <= held),
        };
        let snapshot = snapshot(engine, request);
        if reduces {
            // Valued at the last price, so oversight sees it reduce the position.
            let notional = size.unwrap_or_default().saturating_mul(last);
            let order = ProposedOrder::new(request.product_id, request.side, notional);
            return self.oversight.check(now, &order, &snapshot).map_err(breach);
        }
        if !self.breaker.allows_trading(now) {
            let until =
                self.breaker.cooldown_ends_at().map(|t| format!(" until {}", t.to_rfc3339())).unwrap_or_default();
            let why = self.breaker.trips().next_back().map(|(_, reason)| format!(": {reason}")).unwrap_or_default();
            return Err(GuardRejection {
                code: "BREAKER_OPEN",
                message: format!("the circuit breaker is open{until}{why}; only orders that reduce a position pass"),
            });
        }
        // Resting orders on the same side count as exposure already taken.
        let pending = pending_exposure(engine, request, exclude);
        let snapshot = AccountSnapshot::new(
            snapshot.equity,
            snapshot.position_value.saturating_add(pending),
            snapshot.open_positions,
        );
        let order = ProposedOrder::new(request.product_id, request.side, notional(engine, request));
        self.oversight.check(now, &order, &snapshot).map_err(breach)
    }

    /// Counts an accepted order in the day's trades (as oversight counts the swarm's).
    pub fn record_order(&mut self, now: Timestamp) {
        if self.enabled {
            self.oversight.record_trade(now);
        }
    }

    /// Feeds the account's equity and prices after a batch.
    pub fn observe(&mut self, engine: &MatchingEngine, now: Timestamp) {
        if !self.enabled {
            return;
        }
        let equity = equity(engine);
        self.oversight.observe_equity(now, equity);
        self.breaker.observe_equity(now, equity);
        for product in engine.products() {
            if let Some(price) = engine.last_price(product.product_id).and_then(|p| p.to_f64()) {
                self.breaker.observe_price(now, product.product_id, price);
            }
        }
    }

    /// The breaker's state at `now`: `CLOSED`, `OPEN` or `HALF_OPEN`.
    pub fn breaker_state(&self, now: Timestamp) -> &'static str {
        self.breaker.state(now).as_str()
    }
}

fn breach(rejection: coinswarm_core::swarm::OversightRejection) -> GuardRejection {
    GuardRejection { code: "OVERSIGHT_BREACH", message: format!("oversight refused the order: {rejection}") }
}

/// Cash in the quote currency plus every position at its last price.
pub(crate) fn equity(engine: &MatchingEngine) -> Decimal {
    let account = engine.account();
    let cash = engine.products().first().map(|p| account.balance(p.quote()).total()).unwrap_or_default();
    let held: Decimal = account
        .positions()
        .iter()
        .filter(|(_, position)| !position.size.is_zero())
        .map(|(product_id, position)| {
            engine.last_price(*product_id).map_or(Decimal::ZERO, |m| position.size.saturating_mul(m))
        })
        .fold(Decimal::ZERO, Decimal::saturating_add);
    cash.saturating_add(held)
}

fn snapshot(engine: &MatchingEngine, request: &OrderRequest) -> AccountSnapshot {
    let account = engine.account();
    let position_value = account.positions().get(&request.product_id).map_or(Decimal::ZERO, |p| {
        engine.last_price(request.product_id).map_or(Decimal::ZERO, |m| p.size.saturating_mul(m))
    });
    let open_positions = account.positions().values().filter(|p| !p.size.is_zero()).count();
    AccountSnapshot::new(equity(engine), position_value, open_positions)
}

/// The signed value of the account's live orders on the request's product and side: what
/// they add to the position if they fill (at their limit price, or the last price).
fn pending_exposure(engine: &MatchingEngine, request: &OrderRequest, exclude: Option<OrderId>) -> Decimal {
    let last = engine.last_price(request.product_id).unwrap_or_default();
    let total = engine
        .account()
        .orders()
        .filter(|o| o.product_id == request.product_id && o.side == request.side && o.status.is_live())
        .filter(|o| Some(o.order_id) != exclude)
        .map(|o| {
            let price = o.order_configuration.limit_price().unwrap_or(last);
            o.remaining_base().unwrap_or_default().saturating_mul(price)
        })
        .fold(Decimal::ZERO, Decimal::saturating_add);
    match request.side {
        Side::Buy => total,
        Side::Sell => -total,
    }
}

/// The order's base size: given, or a market order's quote size at the last price.
fn base_size(request: &OrderRequest, last: Decimal) -> Option<Decimal> {
    match &request.order_configuration {
        OrderConfiguration::MarketMarketIoc(market) => {
            market.base_size.or_else(|| market.quote_size.filter(|_| !last.is_zero()).and_then(|q| q.checked_div(last)))
        }
        other => other.base_size(),
    }
}

/// The order's value in quote currency: size × limit price, the quote size of a market
/// order, or its base size at the last price (saturating: a huge size cannot overflow).
pub fn notional(engine: &MatchingEngine, request: &OrderRequest) -> Decimal {
    let price = engine.last_price(request.product_id).unwrap_or_default();
    match &request.order_configuration {
        OrderConfiguration::MarketMarketIoc(market) => {
            market.quote_size.or_else(|| market.base_size.map(|size| size.saturating_mul(price))).unwrap_or_default()
        }
        other => other.base_size().unwrap_or_default().saturating_mul(other.limit_price().unwrap_or_default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coinswarm_core::exchange::{ExchangeConfig, LimitGtc, MarketIoc};
    use coinswarm_core::market::{Currency, Product, ProductId, Quote};

    fn btc() -> ProductId {
        ProductId::parse("BTC-USD").unwrap()
    }

    /// An account with 100,000 USD on a market quoted 20,000 / 20,010.
    fn engine() -> MatchingEngine {
        let mut engine = MatchingEngine::new(ExchangeConfig::default()).unwrap();
        engine.list_product(Product::spot(btc())).unwrap();
        engine.deposit(Currency::new("USD").unwrap(), Decimal::from(100_000), Timestamp::from_millis(0)).unwrap();
        engine
            .on_quote(&Quote::new(btc(), Timestamp::from_millis(1_000), Decimal::from(20_000), Decimal::from(20_010)))
            .unwrap();
        engine
    }

    fn market_buy(quote_size: i64) -> OrderRequest {
        OrderRequest {
            client_order_id: None,
            product_id: btc(),
            side: Side::Buy,
            order_configuration: OrderConfiguration::MarketMarketIoc(MarketIoc {
                base_size: None,
                quote_size: Some(Decimal::from(quote_size)),
            }),
        }
    }

    fn limit_sell(base_size: &str, price: i64) -> OrderRequest {
        OrderRequest {
            client_order_id: None,
            product_id: btc(),
            side: Side::Sell,
            order_configuration: OrderConfiguration::LimitLimitGtc(LimitGtc {
                base_size: base_size.parse().unwrap(),
                limit_price: Decimal::from(price),
                post_only: false,
            }),
        }
    }

    #[test]
    fn an_order_within_every_limit_passes_and_one_beyond_the_order_notional_limit_is_refused_with_the_breach() {
        let guard = OrderGuard::new(&GuardConfig::default());
        let engine = engine();
        let now = engine.now();
        guard.check(&engine, &market_buy(5_000), now).unwrap();
        let refused = guard.check(&engine, &market_buy(30_000), now).unwrap_err();
        assert_eq!(refused.code, "OVERSIGHT_BREACH");
        assert!(refused.message.contains("order notional 30000 exceeds the maximum 25000"), "{}", refused.message);
        // 25% of equity in one product: 26,000 is beyond it even under the notional limit.
        let config = GuardConfig {
            oversight: OversightConfig { max_order_notional: Decimal::from(1_000_000), ..OversightConfig::default() },
            ..GuardConfig::default()
        };
        let refused = OrderGuard::new(&config).check(&engine, &market_buy(26_000), now).unwrap_err();
        assert!(refused.message.contains("position"), "{}", refused.message);
    }

    #[test]
    fn an_open_breaker_refuses_new_risk_but_lets_a_position_be_reduced() {
        let mut guard = OrderGuard::new(&GuardConfig::default());
        let mut engine = engine();
        engine.submit(market_buy(20_000), engine.now()).unwrap();
        guard.record_order(engine.now());
        guard.observe(&engine, engine.now());
        // The price falls 20% within the breaker's window: equity loss and price move trip it.
        let later = Timestamp::from_millis(30_000);
        engine.on_quote(&Quote::new(btc(), later, Decimal::from(16_000), Decimal::from(16_010))).unwrap();
        guard.observe(&engine, later);
        assert_eq!(guard.breaker_state(later), "OPEN");
        let refused = guard.check(&engine, &market_buy(1_000), later).unwrap_err();
        assert_eq!(refused.code, "BREAKER_OPEN");
        assert!(refused.message.contains("only orders that reduce a position pass"), "{}", refused.message);
        guard.check(&engine, &limit_sell("0.5", 16_000), later).unwrap();
    }

    #[test]
    fn a_disabled_guard_leaves_only_the_exchange_rules() {
        let guard = OrderGuard::new(&GuardConfig { enabled: false, ..GuardConfig::default() });
        let engine = engine();
        guard.check(&engine, &market_buy(90_000), engine.now()).unwrap();
    }

    #[test]
    fn an_order_already_accepted_for_the_venue_is_checked_without_counting_itself_twice() {
        let guard = OrderGuard::new(&GuardConfig::default());
        let mut engine = engine();
        engine.set_execution(coinswarm_core::exchange::Execution::Venue);
        let limit_buy = |size: &str| OrderRequest {
            client_order_id: None,
            product_id: btc(),
            side: Side::Buy,
            order_configuration: OrderConfiguration::LimitLimitGtc(LimitGtc {
                base_size: size.parse().unwrap(),
                limit_price: Decimal::from(20_000),
                post_only: false,
            }),
        };
        // 20,000 of exposure (20% of equity): within the 25% limit on its own...
        let small = engine.submit(limit_buy("1"), engine.now()).unwrap().clone();
        guard.check_placed(&engine, &small, engine.now()).unwrap();
        // ...but a second one on top of it, resting, is 40%: refused before it leaves.
        let second = engine.submit(limit_buy("1"), engine.now()).unwrap().clone();
        let refused = guard.check_placed(&engine, &second, engine.now()).unwrap_err();
        assert_eq!(refused.code, "OVERSIGHT_BREACH", "{}", refused.message);
        // Beyond the per-order limit on its own.
        let big = engine.submit(limit_buy("1.3"), engine.now()).unwrap().clone();
        let refused = guard.check_placed(&engine, &big, engine.now()).unwrap_err();
        assert_eq!(refused.code, "OVERSIGHT_BREACH", "{}", refused.message);
    }
}
