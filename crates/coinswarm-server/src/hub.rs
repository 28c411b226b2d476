//! Market-wide events for the `/stream` WebSocket: quotes (ticker), closed bars (candles)
//! and the swarm's decisions, fanned out to every connection. Each connection reads at its
//! own pace; one that falls behind is cut off rather than slowing the others.

use axum::extract::ws::Utf8Bytes;
use coinswarm_core::market::{Candle, ProductId, Quote};
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// Events buffered per connection before it counts as fallen behind.
const BUFFER: usize = 4096;

/// An event and its message, serialised once for every connection (a clone is a reference
/// count, not a copy).
#[derive(Debug, Clone)]
pub struct StreamEvent {
    pub channel: Channel,
    pub product_id: ProductId,
    pub message: Utf8Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Ticker,
    Candles,
    Decisions,
}

impl StreamEvent {
    /// A quote, stamped with the wall-clock ms of publication (`published_ms`).
    pub fn ticker(quote: &Quote, published_ms: i64) -> Self {
        let data = json!({"time": quote.time, "best_bid": quote.bid, "best_ask": quote.ask, "price": quote.mid()});
        let message =
            json!({"channel": "ticker", "product_id": quote.product_id, "published_ms": published_ms, "data": data});
        Self { channel: Channel::Ticker, product_id: quote.product_id, message: message.to_string().into() }
    }

    pub fn candle(product_id: ProductId, candle: &Candle) -> Self {
        let message = json!({"channel": "candles", "product_id": product_id, "data": candle});
        Self { channel: Channel::Candles, product_id, message: message.to_string().into() }
    }

    pub fn decision(product_id: ProductId, decision: &Value) -> Self {
        let message = json!({"channel": "decisions", "product_id": product_id, "data": decision});
        Self { channel: Channel::Decisions, product_id, message: message.to_string().into() }
    }
}

#[derive(Debug)]
pub struct Hub {
    events: broadcast::Sender<StreamEvent>,
}

impl Default for Hub {
    fn default() -> Self {
        Self { events: broadcast::channel(BUFFER).0 }
    }
}

impl Hub {
    pub fn publish(&self, event: StreamEvent) {
        // No subscriber is not an error: nobody is watching.
        let _ = self.events.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<StreamEvent> {
        self.events.subscribe()
    }

    pub fn clients(&self) -> usize {
        self.events.receiver_count()
    }
}
