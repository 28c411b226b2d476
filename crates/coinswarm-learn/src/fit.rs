//! A model trained on a product's bars with the swarm's settings: the features use pattern
//! memory's state settings (`recall.state`), the horizon is `recall.horizon_bars` and the
//! outcomes are net of a round trip at the exchange's taker fee — the same outcomes pattern
//! memory learns from.

use crate::{TrainConfig, TrainError, TrainReport, train};
use coinswarm_core::learned::{FeatureSpec, LearnedModel, TrainingInfo, samples_from_candles};
use coinswarm_core::market::Candle;
use coinswarm_core::risk::fees;
use coinswarm_core::swarm::SwarmConfig;

/// The features a model trained under `swarm` is fed.
pub fn feature_spec(swarm: &SwarmConfig) -> FeatureSpec {
    FeatureSpec { state: swarm.recall.state, ..FeatureSpec::default() }
}

/// A fresh model on `candles` (one product, oldest first, bars of `bar_ms`), from the
/// samples whose outcome was known by the close of the last bar.
pub fn train_on_candles(
    candles: &[Candle],
    product_id: &str,
    bar_ms: i64,
    swarm: &SwarmConfig,
    config: &TrainConfig,
) -> Result<(LearnedModel, TrainReport), TrainError> {
    let spec = feature_spec(swarm);
    let horizon = swarm.recall.horizon_bars.max(1);
    let fee = fees::round_trip_taker_rate(swarm.exchange.taker_fee_bps);
    let known_by = candles.last().map_or(0, |c| c.start.millis().saturating_add(bar_ms));
    let samples = samples_from_candles(candles, spec, horizon, bar_ms, fee, known_by)
        .map_err(|e| TrainError::Config(format!("features: {e}")))?;
    let info = TrainingInfo {
        product_id: product_id.to_string(),
        bar_ms,
        outcomes_known_by_ms: known_by,
        round_trip_fee: fee,
        ..TrainingInfo::default()
    };
    train(&samples, spec, horizon, info, config)
}
