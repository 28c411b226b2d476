//! One market event as the swarm sees it.

use crate::market::ProductId;
use crate::time::Timestamp;

/// A market event reduced to what indicators and agents need, in floating point (signals
/// only; money stays decimal in the exchange). From a candle: open/high/low/close/volume;
/// from a quote: all four prices are the mid, volume 0, with bid and ask.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub product_id: ProductId,
    pub time: Timestamp,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    /// The last price: the bar's close or the quote's mid.
    pub close: f64,
    /// Base volume of the bar (0 for a quote).
    pub volume: f64,
    pub bid: Option<f64>,
    pub ask: Option<f64>,
}

impl Observation {
    /// (ask − bid) / mid in basis points, when a quote is known.
    pub fn spread_bps(&self) -> Option<f64> {
        match (self.bid, self.ask) {
            (Some(bid), Some(ask)) if bid > 0.0 && ask >= bid => Some((ask - bid) / ((ask + bid) / 2.0) * 10_000.0),
            _ => None,
        }
    }
}
