//! Market-wide events for the `/stream` WebSocket: quotes (ticker), closed bars (candles)
//! and the swarm's decisions, fanned out to every connection. Each connection reads at its
//! own pace; one that falls behind is cut off rather than slowing the others.

use coinswarm_core::market::{Candle, ProductId, Quote};
use serde_json::Value;
use tokio::sync::broadcast;

/// Events buffered per connection before it counts as fallen behind.
const BUFFER: usize = 4096;

#[derive(Debug, Clone)]
pub enum StreamEvent {
    Ticker(Quote),
    Candle(ProductId, Candle),
    Decision(ProductId, Value),
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
