//! Online learning in `coinswarm up`: every `learned.online.every_resolved` newly resolved
//! samples, the learned agent's model is fine-tuned on a blocking thread — never on the
//! decision path — from the samples it has resolved (the same outcomes pattern memory
//! uses). The latest `evaluation_samples` are held out: the candidate never trains on them
//! (nor on any sample whose horizon reaches into them), and both versions are scored on
//! them. The candidate is proposed to pattern memory's three managers and written to the
//! same audit chain; only when they all approve (it descends from the current model and
//! scores strictly better) does it replace the model and is it saved in the data directory.

use super::Session;
use crate::adapters::model_store::ModelStore;
use crate::adapters::store::{AccountLog, EpisodeStore};
use coinswarm_core::learned::{LearnedModel, SharedModel, TrainingInfo, TrainingSample};
use coinswarm_core::memory::{ModelEvidence, ModelProposal, Outcome};
use coinswarm_core::swarm::{OnlineLearningConfig, Swarm};
use coinswarm_learn::{TrainConfig, fine_tune, loss};
use std::sync::Arc;
use tokio::sync::oneshot;

/// The session's online learning state.
#[derive(Debug)]
pub struct OnlineLearning {
    pub store: ModelStore,
    /// The hash of the `--model` file this run descends from.
    pub root: String,
    pub config: OnlineLearningConfig,
    pub bar_ms: i64,
    pub round_trip_fee: f64,
    /// Resolved samples in all when the last fine-tuning started.
    pub started_at: u64,
    pub running: Option<oneshot::Receiver<Result<Fitted, String>>>,
}

impl OnlineLearning {
    pub fn new(
        store: ModelStore,
        root: String,
        config: OnlineLearningConfig,
        bar_ms: i64,
        round_trip_fee: f64,
    ) -> Self {
        Self { store, root, config, bar_ms, round_trip_fee, started_at: 0, running: None }
    }
}

/// A fine-tuned candidate and the evidence for it.
#[derive(Debug)]
pub struct Fitted {
    candidate: LearnedModel,
    current: SharedModel,
    evidence: ModelEvidence,
}

/// Fine-tunes `current` on `samples` but the last `evaluation` (and those whose outcome was
/// known only after the first of those), then scores both on the held-out ones.
fn fit(
    current: SharedModel,
    samples: Vec<TrainingSample>,
    evaluation: usize,
    info: TrainingInfo,
    train: TrainConfig,
) -> Result<Fitted, String> {
    let held_out = samples.len().saturating_sub(evaluation);
    let (earlier, evaluated) = samples.split_at(held_out);
    let first = evaluated.first().ok_or("no evaluation samples")?.decided_ms;
    let training: Vec<TrainingSample> = earlier.iter().filter(|s| s.horizon_end_ms <= first).cloned().collect();
    let info = TrainingInfo { outcomes_known_by_ms: first, ..info };
    let (candidate, _) = fine_tune(&current, &training, info, &train).map_err(|e| e.to_string())?;
    let candidate_loss = loss(&candidate, evaluated).ok_or("the candidate cannot score the evaluation samples")?;
    let current_loss = loss(&current, evaluated).ok_or("the current model cannot score the evaluation samples")?;
    let evidence = ModelEvidence {
        parent: candidate.training().parent.clone(),
        candidate_loss,
        current_loss,
        evaluation_samples: evaluated.len() as u64,
        evaluation_from_ms: first,
        evaluation_to_ms: evaluated.last().map_or(first, |s| s.decided_ms),
        train_samples: training.len() as u64,
    };
    Ok(Fitted { candidate, current, evidence })
}

impl<L: AccountLog + EpisodeStore> Session<L> {
    /// Takes a finished fine-tuning to the quorum, or starts one when enough new samples
    /// have resolved. Never waits for training.
    pub(super) fn learn_online(&mut self) {
        let Some(learning) = self.learning.as_mut() else { return };
        if let Some(running) = learning.running.as_mut() {
            match running.try_recv() {
                Ok(result) => {
                    learning.running = None;
                    self.propose_model(result);
                }
                Err(oneshot::error::TryRecvError::Empty) => {}
                Err(oneshot::error::TryRecvError::Closed) => {
                    learning.running = None;
                    tracing::error!(account = %self.account_id, "online learning's training task ended without an answer");
                }
            }
            return;
        }
        let Some(learning) = self.learning.as_mut() else { return };
        let Some(agent) = self.swarm.as_mut().and_then(Swarm::learned_mut) else { return };
        let config = &learning.config;
        let (samples, total) = agent.samples();
        let due = total.saturating_sub(learning.started_at) >= config.every_resolved as u64;
        if !config.enabled || !due || samples.len() < config.min_train_samples + config.evaluation_samples {
            return;
        }
        learning.started_at = total;
        let samples = samples.to_vec();
        let current = agent.model().clone();
        let info = TrainingInfo {
            product_id: current.training().product_id.clone(),
            bar_ms: learning.bar_ms,
            round_trip_fee: learning.round_trip_fee,
            ..TrainingInfo::default()
        };
        let train = TrainConfig { max_epochs: config.epochs, seed: total, ..TrainConfig::default() };
        let evaluation = config.evaluation_samples;
        let (answer, running) = oneshot::channel();
        learning.running = Some(running);
        tracing::info!(account = %self.account_id, samples = samples.len(), "online learning: fine-tuning the learned model");
        tokio::task::spawn_blocking(move || {
            let _ = answer.send(fit(current, samples, evaluation, info, train));
        });
    }

    fn propose_model(&mut self, result: Result<Fitted, String>) {
        let fitted = match result {
            Ok(fitted) => fitted,
            Err(err) => {
                tracing::warn!(account = %self.account_id, "online learning: fine-tuning failed: {err}");
                return;
            }
        };
        let now = self.engine.now().millis();
        let product = self.swarm.as_ref().map(|s| s.product().product_id.to_string()).unwrap_or_default();
        let proposal = ModelProposal {
            subject: format!("model:{product}"),
            candidate: fitted.candidate.hash().to_string(),
            current: fitted.current.hash().to_string(),
            evidence: fitted.evidence,
            time_ms: now,
        };
        let Some(recall) = self.swarm.as_mut().and_then(Swarm::recall_mut) else {
            tracing::warn!(account = %self.account_id, "online learning: no quorum without pattern memory (memory.enabled); the candidate is dropped");
            return;
        };
        let outcome = recall.patterns_mut().propose_model(&proposal);
        let Outcome::Committed = outcome else {
            tracing::info!(account = %self.account_id, candidate = %proposal.candidate, ?outcome, "online learning: the quorum kept the current model");
            return;
        };
        let Some(learning) = self.learning.as_ref() else { return };
        if let Err(err) = learning.store.promote(&fitted.candidate, &learning.root) {
            tracing::error!(account = %self.account_id, "online learning: the promoted model was not saved: {err:#}");
        }
        if let Some(agent) = self.swarm.as_mut().and_then(Swarm::learned_mut) {
            agent.set_model(Arc::new(fitted.candidate));
        }
        tracing::info!(
            account = %self.account_id,
            model = %proposal.candidate,
            loss = proposal.evidence.candidate_loss,
            previous_loss = proposal.evidence.current_loss,
            "online learning: a better model was promoted by the quorum"
        );
    }
}
