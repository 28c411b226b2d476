//! # coinswarm-learn
//!
//! Training for Coinswarm's learned agent, on [candle](https://github.com/huggingface/candle)
//! (CPU): its tensors, autograd and AdamW optimiser. The network, its features, inference
//! and the model file are `coinswarm_core::learned`'s, so what is trained here runs
//! unchanged in backtests, `coinswarm up` and the Worker, which never links this crate.
//!
//! - [`train`]: a fresh model on samples whose outcomes were known by the end of the training
//!   range, early-stopped on a validation split carved from the latest of those samples.
//! - [`fine_tune`]: the same, starting from a model's weights (online learning in `up`).
//! - [`loss`]: a model's loss on samples, by core's own inference (the promotion score).
//!
//! Deterministic for a seed: weights are drawn from ChaCha8 and batches shuffled by it
//! (`model_cli.rs` in the binary's tests checks one and two threads give the same file).
#![forbid(unsafe_code)]

mod config;
mod fit;
mod network;
mod split;
mod trainer;

pub use config::TrainConfig;
pub use fit::{feature_spec, train_on_candles};
pub use split::{Split, split_for_validation};
pub use trainer::{TrainError, TrainReport, fine_tune, loss, train};

#[cfg(test)]
use criterion as _;
