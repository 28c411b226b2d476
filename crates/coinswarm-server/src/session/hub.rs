//! Market-wide events for the `/stream` WebSocket: quotes (ticker), closed bars (candles),
//! the swarm's decisions and a heartbeat every second, fanned out to every connection.
//!
//! Publishers hand events to the hub; one coalescing task turns them into batches, at most
//! one per window (`stream.coalesce_ms`, default 50 ms). A batch goes out at once when the
//! previous one is older than the window (no added delay at the feed's pace) and otherwise
//! when the window ends; within a window only the latest quote of a product is kept. Each
//! event is serialised once, so a connection's work per batch is a filter and one write.
//! Connections read batches at their own pace; one that falls too far behind is cut off.

use crate::clock::SharedClock;
use axum::extract::ws::Utf8Bytes;
use coinswarm_api::stream::ChannelMessage;
use coinswarm_api::views::to_json;
use coinswarm_core::market::{Candle, ProductId, Quote};
use coinswarm_core::time::Timestamp;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, broadcast, watch};
use tokio::time::Instant;

/// An event and its message, serialised once for every connection (a clone is a reference
/// count, not a copy).
#[derive(Debug, Clone)]
pub struct StreamEvent {
    pub channel: Channel,
    /// `None` for channels that are not per product (heartbeats).
    pub product_id: Option<ProductId>,
    /// Market time of a quote (heartbeats report the newest).
    pub market_time: Option<Timestamp>,
    pub message: Utf8Bytes,
}

pub use coinswarm_api::stream::Channel;

impl StreamEvent {
    /// A quote, stamped with the wall-clock ms of publication (`published_ms`).
    pub fn ticker(quote: &Quote, published_ms: i64) -> Self {
        let message = to_json(&ChannelMessage::ticker(quote, published_ms));
        Self {
            channel: Channel::Ticker,
            product_id: Some(quote.product_id),
            market_time: Some(quote.time),
            message: message.to_string().into(),
        }
    }

    pub fn candle(product_id: ProductId, candle: &Candle) -> Self {
        let message = to_json(&ChannelMessage::candle(product_id, candle));
        Self {
            channel: Channel::Candles,
            product_id: Some(product_id),
            market_time: None,
            message: message.to_string().into(),
        }
    }

    pub fn decision(product_id: ProductId, decision: &Value) -> Self {
        let message = to_json(&ChannelMessage::decision(product_id, decision));
        Self {
            channel: Channel::Decisions,
            product_id: Some(product_id),
            market_time: None,
            message: message.to_string().into(),
        }
    }

    fn heartbeat(market_time: Option<Timestamp>, published_ms: i64) -> Self {
        let message = to_json(&ChannelMessage::heartbeat(market_time, published_ms));
        Self { channel: Channel::Heartbeats, product_id: None, market_time, message: message.to_string().into() }
    }
}

/// The events of one coalescing window, shared by every connection.
#[derive(Debug, Default)]
pub struct Batch {
    pub events: Vec<StreamEvent>,
    /// The server is shutting down: connections close after this batch. (Telling them in
    /// the stream they already wait on spares each a second waiter per loop.)
    pub closing: bool,
}

#[derive(Debug, Default)]
struct Pending {
    /// The latest quote per product not yet sent, with when it was published: a newer one
    /// replaces it.
    tickers: Vec<(StreamEvent, Instant)>,
    /// Candles and decisions, in order: none is dropped.
    others: Vec<StreamEvent>,
    /// Market time of the newest quote, for heartbeats.
    market_time: Option<Timestamp>,
}

pub use crate::adapters::edge_link::MarketTap;

#[derive(Debug)]
pub struct Hub {
    /// Stamps heartbeats with the time they are published.
    clock: SharedClock,
    tap: std::sync::OnceLock<Arc<dyn MarketTap>>,
    /// Whether the swarm's decisions go to the edge's stream ([`Hub::publish_to_edge`]).
    to_edge: std::sync::atomic::AtomicBool,
    pending: Mutex<Pending>,
    wake: Notify,
    batches: broadcast::Sender<Arc<Batch>>,
}

impl Hub {
    /// A hub whose connections may fall `max_batches_behind` batches behind before they
    /// count as slow.
    pub fn new(max_batches_behind: usize, clock: SharedClock) -> Self {
        Self {
            clock,
            tap: std::sync::OnceLock::new(),
            to_edge: std::sync::atomic::AtomicBool::new(false),
            pending: Mutex::new(Pending::default()),
            wake: Notify::new(),
            batches: broadcast::channel(max_batches_behind.max(1)).0,
        }
    }

    /// Events the tap (the link to the edge tier) dropped, when there is one.
    pub fn tap_dropped(&self) -> Option<u64> {
        self.tap.get().map(|tap| tap.dropped())
    }

    /// Whether events are published to the edge tier (set before any session starts; the
    /// tap comes once the venue is known).
    pub fn publishes(&self) -> bool {
        self.to_edge.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// From now on, sessions publish their decisions to the edge's stream.
    pub fn publish_to_edge(&self) {
        self.to_edge.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Sends every event from now on to `tap` too (once; a second tap is refused).
    pub fn set_tap(&self, tap: Arc<dyn MarketTap>) -> bool {
        self.tap.set(tap).is_ok()
    }

    /// A quote: streamed (coalesced per window) and tapped (every one).
    pub fn quote(&self, quote: &Quote, published_ms: i64) {
        if let Some(tap) = self.tap.get() {
            tap.quote(quote);
        }
        self.publish(StreamEvent::ticker(quote, published_ms));
    }

    /// A closed bar.
    pub fn bar(&self, product_id: ProductId, candle: &Candle) {
        if let Some(tap) = self.tap.get() {
            tap.bar(product_id, candle);
        }
        self.publish(StreamEvent::candle(product_id, candle));
    }

    /// A committed decision, as the public may see it.
    pub fn decision(&self, product_id: ProductId, decision: &Value) {
        if let Some(tap) = self.tap.get() {
            tap.decision(decision);
        }
        self.publish(StreamEvent::decision(product_id, decision));
    }

    /// The swarm's state after a batch (only the tap needs it: readers here take it from the
    /// session). `state` builds it only when there is a tap.
    pub fn swarm_state(&self, state: impl FnOnce() -> Value) {
        if let Some(tap) = self.tap.get() {
            tap.swarm(state());
        }
    }

    pub fn publish(&self, event: StreamEvent) {
        {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            if event.channel == Channel::Ticker {
                pending.market_time = event.market_time.or(pending.market_time);
                let now = Instant::now();
                match pending.tickers.iter_mut().find(|(t, _)| t.product_id == event.product_id) {
                    Some(slot) => *slot = (event, now),
                    None => pending.tickers.push((event, now)),
                }
            } else {
                pending.others.push(event);
            }
        }
        self.wake.notify_one();
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Batch>> {
        self.batches.subscribe()
    }

    /// Open stream connections.
    pub fn clients(&self) -> usize {
        self.batches.receiver_count()
    }

    /// Turns published events into batches and adds a heartbeat every second, until
    /// `shutdown`. Candles, decisions and heartbeats go out at once; a product's quote goes
    /// out when the last one sent was published at least `window` earlier, and otherwise
    /// waits for the window's end, replaced by any newer quote meanwhile.
    pub async fn run(self: Arc<Self>, window: Duration, mut shutdown: watch::Receiver<bool>) {
        let mut heartbeat = tokio::time::interval(Duration::from_secs(1));
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // When the last quote sent of each product was published.
        let mut last_sent: Vec<(Option<ProductId>, Instant)> = Vec::new();
        let mut next_due: Option<Instant> = None;
        loop {
            let mut heartbeat_due = false;
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = heartbeat.tick() => heartbeat_due = true,
                _ = sleep_until_some(next_due) => {}
                _ = shutdown.wait_for(|stop| *stop) => {
                    let _ = self.batches.send(Arc::new(Batch { events: Vec::new(), closing: true }));
                    return;
                }
            }
            let now = Instant::now();
            let mut batch = Batch::default();
            next_due = None;
            {
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                let mut held = Vec::new();
                for (event, published) in pending.tickers.drain(..) {
                    let sent = last_sent.iter_mut().find(|(p, _)| *p == event.product_id);
                    let due = sent.as_ref().map_or(now, |(_, at)| *at + window);
                    if due <= now {
                        match sent {
                            Some(slot) => slot.1 = published,
                            None => last_sent.push((event.product_id, published)),
                        }
                        batch.events.push(event);
                    } else {
                        next_due = Some(next_due.map_or(due, |d: Instant| d.min(due)));
                        held.push((event, published));
                    }
                }
                pending.tickers = held;
                batch.events.append(&mut pending.others);
                if heartbeat_due {
                    batch.events.push(StreamEvent::heartbeat(pending.market_time, self.clock.now().millis()));
                }
            }
            if !batch.events.is_empty() {
                // No subscriber is not an error: nobody is watching.
                let _ = self.batches.send(Arc::new(batch));
            }
        }
    }
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coinswarm_core::market::Quote;
    use rust_decimal::Decimal;

    fn quote(time: i64, bid: i64) -> Quote {
        Quote {
            product_id: "BTC-USD".parse().unwrap(),
            time: Timestamp::from_millis(time),
            bid: Decimal::from(bid),
            ask: Decimal::from(bid + 1),
            bid_size: None,
            ask_size: None,
        }
    }

    /// Receives batches until one holds a quote; returns every event received.
    async fn until_a_quote(batches: &mut broadcast::Receiver<Arc<Batch>>) -> Vec<StreamEvent> {
        let mut events = Vec::new();
        while !events.iter().any(|e: &StreamEvent| e.channel == Channel::Ticker) {
            events.extend(batches.recv().await.unwrap().events.iter().cloned());
        }
        events
    }

    #[tokio::test(start_paused = true)]
    async fn quotes_within_a_window_coalesce_to_the_latest_and_candles_go_at_once() {
        let hub = Arc::new(Hub::new(16, crate::clock::SystemClock::shared()));
        let mut batches = hub.subscribe();
        let (_stop, shutdown) = watch::channel(false);
        tokio::spawn(hub.clone().run(Duration::from_millis(50), shutdown));
        let start = Instant::now();
        hub.publish(StreamEvent::ticker(&quote(1_000, 100), 0));
        let first = until_a_quote(&mut batches).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "the first quote goes at once");
        assert!(first.iter().any(|e| e.message.contains("\"best_bid\":\"100\"")), "{first:?}");

        let one = Decimal::ONE;
        let candle =
            Candle { start: Timestamp::from_millis(0), open: one, high: one, low: one, close: one, volume: one };
        for bid in 101..=110 {
            hub.publish(StreamEvent::ticker(&quote(2_000 + bid, bid), 0));
            hub.publish(StreamEvent::candle("BTC-USD".parse().unwrap(), &candle));
        }
        let candles_first = batches.recv().await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO, "candles are not held by the quote window");
        assert!(candles_first.events.iter().all(|e| e.channel != Channel::Ticker));
        let mut rest = candles_first.events.clone();
        rest.extend(until_a_quote(&mut batches).await);
        assert_eq!(start.elapsed(), Duration::from_millis(50), "the next quote waits for the window");
        let tickers: Vec<_> = rest.iter().filter(|e| e.channel == Channel::Ticker).collect();
        assert_eq!(tickers.len(), 1, "one quote per product per window");
        assert!(tickers[0].message.contains("\"best_bid\":\"110\""), "the latest quote wins");
        assert_eq!(rest.iter().filter(|e| e.channel == Channel::Candles).count(), 10, "no candle is dropped");
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeats_carry_the_time_of_the_clock_the_hub_was_handed() {
        let clock = Arc::new(coinswarm_core::time::ManualClock::new(Timestamp::from_millis(1_700_000_000_000)));
        let hub = Arc::new(Hub::new(16, clock.clone()));
        let mut batches = hub.subscribe();
        let (_stop, shutdown) = watch::channel(false);
        tokio::spawn(hub.clone().run(Duration::from_millis(50), shutdown));
        let published = |batch: &Batch| {
            batch.events.iter().find(|e| e.channel == Channel::Heartbeats).map(|e| {
                let message: Value = serde_json::from_str(&e.message).unwrap();
                message["published_ms"].as_i64().unwrap()
            })
        };
        let first = loop {
            if let Some(ms) = published(&batches.recv().await.unwrap()) {
                break ms;
            }
        };
        assert_eq!(first, 1_700_000_000_000);
        clock.advance(61_000);
        let next = loop {
            if let Some(ms) = published(&batches.recv().await.unwrap()) {
                break ms;
            }
        };
        assert_eq!(next, 1_700_000_061_000, "the next heartbeat reads the clock again");
    }
}
