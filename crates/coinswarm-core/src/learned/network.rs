//! The network: inputs → hidden (tanh) → hidden (tanh) → two outputs, the expected net
//! return (in units of [`LearnedModel::target_scale`]) and the log-odds that it is a gain.
//! Inference is plain `f32` arithmetic in a fixed order (each neuron's bias, then its
//! weights times the inputs in input order; tanh by a rational approximation in the same
//! basic operations, the logistic from `libm`), so native and wasm32 builds give the same
//! bits.

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
    /// The weights input-major (`inputs × outputs`): what inference walks.
    pub(super) fn columns(&self) -> Vec<f32> {
        let mut columns = vec![0.0; self.weights.len()];
        for o in 0..self.outputs {
            for i in 0..self.inputs {
                columns[i * self.outputs + o] = self.weights[o * self.inputs + i];
            }
        }
        columns
    }

    /// `out[o] = bias[o] + Σᵢ weights[o][i]·input[i]`, each output summed in input order.
    /// The loop runs input by input over every output (`columns` is the weights
    /// input-major), so the outputs are independent sums the compiler may compute side by
    /// side, each with exactly the same operations in the same order.
    fn forward(&self, columns: &[f32], input: &[f32], out: &mut [f32]) {
        // The default widths get sums the compiler keeps in registers for the whole layer.
        match self.outputs {
            32 => forward_fixed::<32>(&self.bias, columns, input, out),
            16 => forward_fixed::<16>(&self.bias, columns, input, out),
            OUTPUTS => forward_fixed::<OUTPUTS>(&self.bias, columns, input, out),
            _ => {
                out.copy_from_slice(&self.bias);
                for (column, x) in columns.chunks_exact(self.outputs).zip(input) {
                    for (sum, w) in out.iter_mut().zip(column) {
                        *sum += w * x;
                    }
                }
            }
        }
    }
}

/// [`Layer::forward`] for a layer of `N` outputs: the same operations in the same order.
fn forward_fixed<const N: usize>(bias: &[f32], columns: &[f32], input: &[f32], out: &mut [f32]) {
    let mut sums = [0.0_f32; N];
    sums.copy_from_slice(bias);
    for (column, &x) in columns.chunks_exact(N).zip(input) {
        for (sum, &w) in sums.iter_mut().zip(column) {
            *sum += w * x;
        }
    }
    out.copy_from_slice(&sums);
}

/// Widest layer whose activations live on the stack.
const SMALL_LAYER: usize = 64;

/// `len` zeroed activations: the first `len` of `small`, or `large` grown to `len`.
fn scratch<'a>(small: &'a mut [f32; SMALL_LAYER], large: &'a mut Vec<f32>, len: usize) -> &'a mut [f32] {
    if len <= SMALL_LAYER {
        &mut small[..len]
    } else {
        large.resize(len, 0.0);
        large
    }
}

/// tanh in `f32`: a 13/6 rational minimax approximation on ±7.9 (Eigen's fast tanh), within
/// 5e-7 of the exact value (a few f32 ulps), in additions, multiplications and one division — a few times
/// faster than `libm::tanhf` and exactly reproducible on every target (no fused operations).
pub fn tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const SMALL: f32 = 0.000_4;
    if x.abs() < SMALL {
        return x;
    }
    let x = x.clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let mut p = -2.760_768_5e-16_f32;
    p = p * x2 + 2.000_188e-13;
    p = p * x2 - 8.604_672e-11;
    p = p * x2 + 5.122_297e-8;
    p = p * x2 + 1.485_722_4e-5;
    p = p * x2 + 6.372_619e-4;
    p = p * x2 + 4.893_524_6e-3;
    p *= x;
    let mut q = 1.198_258_4e-6_f32;
    q = q * x2 + 1.185_347e-4;
    q = q * x2 + 2.268_434_6e-3;
    q = q * x2 + 4.893_525e-3;
    p / q
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
    /// Each layer's weights input-major (derived from `layers`).
    pub(super) columns: [Vec<f32>; 3],
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
        let [first_columns, second_columns, last_columns] = &self.columns;
        if inputs.len() != first.inputs {
            return None;
        }
        // Hidden activations on the stack when the layers are narrow (the default 32 and
        // 16), on the heap otherwise.
        let (mut small, mut small2) = ([0.0_f32; SMALL_LAYER], [0.0_f32; SMALL_LAYER]);
        let (mut large, mut large2) = (Vec::new(), Vec::new());
        let hidden = scratch(&mut small, &mut large, first.outputs);
        first.forward(first_columns, inputs, hidden);
        hidden.iter_mut().for_each(|h| *h = tanh(*h));
        let hidden2 = scratch(&mut small2, &mut large2, second.outputs);
        second.forward(second_columns, hidden, hidden2);
        hidden2.iter_mut().for_each(|h| *h = tanh(*h));
        let mut out = [0.0_f32; OUTPUTS];
        last.forward(last_columns, hidden2, &mut out);
        let probability_up = 1.0 / (1.0 + libm::exp(-f64::from(out[1])));
        Some(Prediction {
            expected_return: f64::from(out[0]) * self.target_scale,
            probability_up,
            confidence: (2.0 * probability_up - 1.0).abs(),
        })
    }
}
