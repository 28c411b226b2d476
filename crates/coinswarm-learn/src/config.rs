//! The training settings, with defaults measured on the bundled BTC hourly set.

use serde::{Deserialize, Serialize};

/// How a model is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Widths of the two hidden layers. Default 32 and 16.
    pub hidden: [usize; 2],
    /// Most passes over the training samples. Default 200.
    pub max_epochs: usize,
    /// Stop after this many epochs without a lower validation loss; the best epoch's weights
    /// are kept. Default 10.
    pub patience: usize,
    /// Samples per gradient step. Default 256.
    pub batch_size: usize,
    /// AdamW's learning rate. Default 0.001.
    pub learning_rate: f64,
    /// AdamW's weight decay. Default 0.0001.
    pub weight_decay: f64,
    /// Share of the samples, the latest, held out for early stopping. Default 0.2.
    pub validation_fraction: f64,
    /// Seed of the initial weights and of the batch order. Default 0.
    pub seed: u64,
    /// The return the regression output's 1 stands for; targets are clamped to ±3 of it.
    /// Default 0.05.
    pub target_scale: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            hidden: [32, 16],
            max_epochs: 200,
            patience: 10,
            batch_size: 256,
            learning_rate: 1e-3,
            weight_decay: 1e-4,
            validation_fraction: 0.2,
            seed: 0,
            target_scale: 0.05,
        }
    }
}

impl TrainConfig {
    /// Says which setting is out of range, if one is.
    pub fn validate(&self) -> Result<(), String> {
        if self.hidden.iter().any(|&h| !(1..=1024).contains(&h)) {
            return Err(format!("hidden layers must have 1 to 1024 units, got {:?}", self.hidden));
        }
        if self.max_epochs == 0 || self.patience == 0 || self.batch_size == 0 {
            return Err("max_epochs, patience and batch_size must be at least 1".into());
        }
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !positive(self.learning_rate) || !positive(self.target_scale) {
            return Err("learning_rate and target_scale must be positive".into());
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(format!("weight_decay must be ≥ 0, got {}", self.weight_decay));
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(format!("validation_fraction must be in (0, 1), got {}", self.validation_fraction));
        }
        Ok(())
    }
}
