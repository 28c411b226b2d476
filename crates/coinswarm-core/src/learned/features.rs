//! The learned model's inputs at a bar's close: the market-state embedding (built with a
//! flat position, so the model sees the market and never the account) followed by the last
//! [`RETURN_FEATURES`] one-bar log returns, each divided by [`FeatureSpec::return_scale`]
//! and clamped to ±1. Every value lies in [−1, 1]; nothing after the bar is used.

use crate::market::Candle;
use crate::memory::{BarValues, PositionState, StateBuilder, StateConfig, StateError};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// One-bar returns after the state embedding.
pub const RETURN_FEATURES: usize = 8;

/// How a model's inputs are built; saved in the model file, so a model is always fed the
/// features it was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureSpec {
    /// The state embedding (its dimensions, normalisation and warm-up).
    pub state: StateConfig,
    /// A one-bar log return of this size maps to 1 (clamped beyond). Default 0.05.
    pub return_scale: f64,
}

impl Default for FeatureSpec {
    fn default() -> Self {
        Self { state: StateConfig::default(), return_scale: 0.05 }
    }
}

impl FeatureSpec {
    /// Inputs per decision: the state's dimensions and the returns.
    pub fn inputs(&self) -> usize {
        self.state.dimensions + RETURN_FEATURES
    }
}

/// Folds closed bars into the model's inputs.
#[derive(Debug, Clone)]
pub struct FeatureBuilder {
    spec: FeatureSpec,
    state: StateBuilder,
    /// Logarithms of the latest closes, newest last: each return is one subtraction.
    log_closes: VecDeque<f64>,
}

impl FeatureBuilder {
    pub fn new(spec: FeatureSpec) -> Result<Self, StateError> {
        if !(spec.return_scale.is_finite() && spec.return_scale > 0.0) {
            return Err(StateError::NotPositive("return_scale"));
        }
        Ok(Self {
            spec,
            state: StateBuilder::new(spec.state)?,
            log_closes: VecDeque::with_capacity(RETURN_FEATURES + 1),
        })
    }

    pub fn spec(&self) -> &FeatureSpec {
        &self.spec
    }

    /// Folds in a closed bar; the inputs once the state has warmed up and enough closes are
    /// known, else `None`. A bar the state builder refuses (non-positive prices) is skipped.
    pub fn update(&mut self, candle: &Candle) -> Option<Vec<f32>> {
        self.update_bar(&BarValues::from(candle))
    }

    /// The same from the bar's values already in `f64`.
    pub fn update_bar(&mut self, bar: &BarValues) -> Option<Vec<f32>> {
        let state = self.state.update_bar(bar, None, &PositionState::default(), RETURN_FEATURES);
        let close = bar.close;
        if !(close.is_finite() && close > 0.0) {
            return None;
        }
        if self.log_closes.len() == RETURN_FEATURES + 1 {
            self.log_closes.pop_front();
        }
        self.log_closes.push_back(libm::log(close));
        let mut inputs = state?;
        if self.log_closes.len() < RETURN_FEATURES + 1 {
            return None;
        }
        let scale = self.spec.return_scale;
        for pair in 0..RETURN_FEATURES {
            let r = (self.log_closes[pair + 1] - self.log_closes[pair]) / scale;
            inputs.push(r.clamp(-1.0, 1.0) as f32);
        }
        Some(inputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{RegimeKind, SyntheticConfig, generate};

    #[test]
    fn inputs_come_after_warm_up_with_every_value_in_the_unit_range() {
        let market = generate(&SyntheticConfig::new(RegimeKind::HighVolatility).with_bars(2000)).unwrap();
        let mut builder = FeatureBuilder::new(FeatureSpec::default()).unwrap();
        let inputs: Vec<Option<Vec<f32>>> = market.candles.iter().map(|c| builder.update(c)).collect();
        let first = inputs.iter().position(Option::is_some).unwrap();
        assert!(first >= StateConfig::default().warm_up_bars, "ready at bar {first}");
        for row in inputs[first..].iter().flatten() {
            assert_eq!(row.len(), 64 + RETURN_FEATURES);
            assert!(row.iter().all(|v| v.is_finite() && (-1.0..=1.0).contains(v)));
        }
    }

    #[test]
    fn a_non_positive_return_scale_is_refused() {
        let spec = FeatureSpec { return_scale: 0.0, ..FeatureSpec::default() };
        assert!(FeatureBuilder::new(spec).is_err());
    }
}
