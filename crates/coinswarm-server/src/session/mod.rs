//! Account sessions (Durable Object semantics): one task per account owns its matching
//! engine and applies every mutation in order. Commands are taken in batches; a batch's
//! events are committed to the account log ([`AccountLog`]) in one durable transaction, and
//! only then is any command of the batch acknowledged. Readers take the latest
//! [`AccountView`] snapshot and never wait for the writer.
//!
//! One file per seam: `protocol` (the commands, the handle that sends them, the errors),
//! `bootstrap` (rebuilding an account from its log and starting its task), `batch` (the
//! batch commit), `admission` (the pre-trade gate and the one path of an outside order),
//! `memory` (pattern memory's persistence), `learning` (the learned model's online
//! fine-tuning), `live` (the link to a live venue) and `view`
//! (the snapshots readers take); this file holds the session's state and applies commands.

mod admission;
mod batch;
mod bootstrap;
mod learning;
mod live;
mod memory;
mod order_origin;
mod protocol;
mod public_decision;
mod view;

pub mod hub;
pub use coinswarm_api::market_board as market;
pub use coinswarm_api::order_snapshot;
pub mod registry;

pub use bootstrap::{SessionSpec, start};
pub use learning::OnlineLearning;
pub use live::{LiveLink, VenueCall, VenueReport};
use protocol::Command;
pub use protocol::{RecallNow, SessionError, SessionHandle, SimilarNow, error_code};

use crate::clock::SharedClock;

/// The account the swarm trades.
pub const SWARM_ACCOUNT: &str = "swarm";
pub use order_origin::{OrderOrigin, OrderPreview, OrderRefusal, PreviewRejection};
pub use public_decision::hide_account_figures;
pub use view::{AccountView, BalanceView, PositionView, SwarmView};

use crate::adapters::store::{AccountLog, EpisodeStore};
use crate::session::hub::Hub;
use crate::session::order_snapshot::OrderSnapshot;
use coinswarm_core::exchange::{Fill, MatchingEngine, Order};
use coinswarm_core::ledger::{AccountEvent, EventKind};
use coinswarm_core::market::Currency;
use coinswarm_core::memory::Outcome;
use coinswarm_core::risk::{PreTradeGate, RiskEvent};
use coinswarm_core::swarm::Swarm;
use coinswarm_core::time::Timestamp;
use std::sync::Arc;
use tokio::sync::{broadcast, oneshot, watch};

/// Fills kept in an account's snapshot for `GET /api/trades`.
const RECENT_FILLS: usize = 1000;

struct Session<L: AccountLog> {
    account_id: String,
    engine: MatchingEngine,
    swarm: Option<Swarm>,
    store: L,
    max_batch: usize,
    fills: imbl::Vector<Fill>,
    orders: OrderSnapshot,
    view: watch::Sender<Arc<AccountView>>,
    fill_tx: broadcast::Sender<Fill>,
    swarm_tx: watch::Sender<Option<Arc<SwarmView>>>,
    latest_decision: Option<serde_json::Value>,
    hub: Arc<Hub>,
    clock: SharedClock,
    /// The pre-trade gate of an account without a swarm (a swarm's account trades through
    /// the swarm's gate, built from the same limits): see [`Session::gate`].
    own_gate: PreTradeGate,
    /// The currency the account's equity is counted in.
    quote_currency: Currency,
    /// This batch's records of orders from outside the swarm and of live requests and
    /// reports (JSON lines, with their time).
    origins: Vec<(i64, String)>,
    /// Live execution's state (`None`: paper).
    live: Option<live::Live>,
    /// Taken at the start of `run` to resume live orders.
    live_link: Option<LiveLink>,
    /// The learned model's fine-tuning (the swarm's account, with a model and
    /// `learned.online.enabled`).
    learning: Option<OnlineLearning>,
}

type Reply = (oneshot::Sender<Result<Order, SessionError>>, Result<Order, SessionError>);

/// Answers sent after the batch is stored.
#[derive(Default)]
struct Later {
    halts: Vec<oneshot::Sender<()>>,
    drawdown_resets: Vec<(oneshot::Sender<Option<RiskEvent>>, Option<RiskEvent>)>,
    refusals: Vec<oneshot::Sender<()>>,
    pattern_changes: Vec<(oneshot::Sender<Option<Outcome>>, Option<Outcome>)>,
}

impl<L: AccountLog + EpisodeStore> Session<L> {
    fn apply(&mut self, command: Command, replies: &mut Vec<Reply>, later: &mut Later) {
        let now = self.engine.now();
        match command {
            Command::Submit(request, origin, reply) => {
                // A repeated client_order_id returns the first order, unchecked again.
                let (result, repeated) = match self.submit(request.clone(), now) {
                    Ok((order, repeated)) => (Ok(order), repeated),
                    Err(err) => (Err(err), false),
                };
                let outcome = match &result {
                    Ok(order) => serde_json::json!({"order_id": order.order_id, "status": order.status}),
                    Err(err) => serde_json::json!({"rejected": error_code(err), "message": err.to_string()}),
                };
                self.record_origin(now, "external_order", &origin, serde_json::json!(request), outcome);
                self.route_venue_requests(now, true);
                match (&mut self.live, &result) {
                    // Live: answered once Coinbase took or refused it.
                    (Some(live), Ok(order))
                        if !repeated && order.status.is_live() && order.venue_order_id.is_none() =>
                    {
                        live.await_venue(order.order_id, reply);
                    }
                    _ => replies.push((reply, result)),
                }
            }
            Command::Preview(request, reply) => {
                let _ = reply.send(self.preview(&request, now));
            }
            Command::SimilarTo(state, at_ms, top_k, reply) => {
                let recall = self.swarm.as_ref().and_then(Swarm::recall);
                let answer = match recall.map(|r| r.similar_to(&state, at_ms, top_k)) {
                    None => Ok(None),
                    Some(Ok(matches)) => Ok(Some(SimilarNow { decided_ms: at_ms, matches })),
                    Some(Err(err)) => Err(err.to_string()),
                };
                let _ = reply.send(answer);
            }
            Command::Cancel(order_id, origin, reply) => {
                let result = self.engine.cancel(order_id, now).cloned().map_err(SessionError::from);
                let outcome = match &result {
                    Ok(order) => serde_json::json!({"status": order.status}),
                    Err(err) => serde_json::json!({"rejected": error_code(err), "message": err.to_string()}),
                };
                self.record_origin(now, "external_cancel", &origin, serde_json::json!({"order_id": order_id}), outcome);
                self.route_venue_requests(now, true);
                replies.push((reply, result));
            }
            Command::Refused(request, origin, refusal, reply) => {
                let outcome = serde_json::json!({"rejected": refusal.code, "message": refusal.message});
                self.record_origin(now, "external_order", &origin, serde_json::json!(request), outcome);
                later.refusals.push(reply);
            }
            Command::Quote(quote) => {
                if let Err(err) = self.engine.on_quote(&quote) {
                    tracing::warn!(account = %self.account_id, "quote refused: {err}");
                }
            }
            Command::BarClosed(candle) => {
                if let Some(swarm) = &mut self.swarm {
                    swarm.decide_at_close(&mut self.engine, &candle, &[]);
                }
                self.route_venue_requests(now, false);
            }
            Command::WarmUp(candles) => {
                if let Some(swarm) = &mut self.swarm {
                    swarm.warm_up(&mut self.engine, &candles);
                }
                self.route_venue_requests(now, false);
            }
            Command::Halt(halted, origin, reply) => {
                if let Some(swarm) = &mut self.swarm {
                    if halted {
                        swarm.emergency_shutdown(&mut self.engine, now);
                    } else {
                        swarm.resume();
                    }
                }
                let outcome = serde_json::json!({"halted": self.swarm.as_ref().map(Swarm::is_halted)});
                self.record_origin(now, halt_kind(halted), &origin, serde_json::json!({"halted": halted}), outcome);
                self.route_venue_requests(now, false);
                later.halts.push(reply);
            }
            Command::ResetDrawdown(origin, reply) => {
                let event = self.swarm.as_mut().map(|swarm| swarm.reset_drawdown_peak(&self.engine, now));
                let outcome = serde_json::json!({"event": event});
                self.record_origin(now, "external_drawdown_reset", &origin, serde_json::json!({}), outcome);
                later.drawdown_resets.push((reply, event));
            }
            Command::ResumeRefused(origin, refusal, reply) => {
                let outcome = serde_json::json!({"rejected": refusal.code, "message": refusal.message});
                self.record_origin(now, halt_kind(false), &origin, serde_json::json!({"halted": false}), outcome);
                later.refusals.push(reply);
            }
            Command::ChangePattern(pattern_id, mutation, reply) => {
                let recall = self.swarm.as_mut().and_then(Swarm::recall_mut);
                let outcome = recall.and_then(|r| r.patterns_mut().propose(&pattern_id, mutation, now.millis()));
                later.pattern_changes.push((reply, outcome));
            }
            Command::Venue(report) => {
                let now = now.max(self.clock.now());
                self.apply_venue_report(report, now, replies);
            }
            Command::Similar(top_k, reply) => {
                let recall = self.swarm.as_ref().and_then(Swarm::recall);
                let answer = match recall {
                    None => Ok(RecallNow::Off),
                    Some(recall) => match recall.similar_now(top_k) {
                        Ok(Some((decided_ms, matches))) => Ok(RecallNow::Found(SimilarNow { decided_ms, matches })),
                        Ok(None) => Ok(RecallNow::WarmingUp { bars: recall.bars_until_ready() }),
                        Err(err) => Err(err.to_string()),
                    },
                };
                let _ = reply.send(answer);
            }
        }
    }
}

impl<L: AccountLog> Session<L> {
    /// Records who sent an order, a cancellation, a halt or a resume, with its outcome, for
    /// this batch's commit. Every `kind` starts `external_`: that keeps the record in the
    /// audit log (`GET /api/orders/audit`) and out of the decision log (`GET /api/decisions`).
    fn record_origin(
        &mut self,
        now: Timestamp,
        kind: &str,
        origin: &OrderOrigin,
        request: serde_json::Value,
        outcome: serde_json::Value,
    ) {
        let record = serde_json::json!({
            "time": now.millis(),
            "kind": kind,
            "origin": origin,
            "request": request,
            "outcome": outcome,
        });
        self.origins.push((now.millis(), record.to_string()));
    }
}

/// The audit record's kind of a halt (`true`) or a resume.
fn halt_kind(halted: bool) -> &'static str {
    if halted { "external_halt" } else { "external_resume" }
}

fn remember_fill(fills: &mut imbl::Vector<Fill>, event: &AccountEvent) {
    if let EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } = &event.kind {
        fills.push_front(fill.clone());
        if fills.len() > RECENT_FILLS {
            fills.truncate(RECENT_FILLS);
        }
    }
}
