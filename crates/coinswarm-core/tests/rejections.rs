//! Every rejection: a typed error with a stable code, a message that says what is wrong,
//! and no change to the account.

mod support;

use coinswarm_core::exchange::{
    LimitGtc, MarketIoc, OrderConfiguration, OrderId, OrderRequest, OrderStatus, Rejection, StopDirection,
    StopLimitGtc, TriggerBracketGtc, TriggerStatus,
};
use coinswarm_core::market::{Product, ProductId, Side};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;

/// Submits `request` and checks it is refused with `code` and a message containing `words`,
/// leaving the event log untouched.
fn assert_rejected(
    engine: &mut coinswarm_core::exchange::MatchingEngine,
    request: OrderRequest,
    code: &str,
    words: &str,
) {
    let before = engine.events().len();
    let account = engine.account().clone();
    let error = engine.submit(request, at(1)).unwrap_err();
    assert_eq!(error.code(), code, "{error}");
    assert!(error.to_string().contains(words), "'{error}' should mention '{words}'");
    assert_eq!(engine.events().len(), before);
    assert_eq!(engine.account(), &account);
}

fn quoted_engine() -> coinswarm_core::exchange::MatchingEngine {
    let mut engine = engine();
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    engine
}

fn market(base_size: Option<Decimal>, quote_size: Option<Decimal>) -> OrderRequest {
    OrderRequest::new(btc_usd(), Side::Buy, OrderConfiguration::MarketMarketIoc(MarketIoc { base_size, quote_size }))
}

#[test]
fn unknown_product_is_rejected() {
    let eth: ProductId = "ETH-USD".parse().unwrap();
    assert_rejected(
        &mut quoted_engine(),
        OrderRequest::market(eth, Side::Buy, dec!(1)),
        "INVALID_PRODUCT_ID",
        "Unknown product ETH-USD",
    );
}

#[test]
fn non_positive_sizes_are_rejected() {
    let mut engine = quoted_engine();
    assert_rejected(
        &mut engine,
        OrderRequest::market(btc_usd(), Side::Buy, dec!(0)),
        "INVALID_SIZE",
        "Order size must be positive",
    );
    assert_rejected(
        &mut engine,
        OrderRequest::limit(btc_usd(), Side::Buy, dec!(-1), dec!(100)),
        "INVALID_SIZE",
        "Order size must be positive",
    );
    assert_rejected(&mut engine, market(None, Some(dec!(0))), "INVALID_SIZE", "Order size must be positive");
}

#[test]
fn market_orders_need_exactly_one_size() {
    let mut engine = quoted_engine();
    assert_rejected(
        &mut engine,
        market(None, None),
        "INVALID_SIZE_SPECIFICATION",
        "exactly one of base_size or quote_size",
    );
    assert_rejected(&mut engine, market(Some(dec!(1)), Some(dec!(100))), "INVALID_SIZE_SPECIFICATION", "exactly one");
}

#[test]
fn sizes_outside_the_product_rules_are_rejected() {
    let mut engine = engine();
    let strict = Product {
        base_min_size: dec!(0.001),
        base_max_size: dec!(50),
        quote_min_size: dec!(10),
        ..Product::spot("ETH-USD".parse().unwrap())
    };
    engine.list_product(strict).unwrap();
    let eth: ProductId = "ETH-USD".parse().unwrap();
    let limit = |size, price| OrderRequest::limit(eth, Side::Buy, size, price);
    assert_rejected(&mut engine, limit(dec!(0.0009), dec!(2000)), "SIZE_BELOW_MINIMUM", "Size below product minimum");
    assert_rejected(&mut engine, limit(dec!(51), dec!(2000)), "SIZE_ABOVE_MAXIMUM", "Size above product maximum");
    assert_rejected(
        &mut engine,
        limit(dec!(0.000000001), dec!(2000)),
        "INVALID_SIZE_PRECISION",
        "not a multiple of the ETH increment",
    );
    assert_rejected(
        &mut engine,
        limit(dec!(0.001), dec!(2000)),
        "ORDER_VALUE_BELOW_MINIMUM",
        "Order value below product minimum: 2.000 < 10 USD",
    );
}

#[test]
fn prices_must_be_positive_multiples_of_the_quote_increment() {
    let mut engine = quoted_engine();
    assert_rejected(
        &mut engine,
        OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(0)),
        "INVALID_PRICE",
        "Price must be positive",
    );
    assert_rejected(
        &mut engine,
        OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(100.005)),
        "INVALID_PRICE_PRECISION",
        "Price not a multiple of the quote increment 0.01",
    );
    let stop = OrderRequest::new(
        btc_usd(),
        Side::Sell,
        OrderConfiguration::StopLimitStopLimitGtc(StopLimitGtc {
            base_size: dec!(1),
            limit_price: dec!(90),
            stop_price: dec!(90.001),
            stop_direction: StopDirection::StopDown,
        }),
    );
    assert_rejected(&mut engine, stop, "INVALID_PRICE_PRECISION", "quote increment");
}

#[test]
fn buying_more_than_the_balance_is_rejected() {
    let mut engine = quoted_engine();
    assert_rejected(
        &mut engine,
        OrderRequest::limit(btc_usd(), Side::Buy, dec!(1000), dec!(100)),
        "INSUFFICIENT_FUND",
        "Insufficient balance: need 100600",
    );
    assert_rejected(
        &mut engine,
        OrderRequest::market_quote(btc_usd(), Side::Buy, dec!(100000.01)),
        "INSUFFICIENT_FUND",
        "Insufficient balance",
    );
}

#[test]
fn selling_more_than_the_position_is_rejected() {
    let mut engine = quoted_engine();
    assert_rejected(
        &mut engine,
        OrderRequest::market(btc_usd(), Side::Sell, dec!(1)),
        "INSUFFICIENT_POSITION",
        "Insufficient position: need 1 BTC, available 0",
    );
}

#[test]
fn post_only_orders_that_would_cross_are_rejected() {
    let mut engine = quoted_engine();
    let request = OrderRequest::new(
        btc_usd(),
        Side::Buy,
        OrderConfiguration::LimitLimitGtc(LimitGtc { base_size: dec!(1), limit_price: dec!(100.10), post_only: true }),
    );
    assert_rejected(
        &mut engine,
        request,
        "INVALID_LIMIT_PRICE_POST_ONLY",
        "Post-only order would cross the book: limit 100.10, opposite best 100.10",
    );
}

#[test]
fn gtd_orders_ending_in_the_past_are_rejected() {
    let mut engine = quoted_engine();
    let request = gtd_buy(dec!(1), dec!(90), at(1));
    assert_rejected(&mut engine, request, "INVALID_END_TIME", "End time must be after");
}

#[test]
fn market_buy_by_base_size_without_any_price_is_rejected() {
    assert_rejected(
        &mut engine(),
        OrderRequest::market(btc_usd(), Side::Buy, dec!(1)),
        "INVALID_NO_LIQUIDITY",
        "No market price for BTC-USD",
    );
}

#[test]
fn malformed_client_order_ids_are_rejected() {
    let mut engine = quoted_engine();
    let request = OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(90));
    assert_rejected(
        &mut engine,
        request.clone().with_client_order_id(""),
        "INVALID_CLIENT_ORDER_ID",
        "client_order_id",
    );
    assert_rejected(&mut engine, request.with_client_order_id("x".repeat(129)), "INVALID_CLIENT_ORDER_ID", "1 to 128");
}

#[test]
fn cancelling_a_filled_order_is_rejected() {
    let mut engine = quoted_engine();
    let order_id = engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), at(1)).unwrap().order_id;
    let error = engine.cancel(order_id, at(2)).unwrap_err();
    assert_eq!((error.code(), error.to_string()), ("CANNOT_CANCEL_FILLED", "Cannot cancel filled order".to_string()));
}

#[test]
fn cancelling_twice_or_an_unknown_order_is_rejected() {
    let mut engine = quoted_engine();
    let order_id = engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(90)), at(1)).unwrap().order_id;
    engine.cancel(order_id, at(2)).unwrap();
    let error = engine.cancel(order_id, at(3)).unwrap_err();
    assert_eq!((error.code(), error.to_string()), ("ORDER_NOT_OPEN", "Cannot cancel CANCELLED order".to_string()));
    let unknown: OrderId = "01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap();
    assert_eq!(engine.cancel(unknown, at(3)).unwrap_err().code(), "UNKNOWN_ORDER");
}

#[test]
fn deposits_and_withdrawals_must_be_positive_and_covered() {
    let mut engine = engine();
    assert_eq!(engine.deposit(usd(), dec!(0), at(1)).unwrap_err().code(), "INVALID_AMOUNT");
    assert_eq!(engine.withdraw(usd(), dec!(-5), at(1)).unwrap_err().code(), "INVALID_AMOUNT");
    let error = engine.withdraw(usd(), dec!(100000.01), at(1)).unwrap_err();
    assert!(matches!(error, Rejection::InsufficientBalance { .. }), "{error}");
    engine.withdraw(usd(), dec!(100000), at(1)).unwrap();
    assert_eq!(engine.account().balance(usd()).total(), dec!(0));
}

#[test]
fn relisting_a_product_with_other_rules_is_rejected() {
    let mut engine = engine();
    engine.list_product(Product::spot(btc_usd())).unwrap();
    let other = Product { quote_increment: dec!(1), ..Product::spot(btc_usd()) };
    assert_eq!(engine.list_product(other).unwrap_err().code(), "PRODUCT_CONFLICT");
}

#[test]
fn bad_market_data_is_refused_and_changes_nothing() {
    let mut engine = quoted_engine();
    // A live order that any accepted price below 95 would fill.
    engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(95)), at(1)).unwrap();
    let before = engine.events().len();
    let account = engine.account().clone();
    assert!(engine.on_quote(&quote(2, dec!(90), dec!(89))).is_err(), "crossed quote");
    assert!(engine.on_quote(&quote(2, dec!(90), Decimal::MAX)).is_err(), "absurd ask");
    assert!(engine.on_quote(&quote(0, dec!(99), dec!(100))).is_err(), "older than the last quote");
    assert!(
        engine.on_candle(btc_usd(), &candle(2, dec!(0), dec!(1), dec!(0), dec!(1), dec!(1))).is_err(),
        "zero price"
    );
    let eth: ProductId = "ETH-USD".parse().unwrap();
    let error = engine.on_candle(eth, &candle(2, dec!(1), dec!(1), dec!(1), dec!(1), dec!(1))).unwrap_err();
    assert_eq!(error.to_string(), "market data for unknown product ETH-USD");
    engine.on_candle(btc_usd(), &candle(2, dec!(100), dec!(101), dec!(99), dec!(100), dec!(1))).unwrap();
    let replay = engine.on_candle(btc_usd(), &candle(2, dec!(90), dec!(91), dec!(80), dec!(90), dec!(1)));
    assert!(replay.unwrap_err().to_string().contains("out of order"), "the same bar twice would be look-ahead");
    assert_eq!(engine.events().len(), before);
    assert_eq!(engine.account(), &account);
}

#[test]
fn absurd_numbers_are_refused_instead_of_overflowing() {
    let mut engine = quoted_engine();
    assert_rejected(
        &mut engine,
        OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), Decimal::MAX),
        "VALUE_OUT_OF_RANGE",
        "limit_price must be at most 1000000000000",
    );
    assert_rejected(
        &mut engine,
        OrderRequest::market_quote(btc_usd(), Side::Sell, Decimal::MAX),
        "VALUE_OUT_OF_RANGE",
        "quote_size",
    );
    assert_rejected(
        &mut engine,
        OrderRequest::limit(btc_usd(), Side::Buy, Decimal::MAX, dec!(1)),
        "SIZE_ABOVE_MAXIMUM",
        "Size above product maximum",
    );
    assert_eq!(engine.deposit(usd(), Decimal::MAX, at(1)).unwrap_err().code(), "VALUE_OUT_OF_RANGE");
    let far = gtd_buy(dec!(1), dec!(90), coinswarm_core::time::Timestamp(i64::MAX));
    assert_rejected(&mut engine, far, "INVALID_END_TIME", "before the year 10000");
}

#[test]
fn out_of_range_exchange_configs_are_refused() {
    use coinswarm_core::exchange::{ExchangeConfig, MatchingEngine};
    for config in [
        ExchangeConfig { taker_fee_bps: dec!(-1), ..ExchangeConfig::default() },
        ExchangeConfig { maker_fee_bps: dec!(1001), ..ExchangeConfig::default() },
        ExchangeConfig { slippage_bps: dec!(10000), ..ExchangeConfig::default() },
        ExchangeConfig { participation_cap: Some(dec!(0)), ..ExchangeConfig::default() },
    ] {
        let error = MatchingEngine::new(config).unwrap_err();
        assert!(error.to_string().starts_with("invalid exchange config"), "{error}");
    }
}

#[test]
fn products_with_impossible_rules_are_refused() {
    let mut engine = engine();
    let eth: ProductId = "ETH-USD".parse().unwrap();
    let zero_tick = Product { quote_increment: dec!(0), ..Product::spot(eth) };
    assert_eq!(engine.list_product(zero_tick).unwrap_err().code(), "INVALID_PRODUCT");
    let inverted = Product { base_min_size: dec!(10), base_max_size: dec!(1), ..Product::spot(eth) };
    assert_eq!(engine.list_product(inverted).unwrap_err().code(), "INVALID_PRODUCT");
}

#[test]
fn client_order_ids_are_measured_in_characters() {
    let mut engine = quoted_engine();
    let request = OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(90)).with_client_order_id("é".repeat(128));
    assert!(engine.submit(request, at(1)).is_ok());
}

#[test]
fn a_bracket_stop_must_sit_beyond_its_limit_and_on_the_far_side_of_the_last_trade() {
    let mut engine = quoted_engine();
    engine.deposit(btc(), dec!(1), at(1)).unwrap();
    let buy_bracket = |limit_price, stop_trigger_price| {
        OrderRequest::new(
            btc_usd(),
            Side::Buy,
            OrderConfiguration::TriggerBracketGtc(TriggerBracketGtc {
                base_size: dec!(1),
                limit_price,
                stop_trigger_price,
            }),
        )
    };
    // A BUY bracket mirrors a SELL: its stop above its limit, and above the last trade.
    assert_rejected(
        &mut engine,
        buy_bracket(dec!(110.00), dec!(90.00)),
        "INVALID_STOP_TRIGGER_PRICE",
        "stop_trigger_price 90.00 must be above limit_price 110.00 for a BUY",
    );
    assert_rejected(
        &mut engine,
        buy_bracket(dec!(90.00), dec!(100.00)),
        "PREVIEW_STOP_PRICE_BELOW_LAST_TRADE_PRICE",
        "Stop price 100.00 is not above the last trade price 100.05",
    );
    assert!(engine.submit(buy_bracket(dec!(90.00), dec!(110.00)), at(1)).is_ok(), "a valid BUY bracket");
    // A SELL's stop below the last trade.
    assert_rejected(
        &mut engine,
        OrderRequest::bracket(btc_usd(), dec!(1), dec!(110.00), dec!(100.05)),
        "PREVIEW_STOP_PRICE_ABOVE_LAST_TRADE_PRICE",
        "Stop price 100.05 is not below the last trade price 100.05",
    );
    assert_rejected(
        &mut engine,
        OrderRequest::bracket(btc_usd(), dec!(1), dec!(110.00), dec!(110.00)),
        "INVALID_STOP_TRIGGER_PRICE",
        "stop_trigger_price 110.00 must be below limit_price 110.00",
    );
    assert_rejected(
        &mut engine,
        OrderRequest::bracket(btc_usd(), dec!(1), dec!(110.00), dec!(120.00)),
        "INVALID_STOP_TRIGGER_PRICE",
        "must be below limit_price",
    );
    assert_rejected(
        &mut engine,
        OrderRequest::bracket(btc_usd(), dec!(1), dec!(110.00), dec!(95.005)),
        "INVALID_PRICE_PRECISION",
        "quote increment",
    );
    assert_rejected(
        &mut engine,
        OrderRequest::bracket(btc_usd(), dec!(1), dec!(110.00), dec!(0)),
        "INVALID_PRICE",
        "Price must be positive",
    );
    assert_rejected(
        &mut engine,
        OrderRequest::bracket(btc_usd(), dec!(2), dec!(110.00), dec!(95.00)),
        "INSUFFICIENT_POSITION",
        "need 2 BTC",
    );
}

#[test]
fn a_stop_on_the_wrong_side_of_the_last_trade_is_refused_with_coinbases_codes() {
    let mut engine = quoted_engine();
    engine.deposit(btc(), dec!(1), at(1)).unwrap();
    let stop = |side, stop_price, limit_price, stop_direction| {
        OrderRequest::new(
            btc_usd(),
            side,
            OrderConfiguration::StopLimitStopLimitGtc(StopLimitGtc {
                base_size: dec!(0.1),
                limit_price,
                stop_price,
                stop_direction,
            }),
        )
    };
    // The last trade is the mid, 100.05: a SELL stop-loss above it would fill at once.
    assert_rejected(
        &mut engine,
        stop(Side::Sell, dec!(101.00), dec!(100.00), StopDirection::StopDown),
        "PREVIEW_STOP_PRICE_ABOVE_LAST_TRADE_PRICE",
        "Stop price 101.00 is not below the last trade price 100.05",
    );
    assert_rejected(
        &mut engine,
        stop(Side::Buy, dec!(99.00), dec!(99.50), StopDirection::StopUp),
        "PREVIEW_STOP_PRICE_BELOW_LAST_TRADE_PRICE",
        "Stop price 99.00 is not above the last trade price 100.05",
    );
    let sell = engine.submit(stop(Side::Sell, dec!(99.00), dec!(98.00), StopDirection::StopDown), at(1)).unwrap();
    assert_eq!((sell.status, sell.trigger_status), (OrderStatus::Open, TriggerStatus::StopPending));
    assert!(sell.filled_size.is_zero(), "nothing filled at once");
}
