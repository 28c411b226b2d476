//! Streaming technical indicators: O(1) per update, no allocation after construction.
//! Definitions follow TA-Lib's.
//!
//! Every indicator has the same shape: `new(..)` allocates whatever fixed-capacity ring
//! buffer it needs once, `update(..)` folds in one bar and returns the current output,
//! `value()` returns the last output, and `reset()` forgets all history without
//! reallocating. No `update` allocates, so a backtest over millions of bars performs only the
//! allocations made in `new`.
//!
//! Conventions shared by all of them:
//! - **Warm-up.** `update` returns `None` until exactly as many inputs as TA-Lib's lookback
//!   (plus one) have been seen: SMA, EMA, Bollinger, z-score and VWAP need `period` inputs;
//!   RSI, ATR, momentum, ROC and realised volatility need `period + 1` (they work on changes
//!   from a previous bar); MACD needs `slow + signal − 1`.
//! - **Periods.** A period of 0 is treated as 1, so constructors never fail or panic.
//! - **Bad input.** A non-finite input (NaN, ±∞) is ignored: the state is left untouched and
//!   `update` returns the current `value()`. Indicators that need positive prices or
//!   non-negative volumes ignore those bars too (each documents its rule). Finite inputs so
//!   large that sums overflow `f64` (|x| ≳ 1e300) give non-finite outputs only while they
//!   sit in the window: rolling sums are recomputed from the window every `period` updates.
//! - **Rolling sums stay exact.** Windowed sums are Neumaier-compensated and re-summed from
//!   the ring buffer once per `period` updates (amortised O(1)), so floating-point drift never
//!   accumulates over long runs; variances are summed around the window's mean to avoid
//!   cancellation.
//! - **Determinism.** Logarithms use `libm`, so native and `wasm32` builds give bit-identical
//!   outputs.

mod atr;
mod bollinger;
mod compensated_sum;
mod ema;
mod macd;
mod momentum;
mod realised_volatility;
mod ring;
mod roc;
mod rolling_moments;
mod rolling_sum;
mod rsi;
mod sma;
mod vwap;
mod zscore;

pub use atr::Atr;
pub use bollinger::{Bollinger, BollingerBands};
pub use ema::Ema;
pub use macd::{Macd, MacdValue};
pub use momentum::Momentum;
pub use realised_volatility::RealisedVolatility;
pub use roc::Roc;
pub use rsi::Rsi;
pub use sma::Sma;
pub use vwap::Vwap;
pub use zscore::ZScore;

/// The period actually used for a requested one: 0 is treated as 1.
fn effective_period(period: usize) -> usize {
    period.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs until `update` first answers a value.
    fn inputs_until_first(mut update: impl FnMut(f64) -> bool) -> usize {
        (1..10_000).find(|&i| update(100.0 + (i as f64 * 0.7).sin())).unwrap()
    }

    #[test]
    fn every_indicator_gives_its_first_value_with_the_input_it_names() {
        for period in [0, 1, 2, 14, 50] {
            let mut sma = Sma::new(period);
            let named = sma.inputs_to_first_value();
            assert_eq!(inputs_until_first(|x| sma.update(x).is_some()), named, "SMA({period})");
            let mut ema = Ema::new(period);
            let named = ema.inputs_to_first_value();
            assert_eq!(inputs_until_first(|x| ema.update(x).is_some()), named, "EMA({period})");
            let mut bands = Bollinger::new(period, 2.0);
            let named = bands.inputs_to_first_value();
            assert_eq!(inputs_until_first(|x| bands.update(x).is_some()), named, "Bollinger({period})");
            let mut rsi = Rsi::new(period);
            let named = rsi.inputs_to_first_value();
            assert_eq!(inputs_until_first(|x| rsi.update(x).is_some()), named, "RSI({period})");
            let mut atr = Atr::new(period);
            let named = atr.inputs_to_first_value();
            assert_eq!(inputs_until_first(|x| atr.update(x + 1.0, x - 1.0, x).is_some()), named, "ATR({period})");
            let mut volatility = RealisedVolatility::new(period);
            let named = volatility.inputs_to_first_value();
            assert_eq!(inputs_until_first(|x| volatility.update(x).is_some()), named, "volatility({period})");
        }
        for (fast, slow, signal) in [(12, 26, 9), (26, 12, 9), (3, 3, 1), (0, 0, 0)] {
            let mut macd = Macd::new(fast, slow, signal);
            let named = macd.inputs_to_first_value();
            assert_eq!(inputs_until_first(|x| macd.update(x).is_some()), named, "MACD({fast}, {slow}, {signal})");
        }
        assert_eq!(Macd::new(12, 26, 9).inputs_to_first_value(), 34);
    }
}
