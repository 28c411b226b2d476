//! Admission: the account's pre-trade gate, and the single path an order from outside the
//! swarm takes into the engine (halted? the exchange's rules, then the gate, checked once).

use super::Session;
use super::order_origin::{OrderPreview, PreviewRejection};
use super::protocol::{SessionError, error_code};
use crate::adapters::store::{AccountLog, EpisodeStore};
use coinswarm_core::exchange::{Admission, Fill, Order, OrderConfiguration, OrderRequest};
use coinswarm_core::ledger::EventKind;
use coinswarm_core::market::Side;
use coinswarm_core::risk::valuation::{last_prices, value_account};
use coinswarm_core::risk::{PreTradeGate, Refusal, TradingState, fees, notional};
use coinswarm_core::swarm::Swarm;
use coinswarm_core::time::Timestamp;
use rust_decimal::prelude::ToPrimitive;

impl<L: AccountLog> Session<L> {
    /// The account's pre-trade gate: the swarm's when it has one.
    pub(super) fn gate(&self) -> &PreTradeGate {
        self.swarm.as_ref().map_or(&self.own_gate, Swarm::gate)
    }

    pub(super) fn gate_mut(&mut self) -> &mut PreTradeGate {
        match &mut self.swarm {
            Some(swarm) => swarm.gate_mut(),
            None => &mut self.own_gate,
        }
    }

    /// Places an order from outside the swarm: a halted account takes none, then the
    /// exchange's rules (valid and funded?), then the pre-trade gate (is the risk allowed?)
    /// before the engine accepts it. Nothing is accepted that the gate refuses.
    /// The order, and whether it repeats an earlier `client_order_id` (then it is the earlier
    /// order, checked and recorded nowhere again).
    pub(super) fn submit(&mut self, request: OrderRequest, now: Timestamp) -> Result<(Order, bool), SessionError> {
        if self.gate().trading_state(now) == TradingState::Halted {
            return Err(SessionError::Blocked(Refusal::Halted));
        }
        let gate = self.swarm.as_ref().map_or(&self.own_gate, Swarm::gate);
        let submitted = self.engine.submit_gated(request, now, |engine, request| {
            gate.check_request(engine, request, now).map_err(SessionError::from)
        })?;
        Ok((submitted.order.clone(), submitted.repeated))
    }

    /// Every check [`Session::submit`] makes, placing nothing.
    pub(super) fn admit(&self, request: &OrderRequest, now: Timestamp) -> Result<Admission, SessionError> {
        if self.gate().trading_state(now) == TradingState::Halted {
            return Err(SessionError::Blocked(Refusal::Halted));
        }
        let admission = self.engine.preview(request)?;
        self.gate().check_request(&self.engine, request, now)?;
        Ok(admission)
    }

    pub(super) fn preview(&self, request: &OrderRequest, now: Timestamp) -> OrderPreview {
        let notional = notional(request, self.engine.last_price(request.product_id).unwrap_or_default());
        // A market buy's quote size includes its fee; otherwise the fee comes on top.
        let includes_fee = request.side == Side::Buy
            && matches!(&request.order_configuration, OrderConfiguration::MarketMarketIoc(m) if m.quote_size.is_some());
        let fee = fees::estimated_taker_fee(notional, self.engine.config().taker_fee_bps, includes_fee);
        let mut preview = OrderPreview {
            accepted: false,
            rejection: None,
            hold_currency: None,
            hold_amount: None,
            notional,
            estimated_fee: fee.round_dp(8),
            last_price: self.engine.last_price(request.product_id),
            breaker: self.gate().breaker().state(now).as_str(),
        };
        match self.admit(request, now) {
            Ok(admission) => {
                preview.accepted = true;
                preview.hold_currency = Some(admission.hold_currency);
                preview.hold_amount = Some(admission.hold_amount);
            }
            Err(err) => preview.rejection = Some(PreviewRejection { code: error_code(&err), message: err.to_string() }),
        }
        preview
    }
}

impl<L: AccountLog + EpisodeStore> Session<L> {
    /// The gate of an account without a swarm, at the end of a batch, before it is stored (a
    /// swarm guards its own account at every decision): the batch's closing trades feed the
    /// breaker's losing streak, the gate sees the equity and prices, and on a breach (breaker,
    /// daily loss, drawdown) it cancels the working buys, each with the reason, recorded in
    /// the audit log too.
    pub(super) fn guard_own_account(&mut self) {
        if self.swarm.is_some() {
            return;
        }
        let now = self.engine.now();
        let fills: Vec<Fill> = self
            .engine
            .events()
            .iter()
            .filter_map(|event| match &event.kind {
                EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } => Some(fill.clone()),
                _ => None,
            })
            .collect();
        let mut tripped = self.own_gate.record_closing_trades(&self.engine, &fills, now);
        let equity = value_account(&self.engine, self.quote_currency, last_prices(&self.engine)).equity;
        let prices: Vec<_> = self
            .engine
            .products()
            .iter()
            .filter_map(|p| Some((p.product_id, self.engine.last_price(p.product_id)?.to_f64()?)))
            .collect();
        let drawdown = self.own_gate.observe(now, equity, prices, &mut tripped);
        for trip in &tripped {
            tracing::warn!(account = %self.account_id, "circuit breaker tripped: {trip}");
        }
        let cancelled = self.own_gate.protect(&mut self.engine, self.quote_currency, None, now);
        for event in drawdown.iter().chain(cancelled.iter()) {
            tracing::warn!(account = %self.account_id, "{event}");
            let record = serde_json::json!({
                "time": now.millis(),
                "kind": "external_risk",
                "origin": {"channel": "gate"},
                "event": event,
            });
            self.origins.push((now.millis(), record.to_string()));
        }
        self.route_venue_requests(now, false);
    }
}
