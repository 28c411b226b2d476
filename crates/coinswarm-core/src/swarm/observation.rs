//! One market event as the swarm sees it.

use crate::market::{Candle, ProductId, Quote, decimal_to_f64};
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
    /// A bar, seen at its start time (its prices are the bar's; the decision on it is taken
    /// at its close by the caller).
    pub fn from_candle(product_id: ProductId, candle: &Candle) -> Self {
        let f = decimal_to_f64;
        Self {
            product_id,
            time: candle.start,
            open: f(candle.open),
            high: f(candle.high),
            low: f(candle.low),
            close: f(candle.close),
            volume: f(candle.volume),
            bid: None,
            ask: None,
        }
    }

    /// A quote: every price is the mid, no volume.
    pub fn from_quote(quote: &Quote) -> Self {
        let f = decimal_to_f64;
        let mid = f(quote.mid());
        Self {
            product_id: quote.product_id,
            time: quote.time,
            open: mid,
            high: mid,
            low: mid,
            close: mid,
            volume: 0.0,
            bid: Some(f(quote.bid)),
            ask: Some(f(quote.ask)),
        }
    }

    /// (ask − bid) / mid in basis points, when a quote is known.
    pub fn spread_bps(&self) -> Option<f64> {
        match (self.bid, self.ask) {
            (Some(bid), Some(ask)) if bid > 0.0 && ask >= bid => Some((ask - bid) / ((ask + bid) / 2.0) * 10_000.0),
            _ => None,
        }
    }
}

impl From<&Observation> for crate::memory::BarValues {
    fn from(observation: &Observation) -> Self {
        Self {
            start: observation.time,
            open: observation.open,
            high: observation.high,
            low: observation.low,
            close: observation.close,
            volume: observation.volume,
        }
    }
}
