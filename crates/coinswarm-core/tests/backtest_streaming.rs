//! Long backtests in constant memory: bars streamed from their source, metrics accumulated as
//! they pass, and only a bounded equity curve and trade list handed back.

use coinswarm_core::backtest::strategies::SmaCross;
use coinswarm_core::backtest::{BacktestConfig, BacktestError, BarFeed, run_backtest, run_backtest_feeds};
use coinswarm_core::data::CandleSeries;
use coinswarm_core::market::{Candle, Granularity, ProductId};
use coinswarm_core::synthetic::{RegimeKind, SyntheticConfig, generate, stream};
use std::collections::BTreeMap;

fn config(bars: usize) -> SyntheticConfig {
    SyntheticConfig::new(RegimeKind::MeanReverting).with_bars(bars).with_seed(11)
}

fn loaded(bars: usize) -> CandleSeries {
    let market = generate(&config(bars)).unwrap();
    CandleSeries::new(market.product_id, market.granularity, market.candles).unwrap()
}

fn streamed(bars: usize) -> BarFeed<'static> {
    let config = config(bars);
    let candles = stream(&config).unwrap().map(|bar| bar.map_err(|e| e.to_string()));
    BarFeed::new(config.product.product_id, config.granularity, candles)
}

#[test]
fn a_streamed_series_trades_exactly_like_the_same_series_loaded_in_memory() {
    let series = loaded(20_000);
    let config = BacktestConfig::default();
    let from_memory = run_backtest(&[&series], &mut SmaCross::new(10, 30), &config, &BTreeMap::new()).unwrap();
    let from_stream =
        run_backtest_feeds(vec![streamed(20_000)], &mut SmaCross::new(10, 30), &config, &BTreeMap::new()).unwrap();
    assert!(from_memory.metrics.trades.count > 100, "{} trades", from_memory.metrics.trades.count);
    assert_eq!(from_stream.final_equity, from_memory.final_equity);
    assert_eq!(from_stream.trades, from_memory.trades);
    assert_eq!(from_stream.metrics, from_memory.metrics);
    assert_eq!(from_stream.equity_curve, from_memory.equity_curve);
}

#[test]
fn a_capped_result_thins_the_curve_and_the_list_but_every_metric_counts_every_bar() {
    let series = loaded(20_000);
    let full = BacktestConfig::default();
    let capped = BacktestConfig { max_curve_points: 1_000, max_listed_trades: 10, ..BacktestConfig::default() };
    let whole = run_backtest(&[&series], &mut SmaCross::new(10, 30), &full, &BTreeMap::new()).unwrap();
    let thin = run_backtest(&[&series], &mut SmaCross::new(10, 30), &capped, &BTreeMap::new()).unwrap();

    assert_eq!(thin.metrics, whole.metrics, "metrics never depend on what is listed");
    assert_eq!(thin.final_equity, whole.final_equity);
    assert_eq!(whole.equity_curve.len(), 20_000);
    assert_eq!((whole.equity_curve_stride, whole.trades_not_listed), (1, 0));
    // 20,000 bars into 1,000 points: every 32nd bar (625 points) plus the last bar.
    assert_eq!(thin.equity_curve_stride, 32);
    assert_eq!(thin.equity_curve.len(), 626);
    for (i, point) in thin.equity_curve[..625].iter().enumerate() {
        assert_eq!(*point, whole.equity_curve[i * 32]);
    }
    assert_eq!(thin.equity_curve.last(), whole.equity_curve.last());
    // The first ten closed trades are listed, then the one still open (if any), valued at the
    // last close; the other closed trades are only counted.
    assert_eq!(thin.trades[..10], whole.trades[..10]);
    let open = thin.trades.len() - 10;
    assert!(open <= 1);
    assert_eq!(thin.trades[10..], whole.trades[whole.trades.len() - open..]);
    assert_eq!(thin.trades_not_listed, (whole.trades.len() - open - 10) as u64);
}

#[test]
fn a_source_that_fails_mid_stream_stops_the_backtest_with_its_message() {
    let series = loaded(200);
    let mut candles: Vec<Result<Candle, String>> = series.candles().iter().copied().map(Ok).collect();
    candles.insert(100, Err("row 101: close is not a number".into()));
    let feed = BarFeed::new(series.product_id(), Granularity::OneHour, candles.into_iter());
    let err = run_backtest_feeds(vec![feed], &mut SmaCross::new(10, 30), &BacktestConfig::default(), &BTreeMap::new())
        .unwrap_err();
    assert_eq!(
        err,
        BacktestError::Feed { product_id: series.product_id(), message: "row 101: close is not a number".into() }
    );
    assert!(err.to_string().contains("BTC-USD bar source failed: row 101"), "{err}");
}

#[test]
fn bars_out_of_order_or_a_product_fed_twice_are_refused() {
    let series = loaded(50);
    let mut candles = series.candles().to_vec();
    candles.swap(10, 11);
    let feed = BarFeed::new(series.product_id(), Granularity::OneHour, candles.into_iter().map(Ok));
    let err = run_backtest_feeds(vec![feed], &mut SmaCross::new(10, 30), &BacktestConfig::default(), &BTreeMap::new())
        .unwrap_err();
    assert!(matches!(err, BacktestError::MarketData(_)), "{err}");

    let twice = vec![BarFeed::from_series(&series), BarFeed::from_series(&series)];
    let err = run_backtest_feeds(twice, &mut SmaCross::new(10, 30), &BacktestConfig::default(), &BTreeMap::new())
        .unwrap_err();
    let btc: ProductId = "BTC-USD".parse().unwrap();
    assert_eq!(err, BacktestError::DuplicateProduct { product_id: btc });
}
