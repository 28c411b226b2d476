//! Pattern learning: the patterns of one product, learned by clustering its resolved
//! episodes, and moved through their lifecycle (candidate → active → deprecated or
//! quarantined) only by proposals the quorum of managers commits.
//!
//! Every `learn_every` resolved episodes, the most recent `max_samples` are clustered
//! (k-means++, fixed seed), starting from the centroids of the patterns already known, so
//! that the cluster grown from a pattern's centroid is that pattern again: its centroid and
//! statistics are replaced. A cluster of at least `min_cluster` episodes from a fresh seed
//! becomes a new candidate. Then every pattern is reviewed:
//!
//! - a candidate whose statistics meet the promotion bar (n ≥ 100, Sharpe ≥ 1.0, drawdown
//!   ≤ 10%, one regime ≥ 60% of its episodes) is proposed for promotion, and once active
//!   for a weight of at most 30% (the cap of a pattern without a track record);
//! - an active pattern with a track record (100 live outcomes) is proposed for deprecation
//!   when its live Sharpe has decayed below 0, or otherwise for the established weight
//!   when its live Sharpe still meets the promotion bar;
//! - an active pattern whose live drawdown reaches `quarantine_drawdown` is proposed for
//!   quarantine at once.
//!
//! A pattern's weight is its influence on the recall agent: the share of the agent's
//! expected outcome taken from the pattern's mean outcome when the state at hand falls in
//! it (it is the nearest pattern). Only active patterns have influence.

use super::audit::{AuditLog, AuditRecord};
use super::clustering::{KMeansConfig, kmeans_from, nearest_of};
use super::governance::{Governance, GovernanceConfig, Lifecycle, ModelProposal, Mutation, Outcome, Proposal};
use super::pattern::{LiveRecord, Pattern, PatternStats, StatsScale};
use std::collections::BTreeMap;

/// How patterns are learned and governed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PatternConfig {
    /// Learn patterns at all. Default true.
    pub enabled: bool,
    pub kmeans: KMeansConfig,
    /// Resolved episodes between two learning runs. Default 500.
    pub learn_every: usize,
    /// Most recent resolved episodes a learning run clusters. Default 20,000.
    pub max_samples: usize,
    /// Fewest episodes a cluster needs to become or update a pattern. Default 30.
    pub min_cluster: usize,
    /// Weight of an active pattern with a good track record, in [0, 1]. Default 0.6.
    pub established_weight: f64,
    /// Live drawdown at which an active pattern is quarantined. Default 0.2.
    pub quarantine_drawdown: f64,
    /// Milliseconds before the same change to the same pattern is proposed again after a
    /// refusal. Default one hour.
    pub retry_after_ms: i64,
    pub governance: GovernanceConfig,
}

impl Default for PatternConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            kmeans: KMeansConfig::default(),
            learn_every: 500,
            max_samples: 20_000,
            min_cluster: 30,
            established_weight: 0.6,
            quarantine_drawdown: 0.2,
            retry_after_ms: 3_600_000,
            governance: GovernanceConfig::default(),
        }
    }
}

/// One resolved episode as learning sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub time_ms: i64,
    pub state: Vec<f32>,
    pub outcome: f64,
    pub regime: String,
}

/// A pattern's pull on the recall agent at one state.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Influence {
    pub pattern_id: String,
    pub weight: f64,
    /// The pattern's mean outcome.
    pub mean: f64,
}

/// The patterns of one product and the governance that changes them.
#[derive(Debug, Clone)]
pub struct PatternBook {
    product_id: String,
    config: PatternConfig,
    scale: StatsScale,
    patterns: Vec<Pattern>,
    governance: Governance,
    /// Audit records handed out by [`PatternBook::take_audit`] so far.
    audit_taken: usize,
    changed: bool,
    /// When each (pattern, change) was last proposed, for `retry_after_ms`.
    proposed: BTreeMap<(String, &'static str), i64>,
    /// When each active pattern became active (live outcomes count from then).
    activated: BTreeMap<String, i64>,
    learning_runs: u64,
}

impl PatternBook {
    /// A book continuing `patterns` and `audit` (both as stored; empty for a new one).
    pub fn new(
        product_id: impl Into<String>,
        config: PatternConfig,
        scale: StatsScale,
        patterns: Vec<Pattern>,
        audit: AuditLog,
    ) -> Self {
        let audit_taken = audit.records().len();
        let activated = patterns
            .iter()
            .filter(|p| p.lifecycle == Lifecycle::Active)
            .map(|p| (p.id.clone(), p.updated_ms))
            .collect();
        Self {
            product_id: product_id.into(),
            governance: Governance::new(config.governance, audit),
            config,
            scale,
            patterns,
            audit_taken,
            changed: false,
            proposed: BTreeMap::new(),
            activated,
            learning_runs: 0,
        }
    }

    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    pub fn config(&self) -> &PatternConfig {
        &self.config
    }

    pub fn learning_runs(&self) -> u64 {
        self.learning_runs
    }

    pub fn audit(&self) -> &AuditLog {
        self.governance.audit()
    }

    /// Audit records appended since the last call (to persist them).
    pub fn take_audit(&mut self) -> Vec<AuditRecord> {
        let records = self.governance.audit().records()[self.audit_taken..].to_vec();
        self.audit_taken += records.len();
        records
    }

    /// Every pattern, when any changed since the last call (to persist them).
    pub fn take_changed(&mut self) -> Option<Vec<Pattern>> {
        std::mem::take(&mut self.changed).then(|| self.patterns.clone())
    }

    /// Clusters `samples` (time order; the most recent `max_samples` are used) into
    /// patterns, then reviews every pattern's lifecycle.
    pub fn learn(&mut self, samples: &[Sample], now_ms: i64) {
        let samples = &samples[samples.len().saturating_sub(self.config.max_samples)..];
        if samples.is_empty() {
            return;
        }
        self.learning_runs += 1;
        let states: Vec<Vec<f32>> = samples.iter().map(|s| s.state.clone()).collect();
        // Each run starts from the patterns already known, so a cluster that grew from a
        // pattern's centroid is that pattern again (identity across runs); the remaining
        // slots are seeded by k-means++ and may become new candidates.
        let known: Vec<usize> = (0..self.patterns.len())
            .filter(|i| self.patterns[*i].lifecycle != Lifecycle::Deleted)
            .take(self.config.kmeans.k)
            .collect();
        let initial: Vec<Vec<f32>> = known.iter().map(|i| self.patterns[*i].centroid.clone()).collect();
        let clustering = kmeans_from(&states, &initial, &self.config.kmeans);
        let mut members: Vec<Vec<&Sample>> = vec![Vec::new(); clustering.centroids.len()];
        for (sample, &cluster) in samples.iter().zip(&clustering.assignment) {
            members[cluster].push(sample);
        }
        for (cluster, (centroid, members)) in clustering.centroids.into_iter().zip(members).enumerate() {
            if members.len() < self.config.min_cluster.max(1) {
                continue;
            }
            let stats = PatternStats::of(members.iter().map(|s| (s.outcome, s.regime.as_str())), self.scale);
            match known.get(cluster) {
                Some(&i) => {
                    let pattern = &mut self.patterns[i];
                    pattern.centroid = centroid;
                    pattern.stats = stats;
                    pattern.updated_ms = now_ms;
                }
                None => {
                    let id = format!("{}/p-{}", self.product_id, self.patterns.len() + 1);
                    self.patterns.push(Pattern {
                        id,
                        product_id: self.product_id.clone(),
                        lifecycle: Lifecycle::Candidate,
                        weight: 0.0,
                        centroid,
                        stats,
                        live: LiveRecord::default(),
                        created_ms: now_ms,
                        updated_ms: now_ms,
                    });
                }
            }
            self.changed = true;
        }
        for i in 0..self.patterns.len() {
            self.review(i, now_ms);
        }
    }

    /// A resolved episode decided at `decided_ms`: counts toward the live record of the
    /// active pattern its state falls in (if it became active before the decision), and may
    /// trigger a quarantine.
    pub fn record_live(&mut self, state: &[f32], decided_ms: i64, outcome: f64, now_ms: i64) {
        let Some(i) = self.nearest(state) else { return };
        let pattern = &mut self.patterns[i];
        if pattern.lifecycle != Lifecycle::Active || self.activated.get(&pattern.id).is_none_or(|t| decided_ms < *t) {
            return;
        }
        pattern.live.add(outcome, self.scale);
        self.changed = true;
        if pattern.live.max_drawdown >= self.config.quarantine_drawdown {
            self.review(i, now_ms);
        }
    }

    /// The active pattern `state` falls in, if any, with its weight and mean outcome.
    pub fn influence(&self, state: &[f32]) -> Option<Influence> {
        let pattern = &self.patterns[self.nearest(state)?];
        (pattern.lifecycle == Lifecycle::Active && pattern.weight > 0.0).then(|| Influence {
            pattern_id: pattern.id.clone(),
            weight: pattern.weight,
            mean: pattern.stats.mean,
        })
    }

    /// The nearest pattern that is not deleted (asked at every bar: no allocation).
    fn nearest(&self, state: &[f32]) -> Option<usize> {
        let live = self.patterns.iter().enumerate().filter(|(_, p)| p.lifecycle != Lifecycle::Deleted);
        nearest_of(state, live.map(|(i, p)| (i, p.centroid.as_slice()))).map(|(i, _)| i)
    }

    /// Proposes the change pattern `i` is due for, if any, and applies it when committed.
    fn review(&mut self, i: usize, now_ms: i64) {
        let governance = &self.config.governance;
        let pattern = &self.patterns[i];
        let evidence = pattern.evidence(self.scale);
        let meets_bar = evidence.count >= governance.min_support
            && evidence.sharpe >= governance.min_sharpe
            && evidence.max_drawdown <= governance.max_drawdown
            && evidence.regime_share >= governance.min_regime_share;
        let has_record = evidence.live_count >= governance.track_record;
        let mutation = match pattern.lifecycle {
            Lifecycle::Candidate if meets_bar => Mutation::Promote,
            Lifecycle::Active if pattern.live.max_drawdown >= self.config.quarantine_drawdown => Mutation::Quarantine {
                reason: format!(
                    "live drawdown {:.1}% reached {:.1}%",
                    pattern.live.max_drawdown * 100.0,
                    self.config.quarantine_drawdown * 100.0
                ),
            },
            Lifecycle::Active if has_record && evidence.live_sharpe < governance.decay_sharpe => Mutation::Deprecate,
            Lifecycle::Active
                if has_record
                    && evidence.live_sharpe >= governance.min_sharpe
                    && pattern.weight < self.config.established_weight =>
            {
                Mutation::SetWeight { weight: self.config.established_weight }
            }
            Lifecycle::Active if pattern.weight == 0.0 && !has_record => {
                Mutation::SetWeight { weight: governance.new_pattern_weight_cap }
            }
            _ => return,
        };
        let kind = match mutation {
            Mutation::Promote => "promote",
            Mutation::Deprecate => "deprecate",
            Mutation::Quarantine { .. } => "quarantine",
            Mutation::SetWeight { .. } => "set_weight",
            Mutation::Delete => "delete",
        };
        let key = (pattern.id.clone(), kind);
        if self.proposed.get(&key).is_some_and(|t| now_ms - t < self.config.retry_after_ms) {
            return;
        }
        self.proposed.insert(key, now_ms);
        self.decide(i, mutation, now_ms);
    }

    /// A new version of the learned agent's model, put to the same three managers and
    /// written to the same audit chain as pattern changes.
    pub fn propose_model(&mut self, proposal: &ModelProposal) -> Outcome {
        self.governance.decide_model(proposal)
    }

    /// An operator's change to the pattern `pattern_id` (quarantine or delete, say): proposed
    /// to the same three managers and applied only when they all approve it. Returns their
    /// outcome, or `None` for an unknown pattern.
    pub fn propose(&mut self, pattern_id: &str, mutation: Mutation, now_ms: i64) -> Option<Outcome> {
        let i = self.patterns.iter().position(|p| p.id == pattern_id)?;
        Some(self.decide(i, mutation, now_ms))
    }

    /// Puts `mutation` of pattern `i` to the quorum and applies it when committed.
    fn decide(&mut self, i: usize, mutation: Mutation, now_ms: i64) -> Outcome {
        let pattern = &self.patterns[i];
        let evidence = pattern.evidence(self.scale);
        let proposal =
            Proposal { pattern_id: pattern.id.clone(), mutation: mutation.clone(), evidence, time_ms: now_ms };
        let outcome = self.governance.decide(&proposal);
        if outcome != Outcome::Committed {
            return outcome;
        }
        let pattern = &mut self.patterns[i];
        pattern.updated_ms = now_ms;
        self.changed = true;
        match mutation {
            Mutation::Promote => {
                pattern.lifecycle = Lifecycle::Active;
                self.activated.insert(pattern.id.clone(), now_ms);
                // Straight on to its first, capped weight.
                self.review(i, now_ms);
            }
            Mutation::Deprecate => (pattern.lifecycle, pattern.weight) = (Lifecycle::Deprecated, 0.0),
            Mutation::Quarantine { .. } => (pattern.lifecycle, pattern.weight) = (Lifecycle::Quarantined, 0.0),
            Mutation::SetWeight { weight } => pattern.weight = weight,
            Mutation::Delete => (pattern.lifecycle, pattern.weight) = (Lifecycle::Deleted, 0.0),
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::audit::verify;

    const SCALE: StatsScale = StatsScale { horizons_per_year: 365.0, overlap: 1.0 };

    /// Two tight groups of states: one always followed by a small steady gain (promotable),
    /// one by noise around zero.
    fn samples(n: usize, start_ms: i64) -> Vec<Sample> {
        (0..n)
            .map(|i| {
                let good = i % 2 == 0;
                let wiggle = (i % 7) as f32 * 0.001;
                let state = if good { vec![0.8 + wiggle, 0.1, -0.2, 0.3] } else { vec![-0.5, 0.7 + wiggle, 0.4, -0.1] };
                let outcome = if good { 0.004 + (i % 5) as f64 * 0.001 } else { ((i % 9) as f64 - 4.0) * 0.01 };
                Sample { time_ms: start_ms + i as i64, state, outcome, regime: "trending".into() }
            })
            .collect()
    }

    fn book() -> PatternBook {
        let config =
            PatternConfig { kmeans: KMeansConfig { k: 2, ..KMeansConfig::default() }, ..PatternConfig::default() };
        PatternBook::new("BTC-USD", config, SCALE, Vec::new(), AuditLog::default())
    }

    #[test]
    fn a_steady_cluster_is_promoted_with_the_capped_weight_and_noise_stays_a_candidate() {
        let mut book = book();
        book.learn(&samples(400, 0), 1_000);
        let patterns = book.patterns();
        assert_eq!(patterns.len(), 2);
        let good = patterns.iter().find(|p| p.centroid[0] > 0.5).unwrap();
        let noise = patterns.iter().find(|p| p.centroid[0] < 0.0).unwrap();
        assert_eq!((good.lifecycle, good.weight), (Lifecycle::Active, 0.30));
        assert_eq!((noise.lifecycle, noise.weight), (Lifecycle::Candidate, 0.0));
        assert_eq!(good.stats.count, 200);
        assert_eq!(good.stats.win_rate, 1.0);
        let influence = book.influence(&[0.81, 0.1, -0.2, 0.3]).unwrap();
        assert_eq!(influence.weight, 0.30);
        assert!(book.influence(&[-0.5, 0.7, 0.4, -0.1]).is_none(), "a candidate has no influence");
        // Proposal, three votes and a commit, for the promotion and for the weight.
        let kinds: Vec<&str> = book.audit().records().iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["proposal", "vote", "vote", "vote", "commit"].repeat(2));
        assert_eq!(verify(book.audit().records()), Ok(()));
        assert_eq!(book.take_audit().len(), 10);
        assert!(book.take_audit().is_empty());
        assert!(book.take_changed().is_some());
        assert!(book.take_changed().is_none());
    }

    #[test]
    fn the_same_cluster_learned_again_keeps_its_identity() {
        let mut book = book();
        book.learn(&samples(400, 0), 1_000);
        let ids: Vec<String> = book.patterns().iter().map(|p| p.id.clone()).collect();
        book.learn(&samples(600, 400), 2_000);
        let again: Vec<String> = book.patterns().iter().map(|p| p.id.clone()).collect();
        assert_eq!(ids, again);
        assert_eq!(book.patterns().iter().map(|p| p.stats.count).sum::<u64>(), 600);
    }

    #[test]
    fn live_losses_quarantine_an_active_pattern_and_decay_deprecates_one() {
        let mut book = book();
        book.learn(&samples(400, 0), 1_000);
        let state = [0.8, 0.1, -0.2, 0.3];
        for i in 0..40 {
            book.record_live(&state, 2_000 + i, -0.01, 2_000 + i);
        }
        let good = book.patterns().iter().find(|p| p.centroid[0] > 0.5).unwrap();
        assert_eq!(good.lifecycle, Lifecycle::Quarantined, "{good:?}");
        assert_eq!(good.weight, 0.0);
        assert!(book.influence(&state).is_none());

        // Decay: 100 live outcomes with a negative mean but a shallow drawdown.
        let mut book = book_with_overlap(24.0);
        book.learn(&samples(400, 0), 1_000);
        for i in 0..120 {
            let outcome = if i % 2 == 0 { 0.002 } else { -0.003 };
            book.record_live(&state, 2_000 + i, outcome, 2_000 + i);
        }
        book.learn(&samples(400, 0), 10_000_000);
        let good = book.patterns().iter().find(|p| p.centroid[0] > 0.5).unwrap();
        assert_eq!(good.lifecycle, Lifecycle::Deprecated, "{good:?}");
    }

    fn book_with_overlap(overlap: f64) -> PatternBook {
        let config =
            PatternConfig { kmeans: KMeansConfig { k: 2, ..KMeansConfig::default() }, ..PatternConfig::default() };
        PatternBook::new("BTC-USD", config, StatsScale { overlap, ..SCALE }, Vec::new(), AuditLog::default())
    }

    #[test]
    fn an_operators_quarantine_and_delete_go_through_the_quorum() {
        let mut book = book();
        book.learn(&samples(400, 0), 1_000);
        let good = book.patterns().iter().find(|p| p.centroid[0] > 0.5).unwrap().id.clone();
        let noise = book.patterns().iter().find(|p| p.centroid[0] < 0.0).unwrap().id.clone();
        assert_eq!(book.propose("no-such-pattern", Mutation::Delete, 2_000), None);
        // A candidate cannot be deleted: only a deprecated or quarantined one.
        let refused = book.propose(&noise, Mutation::Delete, 2_000).unwrap();
        assert!(
            matches!(&refused, Outcome::Rejected(reasons) if reasons[0].contains("only a deprecated or quarantined"))
        );
        let quarantine = Mutation::Quarantine { reason: "operator: suspicious fills".into() };
        assert_eq!(book.propose(&good, quarantine, 2_001), Some(Outcome::Committed));
        assert_eq!(book.propose(&good, Mutation::Delete, 2_002), Some(Outcome::Committed));
        let deleted = book.patterns().iter().find(|p| p.id == good).unwrap();
        assert_eq!((deleted.lifecycle, deleted.weight), (Lifecycle::Deleted, 0.0));
        assert!(book.influence(&[0.8, 0.1, -0.2, 0.3]).is_none());
        assert_eq!(verify(book.audit().records()), Ok(()));
    }

    #[test]
    fn outcomes_count_live_from_the_patterns_activation_on() {
        let mut book = book();
        book.learn(&samples(400, 0), 1_000);
        let good = book.patterns().iter().find(|p| p.centroid[0] > 0.5).unwrap().id.clone();
        assert_eq!(book.patterns().iter().find(|p| p.id == good).unwrap().lifecycle, Lifecycle::Active);
        let state = [0.8, 0.1, -0.2, 0.3];
        book.record_live(&state, 999, 0.5, 1_500);
        assert!(book.patterns().iter().all(|p| p.live.count == 0), "decided before the activation at 1,000");
        // Decided at the activation and after it: both count, on the pattern the state falls in.
        book.record_live(&state, 1_000, 0.02, 1_500);
        book.record_live(&state, 1_200, 0.04, 1_600);
        let live = |id: &str| book.patterns().iter().find(|p| p.id == id).unwrap().live;
        assert_eq!(live(&good).count, 2);
        assert!((live(&good).mean() - 0.03).abs() < 1e-12, "{:?}", live(&good));
        assert!(book.patterns().iter().filter(|p| p.id != good).all(|p| p.live.count == 0));
    }
}
