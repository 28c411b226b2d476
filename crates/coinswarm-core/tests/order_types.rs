//! Each order type, with exact fill prices and fees.

mod support;

use coinswarm_core::exchange::{
    ExchangeConfig, LimitGtc, Liquidity, OrderConfiguration, OrderRequest, OrderStatus, StopDirection, StopLimitGtc,
    TriggerStatus,
};
use coinswarm_core::ledger::EventKind;
use coinswarm_core::market::{Side, TradePrint};
use rust_decimal_macros::dec;
use support::*;

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
