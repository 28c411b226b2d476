//! Each order type, with exact fill prices and fees.

mod support;

use coinswarm_core::exchange::{
    ExchangeConfig, LimitGtc, Liquidity, OrderConfiguration, OrderId, OrderRequest, OrderStatus, StopDirection,
    StopLimitGtc, TriggerStatus,
};
use coinswarm_core::ledger::EventKind;
use coinswarm_core::market::{Side, TradePrint};
use rust_decimal_macros::dec;
use support::*;

fn fills(engine: &coinswarm_core::exchange::MatchingEngine) -> Vec<coinswarm_core::exchange::Fill> {
    engine
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } => Some(fill.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn market_buy_fills_at_the_ask_with_the_taker_fee() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    let order = engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), at(1)).unwrap().clone();
    assert_eq!(order.status, OrderStatus::Filled);
    let fill = &fills(&engine)[0];
    assert_eq!(
        (fill.price, fill.size, fill.fee, fill.liquidity),
        (dec!(100.10), dec!(1), dec!(0.6006), Liquidity::Taker)
    );
    let account = engine.account();
    assert_eq!(account.balance(usd()).available, dec!(99899.2994));
    assert_eq!(account.balance(usd()).hold, dec!(0));
    assert_eq!(account.balance(btc()).available, dec!(1));
    assert_eq!(account.position(btc_usd()).unwrap().average_entry_price(), dec!(100.10));
}

#[test]
fn market_orders_pay_slippage_rounded_against_the_trader() {
    let config = ExchangeConfig { slippage_bps: dec!(10), ..ExchangeConfig::default() };
    let mut engine = engine_with(config);
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(2)), at(1)).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Sell, dec!(1)), at(1)).unwrap();
    let fills = fills(&engine);
    // 100.10 × 1.001 = 100.2001 → 100.21 (up for a buy); 100.00 × 0.999 = 99.90 (down for a sell).
    assert_eq!((fills[0].price, fills[0].fee), (dec!(100.21), dec!(1.20252)));
    assert_eq!((fills[1].price, fills[1].fee), (dec!(99.90), dec!(0.59940)));
    assert_eq!(
        engine.account().balance(usd()).total(),
        dec!(100000) - dec!(200.42) - dec!(1.20252) + dec!(99.90) - dec!(0.5994)
    );
}

#[test]
fn market_buy_by_quote_size_spends_at_most_that_amount_including_the_fee() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(99.90), dec!(100.00))).unwrap();
    let order = engine.submit(OrderRequest::market_quote(btc_usd(), Side::Buy, dec!(1000)), at(1)).unwrap().clone();
    assert_eq!(order.status, OrderStatus::Filled);
    // 1000 / (100 × 1.006) = 9.940357852… → 9.94035785 BTC.
    let fill = &fills(&engine)[0];
    assert_eq!((fill.size, fill.fee), (dec!(9.94035785), dec!(5.96421471)));
    assert_eq!(engine.account().balance(usd()).available, dec!(100000) - dec!(994.035785) - dec!(5.96421471));
}

#[test]
fn market_sell_by_quote_size_sells_enough_base_for_those_proceeds() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(3)), at(1)).unwrap();
    engine.submit(OrderRequest::market_quote(btc_usd(), Side::Sell, dec!(150)), at(1)).unwrap();
    let fill = &fills(&engine)[1];
    assert_eq!((fill.side, fill.price, fill.size, fill.fee), (Side::Sell, dec!(100.00), dec!(1.5), dec!(0.9)));
    assert_eq!(engine.account().balance(btc()).available, dec!(1.5));
}

#[test]
fn with_candles_only_a_market_order_waits_and_fills_at_the_next_open() {
    let mut engine = engine();
    engine.on_candle(btc_usd(), &candle(0, dec!(100), dec!(102), dec!(99), dec!(101), dec!(50))).unwrap();
    let order = engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), at(1)).unwrap().clone();
    assert_eq!(order.status, OrderStatus::Pending, "no quote: nothing to fill at yet");
    // Held at the last close with the taker fee: 101 × 1.006.
    assert_eq!(engine.account().balance(usd()).hold, dec!(101.606));
    engine.on_candle(btc_usd(), &candle(1, dec!(105), dec!(107), dec!(104), dec!(106), dec!(50))).unwrap();
    let fill = &fills(&engine)[0];
    assert_eq!((fill.price, fill.fee, fill.time), (dec!(105), dec!(0.630), at(1)));
    assert_eq!(engine.account().order(order.order_id).unwrap().status, OrderStatus::Filled);
    assert_eq!(engine.account().balance(usd()).hold, dec!(0));
    assert_eq!(engine.account().balance(usd()).available, dec!(100000) - dec!(105.63));
}

#[test]
fn resting_limit_buy_fills_at_its_limit_as_maker_when_touched() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(100.90), dec!(101.00))).unwrap();
    let order = engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(2), dec!(100.00)), at(1)).unwrap().clone();
    assert_eq!(order.status, OrderStatus::Open);
    assert_eq!(engine.account().balance(usd()).hold, dec!(201.20), "2 × 100 × (1 + 60 bps)");
    engine.on_quote(&quote(2, dec!(100.05), dec!(100.10))).unwrap();
    assert!(fills(&engine).is_empty(), "ask 100.10 has not reached 100.00");
    engine.on_quote(&quote(3, dec!(99.40), dec!(99.50))).unwrap();
    let fill = &fills(&engine)[0];
    assert_eq!((fill.price, fill.fee, fill.liquidity), (dec!(100.00), dec!(0.80), Liquidity::Maker));
    assert_eq!(engine.account().balance(usd()).available, dec!(99799.20));
    assert_eq!(engine.account().balance(usd()).hold, dec!(0));
}

#[test]
fn marketable_limit_takes_the_better_quoted_price_as_taker() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(98.90), dec!(99.00))).unwrap();
    engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(100.00)), at(1)).unwrap();
    let fill = &fills(&engine)[0];
    assert_eq!((fill.price, fill.fee, fill.liquidity), (dec!(99.00), dec!(0.594), Liquidity::Taker));
}

#[test]
fn limit_sell_rests_then_fills_when_the_bid_reaches_it() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), at(1)).unwrap();
    engine.submit(OrderRequest::limit(btc_usd(), Side::Sell, dec!(1), dec!(110.00)), at(1)).unwrap();
    assert_eq!(engine.account().balance(btc()).hold, dec!(1));
    engine.on_quote(&quote(2, dec!(110.00), dec!(110.05))).unwrap();
    let fill = &fills(&engine)[1];
    assert_eq!((fill.price, fill.fee, fill.liquidity), (dec!(110.00), dec!(0.44), Liquidity::Maker));
    let position = engine.account().position(btc_usd()).unwrap();
    assert_eq!(position.realised_pnl, dec!(9.90));
    assert_eq!(position.size, dec!(0));
}

#[test]
fn post_only_limit_rests_and_fills_as_maker() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    let request = OrderRequest::new(
        btc_usd(),
        Side::Buy,
        OrderConfiguration::LimitLimitGtc(LimitGtc { base_size: dec!(1), limit_price: dec!(99.00), post_only: true }),
    );
    engine.submit(request, at(1)).unwrap();
    assert_eq!(engine.account().balance(usd()).hold, dec!(99.396), "post-only holds the maker fee only");
    engine
        .on_trade(&TradePrint {
            product_id: btc_usd(),
            time: at(2),
            price: dec!(98.5),
            size: dec!(3),
            aggressor: Side::Sell,
        })
        .unwrap();
    let fill = &fills(&engine)[0];
    assert_eq!((fill.price, fill.fee, fill.liquidity), (dec!(99.00), dec!(0.396), Liquidity::Maker));
}

#[test]
fn gtd_limit_expires_at_its_end_time_and_releases_its_hold() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    let request = gtd_buy(dec!(1), dec!(90.00), at(3));
    let order_id = engine.submit(request, at(1)).unwrap().order_id;
    engine.on_quote(&quote(2, dec!(95.00), dec!(95.10))).unwrap();
    assert_eq!(engine.account().order(order_id).unwrap().status, OrderStatus::Open);
    // Market time reaches the end time: the order expires before this quote could fill it.
    engine.on_quote(&quote(3, dec!(89.00), dec!(89.10))).unwrap();
    let order = engine.account().order(order_id).unwrap();
    assert_eq!(order.status, OrderStatus::Expired);
    assert_eq!(order.filled_size, dec!(0));
    assert_eq!(engine.account().balance(usd()).hold, dec!(0));
    assert_eq!(engine.account().balance(usd()).available, dec!(100000));
}

#[test]
fn gtd_orders_also_expire_when_time_advances_without_data() {
    let mut engine = engine();
    let request = gtd_buy(dec!(1), dec!(90.00), at(3));
    let order_id = engine.submit(request, at(1)).unwrap().order_id;
    engine.advance_time(at(5));
    assert_eq!(engine.account().order(order_id).unwrap().status, OrderStatus::Expired);
}

fn stop_limit(
    side: Side,
    stop: rust_decimal::Decimal,
    limit: rust_decimal::Decimal,
    direction: StopDirection,
) -> OrderRequest {
    OrderRequest::new(
        btc_usd(),
        side,
        OrderConfiguration::StopLimitStopLimitGtc(StopLimitGtc {
            base_size: dec!(1),
            limit_price: limit,
            stop_price: stop,
            stop_direction: direction,
        }),
    )
}

#[test]
fn a_stop_crossed_between_two_quotes_triggers_at_its_stop_price_as_on_a_candle() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), at(1)).unwrap();
    let order_id = engine
        .submit(stop_limit(Side::Sell, dec!(95.00), dec!(94.00), StopDirection::StopDown), at(1))
        .unwrap()
        .order_id;
    assert_eq!(engine.account().order(order_id).unwrap().trigger_status, TriggerStatus::StopPending);
    engine.on_quote(&quote(2, dec!(95.10), dec!(95.20))).unwrap();
    assert_eq!(
        engine.account().order(order_id).unwrap().trigger_status,
        TriggerStatus::StopPending,
        "mid 95.15 > stop"
    );
    // The mid moves from 95.15 to 94.50 and passes 95.00 on the way: the stop triggers there
    // and takes at 95.00, as a candle leg from 95.15 to 94.50 would fill it, not at the bid.
    engine.on_quote(&quote(3, dec!(94.40), dec!(94.60))).unwrap();
    let order = engine.account().order(order_id).unwrap();
    assert_eq!((order.status, order.trigger_status), (OrderStatus::Filled, TriggerStatus::StopTriggered));
    let fill = &fills(&engine)[1];
    assert_eq!((fill.price, fill.fee, fill.liquidity), (dec!(95.00), dec!(0.57), Liquidity::Taker));
}

#[test]
fn stop_buy_in_a_candle_triggers_at_the_stop_and_takes_at_that_price() {
    let mut engine = engine();
    engine.on_candle(btc_usd(), &candle(0, dec!(100), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    engine.submit(stop_limit(Side::Buy, dec!(110.00), dec!(111.00), StopDirection::StopUp), at(1)).unwrap();
    // Up bar: open 100 → low 99 → high 115 → close 112; the leg to 115 crosses 110.
    engine.on_candle(btc_usd(), &candle(1, dec!(100), dec!(115), dec!(99), dec!(112), dec!(10))).unwrap();
    let fill = &fills(&engine)[0];
    assert_eq!((fill.price, fill.fee, fill.liquidity), (dec!(110.00), dec!(0.66), Liquidity::Taker));
}

#[test]
fn triggered_stop_that_is_not_marketable_rests_as_a_limit() {
    let mut engine = engine();
    engine.on_candle(btc_usd(), &candle(0, dec!(100), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), at(1)).unwrap();
    engine.on_candle(btc_usd(), &candle(1, dec!(100), dec!(100), dec!(100), dec!(100), dec!(10))).unwrap();
    let order_id = engine
        .submit(stop_limit(Side::Sell, dec!(95.00), dec!(96.00), StopDirection::StopDown), at(2))
        .unwrap()
        .order_id;
    // Down bar: open 97 → high 98 → low 90 → close 91. Triggers at 95, limit 96 is above: rests.
    engine.on_candle(btc_usd(), &candle(2, dec!(97), dec!(98), dec!(90), dec!(91), dec!(10))).unwrap();
    let order = engine.account().order(order_id).unwrap();
    assert_eq!((order.status, order.trigger_status), (OrderStatus::Open, TriggerStatus::StopTriggered));
    engine.on_candle(btc_usd(), &candle(3, dec!(92), dec!(97), dec!(92), dec!(96.5), dec!(10))).unwrap();
    let fill = &fills(&engine)[1];
    assert_eq!((fill.price, fill.fee, fill.liquidity), (dec!(96.00), dec!(0.384), Liquidity::Maker));
}

#[test]
fn resting_limit_fills_inside_a_candle_that_trades_through_it() {
    let mut engine = engine();
    engine.on_candle(btc_usd(), &candle(0, dec!(100), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(98.00)), at(1)).unwrap();
    engine.on_candle(btc_usd(), &candle(1, dec!(100), dec!(101), dec!(98.5), dec!(100), dec!(10))).unwrap();
    assert!(fills(&engine).is_empty(), "low 98.5 never reached 98");
    engine.on_candle(btc_usd(), &candle(2, dec!(100), dec!(101), dec!(97), dec!(100), dec!(10))).unwrap();
    assert_eq!((fills(&engine)[0].price, fills(&engine)[0].liquidity), (dec!(98.00), Liquidity::Maker));
}

#[test]
fn participation_cap_partly_fills_a_market_order_and_cancels_the_rest() {
    let config = ExchangeConfig { participation_cap: Some(dec!(0.1)), ..ExchangeConfig::default() };
    let mut engine = engine_with(config);
    engine.on_candle(btc_usd(), &candle(0, dec!(100), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    let order_id = engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), at(1)).unwrap().order_id;
    engine.on_candle(btc_usd(), &candle(1, dec!(100), dec!(101), dec!(99), dec!(100), dec!(5))).unwrap();
    let order = engine.account().order(order_id).unwrap();
    assert_eq!((order.status, order.filled_size), (OrderStatus::Cancelled, dec!(0.5)));
    assert!(order.reason.as_deref().unwrap().contains("participation cap"));
    assert_eq!(engine.account().balance(usd()).hold, dec!(0));
}

#[test]
fn participation_cap_partly_fills_a_limit_which_keeps_working() {
    let config = ExchangeConfig { participation_cap: Some(dec!(0.1)), ..ExchangeConfig::default() };
    let mut engine = engine_with(config);
    engine.on_candle(btc_usd(), &candle(0, dec!(100), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    let order_id =
        engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(99.00)), at(1)).unwrap().order_id;
    engine.on_candle(btc_usd(), &candle(1, dec!(100), dec!(101), dec!(98), dec!(100), dec!(6))).unwrap();
    let order = engine.account().order(order_id).unwrap();
    assert_eq!((order.status, order.filled_size), (OrderStatus::Open, dec!(0.6)));
    assert!(matches!(engine.events().last().unwrap().kind, EventKind::OrderPartiallyFilled { .. }));
    engine.on_candle(btc_usd(), &candle(2, dec!(100), dec!(101), dec!(98), dec!(100), dec!(6))).unwrap();
    let order = engine.account().order(order_id).unwrap();
    assert_eq!((order.status, order.filled_size), (OrderStatus::Filled, dec!(1)));
    // Hold was 99 × 1 × 1.006 = 99.594; maker cost 99 × 1.004 = 99.396; the rest is released.
    assert_eq!(engine.account().balance(usd()).available, dec!(100000) - dec!(99.396));
    assert_eq!(engine.account().balance(usd()).hold, dec!(0));
}

#[test]
fn a_repeated_client_order_id_returns_the_first_order() {
    let mut engine = engine();
    let request = OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(90.00)).with_client_order_id("my-order-1");
    let first = engine.submit(request.clone(), at(1)).unwrap().clone();
    let events = engine.events().len();
    let changed = OrderRequest::limit(btc_usd(), Side::Buy, dec!(5), dec!(80.00)).with_client_order_id("my-order-1");
    let again = engine.submit(changed, at(2)).unwrap().clone();
    assert_eq!(first, again);
    assert_eq!(engine.events().len(), events, "no second order, no new event");
    assert_eq!(engine.account().balance(usd()).hold, dec!(90.54));
}

#[test]
fn cancelling_an_open_order_releases_its_hold() {
    let mut engine = engine();
    let order_id =
        engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(90.00)), at(1)).unwrap().order_id;
    let order = engine.cancel(order_id, at(2)).unwrap();
    assert_eq!(order.status, OrderStatus::Cancelled);
    assert_eq!(engine.account().balance(usd()).available, dec!(100000));
    assert_eq!(engine.account().balance(usd()).hold, dec!(0));
    assert!(engine.account().live_orders(btc_usd()).is_empty());
}

#[test]
fn market_buy_that_cannot_afford_the_gapped_open_fills_what_it_can() {
    let mut engine = coinswarm_core::exchange::MatchingEngine::new(ExchangeConfig::default()).unwrap();
    engine.list_product(coinswarm_core::market::Product::spot(btc_usd())).unwrap();
    engine.deposit(usd(), dec!(1000), at(0)).unwrap();
    engine.on_candle(btc_usd(), &candle(0, dec!(100), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    let order_id = engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(9.9)), at(1)).unwrap().order_id;
    engine.on_candle(btc_usd(), &candle(1, dec!(200), dec!(201), dec!(199), dec!(200), dec!(10))).unwrap();
    let order = engine.account().order(order_id).unwrap();
    // 1000 / (200 × 1.006) = 4.970178926… → 4.97017892.
    assert_eq!((order.status, order.filled_size), (OrderStatus::Cancelled, dec!(4.97017892)));
    assert!(order.reason.as_deref().unwrap().contains("insufficient balance"));
    // Spent 4.97017892 × 200 × 1.006 = 999.999998704 of the 1000.
    assert_eq!(engine.account().balance(usd()).available, dec!(0.000001296));
}

#[test]
fn market_buy_too_small_for_one_increment_fails_with_a_reason() {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(99999999.00), dec!(99999999.99))).unwrap();
    let order = engine.submit(OrderRequest::market_quote(btc_usd(), Side::Buy, dec!(1.00)), at(1)).unwrap();
    assert_eq!(order.status, OrderStatus::Failed);
    assert!(order.reason.as_deref().unwrap().contains("too small"));
    assert_eq!(engine.account().balance(usd()).available, dec!(100000));
}

#[test]
fn limit_placed_through_the_last_close_takes_the_next_open_as_taker() {
    let mut engine = engine();
    engine.on_candle(btc_usd(), &candle(0, dec!(100), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(105.00)), at(1)).unwrap();
    engine.on_candle(btc_usd(), &candle(1, dec!(100.50), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    let fill = &fills(&engine)[0];
    assert_eq!((fill.price, fill.fee, fill.liquidity), (dec!(100.50), dec!(0.603), Liquidity::Taker));
}

#[test]
fn limit_placed_before_any_market_data_takes_the_first_print_as_taker() {
    let mut engine = engine();
    engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(105.00)), at(1)).unwrap();
    engine
        .on_trade(&TradePrint {
            product_id: btc_usd(),
            time: at(2),
            price: dec!(100),
            size: dec!(5),
            aggressor: Side::Sell,
        })
        .unwrap();
    let fill = &fills(&engine)[0];
    assert_eq!((fill.price, fill.liquidity), (dec!(100), Liquidity::Taker));
}

#[test]
fn remainder_of_a_capped_marketable_limit_keeps_taking_at_the_ask() {
    let config = ExchangeConfig { participation_cap: Some(dec!(0.5)), ..ExchangeConfig::default() };
    let mut engine = engine_with(config);
    let mut shown = quote(1, dec!(99.90), dec!(100.00));
    (shown.bid_size, shown.ask_size) = (Some(dec!(1)), Some(dec!(1)));
    engine.on_quote(&shown).unwrap();
    engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(110.00)), at(1)).unwrap();
    shown.time = at(2);
    engine.on_quote(&shown).unwrap();
    let fills = fills(&engine);
    assert_eq!(fills.len(), 2);
    for fill in &fills {
        assert_eq!((fill.price, fill.size, fill.liquidity), (dec!(100.00), dec!(0.5), Liquidity::Taker));
    }
}

#[test]
fn an_order_placed_after_a_bar_started_does_not_fill_at_that_bar_open() {
    let mut engine = engine();
    engine.on_candle(btc_usd(), &candle(0, dec!(100), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    // The command's clock is ahead of the feed: the order exists from 01:30.
    let late = at(1).plus_millis(30 * 60 * 1000);
    let order_id = engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), late).unwrap().order_id;
    engine.on_candle(btc_usd(), &candle(1, dec!(90), dec!(120), dec!(90), dec!(110), dec!(10))).unwrap();
    assert_eq!(engine.account().order(order_id).unwrap().status, OrderStatus::Pending);
    engine.on_candle(btc_usd(), &candle(2, dec!(111), dec!(112), dec!(109), dec!(110), dec!(10))).unwrap();
    assert_eq!(fills(&engine)[0].price, dec!(111));
}

#[test]
fn prints_and_candles_share_one_participation_budget_between_sides() {
    let config = ExchangeConfig { participation_cap: Some(dec!(1)), ..ExchangeConfig::default() };
    let mut engine = engine_with(config);
    engine.on_candle(btc_usd(), &candle(0, dec!(100), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(10)), at(1)).unwrap();
    engine.on_candle(btc_usd(), &candle(1, dec!(100), dec!(101), dec!(99), dec!(100), dec!(100))).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(6)), at(2)).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Sell, dec!(6)), at(2)).unwrap();
    engine.on_candle(btc_usd(), &candle(2, dec!(100), dec!(101), dec!(99), dec!(100), dec!(10))).unwrap();
    let traded: rust_decimal::Decimal = fills(&engine)[1..].iter().map(|f| f.size).sum();
    assert_eq!(traded, dec!(10), "a bar of 10 lets this account trade 10 in all");
}

#[test]
fn expired_holds_are_released_before_the_next_order_is_checked() {
    let mut engine = engine();
    let gtd = gtd_buy(dec!(900), dec!(100.00), at(3));
    engine.submit(gtd, at(1)).unwrap();
    let order = engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(900), dec!(100.00)), at(5)).unwrap();
    assert_eq!(order.status, OrderStatus::Open);
}

#[test]
fn market_buy_by_quote_size_is_capped_at_the_product_maximum() {
    let mut engine = coinswarm_core::exchange::MatchingEngine::new(ExchangeConfig::default()).unwrap();
    let product =
        coinswarm_core::market::Product { base_max_size: dec!(5), ..coinswarm_core::market::Product::spot(btc_usd()) };
    engine.list_product(product).unwrap();
    engine.deposit(usd(), dec!(100000), at(0)).unwrap();
    engine.on_quote(&quote(1, dec!(99.90), dec!(100.00))).unwrap();
    let order = engine.submit(OrderRequest::market_quote(btc_usd(), Side::Buy, dec!(10000)), at(1)).unwrap();
    assert_eq!((order.status, order.filled_size), (OrderStatus::Filled, dec!(5)));
    assert_eq!(engine.account().balance(usd()).available, dec!(100000) - dec!(503));
}

#[test]
fn slippage_never_prices_a_sale_below_one_tick() {
    let config = ExchangeConfig { slippage_bps: dec!(1000), ..ExchangeConfig::default() };
    let mut engine = engine_with(config);
    engine.deposit(btc(), dec!(500), at(0)).unwrap();
    engine.on_quote(&quote(1, dec!(0.01), dec!(0.02))).unwrap();
    let order = engine.submit(OrderRequest::market(btc_usd(), Side::Sell, dec!(500)), at(1)).unwrap();
    assert_eq!(order.status, OrderStatus::Filled);
    assert_eq!(fills(&engine)[0].price, dec!(0.01));
}

#[test]
fn ended_orders_beyond_the_retention_are_forgotten_but_live_ones_stay() {
    let config = ExchangeConfig { retained_orders: 2, ..ExchangeConfig::default() };
    let mut engine = engine_with(config);
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    let resting =
        engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(90.00)), at(1)).unwrap().order_id;
    let mut filled = Vec::new();
    for i in 0..4 {
        let request = OrderRequest::market(btc_usd(), Side::Buy, dec!(0.1)).with_client_order_id(format!("buy-{i}"));
        filled.push(engine.submit(request, at(1)).unwrap().order_id);
    }
    let account = engine.account();
    assert_eq!(account.orders().count(), 3, "the live order and the two newest ended ones");
    assert!(account.order(resting).is_some());
    assert!(account.order(filled[0]).is_none() && account.order(filled[1]).is_none());
    assert!(account.order_by_client_id("buy-3").is_some() && account.order_by_client_id("buy-0").is_none());
    assert_eq!(account.balance(btc()).available, dec!(0.4), "balances keep every fill");
}

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
