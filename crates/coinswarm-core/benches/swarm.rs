//! Throughput of the full swarm: every market event runs the paper exchange, all six agents,
//! the planner, the committee, the circuit breaker, oversight and the execution agent, and
//! places any order intent. Replays the bundled Bitfinex BTC-USD hourly data (17,583 bars)
//! with the default config, and again with the learned agent in the committee (the model
//! checked in under `tests/fixtures`). Run: `cargo bench -p coinswarm-core --bench swarm`.

use coinswarm_core::exchange::MatchingEngine;
use coinswarm_core::learned::LearnedModel;
use coinswarm_core::market::{Candle, Granularity, Product};
use coinswarm_core::swarm::{DecisionLog, Swarm, SwarmConfig};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::hint::black_box;

fn bench_swarm(c: &mut Criterion) {
    let dataset = coinswarm_data::load("bitfinex-btcusd-1h").unwrap();
    let product_id = "BTC-USD".parse().unwrap();
    let candles: Vec<Candle> = dataset.entry(product_id).unwrap().series.candles().to_vec();
    let mut group = c.benchmark_group("swarm");
    group.throughput(Throughput::Elements(candles.len() as u64));
    group.sample_size(20);
    // A funded paper account and a swarm trading it.
    let model = LearnedModel::from_safetensors(include_bytes!("../tests/fixtures/learned_model.safetensors")).unwrap();
    let model = std::sync::Arc::new(model);
    let session = |log: Option<DecisionLog>, learned: bool| {
        let mut config = SwarmConfig::default();
        config.learned.enabled = learned;
        config.learned.model = learned.then(|| model.clone());
        let product = Product::spot(product_id);
        let mut engine = MatchingEngine::new(config.exchange.clone()).unwrap();
        engine.list_product(product.clone()).unwrap();
        engine.deposit(product.quote(), Decimal::from(100_000), candles[0].start).unwrap();
        (engine, Swarm::new(config, product, Granularity::OneHour, log).unwrap())
    };
    let replay = |(engine, swarm): &mut (MatchingEngine, Swarm)| {
        for candle in &candles {
            black_box(swarm.on_candle(engine, candle, &[]).unwrap());
            engine.drain_events().for_each(drop);
        }
    };
    group.bench_function("market_events_without_decision_log", |b| {
        b.iter_batched_ref(|| session(None, false), replay, BatchSize::LargeInput)
    });
    group.bench_function("market_events_with_hashed_decision_log", |b| {
        b.iter_batched_ref(|| session(Some(DecisionLog::new(false)), false), replay, BatchSize::LargeInput)
    });
    group.bench_function("market_events_with_learned_agent_without_decision_log", |b| {
        b.iter_batched_ref(|| session(None, true), replay, BatchSize::LargeInput)
    });
    group.finish();
}

criterion_group!(benches, bench_swarm);
criterion_main!(benches);
