//! Training samples: the model's inputs at a decision and the outcome realised at its
//! horizon — the long return net of a round trip's fees, resolved exactly as pattern memory
//! resolves its episodes (at the first bar close at or after the horizon's end, at that
//! close). Offline training ([`samples_from_candles`]) and online fine-tuning in
//! `coinswarm up` ([`OnlineSamples`], kept by the learned agent) share this one path, so a
//! model learns from the same outcomes wherever it is trained.

use super::features::{FeatureBuilder, FeatureSpec};
use crate::market::{Candle, decimal_to_f64};
use crate::memory::StateError;
use std::collections::VecDeque;

/// A decision's inputs and, once its horizon has ended, its outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingSample {
    /// When the decision was taken (its bar's close), ms.
    pub decided_ms: i64,
    /// When its outcome became known, ms.
    pub horizon_end_ms: i64,
    pub inputs: Vec<f32>,
    /// Long return net of fees over the horizon, as a fraction.
    pub outcome: f64,
}

/// What pattern memory and the learned agent call an outcome: `exit / entry − 1 − fee`.
pub fn long_outcome(entry: f64, exit: f64, round_trip_fee: f64) -> f64 {
    exit / entry - 1.0 - round_trip_fee
}

#[derive(Debug, Clone)]
struct Pending {
    decided_ms: i64,
    horizon_end_ms: i64,
    inputs: Vec<f32>,
    price: f64,
}

/// Decisions waiting for their horizon, and the latest resolved ones (at most `capacity`,
/// the oldest leave first).
#[derive(Debug, Clone)]
pub struct OnlineSamples {
    horizon_ms: i64,
    round_trip_fee: f64,
    capacity: usize,
    pending: VecDeque<Pending>,
    resolved: VecDeque<TrainingSample>,
    /// Resolved since the start (not bounded by `capacity`).
    total_resolved: u64,
}

impl OnlineSamples {
    pub fn new(horizon_ms: i64, round_trip_fee: f64, capacity: usize) -> Self {
        Self {
            horizon_ms: horizon_ms.max(1),
            round_trip_fee,
            capacity: capacity.max(1),
            pending: VecDeque::new(),
            resolved: VecDeque::new(),
            total_resolved: 0,
        }
    }

    /// A decision at `decided_ms` on `inputs`, at `price`.
    pub fn record(&mut self, decided_ms: i64, inputs: Vec<f32>, price: f64) {
        if price > 0.0 && price.is_finite() {
            let horizon_end_ms = decided_ms.saturating_add(self.horizon_ms);
            self.pending.push_back(Pending { decided_ms, horizon_end_ms, inputs, price });
        }
    }

    /// At a bar close `now_ms` at `price`: resolves every decision whose horizon has ended;
    /// returns how many.
    pub fn resolve(&mut self, now_ms: i64, price: f64) -> usize {
        let mut count = 0;
        while self.pending.front().is_some_and(|p| p.horizon_end_ms <= now_ms) {
            let Some(pending) = self.pending.pop_front() else { break };
            if !(price > 0.0 && price.is_finite()) {
                continue;
            }
            if self.resolved.len() == self.capacity {
                self.resolved.pop_front();
            }
            self.resolved.push_back(TrainingSample {
                decided_ms: pending.decided_ms,
                horizon_end_ms: pending.horizon_end_ms,
                inputs: pending.inputs,
                outcome: long_outcome(pending.price, price, self.round_trip_fee),
            });
            count += 1;
        }
        self.total_resolved += count as u64;
        count
    }

    /// The latest resolved samples, oldest first.
    pub fn resolved(&mut self) -> &[TrainingSample] {
        self.resolved.make_contiguous()
    }

    /// Resolved since the start.
    pub fn total_resolved(&self) -> u64 {
        self.total_resolved
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Every resolved sample, taken out, oldest first.
    pub fn into_resolved(self) -> Vec<TrainingSample> {
        self.resolved.into()
    }
}

/// The samples of `candles` (one product, oldest first, bars of `bar_ms`) whose outcome was
/// known by `known_by_ms`: decisions at each bar's close once the features are ready,
/// resolved as in [`OnlineSamples`]. Bars closing after `known_by_ms` are never read.
pub fn samples_from_candles(
    candles: &[Candle],
    spec: FeatureSpec,
    horizon_bars: usize,
    bar_ms: i64,
    round_trip_fee: f64,
    known_by_ms: i64,
) -> Result<Vec<TrainingSample>, StateError> {
    let mut features = FeatureBuilder::new(spec)?;
    let horizon_ms = bar_ms.saturating_mul(horizon_bars.max(1) as i64);
    let mut samples = OnlineSamples::new(horizon_ms, round_trip_fee, usize::MAX);
    for candle in candles {
        let close_ms = candle.start.millis().saturating_add(bar_ms);
        if close_ms > known_by_ms {
            break;
        }
        let price = decimal_to_f64(candle.close);
        samples.resolve(close_ms, price);
        if let Some(inputs) = features.update(candle) {
            samples.record(close_ms, inputs, price);
        }
    }
    Ok(samples.into_resolved())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{RegimeKind, SyntheticConfig, generate};

    #[test]
    fn outcomes_are_the_close_at_the_horizon_over_the_close_at_the_decision_net_of_fees() {
        let market = generate(&SyntheticConfig::new(RegimeKind::Trending).with_bars(2000)).unwrap();
        let bar_ms = market.granularity.millis();
        let end = market.candles.last().unwrap().start.millis() + bar_ms;
        let samples = samples_from_candles(&market.candles, FeatureSpec::default(), 24, bar_ms, 0.01, end).unwrap();
        assert!(!samples.is_empty());
        let close_at = |ms: i64| {
            let bar = market.candles.iter().find(|c| c.start.millis() + bar_ms == ms).unwrap();
            decimal_to_f64(bar.close)
        };
        for sample in &samples {
            assert_eq!(sample.horizon_end_ms, sample.decided_ms + 24 * bar_ms);
            assert!(sample.horizon_end_ms <= end);
            let expected = close_at(sample.horizon_end_ms) / close_at(sample.decided_ms) - 1.0 - 0.01;
            assert!((sample.outcome - expected).abs() < 1e-12);
        }
        // Every decision the last 24 bars took is still waiting for its outcome.
        assert_eq!(samples.last().unwrap().horizon_end_ms, end);
    }

    #[test]
    fn no_sample_has_an_outcome_known_after_the_cut() {
        let market = generate(&SyntheticConfig::new(RegimeKind::RangeBound).with_bars(2000)).unwrap();
        let bar_ms = market.granularity.millis();
        let cut = market.candles[1500].start.millis();
        let samples = samples_from_candles(&market.candles, FeatureSpec::default(), 24, bar_ms, 0.0, cut).unwrap();
        assert!(samples.iter().all(|s| s.horizon_end_ms <= cut));
        assert!(!samples.is_empty());
    }
}
