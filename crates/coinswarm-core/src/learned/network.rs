//! The network: inputs → hidden (tanh) → hidden (tanh) → two outputs, the expected net
//! return (in units of [`LearnedModel::target_scale`]) and the log-odds that it is a gain.
//! Inference is plain `f32` arithmetic in a fixed order (each neuron's bias, then its
//! weights times the inputs in input order; tanh and the logistic from `libm`), so native
//! and wasm32 builds give the same bits.

use super::features::FeatureSpec;
use super::model_file::TrainingInfo;
use std::fmt;
use std::sync::Arc;

/// One dense layer: `outputs × inputs` weights, row-major (one row per output), and a bias
/// per output.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
}

impl Layer {
    /// `out[o] = bias[o] + Σᵢ weights[o][i]·input[i]`, summed in input order.
    fn forward(&self, input: &[f32], out: &mut [f32]) {
        for (o, slot) in out.iter_mut().enumerate().take(self.outputs) {
            let row = &self.weights[o * self.inputs..(o + 1) * self.inputs];
            let mut sum = self.bias[o];
            for (w, x) in row.iter().zip(input) {
                sum += w * x;
            }
            *slot = sum;
        }
    }
}

/// What the model says about the next horizon.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// Expected long return over the horizon, net of a round trip's fees, as a fraction.
    pub expected_return: f64,
    /// The model's probability that that return is a gain, in (0, 1).
    pub probability_up: f64,
    /// How sure it is of the sign: |2p − 1|, in [0, 1].
    pub confidence: f64,
}

/// A trained model, ready for inference. Built from a model file
/// ([`LearnedModel::from_safetensors`]) or by the trainer ([`LearnedModel::new`]).
#[derive(Clone, PartialEq)]
pub struct LearnedModel {
    pub(super) spec: FeatureSpec,
    pub(super) horizon_bars: usize,
    pub(super) target_scale: f64,
    pub(super) layers: [Layer; 3],
    pub(super) training: TrainingInfo,
    /// SHA-256 of the model file, hex: the model's version.
    pub(super) hash: String,
}

impl fmt::Debug for LearnedModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LearnedModel")
            .field("hash", &self.hash)
            .field("inputs", &self.spec.inputs())
            .field("hidden", &[self.layers[0].outputs, self.layers[1].outputs])
            .field("horizon_bars", &self.horizon_bars)
            .finish()
    }
}

/// A model shared by every agent that uses it (it is never changed in place: a new version
/// is a new model).
pub type SharedModel = Arc<LearnedModel>;

/// The two outputs.
pub(super) const OUTPUTS: usize = 2;

impl LearnedModel {
    pub fn spec(&self) -> &FeatureSpec {
        &self.spec
    }

    /// Bars after a decision at which its outcome is realised (the training label's horizon).
    pub fn horizon_bars(&self) -> usize {
        self.horizon_bars
    }

    /// The return the first output's 1 stands for.
    pub fn target_scale(&self) -> f64 {
        self.target_scale
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Layer; 3] {
        &self.layers
    }

    pub fn training(&self) -> &TrainingInfo {
        &self.training
    }

    /// The version: SHA-256 of the model file, hex.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The first 12 hex digits of the hash, as decisions and reports show it.
    pub fn short_hash(&self) -> &str {
        &self.hash[..12.min(self.hash.len())]
    }

    /// The model's prediction on `inputs` ([`FeatureSpec::inputs`] values from the
    /// [`super::FeatureBuilder`]); `None` when the length is wrong.
    pub fn predict(&self, inputs: &[f32]) -> Option<Prediction> {
        let [first, second, last] = &self.layers;
        if inputs.len() != first.inputs {
            return None;
        }
        let mut hidden = vec![0.0_f32; first.outputs];
        first.forward(inputs, &mut hidden);
        hidden.iter_mut().for_each(|h| *h = libm::tanhf(*h));
        let mut hidden2 = vec![0.0_f32; second.outputs];
        second.forward(&hidden, &mut hidden2);
        hidden2.iter_mut().for_each(|h| *h = libm::tanhf(*h));
        let mut out = [0.0_f32; OUTPUTS];
        last.forward(&hidden2, &mut out);
        let probability_up = 1.0 / (1.0 + libm::exp(-f64::from(out[1])));
        Some(Prediction {
            expected_return: f64::from(out[0]) * self.target_scale,
            probability_up,
            confidence: (2.0 * probability_up - 1.0).abs(),
        })
    }
}
