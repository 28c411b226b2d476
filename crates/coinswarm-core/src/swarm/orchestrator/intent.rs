//! From a decided action to orders on the exchange: guards, sizing, execution style, slices.

use super::Swarm;
use super::record::OrderRecord;
use crate::exchange::{MatchingEngine, OrderRequest};
use crate::market::Side;
use crate::risk::valuation::{Valuation, snapshot};
use crate::risk::{Breach, ProposedOrder, Refusal, TradingState, fees};
use crate::swarm::agents::{ExecutionAgent, OrderStyle};
use crate::swarm::observation::Observation;
use crate::swarm::portfolio::PortfolioView;
use crate::swarm::vote::{Action, AgentKind};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

/// What trying to act on a decision produced.
#[derive(Debug, Default)]
pub(super) struct Attempt {
    pub order: Option<OrderRecord>,
    pub breaches: Vec<Breach>,
    /// Why no order was sent: a short key for the summary, and the words for the log.
    pub skipped: Option<(&'static str, String)>,
}

impl Attempt {
    fn skipped(kind: &'static str, reason: impl Into<String>) -> Self {
        Self { skipped: Some((kind, reason.into())), ..Self::default() }
    }
}

impl Swarm {
    /// Turns `action` into an order intent, through the breaker, oversight and the
    /// execution agent, and sends it. `size`: the committee's fraction of equity.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn trade(
        &mut self,
        engine: &mut MatchingEngine,
        action: Action,
        size: f64,
        protective_exit: bool,
        observation: &Observation,
        now: Timestamp,
        equity: Decimal,
        portfolio: &PortfolioView,
    ) -> Attempt {
        let side = match action {
            Action::Buy => Side::Buy,
            Action::Sell => Side::Sell,
            Action::Hold => return Attempt::default(),
        };
        match self.gate.trading_state(now) {
            TradingState::Halted => return Attempt::skipped("halted", "emergency shutdown: no orders"),
            // Spot: a buy never reduces a position.
            TradingState::ReducingOnly if side == Side::Buy => {
                let state = self.gate.breaker().state(now);
                return Attempt::skipped("breaker", format!("circuit breaker {}: no new exposure", state.as_str()));
            }
            _ => {}
        }
        let product = self.product.clone();
        let price = observation.close;
        let Some(price_decimal) = Decimal::from_f64(price).filter(|p| *p > Decimal::ZERO) else {
            return Attempt::skipped("no_price", "no usable price");
        };
        // A fresh intent replaces whatever the swarm left working on this product; cancel
        // first, so that sizing sees the funds those orders were holding.
        Self::cancel_live_orders(engine, product.product_id, now, None);
        let account = engine.account();
        let base_available = account.balance(product.base()).available;
        let cash = account.balance(product.quote()).available;
        let valuation = Valuation { equity, open_positions: portfolio.open_positions };
        let snapshot = snapshot(engine, product.product_id, price_decimal, valuation);

        let (base_size, notional) = match side {
            Side::Buy => {
                let hedge = &self.config.hedge;
                let risk_fraction = hedge.position_size_for_risk(portfolio.equity, price, hedge.stop_price(price));
                if risk_fraction <= 0.0 {
                    return Attempt::skipped("reward_risk", "hedge: reward/risk below the minimum or no stop distance");
                }
                let fraction = size.min(self.config.orchestrator.max_order_fraction).min(risk_fraction);
                let wanted = Decimal::from_f64(fraction).unwrap_or_default() * equity;
                let fee_factor = Decimal::ONE + fees::taker_rate(self.config.exchange.taker_fee_bps);
                let cap = self.gate.oversight().max_order_notional(Side::Buy, &snapshot).min(cash / fee_factor);
                let notional = round_down(wanted.min(cap), product.quote_increment);
                (round_down(notional / price_decimal, product.base_increment), notional)
            }
            Side::Sell => {
                if base_available.is_zero() {
                    return Attempt::skipped("no_position", "no position to sell");
                }
                let base = if protective_exit {
                    base_available
                } else {
                    let wanted = Decimal::from_f64(size).unwrap_or_default() * equity / price_decimal;
                    round_down(wanted.min(base_available), product.base_increment)
                };
                (base, round_down(base * price_decimal, product.quote_increment))
            }
        };
        if base_size < product.base_min_size || notional < product.quote_min_size {
            let why = format!("order of {base_size} {} is below the product minimum", product.base());
            return Attempt::skipped("below_minimum", why);
        }
        match self.gate.check(now, &ProposedOrder::new(product.product_id, side, notional), &snapshot) {
            Ok(()) => {}
            Err(Refusal::Oversight(rejection)) => {
                return Attempt { breaches: rejection.breaches, ..Attempt::default() };
            }
            Err(refusal) => return Attempt::skipped("gate", refusal.to_string()),
        }

        let Some(execution) = self.agents.get::<ExecutionAgent>(AgentKind::Execution) else {
            return Attempt::skipped("no_execution_agent", "the swarm holds no execution agent to plan the order");
        };
        let mut plan = execution.plan(side, crate::market::decimal_to_f64(base_size), observation);
        if protective_exit {
            // A stop-loss or take-profit exit must not wait on a limit: it takes the market.
            plan.style = OrderStyle::Market;
        }
        // The daily limit counts orders: a decision split into slices spends one per slice,
        // so it is split no finer than the day still allows (the gate passed at least one).
        let slices = plan.slices.max(1).min(self.gate.orders_left_today(now).max(1));
        let limit_price = match plan.style {
            OrderStyle::Market => None,
            OrderStyle::Limit { price_offset_bps } => {
                let offset = Decimal::from_f64(price_offset_bps / 10_000.0).unwrap_or_default();
                let mid = observation.bid.zip(observation.ask).map_or(price, |(b, a)| (b + a) / 2.0);
                let mid = Decimal::from_f64(mid).unwrap_or(price_decimal);
                let limit = match side {
                    Side::Buy => round_down(mid * (Decimal::ONE - offset), product.quote_increment),
                    Side::Sell => round_up(mid * (Decimal::ONE + offset), product.quote_increment),
                };
                Some(limit)
            }
        };
        let slice_base = round_down(base_size / Decimal::from(slices), product.base_increment);
        let slice_quote = round_down(notional / Decimal::from(slices), product.quote_increment);
        let mut results = Vec::with_capacity(slices as usize);
        for slice in 0..slices {
            // Equal slices, the last one taking what rounding left.
            let last = slice + 1 == slices;
            let rest = Decimal::from(slices - 1);
            let (slice_base, slice_quote) = if last {
                (base_size - slice_base * rest, notional - slice_quote * rest)
            } else {
                (slice_base, slice_quote)
            };
            let request = match (limit_price, side) {
                (Some(limit), _) => OrderRequest::limit(product.product_id, side, slice_base, limit),
                (None, Side::Buy) => OrderRequest::market_quote(product.product_id, side, slice_quote),
                (None, Side::Sell) => OrderRequest::market(product.product_id, side, slice_base),
            };
            let result = match engine.submit(request, now) {
                Ok(order) => {
                    self.gate.record_order(now);
                    format!("{} {}", order.order_id, order.status)
                }
                Err(rejection) => {
                    self.summary.rejected_orders += 1;
                    format!("{}: {rejection}", rejection.code())
                }
            };
            self.summary.orders += 1;
            results.push(result);
        }
        let order = OrderRecord { side, style: plan.style, base_size, notional, limit_price, slices, results };
        Attempt { order: Some(order), ..Attempt::default() }
    }
}

fn round_down(value: Decimal, increment: Decimal) -> Decimal {
    if increment.is_zero() { value } else { (value / increment).floor() * increment }
}

fn round_up(value: Decimal, increment: Decimal) -> Decimal {
    if increment.is_zero() { value } else { (value / increment).ceil() * increment }
}
