//! The WebSocket (`/stream`) messages: what a client sends (subscribe, unsubscribe) and what
//! the server sends (the channels' messages, the subscription list, errors).
//!
//! Every server message is written with its keys sorted, as it always has been: build it
//! here and write it through [`serde_json::to_value`].

use coinswarm_core::market::{Candle, ProductId, Quote};
use coinswarm_core::order::Fill;
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A stream channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Best bid and ask of a product, as they change.
    Ticker,
    /// A product's bars as they close.
    Candles,
    /// The swarm's decisions.
    Decisions,
    /// One message a second with the newest market time.
    Heartbeats,
    /// The caller's own fills (needs `api_key`).
    Fills,
}

impl Channel {
    pub const ALL: [Channel; 5] =
        [Channel::Ticker, Channel::Candles, Channel::Decisions, Channel::Heartbeats, Channel::Fills];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Ticker => "ticker",
            Channel::Candles => "candles",
            Channel::Decisions => "decisions",
            Channel::Heartbeats => "heartbeats",
            Channel::Fills => "fills",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// Whether subscriptions name products (heartbeats and the caller's fills do not).
    pub fn per_product(self) -> bool {
        matches!(self, Channel::Ticker | Channel::Candles | Channel::Decisions)
    }
}

/// What a client sends: `{"type": "subscribe" | "unsubscribe", "channels": [...],
/// "product_ids": [...], "api_key": "..."}` (`api_key` for the `fills` channel only).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientMessage {
    #[serde(rename = "type")]
    pub kind: String,
    pub channels: Vec<String>,
    #[serde(default)]
    pub product_ids: Vec<ProductId>,
    #[serde(default)]
    pub api_key: Option<String>,
}

/// The server's refusal of a client message (the connection stays open).
#[derive(Debug, Clone, Serialize)]
pub struct StreamError {
    /// The API's error code, when the refusal is one the REST API also answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<crate::ErrorCode>,
    pub message: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl StreamError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { code: None, message: message.into(), kind: "error" }
    }

    pub fn with_code(mut self, code: crate::ErrorCode) -> Self {
        self.code = Some(code);
        self
    }
}

/// One subscription: a channel and its product (`*` for channels not per product).
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub channel: &'static str,
    pub product_id: String,
}

/// The answer to a (un)subscribe: every subscription the connection now holds.
#[derive(Debug, Clone, Serialize)]
pub struct Subscriptions {
    pub channels: Vec<Subscription>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl Subscriptions {
    pub fn new(channels: Vec<Subscription>) -> Self {
        Self { channels, kind: "subscriptions" }
    }
}

/// The `ticker` channel's data.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    pub best_ask: Decimal,
    pub best_bid: Decimal,
    /// The mid price.
    pub price: Decimal,
    pub time: Timestamp,
}

impl From<&Quote> for Tick {
    fn from(quote: &Quote) -> Self {
        Self { best_ask: quote.ask, best_bid: quote.bid, price: quote.mid(), time: quote.time }
    }
}

/// The `heartbeats` channel's data.
#[derive(Debug, Clone, Serialize)]
pub struct Heartbeat {
    /// The newest market time the server has seen, if any.
    pub market_time: Option<Timestamp>,
}

/// A message of a channel: `{"channel", "product_id"?, "published_ms"?, "data"}`.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelMessage<D> {
    pub channel: &'static str,
    pub data: D,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<ProductId>,
    /// Wall-clock ms of publication (ticker and heartbeats).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_ms: Option<i64>,
}

impl ChannelMessage<Tick> {
    pub fn ticker(quote: &Quote, published_ms: i64) -> Self {
        Self {
            channel: "ticker",
            data: Tick::from(quote),
            product_id: Some(quote.product_id),
            published_ms: Some(published_ms),
        }
    }
}

impl<'a> ChannelMessage<&'a Candle> {
    pub fn candle(product_id: ProductId, candle: &'a Candle) -> Self {
        Self { channel: "candles", data: candle, product_id: Some(product_id), published_ms: None }
    }
}

impl<'a> ChannelMessage<&'a Value> {
    /// A decision record (in live mode, without the account's figures).
    pub fn decision(product_id: ProductId, decision: &'a Value) -> Self {
        Self { channel: "decisions", data: decision, product_id: Some(product_id), published_ms: None }
    }
}

impl ChannelMessage<Heartbeat> {
    pub fn heartbeat(market_time: Option<Timestamp>, published_ms: i64) -> Self {
        Self {
            channel: "heartbeats",
            data: Heartbeat { market_time },
            product_id: None,
            published_ms: Some(published_ms),
        }
    }
}

impl<'a> ChannelMessage<&'a Fill> {
    pub fn fill(fill: &'a Fill) -> Self {
        Self { channel: "fills", data: fill, product_id: Some(fill.product_id), published_ms: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn channels_parse_from_their_names() {
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
        assert_eq!(Channel::parse("level2"), None);
        assert!(!Channel::Fills.per_product() && Channel::Ticker.per_product());
    }

    #[test]
    fn client_messages_refuse_unknown_fields() {
        let ok = r#"{"type":"subscribe","channels":["ticker"],"product_ids":["BTC-USD"]}"#;
        assert_eq!(serde_json::from_str::<ClientMessage>(ok).unwrap().product_ids.len(), 1);
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"subscribe","channels":[],"x":1}"#).is_err());
    }

    #[test]
    fn server_messages_have_the_stream_shapes() {
        let quote = Quote {
            product_id: "BTC-USD".parse().unwrap(),
            time: Timestamp::from_millis(1_000),
            bid: Decimal::new(99, 0),
            ask: Decimal::new(101, 0),
            bid_size: None,
            ask_size: None,
        };
        let tick = serde_json::to_value(ChannelMessage::ticker(&quote, 5)).unwrap();
        assert_eq!(
            tick,
            json!({"channel": "ticker", "product_id": "BTC-USD", "published_ms": 5,
                   "data": {"time": 1000, "best_bid": "99", "best_ask": "101", "price": "100"}})
        );
        let beat = serde_json::to_value(ChannelMessage::heartbeat(None, 7)).unwrap();
        assert_eq!(beat, json!({"channel": "heartbeats", "published_ms": 7, "data": {"market_time": null}}));
        let error = serde_json::to_value(StreamError::new("no").with_code(crate::ErrorCode::RateLimited)).unwrap();
        assert_eq!(error, json!({"type": "error", "message": "no", "code": "RATE_LIMITED"}));
    }
}
