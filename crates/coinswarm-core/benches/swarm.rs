//! Throughput of the full swarm: every market event runs the paper exchange, all six agents,
//! the planner, the committee, the circuit breaker, oversight and the execution agent, and
//! places any order intent. Replays the bundled Bitfinex BTC-USD hourly data (17,583 bars)
//! with the default config. Run: `cargo bench -p coinswarm-core --bench swarm`.

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
    let swarm = |log: Option<DecisionLog>| {
        let start = candles[0].start;
        Swarm::new(
            SwarmConfig::default(),
            Product::spot(product_id),
            Granularity::OneHour,
            Decimal::from(100_000),
            start,
            log,
        )
        .unwrap()
    };
    group.bench_function("market_events_without_decision_log", |b| {
        b.iter_batched_ref(
            || swarm(None),
            |swarm| {
                for candle in &candles {
                    black_box(swarm.on_candle(candle, &[]).unwrap());
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("market_events_with_hashed_decision_log", |b| {
        b.iter_batched_ref(
            || swarm(Some(DecisionLog::new(false))),
            |swarm| {
                for candle in &candles {
                    black_box(swarm.on_candle(candle, &[]).unwrap());
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_swarm);
criterion_main!(benches);
