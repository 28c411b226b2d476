//! Property tests over random order sequences: value is conserved, balances never go
//! negative, holds are released, the serialised log rebuilds the account, and runs are
//! deterministic.

#[path = "support/rebuilt_account.rs"]
mod rebuilt_account;
mod support;

use coinswarm_core::exchange::{
    ExchangeConfig, LimitGtc, LimitGtd, Liquidity, MatchingEngine, OrderConfiguration, OrderId, OrderRequest,
    StopDirection, StopLimitGtc, TriggerBracketGtc,
};
use coinswarm_core::ledger::{Account, AccountEvent, EventKind};
use coinswarm_core::market::{Candle, Quote, Side, TradePrint};
use coinswarm_core::time::MINUTE_MS;
use proptest::prelude::*;
use rebuilt_account::RebuiltAccount;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use support::*;

#[derive(Debug, Clone)]
enum Op {
    Quote { mid_cents: i64, spread_cents: i64, size_centi: Option<i64> },
    Trade { price_cents: i64, size_centi: i64 },
    Candle { open: i64, up: i64, down: i64, close_frac: i64, volume_centi: i64 },
    Market { buy: bool, size_milli: i64, by_quote: bool },
    Limit { buy: bool, size_milli: i64, offset_cents: i64, post_only: bool, gtd_minutes: Option<i64> },
    Stop { buy: bool, size_milli: i64, offset_cents: i64, limit_gap_cents: i64 },
    Bracket { buy: bool, size_milli: i64, up_cents: i64, down_cents: i64 },
    Cancel { pick: usize },
    Deposit { usd: i64 },
    Withdraw { usd: i64 },
    Wait { minutes: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (90_000i64..110_000, 1i64..40, proptest::option::of(1i64..500)).prop_map(|(mid_cents, spread_cents, size_centi)| Op::Quote { mid_cents, spread_cents, size_centi }),
        1 => (90_000i64..110_000, 1i64..500).prop_map(|(price_cents, size_centi)| Op::Trade { price_cents, size_centi }),
        2 => (900i64..1_100, 0i64..30, 0i64..30, 0i64..=100, 0i64..1_000).prop_map(|(open, up, down, close_frac, volume_centi)| Op::Candle { open, up, down, close_frac, volume_centi }),
        4 => (any::<bool>(), 1i64..3_000, any::<bool>()).prop_map(|(buy, size_milli, by_quote)| Op::Market { buy, size_milli, by_quote }),
        4 => (any::<bool>(), 1i64..3_000, -500i64..500, any::<bool>(), proptest::option::of(1i64..600)).prop_map(|(buy, size_milli, offset_cents, post_only, gtd_minutes)| Op::Limit { buy, size_milli, offset_cents, post_only, gtd_minutes }),
        2 => (any::<bool>(), 1i64..3_000, -500i64..500, -200i64..200).prop_map(|(buy, size_milli, offset_cents, limit_gap_cents)| Op::Stop { buy, size_milli, offset_cents, limit_gap_cents }),
        2 => (proptest::bool::weighted(0.1), 1i64..3_000, -100i64..800, -100i64..800).prop_map(|(buy, size_milli, up_cents, down_cents)| Op::Bracket { buy, size_milli, up_cents, down_cents }),
        2 => any::<usize>().prop_map(|pick| Op::Cancel { pick }),
        1 => (1i64..5_000).prop_map(|usd| Op::Deposit { usd }),
        1 => (1i64..5_000).prop_map(|usd| Op::Withdraw { usd }),
        1 => (0i64..120).prop_map(|minutes| Op::Wait { minutes }),
    ]
}

fn config() -> impl Strategy<Value = ExchangeConfig> {
    (0i64..100, 0i64..100, 0i64..50, proptest::option::of(1i64..=100), 1usize..40).prop_map(
        |(maker, taker, slippage, cap, retained_orders)| ExchangeConfig {
            maker_fee_bps: Decimal::from(maker),
            taker_fee_bps: Decimal::from(taker),
            slippage_bps: Decimal::from(slippage),
            participation_cap: cap.map(|c| Decimal::new(c, 2)),
            id_seed: 7,
            retained_orders,
            ..ExchangeConfig::default()
        },
    )
}

/// Runs `ops` on a fresh engine, checking the per-step invariants after every operation.
fn run(config: &ExchangeConfig, ops: &[Op]) -> MatchingEngine {
    // A small account, so that running out of funds and position is common.
    let mut engine = MatchingEngine::new(config.clone()).unwrap();
    engine.list_product(coinswarm_core::market::Product::spot(btc_usd())).unwrap();
    engine.deposit(usd(), Decimal::from(5_000), at(0)).unwrap();
    let mut clock = at(0).millis();
    let mut placed: Vec<OrderId> = Vec::new();
    for op in ops {
        clock += MINUTE_MS;
        let now = coinswarm_core::time::Timestamp(clock);
        let reference = engine.last_price(btc_usd()).unwrap_or(Decimal::from(100));
        let size = |milli: i64| Decimal::new(milli, 3);
        let price = |offset: i64| (reference + Decimal::new(offset, 2)).round_dp(2).max(Decimal::new(1, 2));
        let side = |buy: bool| if buy { Side::Buy } else { Side::Sell };
        let mut place = |engine: &mut MatchingEngine, request: OrderRequest| {
            if let Ok(order) = engine.submit(request, now) {
                placed.push(order.order_id);
            }
        };
        match op.clone() {
            Op::Quote { mid_cents, spread_cents, size_centi } => {
                let bid = Decimal::new(mid_cents - spread_cents, 2);
                let mut quote = Quote::new(btc_usd(), now, bid, bid + Decimal::new(2 * spread_cents, 2));
                quote.bid_size = size_centi.map(|s| Decimal::new(s, 2));
                quote.ask_size = size_centi.map(|s| Decimal::new(s + 3, 2));
                engine.on_quote(&quote).unwrap();
            }
            Op::Trade { price_cents, size_centi } => {
                let print = TradePrint {
                    product_id: btc_usd(),
                    time: now,
                    price: Decimal::new(price_cents, 2),
                    size: Decimal::new(size_centi, 2),
                    aggressor: Side::Buy,
                };
                engine.on_trade(&print).unwrap();
            }
            Op::Candle { open, up, down, close_frac, volume_centi } => {
                let (open, high, low) = (Decimal::from(open), Decimal::from(open + up), Decimal::from(open - down));
                let close = (low + (high - low) * Decimal::new(close_frac, 2)).round_dp(2);
                let candle = Candle { start: now, open, high, low, close, volume: Decimal::new(volume_centi, 2) };
                engine.on_candle(btc_usd(), &candle).unwrap();
            }
            Op::Market { buy, size_milli, by_quote } => {
                let request = if by_quote {
                    OrderRequest::market_quote(btc_usd(), side(buy), Decimal::from(size_milli / 10 + 1))
                } else {
                    OrderRequest::market(btc_usd(), side(buy), size(size_milli))
                };
                place(&mut engine, request);
            }
            Op::Limit { buy, size_milli, offset_cents, post_only, gtd_minutes } => {
                let (base_size, limit_price) = (size(size_milli), price(offset_cents));
                let configuration = match gtd_minutes {
                    Some(minutes) => OrderConfiguration::LimitLimitGtd(LimitGtd {
                        base_size,
                        limit_price,
                        post_only,
                        end_time: now.plus_millis(minutes * MINUTE_MS),
                    }),
                    None => OrderConfiguration::LimitLimitGtc(LimitGtc { base_size, limit_price, post_only }),
                };
                place(&mut engine, OrderRequest::new(btc_usd(), side(buy), configuration));
            }
            Op::Stop { buy, size_milli, offset_cents, limit_gap_cents } => {
                let stop_price = price(offset_cents);
                let limit_price = (stop_price + Decimal::new(limit_gap_cents, 2)).max(Decimal::new(1, 2));
                let stop_direction = if buy { StopDirection::StopUp } else { StopDirection::StopDown };
                let configuration = OrderConfiguration::StopLimitStopLimitGtc(StopLimitGtc {
                    base_size: size(size_milli),
                    limit_price,
                    stop_price,
                    stop_direction,
                });
                place(&mut engine, OrderRequest::new(btc_usd(), side(buy), configuration));
            }
            Op::Bracket { buy, size_milli, up_cents, down_cents } => {
                // A SELL closing a long: limit `up_cents` above the reference price, stop
                // `down_cents` below; a BUY closing a short mirrored (either may be out of order).
                let (limit, stop) =
                    if buy { (price(-down_cents), price(up_cents)) } else { (price(up_cents), price(-down_cents)) };
                let configuration = OrderConfiguration::TriggerBracketGtc(TriggerBracketGtc {
                    base_size: size(size_milli),
                    limit_price: limit,
                    stop_trigger_price: stop,
                });
                place(&mut engine, OrderRequest::new(btc_usd(), side(buy), configuration));
            }
            Op::Cancel { pick } => {
                if !placed.is_empty() {
                    let _ = engine.cancel(placed[pick % placed.len()], now);
                }
            }
            Op::Deposit { usd: amount } => engine.deposit(usd(), Decimal::from(amount), now).unwrap(),
            Op::Withdraw { usd: amount } => {
                let _ = engine.withdraw(usd(), Decimal::from(amount), now);
            }
            Op::Wait { minutes } => {
                clock += minutes * MINUTE_MS;
                engine.advance_time(coinswarm_core::time::Timestamp(clock));
            }
        }
        assert_balances_sound(engine.account());
        assert_live_book_exact(engine.account());
    }
    engine
}

/// The live book's bounds are exactly the highest plain limit buy, the lowest plain limit
/// sell and whether other kinds are live, after every step (the matching engine skips the
/// walk over live orders on them, so a bound too tight would lose fills); its exposure is
/// exactly the live limit-priced orders' unfilled value (the pre-trade gate reads it instead
/// of walking them).
fn assert_live_book_exact(account: &Account) {
    let live: Vec<_> = account.orders().filter(|o| o.status.is_live()).collect();
    let plain = |o: &&coinswarm_core::exchange::Order| match &o.order_configuration {
        OrderConfiguration::LimitLimitGtc(l) => Some(l.limit_price),
        OrderConfiguration::LimitLimitGtd(l) => Some(l.limit_price),
        _ => None,
    };
    let highest_buy = live.iter().filter(|o| o.side == Side::Buy).filter_map(plain).max();
    let lowest_sell = live.iter().filter(|o| o.side == Side::Sell).filter_map(plain).min();
    let others = live.iter().any(|o| plain(o).is_none());
    let bounds = account.live_book(btc_usd()).map_or((None, None, false), |book| book.bounds());
    assert_eq!(bounds, (highest_buy, lowest_sell, others), "live book bounds");
    assert_eq!(account.live_orders(btc_usd()).len(), live.len());
    for side in [Side::Buy, Side::Sell] {
        let expected: Decimal = live
            .iter()
            .filter(|o| o.side == side)
            .filter_map(|o| Some(o.remaining_base()? * o.order_configuration.limit_price()?))
            .sum();
        let kept = account.live_book(btc_usd()).map_or(Decimal::ZERO, |book| book.limit_exposure(side));
        assert_eq!(kept, expected, "the live book's {side:?} exposure");
    }
    let markets = live.iter().any(|o| o.order_configuration.limit_price().is_none());
    assert_eq!(account.live_book(btc_usd()).is_some_and(|book| book.has_market_orders()), markets);
}

/// No balance negative; each currency's hold is exactly what its live orders reserve;
/// ended orders reserve nothing.
fn assert_balances_sound(account: &Account) {
    let mut reserved: BTreeMap<_, Decimal> = BTreeMap::new();
    for order in account.orders() {
        if order.status.is_live() {
            *reserved.entry(order.hold_currency).or_default() += order.hold_remaining;
        } else {
            assert_eq!(order.hold_remaining, Decimal::ZERO, "ended order {} still holds funds", order.order_id);
        }
        assert!(order.hold_remaining >= Decimal::ZERO);
    }
    for (currency, balance) in account.balances() {
        assert!(balance.available >= Decimal::ZERO, "{currency} available {}", balance.available);
        assert!(balance.hold >= Decimal::ZERO, "{currency} hold {}", balance.hold);
        assert_eq!(balance.hold, reserved.get(currency).copied().unwrap_or_default(), "{currency} hold");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn value_is_conserved_at_fill_prices_net_of_fees(config in config(), ops in proptest::collection::vec(op(), 1..120)) {
        let engine = run(&config, &ops);
        let account = engine.account();
        // Recompute every currency's total from the log alone: deposits, withdrawals, fills.
        let mut expected: BTreeMap<_, Decimal> = BTreeMap::new();
        let mut fees = Decimal::ZERO;
        let mut brackets = BTreeMap::new();
        for event in engine.events() {
            match &event.kind {
                EventKind::OrderAccepted { order } => {
                    if let OrderConfiguration::TriggerBracketGtc(bracket) = &order.order_configuration {
                        brackets.insert(order.order_id, (order.side, bracket.clone()));
                    }
                }
                EventKind::Deposited { currency, amount } => *expected.entry(*currency).or_default() += *amount,
                EventKind::Withdrew { currency, amount } => *expected.entry(*currency).or_default() -= *amount,
                EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } => {
                    let rate = match fill.liquidity { Liquidity::Maker => config.maker_fee_bps, Liquidity::Taker => config.taker_fee_bps } / Decimal::from(10_000);
                    prop_assert_eq!(fill.fee, fill.price * fill.size * rate, "fee is the exact rate of the notional");
                    if let Some((side, bracket)) = brackets.get(&fill.order_id) {
                        // The target at or beyond its limit, or the stop between its trigger and
                        // the stop-limit 5% through it.
                        let (limit, stop, band) = (bracket.limit_price, bracket.stop_trigger_price, config.bracket_stop_limit_band);
                        let (at_target, at_stop) = match side {
                            Side::Sell => (fill.price >= limit, fill.price <= stop && fill.price >= stop * (Decimal::ONE - band) - Decimal::new(1, 2)),
                            Side::Buy => (fill.price <= limit, fill.price >= stop && fill.price <= stop * (Decimal::ONE + band) + Decimal::new(1, 2)),
                        };
                        prop_assert!(at_target || at_stop, "{:?} bracket fill at {} outside both levels", side, fill.price);
                    }
                    let (base_delta, quote_delta) = match fill.side {
                        Side::Buy => (fill.size, -(fill.price * fill.size) - fill.fee),
                        Side::Sell => (-fill.size, fill.price * fill.size - fill.fee),
                    };
                    *expected.entry(fill.product_id.quote).or_default() += quote_delta;
                    *expected.entry(fill.product_id.base).or_default() += base_delta;
                    fees += fill.fee;
                }
                _ => {}
            }
        }
        // Every currency the log touched, and every currency the account shows, agree.
        let currencies: std::collections::BTreeSet<_> = expected.keys().chain(account.balances().keys()).copied().collect();
        for currency in currencies {
            let total = account.balance(currency).total();
            prop_assert_eq!(total, expected.get(&currency).copied().unwrap_or_default(), "{} total", currency);
        }
        prop_assert_eq!(account.fees_paid().get(&usd()).copied().unwrap_or_default(), fees);
    }

    #[test]
    fn the_serialised_event_log_rebuilds_the_engines_account(config in config(), ops in proptest::collection::vec(op(), 1..120)) {
        let engine = run(&config, &ops);
        let text = AccountEvent::to_jsonl(engine.events());
        // Rebuilt from the JSON text alone, by the rules the log's events state, without the
        // ledger's fold: balances, holds, fees, positions and every retained order agree.
        let rebuilt = RebuiltAccount::from_jsonl(&text, config.retained_orders);
        rebuilt.assert_matches(engine.account());
        // And the ledger's own replay of the parsed text (a restart) gives the same account,
        // keeping the same ended orders (retention is part of the fold).
        let parsed = AccountEvent::from_jsonl(&text).unwrap();
        prop_assert_eq!(parsed.as_slice(), engine.events());
        prop_assert_eq!(&Account::replay_with_retention(&parsed, config.retained_orders).unwrap(), engine.account());
    }

    #[test]
    fn the_same_inputs_give_a_byte_identical_event_log(config in config(), ops in proptest::collection::vec(op(), 1..80)) {
        let first = AccountEvent::to_jsonl(run(&config, &ops).events());
        let second = AccountEvent::to_jsonl(run(&config, &ops).events());
        prop_assert_eq!(first, second);
    }
}

#[test]
fn a_log_with_a_gap_or_an_unknown_order_does_not_replay() {
    let mut engine = engine();
    engine.on_quote(&quote(1, Decimal::from(100), Decimal::from(101))).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Buy, Decimal::ONE), at(1)).unwrap();
    let mut events = engine.events().to_vec();
    events.remove(1);
    assert_eq!(Account::replay(&events).unwrap_err().to_string(), "event sequence broken: expected 1, found 2");
    let error = AccountEvent::from_jsonl("{\"seq\":0}\n").unwrap_err();
    assert!(error.to_string().starts_with("line 1: not an account event"), "{error}");
}

#[test]
fn a_fill_that_contradicts_its_order_is_refused_and_changes_nothing() {
    let mut engine = engine();
    engine.on_quote(&quote(1, Decimal::from(100), Decimal::from(101))).unwrap();
    engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, Decimal::ONE, Decimal::from(90)), at(1)).unwrap();
    let mut account = Account::replay(engine.events()).unwrap();
    let before = account.clone();
    let order = account.orders().next().unwrap().clone();
    let seq = account.next_seq();
    let forged = |side, size| AccountEvent {
        seq,
        time: at(2),
        kind: EventKind::OrderFilled {
            fill: coinswarm_core::exchange::Fill {
                trade_id: coinswarm_core::exchange::TradeId(uuid_of(1)),
                order_id: order.order_id,
                product_id: btc_usd(),
                side,
                price: Decimal::from(90),
                size,
                fee: Decimal::ZERO,
                liquidity: Liquidity::Maker,
                time: at(2),
            },
        },
    };
    let wrong_side = forged(Side::Sell, Decimal::ONE);
    assert!(account.apply(&wrong_side).unwrap_err().to_string().contains("does not match order"));
    let overfill = forged(Side::Buy, Decimal::TWO);
    assert!(account.apply(&overfill).is_err());
    let withdraw_unknown = AccountEvent {
        seq: account.next_seq(),
        time: at(2),
        kind: EventKind::Withdrew {
            currency: coinswarm_core::market::Currency::new("EUR").unwrap(),
            amount: Decimal::ONE,
        },
    };
    assert!(account.apply(&withdraw_unknown).is_err());
    let earlier = AccountEvent {
        seq: account.next_seq(),
        time: at(0),
        kind: EventKind::Deposited { currency: usd(), amount: Decimal::ONE },
    };
    assert_eq!(
        account.apply(&earlier).unwrap_err().to_string(),
        format!("event {} goes back in time", account.next_seq())
    );
    assert_eq!(account, before);
}

fn uuid_of(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}
