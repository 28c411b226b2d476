//! The paper exchange on the bundled real market (Bitfinex BTC-USD hourly, 17,583 bars),
//! driven bar by bar as a backtest will drive it: a fixed trading rule places market,
//! limit and stop orders, once on candles alone and once on each bar's intra-bar quotes.

mod support;

use coinswarm_core::exchange::{
    ExchangeConfig, MatchingEngine, OrderConfiguration, OrderRequest, StopDirection, StopLimitGtc,
};
use coinswarm_core::ledger::{Account, AccountEvent, EventKind};
use coinswarm_core::market::{Candle, Product, Side};
use coinswarm_core::synthetic::{IntrabarConfig, intrabar_quotes};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;

fn hourly_candles() -> Vec<Candle> {
    let dataset = coinswarm_data::load("bitfinex-btcusd-1h").unwrap();
    dataset.entry(btc_usd()).unwrap().series.candles().to_vec()
}

/// BTC-USD listed and 100,000 USD deposited when the data starts (engine time never runs
/// ahead of the replayed market).
fn funded_at_start(config: ExchangeConfig, candles: &[Candle]) -> MatchingEngine {
    let mut engine = MatchingEngine::new(config).unwrap();
    engine.list_product(Product::spot(btc_usd())).unwrap();
    engine.deposit(usd(), dec!(100000), candles[0].start).unwrap();
    engine
}

/// Every 12 bars, one of: a quote-sized market buy, a limit sell 2% above the close, a
/// stop-loss 3% below, a limit buy 1% below; all sized from the account's balances.
fn trade(engine: &mut MatchingEngine, bar: usize, close: Decimal, now: coinswarm_core::time::Timestamp) {
    if !bar.is_multiple_of(12) {
        return;
    }
    let usd_free = engine.account().balance(usd()).available;
    let btc_free =
        engine.account().balance(btc()).available.round_dp_with_strategy(8, rust_decimal::RoundingStrategy::ToZero);
    let price = |factor: Decimal| (close * factor).round_dp(2);
    let request = match (bar / 12) % 4 {
        0 => OrderRequest::market_quote(btc_usd(), Side::Buy, (usd_free / Decimal::TEN).round_dp(2)),
        1 => OrderRequest::limit(btc_usd(), Side::Sell, (btc_free / Decimal::TWO).round_dp(8), price(dec!(1.02))),
        2 => OrderRequest::new(
            btc_usd(),
            Side::Sell,
            OrderConfiguration::StopLimitStopLimitGtc(StopLimitGtc {
                base_size: (btc_free / Decimal::TWO).round_dp(8),
                limit_price: price(dec!(0.96)),
                stop_price: price(dec!(0.97)),
                stop_direction: StopDirection::StopDown,
            }),
        ),
        _ => OrderRequest::limit(btc_usd(), Side::Buy, dec!(0.05), price(dec!(0.99))),
    };
    // Too small or unaffordable orders are refused with a reason; that is part of the run.
    let _ = engine.submit(request, now);
}

fn assert_log_rebuilds_the_account(engine: &MatchingEngine) {
    let replayed = Account::replay(engine.events()).unwrap();
    assert_eq!(&replayed, engine.account());
    let parsed = AccountEvent::from_jsonl(&AccountEvent::to_jsonl(engine.events())).unwrap();
    assert_eq!(parsed.as_slice(), engine.events());
    for balance in engine.account().balances().values() {
        assert!(balance.available >= Decimal::ZERO && balance.hold >= Decimal::ZERO);
    }
}

#[test]
fn on_candles_every_fill_is_inside_its_bar_and_market_orders_take_the_next_open() {
    let candles = hourly_candles();
    let mut engine = funded_at_start(ExchangeConfig::default(), &candles);
    let mut fills = 0;
    for (bar, candle) in candles.iter().enumerate() {
        let seen = engine.events().len();
        engine.on_candle(btc_usd(), candle).unwrap();
        for event in &engine.events()[seen..] {
            if let EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } = &event.kind {
                fills += 1;
                assert!(
                    fill.price >= candle.low.min(candle.open) && fill.price <= candle.high.max(candle.open),
                    "bar {bar}"
                );
                let order = engine.account().order(fill.order_id).unwrap();
                if order.order_configuration.is_market() {
                    assert_eq!(
                        fill.price, candle.open,
                        "market orders fill at the open of the bar after they were placed"
                    );
                }
            }
        }
        // Signals are taken on the bar's close, i.e. at the start of the next bar.
        trade(&mut engine, bar, candle.close, candle.start.plus_millis(3_600_000));
    }
    assert!(fills > 1_000, "the rule trades throughout the two years: {fills} fills");
    assert_log_rebuilds_the_account(&engine);
}

#[test]
fn on_intra_bar_quotes_the_same_rule_trades_and_the_log_still_rebuilds_the_account() {
    let candles = hourly_candles();
    let config =
        ExchangeConfig { slippage_bps: dec!(1), participation_cap: Some(dec!(0.25)), ..ExchangeConfig::default() };
    let mut engine = funded_at_start(config, &candles);
    let product = Product::spot(btc_usd());
    let path = IntrabarConfig { quotes_per_bar: 6, ..IntrabarConfig::default() };
    for (bar, candle) in candles.iter().enumerate() {
        for quote in intrabar_quotes(candle, &product, coinswarm_core::market::Granularity::OneHour, &path).unwrap() {
            engine.on_quote(&quote).unwrap();
        }
        trade(&mut engine, bar, candle.close, candle.start.plus_millis(3_600_000 - 1));
    }
    let fills = engine
        .events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::OrderFilled { .. } | EventKind::OrderPartiallyFilled { .. }))
        .count();
    assert!(fills > 1_000, "{fills} fills");
    assert_log_rebuilds_the_account(&engine);
}
