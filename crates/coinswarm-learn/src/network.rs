//! The core's network as candle variables: the same three layers (weights `[outputs,
//! inputs]`, tanh between), so trained weights move into a `LearnedModel` as they are.

use candle_core::{DType, Device, Result, Tensor, Var};
use coinswarm_core::learned::Layer;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// The trainable layers.
#[derive(Debug)]
pub struct Network {
    layers: Vec<(Var, Var)>,
}

impl Network {
    /// Glorot-uniform weights drawn from ChaCha8 seeded with `seed`, zero biases.
    pub fn seeded(sizes: &[usize], seed: u64, device: &Device) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut layers = Vec::new();
        for pair in sizes.windows(2) {
            let (inputs, outputs) = (pair[0], pair[1]);
            let limit = (6.0 / (inputs + outputs) as f64).sqrt();
            let weights: Vec<f32> = (0..inputs * outputs)
                .map(|_| ((rng.next_u64() >> 11) as f64 / (1_u64 << 53) as f64 * 2.0 - 1.0) * limit)
                .map(|w| w as f32)
                .collect();
            let layer = Layer { inputs, outputs, weights, bias: vec![0.0; outputs] };
            layers.push(Self::vars(&layer, device)?);
        }
        Ok(Self { layers })
    }

    /// Starts from `layers`' weights.
    pub fn from_layers(layers: &[Layer], device: &Device) -> Result<Self> {
        Ok(Self { layers: layers.iter().map(|l| Self::vars(l, device)).collect::<Result<_>>()? })
    }

    fn vars(layer: &Layer, device: &Device) -> Result<(Var, Var)> {
        let weight =
            Var::from_tensor(&Tensor::from_vec(layer.weights.clone(), (layer.outputs, layer.inputs), device)?)?;
        let bias = Var::from_tensor(&Tensor::from_vec(layer.bias.clone(), layer.outputs, device)?)?;
        Ok((weight, bias))
    }

    pub fn vars_list(&self) -> Vec<Var> {
        self.layers.iter().flat_map(|(w, b)| [w.clone(), b.clone()]).collect()
    }

    /// `[batch, 2]` outputs for `[batch, inputs]` rows.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for (at, (weight, bias)) in self.layers.iter().enumerate() {
            h = h.matmul(&weight.as_tensor().t()?)?.broadcast_add(bias.as_tensor())?;
            if at + 1 < self.layers.len() {
                h = h.tanh()?;
            }
        }
        Ok(h)
    }

    /// The weights as core layers.
    pub fn to_layers(&self) -> Result<Vec<Layer>> {
        self.layers
            .iter()
            .map(|(weight, bias)| {
                let (outputs, inputs) = weight.as_tensor().dims2()?;
                Ok(Layer {
                    inputs,
                    outputs,
                    weights: weight.as_tensor().to_dtype(DType::F32)?.flatten_all()?.to_vec1()?,
                    bias: bias.as_tensor().to_vec1()?,
                })
            })
            .collect()
    }
}

/// The training loss on a batch, averaged: squared error of the scaled return plus the
/// logistic loss of "it is a gain".
pub fn batch_loss(outputs: &Tensor, targets: &Tensor, gains: &Tensor) -> Result<Tensor> {
    let predicted = outputs.narrow(1, 0, 1)?.squeeze(1)?;
    let logit = outputs.narrow(1, 1, 1)?.squeeze(1)?;
    let squared = (predicted - targets)?.sqr()?.mean_all()?;
    // max(z, 0) − z·t + ln(1 + e^−|z|): the logistic loss without overflow.
    let logistic = ((logit.relu()? - (&logit * gains)?)? + logit.abs()?.neg()?.exp()?.affine(1.0, 1.0)?.log()?)?;
    squared + logistic.mean_all()?
}
