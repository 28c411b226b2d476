//! Bracket orders (`trigger_bracket_gtc`): a take-profit limit and a stop on one order,
//! one-cancels-the-other, with Coinbase's stop-limit band on the stop leg; SELL brackets close
//! a long, BUY brackets a short.

mod support;

use coinswarm_core::exchange::{
    ExchangeConfig, LimitGtc, Liquidity, OrderConfiguration, OrderId, OrderRequest, OrderStatus, TriggerStatus,
};
use coinswarm_core::market::{Side, TradePrint};
use rust_decimal_macros::dec;
use support::*;

/// An engine holding 1 BTC bought at 100.10 (quote bid 100.00) and a bracket selling it:
/// take-profit at 110.00, stop at 95.00. Returns the bracket's id.
fn long_with_bracket(config: ExchangeConfig) -> (coinswarm_core::exchange::MatchingEngine, OrderId) {
    let mut engine = engine_with(config);
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), at(1)).unwrap();
    let order = engine.submit(OrderRequest::bracket(btc_usd(), dec!(1), dec!(110.00), dec!(95.00)), at(1)).unwrap();
    assert_eq!((order.status, order.trigger_status), (OrderStatus::Open, TriggerStatus::StopPending));
    let order_id = order.order_id;
    assert_eq!(engine.account().balance(btc()).hold, dec!(1), "the bracket holds the base size");
    (engine, order_id)
}

/// The bracket's fills (the entry buy is the first fill).
fn bracket_fills(engine: &coinswarm_core::exchange::MatchingEngine) -> Vec<coinswarm_core::exchange::Fill> {
    fills(engine).into_iter().skip(1).collect()
}

fn assert_bracket_closed(engine: &coinswarm_core::exchange::MatchingEngine, order_id: OrderId, trigger: TriggerStatus) {
    let order = engine.account().order(order_id).unwrap();
    assert_eq!((order.status, order.trigger_status, order.hold_remaining), (OrderStatus::Filled, trigger, dec!(0)));
    let btc_balance = engine.account().balance(btc());
    assert_eq!((btc_balance.available, btc_balance.hold), (dec!(0), dec!(0)), "hold released, position sold");
    assert_eq!(bracket_fills(engine).len(), 1, "one order: one side fills, never both");
}

#[test]
fn bracket_take_profit_fills_at_its_limit_as_maker() {
    let (mut engine, order_id) = long_with_bracket(ExchangeConfig::default());
    // Up bar: open 105 → low 104 → high 111 → close 110.5; the stop at 95 is never reached.
    engine.on_candle(btc_usd(), &candle(2, dec!(105), dec!(111), dec!(104), dec!(110.5), dec!(10))).unwrap();
    let fill = &bracket_fills(&engine)[0];
    assert_eq!(
        (fill.side, fill.price, fill.fee, fill.liquidity),
        (Side::Sell, dec!(110.00), dec!(0.44), Liquidity::Maker)
    );
    assert_bracket_closed(&engine, order_id, TriggerStatus::StopPending);
    assert_eq!(engine.account().balance(usd()).hold, dec!(0));
}

#[test]
fn bracket_take_profit_fills_when_the_bid_reaches_the_limit() {
    let (mut engine, order_id) = long_with_bracket(ExchangeConfig::default());
    engine.on_quote(&quote(2, dec!(109.99), dec!(110.20))).unwrap();
    assert!(bracket_fills(&engine).is_empty(), "the ask above the limit does not fill a sell");
    engine.on_quote(&quote(3, dec!(110.00), dec!(110.20))).unwrap();
    let fill = &bracket_fills(&engine)[0];
    assert_eq!((fill.price, fill.liquidity), (dec!(110.00), Liquidity::Maker));
    assert_bracket_closed(&engine, order_id, TriggerStatus::StopPending);
}

#[test]
fn bracket_stop_fills_as_taker_at_the_stop_less_slippage() {
    let config = ExchangeConfig { slippage_bps: dec!(10), ..ExchangeConfig::default() };
    let (mut engine, order_id) = long_with_bracket(config);
    // Down bar: open 100 → high 101 → low 94 → close 96; the leg to 94 crosses the stop.
    engine.on_candle(btc_usd(), &candle(2, dec!(100), dec!(101), dec!(94), dec!(96), dec!(10))).unwrap();
    // 95.00 × 0.999 = 94.905 → 94.90 (down for a sell).
    let fill = &bracket_fills(&engine)[0];
    assert_eq!((fill.price, fill.fee, fill.liquidity), (dec!(94.90), dec!(0.56940), Liquidity::Taker));
    assert_bracket_closed(&engine, order_id, TriggerStatus::StopTriggered);
}

#[test]
fn bracket_stop_crossed_between_quotes_sells_at_the_stop_and_on_a_print_at_the_market_when_worse() {
    let (mut engine, order_id) = long_with_bracket(ExchangeConfig::default());
    engine.on_quote(&quote(2, dec!(95.01), dec!(95.10))).unwrap();
    assert!(bracket_fills(&engine).is_empty(), "mid above the stop");
    // The mid passes 95.00 between 95.055 and 94.55: the stop fills there, as on a candle.
    engine.on_quote(&quote(3, dec!(94.50), dec!(94.60))).unwrap();
    assert_eq!((bracket_fills(&engine)[0].price, bracket_fills(&engine)[0].liquidity), (dec!(95.00), Liquidity::Taker));
    assert_bracket_closed(&engine, order_id, TriggerStatus::StopTriggered);

    let (mut engine, order_id) = long_with_bracket(ExchangeConfig::default());
    let print =
        TradePrint { product_id: btc_usd(), time: at(2), price: dec!(93.00), size: dec!(5), aggressor: Side::Sell };
    engine.on_trade(&print).unwrap();
    assert_eq!(bracket_fills(&engine)[0].price, dec!(93.00), "a print below the stop, within the 5% band");
    assert_bracket_closed(&engine, order_id, TriggerStatus::StopTriggered);
}

#[test]
fn a_bracket_stop_gapped_past_its_band_rests_as_a_stop_limit_5_percent_through_the_trigger() {
    // Stop 95.00: the stop-limit is 90.25. The bar opens at 90 (a gap through the band), dips
    // to 88 and comes back to 92: the rest waits at 90.25 and fills there as maker.
    let (mut engine, order_id) = long_with_bracket(ExchangeConfig::default());
    engine.on_candle(btc_usd(), &candle(2, dec!(90), dec!(92), dec!(88), dec!(91), dec!(10))).unwrap();
    let fill = &bracket_fills(&engine)[0];
    assert_eq!((fill.price, fill.liquidity), (dec!(90.25), Liquidity::Maker));
    assert_bracket_closed(&engine, order_id, TriggerStatus::StopTriggered);

    // A bar that never comes back within the band leaves it triggered and working.
    let (mut engine, order_id) = long_with_bracket(ExchangeConfig::default());
    engine.on_candle(btc_usd(), &candle(2, dec!(85), dec!(86), dec!(84), dec!(85), dec!(10))).unwrap();
    let order = engine.account().order(order_id).unwrap();
    assert_eq!((order.status, order.trigger_status), (OrderStatus::Open, TriggerStatus::StopTriggered));
    assert!(bracket_fills(&engine).is_empty());
    // A wider band (configurable) takes the gap at the open.
    let config = ExchangeConfig { bracket_stop_limit_band: dec!(0.2), ..ExchangeConfig::default() };
    let (mut engine, _) = long_with_bracket(config);
    engine.on_candle(btc_usd(), &candle(2, dec!(85), dec!(86), dec!(84), dec!(85), dec!(10))).unwrap();
    assert_eq!((bracket_fills(&engine)[0].price, bracket_fills(&engine)[0].liquidity), (dec!(85.00), Liquidity::Taker));
}

#[test]
fn a_buy_bracket_closes_a_short_with_the_mirrored_rules() {
    // Spot has no shorts, but Coinbase's API takes a BUY bracket: take-profit below, stop above.
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    let request = OrderRequest::new(
        btc_usd(),
        Side::Buy,
        OrderConfiguration::TriggerBracketGtc(coinswarm_core::exchange::TriggerBracketGtc {
            base_size: dec!(1),
            limit_price: dec!(90.00),
            stop_trigger_price: dec!(105.00),
        }),
    );
    let order = engine.submit(request, at(1)).unwrap();
    // The hold covers the worst fill: the stop-limit at 105 × 1.05 = 110.25, with the taker fee.
    assert_eq!(order.hold_remaining, dec!(110.25) * dec!(1.006));
    let order_id = order.order_id;
    // Up bar 100 → 99 → 107 → 106: the leg to 107 crosses the stop, which buys at 105.00.
    engine.on_candle(btc_usd(), &candle(2, dec!(100), dec!(107), dec!(99), dec!(106), dec!(10))).unwrap();
    let fill = &fills(&engine)[0];
    assert_eq!((fill.side, fill.price, fill.liquidity), (Side::Buy, dec!(105.00), Liquidity::Taker));
    let order = engine.account().order(order_id).unwrap();
    assert_eq!((order.status, order.trigger_status), (OrderStatus::Filled, TriggerStatus::StopTriggered));
}

#[test]
fn bracket_in_an_up_bar_reaching_both_levels_fills_the_stop() {
    let (mut engine, order_id) = long_with_bracket(ExchangeConfig::default());
    // Up bar: open 100 → low 94 → high 112 → close 111.
    engine.on_candle(btc_usd(), &candle(2, dec!(100), dec!(112), dec!(94), dec!(111), dec!(10))).unwrap();
    let fill = &bracket_fills(&engine)[0];
    assert_eq!((fill.price, fill.liquidity), (dec!(95.00), Liquidity::Taker));
    assert_bracket_closed(&engine, order_id, TriggerStatus::StopTriggered);
}

#[test]
fn bracket_in_a_down_bar_reaching_both_levels_fills_the_stop_not_the_target() {
    let (mut engine, order_id) = long_with_bracket(ExchangeConfig::default());
    // Down bar: open 100 → high 112 → low 94 → close 96. The path reaches 110 first, but the
    // conservative rule fills the stop.
    engine.on_candle(btc_usd(), &candle(2, dec!(100), dec!(112), dec!(94), dec!(96), dec!(10))).unwrap();
    let fill = &bracket_fills(&engine)[0];
    assert_eq!((fill.price, fill.liquidity), (dec!(95.00), Liquidity::Taker));
    assert_bracket_closed(&engine, order_id, TriggerStatus::StopTriggered);
    // A bar gapping up through the target and then down through the stop: the stop, at the stop.
    let (mut engine, order_id) = long_with_bracket(ExchangeConfig::default());
    engine.on_candle(btc_usd(), &candle(2, dec!(113), dec!(113), dec!(94), dec!(94), dec!(10))).unwrap();
    assert_eq!(bracket_fills(&engine)[0].price, dec!(95.00));
    assert_bracket_closed(&engine, order_id, TriggerStatus::StopTriggered);
}

#[test]
fn cancelling_a_bracket_releases_its_hold() {
    let (mut engine, order_id) = long_with_bracket(ExchangeConfig::default());
    let order = engine.cancel(order_id, at(2)).unwrap();
    assert_eq!((order.status, order.hold_remaining), (OrderStatus::Cancelled, dec!(0)));
    let btc_balance = engine.account().balance(btc());
    assert_eq!((btc_balance.available, btc_balance.hold), (dec!(1), dec!(0)));
    engine.on_candle(btc_usd(), &candle(3, dec!(100), dec!(112), dec!(94), dec!(96), dec!(10))).unwrap();
    assert!(bracket_fills(&engine).is_empty(), "a cancelled bracket never fills");
}

#[test]
fn an_engine_resumed_from_the_event_log_carries_on_exactly_where_the_original_was() {
    use coinswarm_core::exchange::{ExchangeConfig, MatchingEngine, OrderRequest};
    use coinswarm_core::ledger::Account;
    use coinswarm_core::market::{Currency, Product, ProductId, Quote, Side};
    use coinswarm_core::time::Timestamp;
    use rust_decimal_macros::dec;

    let btc: ProductId = "BTC-USD".parse().unwrap();
    let t = |s: i64| Timestamp::from_millis(1_700_000_000_000 + s * 1000);
    let start = |engine: &mut MatchingEngine| {
        engine.list_product(Product::spot(btc)).unwrap();
    };
    let mut original = MatchingEngine::new(ExchangeConfig::default()).unwrap();
    start(&mut original);
    original.deposit(Currency::new("USD").unwrap(), dec!(10000), t(0)).unwrap();
    original.on_quote(&Quote::new(btc, t(1), dec!(100), dec!(101))).unwrap();
    original.submit(OrderRequest::limit(btc, Side::Buy, dec!(1), dec!(95)).with_client_order_id("a"), t(2)).unwrap();
    let log: Vec<_> = original.events().to_vec();

    let mut resumed = MatchingEngine::resume(ExchangeConfig::default(), Account::replay(&log).unwrap()).unwrap();
    start(&mut resumed);
    // Market data is not in the account's log: the last quote seen is given again, so the
    // resting limit is known to rest (and fills as maker) exactly as in the original.
    resumed.on_quote(&Quote::new(btc, t(1), dec!(100), dec!(101))).unwrap();
    assert!(resumed.events().is_empty());
    assert_eq!(resumed.now(), original.now());
    for engine in [&mut original, &mut resumed] {
        engine.drain_events().for_each(drop);
        // The resting limit fills on the next quote, and the idempotency key still holds.
        engine.on_quote(&Quote::new(btc, t(3), dec!(94), dec!(95))).unwrap();
        let repeat = OrderRequest::limit(btc, Side::Buy, dec!(1), dec!(95)).with_client_order_id("a");
        let first_id = engine.account().order_by_client_id("a").unwrap().order_id;
        assert_eq!(engine.submit(repeat, t(4)).unwrap().order_id, first_id);
    }
    assert_eq!(resumed.events(), original.events(), "same events, same sequence numbers and ids");
    assert_eq!(resumed.account(), original.account());
}

#[test]
fn resting_limits_fill_when_reached_after_the_highest_was_cancelled() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    let limit = |price| {
        OrderRequest::new(
            btc_usd(),
            Side::Buy,
            OrderConfiguration::LimitLimitGtc(LimitGtc { base_size: dec!(1), limit_price: price, post_only: false }),
        )
    };
    let low = engine.submit(limit(dec!(90)), at(1)).unwrap().order_id;
    let high = engine.submit(limit(dec!(95)), at(1)).unwrap().order_id;
    assert_eq!(engine.account().live_book(btc_usd()).unwrap().bounds(), (Some(dec!(95)), None, false));
    engine.cancel(high, at(1)).unwrap();
    assert_eq!(engine.account().live_book(btc_usd()).unwrap().bounds(), (Some(dec!(90)), None, false));
    // Far from the market: nothing fills.
    engine.on_quote(&quote(2, dec!(93.90), dec!(94.00))).unwrap();
    assert_eq!(engine.account().order(low).unwrap().status, OrderStatus::Open);
    // The ask reaches the remaining limit: it fills as maker at its price.
    engine.on_quote(&quote(3, dec!(89.80), dec!(89.90))).unwrap();
    let fill = fills(&engine).pop().unwrap();
    assert_eq!((fill.order_id, fill.price, fill.liquidity), (low, dec!(90), Liquidity::Maker));
    assert!(engine.account().live_book(btc_usd()).is_none(), "no live order left");
}
