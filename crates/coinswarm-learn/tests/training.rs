//! Training as a user relies on it: the same seed gives the same model, bit for bit; the
//! best epoch on the validation split is what is kept; fine-tuning names its parent.

use coinswarm_core::learned::{FeatureSpec, LearnedModel, TrainingInfo, TrainingSample, samples_from_candles};
use coinswarm_core::synthetic::{RegimeKind, SyntheticConfig, generate};
use coinswarm_learn::{TrainConfig, TrainError, fine_tune, loss, split_for_validation, train};

fn samples(kind: RegimeKind, bars: usize) -> Vec<TrainingSample> {
    let market = generate(&SyntheticConfig::new(kind).with_bars(bars)).unwrap();
    let bar_ms = market.granularity.millis();
    let end = market.candles.last().unwrap().start.millis() + bar_ms;
    samples_from_candles(&market.candles, FeatureSpec::default(), 24, bar_ms, 0.004, end).unwrap()
}

fn quick() -> TrainConfig {
    TrainConfig { max_epochs: 30, patience: 5, ..TrainConfig::default() }
}

#[test]
fn the_same_seed_trains_the_same_model_and_another_seed_another() {
    let samples = samples(RegimeKind::Trending, 2500);
    let (a, report) = train(&samples, FeatureSpec::default(), 24, TrainingInfo::default(), &quick()).unwrap();
    let (b, _) = train(&samples, FeatureSpec::default(), 24, TrainingInfo::default(), &quick()).unwrap();
    assert_eq!(a.hash(), b.hash());
    let seeded = TrainConfig { seed: 1, ..quick() };
    let (c, _) = train(&samples, FeatureSpec::default(), 24, TrainingInfo::default(), &seeded).unwrap();
    assert_ne!(a.hash(), c.hash());
    // The saved file is the model.
    assert_eq!(LearnedModel::from_safetensors(&a.to_safetensors()).unwrap(), a);
    assert!(report.epochs <= 30 && report.best_epoch <= report.epochs);
}

#[test]
fn the_kept_weights_are_the_best_epoch_on_the_validation_split() {
    let samples = samples(RegimeKind::MeanReverting, 2500);
    let (model, report) = train(&samples, FeatureSpec::default(), 24, TrainingInfo::default(), &quick()).unwrap();
    let split = split_for_validation(&samples, 0.2).unwrap();
    assert_eq!((report.train_samples, report.validation_samples), (split.train.len(), split.validation.len()));
    assert!(report.validation_loss <= report.initial_validation_loss);
    // Core's inference gives the loss the trainer measured with candle, to float precision.
    let measured = loss(&model, split.validation).unwrap();
    assert!((measured - report.validation_loss).abs() < 1e-4, "{measured} vs {}", report.validation_loss);
    assert_eq!(model.training().best_epoch, report.best_epoch);
    assert_eq!(model.training().validation_samples, split.validation.len());
}

#[test]
fn fine_tuning_starts_from_the_model_and_names_it_as_parent() {
    let samples = samples(RegimeKind::Trending, 2500);
    let (model, _) = train(&samples, FeatureSpec::default(), 24, TrainingInfo::default(), &quick()).unwrap();
    let later = self::samples(RegimeKind::RangeBound, 2500);
    let (tuned, _) = fine_tune(&model, &later, TrainingInfo::default(), &quick()).unwrap();
    assert_eq!(tuned.training().parent.as_deref(), Some(model.hash()));
    assert_eq!(tuned.spec(), model.spec());
}

#[test]
fn too_few_samples_are_refused_with_the_count() {
    let samples = samples(RegimeKind::Trending, 2500);
    let error = train(&samples[..20], FeatureSpec::default(), 24, TrainingInfo::default(), &quick()).unwrap_err();
    assert!(matches!(error, TrainError::TooFewSamples(20)), "{error}");
}
