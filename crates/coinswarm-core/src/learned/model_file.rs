//! The model file: safetensors (an 8-byte little-endian header length, a JSON header naming
//! each tensor's dtype, shape and byte range, then the raw little-endian data), read and
//! written here by hand so the Worker needs no ML crate. candle and every safetensors reader
//! load it as is. The header's `__metadata__` says what the file is: `format`
//! ([`FORMAT`]), `format_version` ([`FORMAT_VERSION`]), the feature spec, the horizon, the
//! target scale and how it was trained. Reading checks all of it — a missing, truncated,
//! wrong-shape or other-version file is an error naming what is wrong, never a panic.

use super::features::FeatureSpec;
use super::network::{Layer, LearnedModel, OUTPUTS};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// `__metadata__.format` of a Coinswarm model file.
pub const FORMAT: &str = "coinswarm-learned";
/// The version of the layout this build reads and writes.
pub const FORMAT_VERSION: &str = "1";
/// Widest hidden layer a file may ask for (bounds the memory a file can make us take).
const MAX_HIDDEN: usize = 1024;
/// Tensor names, in the order of the layers.
const TENSORS: [(&str, &str); 3] = [("l1.weight", "l1.bias"), ("l2.weight", "l2.bias"), ("out.weight", "out.bias")];

/// How a model was trained (saved in its file, shown by `coinswarm model inspect`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainingInfo {
    pub product_id: String,
    /// The bar length, ms.
    pub bar_ms: i64,
    /// First and last decision time of the training samples, ms (their outcomes were all
    /// known by `outcomes_known_by_ms`).
    pub from_ms: i64,
    pub to_ms: i64,
    pub outcomes_known_by_ms: i64,
    pub train_samples: usize,
    /// Samples held out (the latest of the training range) for early stopping.
    pub validation_samples: usize,
    pub epochs: usize,
    /// The epoch whose weights were kept (lowest validation loss).
    pub best_epoch: usize,
    pub validation_loss: f64,
    pub seed: u64,
    /// The round trip's fee the outcomes are net of, as a fraction.
    pub round_trip_fee: f64,
    /// The model this one was fine-tuned from, if any (its hash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// Why a model file was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("model file is truncated: {0}")]
    Truncated(String),
    #[error("model file's header is not valid: {0}")]
    Header(String),
    #[error("not a Coinswarm model file (its metadata has no format \"{FORMAT}\"): {0}")]
    NotAModel(String),
    #[error("model file format version {found} is not supported: this build reads version {FORMAT_VERSION}")]
    Version { found: String },
    #[error("model file's tensor {name} {problem}")]
    Tensor { name: String, problem: String },
    #[error("model is not valid: {0}")]
    Invalid(String),
}

fn tensor_error(name: &str, problem: impl Into<String>) -> ModelError {
    ModelError::Tensor { name: name.to_string(), problem: problem.into() }
}

impl LearnedModel {
    /// A model from its parts (the trainer's), checked as a file's would be; its hash is that
    /// of the file [`LearnedModel::to_safetensors`] writes.
    pub fn new(
        spec: FeatureSpec,
        horizon_bars: usize,
        target_scale: f64,
        layers: [Layer; 3],
        training: TrainingInfo,
    ) -> Result<Self, ModelError> {
        check_parts(&spec, horizon_bars, target_scale, &layers)?;
        let columns = layers.each_ref().map(Layer::columns);
        let mut model = Self { spec, horizon_bars, target_scale, layers, columns, training, hash: String::new() };
        model.hash = hex_sha256(&model.to_safetensors());
        Ok(model)
    }

    /// The model file's bytes.
    pub fn to_safetensors(&self) -> Vec<u8> {
        let mut metadata = Map::new();
        let mut put = |key: &str, value: String| metadata.insert(key.to_string(), Value::String(value));
        put("format", FORMAT.to_string());
        put("format_version", FORMAT_VERSION.to_string());
        put("features", serde_json::to_string(&self.spec).unwrap_or_default());
        put("horizon_bars", self.horizon_bars.to_string());
        put("target_scale", serde_json::to_string(&self.target_scale).unwrap_or_default());
        put("training", serde_json::to_string(&self.training).unwrap_or_default());
        let mut header = Map::new();
        header.insert("__metadata__".to_string(), Value::Object(metadata));
        let mut data: Vec<u8> = Vec::new();
        for (layer, (weight, bias)) in self.layers.iter().zip(TENSORS) {
            for (name, shape, values) in
                [(weight, vec![layer.outputs, layer.inputs], &layer.weights), (bias, vec![layer.outputs], &layer.bias)]
            {
                let start = data.len();
                values.iter().for_each(|v| data.extend_from_slice(&v.to_le_bytes()));
                let entry = serde_json::json!({ "dtype": "F32", "shape": shape, "data_offsets": [start, data.len()] });
                header.insert(name.to_string(), entry);
            }
        }
        let mut json = serde_json::to_vec(&Value::Object(header)).unwrap_or_default();
        // The data starts 8-aligned, as safetensors writers do (trailing spaces are allowed).
        while !(8 + json.len()).is_multiple_of(8) {
            json.push(b' ');
        }
        let mut file = Vec::with_capacity(8 + json.len() + data.len());
        file.extend_from_slice(&(json.len() as u64).to_le_bytes());
        file.extend_from_slice(&json);
        file.extend_from_slice(&data);
        file
    }

    /// Reads a model file, checking its format, version, every tensor's name, dtype, shape
    /// and byte range, and every value.
    pub fn from_safetensors(bytes: &[u8]) -> Result<Self, ModelError> {
        let Some((length, rest)) = bytes.split_first_chunk::<8>() else {
            return Err(ModelError::Truncated(format!("{} bytes, shorter than the 8-byte header length", bytes.len())));
        };
        let length = u64::from_le_bytes(*length);
        if length > rest.len() as u64 {
            return Err(ModelError::Truncated(format!("the header says {length} bytes, only {} follow", rest.len())));
        }
        let (json, data) = rest.split_at(length as usize);
        let header: Map<String, Value> =
            serde_json::from_slice(json).map_err(|e| ModelError::Header(format!("not a JSON object: {e}")))?;
        let metadata: BTreeMap<String, String> = match header.get("__metadata__") {
            Some(value) => serde_json::from_value(value.clone())
                .map_err(|e| ModelError::Header(format!("__metadata__ is not a map of strings: {e}")))?,
            None => return Err(ModelError::NotAModel("the header has no __metadata__".to_string())),
        };
        match metadata.get("format").map(String::as_str) {
            Some(FORMAT) => {}
            Some(other) => return Err(ModelError::NotAModel(format!("its format is \"{other}\""))),
            None => return Err(ModelError::NotAModel("its metadata has no format".to_string())),
        }
        match metadata.get("format_version") {
            Some(version) if version == FORMAT_VERSION => {}
            found => return Err(ModelError::Version { found: found.cloned().unwrap_or_else(|| "(none)".into()) }),
        }
        let field = |key: &str| metadata.get(key).ok_or_else(|| ModelError::Header(format!("metadata has no {key}")));
        let parse_error = |key: &str, e: serde_json::Error| ModelError::Header(format!("metadata {key}: {e}"));
        let spec: FeatureSpec = serde_json::from_str(field("features")?).map_err(|e| parse_error("features", e))?;
        let horizon_bars: usize =
            field("horizon_bars")?.parse().map_err(|e| ModelError::Header(format!("metadata horizon_bars: {e}")))?;
        let target_scale: f64 =
            serde_json::from_str(field("target_scale")?).map_err(|e| parse_error("target_scale", e))?;
        let training: TrainingInfo =
            serde_json::from_str(field("training")?).map_err(|e| parse_error("training", e))?;
        let known: Vec<&str> = TENSORS.iter().flat_map(|(w, b)| [*w, *b]).collect();
        if let Some(extra) = header.keys().find(|k| *k != "__metadata__" && !known.contains(&k.as_str())) {
            return Err(tensor_error(extra, "is not part of this model"));
        }
        let mut inputs = spec.inputs();
        let mut layers = Vec::with_capacity(3);
        let mut end_of_data = 0;
        for (at, (weight_name, bias_name)) in TENSORS.into_iter().enumerate() {
            let (weight_shape, weights, weight_end) = tensor(&header, data, weight_name)?;
            let outputs = match weight_shape.as_slice() {
                [outputs, columns] if *columns == inputs => *outputs,
                other => {
                    return Err(tensor_error(
                        weight_name,
                        format!("has shape {other:?}, expected [outputs, {inputs}] for this model's inputs"),
                    ));
                }
            };
            let last = at == TENSORS.len() - 1;
            if (last && outputs != OUTPUTS) || (!last && !(1..=MAX_HIDDEN).contains(&outputs)) {
                let expected = if last { format!("{OUTPUTS}") } else { format!("1 to {MAX_HIDDEN}") };
                return Err(tensor_error(weight_name, format!("has {outputs} outputs, expected {expected}")));
            }
            let (bias_shape, bias, bias_end) = tensor(&header, data, bias_name)?;
            if bias_shape != [outputs] {
                return Err(tensor_error(bias_name, format!("has shape {bias_shape:?}, expected [{outputs}]")));
            }
            end_of_data = end_of_data.max(weight_end).max(bias_end);
            layers.push(Layer { inputs, outputs, weights, bias });
            inputs = outputs;
        }
        if end_of_data != data.len() {
            return Err(ModelError::Truncated(format!(
                "the tensors end at byte {end_of_data} of the data, which has {}",
                data.len()
            )));
        }
        let layers: [Layer; 3] = layers.try_into().map_err(|_| ModelError::Invalid("three layers".into()))?;
        check_parts(&spec, horizon_bars, target_scale, &layers)?;
        let columns = layers.each_ref().map(Layer::columns);
        Ok(Self { spec, horizon_bars, target_scale, layers, columns, training, hash: hex_sha256(bytes) })
    }
}

/// A tensor's shape, its values and where its bytes end in the data.
fn tensor(header: &Map<String, Value>, data: &[u8], name: &str) -> Result<(Vec<usize>, Vec<f32>, usize), ModelError> {
    #[derive(Deserialize)]
    struct Entry {
        dtype: String,
        shape: Vec<usize>,
        data_offsets: [usize; 2],
    }
    let entry = header.get(name).ok_or_else(|| tensor_error(name, "is missing"))?;
    let entry: Entry =
        serde_json::from_value(entry.clone()).map_err(|e| tensor_error(name, format!("has a bad entry: {e}")))?;
    if entry.dtype != "F32" {
        return Err(tensor_error(name, format!("has dtype {}, expected F32", entry.dtype)));
    }
    let [start, end] = entry.data_offsets;
    let count = entry.shape.iter().try_fold(1_usize, |n, d| n.checked_mul(*d));
    if start > end || count.and_then(|c| c.checked_mul(4)) != Some(end - start) {
        return Err(tensor_error(
            name,
            format!("has byte range {start}..{end}, which does not fit shape {:?}", entry.shape),
        ));
    }
    let bytes = data.get(start..end).ok_or_else(|| {
        ModelError::Truncated(format!("tensor {name} needs bytes {start}..{end}, the data has {}", data.len()))
    })?;
    let values: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    if let Some(at) = values.iter().position(|v| !v.is_finite()) {
        return Err(tensor_error(name, format!("holds a non-finite value at index {at}")));
    }
    Ok((entry.shape, values, end))
}

fn check_parts(
    spec: &FeatureSpec,
    horizon_bars: usize,
    target_scale: f64,
    layers: &[Layer; 3],
) -> Result<(), ModelError> {
    crate::learned::FeatureBuilder::new(*spec).map_err(|e| ModelError::Invalid(format!("feature spec: {e}")))?;
    if horizon_bars == 0 {
        return Err(ModelError::Invalid("horizon_bars must be at least 1".into()));
    }
    if !(target_scale.is_finite() && target_scale > 0.0) {
        return Err(ModelError::Invalid(format!("target_scale must be positive, got {target_scale}")));
    }
    let mut inputs = spec.inputs();
    for (at, layer) in layers.iter().enumerate() {
        let sized = layer.inputs == inputs
            && layer.weights.len() == layer.inputs * layer.outputs
            && layer.bias.len() == layer.outputs
            && layer.outputs > 0
            && (at < 2 || layer.outputs == OUTPUTS);
        if !sized {
            return Err(ModelError::Invalid(format!("layer {} does not fit the inputs {inputs}", at + 1)));
        }
        if layer.weights.iter().chain(&layer.bias).any(|v| !v.is_finite()) {
            return Err(ModelError::Invalid(format!("layer {} holds a non-finite value", at + 1)));
        }
        inputs = layer.outputs;
    }
    Ok(())
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_chacha::rand_core::{RngCore, SeedableRng};

    /// A model with seeded weights in ±0.5, hidden layers of 16 and 8.
    pub(crate) fn seeded_model(seed: u64) -> LearnedModel {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut layer = |inputs: usize, outputs: usize| {
            let mut draw = || (rng.next_u32() as f32 / u32::MAX as f32) - 0.5;
            Layer {
                inputs,
                outputs,
                weights: (0..inputs * outputs).map(|_| draw()).collect(),
                bias: (0..outputs).map(|_| draw()).collect(),
            }
        };
        let spec = FeatureSpec::default();
        let layers = [layer(spec.inputs(), 16), layer(16, 8), layer(8, OUTPUTS)];
        LearnedModel::new(spec, 24, 0.05, layers, TrainingInfo { seed, ..TrainingInfo::default() }).unwrap()
    }

    /// The file with its header replaced by `edit`'s change to it.
    fn with_header(bytes: &[u8], edit: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
        let length = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let mut header: Map<String, Value> = serde_json::from_slice(&bytes[8..8 + length]).unwrap();
        edit(&mut header);
        let json = serde_json::to_vec(&header).unwrap();
        let mut file = (json.len() as u64).to_le_bytes().to_vec();
        file.extend_from_slice(&json);
        file.extend_from_slice(&bytes[8 + length..]);
        file
    }

    #[test]
    fn a_model_reads_back_from_its_file_exactly_with_the_same_hash() {
        let model = seeded_model(7);
        let bytes = model.to_safetensors();
        let read = LearnedModel::from_safetensors(&bytes).unwrap();
        assert_eq!(read, model);
        assert_eq!(read.hash().len(), 64);
        assert_eq!(read.to_safetensors(), bytes);
        assert_ne!(seeded_model(8).hash(), model.hash());
    }

    #[test]
    fn a_truncated_file_is_refused_at_every_length() {
        let bytes = seeded_model(1).to_safetensors();
        for cut in [0, 3, 8, 20, bytes.len() / 2, bytes.len() - 1] {
            let error = LearnedModel::from_safetensors(&bytes[..cut]).unwrap_err();
            assert!(matches!(error, ModelError::Truncated(_) | ModelError::Header(_)), "cut at {cut}: {error}");
        }
    }

    #[test]
    fn another_version_or_another_kind_of_file_is_refused_by_name() {
        let bytes = seeded_model(1).to_safetensors();
        let newer = with_header(&bytes, |h| {
            h["__metadata__"]["format_version"] = Value::String("2".into());
        });
        assert_eq!(
            LearnedModel::from_safetensors(&newer).unwrap_err().to_string(),
            "model file format version 2 is not supported: this build reads version 1"
        );
        let other = with_header(&bytes, |h| {
            h.remove("__metadata__");
        });
        assert!(matches!(LearnedModel::from_safetensors(&other), Err(ModelError::NotAModel(_))));
        assert!(matches!(LearnedModel::from_safetensors(b"hello, this is not a model"), Err(ModelError::Truncated(_))));
        let mut garbage = 16_u64.to_le_bytes().to_vec();
        garbage.extend_from_slice(b"{not json at all");
        assert!(matches!(LearnedModel::from_safetensors(&garbage), Err(ModelError::Header(_))));
    }

    #[test]
    fn a_tensor_of_the_wrong_shape_dtype_or_name_is_refused_naming_it() {
        let bytes = seeded_model(1).to_safetensors();
        type Edit = Box<dyn Fn(&mut Map<String, Value>)>;
        let cases: [(&str, Edit); 4] = [
            ("l1.weight", Box::new(|h| h["l1.weight"]["shape"] = serde_json::json!([16, 70]))),
            ("l2.bias", Box::new(|h| h["l2.bias"]["dtype"] = Value::String("F16".into()))),
            (
                "out.bias",
                Box::new(|h| {
                    h.remove("out.bias");
                }),
            ),
            (
                "extra",
                Box::new(|h| {
                    h.insert("extra".into(), h["l1.bias"].clone());
                }),
            ),
        ];
        for (name, edit) in cases {
            let error = LearnedModel::from_safetensors(&with_header(&bytes, edit)).unwrap_err();
            match &error {
                ModelError::Tensor { name: named, .. } => assert_eq!(named, name, "{error}"),
                other => panic!("{name}: {other}"),
            }
        }
        let features_for_fewer_inputs = with_header(&bytes, |h| {
            let spec = FeatureSpec {
                state: crate::memory::StateConfig { dimensions: 32, ..Default::default() },
                ..FeatureSpec::default()
            };
            h["__metadata__"]["features"] = Value::String(serde_json::to_string(&spec).unwrap());
        });
        let error = LearnedModel::from_safetensors(&features_for_fewer_inputs).unwrap_err();
        assert!(error.to_string().contains("expected [outputs, 40]"), "{error}");
    }

    #[test]
    fn the_fast_tanh_is_within_half_a_millionth_of_the_exact_one() {
        let mut worst: f64 = 0.0;
        for i in -200_000..=200_000 {
            let x = i as f32 * 1e-4;
            worst = worst.max((f64::from(crate::learned::network::tanh(x)) - libm::tanh(f64::from(x))).abs());
        }
        assert!(worst < 5e-7, "worst error {worst}");
        assert_eq!(crate::learned::network::tanh(50.0), crate::learned::network::tanh(8.0));
    }

    #[test]
    fn a_non_finite_weight_is_refused() {
        let mut bytes = seeded_model(1).to_safetensors();
        let at = bytes.len() - 4;
        bytes[at..].copy_from_slice(&f32::NAN.to_le_bytes());
        let error = LearnedModel::from_safetensors(&bytes).unwrap_err();
        assert!(error.to_string().contains("non-finite"), "{error}");
    }

    #[test]
    fn inference_is_deterministic_and_refuses_inputs_of_the_wrong_length() {
        let model = seeded_model(3);
        let inputs: Vec<f32> = (0..72).map(|i| ((i as f32) * 0.37).sin()).collect();
        let a = model.predict(&inputs).unwrap();
        let b = model.predict(&inputs).unwrap();
        assert_eq!(a.expected_return.to_bits(), b.expected_return.to_bits());
        assert!((0.0..=1.0).contains(&a.probability_up) && (0.0..=1.0).contains(&a.confidence));
        assert!(model.predict(&inputs[..71]).is_none());
    }
}
