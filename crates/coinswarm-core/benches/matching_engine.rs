//! Throughput of the paper matching engine and ledger: order lifecycles (submit, then fill
//! or cancel) per second on one core. Every step is validated, recorded as an event, folded
//! into the account, and the events are drained after each lifecycle as an account's owner
//! does when it appends them to its durable log.
//! Run: `cargo bench -p coinswarm-core --bench matching_engine`.

use coinswarm_core::exchange::{ExchangeConfig, MatchingEngine, OrderRequest};
use coinswarm_core::market::{Currency, Product, ProductId, Quote, Side};
use coinswarm_core::time::Timestamp;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::hint::black_box;

/// Order lifecycles per measured batch; each is two order events (submit + fill or cancel).
const LIFECYCLES: u64 = 10_000;

fn product() -> ProductId {
    "BTC-USD".parse().unwrap()
}

fn funded_engine() -> MatchingEngine {
    let mut engine =
        MatchingEngine::new(ExchangeConfig { slippage_bps: Decimal::from(2), ..ExchangeConfig::default() }).unwrap();
    engine.list_product(Product::spot(product())).unwrap();
    let t0 = Timestamp::from_millis(1_700_000_000_000);
    engine.deposit(Currency::new("USD").unwrap(), Decimal::from(1_000_000_000), t0).unwrap();
    engine.deposit(Currency::new("BTC").unwrap(), Decimal::from(1_000), t0).unwrap();
    engine.on_quote(&Quote::new(product(), t0, Decimal::new(3_000_000, 2), Decimal::new(3_000_100, 2))).unwrap();
    engine
}

fn bench_matching_engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("matching_engine");
    group.throughput(Throughput::Elements(LIFECYCLES));
    let size = Decimal::new(1, 2);
    let btc_usd = product();
    let t = Timestamp::from_millis(1_700_000_000_000);

    group.bench_function("market_order_submit_and_fill", |b| {
        b.iter_batched_ref(
            funded_engine,
            |engine| {
                for i in 0..LIFECYCLES {
                    let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
                    black_box(engine.submit(OrderRequest::market(btc_usd, side, size), t).unwrap().status);
                    black_box(engine.drain_events().count());
                }
            },
            BatchSize::LargeInput,
        )
    });

    group.bench_function("limit_order_submit_and_cancel", |b| {
        b.iter_batched_ref(
            funded_engine,
            |engine| {
                for i in 0..LIFECYCLES {
                    let (side, price) = if i % 2 == 0 {
                        (Side::Buy, Decimal::new(2_900_000, 2))
                    } else {
                        (Side::Sell, Decimal::new(3_100_000, 2))
                    };
                    let order_id = engine.submit(OrderRequest::limit(btc_usd, side, size, price), t).unwrap().order_id;
                    black_box(engine.cancel(order_id, t).unwrap().status);
                    black_box(engine.drain_events().count());
                }
            },
            BatchSize::LargeInput,
        )
    });

    group.bench_function("limit_order_rests_then_fills_on_quote", |b| {
        b.iter_batched_ref(
            funded_engine,
            |engine| {
                let away = Quote::new(btc_usd, t, Decimal::new(3_000_000, 2), Decimal::new(3_000_100, 2));
                let through = Quote::new(btc_usd, t, Decimal::new(2_989_900, 2), Decimal::new(2_990_000, 2));
                for _ in 0..LIFECYCLES {
                    engine
                        .submit(OrderRequest::limit(btc_usd, Side::Buy, size, Decimal::new(2_995_000, 2)), t)
                        .unwrap();
                    engine.on_quote(&through).unwrap();
                    engine.on_quote(&away).unwrap();
                    black_box(engine.drain_events().count());
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_matching_engine);
criterion_main!(benches);
