//! Throughput of the paper matching engine and ledger: order lifecycles (submit, then fill
//! or cancel) per second on one core. Every step is validated, recorded as an event and
//! folded into the account; the events are drained after each lifecycle, as an account's
//! owner does when it appends them to its durable log. One engine runs for the whole
//! benchmark, so the figures are steady state: the account keeps its default 10,000 ended
//! orders and forgets older ones.
//! Run: `cargo bench -p coinswarm-core --bench matching_engine`.

use coinswarm_core::exchange::{ExchangeConfig, MatchingEngine, OrderRequest};
use coinswarm_core::market::{Currency, Product, ProductId, Quote, Side};
use coinswarm_core::time::Timestamp;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;
use std::hint::black_box;

/// Order lifecycles per measured iteration; each is two order events (submit + fill or cancel).
const LIFECYCLES: u64 = 10_000;

fn funded_engine(product: ProductId, t: Timestamp) -> MatchingEngine {
    let config = ExchangeConfig { slippage_bps: Decimal::from(2), ..ExchangeConfig::default() };
    let mut engine = MatchingEngine::new(config).unwrap();
    engine.list_product(Product::spot(product)).unwrap();
    engine.deposit(Currency::new("USD").unwrap(), Decimal::from(1_000_000_000), t).unwrap();
    engine.deposit(Currency::new("BTC").unwrap(), Decimal::from(1_000), t).unwrap();
    engine.on_quote(&Quote::new(product, t, Decimal::new(3_000_000, 2), Decimal::new(3_000_100, 2))).unwrap();
    engine.drain_events().for_each(drop);
    engine
}

fn bench_matching_engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("matching_engine");
    group.throughput(Throughput::Elements(LIFECYCLES));
    let size = Decimal::new(1, 2);
    let btc_usd: ProductId = "BTC-USD".parse().unwrap();
    let t = Timestamp::from_millis(1_700_000_000_000);

    group.bench_function("market_order_submit_and_fill", |b| {
        let mut engine = funded_engine(btc_usd, t);
        b.iter(|| {
            for i in 0..LIFECYCLES {
                let side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
                black_box(engine.submit(OrderRequest::market(btc_usd, side, size), t).unwrap().status);
                black_box(engine.drain_events().count());
            }
        })
    });

    group.bench_function("limit_order_submit_and_cancel", |b| {
        let mut engine = funded_engine(btc_usd, t);
        let (bid, ask) = (Decimal::new(2_900_000, 2), Decimal::new(3_100_000, 2));
        b.iter(|| {
            for i in 0..LIFECYCLES {
                let (side, price) = if i % 2 == 0 { (Side::Buy, bid) } else { (Side::Sell, ask) };
                let order_id = engine.submit(OrderRequest::limit(btc_usd, side, size, price), t).unwrap().order_id;
                black_box(engine.cancel(order_id, t).unwrap().status);
                black_box(engine.drain_events().count());
            }
        })
    });

    group.bench_function("limit_order_rests_then_fills_on_quote", |b| {
        let mut engine = funded_engine(btc_usd, t);
        let (buy_limit, sell_limit) = (Decimal::new(2_995_000, 2), Decimal::new(3_005_000, 2));
        let dip = Quote::new(btc_usd, t, Decimal::new(2_989_000, 2), Decimal::new(2_990_000, 2));
        let spike = Quote::new(btc_usd, t, Decimal::new(3_010_000, 2), Decimal::new(3_011_000, 2));
        b.iter(|| {
            for i in 0..LIFECYCLES {
                let (side, limit, through) =
                    if i % 2 == 0 { (Side::Buy, buy_limit, &dip) } else { (Side::Sell, sell_limit, &spike) };
                engine.submit(OrderRequest::limit(btc_usd, side, size, limit), t).unwrap();
                engine.on_quote(through).unwrap();
                black_box(engine.drain_events().count());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_matching_engine);
criterion_main!(benches);
