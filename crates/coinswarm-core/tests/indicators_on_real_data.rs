//! Every streaming indicator, with its default periods, on the bundled real market
//! (Bitfinex BTC-USD hourly, 17,583 bars, oldest first), checked against values computed
//! independently of this crate.
//!
//! Provenance of the pinned values: `scripts/indicator_reference.py`, run as
//! `python3 scripts/indicator_reference.py` with `pip install TA-Lib numpy` (TA-Lib 0.8.2,
//! numpy 2.4.6). It reads `data/market/bitfinex_btcusd_1h_2017-07_2019-07.csv` with Python's
//! `csv` module, sorts it oldest first, and takes SMA, EMA, RSI, MACD, BBANDS, ATR, MOM and
//! ROC from the real TA-Lib (its plain-Python transcriptions of the same definitions agree
//! to 6.2e-13 relative), and z-score, realised volatility and VWAP, which TA-Lib lacks, from
//! plain-Python two-pass `math.fsum` sums. The values below are pasted from its output.

use coinswarm_core::indicators::{
    Atr, Bollinger, BollingerBands, Ema, Macd, MacdValue, Momentum, RealisedVolatility, Roc, Rsi, Sma, Vwap, ZScore,
};
use coinswarm_core::market::ProductId;
use rust_decimal::prelude::ToPrimitive;

/// One bar as floats: high, low, close, base volume.
#[derive(Clone, Copy)]
struct Bar {
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
}

fn hourly_bars() -> Vec<Bar> {
    let dataset = coinswarm_data::load("bitfinex-btcusd-1h").unwrap();
    let product: ProductId = "BTC-USD".parse().unwrap();
    let f = |d: rust_decimal::Decimal| d.to_f64().unwrap();
    dataset
        .entry(product)
        .unwrap()
        .series
        .candles()
        .iter()
        .map(|c| Bar { high: f(c.high), low: f(c.low), close: f(c.close), volume: f(c.volume) })
        .collect()
}

/// Every output of one indicator over the whole data set, one entry per bar.
struct Run<T> {
    outputs: Vec<Option<T>>,
}

impl<T: Copy> Run<T> {
    fn of(bars: &[Bar], update: impl FnMut(&Bar) -> Option<T>) -> Self {
        Self { outputs: bars.iter().map(update).collect() }
    }

    fn first_value_at(&self) -> Option<usize> {
        self.outputs.iter().position(Option::is_some)
    }

    fn at(&self, bar: usize) -> T {
        self.outputs[bar].unwrap_or_else(|| panic!("no value at bar {bar}"))
    }
}

#[track_caller]
fn assert_close(name: &str, bar: usize, actual: f64, expected: f64) {
    let relative = (actual - expected).abs() / expected.abs().max(1e-12);
    assert!(relative <= 1e-6, "{name} at bar {bar}: {actual} vs reference {expected} ({relative:.1e} relative)");
}

#[track_caller]
fn check(name: &str, run: &Run<f64>, first: usize, pinned: &[(usize, f64)]) {
    assert_eq!(run.first_value_at(), Some(first), "{name}: first value (TA-Lib lookback)");
    for &(bar, expected) in pinned {
        assert_close(name, bar, run.at(bar), expected);
    }
}

#[test]
fn the_data_set_is_the_one_the_reference_values_were_computed_on() {
    let bars = hourly_bars();
    assert_eq!(bars.len(), 17_583);
    assert_eq!((bars[0].close, bars[17_582].close), (2_509.17, 11_849.69));
}

#[test]
fn moving_averages_match_ta_lib() {
    let bars = hourly_bars();
    let mut sma = Sma::new(20);
    check(
        "SMA(20)",
        &Run::of(&bars, |b| sma.update(b.close)),
        19,
        &[(33, 2448.8135), (500, 2704.5975000000008), (5000, 11254.001499999998), (17582, 11420.081499999975)],
    );
    let mut ema = Ema::new(20);
    check(
        "EMA(20)",
        &Run::of(&bars, |b| ema.update(b.close)),
        19,
        &[(33, 2462.2919496184168), (500, 2708.499696704325), (5000, 11162.537956938597), (17582, 11442.417609567266)],
    );
}

#[test]
fn rsi_and_atr_match_ta_lib_wilder_smoothing() {
    let bars = hourly_bars();
    let mut rsi = Rsi::new(14);
    check(
        "RSI(14)",
        &Run::of(&bars, |b| rsi.update(b.close)),
        14,
        &[(33, 59.810022924409765), (500, 59.141424398616685), (5000, 51.556863749700376), (17582, 65.37702695872693)],
    );
    let mut atr = Atr::new(14);
    check(
        "ATR(14)",
        &Run::of(&bars, |b| atr.update(b.high, b.low, b.close)),
        14,
        &[(33, 24.67519242381877), (500, 47.16823498098229), (5000, 194.26296597696745), (17582, 244.11293934609617)],
    );
}

#[test]
fn macd_matches_ta_lib_including_its_fast_ema_alignment() {
    let bars = hourly_bars();
    let mut macd = Macd::new(12, 26, 9);
    let run = Run::of(&bars, |b| macd.update(b.close));
    assert_eq!(run.first_value_at(), Some(33), "MACD(12, 26, 9): first value at slow + signal − 2");
    let pinned: [(usize, MacdValue); 4] = [
        (33, MacdValue { macd: 12.70646225305427, signal: 2.071091775488185, histogram: 10.635370477566084 }),
        (500, MacdValue { macd: 19.258033662101752, signal: 15.20344819993942, histogram: 4.054585462162333 }),
        (5000, MacdValue { macd: -14.753884567582645, signal: 11.251842748147618, histogram: -26.00572731573026 }),
        (17582, MacdValue { macd: 233.35077429502599, signal: 195.04395259630445, histogram: 38.306821698721535 }),
    ];
    for (bar, expected) in pinned {
        let actual = run.at(bar);
        assert_close("MACD line", bar, actual.macd, expected.macd);
        assert_close("MACD signal", bar, actual.signal, expected.signal);
        assert_close("MACD histogram", bar, actual.histogram, expected.histogram);
    }
}

#[test]
fn bollinger_bands_match_ta_lib() {
    let bars = hourly_bars();
    let mut bands = Bollinger::new(20, 2.0);
    let run = Run::of(&bars, |b| bands.update(b.close));
    assert_eq!(run.first_value_at(), Some(19));
    let pinned: [(usize, BollingerBands); 4] = [
        (33, BollingerBands { upper: 2509.124636044681, middle: 2448.8135, lower: 2388.502363955319 }),
        (500, BollingerBands { upper: 2802.3878534864266, middle: 2704.5975000000008, lower: 2606.807146513575 }),
        (5000, BollingerBands { upper: 11637.215258170048, middle: 11254.001499999998, lower: 10870.787741829949 }),
        (17582, BollingerBands { upper: 11939.929556965644, middle: 11420.081499999975, lower: 10900.233443034305 }),
    ];
    for (bar, expected) in pinned {
        let actual = run.at(bar);
        assert_close("Bollinger upper", bar, actual.upper, expected.upper);
        assert_close("Bollinger middle", bar, actual.middle, expected.middle);
        assert_close("Bollinger lower", bar, actual.lower, expected.lower);
    }
}

#[test]
fn momentum_and_rate_of_change_match_ta_lib() {
    let bars = hourly_bars();
    let mut mom = Momentum::new(10);
    check(
        "MOM(10)",
        &Run::of(&bars, |b| mom.update(b.close)),
        10,
        &[(33, 68.01999999999998), (500, 127.78999999999996), (5000, -50.030000000000655), (17582, 386.59000000000015)],
    );
    let mut roc = Roc::new(10);
    check(
        "ROC(10)",
        &Run::of(&bars, |b| roc.update(b.close)),
        10,
        &[(33, 2.792202194518212), (500, 4.853583501082448), (5000, -0.44471032051499604), (17582, 3.3724734146958424)],
    );
}

#[test]
fn zscore_realised_volatility_and_vwap_match_the_python_reference() {
    let bars = hourly_bars();
    let mut z = ZScore::new(20);
    check(
        "z-score(20)",
        &Run::of(&bars, |b| z.update(b.close)),
        19,
        &[(33, 1.833044562750381), (500, 1.147199043672271), (5000, -0.2818870609337505), (17582, 1.6528233365248761)],
    );
    let mut vol = RealisedVolatility::new(20);
    check(
        "realised volatility(20)",
        &Run::of(&bars, |b| vol.update(b.close)),
        20,
        &[
            (33, 0.005700454533676936),
            (500, 0.010632322596819609),
            (5000, 0.01077189966304757),
            (17582, 0.015257208537340016),
        ],
    );
    let mut vwap = Vwap::new(20);
    check(
        "VWAP(20)",
        &Run::of(&bars, |b| vwap.update(b.high, b.low, b.close, b.volume)),
        19,
        &[(33, 2460.5041920393255), (500, 2697.907289622987), (5000, 11294.249872411689), (17582, 11468.490535141453)],
    );
}

/// The rolling windows never drift: at every one of the 17,583 bars, the streaming mean,
/// bands and VWAP agree with a fresh two-pass computation over the window to 1e-9 relative.
#[test]
fn rolling_windows_stay_exact_over_the_whole_run() {
    let bars = hourly_bars();
    let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
    let period = 20;
    let mut sma = Sma::new(period);
    let mut bands = Bollinger::new(period, 2.0);
    let mut vwap = Vwap::new(period);
    for (i, bar) in bars.iter().enumerate() {
        let (mean, bands, vwap) =
            (sma.update(bar.close), bands.update(bar.close), vwap.update(bar.high, bar.low, bar.close, bar.volume));
        if i + 1 < period {
            continue;
        }
        let window = &closes[i + 1 - period..=i];
        let exact_mean = window.iter().sum::<f64>() / period as f64;
        let exact_sd = (window.iter().map(|x| (x - exact_mean).powi(2)).sum::<f64>() / period as f64).sqrt();
        let within = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs();
        assert!(within(mean.unwrap(), exact_mean), "SMA at bar {i}");
        let bands = bands.unwrap();
        assert!(within(bands.upper - bands.middle, 2.0 * exact_sd) || exact_sd == 0.0, "band width at bar {i}");
        let w = &bars[i + 1 - period..=i];
        let volume: f64 = w.iter().map(|b| b.volume).sum();
        if volume > 0.0 {
            let turnover: f64 = w.iter().map(|b| (b.high + b.low + b.close) / 3.0 * b.volume).sum();
            assert!(within(vwap.unwrap(), turnover / volume), "VWAP at bar {i}");
        }
    }
}
