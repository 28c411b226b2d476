//! The recall agent: pattern memory as a member of the committee. At each bar's close it
//! embeds the market state, finds the `k` most similar past episodes whose outcome is
//! already known (their horizon ended at or before now, so nothing later than now is ever
//! recalled), and votes by their similarity-weighted outcome, blended with the learned
//! pattern the state falls in when that pattern is active.
//!
//! - Expected outcome e = (1 − w)·Σ sᵢ·oᵢ / Σ sᵢ + w·(pattern mean), over matches with
//!   similarity sᵢ ≥ `min_similarity` (and > 0), w the pattern's governed weight (0 without
//!   an active pattern). Outcomes oᵢ are long returns net of round-trip fees.
//! - Buy when e > `min_edge`; Sell when the gross expectation e + fees < −`min_edge` (holding
//!   loses more than leaving costs); Hold otherwise.
//! - Confidence = agreement × √(n / k): agreement is the similarity-weighted share of
//!   matches whose outcome has the sign of e; n the matches used. Below `min_matches` it
//!   abstains. Size = `max_size` × confidence for a Buy or Sell.
//!
//! Every decision then becomes an episode; the learned patterns are refreshed every
//! `patterns.learn_every` resolved episodes (see [`crate::memory::pattern_book`]).

use crate::market::{Candle, decimal_to_f64};
use crate::memory::episodic::{EpisodeChange, EpisodicMemory};
use crate::memory::pattern::{Pattern, StatsScale};
use crate::memory::pattern_book::{Influence, PatternBook, PatternConfig};
use crate::memory::{
    AuditLog, AuditRecord, Condition, Episode, ExactIndex, Filter, Match, Metric, PositionState, QueryOptions,
    StateBuilder, StateConfig, StateError, VectorError, VectorIndex,
};
use crate::swarm::planner::Regime;
use crate::swarm::{Action, Agent, AgentKind, DecisionContext, Observation, PortfolioView, Reason, Vote};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The recall agent's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecallConfig {
    /// Take part at all (embed states, remember episodes, vote). Default false in the
    /// library and backtests (`--recall` turns it on); `coinswarm up` turns it on.
    pub enabled: bool,
    /// Similar episodes recalled per decision. Default 16.
    pub k: usize,
    /// Recall only episodes decided in the current regime. Default false.
    pub same_regime: bool,
    /// Fewest usable matches to vote; fewer and it abstains. Default 8.
    pub min_matches: usize,
    /// Matches less similar than this (cosine) are ignored. Default 0.5.
    pub min_similarity: f64,
    /// Bars after a decision at which its outcome is realised. Default 24.
    pub horizon_bars: usize,
    /// Expected net outcome (fraction) needed to vote Buy or Sell. Default 0.002.
    pub min_edge: f64,
    /// Largest size it asks for, as a fraction of equity. Default 0.25.
    pub max_size: f64,
    /// Most resolved episodes kept in the vector index; the oldest leave it first (the SQL
    /// store keeps every one). Bounds memory on a long run. Default 1,000,000.
    pub max_indexed_episodes: usize,
    /// The state embedding.
    pub state: StateConfig,
    pub patterns: PatternConfig,
}

impl Default for RecallConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            k: 16,
            same_regime: false,
            min_matches: 8,
            min_similarity: 0.5,
            horizon_bars: 24,
            min_edge: 0.002,
            max_size: 0.25,
            max_indexed_episodes: 1_000_000,
            state: StateConfig::default(),
            patterns: PatternConfig::default(),
        }
    }
}

/// What recall found for one decision (it goes to the decision log).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecallEvidence {
    /// The episodes recalled and their similarity, nearest first (before `min_similarity`).
    pub recalled: Vec<(String, f32)>,
    /// Matches used (similarity at least `min_similarity`).
    pub used: usize,
    /// The latest horizon end among the recalled episodes (ms): never after the decision.
    pub newest_horizon_end_ms: Option<i64>,
    /// Expected net outcome, with the pattern's pull when there is one.
    pub expected: f64,
    pub agreement: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Influence>,
}

#[derive(Debug)]
struct Prepared {
    /// The bar's start: the observation the vote belongs to.
    bar_start: Timestamp,
    /// When the decision on it was taken (the bar's close), ms.
    decided_ms: i64,
    state: Vec<f32>,
    vote: Option<Vote>,
    evidence: RecallEvidence,
}

/// See the module documentation.
#[derive(Debug)]
pub struct RecallAgent {
    config: RecallConfig,
    builder: StateBuilder,
    memory: EpisodicMemory,
    patterns: PatternBook,
    round_trip_fee: f64,
    horizon_ms: i64,
    bars_held: u32,
    resolved_since_learning: usize,
    prepared: Option<Prepared>,
    index_error: Option<String>,
}

impl RecallAgent {
    /// A recall agent for `product_id` on bars of `bar_ms`, paying `round_trip_fee` (a
    /// fraction) to enter and leave, over an exact in-memory index.
    pub fn new(config: RecallConfig, product_id: &str, bar_ms: i64, round_trip_fee: f64) -> Result<Self, StateError> {
        let index = ExactIndex::new(Metric::Cosine, config.state.dimensions);
        Self::with_memory(config, product_id, bar_ms, round_trip_fee, Box::new(index), Vec::new(), AuditLog::default())
    }

    /// The same over `index` (which may hold earlier resolved episodes), continuing the
    /// learned `patterns` and their `audit` log.
    pub fn with_memory(
        config: RecallConfig,
        product_id: &str,
        bar_ms: i64,
        round_trip_fee: f64,
        index: Box<dyn VectorIndex + Send>,
        patterns: Vec<Pattern>,
        audit: AuditLog,
    ) -> Result<Self, StateError> {
        let builder = StateBuilder::new(config.state)?;
        let horizon = config.horizon_bars.max(1) as f64;
        let bars_per_year = 365.0 * 86_400_000.0 / bar_ms.max(1) as f64;
        let scale = StatsScale { horizons_per_year: bars_per_year / horizon, overlap: horizon };
        Ok(Self {
            memory: EpisodicMemory::new(product_id, index, config.patterns.max_samples, config.max_indexed_episodes),
            patterns: PatternBook::new(product_id, config.patterns.clone(), scale, patterns, audit),
            horizon_ms: bar_ms * config.horizon_bars.max(1) as i64,
            config,
            builder,
            round_trip_fee,
            bars_held: 0,
            resolved_since_learning: 0,
            prepared: None,
            index_error: None,
        })
    }

    pub fn config(&self) -> &RecallConfig {
        &self.config
    }

    pub fn memory(&self) -> &EpisodicMemory {
        &self.memory
    }

    pub fn memory_mut(&mut self) -> &mut EpisodicMemory {
        &mut self.memory
    }

    pub fn patterns(&self) -> &PatternBook {
        &self.patterns
    }

    /// The patterns, for an operator's change through the quorum ([`PatternBook::propose`]).
    pub fn patterns_mut(&mut self) -> &mut PatternBook {
        &mut self.patterns
    }

    /// Episode changes, audit records and (when any changed) every pattern, since the last
    /// call, to persist.
    pub fn take_changes(&mut self) -> (Vec<EpisodeChange>, Vec<AuditRecord>, Option<Vec<Pattern>>) {
        (self.memory.take_changes(), self.patterns.take_audit(), self.patterns.take_changed())
    }

    /// The vector index's last error since the previous call, if it failed (to report).
    pub fn take_index_error(&mut self) -> Option<String> {
        self.index_error.take()
    }

    /// What recall found at the last bar close, if it could embed the state.
    pub fn evidence(&self) -> Option<&RecallEvidence> {
        self.prepared.as_ref().map(|p| &p.evidence)
    }

    /// At the close of `candle` (decision time `now`): resolves the episodes whose horizon
    /// has ended at this close, learns patterns when due, embeds the state and prepares the
    /// vote. `price` is the close.
    pub fn on_bar_close(
        &mut self,
        candle: &Candle,
        spread_bps: Option<f64>,
        portfolio: &PortfolioView,
        now: Timestamp,
        regime: Regime,
    ) {
        self.prepared = None;
        let now_ms = now.millis();
        let price = decimal_to_f64(candle.close);
        match self.memory.resolve(now_ms, price, self.round_trip_fee) {
            Ok(resolved) => {
                for sample in &resolved {
                    self.patterns.record_live(&sample.state, sample.time_ms, sample.outcome, now_ms);
                }
                self.resolved_since_learning += resolved.len();
            }
            // States are checked when made, so an index refusing them is a fault of the
            // index: those episodes are lost to recall (the store still has them) and the
            // error is kept for the operator.
            Err(err) => self.index_error = Some(err.to_string()),
        }
        if self.config.patterns.enabled && self.resolved_since_learning >= self.config.patterns.learn_every.max(1) {
            self.resolved_since_learning = 0;
            self.patterns.learn(self.memory.samples(), now_ms);
        }
        self.bars_held = if portfolio.position_size > 0.0 { self.bars_held.saturating_add(1) } else { 0 };
        let position = PositionState {
            exposure: portfolio.concentration(price),
            unrealised_return: if portfolio.position_size > 0.0 && portfolio.entry_price > 0.0 {
                price / portfolio.entry_price - 1.0
            } else {
                0.0
            },
            bars_held: self.bars_held,
        };
        let Some(state) = self.builder.update(candle, spread_bps, &position) else { return };
        if state.iter().all(|v| *v == 0.0) {
            return;
        }
        let (vote, evidence) = self.recall(&state, now_ms, regime);
        self.prepared = Some(Prepared { bar_start: candle.start, decided_ms: now_ms, state, vote, evidence });
    }

    /// Bars still to close before this agent embeds a market state (the state builder's
    /// warm-up, [`StateBuilder::bars_until_ready`]): 0 once it has.
    pub fn bars_until_ready(&self) -> usize {
        self.builder.bars_until_ready()
    }

    /// The `top_k` episodes most similar to the state at the last bar close, among those
    /// whose outcome was known then, nearest first with their metadata; with the time of that
    /// close (ms). `None` before the first state (warm-up).
    pub fn similar_now(&self, top_k: usize) -> Result<Option<(i64, Vec<Match>)>, VectorError> {
        let Some(prepared) = &self.prepared else { return Ok(None) };
        Ok(Some((prepared.decided_ms, self.similar_to(&prepared.state, prepared.decided_ms, top_k)?)))
    }

    /// The `top_k` remembered episodes of this product nearest `state` among those whose
    /// outcome was known at `at_ms` (their horizon ended by then), nearest first.
    pub fn similar_to(&self, state: &[f32], at_ms: i64, top_k: usize) -> Result<Vec<Match>, VectorError> {
        let options = QueryOptions {
            top_k,
            namespace: Some(self.memory.product_id().to_string()),
            filter: Some(Filter::new().and("horizon_end", Condition::Lte((at_ms as f64).into()))),
            return_metadata: true,
            return_values: false,
        };
        self.memory.index().query(state, &options)
    }

    /// Remembers the decision taken at `now` on the state prepared at this bar's close.
    pub fn remember(&mut self, now: Timestamp, action: Action, regime: Regime, price: f64) {
        let Some(prepared) = &self.prepared else { return };
        let now_ms = now.millis();
        let episode = Episode {
            id: format!("{}@{now_ms}", self.memory.product_id()),
            product_id: self.memory.product_id().to_string(),
            time_ms: now_ms,
            horizon_end_ms: now_ms + self.horizon_ms,
            regime: regime.as_str().to_string(),
            action: action.as_str().to_string(),
            price,
            state: prepared.state.clone(),
            outcome: None,
        };
        self.memory.record(episode);
    }

    fn recall(&self, state: &[f32], now_ms: i64, regime: Regime) -> (Option<Vote>, RecallEvidence) {
        // Only episodes whose outcome was known by now; the index holds no other, and the
        // filter says so again.
        let mut filter = Filter::new().and("horizon_end", Condition::Lte((now_ms as f64).into()));
        if self.config.same_regime {
            filter = filter.and("regime", Condition::Eq(regime.as_str().into()));
        }
        let options = QueryOptions {
            top_k: self.config.k.clamp(1, crate::memory::MAX_TOP_K),
            namespace: Some(self.memory.product_id().to_string()),
            filter: Some(filter),
            return_metadata: true,
            return_values: false,
        };
        let matches = self.memory.index().query(state, &options).unwrap_or_default();
        let number = |m: &crate::memory::Match, key: &str| match m.metadata.as_ref().and_then(|md| md.get(key)) {
            Some(crate::memory::MetadataValue::Number(x)) => Some(*x),
            _ => None,
        };
        let mut evidence = RecallEvidence {
            recalled: matches.iter().map(|m| (m.id.clone(), m.score)).collect(),
            used: 0,
            newest_horizon_end_ms: matches.iter().filter_map(|m| number(m, "horizon_end")).map(|t| t as i64).max(),
            expected: 0.0,
            agreement: 0.0,
            pattern: self.patterns.influence(state),
        };
        let used: Vec<(f64, f64)> = matches
            .iter()
            .filter(|m| f64::from(m.score) >= self.config.min_similarity && m.score > 0.0)
            .filter_map(|m| number(m, "outcome").map(|o| (f64::from(m.score), o)))
            .collect();
        evidence.used = used.len();
        if used.len() < self.config.min_matches.max(1) {
            return (None, evidence);
        }
        let total: f64 = used.iter().map(|(s, _)| s).sum();
        let nearest = used.iter().map(|(s, o)| s * o).sum::<f64>() / total;
        let pull = evidence.pattern.as_ref().map_or(0.0, |p| p.weight);
        let expected = (1.0 - pull) * nearest + evidence.pattern.as_ref().map_or(0.0, |p| pull * p.mean);
        let agreement =
            used.iter().filter(|(_, o)| (*o > 0.0) == (expected > 0.0)).map(|(s, _)| s).sum::<f64>() / total;
        evidence.expected = expected;
        evidence.agreement = agreement;
        let confidence = agreement * (used.len() as f64 / self.config.k.max(1) as f64).min(1.0).sqrt();
        let reason_values = [used.len() as f64, total / used.len() as f64, expected * 100.0, agreement * 100.0];
        let vote = if expected > self.config.min_edge {
            Vote::new(
                AgentKind::Recall,
                Action::Buy,
                confidence,
                self.config.max_size * confidence,
                Reason::new("{} similar states (similarity {}) gained {}% net; {}% agree", reason_values),
            )
        } else if expected + self.round_trip_fee < -self.config.min_edge {
            Vote::new(
                AgentKind::Recall,
                Action::Sell,
                confidence,
                self.config.max_size * confidence,
                Reason::new("{} similar states (similarity {}) lost {}% net; {}% agree", reason_values),
            )
        } else {
            Vote::new(
                AgentKind::Recall,
                Action::Hold,
                agreement,
                0.0,
                Reason::new("{} similar states (similarity {}) returned {}% net, no edge; {}% agree", reason_values),
            )
        };
        (Some(vote), evidence)
    }
}

impl Agent for RecallAgent {
    fn kind(&self) -> AgentKind {
        AgentKind::Recall
    }

    /// The state needs the position at the close, so it is built in
    /// [`RecallAgent::on_bar_close`], not here.
    fn observe(&mut self, _observation: &Observation) {}

    /// The vote prepared at this bar's close; none on a quote or before warm-up.
    fn vote(&self, context: &DecisionContext<'_>) -> Option<Vote> {
        self.prepared.as_ref().filter(|p| p.bar_start == context.observation.time).and_then(|p| p.vote)
    }

    fn on_bar_close(&mut self, candle: &Candle, context: &DecisionContext<'_>, now: Timestamp, regime: Regime) {
        RecallAgent::on_bar_close(self, candle, context.observation.spread_bps(), context.portfolio, now, regime);
    }

    fn on_decision(&mut self, now: Timestamp, action: Action, regime: Regime, price: f64) {
        self.remember(now, action, regime, price);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::VectorRecord;

    fn agent() -> RecallAgent {
        let config = RecallConfig {
            enabled: true,
            min_matches: 1,
            min_similarity: 0.0,
            state: StateConfig { dimensions: 18, ..StateConfig::default() },
            ..RecallConfig::default()
        };
        RecallAgent::new(config, "BTC-USD", 3_600_000, 0.012).unwrap()
    }

    #[test]
    fn an_episode_whose_horizon_has_not_ended_is_never_recalled_and_is_once_it_has() {
        let mut agent = agent();
        let state: Vec<f32> = (0..18).map(|i| (i as f32 - 9.0) / 10.0).collect();
        let future = VectorRecord::new("BTC-USD@future", state.clone())
            .in_namespace("BTC-USD")
            .with("horizon_end", 10_000_i64)
            .with("outcome", 0.05)
            .with("regime", "trending");
        agent.memory.index_mut().upsert(vec![future]).unwrap();
        let (vote, evidence) = agent.recall(&state, 9_999, Regime::Trending);
        assert!(vote.is_none() && evidence.recalled.is_empty(), "recalled before its horizon ended: {evidence:?}");
        let (vote, evidence) = agent.recall(&state, 10_000, Regime::Trending);
        assert_eq!(evidence.recalled.len(), 1);
        assert_eq!(evidence.newest_horizon_end_ms, Some(10_000));
        assert_eq!(vote.unwrap().action, Action::Buy);
    }

    #[test]
    fn outcomes_are_realised_at_the_horizon_net_of_fees_and_only_then_indexed() {
        let mut agent = agent();
        let state = vec![0.5_f32; 18];
        agent.prepared = Some(Prepared {
            bar_start: Timestamp::from_millis(0),
            decided_ms: 0,
            state: state.clone(),
            vote: None,
            evidence: agent.recall(&state, 0, Regime::Trending).1,
        });
        agent.remember(Timestamp::from_millis(3_600_000), Action::Hold, Regime::Trending, 100.0);
        assert_eq!((agent.memory.pending(), agent.memory.index().len()), (1, 0));
        let horizon_end = 3_600_000 + 24 * 3_600_000;
        assert!(agent.memory.resolve(horizon_end - 1, 110.0, 0.012).unwrap().is_empty());
        let resolved = agent.memory.resolve(horizon_end, 110.0, 0.012).unwrap();
        assert_eq!(resolved.len(), 1);
        assert!((resolved[0].outcome - (0.1 - 0.012)).abs() < 1e-12);
        assert_eq!(agent.memory.index().len(), 1);
    }

    #[test]
    fn with_same_regime_only_episodes_of_the_current_regime_are_recalled() {
        let mut agent = agent();
        agent.config.same_regime = true;
        let state = vec![0.2_f32; 18];
        let record = |id: &str, regime: &str, outcome: f64| {
            VectorRecord::new(id, state.clone())
                .in_namespace("BTC-USD")
                .with("horizon_end", 0_i64)
                .with("outcome", outcome)
                .with("regime", regime)
        };
        agent
            .memory
            .index_mut()
            .upsert(vec![
                record("t1", "trending", 0.05),
                record("r1", "range_bound", -0.05),
                record("t2", "trending", 0.04),
            ])
            .unwrap();
        let (vote, evidence) = agent.recall(&state, 1, Regime::Trending);
        let ids: Vec<&str> = evidence.recalled.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["t1", "t2"]);
        assert_eq!(vote.unwrap().action, Action::Buy);
        let (vote, evidence) = agent.recall(&state, 1, Regime::RangeBound);
        assert_eq!(evidence.recalled.len(), 1);
        assert_eq!(vote.unwrap().action, Action::Sell);
    }

    #[test]
    fn agreeing_losses_vote_sell_and_mixed_small_outcomes_hold() {
        let mut agent = agent();
        let state = vec![0.3_f32; 18];
        let record = |id: &str, outcome: f64| {
            VectorRecord::new(id, state.clone())
                .in_namespace("BTC-USD")
                .with("horizon_end", 0_i64)
                .with("outcome", outcome)
        };
        agent.memory.index_mut().upsert((0..16).map(|i| record(&format!("l{i}"), -0.05)).collect()).unwrap();
        let (vote, _) = agent.recall(&state, 1, Regime::Trending);
        let vote = vote.unwrap();
        assert_eq!(vote.action, Action::Sell);
        assert!((vote.confidence - 1.0).abs() < 1e-6);
        let mut agent = super::tests::agent();
        agent.memory.index_mut().upsert(vec![record("a", 0.001), record("b", -0.002)]).unwrap();
        assert_eq!(agent.recall(&state, 1, Regime::Trending).0.unwrap().action, Action::Hold);
    }
}
