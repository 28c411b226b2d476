//! Admission: the account's pre-trade gate, and the single path an order from outside the
//! swarm takes into the engine (halted? the exchange's rules, then the gate, checked once).

use super::Session;
use super::order_origin::OrderPreview;
use super::protocol::SessionError;
use crate::adapters::store::{AccountLog, EpisodeStore};
use coinswarm_api::order_path;
use coinswarm_core::exchange::{Fill, Order, OrderRequest};
use coinswarm_core::ledger::EventKind;
use coinswarm_core::risk::PreTradeGate;
use coinswarm_core::risk::valuation::{last_prices, value_account};
use coinswarm_core::swarm::Swarm;
use coinswarm_core::time::Timestamp;
use rust_decimal::prelude::ToPrimitive;

impl<L: AccountLog> Session<L> {
    /// The account's pre-trade gate: the swarm's when it has one.
    pub(super) fn gate(&self) -> &PreTradeGate {
        self.swarm.as_ref().map_or(&self.own_gate, Swarm::gate)
    }

    /// Places an order from outside the swarm down the one order path
    /// ([`order_path::submit`]): halted? the exchange's rules, then the gate, checked once.
    /// The order, and whether it repeats an earlier `client_order_id`.
    pub(super) fn submit(&mut self, request: OrderRequest, now: Timestamp) -> Result<(Order, bool), SessionError> {
        let gate = match &mut self.swarm {
            Some(swarm) => swarm.gate_mut(),
            None => &mut self.own_gate,
        };
        let placed = order_path::submit(&mut self.engine, gate, request, now)?;
        Ok((placed.order, placed.repeated))
    }

    pub(super) fn preview(&self, request: &OrderRequest, now: Timestamp) -> OrderPreview {
        order_path::preview(&self.engine, self.gate(), request, now)
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
