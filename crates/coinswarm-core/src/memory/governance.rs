//! Quorum governance of learned memory. Every change to a pattern (promote, deprecate,
//! quarantine, weight change, delete) is a [`Proposal`]; three independent [`Manager`]s each
//! check it — support (enough evidence), bounds (a valid lifecycle step and weight),
//! regime consistency, and a rate limit — and vote with the SHA-256 of their decision and
//! the canonical proposal. The change commits only when all three votes are the same hash
//! of an approval; any disagreement blocks it. Proposals, votes and the outcome go to the
//! hash-chained [`AuditLog`].

use super::audit::{AuditLog, hex};
use sha2::{Digest, Sha256};

/// Where a pattern is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    Candidate,
    Active,
    Deprecated,
    Quarantined,
    Deleted,
}

/// What is known of a pattern when a change is proposed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PatternEvidence {
    pub lifecycle: Lifecycle,
    /// Episodes in the pattern with a known outcome.
    pub count: u64,
    pub win_rate: f64,
    pub sharpe: f64,
    /// Worst peak-to-trough loss of the pattern's outcomes, as a fraction (0.1 = 10%).
    pub max_drawdown: f64,
    /// The regime most of its episodes came from, and their share.
    pub regime: String,
    pub regime_share: f64,
    /// Results since it became active: episodes and Sharpe.
    pub live_count: u64,
    pub live_sharpe: f64,
}

/// A change to one pattern.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Mutation {
    Promote,
    Deprecate,
    Quarantine { reason: String },
    SetWeight { weight: f64 },
    Delete,
}

/// A proposed change, with the evidence it rests on.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Proposal {
    pub pattern_id: String,
    pub mutation: Mutation,
    pub evidence: PatternEvidence,
    /// Milliseconds since the Unix epoch.
    pub time_ms: i64,
}

impl Proposal {
    /// The proposal as canonical JSON (fields in declaration order, no spaces).
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).expect("a proposal always serialises")
    }
}

/// The evidence for promoting a new version of the learned agent's model: both versions
/// scored on the same latest resolved samples, which the candidate never trained on.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelEvidence {
    /// The candidate's parent (the model it was fine-tuned from).
    pub parent: Option<String>,
    /// Mean loss on the evaluation samples (lower is better).
    pub candidate_loss: f64,
    pub current_loss: f64,
    pub evaluation_samples: u64,
    /// Decision times (ms) of the first and last evaluation sample.
    pub evaluation_from_ms: i64,
    pub evaluation_to_ms: i64,
    /// Samples the candidate was fine-tuned on (all decided before the evaluation ones).
    pub train_samples: u64,
}

/// A proposal to replace the learned agent's model by a fine-tuned version.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelProposal {
    /// `model:<product>`.
    pub subject: String,
    /// The candidate's and the current model's hashes.
    pub candidate: String,
    pub current: String,
    pub evidence: ModelEvidence,
    pub time_ms: i64,
}

impl ModelProposal {
    /// The proposal as canonical JSON (fields in declaration order, no spaces).
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).expect("a model proposal always serialises")
    }
}

/// The thresholds every manager applies.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GovernanceConfig {
    /// Episodes a pattern needs before it can be promoted. Default 100.
    pub min_support: u64,
    /// Sharpe a pattern needs before it can be promoted. Default 1.0.
    pub min_sharpe: f64,
    /// Worst drawdown a promoted pattern may have had (fraction). Default 0.10.
    pub max_drawdown: f64,
    /// Share of a pattern's episodes that must come from its main regime. Default 0.6.
    pub min_regime_share: f64,
    /// Most influence (weight) of a pattern without a live track record. Default 0.30.
    pub new_pattern_weight_cap: f64,
    /// Live episodes that make a track record (lifting the cap) or justify deprecation. Default 100.
    pub track_record: u64,
    /// Live Sharpe below which an active pattern has decayed and may be deprecated. Default 0.
    pub decay_sharpe: f64,
    /// Changes approved per hour at most (a burst of changes is suspect). Default 10.
    pub max_changes_per_hour: usize,
    /// Resolved samples a new model version must be scored on before it can replace the
    /// current one. Default 100.
    pub min_model_evaluation: u64,
}

impl Default for GovernanceConfig {
    fn default() -> Self {
        Self {
            min_support: 100,
            min_sharpe: 1.0,
            max_drawdown: 0.10,
            min_regime_share: 0.6,
            new_pattern_weight_cap: 0.30,
            track_record: 100,
            decay_sharpe: 0.0,
            max_changes_per_hour: 10,
            min_model_evaluation: 100,
        }
    }
}

/// One manager's decision.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject { reasons: Vec<String> },
}

/// A manager's vote: its decision and the hash binding it to the proposal.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Vote {
    pub manager: String,
    pub decision: Decision,
    /// SHA-256 of the canonical decision and the canonical proposal.
    pub hash: String,
}

/// One independent checker (see the module documentation).
#[derive(Debug, Clone)]
pub struct Manager {
    pub name: String,
    config: GovernanceConfig,
    /// Times (ms) of the changes committed, for the rate limit.
    committed: Vec<i64>,
}

const HOUR_MS: i64 = 3_600_000;

impl Manager {
    pub fn new(name: impl Into<String>, config: GovernanceConfig) -> Self {
        Self { name: name.into(), config, committed: Vec::new() }
    }

    /// Checks the proposal and votes.
    pub fn vote(&self, proposal: &Proposal) -> Vote {
        let mut reasons = self.objections(proposal);
        reasons.extend(self.rate_objection(proposal.time_ms));
        self.sign(reasons, &proposal.canonical())
    }

    /// Checks a model proposal and votes: the candidate must descend from the current model
    /// and score strictly better on enough samples it never trained on.
    pub fn vote_model(&self, proposal: &ModelProposal) -> Vote {
        let c = &self.config;
        let e = &proposal.evidence;
        let mut reasons = Vec::new();
        if proposal.candidate == proposal.current {
            reasons.push("bounds: the candidate is the current model".to_string());
        }
        if e.parent.as_deref() != Some(proposal.current.as_str()) {
            reasons
                .push(format!("bounds: the candidate was not fine-tuned from the current model {}", proposal.current));
        }
        if e.evaluation_samples < c.min_model_evaluation {
            reasons.push(format!(
                "support: scored on {} samples, {} needed",
                e.evaluation_samples, c.min_model_evaluation
            ));
        }
        if !(e.candidate_loss.is_finite() && e.current_loss.is_finite() && e.candidate_loss < e.current_loss) {
            reasons.push(format!(
                "support: out-of-sample loss {:.6} does not beat the current model's {:.6}",
                e.candidate_loss, e.current_loss
            ));
        }
        reasons.extend(self.rate_objection(proposal.time_ms));
        self.sign(reasons, &proposal.canonical())
    }

    fn sign(&self, reasons: Vec<String>, canonical_proposal: &str) -> Vote {
        let decision = if reasons.is_empty() { Decision::Approve } else { Decision::Reject { reasons } };
        let canonical_decision = serde_json::to_string(&decision).expect("a decision always serialises");
        let mut hasher = Sha256::new();
        hasher.update(canonical_decision.as_bytes());
        hasher.update([0]);
        hasher.update(canonical_proposal.as_bytes());
        Vote { manager: self.name.clone(), decision, hash: hex(&hasher.finalize()) }
    }

    fn rate_objection(&self, time_ms: i64) -> Option<String> {
        let recent = self.committed.iter().filter(|t| time_ms - **t < HOUR_MS).count();
        (recent >= self.config.max_changes_per_hour)
            .then(|| format!("rate: {recent} changes in the last hour, at most {}", self.config.max_changes_per_hour))
    }

    fn remember_commit(&mut self, time_ms: i64) {
        self.committed.retain(|t| time_ms - t < HOUR_MS);
        self.committed.push(time_ms);
    }

    fn objections(&self, proposal: &Proposal) -> Vec<String> {
        let c = &self.config;
        let e = &proposal.evidence;
        let mut reasons = Vec::new();
        let mut need = |ok: bool, reason: String| {
            if !ok {
                reasons.push(reason);
            }
        };
        match &proposal.mutation {
            Mutation::Promote => {
                need(
                    e.lifecycle == Lifecycle::Candidate,
                    format!("bounds: only a candidate is promoted, not {:?}", e.lifecycle),
                );
                need(e.count >= c.min_support, format!("support: {} episodes, {} needed", e.count, c.min_support));
                need(e.sharpe >= c.min_sharpe, format!("support: Sharpe {:.2}, {:.2} needed", e.sharpe, c.min_sharpe));
                need(
                    e.max_drawdown <= c.max_drawdown,
                    format!("support: drawdown {:.1}%, at most {:.1}%", e.max_drawdown * 100.0, c.max_drawdown * 100.0),
                );
                need(
                    e.regime_share >= c.min_regime_share,
                    format!(
                        "regime: {:.0}% of episodes in {}, {:.0}% needed",
                        e.regime_share * 100.0,
                        e.regime,
                        c.min_regime_share * 100.0
                    ),
                );
            }
            Mutation::Deprecate => {
                need(
                    e.lifecycle == Lifecycle::Active,
                    format!("bounds: only an active pattern is deprecated, not {:?}", e.lifecycle),
                );
                need(
                    e.live_count >= c.track_record,
                    format!("support: {} live episodes, {} needed to judge decay", e.live_count, c.track_record),
                );
                need(
                    e.live_sharpe < c.decay_sharpe,
                    format!("support: live Sharpe {:.2} has not decayed below {:.2}", e.live_sharpe, c.decay_sharpe),
                );
            }
            Mutation::Quarantine { reason } => {
                need(
                    !matches!(e.lifecycle, Lifecycle::Quarantined | Lifecycle::Deleted),
                    format!("bounds: a {:?} pattern cannot be quarantined", e.lifecycle),
                );
                need(!reason.trim().is_empty(), "support: a quarantine needs a reason".into());
            }
            Mutation::SetWeight { weight } => {
                need(
                    e.lifecycle == Lifecycle::Active,
                    format!("bounds: only an active pattern has a weight, not {:?}", e.lifecycle),
                );
                need(
                    weight.is_finite() && (0.0..=1.0).contains(weight),
                    format!("bounds: weight {weight} is outside [0, 1]"),
                );
                if e.live_count < c.track_record {
                    need(
                        *weight <= c.new_pattern_weight_cap,
                        format!(
                            "bounds: weight {weight} above the {} cap of a pattern without a track record",
                            c.new_pattern_weight_cap
                        ),
                    );
                }
            }
            Mutation::Delete => need(
                matches!(e.lifecycle, Lifecycle::Deprecated | Lifecycle::Quarantined),
                format!("bounds: only a deprecated or quarantined pattern is deleted, not {:?}", e.lifecycle),
            ),
        }
        reasons
    }
}

/// What became of a proposal.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// All three voted the same approval: the change is made.
    Committed,
    /// All three agreed to reject it, for these reasons.
    Rejected(Vec<String>),
    /// The votes differ: nothing changes.
    Disagreement,
}

/// Three managers and the audit log: the only way learned memory changes.
#[derive(Debug, Clone)]
pub struct Governance {
    managers: [Manager; 3],
    audit: AuditLog,
}

impl Governance {
    /// Three managers with the same thresholds.
    pub fn new(config: GovernanceConfig, audit: AuditLog) -> Self {
        Self::with_managers(
            [Manager::new("manager-1", config), Manager::new("manager-2", config), Manager::new("manager-3", config)],
            audit,
        )
    }

    pub fn with_managers(managers: [Manager; 3], audit: AuditLog) -> Self {
        Self { managers, audit }
    }

    /// Records the proposal, collects the three votes, and commits or not.
    pub fn decide(&mut self, proposal: &Proposal) -> Outcome {
        self.audit.append(proposal.time_ms, "proposal", proposal.canonical());
        let votes: Vec<Vote> = self.managers.iter().map(|m| m.vote(proposal)).collect();
        self.settle(proposal.time_ms, &proposal.pattern_id, &votes)
    }

    /// The same for a new version of the learned model: the proposal, three votes and the
    /// outcome go to the same audit chain.
    pub fn decide_model(&mut self, proposal: &ModelProposal) -> Outcome {
        self.audit.append(proposal.time_ms, "model_proposal", proposal.canonical());
        let votes: Vec<Vote> = self.managers.iter().map(|m| m.vote_model(proposal)).collect();
        self.settle(proposal.time_ms, &proposal.subject, &votes)
    }

    fn settle(&mut self, time: i64, subject: &str, votes: &[Vote]) -> Outcome {
        for vote in votes {
            self.audit.append(time, "vote", serde_json::to_string(vote).expect("a vote always serialises"));
        }
        let unanimous = votes.windows(2).all(|pair| pair[0].hash == pair[1].hash);
        let outcome = match (&votes[0].decision, unanimous) {
            (_, false) => Outcome::Disagreement,
            (Decision::Approve, true) => Outcome::Committed,
            (Decision::Reject { reasons }, true) => Outcome::Rejected(reasons.clone()),
        };
        let (kind, payload) = match &outcome {
            Outcome::Committed => {
                for manager in &mut self.managers {
                    manager.remember_commit(time);
                }
                ("commit", serde_json::json!({"pattern_id": subject, "vote_hash": votes[0].hash}))
            }
            Outcome::Rejected(reasons) => ("rejection", serde_json::json!({"pattern_id": subject, "reasons": reasons})),
            Outcome::Disagreement => {
                ("rejection", serde_json::json!({"pattern_id": subject, "reasons": ["the managers' votes differ"]}))
            }
        };
        self.audit.append(time, kind, payload.to_string());
        outcome
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::audit::verify;

    fn evidence(lifecycle: Lifecycle) -> PatternEvidence {
        PatternEvidence {
            lifecycle,
            count: 150,
            win_rate: 0.58,
            sharpe: 1.4,
            max_drawdown: 0.06,
            regime: "trending".into(),
            regime_share: 0.8,
            live_count: 0,
            live_sharpe: 0.0,
        }
    }

    fn proposal(mutation: Mutation, evidence: PatternEvidence, time_ms: i64) -> Proposal {
        Proposal { pattern_id: "p-7".into(), mutation, evidence, time_ms }
    }

    #[test]
    fn a_well_supported_promotion_commits_with_three_identical_votes() {
        let mut governance = Governance::new(GovernanceConfig::default(), AuditLog::default());
        assert_eq!(
            governance.decide(&proposal(Mutation::Promote, evidence(Lifecycle::Candidate), 0)),
            Outcome::Committed
        );
        let kinds: Vec<&str> = governance.audit().records().iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["proposal", "vote", "vote", "vote", "commit"]);
        assert_eq!(verify(governance.audit().records()), Ok(()));
    }

    #[test]
    fn a_model_version_is_promoted_only_when_it_descends_from_the_current_and_scores_better_out_of_sample() {
        let mut governance = Governance::new(GovernanceConfig::default(), AuditLog::default());
        let proposal = |candidate_loss: f64, samples: u64, parent: &str| ModelProposal {
            subject: "model:BTC-USD".into(),
            candidate: "new".into(),
            current: "old".into(),
            evidence: ModelEvidence {
                parent: Some(parent.into()),
                candidate_loss,
                current_loss: 1.0,
                evaluation_samples: samples,
                evaluation_from_ms: 0,
                evaluation_to_ms: 1,
                train_samples: 500,
            },
            time_ms: 0,
        };
        let Outcome::Rejected(reasons) = governance.decide_model(&proposal(1.0, 240, "old")) else { panic!() };
        assert_eq!(reasons, ["support: out-of-sample loss 1.000000 does not beat the current model's 1.000000"]);
        let Outcome::Rejected(reasons) = governance.decide_model(&proposal(0.9, 99, "other")) else { panic!() };
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(governance.decide_model(&proposal(0.9, 240, "old")), Outcome::Committed);
        let kinds: Vec<&str> = governance.audit().records().iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds[kinds.len() - 5..], ["model_proposal", "vote", "vote", "vote", "commit"]);
        assert_eq!(verify(governance.audit().records()), Ok(()));
    }

    #[test]
    fn thin_support_wrong_steps_heavy_weights_and_bursts_are_rejected_with_reasons() {
        let mut governance = Governance::new(GovernanceConfig::default(), AuditLog::default());
        let thin = PatternEvidence {
            count: 99,
            sharpe: 0.9,
            max_drawdown: 0.12,
            regime_share: 0.5,
            ..evidence(Lifecycle::Candidate)
        };
        let Outcome::Rejected(reasons) = governance.decide(&proposal(Mutation::Promote, thin, 0)) else { panic!() };
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("99 episodes, 100 needed")));

        let outcome = governance.decide(&proposal(Mutation::SetWeight { weight: 0.5 }, evidence(Lifecycle::Active), 0));
        assert!(matches!(outcome, Outcome::Rejected(r) if r[0].contains("0.3 cap")));
        let tracked = PatternEvidence { live_count: 200, live_sharpe: 1.2, ..evidence(Lifecycle::Active) };
        assert_eq!(governance.decide(&proposal(Mutation::SetWeight { weight: 0.5 }, tracked, 0)), Outcome::Committed);
        assert!(matches!(
            governance.decide(&proposal(Mutation::Delete, evidence(Lifecycle::Active), 0)),
            Outcome::Rejected(_)
        ));

        // The rate limit: at most 10 changes an hour.
        let mut governance = Governance::new(GovernanceConfig::default(), AuditLog::default());
        let quarantine = || Mutation::Quarantine { reason: "live losses".into() };
        for i in 0..10 {
            assert_eq!(governance.decide(&proposal(quarantine(), evidence(Lifecycle::Active), i)), Outcome::Committed);
        }
        let Outcome::Rejected(reasons) = governance.decide(&proposal(quarantine(), evidence(Lifecycle::Active), 20))
        else {
            panic!()
        };
        assert!(reasons[0].starts_with("rate:"), "{reasons:?}");
        assert_eq!(
            governance.decide(&proposal(quarantine(), evidence(Lifecycle::Active), HOUR_MS + 10)),
            Outcome::Committed
        );
    }

    #[test]
    fn one_manager_that_disagrees_blocks_the_commit() {
        let strict = GovernanceConfig { min_support: 200, ..GovernanceConfig::default() };
        let managers = [
            Manager::new("manager-1", GovernanceConfig::default()),
            Manager::new("manager-2", GovernanceConfig::default()),
            Manager::new("manager-3", strict),
        ];
        let mut governance = Governance::with_managers(managers, AuditLog::default());
        assert_eq!(
            governance.decide(&proposal(Mutation::Promote, evidence(Lifecycle::Candidate), 0)),
            Outcome::Disagreement
        );
        let last = governance.audit().records().last().unwrap();
        assert_eq!(last.kind, "rejection");
        assert!(last.payload.contains("votes differ"));
    }

    #[test]
    fn a_vote_is_bound_to_the_exact_proposal() {
        let manager = Manager::new("m", GovernanceConfig::default());
        let a = proposal(Mutation::Promote, evidence(Lifecycle::Candidate), 0);
        let mut b = a.clone();
        b.evidence.count += 1;
        assert_eq!(manager.vote(&a).decision, manager.vote(&b).decision);
        assert_ne!(manager.vote(&a).hash, manager.vote(&b).hash, "same decision, different payload, different hash");
        assert_eq!(manager.vote(&a).hash, Manager::new("other", GovernanceConfig::default()).vote(&a).hash);
    }
}
