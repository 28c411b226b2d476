//! The orchestrator: one market event in, one logged decision out.
//!
//! For every event: the exchange matches what earlier decisions left (fills at this bar's
//! open: no look-ahead) → equity is marked at the event's price → guards observe equity and
//! price → agents fold in the event → planner updates regime and weights → agents vote →
//! committee decides → a hedge exit (stop-loss / take-profit on a held position) overrides
//! to Sell → circuit breaker → oversight → execution agent plans → order intent (never more
//! than `max_order_fraction` of equity) → matching engine. Orders are placed at the
//! decision time (the bar's close), so with candles they fill at the next bar's open.
//!
//! The breaker, oversight and vetoes block new exposure; exits (sells of the long position)
//! always go, except in an operator's emergency shutdown. On a breach (breaker, daily loss,
//! drawdown) working buys are cancelled, with the reason. Spot only: Sell reduces or closes
//! the position, never shorts.
//!
//! With candles, the breaker's loss and move windows also see the bar's path (open, the two
//! extremes in path order, close), so a crash inside one hourly or daily bar trips them.

mod intent;
mod record;
mod restrictions;
mod summary;

pub use record::{BreakerVerdict, DecisionRecord, OrderRecord};
pub use restrictions::{RestrictedSpan, Restriction, Restrictions};
pub use summary::SwarmSummary;

use super::agent::DecisionContext;
use super::agents::{AgentSet, LearnedAgent, RecallAgent};
use super::committee::Committee;
use super::config::{SwarmConfig, SwarmConfigError};
use super::decision_log::{DecisionLog, LoggedRecord};
use super::observation::Observation;
use super::planner::{Planner, Regime};
use super::portfolio::PortfolioView;
use super::vote::{Action, AgentKind, Vote};
use crate::exchange::{ConfigError, MarketDataError, MatchingEngine};
use crate::ledger::EventKind;
use crate::market::{Candle, Granularity, Product, ProductId, Quote, Side, decimal_to_f64};
use crate::risk::valuation::value_account;
use crate::risk::{AccountSnapshot, CircuitBreaker, GateConfig, PreTradeGate, RiskEvent, TripReason, fees};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use std::collections::VecDeque;

/// Why the swarm could not start or take an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SwarmError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    SwarmConfig(#[from] SwarmConfigError),
    #[error(transparent)]
    MarketData(#[from] MarketDataError),
    #[error("event for {got} but this swarm trades {expected}")]
    WrongProduct { expected: String, got: String },
}

/// What one event led to, in brief (the full record goes to the decision log).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecisionOutcome {
    pub action: Action,
    pub regime: Regime,
    pub order_sent: bool,
    pub equity: Decimal,
}

/// A traded decision waiting for its outcome, to score the agents that voted for it.
#[derive(Debug, Clone)]
struct PendingOutcome {
    votes: Vec<Vote>,
    action: Action,
    price: f64,
    due_event: u64,
}

/// The swarm trading one product on a paper account.
#[derive(Debug)]
pub struct Swarm {
    config: SwarmConfig,
    product: Product,
    bar_ms: i64,
    /// Sequence number of the first exchange event this swarm has not looked at yet.
    event_cursor: u64,
    /// The members, by kind (pattern memory's recall agent only when `recall.enabled`).
    agents: AgentSet,
    planner: Planner,
    committee: Committee,
    /// The account's pre-trade gate: trading state, oversight limits, circuit breaker.
    gate: PreTradeGate,
    log: Option<DecisionLog>,
    summary: SwarmSummary,
    votes: Vec<Vote>,
    outcomes: VecDeque<PendingOutcome>,
    resolved_since_adapt: usize,
    events: u64,
    /// What an operator did to the gate since the last decision, for its record.
    operator_events: Vec<RiskEvent>,
}

impl Swarm {
    /// A swarm for `product` on bars of `granularity`. It trades through the matching
    /// engine its caller passes to every event (list the product and fund the account
    /// there first); several swarms, one per product, may share one engine and so one
    /// cash balance. `log`: keep a decision log (hash, and the lines too when asked);
    /// without it the swarm runs leaner (benchmarks).
    pub fn new(
        config: SwarmConfig,
        product: Product,
        granularity: Granularity,
        log: Option<DecisionLog>,
    ) -> Result<Self, SwarmError> {
        config.validate()?;
        let agents = AgentSet::new(&config, &product.product_id.to_string(), granularity.millis())?;
        Ok(Self {
            agents,
            planner: Planner::new(config.planner.clone()),
            committee: Committee::new(config.committee.clone()),
            gate: PreTradeGate::new(&GateConfig {
                enabled: true,
                oversight: config.oversight,
                breaker: config.circuit_breaker,
            }),
            config,
            product,
            bar_ms: granularity.millis(),
            event_cursor: 0,
            log,
            summary: SwarmSummary::default(),
            votes: Vec::with_capacity(AgentKind::COUNT),
            outcomes: VecDeque::new(),
            resolved_since_adapt: 0,
            events: 0,
            operator_events: Vec::new(),
        })
    }

    pub fn summary(&self) -> &SwarmSummary {
        &self.summary
    }

    pub fn config(&self) -> &SwarmConfig {
        &self.config
    }

    pub fn product(&self) -> &Product {
        &self.product
    }

    /// The decision records logged since the last call, each with its JSON line (none
    /// without a log made with [`DecisionLog::handing_out_records`]).
    pub fn take_log_records(&mut self) -> Vec<LoggedRecord> {
        self.log.as_mut().map(DecisionLog::take_records).unwrap_or_default()
    }

    pub fn log(&self) -> Option<&DecisionLog> {
        self.log.as_ref()
    }

    pub fn breaker(&self) -> &CircuitBreaker {
        self.gate.breaker()
    }

    /// The account's pre-trade gate, which the swarm's intents pass (and, in `coinswarm up`,
    /// every other order on the swarm's account).
    pub fn gate(&self) -> &PreTradeGate {
        &self.gate
    }

    /// Trades through `gate` instead of one built from the swarm's config (a host gives the
    /// account's gate, configured its own way).
    pub fn with_gate(mut self, gate: PreTradeGate) -> Self {
        self.gate = gate;
        self
    }

    /// The gate, for the account's owner to count the orders it sends from outside the swarm.
    pub fn gate_mut(&mut self) -> &mut PreTradeGate {
        &mut self.gate
    }

    pub fn committee(&self) -> &Committee {
        &self.committee
    }

    pub fn planner(&self) -> &Planner {
        &self.planner
    }

    /// The recall agent (pattern memory), when enabled.
    pub fn recall(&self) -> Option<&RecallAgent> {
        self.agents.get(AgentKind::Recall)
    }

    /// The recall agent, to swap its memory (a persistent index, stored patterns) or take
    /// its changes for storage.
    pub fn recall_mut(&mut self) -> Option<&mut RecallAgent> {
        self.agents.get_mut(AgentKind::Recall)
    }

    /// Replaces the recall agent (same settings, a memory of the caller's: a persistent
    /// index and stored patterns). Does nothing when recall is disabled.
    pub fn set_recall(&mut self, agent: RecallAgent) {
        self.agents.replace(Box::new(agent));
    }

    /// The learned agent, when enabled.
    pub fn learned(&self) -> Option<&LearnedAgent> {
        self.agents.get(AgentKind::Learned)
    }

    /// The learned agent, to read its resolved samples or swap in a promoted model.
    pub fn learned_mut(&mut self) -> Option<&mut LearnedAgent> {
        self.agents.get_mut(AgentKind::Learned)
    }

    /// Each agent's committee weight now: its regime weight times its performance multiplier.
    pub fn effective_weights(&self) -> [f64; AgentKind::COUNT] {
        self.committee.effective_weights(self.planner.weights())
    }

    pub fn is_halted(&self) -> bool {
        self.gate.is_halted()
    }

    /// A bar: the exchange matches it, then the swarm decides at its close.
    /// `other_venues`: this product's last price elsewhere, for the arbitrage agent.
    pub fn on_candle(
        &mut self,
        engine: &mut MatchingEngine,
        candle: &Candle,
        other_venues: &[(&str, f64)],
    ) -> Result<DecisionOutcome, SwarmError> {
        engine.on_candle(self.product.product_id, candle)?;
        Ok(self.decide_at_close(engine, candle, other_venues))
    }

    /// Decides at the close of `candle`, which the engine has already matched (for callers
    /// that feed one engine several products' bars before any decision, like a portfolio
    /// backtest).
    pub fn decide_at_close(
        &mut self,
        engine: &mut MatchingEngine,
        candle: &Candle,
        other_venues: &[(&str, f64)],
    ) -> DecisionOutcome {
        let observation = Observation::from_candle(self.product.product_id, candle);
        let decided_at = candle.start.plus_millis(self.bar_ms);
        self.decide(engine, &observation, Some(candle), decided_at, candle.close, other_venues)
    }

    /// Warms the swarm on past bars (oldest first) without trading: each is decided as if
    /// halted, so indicators, regime, planner and memory see the history and the decisions
    /// are logged marked halted, but no order is sent and no position is touched.
    pub fn warm_up(&mut self, engine: &mut MatchingEngine, candles: &[Candle]) {
        // Past bars teach the agents, not the gate: its equity history (day start, peak,
        // loss windows) and trading state stay as they were, so stale prices cannot refuse
        // the first live order.
        let gate = self.gate.clone();
        self.gate.halt();
        for candle in candles {
            self.decide_at_close(engine, candle, &[]);
        }
        self.gate = gate;
    }

    /// A quote: the exchange matches it, then the swarm decides at its time.
    pub fn on_quote(
        &mut self,
        engine: &mut MatchingEngine,
        quote: &Quote,
        other_venues: &[(&str, f64)],
    ) -> Result<DecisionOutcome, SwarmError> {
        if quote.product_id != self.product.product_id {
            let (expected, got) = (self.product.product_id.to_string(), quote.product_id.to_string());
            return Err(SwarmError::WrongProduct { expected, got });
        }
        engine.on_quote(quote)?;
        Ok(self.decide(engine, &Observation::from_quote(quote), None, quote.time, quote.mid(), other_venues))
    }

    /// Emergency shutdown: cancels every live order and stops sending new ones until
    /// [`Swarm::resume`]. Decisions are still taken and logged, marked halted.
    pub fn emergency_shutdown(&mut self, engine: &mut MatchingEngine, now: Timestamp) {
        self.gate.halt();
        Self::cancel_live_orders(engine, self.product.product_id, now, None);
    }

    /// Ends an emergency shutdown.
    pub fn resume(&mut self) {
        self.gate.resume();
    }

    /// Operator reset of the circuit breaker.
    pub fn reset_breaker(&mut self, now: Timestamp) {
        self.gate.reset_breaker(now);
    }

    /// Operator reset of the drawdown's peak to the account's equity now (at last prices);
    /// the next decision's record carries the event.
    pub fn reset_drawdown_peak(&mut self, engine: &MatchingEngine, now: Timestamp) -> RiskEvent {
        let equity = value_account(engine, self.product.quote(), crate::risk::valuation::last_prices(engine)).equity;
        let event = self.gate.reset_drawdown_peak(now, equity);
        self.operator_events.push(event.clone());
        event
    }

    fn decide(
        &mut self,
        engine: &mut MatchingEngine,
        observation: &Observation,
        candle: Option<&Candle>,
        now: Timestamp,
        price: Decimal,
        other_venues: &[(&str, f64)],
    ) -> DecisionOutcome {
        self.events += 1;
        let mut tripped: Vec<TripReason> = Vec::new();
        let mut risk_events = std::mem::take(&mut self.operator_events);
        let (equity, mut portfolio) = self.mark_to_market(engine, price);
        if self.events == 1 {
            self.summary.initial_equity = equity;
        }
        if let Some(candle) = candle {
            self.observe_bar_path(engine, candle, equity, price, &mut tripped);
        }
        tripped.extend(self.absorb_fills(engine, now));
        risk_events.extend(self.gate.observe(
            now,
            equity,
            [(self.product.product_id, observation.close)],
            &mut tripped,
        ));
        // The drawdown the risk agent sees is oversight's, from the same look-back peak.
        let peak = self.gate.oversight().peak_equity().unwrap_or(equity).max(equity);
        portfolio.peak_equity = decimal_to_f64(peak);
        self.summary.breaker_trips += tripped.len() as u64;

        self.agents.observe(observation);
        let proposal = self.planner.observe(observation);
        if let Some(proposal) = &proposal
            && proposal.rejected.is_none()
            && proposal.regime
                != self.summary.regime_changes.last().map_or(self.config.planner.initial_regime, |(_, regime)| *regime)
        {
            self.summary.regime_changes.push((now, proposal.regime));
        }
        self.resolve_outcomes(observation.close);
        let context = DecisionContext { observation, portfolio: &portfolio, other_venues };
        if let Some(candle) = candle {
            self.agents.on_bar_close(candle, &context, now, self.planner.regime());
        }
        self.votes.clear();
        self.agents.vote_into(&context, &mut self.votes);
        let weights = self.committee.effective_weights(self.planner.weights());
        let committee = self.committee.decide(&self.votes, &weights);
        for vote in &self.votes {
            self.summary.votes[vote.agent.index()] += 1;
            self.summary.vetoes[vote.agent.index()] += u64::from(vote.veto);
        }
        let protective_exit = portfolio.position_size > 0.0
            && self.votes.iter().any(|v| v.agent == AgentKind::Hedge && v.action == Action::Sell);
        let action = if protective_exit { Action::Sell } else { committee.action };
        let breaker_allows = self.gate.breaker().allows_trading(now);
        if !breaker_allows {
            self.summary.breaker_blocked_decisions += 1;
        }
        // No new exposure on a breach (breaker, daily loss, drawdown): working buys go too.
        // The breach's reason is written out only when it is used: to cancel working buys,
        // or to count an oversight restriction (while the breaker blocks, it is the breaker's).
        let limits = AccountSnapshot::new(equity, Decimal::ZERO, portfolio.open_positions);
        let account = engine.account();
        let working_buys = account
            .live_orders(self.product.product_id)
            .iter()
            .any(|&id| account.order(id).is_some_and(|o| o.side == Side::Buy));
        let breach = if breaker_allows || working_buys { self.gate.loss_limit_breach(now, &limits) } else { None };
        if working_buys && let Some(reason) = &breach {
            let why = format!("risk: {reason}; working buys cancelled");
            let orders = Self::cancel_live_orders_for(engine, self.product.product_id, now, Some(Side::Buy), &why);
            if orders > 0 {
                risk_events.push(RiskEvent::BuysCancelled { orders, reason: reason.clone() });
            }
        }
        let mut attempt = intent::Attempt::default();
        if action != Action::Hold {
            attempt = self.trade(engine, action, committee.size, protective_exit, observation, now, equity, &portfolio);
        }

        self.summary.decisions += 1;
        match action {
            Action::Buy => self.summary.buys += 1,
            Action::Sell => self.summary.sells += 1,
            Action::Hold => self.summary.holds += 1,
        }
        self.summary.protective_exits += u64::from(protective_exit && attempt.order.is_some());
        self.summary.oversight_blocks += u64::from(!attempt.breaches.is_empty());
        if let Some((kind, _)) = &attempt.skipped {
            *self.summary.skipped.entry(kind).or_default() += 1;
        }
        let mut under = Vec::with_capacity(4);
        if self.gate.is_halted() {
            under.push(Restriction::Halted);
        }
        if !breaker_allows {
            under.push(Restriction::Breaker);
        }
        if (breach.is_some() && breaker_allows) || !attempt.breaches.is_empty() {
            under.push(Restriction::Oversight);
        }
        if committee.vetoed_by.is_some() {
            under.push(Restriction::Vetoed);
        }
        self.summary.restrictions.record(now, &under);
        self.summary.final_equity = equity;
        if attempt.order.is_some() && action != Action::Hold {
            self.outcomes.push_back(PendingOutcome {
                votes: self.votes.clone(),
                action,
                price: observation.close,
                due_event: self.events + self.config.orchestrator.outcome_horizon_bars as u64,
            });
        }
        let order_sent = attempt.order.is_some();
        let regime = self.planner.regime();
        if candle.is_some() {
            self.agents.on_decision(now, action, regime, observation.close);
        }
        if let Some(log) = &mut self.log {
            let record = DecisionRecord {
                seq: self.summary.decisions - 1,
                time: now,
                product_id: self.product.product_id,
                price: observation.close,
                regime: self.planner.regime(),
                proposal,
                weights,
                votes: self.votes.clone(),
                committee,
                action,
                protective_exit,
                breaker: BreakerVerdict {
                    state: self.gate.breaker().state(now),
                    allows_trading: breaker_allows,
                    tripped,
                },
                oversight: attempt.breaches,
                order: attempt.order,
                skipped: attempt.skipped.map(|(_, why)| why),
                equity,
                halted: self.gate.is_halted(),
                risk_events,
                recall: self
                    .agents
                    .get::<RecallAgent>(AgentKind::Recall)
                    .filter(|_| candle.is_some())
                    .and_then(|r| r.evidence().cloned()),
                learned: self
                    .agents
                    .get::<LearnedAgent>(AgentKind::Learned)
                    .filter(|_| candle.is_some())
                    .and_then(|l| l.evidence().cloned()),
            };
            log.append(&record);
        }
        DecisionOutcome { action, regime: self.planner.regime(), order_sent, equity }
    }

    /// Equity in quote currency (cash plus every listed product's position at its last
    /// price, this product's at `price`) for the guards, and the portfolio view the agents see.
    fn mark_to_market(&mut self, engine: &MatchingEngine, price: Decimal) -> (Decimal, PortfolioView) {
        let account = engine.account();
        let product = &self.product;
        let valuation = value_account(engine, product.quote(), |listed| {
            if listed.product_id == product.product_id { Some(price) } else { engine.last_price(listed.product_id) }
        });
        let (equity, open_positions) = (valuation.equity, valuation.open_positions);
        let equity_f64 = decimal_to_f64(equity);
        let base = account.balance(product.base()).total();
        let position = account.position(product.product_id);
        // Dust (worth less than the smallest order) cannot be traded: the agents see it as flat.
        let held =
            if base * price < product.quote_min_size || base < product.base_min_size { Decimal::ZERO } else { base };
        let view = PortfolioView {
            equity: equity_f64,
            // Set from oversight's look-back peak once the gate has seen this equity.
            peak_equity: equity_f64,
            cash: decimal_to_f64(account.balance(product.quote()).available),
            position_size: decimal_to_f64(held),
            entry_price: position.map_or(0.0, |p| decimal_to_f64(p.average_entry_price())),
            open_positions,
        };
        (equity, view)
    }

    /// Feeds the breaker the bar's path before its close: the open at the bar's start and the
    /// two extremes in path order at a third and two thirds of the bar, each with the equity
    /// the account's holding of this product had at that price (`equity` at `close`).
    fn observe_bar_path(
        &mut self,
        engine: &MatchingEngine,
        candle: &Candle,
        equity: Decimal,
        close: Decimal,
        tripped: &mut Vec<TripReason>,
    ) {
        let held = engine.account().balance(self.product.base()).total();
        let path = candle.path();
        let at = |third: i64| candle.start.plus_millis(self.bar_ms * third / 3);
        let points = [(at(0), path[0]), (at(1), path[1]), (at(2), path[2])];
        let equity_at = |price: Decimal| equity + held * (price - close);
        let close_time = candle.start.plus_millis(self.bar_ms);
        self.gate.observe_intrabar(self.product.product_id, &points, equity_at, close_time, tripped);
    }

    /// Looks at the exchange's events this swarm has not seen (the engine's owner drains
    /// them when it likes; several swarms may read the same outbox): counts this product's
    /// fills and fees, and reports its closing trades to the gate's breaker. Returns the
    /// trips that caused.
    fn absorb_fills(&mut self, engine: &MatchingEngine, now: Timestamp) -> Vec<TripReason> {
        let product_id = self.product.product_id;
        let fills =
            engine.events().iter().filter(|e| e.seq >= self.event_cursor).filter_map(|event| match &event.kind {
                EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill }
                    if fill.product_id == product_id =>
                {
                    Some(fill)
                }
                _ => None,
            });
        let mut sells = Vec::new();
        for fill in fills {
            self.summary.fills += 1;
            self.summary.fees_paid += fill.fee;
            if fill.side == Side::Sell {
                sells.push(fill.clone());
            }
        }
        self.event_cursor = engine.account().next_seq();
        if sells.is_empty() {
            return Vec::new();
        }
        self.gate.record_closing_trades(engine, &sells, now)
    }

    /// Scores the agents on decisions whose horizon has passed; adapts weights every
    /// `adapt_every` outcomes.
    fn resolve_outcomes(&mut self, price: f64) {
        let round_trip_fee = fees::round_trip_taker_rate(self.config.exchange.taker_fee_bps);
        while self.outcomes.front().is_some_and(|o| o.due_event <= self.events) {
            let Some(outcome) = self.outcomes.pop_front() else { break };
            if outcome.price <= 0.0 {
                continue;
            }
            let market_return = price / outcome.price - 1.0;
            // A buy must beat its fees to be right; a sell is right if the price fell by
            // more than the fees its round trip saved.
            let net = match outcome.action {
                Action::Buy => market_return - round_trip_fee,
                _ => market_return + round_trip_fee,
            };
            self.committee.record_outcome(&outcome.votes, net);
            self.resolved_since_adapt += 1;
            if self.resolved_since_adapt >= self.config.orchestrator.adapt_every.max(1) {
                self.committee.adapt();
                self.resolved_since_adapt = 0;
            }
        }
    }

    /// Cancels the product's live orders, or only those on `side`.
    fn cancel_live_orders(engine: &mut MatchingEngine, product_id: ProductId, now: Timestamp, side: Option<Side>) {
        Self::cancel_live_orders_for(engine, product_id, now, side, "Cancelled by user");
    }

    /// Cancels the product's live orders (or those on `side`) with `reason`; returns how many.
    fn cancel_live_orders_for(
        engine: &mut MatchingEngine,
        product_id: ProductId,
        now: Timestamp,
        side: Option<Side>,
        reason: &str,
    ) -> usize {
        let account = engine.account();
        if account.live_orders(product_id).is_empty() {
            return 0;
        }
        let live: Vec<_> = account
            .live_orders(product_id)
            .iter()
            .copied()
            .filter(|id| side.is_none_or(|side| account.order(*id).is_some_and(|o| o.side == side)))
            .collect();
        live.into_iter().filter(|&order_id| engine.cancel_with_reason(order_id, now, reason).is_ok()).count()
    }
}
