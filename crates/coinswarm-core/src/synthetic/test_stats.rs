//! Statistics the regime tests measure candles with.

use crate::market::Candle;
use rust_decimal::prelude::ToPrimitive;

/// Natural-log close-to-close returns, one fewer than the candles.
pub(crate) fn log_returns(candles: &[Candle]) -> Vec<f64> {
    candles
        .windows(2)
        .map(|pair| libm::log(pair[1].close.to_f64().unwrap() / pair[0].close.to_f64().unwrap()))
        .collect()
}

pub(crate) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample standard deviation.
pub(crate) fn stdev(values: &[f64]) -> f64 {
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}

/// Simple moving average of the `n` values ending at index `end` (inclusive).
pub(crate) fn sma(values: &[f64], end: usize, n: usize) -> f64 {
    mean(&values[end + 1 - n..=end])
}
