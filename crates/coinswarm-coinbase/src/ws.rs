//! The Advanced Trade WebSocket client (market data and user channels): it subscribes as
//! soon as it connects (Coinbase closes a connection that has not subscribed within 5 s),
//! signing a fresh JWT per subscribe when it has a key, always adds `heartbeats` so a quiet
//! market still proves the connection alive, and reconnects with jittered backoff and
//! resubscribes when the connection drops or goes stale. A jump in `sequence_num` is a
//! gap: the level-2 books are resynchronised from REST `product_book` before the stream
//! is trusted again.

use crate::auth::CdpKey;
use crate::error::CoinbaseError;
use crate::order_book::OrderBook;
use crate::rest::CoinbaseRest;
use coinswarm_core::market::{Candle, ProductId};
use coinswarm_core::time::Timestamp;
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

/// Where the stream is and how the client keeps it up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WsConfig {
    /// `COINSWARM_COINBASE_WS_URL`. Default `wss://advanced-trade-ws.coinbase.com`.
    pub url: String,
    /// A connection with no message at all for this long (ms) is stale: reconnect. Default
    /// 10,000 (heartbeats come every second).
    pub stale_after_ms: u64,
    /// Time to connect, in ms. Default 10,000.
    pub connect_timeout_ms: u64,
    /// First reconnect delay, doubled each failed attempt with full jitter. Default 250.
    pub backoff_ms: u64,
    /// Longest reconnect delay, in ms. Default 10,000.
    pub max_backoff_ms: u64,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            url: "wss://advanced-trade-ws.coinbase.com".into(),
            stale_after_ms: 10_000,
            connect_timeout_ms: 10_000,
            backoff_ms: 250,
            max_backoff_ms: 10_000,
        }
    }
}

/// One subscription: a channel (`ticker`, `level2`, `market_trades`, `candles`, `user`…)
/// for some products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub channel: String,
    pub product_ids: Vec<ProductId>,
}

/// What the stream tells.
#[derive(Debug, Clone, PartialEq)]
pub enum WsEvent {
    /// Connected and subscribed (attempt 0 is the first connection).
    Connected {
        attempt: u32,
    },
    /// The connection ended; the client reconnects.
    Disconnected {
        reason: String,
    },
    /// A product's latest trade price and best bid and ask, at the message's exchange time.
    Ticker {
        product_id: ProductId,
        time: Option<Timestamp>,
        price: Decimal,
        best_bid: Option<Decimal>,
        best_ask: Option<Decimal>,
    },
    /// A level-2 book changed: its best levels now.
    Book {
        product_id: ProductId,
        best_bid: Option<Decimal>,
        best_ask: Option<Decimal>,
    },
    Trade {
        product_id: ProductId,
        price: Decimal,
        size: Decimal,
        side: String,
    },
    Candle {
        product_id: ProductId,
        candle: Candle,
    },
    Heartbeat {
        counter: u64,
    },
    /// The user channel's events, as sent.
    User(Value),
    /// Messages were lost: `expected` was due, `got` came.
    Gap {
        expected: u64,
        got: u64,
    },
    /// A book was rebuilt from REST after a gap.
    Resynced {
        product_id: ProductId,
    },
}

/// The WebSocket client.
#[derive(Debug)]
pub struct WsClient {
    config: WsConfig,
    key: Option<Arc<CdpKey>>,
    rest: Option<Arc<CoinbaseRest>>,
    subscriptions: Vec<Subscription>,
}

/// Why a connection ended.
enum Ended {
    Stop,
    Reconnect(String),
}

impl WsClient {
    /// `rest` resynchronises books after a gap (without it a gap resubscribes `level2`).
    pub fn new(
        config: WsConfig,
        key: Option<Arc<CdpKey>>,
        rest: Option<Arc<CoinbaseRest>>,
        subscriptions: Vec<Subscription>,
    ) -> Self {
        Self { config, key, rest, subscriptions }
    }

    /// Streams events into `events` until `stop` turns true or the receiver is dropped.
    pub async fn run(
        self,
        events: mpsc::Sender<WsEvent>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), CoinbaseError> {
        crate::rest::install_tls_provider();
        let mut attempt: u32 = 0;
        let mut failures: u32 = 0;
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let connect = tokio_tungstenite::connect_async(self.config.url.as_str());
            let connected = tokio::time::timeout(Duration::from_millis(self.config.connect_timeout_ms), connect).await;
            let ended = match connected {
                Ok(Ok((socket, _))) => {
                    let opened = tokio::time::Instant::now();
                    let ended = self.serve(socket, attempt, &events, &mut stop).await;
                    // A connection that is accepted and then dropped at once (a refused
                    // subscription, a limit) still backs off; one that lived a while resets it.
                    if opened.elapsed() >= Duration::from_millis(self.config.stale_after_ms) {
                        failures = 0;
                    }
                    attempt += 1;
                    ended
                }
                Ok(Err(err)) => Ended::Reconnect(format!("cannot connect to {}: {err}", self.config.url)),
                Err(_) => Ended::Reconnect(format!(
                    "no connection to {} within {} ms",
                    self.config.url, self.config.connect_timeout_ms
                )),
            };
            match ended {
                Ended::Stop => return Ok(()),
                Ended::Reconnect(reason) => {
                    if events.send(WsEvent::Disconnected { reason }).await.is_err() {
                        return Ok(());
                    }
                    failures += 1;
                    let ceiling = self
                        .config
                        .backoff_ms
                        .saturating_mul(1 << (failures - 1).min(20))
                        .min(self.config.max_backoff_ms);
                    let delay = Duration::from_millis(rand::rng().random_range(ceiling / 2..=ceiling.max(1)));
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = stop.wait_for(|s| *s) => return Ok(()),
                    }
                }
            }
        }
    }

    fn subscribe_messages(&self) -> Vec<String> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        let mut subscriptions = self.subscriptions.clone();
        if !subscriptions.iter().any(|s| s.channel == "heartbeats") {
            subscriptions.push(Subscription { channel: "heartbeats".into(), product_ids: Vec::new() });
        }
        subscriptions
            .iter()
            .map(|s| {
                let mut message = json!({
                    "type": "subscribe",
                    "channel": s.channel,
                    "product_ids": s.product_ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
                });
                if let Some(key) = &self.key {
                    message["jwt"] = json!(key.websocket_token(now));
                }
                message.to_string()
            })
            .collect()
    }

    async fn serve<S>(
        &self,
        socket: tokio_tungstenite::WebSocketStream<S>,
        attempt: u32,
        events: &mpsc::Sender<WsEvent>,
        stop: &mut watch::Receiver<bool>,
    ) -> Ended
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let (mut sink, mut stream) = socket.split();
        for message in self.subscribe_messages() {
            if let Err(err) = sink.send(Message::text(message)).await {
                return Ended::Reconnect(format!("subscribing: {err}"));
            }
        }
        if events.send(WsEvent::Connected { attempt }).await.is_err() {
            return Ended::Stop;
        }
        let mut books: BTreeMap<ProductId, OrderBook> = BTreeMap::new();
        let mut last_sequence: Option<u64> = None;
        let stale = Duration::from_millis(self.config.stale_after_ms);
        loop {
            let next = tokio::select! {
                next = tokio::time::timeout(stale, stream.next()) => next,
                _ = stop.wait_for(|s| *s) => return Ended::Stop,
            };
            let text = match next {
                Err(_) => return Ended::Reconnect(format!("stale: no message for {} ms", stale.as_millis())),
                Ok(None) => return Ended::Reconnect("the server closed the stream".into()),
                Ok(Some(Err(err))) => return Ended::Reconnect(format!("the stream failed: {err}")),
                Ok(Some(Ok(Message::Text(text)))) => text,
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return Ended::Reconnect(format!(
                        "closed: {}",
                        frame.map(|f| f.reason.to_string()).unwrap_or_default()
                    ));
                }
                Ok(Some(Ok(_))) => continue,
            };
            let Ok(message) = serde_json::from_str::<Value>(&text) else {
                tracing::warn!("an unreadable message from Coinbase was skipped");
                continue;
            };
            if message.get("type").and_then(Value::as_str) == Some("error") {
                let reason = message.get("message").and_then(Value::as_str).unwrap_or_default().to_string();
                tracing::warn!("Coinbase refused: {reason}");
            }
            if let Some(sequence) = message.get("sequence_num").and_then(Value::as_u64) {
                // A late or repeated message is not news (and not a gap).
                if last_sequence.is_some_and(|last| sequence <= last) {
                    continue;
                }
                if let Some(last) = last_sequence
                    && sequence > last + 1
                {
                    if events.send(WsEvent::Gap { expected: last + 1, got: sequence }).await.is_err() {
                        return Ended::Stop;
                    }
                    if !self.resync(&mut books, events).await {
                        return Ended::Reconnect(format!(
                            "gap {}..{sequence} and no REST book to resync from",
                            last + 1
                        ));
                    }
                }
                last_sequence = Some(sequence);
            }
            for event in decode(&message, &mut books) {
                if events.send(event).await.is_err() {
                    return Ended::Stop;
                }
            }
        }
    }

    /// Rebuilds every book from REST; false when that cannot be done.
    async fn resync(&self, books: &mut BTreeMap<ProductId, OrderBook>, events: &mpsc::Sender<WsEvent>) -> bool {
        let Some(rest) = &self.rest else { return books.is_empty() };
        for (product_id, book) in books.iter_mut() {
            let Ok(answer) = rest.product_book(*product_id, 100).await else { return false };
            let Some(fresh) = answer.get("pricebook").and_then(OrderBook::from_rest) else { return false };
            *book = fresh;
            let _ = events.send(WsEvent::Resynced { product_id: *product_id }).await;
            let (best_bid, best_ask) = (book.best_bid().map(|b| b.0), book.best_ask().map(|a| a.0));
            let _ = events.send(WsEvent::Book { product_id: *product_id, best_bid, best_ask }).await;
        }
        true
    }
}

fn decimal(value: &Value) -> Option<Decimal> {
    value.as_str()?.parse().ok()
}

fn product(value: &Value) -> Option<ProductId> {
    value.get("product_id")?.as_str()?.parse().ok()
}

/// A message's events, keeping `books` up to date.
fn decode(message: &Value, books: &mut BTreeMap<ProductId, OrderBook>) -> Vec<WsEvent> {
    let channel = message.get("channel").and_then(Value::as_str).unwrap_or_default();
    let time = message.get("timestamp").and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok());
    let empty = Vec::new();
    let items = message.get("events").and_then(Value::as_array).unwrap_or(&empty);
    let mut out = Vec::new();
    for event in items {
        match channel {
            "ticker" | "ticker_batch" => {
                for t in event.get("tickers").and_then(Value::as_array).unwrap_or(&empty) {
                    if let (Some(product_id), Some(price)) = (product(t), t.get("price").and_then(decimal)) {
                        let (best_bid, best_ask) =
                            (t.get("best_bid").and_then(decimal), t.get("best_ask").and_then(decimal));
                        out.push(WsEvent::Ticker { product_id, time, price, best_bid, best_ask });
                    }
                }
            }
            "l2_data" => {
                let Some(product_id) = product(event) else { continue };
                let book = books.entry(product_id).or_default();
                if event.get("type").and_then(Value::as_str) == Some("snapshot") {
                    book.clear();
                }
                for u in event.get("updates").and_then(Value::as_array).unwrap_or(&empty) {
                    let side = u.get("side").and_then(Value::as_str).unwrap_or_default();
                    let made = u.get("event_time").and_then(Value::as_str).and_then(|t| Timestamp::parse(t).ok());
                    if let (Some(price), Some(quantity)) =
                        (u.get("price_level").and_then(decimal), u.get("new_quantity").and_then(decimal))
                    {
                        book.update(side, price, quantity, made);
                    }
                }
                out.push(WsEvent::Book {
                    product_id,
                    best_bid: book.best_bid().map(|b| b.0),
                    best_ask: book.best_ask().map(|a| a.0),
                });
            }
            "market_trades" => {
                for t in event.get("trades").and_then(Value::as_array).unwrap_or(&empty) {
                    if let (Some(product_id), Some(price), Some(size)) =
                        (product(t), t.get("price").and_then(decimal), t.get("size").and_then(decimal))
                    {
                        let side = t.get("side").and_then(Value::as_str).unwrap_or_default().to_string();
                        out.push(WsEvent::Trade { product_id, price, size, side });
                    }
                }
            }
            "candles" => {
                for c in event.get("candles").and_then(Value::as_array).unwrap_or(&empty) {
                    let Some(product_id) = product(c) else { continue };
                    let start = c.get("start").and_then(Value::as_str).and_then(|s| s.parse::<i64>().ok());
                    let field = |name: &str| c.get(name).and_then(decimal);
                    if let (Some(start), Some(open), Some(high), Some(low), Some(close), Some(volume)) =
                        (start, field("open"), field("high"), field("low"), field("close"), field("volume"))
                    {
                        let candle =
                            Candle { start: Timestamp::from_millis(start * 1000), open, high, low, close, volume };
                        if candle.is_consistent() {
                            out.push(WsEvent::Candle { product_id, candle });
                        }
                    }
                }
            }
            "heartbeats" => {
                if let Some(counter) =
                    event.get("heartbeat_counter").and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()))
                {
                    out.push(WsEvent::Heartbeat { counter });
                }
            }
            "user" => out.push(WsEvent::User(event.clone())),
            _ => {}
        }
    }
    out
}
