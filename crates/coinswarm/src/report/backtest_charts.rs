//! The report's charts of one backtest: the equity curve, its drawdown underneath, and the first
//! product's price with the trades marked. All three share one time axis.

use super::downsample::Point;
use super::time_chart::{MarkerKind, Shape, TimeChart};
use coinswarm_core::backtest::BacktestResult;
use coinswarm_core::market::Candle;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Trades marked on the price chart at most (the most recent ones); beyond that the triangles
/// would merge into a band at any screen width.
pub const MAX_MARKED_TRADES: usize = 2_000;

/// The time axis of every chart, in ms since the epoch: the equity curve's span (each point at
/// its bar's close), widened to the price bars when they reach further.
pub fn time_range(result: &BacktestResult, prices: &[Candle], bar_ms: i64) -> (f64, f64) {
    let times = result.equity_curve.iter().map(|p| p.time.0).chain(prices.iter().map(|c| c.start.0 + bar_ms));
    let (low, high) = times.fold((i64::MAX, i64::MIN), |(l, h), t| (l.min(t), h.max(t)));
    if low > high { (0.0, 1.0) } else { (low as f64, high as f64) }
}

/// Equity (quote currency) at each bar's close, marked to market.
pub fn equity_chart(result: &BacktestResult, x_range: (f64, f64)) -> TimeChart {
    let points = result.equity_curve.iter().map(|p| point(p.time.0, p.equity)).collect();
    TimeChart {
        id: "equity-chart",
        label: format!("Equity of {} over time", result.strategy),
        height: 280.0,
        x_range,
        format_value: compact,
        series: vec![(Shape::Line, points)],
        markers: vec![],
    }
}

/// The fall below the running peak of equity, as a negative percentage: −20 % is 20 % under the
/// highest equity so far. Zero while the running peak is not positive (no fraction to take).
pub fn drawdown_chart(result: &BacktestResult, x_range: (f64, f64)) -> TimeChart {
    let mut peak = f64::NEG_INFINITY;
    let points = result
        .equity_curve
        .iter()
        .map(|p| {
            let equity = p.equity.to_f64().unwrap_or(f64::NAN);
            peak = peak.max(equity);
            let fall = if peak > 0.0 { (equity - peak) / peak } else { 0.0 };
            Point { x: p.time.0 as f64, y: fall * 100.0 }
        })
        .collect();
    TimeChart {
        id: "drawdown-chart",
        label: "Drawdown from the running peak of equity, in percent".into(),
        height: 150.0,
        x_range,
        format_value: |v| format!("{v:.0}%"),
        series: vec![(Shape::AreaToZero, points)],
        markers: vec![],
    }
}

/// The first product's close at each bar's end, with an upward triangle at each trade's entry
/// (time and average fill price) and a downward one at its exit; at most the last
/// [`MAX_MARKED_TRADES`] trades of that product are marked.
pub fn price_chart(result: &BacktestResult, prices: &[Candle], bar_ms: i64, x_range: (f64, f64)) -> TimeChart {
    let product = result.products.first().copied();
    let closes = prices.iter().map(|c| point(c.start.0 + bar_ms, c.close)).collect();
    let trades: Vec<_> = result.trades.iter().filter(|t| Some(t.product_id) == product).collect();
    let marked = &trades[trades.len().saturating_sub(MAX_MARKED_TRADES)..];
    let entries = marked.iter().map(|t| point(t.entry_time.0, t.entry_price)).collect();
    let exits = marked.iter().map(|t| point(t.exit_time.0, t.exit_price)).collect();
    let name = product.map_or_else(|| "the product".to_string(), |p| p.to_string());
    TimeChart {
        id: "price-chart",
        label: format!("Close price of {name} with trade entries and exits"),
        height: 300.0,
        x_range,
        format_value: compact,
        series: vec![(Shape::Line, closes)],
        markers: vec![(MarkerKind::Entry, entries), (MarkerKind::Exit, exits)],
    }
}

fn point(time_ms: i64, value: Decimal) -> Point {
    Point { x: time_ms as f64, y: value.to_f64().unwrap_or(f64::NAN) }
}

/// An axis label with a k (thousand) or M (million) suffix: `125k`, `1.5M`, `0.042`.
fn compact(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = match magnitude {
        m if m >= 1e6 => (value / 1e6, "M"),
        m if m >= 1e3 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    let digits = if scaled.abs() >= 100.0 || scaled == scaled.trunc() {
        0
    } else if scaled.abs() >= 1.0 {
        1
    } else {
        3
    };
    format!("{scaled:.digits$}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_labels_are_compact_with_thousands_and_millions() {
        let labels: Vec<_> = [125_000.0, 1_500_000.0, 2_500.0, 20_000.0, 0.042, 0.0].into_iter().map(compact).collect();
        assert_eq!(labels, ["125k", "1.5M", "2.5k", "20k", "0.042", "0"]);
    }
}
