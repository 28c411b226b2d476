//! The learned agent's model: a small feed-forward network over the market-state embedding
//! (the one pattern memory builds, taken with a flat position) and the last few bars'
//! returns, predicting the next horizon's long return net of fees and the chance it is a
//! gain.
//!
//! This module holds what every host needs to *use* a model, with no I/O and no ML
//! library: the features ([`FeatureBuilder`]), the network and its inference in plain `f32`
//! loops in a fixed order ([`LearnedModel::predict`], identical on native and wasm32), the
//! model file (safetensors, read and written by hand with every name, shape and version
//! checked: [`LearnedModel::from_safetensors`]) and the training samples
//! ([`samples_from_candles`], [`OnlineSamples`]). Training itself (gradients, the optimiser)
//! is the `coinswarm-learn` crate's, on candle, and never reaches the Worker.

mod features;
mod model_file;
mod network;
mod samples;

pub use features::{FeatureBuilder, FeatureSpec, RETURN_FEATURES};
pub use model_file::{FORMAT, FORMAT_VERSION, ModelError, TrainingInfo};
pub use network::{Layer, LearnedModel, Prediction, SharedModel};
pub use samples::{OnlineSamples, TrainingSample, long_outcome, samples_from_candles};

/// Seeded models for the core's own tests.
#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) use super::model_file::tests::seeded_model;
}
