//! The learned agent's costs on the bundled Bitfinex BTC-USD hourly set (17,583 bars):
//! training a model from scratch on all of it (features, early stopping and all), and one
//! decision's inference (the model's forward pass on one row of inputs).
//! Run: `cargo bench -p coinswarm-learn --bench learned`.

use coinswarm_core::learned::{FeatureSpec, TrainingInfo, samples_from_candles};
use coinswarm_core::market::Candle;
use coinswarm_learn::{TrainConfig, train};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn bench_learned(c: &mut Criterion) {
    let dataset = coinswarm_data::load("bitfinex-btcusd-1h").unwrap();
    let candles: Vec<Candle> = dataset.entry("BTC-USD".parse().unwrap()).unwrap().series.candles().to_vec();
    let bar_ms = 3_600_000;
    let end = candles.last().unwrap().start.millis() + bar_ms;
    let spec = FeatureSpec::default();
    let fee = 0.012;
    let samples = samples_from_candles(&candles, spec, 24, bar_ms, fee, end).unwrap();
    let (model, _) = train(&samples, spec, 24, TrainingInfo::default(), &TrainConfig::default()).unwrap();

    let mut group = c.benchmark_group("learned");
    group.bench_function("inference_per_decision", |b| {
        let inputs = &samples[samples.len() / 2].inputs;
        b.iter(|| black_box(model.predict(black_box(inputs))))
    });
    group.sample_size(10).measurement_time(Duration::from_secs(60));
    group.bench_function("train_on_bundled_btc_hourly", |b| {
        b.iter(|| {
            let samples = samples_from_candles(&candles, spec, 24, bar_ms, fee, end).unwrap();
            black_box(train(&samples, spec, 24, TrainingInfo::default(), &TrainConfig::default()).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_learned);
criterion_main!(benches);
