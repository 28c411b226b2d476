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

/// Every fill of `engine`: order, side, price, size, fee, maker or taker (numbers by value,
/// whatever their scale).
fn fills_of(engine: &MatchingEngine) -> Vec<String> {
    engine
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } => Some(format!(
                "{} {:?} {} x {} fee {} {:?}",
                fill.order_id,
                fill.side,
                fill.price.normalize(),
                fill.size.normalize(),
                fill.fee.normalize(),
                fill.liquidity
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn a_paper_session_on_each_bars_quotes_fills_every_stop_and_limit_exactly_as_the_backtest_on_its_candle() {
    // The same bars, the same orders at the same times: once as a backtest sees them (the
    // candle's path), once as a paper session sees them (one quote per point of that path,
    // no spread), where stops and limits are crossed between two quotes.
    let candles = &hourly_candles()[..4_000];
    let product = Product::spot(btc_usd());
    let path = IntrabarConfig { quotes_per_bar: 4, spread_bps: Decimal::ZERO, jitter: None };
    let mut backtest = funded_at_start(ExchangeConfig::default(), candles);
    let mut session = funded_at_start(ExchangeConfig::default(), candles);
    for (bar, candle) in candles.iter().enumerate() {
        backtest.on_candle(btc_usd(), candle).unwrap();
        for quote in intrabar_quotes(candle, &product, coinswarm_core::market::Granularity::OneHour, &path).unwrap() {
            session.on_quote(&quote).unwrap();
        }
        // Both decide at the bar's last moment, before the next bar opens.
        let decided = candle.start.plus_millis(3_600_000 - 1);
        trade(&mut backtest, bar, candle.close, decided);
        trade(&mut session, bar, candle.close, decided);
    }
    let (on_candles, on_quotes) = (fills_of(&backtest), fills_of(&session));
    let filled_by = |kind: fn(&OrderConfiguration) -> bool| {
        let stored = |f: &String| backtest.account().order(f.split(' ').next().unwrap().parse().unwrap()).cloned();
        on_candles.iter().filter_map(stored).filter(|o| kind(&o.order_configuration)).count()
    };
    let stops = filled_by(|c| matches!(c, OrderConfiguration::StopLimitStopLimitGtc(_)));
    let limits = filled_by(|c| matches!(c, OrderConfiguration::LimitLimitGtc(_)));
    assert!(stops > 30 && limits > 100, "{stops} stop fills and {limits} limit fills compared");
    for (i, (candle_fill, quote_fill)) in on_candles.iter().zip(&on_quotes).enumerate() {
        assert_eq!(candle_fill, quote_fill, "fill {i} differs");
    }
    assert_eq!(on_candles.len(), on_quotes.len());
    assert_eq!(backtest.account().balances(), session.account().balances());
}
