//! Account sessions (Durable Object semantics): one task per account owns its matching
//! engine and applies every mutation in order. Commands are taken in batches; a batch's
//! events are committed to the account log ([`AccountLog`]) in one durable transaction, and
//! only then is any command of the batch acknowledged. Readers take the latest
//! [`AccountView`] snapshot and never wait for the writer.

mod live;
mod order_origin;
mod view;

pub use live::LiveLink;

use crate::clock::SharedClock;
pub use order_origin::{OrderOrigin, OrderPreview, OrderRefusal, PreviewRejection};
pub use view::{AccountView, BalanceView, PositionView, SwarmView};
use view::{swarm_view, view_of};

use crate::hub::{Hub, StreamEvent};
use crate::order_snapshot::OrderSnapshot;
use crate::store::{AccountLog, EpisodeStore};
use coinswarm_core::exchange::{
    Admission, ExchangeConfig, Fill, MatchingEngine, Order, OrderConfiguration, OrderId, OrderRequest, Rejection,
};
use coinswarm_core::ledger::{Account, AccountEvent, EventKind};
use coinswarm_core::market::{Candle, Currency, Product, Quote, Side};
use coinswarm_core::memory::{EpisodeChange, Mutation, Outcome};
use coinswarm_core::risk::valuation::{last_prices, value_account};
use coinswarm_core::risk::{GateConfig, PreTradeGate, Refusal, TradingState, fees, notional};
use coinswarm_core::swarm::Swarm;
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

/// Fills kept in an account's snapshot for `GET /api/trades`.
const RECENT_FILLS: usize = 1000;

/// Why a command could not be carried out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error("the account's storage failed, nothing was acknowledged: {0}")]
    Storage(String),
    #[error("the account session has stopped")]
    Stopped,
    #[error("pattern memory failed: {0}")]
    Memory(String),
    /// The account's pre-trade gate (halted, circuit breaker, oversight limits) refused the order.
    #[error(transparent)]
    Blocked(#[from] Refusal),
    /// The live venue (Coinbase) refused the order, or could not be reached.
    #[error("Coinbase refused the order: {code}: {message}")]
    Venue { code: String, message: String },
}

/// What a session is told.
#[derive(Debug)]
enum Command {
    Submit(OrderRequest, OrderOrigin, oneshot::Sender<Result<Order, SessionError>>),
    /// Every check of a submit, placing nothing.
    Preview(OrderRequest, oneshot::Sender<OrderPreview>),
    /// The `top_k` episodes nearest `state` whose outcome was known at `at_ms`.
    SimilarTo(Vec<f32>, i64, usize, oneshot::Sender<Result<Option<SimilarNow>, String>>),
    Cancel(OrderId, OrderOrigin, oneshot::Sender<Result<Order, SessionError>>),
    /// An order the desk refused before it reached the session (a key without the `live`
    /// scope): recorded with its origin and refusal code, answered once stored.
    Refused(OrderRequest, OrderOrigin, OrderRefusal, oneshot::Sender<()>),
    /// Resuming the swarm, refused by the desk (a live swarm, a key without the `live`
    /// scope): recorded like a refused order, answered once stored.
    ResumeRefused(OrderOrigin, OrderRefusal, oneshot::Sender<()>),
    Quote(Quote),
    /// The bar just ended (its quotes were already sent): the swarm, if any, decides.
    BarClosed(Candle),
    /// Past bars, oldest first, for the swarm to warm up on without trading.
    WarmUp(Vec<Candle>),
    /// Halts (`true`) or resumes the swarm; `origin` is recorded with the outcome.
    Halt(bool, OrderOrigin, oneshot::Sender<()>),
    /// Pattern memory's nearest episodes to the state now.
    Similar(usize, oneshot::Sender<Result<Option<SimilarNow>, String>>),
    /// An operator's change to a learned pattern, put to the quorum: `None` when memory is
    /// off or the pattern is unknown.
    ChangePattern(String, Mutation, oneshot::Sender<Option<Outcome>>),
    /// What the live venue reported.
    Venue(crate::live_venue::VenueReport),
}

/// What pattern memory recalls for the state at the last bar close.
#[derive(Debug, Clone, Serialize)]
pub struct SimilarNow {
    /// The close the state is of, ms since the Unix epoch.
    pub decided_ms: i64,
    pub matches: Vec<coinswarm_core::memory::Match>,
}

/// A handle to one account's session: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct SessionHandle {
    pub account_id: String,
    commands: mpsc::Sender<Command>,
    view: watch::Receiver<Arc<AccountView>>,
    fills: broadcast::Sender<Fill>,
    swarm_state: watch::Receiver<Option<Arc<SwarmView>>>,
}

impl SessionHandle {
    /// Places an order from outside the swarm and answers once its events are durably stored.
    /// It meets the exchange's rules, then the account's order guard; `origin` is recorded
    /// with the outcome in the account's decision log, in the same commit.
    pub async fn submit(&self, request: OrderRequest, origin: OrderOrigin) -> Result<Order, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Submit(request, origin, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)?
    }

    /// What submitting `request` now would do: every exchange and guard check, nothing placed.
    pub async fn preview(&self, request: OrderRequest) -> Result<OrderPreview, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Preview(request, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    /// The `top_k` remembered episodes nearest `state` among those whose outcome was known at
    /// `at_ms` (`None` with memory off).
    pub async fn similar_to(
        &self,
        state: Vec<f32>,
        at_ms: i64,
        top_k: usize,
    ) -> Result<Option<SimilarNow>, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::SimilarTo(state, at_ms, top_k, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)?.map_err(SessionError::Memory)
    }

    /// Cancels an order; answers once the cancellation is durably stored.
    /// `origin` is recorded with the outcome in the account's decision log.
    pub async fn cancel(&self, order_id: OrderId, origin: OrderOrigin) -> Result<Order, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Cancel(order_id, origin, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)?
    }

    /// Records an order the desk refused before sending it here, with `origin` and the
    /// refusal, in the account's decision log; answers once stored.
    pub async fn record_refusal(
        &self,
        request: OrderRequest,
        origin: OrderOrigin,
        refusal: OrderRefusal,
    ) -> Result<(), SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Refused(request, origin, refusal, reply))
            .await
            .map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    /// Stops (or resumes) the swarm of this account from sending orders; `origin` is recorded
    /// with the outcome in the account's audit log. Answers once stored.
    pub async fn halt(&self, halted: bool, origin: OrderOrigin) -> Result<(), SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Halt(halted, origin, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    /// Records a resume of the swarm that the desk refused, with `origin` and the refusal, in
    /// the account's audit log; answers once stored.
    pub async fn record_resume_refusal(&self, origin: OrderOrigin, refusal: OrderRefusal) -> Result<(), SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::ResumeRefused(origin, refusal, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    /// The `top_k` past episodes most similar to the market state now (their outcome known):
    /// `None` while memory is off or still warming up.
    pub async fn similar_now(&self, top_k: usize) -> Result<Option<SimilarNow>, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Similar(top_k, reply)).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)?.map_err(SessionError::Memory)
    }

    /// Puts an operator's change of pattern `pattern_id` to the quorum (at the market time
    /// now); the answer is the managers' outcome, `None` for an unknown pattern or with
    /// memory off. A committed change is stored with the batch, like the swarm's own.
    pub async fn change_pattern(&self, pattern_id: &str, mutation: Mutation) -> Result<Option<Outcome>, SessionError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::ChangePattern(pattern_id.to_string(), mutation, reply);
        self.commands.send(command).await.map_err(|_| SessionError::Stopped)?;
        answer.await.map_err(|_| SessionError::Stopped)
    }

    pub async fn quote(&self, quote: Quote) {
        let _ = self.commands.send(Command::Quote(quote)).await;
    }

    pub async fn bar_closed(&self, candle: Candle) {
        let _ = self.commands.send(Command::BarClosed(candle)).await;
    }

    /// Hands the live venue's report to the account (live mode).
    pub async fn venue_report(&self, report: crate::live_venue::VenueReport) {
        let _ = self.commands.send(Command::Venue(report)).await;
    }

    /// Warms the swarm, if any, on past bars without trading.
    pub async fn warm_up(&self, candles: Vec<Candle>) {
        let _ = self.commands.send(Command::WarmUp(candles)).await;
    }

    /// The latest committed state.
    pub fn view(&self) -> Arc<AccountView> {
        self.view.borrow().clone()
    }

    /// Fills as they are committed.
    pub fn subscribe_fills(&self) -> broadcast::Receiver<Fill> {
        self.fills.subscribe()
    }

    pub fn swarm(&self) -> Option<Arc<SwarmView>> {
        self.swarm_state.borrow().clone()
    }
}

/// Everything a session starts from.
pub struct SessionSpec {
    pub account_id: String,
    pub exchange: ExchangeConfig,
    pub products: Vec<Product>,
    pub quote_currency: Currency,
    pub initial_capital: Decimal,
    pub swarm: Option<Swarm>,
    pub max_batch: usize,
    /// Where the swarm's committed decisions are published for streaming.
    pub hub: Arc<Hub>,
    /// The account's pre-trade gate, which every order passes: the swarm's and those from
    /// outside alike (a swarm trades through it).
    pub guard: GateConfig,
    /// Live execution: the venue task's link (`None`: paper).
    pub live: Option<LiveLink>,
    /// The wall clock: the account's creation, and the time of venue reports and resumes.
    pub clock: SharedClock,
}

impl std::fmt::Debug for SessionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSpec").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

/// Starts an account's session: rebuilds the account from its stored log (funding a new one
/// with the initial capital), then serves commands until every handle is dropped.
pub async fn start(
    spec: SessionSpec,
    store: impl AccountLog + EpisodeStore,
    last_quotes: &[Quote],
) -> anyhow::Result<(SessionHandle, tokio::task::JoinHandle<()>)> {
    store.create_account(&spec.account_id, spec.clock.now().millis()).await?;
    let log = store.load_events(&spec.account_id).await?;
    let account = Account::replay(&log)?;
    let fresh = log.is_empty();
    let mut engine = MatchingEngine::resume(spec.exchange.clone(), account)?;
    if spec.live.is_some() {
        engine.set_execution(coinswarm_core::exchange::VenueExecution::default());
    }
    for product in &spec.products {
        engine.list_product(product.clone()).map_err(|r| anyhow::anyhow!("cannot list {}: {r}", product.product_id))?;
    }
    if fresh && spec.live.is_none() {
        engine
            .deposit(
                spec.quote_currency,
                spec.initial_capital,
                last_quotes.first().map_or(Timestamp::default(), |q| q.time),
            )
            .map_err(|r| anyhow::anyhow!("cannot fund {}: {r}", spec.account_id))?;
    }
    for quote in last_quotes {
        engine.on_quote(quote)?;
    }
    let events: Vec<AccountEvent> = engine.drain_events().collect();
    store.commit(&spec.account_id, &events, &[]).await?;

    let mut fills = imbl::Vector::new();
    for event in &log {
        remember_fill(&mut fills, event);
    }
    let mut orders = OrderSnapshot::new(spec.exchange.retained_orders);
    let mut known: Vec<&Order> = engine.account().orders().collect();
    known.sort_by_key(|o| o.created_time);
    for order in known {
        orders.upsert(order);
    }
    let (commands, receiver) = mpsc::channel(4096);
    let (view_tx, view) = watch::channel(Arc::new(view_of(&spec.account_id, &engine, &orders, &fills)));
    let (fill_tx, _) = broadcast::channel(1024);
    let (swarm_tx, swarm_state) =
        watch::channel(spec.swarm.as_ref().map(|s| Arc::new(swarm_view(s, engine.now(), None))));
    let handle =
        SessionHandle { account_id: spec.account_id.clone(), commands, view, fills: fill_tx.clone(), swarm_state };
    let session = Session {
        account_id: spec.account_id,
        engine,
        swarm: spec.swarm.map(|swarm| swarm.with_gate(PreTradeGate::new(&spec.guard))),
        own_gate: PreTradeGate::new(&spec.guard),
        quote_currency: spec.quote_currency,
        store,
        max_batch: spec.max_batch,
        fills,
        orders,
        view: view_tx,
        fill_tx,
        swarm_tx,
        latest_decision: None,
        hub: spec.hub,
        clock: spec.clock,
        origins: Vec::new(),
        live: spec.live.as_ref().map(live::Live::new),
        live_link: spec.live,
    };
    let task = tokio::spawn(session.run(receiver));
    Ok((handle, task))
}

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
}

type Reply = (oneshot::Sender<Result<Order, SessionError>>, Result<Order, SessionError>);

/// Answers sent after the batch is stored.
#[derive(Default)]
struct Later {
    halts: Vec<oneshot::Sender<()>>,
    refusals: Vec<oneshot::Sender<()>>,
    pattern_changes: Vec<(oneshot::Sender<Option<Outcome>>, Option<Outcome>)>,
}

impl<L: AccountLog + EpisodeStore> Session<L> {
    async fn run(mut self, mut receiver: mpsc::Receiver<Command>) {
        if let Some(link) = self.live_link.take() {
            let now = self.clock.now();
            self.resume_live(&link, now);
            if !self.finish_batch(Vec::new(), Later::default()).await {
                return;
            }
        }
        let mut batch = Vec::with_capacity(self.max_batch);
        while receiver.recv_many(&mut batch, self.max_batch).await > 0 {
            let mut replies: Vec<Reply> = Vec::new();
            let mut later = Later::default();
            for command in batch.drain(..) {
                self.apply(command, &mut replies, &mut later);
            }
            if !self.finish_batch(replies, later).await {
                return;
            }
        }
        self.flush_memory();
    }

    /// Stores the batch's events and records, then publishes and answers; `false` when
    /// storage failed (nothing is acknowledged and the session stops).
    async fn finish_batch(&mut self, replies: Vec<Reply>, later: Later) -> bool {
        {
            let events: Vec<AccountEvent> = self.engine.drain_events().collect();
            let lines = self.swarm.as_mut().map(Swarm::take_log_lines).unwrap_or_default();
            // Each decision is parsed once: its time goes to storage, its value to the stream.
            let decisions: Vec<(i64, &str, serde_json::Value)> = lines
                .lines()
                .filter_map(|line| {
                    let value: serde_json::Value = serde_json::from_str(line).ok()?;
                    Some((value.get("time").and_then(serde_json::Value::as_i64).unwrap_or(0), line, value))
                })
                .collect();
            let mut rows: Vec<(i64, &str)> = decisions.iter().map(|(time, line, _)| (*time, *line)).collect();
            rows.extend(self.origins.iter().map(|(time, line)| (*time, line.as_str())));
            let stored = self.store.commit(&self.account_id, &events, &rows).await;
            if let Err(err) = stored {
                // The engine has applied events that are not durable: acknowledge nothing and
                // stop; a restart rebuilds the account from what was committed.
                tracing::error!(account = %self.account_id, "storage failed, session stopped: {err:#}");
                for (reply, _) in replies {
                    let _ = reply.send(Err(SessionError::Storage(format!("{err:#}"))));
                }
                return false;
            }
            self.origins.clear();
            self.send_venue_calls();
            self.persist_memory().await;
            self.observe_own_gate();
            for event in &events {
                if let EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } = &event.kind {
                    let _ = self.fill_tx.send(fill.clone());
                }
                remember_fill(&mut self.fills, event);
                if let Some(order_id) = order_of(&event.kind)
                    && let Some(order) = self.engine.account().order(order_id)
                {
                    self.orders.upsert(order);
                }
            }
            if let Some(swarm) = &self.swarm {
                for (_, _, decision) in decisions {
                    // One message for every subscriber of the public `decisions` channel: a
                    // live account's figures are hidden there (a key that may read the
                    // account gets them whole from `GET /api/decisions`).
                    let event = if self.live.is_some() {
                        let mut public = decision.clone();
                        crate::desk::hide_account_figures(&mut public);
                        StreamEvent::decision(swarm.product().product_id, &public)
                    } else {
                        StreamEvent::decision(swarm.product().product_id, &decision)
                    };
                    self.hub.publish(event);
                    self.latest_decision = Some(decision);
                }
            }
            self.view.send_replace(Arc::new(view_of(&self.account_id, &self.engine, &self.orders, &self.fills)));
            if let Some(swarm) = &self.swarm {
                let view = swarm_view(swarm, self.engine.now(), self.latest_decision.clone());
                self.swarm_tx.send_replace(Some(Arc::new(view)));
            }
            for (reply, result) in replies {
                let _ = reply.send(result);
            }
            for reply in later.halts.into_iter().chain(later.refusals) {
                let _ = reply.send(());
            }
            // Answered once the change is stored, so a reader sees it at once.
            for (reply, outcome) in later.pattern_changes {
                let _ = reply.send(outcome);
            }
        }
        true
    }

    /// Stores what pattern memory changed in this batch: new episodes, realised outcomes,
    /// audit records and patterns. A failure is logged and the session goes on: the SQL
    /// store stays the source of truth, and the index is rebuilt from it at the next start
    /// when the two differ.
    async fn persist_memory(&mut self) {
        let Some(recall) = self.swarm.as_mut().and_then(Swarm::recall_mut) else { return };
        if let Some(err) = recall.take_index_error() {
            tracing::error!(account = %self.account_id, "pattern memory's index refused episodes (they stay in the store): {err}");
        }
        let (changes, audit, patterns) = recall.take_changes();
        let mut recorded = Vec::new();
        let mut resolved = Vec::new();
        for change in changes {
            match change {
                EpisodeChange::Recorded(episode) => recorded.push(episode),
                EpisodeChange::Resolved { id, outcome } => resolved.push((id, outcome)),
            }
        }
        let result: anyhow::Result<()> = async {
            if !recorded.is_empty() {
                self.store.record_episodes(&recorded).await?;
            }
            for (id, outcome) in resolved {
                self.store.set_outcome(&id, outcome).await?;
            }
            if !audit.is_empty() {
                self.store.append_audit(&audit).await?;
            }
            if let Some(patterns) = patterns {
                self.store.save_patterns(&patterns).await?;
            }
            Ok(())
        }
        .await;
        if let Err(err) = result {
            tracing::error!(account = %self.account_id, "pattern memory not stored: {err:#}");
        }
    }

    /// Saves the vector index to its folder (at shutdown).
    fn flush_memory(&mut self) {
        if let Some(recall) = self.swarm.as_mut().and_then(Swarm::recall_mut)
            && let Err(err) = recall.memory_mut().index_mut().flush()
        {
            tracing::warn!(account = %self.account_id, "the pattern memory index was not saved (it is rebuilt at the next start): {err}");
        }
    }

    fn apply(&mut self, command: Command, replies: &mut Vec<Reply>, later: &mut Later) {
        let now = self.engine.now();
        match command {
            Command::Submit(request, origin, reply) => {
                // A repeated client_order_id returns the first order, unchecked again.
                let (result, repeated) = match self.submit(request.clone(), now) {
                    Ok((order, repeated)) => (Ok(order), repeated),
                    Err(err) => (Err(err), false),
                };
                if result.is_ok() && !repeated {
                    self.gate_mut().record_order(now);
                }
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
                let answer = match recall.map(|r| r.similar_now(top_k)) {
                    None => Ok(None),
                    Some(Ok(found)) => Ok(found.map(|(decided_ms, matches)| SimilarNow { decided_ms, matches })),
                    Some(Err(err)) => Err(err.to_string()),
                };
                let _ = reply.send(answer);
            }
        }
    }
}

impl<L: AccountLog> Session<L> {
    /// The account's pre-trade gate: the swarm's when it has one.
    fn gate(&self) -> &PreTradeGate {
        self.swarm.as_ref().map_or(&self.own_gate, Swarm::gate)
    }

    fn gate_mut(&mut self) -> &mut PreTradeGate {
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
    fn submit(&mut self, request: OrderRequest, now: Timestamp) -> Result<(Order, bool), SessionError> {
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
    fn admit(&self, request: &OrderRequest, now: Timestamp) -> Result<Admission, SessionError> {
        if self.gate().trading_state(now) == TradingState::Halted {
            return Err(SessionError::Blocked(Refusal::Halted));
        }
        let admission = self.engine.preview(request)?;
        self.gate().check_request(&self.engine, request, now)?;
        Ok(admission)
    }

    /// Feeds the gate of an account without a swarm its equity and prices after a batch (a
    /// swarm feeds its own at every decision).
    fn observe_own_gate(&mut self) {
        if self.swarm.is_some() {
            return;
        }
        let now = self.engine.now();
        let equity = value_account(&self.engine, self.quote_currency, last_prices(&self.engine)).equity;
        let prices: Vec<_> = self
            .engine
            .products()
            .iter()
            .filter_map(|p| Some((p.product_id, self.engine.last_price(p.product_id)?.to_f64()?)))
            .collect();
        // Trips show in the gate's breaker; nothing else reads them here.
        let mut tripped = Vec::new();
        self.own_gate.observe(now, equity, prices, &mut tripped);
    }

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

    fn preview(&self, request: &OrderRequest, now: Timestamp) -> OrderPreview {
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

/// A session error's stable code.
pub fn error_code(error: &SessionError) -> &'static str {
    match error {
        SessionError::Rejected(rejection) => rejection.code(),
        SessionError::Blocked(refusal) => refusal.code(),
        SessionError::Storage(_) => "STORAGE_FAILED",
        SessionError::Stopped => "SESSION_STOPPED",
        SessionError::Memory(_) => "MEMORY_FAILED",
        SessionError::Venue { .. } => "VENUE_REJECTED",
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

/// The order an event changes, if any.
fn order_of(kind: &EventKind) -> Option<OrderId> {
    match kind {
        EventKind::OrderAccepted { order } => Some(order.order_id),
        EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } => Some(fill.order_id),
        EventKind::OrderTriggered { order_id }
        | EventKind::OrderCancelled { order_id, .. }
        | EventKind::OrderExpired { order_id }
        | EventKind::OrderFailed { order_id, .. }
        | EventKind::OrderRouted { order_id, .. }
        | EventKind::OrderCancelRequested { order_id } => Some(*order_id),
        _ => None,
    }
}
