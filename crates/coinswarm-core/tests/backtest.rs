//! The backtester as a user drives it: baselines checked against independent reference
//! computations, no look-ahead, and a small case computed by hand.

use coinswarm_core::backtest::strategies::{BuyAndHold, CommitteeStrategy, SmaCross};
use coinswarm_core::backtest::{BacktestConfig, BacktestResult, Strategy, run_backtest};
use coinswarm_core::data::CandleSeries;
use coinswarm_core::market::{Candle, Granularity, ProductId};
use coinswarm_core::swarm::SwarmConfig;
use coinswarm_core::time::{HOUR_MS, Timestamp};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

fn btc_usd() -> ProductId {
    "BTC-USD".parse().unwrap()
}

fn hourly() -> CandleSeries {
    let dataset = coinswarm_data::load("bitfinex-btcusd-1h").unwrap();
    dataset.entry(btc_usd()).unwrap().series.clone()
}

fn run(series: &CandleSeries, strategy: &mut dyn Strategy) -> BacktestResult {
    run_backtest(&[series], strategy, &BacktestConfig::default(), &BTreeMap::new()).unwrap()
}

/// The SMA cross recomputed from its definition, independently of the engine and of the
/// indicator code: signals on each close from window sums, fills at the next bar's open,
/// all-in by quote size with the 60 bps taker fee included, sizes floored to 1e-8 BTC.
fn reference_sma_cross(candles: &[Candle], fast: usize, slow: usize) -> (usize, Decimal) {
    let fee = dec!(0.006);
    let closes: Vec<f64> = candles.iter().map(|c| c.close.to_f64().unwrap()).collect();
    let mean = |end: usize, n: usize| closes[end + 1 - n..=end].iter().sum::<f64>() / n as f64;
    let (mut cash, mut btc, mut trades) = (dec!(100000), Decimal::ZERO, 0);
    let mut pending: Option<bool> = None; // Some(true): buy at the next open; Some(false): sell.
    for (t, candle) in candles.iter().enumerate() {
        if let Some(buy) = pending.take() {
            let open = candle.open;
            if buy {
                let spend = cash.floor_to_cents();
                let size = (spend / (open * (Decimal::ONE + fee)) * dec!(100000000)).floor() / dec!(100000000);
                let cost = size * open;
                cash -= cost + cost * fee;
                btc += size;
            } else {
                let proceeds = btc * open;
                cash += proceeds - proceeds * fee;
                btc = Decimal::ZERO;
                trades += 1;
            }
        }
        if t + 1 >= slow.max(fast) {
            let (f, s) = (mean(t, fast), mean(t, slow));
            if f > s && btc.is_zero() {
                pending = Some(true);
            } else if f < s && !btc.is_zero() {
                pending = Some(false);
            }
        }
    }
    let last = candles.last().unwrap().close;
    (trades + usize::from(!btc.is_zero()), cash + btc * last)
}

trait FloorToCents {
    fn floor_to_cents(self) -> Decimal;
}

impl FloorToCents for Decimal {
    fn floor_to_cents(self) -> Decimal {
        (self * dec!(100)).floor() / dec!(100)
    }
}

#[test]
fn sma_cross_on_real_hourly_data_matches_an_independent_reference() {
    let series = hourly();
    let result = run(&series, &mut SmaCross::new(10, 30));
    let (trades, equity) = reference_sma_cross(series.candles(), 10, 30);
    assert!(trades > 300, "{trades} round trips");
    assert_eq!(result.trades.len(), trades);
    assert_eq!(result.final_equity, equity);
    assert_eq!(result.bars, 17_583);
    assert_eq!(result.equity_curve.len(), 17_583);
}

#[test]
fn changing_any_bar_after_t_changes_nothing_at_or_before_t() {
    let series = hourly();
    let t = 300;
    let mut altered = series.candles().to_vec();
    for candle in &mut altered[t + 1..] {
        candle.open *= dec!(1.5);
        candle.high *= dec!(2);
        candle.low *= dec!(0.5);
        candle.close *= dec!(0.7);
        candle.volume *= dec!(3);
    }
    let altered = CandleSeries::new(btc_usd(), Granularity::OneHour, altered).unwrap();
    let strategies: [fn() -> Box<dyn Strategy>; 2] = [
        || Box::new(SmaCross::new(10, 30)),
        || {
            // A self-closing breaker keeps the committee trading through the whole file.
            let mut config = SwarmConfig::default();
            config.circuit_breaker.auto_close = true;
            Box::new(CommitteeStrategy::new(config, Granularity::OneHour).unwrap())
        },
    ];
    for make in strategies {
        let original = run(&series, make().as_mut());
        let changed = run(&altered, make().as_mut());
        assert_eq!(original.equity_curve[..=t], changed.equity_curve[..=t], "{}", original.strategy);
        let cutoff = series.candles()[t].start.plus_millis(HOUR_MS);
        let closed_by =
            |r: &BacktestResult| -> Vec<_> { r.trades.iter().filter(|x| x.exit_time <= cutoff).cloned().collect() };
        assert_eq!(closed_by(&original), closed_by(&changed), "{}", original.strategy);
        assert_ne!(original.final_equity, changed.final_equity, "the later bars do matter");
    }
}

#[test]
fn buy_and_hold_on_four_bars_gives_the_hand_computed_fills_fees_and_equity() {
    let start = Timestamp::parse("2024-01-01").unwrap();
    let bar = |i: i64, open, high, low, close| Candle {
        start: start.plus_millis(i * HOUR_MS),
        open,
        high,
        low,
        close,
        volume: dec!(10),
    };
    let candles = vec![
        bar(0, dec!(100), dec!(101), dec!(99), dec!(100)),
        bar(1, dec!(100), dec!(112), dec!(98), dec!(110)),
        bar(2, dec!(110), dec!(111), dec!(80), dec!(88)),
        bar(3, dec!(88), dec!(121), dec!(87), dec!(120)),
    ];
    let series = CandleSeries::new(btc_usd(), Granularity::OneHour, candles).unwrap();
    let config = BacktestConfig { capital: dec!(1000), ..BacktestConfig::default() };
    let result = run_backtest(&[&series], &mut BuyAndHold::new(1), &config, &BTreeMap::new()).unwrap();
    // Decided at bar 0's close, filled at bar 1's open (100): 1000 / (100 × 1.006) =
    // 9.940357852… → 9.94035785 BTC; cost 994.035785, fee 0.6% = 5.96421471.
    assert_eq!(result.fees_paid, dec!(5.96421471));
    let cash = dec!(1000) - dec!(994.035785) - dec!(5.96421471); // 0.00000029
    let equity: Vec<Decimal> = result.equity_curve.iter().map(|p| p.equity).collect();
    assert_eq!(
        equity,
        [
            dec!(1000),
            cash + dec!(9.94035785) * dec!(110),
            cash + dec!(9.94035785) * dec!(88),
            cash + dec!(9.94035785) * dec!(120)
        ]
    );
    // Peak 1093.43936379 at bar 1, trough 874.75149109 at bar 2: drawdown 0.2 exactly less
    // the cash's rounding: (110 − 88) / 110 on the BTC part.
    let drawdown = result.metrics.max_drawdown.fraction;
    let expected = ((equity[1] - equity[2]) / equity[1]).to_f64().unwrap();
    assert!((drawdown - expected).abs() < 1e-12, "{drawdown} vs {expected}");
    assert_eq!(result.trades.len(), 1, "the open position is valued at the last close as a trade");
    assert_eq!(result.trades[0].entry_price, dec!(100));
    assert_eq!(result.trades[0].exit_price, dec!(120));
}
