//! The learned agent: a small neural network (see [`crate::learned`]) trained walk-forward
//! on past outcomes. At each bar's close it builds the model's inputs, predicts the next
//! horizon's long return net of fees and the chance it is a gain, and votes:
//!
//! - Buy when the predicted net return exceeds `min_edge` and a gain is more likely than not;
//! - Sell when the predicted gross return (net plus the fees) is below −`min_edge` and a
//!   loss is more likely: holding loses more than leaving costs;
//! - Hold otherwise.
//!
//! Confidence is the model's |2p − 1| (p the chance of a gain); size `max_size` ×
//! confidence. The reason names the prediction. Each decision's inputs wait for their
//! horizon and then become a resolved sample ([`OnlineSamples`]): the outcomes `coinswarm up`
//! fine-tunes the model on, off the decision path.

use crate::learned::{FeatureBuilder, OnlineSamples, Prediction, SharedModel, TrainingSample};
use crate::market::Candle;
use crate::memory::BarValues;
use crate::swarm::planner::Regime;
use crate::swarm::{Action, Agent, AgentKind, DecisionContext, Observation, Reason, Vote};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The learned agent's settings. The model itself is given at run time (`--model FILE`, or
/// a model trained per walk-forward fold); it is not part of a config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LearnedConfig {
    /// Take part in the committee. Default false; `--model FILE` (or `--learned` in
    /// walk-forward) turns it on.
    pub enabled: bool,
    /// Predicted net return (fraction) needed to vote Buy or Sell. Default 0.002.
    pub min_edge: f64,
    /// Largest size it asks for, as a fraction of equity. Default 0.25.
    pub max_size: f64,
    /// Resolved samples kept for fine-tuning (the oldest leave first). Default 20,000.
    pub keep_samples: usize,
    pub online: OnlineLearningConfig,
    /// The model (never read from or written to a config file).
    #[serde(skip)]
    pub model: Option<SharedModel>,
}

impl Default for LearnedConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            min_edge: 0.002,
            max_size: 0.25,
            keep_samples: 20_000,
            online: OnlineLearningConfig::default(),
            model: None,
        }
    }
}

/// How `coinswarm up` fine-tunes the model on resolved samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OnlineLearningConfig {
    /// Fine-tune at all. Default true (only `coinswarm up` fine-tunes).
    pub enabled: bool,
    /// Newly resolved samples between two fine-tunings. Default 168 (a week of hourly bars).
    pub every_resolved: usize,
    /// The latest resolved samples the candidate and the current model are both scored on;
    /// the candidate never trains on them. Default 240.
    pub evaluation_samples: usize,
    /// Fewest resolved samples, beyond the evaluation ones, to fine-tune on. Default 480.
    pub min_train_samples: usize,
    /// Passes over the training samples per fine-tuning. Default 10.
    pub epochs: usize,
}

impl Default for OnlineLearningConfig {
    fn default() -> Self {
        Self { enabled: true, every_resolved: 168, evaluation_samples: 240, min_train_samples: 480, epochs: 10 }
    }
}

/// What the learned agent saw at a bar's close (it goes to the decision log): the model's
/// version and, once warmed up, its prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearnedEvidence {
    /// The model; recorded as its hash (SHA-256 of its file), its version.
    #[serde(serialize_with = "model_hash")]
    pub model: SharedModel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prediction: Option<Prediction>,
}

fn model_hash<S: serde::Serializer>(model: &SharedModel, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(model.hash())
}

#[derive(Debug)]
struct Prepared {
    bar_start: Timestamp,
    evidence: LearnedEvidence,
    vote: Option<Vote>,
}

/// See the module documentation.
#[derive(Debug)]
pub struct LearnedAgent {
    config: LearnedConfig,
    model: SharedModel,
    features: FeatureBuilder,
    samples: OnlineSamples,
    round_trip_fee: f64,
    prepared: Option<Prepared>,
}

impl LearnedAgent {
    /// The agent on `model`, for bars of `bar_ms`, paying `round_trip_fee` (a fraction).
    pub fn new(config: LearnedConfig, model: SharedModel, bar_ms: i64, round_trip_fee: f64) -> Self {
        // The spec was checked when the model was made or read, so the builder cannot refuse it.
        let features = FeatureBuilder::new(*model.spec()).unwrap_or_else(|_| unreachable_spec());
        let horizon_ms = bar_ms.saturating_mul(model.horizon_bars() as i64);
        let samples = OnlineSamples::new(horizon_ms, round_trip_fee, config.keep_samples);
        Self { config, model, features, samples, round_trip_fee, prepared: None }
    }

    pub fn model(&self) -> &SharedModel {
        &self.model
    }

    /// Swaps in a newer version of the model (promoted by the quorum); features and samples
    /// carry on when it is fed the same features, and start over otherwise.
    pub fn set_model(&mut self, model: SharedModel) {
        if model.spec() != self.features.spec() {
            self.features = FeatureBuilder::new(*model.spec()).unwrap_or_else(|_| unreachable_spec());
        }
        self.model = model;
    }

    /// The latest resolved samples, oldest first, and how many have been resolved in all.
    pub fn samples(&mut self) -> (&[TrainingSample], u64) {
        let total = self.samples.total_resolved();
        (self.samples.resolved(), total)
    }

    /// What the model said at the last bar close.
    pub fn evidence(&self) -> Option<&LearnedEvidence> {
        self.prepared.as_ref().map(|p| &p.evidence)
    }

    /// The prediction on the bar that closes at `now`, with its vote.
    pub fn on_bar_close(&mut self, bar: &BarValues, now: Timestamp) {
        let price = bar.close;
        self.samples.resolve(now.millis(), price);
        let inputs = self.features.update_bar(bar);
        let prediction = inputs.as_deref().and_then(|inputs| self.model.predict(inputs));
        if let Some(inputs) = inputs {
            self.samples.record(now.millis(), inputs, price);
        }
        let vote = prediction.map(|p| self.vote_on(&p));
        let evidence = LearnedEvidence { model: self.model.clone(), prediction };
        self.prepared = Some(Prepared { bar_start: bar.start, evidence, vote });
    }

    fn vote_on(&self, p: &Prediction) -> Vote {
        let values =
            [p.expected_return * 100.0, self.model.horizon_bars() as f64, p.probability_up * 100.0, p.confidence];
        let size = self.config.max_size * p.confidence;
        if p.expected_return > self.config.min_edge && p.probability_up > 0.5 {
            let reason =
                Reason::new("model predicts {}% net over {} bars, {}% chance of a gain (confidence {})", values);
            Vote::new(AgentKind::Learned, Action::Buy, p.confidence, size, reason)
        } else if p.expected_return + self.round_trip_fee < -self.config.min_edge && p.probability_up < 0.5 {
            let reason =
                Reason::new("model predicts {}% net over {} bars, only {}% chance of a gain (confidence {})", values);
            Vote::new(AgentKind::Learned, Action::Sell, p.confidence, size, reason)
        } else {
            let reason = Reason::new("model predicts {}% net over {} bars, no edge; {}% chance of a gain ({})", values);
            Vote::new(AgentKind::Learned, Action::Hold, p.confidence, 0.0, reason)
        }
    }
}

fn unreachable_spec() -> FeatureBuilder {
    // A model's feature spec is validated when it is built or read (`LearnedModel::new`,
    // `LearnedModel::from_safetensors`); the default spec is always valid.
    FeatureBuilder::new(crate::learned::FeatureSpec::default()).expect("the default feature spec is valid")
}

impl Agent for LearnedAgent {
    fn kind(&self) -> AgentKind {
        AgentKind::Learned
    }

    /// The inputs are built at the bar's close ([`LearnedAgent::on_bar_close`]).
    fn observe(&mut self, _observation: &Observation) {}

    fn vote(&self, context: &DecisionContext<'_>) -> Option<Vote> {
        self.prepared.as_ref().filter(|p| p.bar_start == context.observation.time).and_then(|p| p.vote)
    }

    /// The bar's values come from the observation of the same bar (already in `f64`).
    fn on_bar_close(&mut self, _candle: &Candle, context: &DecisionContext<'_>, now: Timestamp, _regime: Regime) {
        LearnedAgent::on_bar_close(self, &BarValues::from(context.observation), now);
    }
}
