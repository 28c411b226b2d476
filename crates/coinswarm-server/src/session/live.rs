//! The live account's side of venue execution: every order the engine leaves for the venue
//! passed the account's pre-trade gate before the engine accepted it, and is recorded in the
//! account's audit log in the batch's commit, and only then is it sent; every report from Coinbase is folded into the engine and recorded too.

use super::{Reply, Session, SessionError};
use crate::adapters::store::{AccountLog, EpisodeStore};
use coinswarm_core::exchange::{Order, OrderId, VenueOrderState, VenueRequest};
use coinswarm_core::market::Currency;
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// What a live session asks of its venue (the Coinbase task).
#[derive(Debug, Clone)]
pub enum VenueCall {
    /// Place an order the session accepted, passed and recorded.
    Place(Box<Order>),
    /// An order sent before a restart without an answer: looked up first, then sent again
    /// (same client order id) while young enough.
    Confirm(Box<Order>),
    Cancel(OrderId),
    /// Follow an order Coinbase already has (after a restart).
    Track {
        order_id: OrderId,
        venue_order_id: String,
    },
}

/// What the venue said, for the session to record.
#[derive(Debug, Clone, PartialEq)]
pub enum VenueReport {
    /// Coinbase took the order under this id.
    Routed { order_id: OrderId, venue_order_id: String },
    /// Coinbase refused it, or does not have it after `resend_window_ms` without an answer.
    Refused { order_id: OrderId, code: String, message: String },
    /// No answer yet: the order is sent again (same client order id) at the next poll.
    Unconfirmed { order_id: OrderId, reason: String },
    /// The order's cumulative state changed.
    State { order_id: OrderId, state: VenueOrderState },
    /// Coinbase refused a cancellation, or could not be asked; it is asked again at the next
    /// poll while the order works.
    CancelRefused { order_id: OrderId, reason: String },
    /// Total (available + held) balance per currency, read when no fill was in flight.
    Balances(Vec<(String, Decimal)>),
}

/// A live account's link to its venue task.
#[derive(Debug)]
pub struct LiveLink {
    pub calls: mpsc::UnboundedSender<VenueCall>,
    /// The venue's total balances at start.
    pub balances: Vec<(String, Decimal)>,
}

/// The session's live state.
#[derive(Debug)]
pub(super) struct Live {
    calls: mpsc::UnboundedSender<VenueCall>,
    /// Calls to send once this batch is stored.
    outgoing: Vec<VenueCall>,
    /// Orders from outside waiting for the venue's answer before theirs.
    awaiting: HashMap<OrderId, oneshot::Sender<Result<Order, SessionError>>>,
    /// Live orders whose latest report did not fit (refused): their fills may be at the
    /// venue and not here, so balances wait.
    unfit: std::collections::HashSet<OrderId>,
}

impl Live {
    pub(super) fn new(link: &LiveLink) -> Self {
        Self { calls: link.calls.clone(), outgoing: Vec::new(), awaiting: HashMap::new(), unfit: Default::default() }
    }

    /// Holds an outside order's answer until the venue took or refused it.
    pub(super) fn await_venue(&mut self, order_id: OrderId, reply: oneshot::Sender<Result<Order, SessionError>>) {
        self.awaiting.insert(order_id, reply);
    }
}

impl<L: AccountLog + EpisodeStore> Session<L> {
    /// At start, live orders carry on: followed when the venue had them, confirmed
    /// (looked up, then sent again with the same client order id while young enough) when
    /// it never answered, and their pending cancellations asked again. The venue's balances
    /// become the account's at once only when no order is live: otherwise fills made while
    /// the server was down are not folded in yet, and the venue task reports balances once
    /// they are.
    pub(super) fn resume_live(&mut self, link: &LiveLink, now: Timestamp) {
        let live: Vec<Order> = self.engine.account().orders().filter(|o| o.status.is_live()).cloned().collect();
        if live.is_empty() {
            self.reconcile(&link.balances, now);
        }
        for order in live {
            let order_id = order.order_id;
            let cancel = order.cancel_requested;
            let call = match &order.venue_order_id {
                Some(venue_order_id) => VenueCall::Track { order_id, venue_order_id: venue_order_id.clone() },
                None => VenueCall::Confirm(Box::new(order)),
            };
            if let Some(live) = &mut self.live {
                // The cancellation first: an unconfirmed order it applies to is then never
                // sent again.
                if cancel {
                    live.outgoing.push(VenueCall::Cancel(order_id));
                }
                live.outgoing.push(call);
            }
        }
    }

    /// Records and queues what the engine left for the venue during one command. Every order
    /// here passed the account's pre-trade gate before the engine accepted it (the swarm's in
    /// the swarm, those from outside on arrival): nothing is accepted and then unwound.
    /// `from_outside`: the command was an order from outside the swarm.
    pub(super) fn route_venue_requests(&mut self, now: Timestamp, from_outside: bool) {
        if self.live.is_none() {
            return;
        }
        for request in self.engine.drain_venue_requests() {
            match request {
                VenueRequest::Place(order_id) => {
                    let Some(order) = self.engine.account().order(order_id).cloned() else { continue };
                    let source = if from_outside { "api" } else { "swarm" };
                    let body = coinswarm_coinbase::orders::create_order_body(&order);
                    self.record_live(now, "live_order", order_id, json!({"source": source, "request": body}));
                    if let Some(live) = &mut self.live {
                        live.outgoing.push(VenueCall::Place(Box::new(order)));
                    }
                }
                VenueRequest::Cancel(order_id) => {
                    self.record_live(now, "live_cancel", order_id, json!({}));
                    if let Some(live) = &mut self.live {
                        live.outgoing.push(VenueCall::Cancel(order_id));
                    }
                }
            }
        }
    }

    /// Sends this batch's calls to the venue task (after the batch is stored). When the task
    /// has stopped (the server is stopping), a caller waiting for its order's answer gets
    /// the order as it stands, unconfirmed: the next start confirms it.
    pub(super) fn send_venue_calls(&mut self) {
        if let Some(live) = &mut self.live {
            for call in live.outgoing.drain(..) {
                if let Err(unsent) = live.calls.send(call) {
                    tracing::error!(account = %self.account_id, "the Coinbase venue task has stopped: a live request waits for the next start");
                    if let VenueCall::Place(order) = unsent.0
                        && let Some(reply) = live.awaiting.remove(&order.order_id)
                    {
                        let _ = reply.send(Ok(*order));
                    }
                }
            }
        }
    }

    /// Folds one of Coinbase's reports into the account and records it.
    pub(super) fn apply_venue_report(&mut self, report: VenueReport, now: Timestamp, replies: &mut Vec<Reply>) {
        match report {
            VenueReport::Routed { order_id, venue_order_id } => {
                let result = self.engine.venue_routed(order_id, &venue_order_id, now);
                self.record_live(now, "live_report", order_id, json!({"routed": venue_order_id}));
                if let Err(err) = result {
                    tracing::warn!(%order_id, "Coinbase took an order that is no longer live here: {err}");
                }
                self.answer_awaiting(order_id, None, replies);
            }
            VenueReport::Refused { order_id, code, message } => {
                let _ = self.engine.venue_failed(order_id, &format!("{code}: {message}"), now);
                self.record_live(now, "live_report", order_id, json!({"refused": code, "message": message}));
                self.answer_awaiting(order_id, Some(SessionError::Venue { code, message }), replies);
            }
            VenueReport::Unconfirmed { order_id, reason } => {
                self.record_live(now, "live_report", order_id, json!({"unconfirmed": reason}));
                self.answer_awaiting(order_id, None, replies);
            }
            VenueReport::State { order_id, state } => match self.engine.venue_update(order_id, &state, now) {
                Ok(update) => {
                    if let Some(live) = &mut self.live {
                        live.unfit.remove(&order_id);
                    }
                    if let Some((currency, amount)) = update.shortfall {
                        tracing::warn!(%order_id, %currency, %amount, "Coinbase charged more than was held and available; the shortfall is deposited until the next balance check");
                    }
                    if update.fill.is_some() || update.ended.is_some() {
                        let detail = json!({"state": state, "fill": update.fill, "ended": update.ended});
                        self.record_live(now, "live_report", order_id, detail);
                    }
                }
                Err(err) => {
                    tracing::error!(%order_id, "Coinbase's report does not fit the order: {err}");
                    self.record_live(now, "live_report", order_id, json!({"state": state, "refused": err.to_string()}));
                    if let Some(live) = &mut self.live {
                        live.unfit.insert(order_id);
                    }
                    // An order Coinbase has ended must end here too, or its hold stays.
                    if state.status != coinswarm_core::exchange::VenueStatus::Working {
                        if let Some(live) = &mut self.live {
                            live.unfit.remove(&order_id);
                        }
                        let reason =
                            format!("Coinbase reported it {:?} with figures that do not fit: {err}", state.status);
                        let _ = self.engine.venue_failed(order_id, &reason, now);
                    }
                }
            },
            VenueReport::CancelRefused { order_id, reason } => {
                self.record_live(now, "live_report", order_id, json!({"cancel_refused": reason}));
            }
            VenueReport::Balances(balances) => self.reconcile(&balances, now),
        }
    }

    /// Sets the listed currencies' total balances to the venue's (read when no fill was in
    /// flight). It waits while a market order is live (its fills are folded in when it ends)
    /// or a report did not fit: their fills may be in the venue's figures and not here.
    fn reconcile(&mut self, balances: &[(String, Decimal)], now: Timestamp) {
        let market_live = self.engine.account().orders().any(|o| {
            o.status.is_live()
                && matches!(o.order_configuration, coinswarm_core::exchange::OrderConfiguration::MarketMarketIoc(_))
        });
        if market_live || self.live.as_ref().is_some_and(|live| !live.unfit.is_empty()) {
            return;
        }
        let mut currencies: Vec<Currency> =
            self.engine.products().iter().flat_map(|p| [p.product_id.base, p.product_id.quote]).collect();
        currencies.sort();
        currencies.dedup();
        for currency in currencies {
            let total = balances
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(currency.as_str()))
                .map_or(Decimal::ZERO, |(_, a)| *a);
            match self.engine.venue_reconcile(currency, total, now) {
                Ok(delta) if !delta.is_zero() => {
                    let record = json!({"time": now.millis(), "kind": "live_balance", "venue": "coinbase",
                        "currency": currency, "total": total, "change": delta});
                    self.origins.push((now.millis(), record.to_string()));
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(%currency, "balance not reconciled with Coinbase: {err}"),
            }
        }
    }

    fn answer_awaiting(&mut self, order_id: OrderId, error: Option<SessionError>, replies: &mut Vec<Reply>) {
        let Some(reply) = self.live.as_mut().and_then(|live| live.awaiting.remove(&order_id)) else { return };
        let result = match error {
            Some(error) => Err(error),
            None => self.engine.account().order(order_id).cloned().ok_or_else(|| {
                SessionError::Rejected(coinswarm_core::exchange::Rejection::UnknownOrder(order_id.to_string()))
            }),
        };
        replies.push((reply, result));
    }

    /// Adds a live request or report to this batch's audit records.
    fn record_live(&mut self, now: Timestamp, kind: &str, order_id: OrderId, detail: serde_json::Value) {
        let record =
            json!({"time": now.millis(), "kind": kind, "venue": "coinbase", "order_id": order_id, "detail": detail});
        self.origins.push((now.millis(), record.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::store::SqlStore;
    use crate::clock::SystemClock;
    use crate::session::hub::Hub;
    use crate::session::{self, OrderOrigin, SessionSpec};
    use coinswarm_core::exchange::ExchangeConfig;
    use coinswarm_core::ledger::EventKind;
    use coinswarm_core::market::{Product, Quote};
    use coinswarm_core::risk::GateConfig;
    use coinswarm_core::swarm::{DecisionLog, Swarm, SwarmConfig};
    use coinswarm_core::synthetic::{RegimeKind, SyntheticConfig, generate};
    use std::sync::Arc;

    /// What the swarm trading live on a synthetic trend left behind.
    struct LiveRun {
        /// What it asked of the venue.
        calls: Vec<VenueCall>,
        /// The account's audit records.
        audit: Vec<serde_json::Value>,
        /// The account's event log.
        events: Vec<coinswarm_core::ledger::AccountEvent>,
        /// The swarm's decision records.
        decisions: Vec<serde_json::Value>,
    }

    async fn swarm_live(name: &str, guard: GateConfig) -> LiveRun {
        let dir = std::env::temp_dir().join(format!("coinswarm-live-session-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqlStore::open(&dir, SystemClock::shared()).await.unwrap();
        let market = generate(&SyntheticConfig::new(RegimeKind::Trending).with_bars(600).with_seed(42)).unwrap();
        let product = Product::spot(market.product_id);
        let mut config = SwarmConfig::default();
        config.circuit_breaker.auto_close = true;
        let swarm =
            Swarm::new(config, product.clone(), market.granularity, Some(DecisionLog::handing_out_records())).unwrap();
        let (calls, mut sent) = mpsc::unbounded_channel();
        let spec = SessionSpec {
            account_id: "swarm".into(),
            exchange: ExchangeConfig::default(),
            quote_currency: product.quote(),
            products: vec![product.clone()],
            initial_capital: Decimal::from(100_000),
            swarm: Some(swarm),
            max_batch: 64,
            hub: Arc::new(Hub::new(16, SystemClock::shared())),
            guard,
            live: Some(LiveLink { calls, balances: vec![("USD".into(), Decimal::from(100_000))] }),
            clock: SystemClock::shared(),
            learning: None,
        };
        let (handle, task) = session::start(spec, store.clone(), &[]).await.unwrap();
        let spread = Decimal::new(5, 2);
        for candle in &market.candles {
            let end = Timestamp::from_millis(candle.start.millis() + market.granularity.millis() - 1);
            handle.quote(Quote::new(product.product_id, end, candle.close - spread, candle.close + spread)).await;
            handle.bar_closed(*candle).await;
        }
        // Answered once every earlier command is stored.
        let operator = OrderOrigin { channel: "rest", key_id: "test".into(), client: None, tool: None };
        handle.halt(false, operator).await.unwrap();
        let audit = store.order_audit("swarm", 1000).await.unwrap();
        let events = store.load_events("swarm").await.unwrap();
        let decisions = store.recent_decisions("swarm", 1000).await.unwrap();
        drop(handle);
        task.await.unwrap();
        store.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
        let mut calls = Vec::new();
        while let Ok(call) = sent.try_recv() {
            calls.push(call);
        }
        let parse = |lines: Vec<String>| lines.iter().map(|line| serde_json::from_str(line).unwrap()).collect();
        LiveRun { calls, audit: parse(audit), events, decisions: parse(decisions) }
    }

    #[tokio::test]
    async fn the_swarms_own_orders_are_sent_only_after_they_pass_the_gate() {
        let run = swarm_live("passes", GateConfig::default()).await;
        let placed: Vec<OrderId> = run
            .calls
            .iter()
            .filter_map(|c| if let VenueCall::Place(o) = c { Some(o.order_id) } else { None })
            .collect();
        assert!(!placed.is_empty(), "the swarm trades the trend");
        for order_id in &placed {
            let recorded = run.audit.iter().any(|r| {
                r["kind"] == "live_order"
                    && r["order_id"] == order_id.to_string().as_str()
                    && r["detail"]["source"] == "swarm"
            });
            assert!(recorded, "every order sent was recorded as the swarm's first: {order_id}");
        }
    }

    #[tokio::test]
    async fn a_swarm_order_the_gate_refuses_never_reaches_the_venue_and_is_never_accepted() {
        // A daily trade budget of zero: every order the swarm proposes breaches it (sizing
        // cannot shrink an order under a count, as it does under a notional cap).
        let mut strict = GateConfig::default();
        strict.oversight.max_trades_per_day = 0;
        let run = swarm_live("refused", strict).await;
        assert!(!run.calls.iter().any(|c| matches!(c, VenueCall::Place(_))), "nothing sent");
        assert!(!run.audit.iter().any(|r| r["kind"] == "live_order"), "no order was handed to the venue");
        let accepted_or_failed = run
            .events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::OrderAccepted { .. } | EventKind::OrderFailed { .. }));
        assert_eq!(accepted_or_failed.count(), 0, "no order was accepted and then unwound");
        let refused: Vec<_> = run
            .decisions
            .iter()
            .filter(|d| d["oversight"].as_array().is_some_and(|breaches| !breaches.is_empty()))
            .collect();
        assert!(!refused.is_empty(), "the swarm's decisions record the gate's refusals");
        assert!(refused.iter().all(|d| d["order"].is_null()), "a refused decision sent no order: {}", refused[0]);
        let breach = &refused[0]["oversight"][0];
        assert_eq!(breach["kind"], "daily_trade_count", "the breach named: {breach}");
    }
}
