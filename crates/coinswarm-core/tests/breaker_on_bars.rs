//! The circuit breaker's loss and move windows (5 minutes and 60 seconds by default) at bar
//! sizes far wider than they are: the swarm feeds the breaker each bar's path (open, the two
//! extremes in path order, close), so a crash inside one hourly or daily bar trips it even
//! when the bar closes near where it opened.

mod support;

use coinswarm_core::exchange::MatchingEngine;
use coinswarm_core::market::{Candle, Granularity, Product};
use coinswarm_core::risk::TripReason;
use coinswarm_core::swarm::{Swarm, SwarmConfig};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;

/// 80 quiet bars around 100 (a wiggle of ±0.2), then one bar that opens at 100, dips to
/// `low` and closes at `close`, then 5 more quiet bars.
fn bars_with_a_dip(granularity: Granularity, low: Decimal, close: Decimal) -> Vec<Candle> {
    let bar_ms = granularity.millis();
    let start = at(0);
    let quiet = |i: i64| {
        let open = if i % 2 == 0 { dec!(100.0) } else { dec!(100.2) };
        let close = if i % 2 == 0 { dec!(100.2) } else { dec!(100.0) };
        Candle {
            start: start.plus_millis(i * bar_ms),
            open,
            high: dec!(100.3),
            low: dec!(99.9),
            close,
            volume: dec!(50),
        }
    };
    let mut bars: Vec<Candle> = (0..80).map(quiet).collect();
    bars.push(Candle {
        start: start.plus_millis(80 * bar_ms),
        open: dec!(100.0),
        high: dec!(100.1),
        low,
        close,
        volume: dec!(50),
    });
    bars.extend((81..86).map(quiet));
    bars
}

/// Runs the default swarm over `bars` on an account of 100,000 USD and `btc` BTC; returns
/// the breaker's trips with the index of the bar at whose close each was seen.
fn trips(granularity: Granularity, bars: &[Candle], btc: Decimal) -> Vec<(usize, TripReason)> {
    let config = SwarmConfig::default();
    let mut engine = MatchingEngine::new(config.exchange.clone()).unwrap();
    engine.list_product(Product::spot(btc_usd())).unwrap();
    engine.deposit(usd(), dec!(100000), bars[0].start).unwrap();
    if btc > Decimal::ZERO {
        engine.deposit(support::btc(), btc, bars[0].start).unwrap();
    }
    let mut swarm = Swarm::new(config, Product::spot(btc_usd()), granularity, None).unwrap();
    let mut seen = 0;
    let mut found = Vec::new();
    for (bar, candle) in bars.iter().enumerate() {
        swarm.on_candle(&mut engine, candle, &[]).unwrap();
        let all: Vec<TripReason> = swarm.breaker().trips().map(|(_, reason)| *reason).collect();
        found.extend(all[seen..].iter().cloned().map(|reason| (bar, reason)));
        seen = all.len();
    }
    found
}

#[test]
fn a_fifteen_percent_fall_inside_one_bar_trips_the_move_rule_on_hourly_and_daily_bars() {
    for granularity in [Granularity::OneHour, Granularity::OneDay] {
        // The bar closes 2% down: its close alone is no 10% move.
        let bars = bars_with_a_dip(granularity, dec!(85.0), dec!(98.0));
        let trips = trips(granularity, &bars, Decimal::ZERO);
        let moves: Vec<_> = trips.iter().filter(|(_, t)| matches!(t, TripReason::PriceMove { .. })).collect();
        let Some((bar, TripReason::PriceMove { from, to, change, .. })) = moves.first() else {
            panic!("{granularity:?}: no move trip in {trips:?}")
        };
        assert_eq!(*bar, 80, "{granularity:?}: tripped at the crash bar's close");
        // A bar closing below its open went up first: from its high to its low.
        assert_eq!((*from, *to), (100.1, 85.0), "{granularity:?}");
        assert!((change - (85.0 / 100.1 - 1.0)).abs() < 1e-9, "{granularity:?}: {change}");
        assert!(
            trips.iter().all(|(_, t)| !matches!(t, TripReason::EquityLoss { .. })),
            "an account in cash loses nothing: {trips:?}"
        );
    }
}

#[test]
fn a_dip_that_costs_half_the_account_three_and_a_half_percent_trips_the_loss_rule_on_hourly_and_daily_bars() {
    for granularity in [Granularity::OneHour, Granularity::OneDay] {
        // Half the account in BTC (1,000 BTC at 100): a dip to 93 costs 3.5% of equity, over
        // the 3% limit, though the bar closes 1% down and the price never moves 10%.
        let bars = bars_with_a_dip(granularity, dec!(93.0), dec!(99.0));
        let trips = trips(granularity, &bars, dec!(1000));
        let Some((bar, TripReason::EquityLoss { loss_fraction, .. })) =
            trips.iter().find(|(_, t)| matches!(t, TripReason::EquityLoss { .. }))
        else {
            panic!("{granularity:?}: no loss trip in {trips:?}")
        };
        assert_eq!(*bar, 80, "{granularity:?}: tripped at the dip's bar");
        assert!(*loss_fraction >= dec!(0.03) && *loss_fraction < dec!(0.04), "{granularity:?}: {loss_fraction}");
        assert!(trips.iter().all(|(_, t)| !matches!(t, TripReason::PriceMove { .. })), "{trips:?}");
    }
}

#[test]
fn quiet_bars_trip_nothing_however_wide() {
    for granularity in [Granularity::OneMinute, Granularity::OneHour, Granularity::OneDay] {
        let bars = bars_with_a_dip(granularity, dec!(99.5), dec!(100.0));
        assert_eq!(trips(granularity, &bars, dec!(1000)), vec![], "{granularity:?}");
    }
}
