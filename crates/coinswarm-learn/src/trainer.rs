//! Training and fine-tuning: AdamW over shuffled batches, the validation loss after every
//! epoch, and the best epoch's weights kept (early stopping).

use crate::config::TrainConfig;
use crate::network::{Network, batch_loss};
use crate::split::split_for_validation;
use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use coinswarm_core::learned::{FeatureSpec, Layer, LearnedModel, ModelError, TrainingInfo, TrainingSample};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::Serialize;

/// Why a model could not be trained.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("invalid training config: {0}")]
    Config(String),
    #[error(
        "too few samples to train on: {0} with a known outcome (each needs the state's warm-up and a whole horizon before the end of the range)"
    )]
    TooFewSamples(usize),
    #[error("a sample has {found} inputs, the features give {expected}")]
    Inputs { expected: usize, found: usize },
    #[error("training failed: {0}")]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// What training did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainReport {
    pub train_samples: usize,
    pub validation_samples: usize,
    /// Epochs run (early stopping may end before `max_epochs`).
    pub epochs: usize,
    /// The epoch whose weights were kept, from 1.
    pub best_epoch: usize,
    /// Validation loss before training (the initial weights) and at the best epoch.
    pub initial_validation_loss: f64,
    pub validation_loss: f64,
    /// The training loss at the best epoch (by core's inference).
    pub train_loss: f64,
}

/// Fewest samples on each side of the split.
const MIN_SAMPLES: usize = 16;

/// A fresh model trained on `samples` (oldest first, every outcome known), fed the
/// features of `spec`, predicting `horizon_bars` ahead. `info` describes the data (product,
/// bar, dates, fee); the counts, epochs and seed are filled in here.
pub fn train(
    samples: &[TrainingSample],
    spec: FeatureSpec,
    horizon_bars: usize,
    info: TrainingInfo,
    config: &TrainConfig,
) -> Result<(LearnedModel, TrainReport), TrainError> {
    config.validate().map_err(TrainError::Config)?;
    let sizes = [spec.inputs(), config.hidden[0], config.hidden[1], 2];
    let network = Network::seeded(&sizes, config.seed, &Device::Cpu)?;
    run(network, samples, spec, horizon_bars, info, config)
}

/// `model` trained further on `samples` (same features and horizon), early-stopped the same
/// way; the new model names `model` as its parent.
pub fn fine_tune(
    model: &LearnedModel,
    samples: &[TrainingSample],
    mut info: TrainingInfo,
    config: &TrainConfig,
) -> Result<(LearnedModel, TrainReport), TrainError> {
    config.validate().map_err(TrainError::Config)?;
    let network = Network::from_layers(model.layers(), &Device::Cpu)?;
    info.parent = Some(model.hash().to_string());
    let config = TrainConfig { target_scale: model.target_scale(), ..config.clone() };
    run(network, samples, *model.spec(), model.horizon_bars(), info, &config)
}

/// `model`'s mean loss on `samples` (the training loss, by core's inference): lower is
/// better. `None` without samples or when a sample's inputs do not fit the model.
pub fn loss(model: &LearnedModel, samples: &[TrainingSample]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut total = 0.0;
    for sample in samples {
        let prediction = model.predict(&sample.inputs)?;
        let target = clamp_target(sample.outcome, model.target_scale());
        let predicted = prediction.expected_return / model.target_scale();
        let p = prediction.probability_up.clamp(1e-7, 1.0 - 1e-7);
        let logistic = if sample.outcome > 0.0 { -p.ln() } else { -(1.0 - p).ln() };
        total += (predicted - target).powi(2) + logistic;
    }
    Some(total / samples.len() as f64)
}

fn clamp_target(outcome: f64, scale: f64) -> f64 {
    (outcome / scale).clamp(-3.0, 3.0)
}

/// Rows, scaled targets and gain labels of `samples` as tensors.
struct Batch {
    inputs: Tensor,
    targets: Tensor,
    gains: Tensor,
}

fn batch(samples: &[&TrainingSample], inputs: usize, scale: f64) -> Result<Batch, TrainError> {
    let mut rows = Vec::with_capacity(samples.len() * inputs);
    for sample in samples {
        if sample.inputs.len() != inputs {
            return Err(TrainError::Inputs { expected: inputs, found: sample.inputs.len() });
        }
        rows.extend_from_slice(&sample.inputs);
    }
    let targets: Vec<f32> = samples.iter().map(|s| clamp_target(s.outcome, scale) as f32).collect();
    let gains: Vec<f32> = samples.iter().map(|s| if s.outcome > 0.0 { 1.0 } else { 0.0 }).collect();
    let device = Device::Cpu;
    Ok(Batch {
        inputs: Tensor::from_vec(rows, (samples.len(), inputs), &device)?,
        targets: Tensor::from_vec(targets, samples.len(), &device)?,
        gains: Tensor::from_vec(gains, samples.len(), &device)?,
    })
}

fn model_of(
    network: &Network,
    spec: FeatureSpec,
    horizon_bars: usize,
    scale: f64,
    info: TrainingInfo,
) -> Result<LearnedModel, TrainError> {
    let layers: [Layer; 3] =
        network.to_layers()?.try_into().map_err(|_| TrainError::Config("the network must have three layers".into()))?;
    Ok(LearnedModel::new(spec, horizon_bars, scale, layers, info)?)
}

fn run(
    network: Network,
    samples: &[TrainingSample],
    spec: FeatureSpec,
    horizon_bars: usize,
    mut info: TrainingInfo,
    config: &TrainConfig,
) -> Result<(LearnedModel, TrainReport), TrainError> {
    let split = split_for_validation(samples, config.validation_fraction)
        .filter(|s| s.train.len() >= MIN_SAMPLES && s.validation.len() >= MIN_SAMPLES)
        .ok_or(TrainError::TooFewSamples(samples.len()))?;
    let inputs = spec.inputs();
    let scale = config.target_scale;
    let validation = batch(&split.validation.iter().collect::<Vec<_>>(), inputs, scale)?;
    let validation_loss = |network: &Network| -> Result<f64, TrainError> {
        let outputs = network.forward(&validation.inputs)?;
        Ok(f64::from(batch_loss(&outputs, &validation.targets, &validation.gains)?.to_scalar::<f32>()?))
    };
    let mut optimiser = AdamW::new(
        network.vars_list(),
        ParamsAdamW { lr: config.learning_rate, weight_decay: config.weight_decay, ..ParamsAdamW::default() },
    )?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x0005_eed0_fba7_c4e5);
    let mut order: Vec<usize> = (0..split.train.len()).collect();
    let initial_validation_loss = validation_loss(&network)?;
    let (mut best_loss, mut best_epoch, mut best_layers) = (initial_validation_loss, 0, network.to_layers()?);
    let mut epochs = 0;
    for epoch in 1..=config.max_epochs {
        epochs = epoch;
        // Fisher–Yates with the seeded generator.
        for i in (1..order.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
        for chunk in order.chunks(config.batch_size) {
            let rows: Vec<&TrainingSample> = chunk.iter().map(|&i| &split.train[i]).collect();
            let batch = batch(&rows, inputs, scale)?;
            let outputs = network.forward(&batch.inputs)?;
            optimiser.backward_step(&batch_loss(&outputs, &batch.targets, &batch.gains)?)?;
        }
        let loss = validation_loss(&network)?;
        if loss < best_loss {
            (best_loss, best_epoch, best_layers) = (loss, epoch, network.to_layers()?);
        } else if epoch - best_epoch >= config.patience {
            break;
        }
    }
    let best = Network::from_layers(&best_layers, &Device::Cpu)?;
    info.train_samples = split.train.len();
    info.validation_samples = split.validation.len();
    info.epochs = epochs;
    info.best_epoch = best_epoch;
    info.validation_loss = best_loss;
    info.seed = config.seed;
    info.from_ms = samples.first().map_or(0, |s| s.decided_ms);
    info.to_ms = samples.last().map_or(0, |s| s.decided_ms);
    info.outcomes_known_by_ms =
        samples.iter().map(|s| s.horizon_end_ms).max().unwrap_or(0).max(info.outcomes_known_by_ms);
    let model = model_of(&best, spec, horizon_bars, scale, info)?;
    let train_loss = loss(&model, split.train).unwrap_or(f64::NAN);
    let report = TrainReport {
        train_samples: split.train.len(),
        validation_samples: split.validation.len(),
        epochs,
        best_epoch,
        initial_validation_loss,
        validation_loss: best_loss,
        train_loss,
    };
    Ok((model, report))
}
