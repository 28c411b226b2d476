//! A synthetic series shared by the validators' tests: a steady drift with a small wave on it.

use crate::data::CandleSeries;
use crate::market::{Candle, Granularity, ProductId};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

/// `bars` bars of BTC-USD from the epoch: close `100 · (1 + drift)^t · (1 + 1 % · sin(0.7 t))`,
/// each bar opening at the previous close, with highs and lows 0.1 % beyond the body.
pub(super) fn wavy(granularity: Granularity, bars: usize, drift: f64) -> CandleSeries {
    let price = |t: usize| 100.0 * (1.0 + drift).powi(t as i32) * (1.0 + 0.01 * (0.7 * t as f64).sin());
    let money = |v: f64| Decimal::from_f64(v).unwrap_or_default().round_dp(2);
    let candles = (0..bars)
        .map(|t| {
            let (open, close) = (price(t.saturating_sub(1)), price(t));
            Candle {
                start: Timestamp::from_millis(t as i64 * granularity.millis()),
                open: money(open),
                high: money(open.max(close) * 1.001),
                low: money(open.min(close) * 0.999),
                close: money(close),
                volume: Decimal::from(1000),
            }
        })
        .collect();
    CandleSeries::new(ProductId::parse("BTC-USD").unwrap(), granularity, candles).unwrap()
}
