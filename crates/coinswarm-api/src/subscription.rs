//! A `/stream` connection's subscriptions: what a client's `subscribe` or `unsubscribe`
//! message asks for, checked the same way by every host, and the set it leaves the
//! connection with. Authenticating the `fills` channel's key is the host's part.

use crate::stream::{Channel, ClientMessage, StreamError, Subscription, Subscriptions};
use coinswarm_core::market::ProductId;
use serde::{Deserialize, Serialize};

/// One subscription: a channel, and its product for per-product channels.
pub type Entry = (Channel, Option<ProductId>);

/// A client's message, checked: subscribe or unsubscribe these entries.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionRequest {
    pub subscribe: bool,
    pub entries: Vec<Entry>,
    /// The key that opens the `fills` channel (required to subscribe to it).
    pub api_key: Option<String>,
}

impl SubscriptionRequest {
    /// Whether the request subscribes to the caller's fills (the host checks its key).
    pub fn opens_fills(&self) -> bool {
        self.subscribe && self.entries.iter().any(|(c, _)| *c == Channel::Fills)
    }

    /// Whether the request ends the caller's fills subscription.
    pub fn closes_fills(&self) -> bool {
        !self.subscribe && self.entries.iter().any(|(c, _)| *c == Channel::Fills)
    }
}

/// Parses and checks a client's text message: its type, channels, products (each must be
/// listed: `is_listed`), product ids for per-product channels, and a key for `fills`.
pub fn parse(text: &str, is_listed: impl Fn(ProductId) -> bool) -> Result<SubscriptionRequest, StreamError> {
    let message: ClientMessage =
        serde_json::from_str(text).map_err(|e| StreamError::new(format!("not a subscription message: {e}")))?;
    let subscribe = match message.kind.as_str() {
        "subscribe" => true,
        "unsubscribe" => false,
        other => return Err(StreamError::new(format!("unknown type '{other}': subscribe or unsubscribe"))),
    };
    let mut channels = Vec::new();
    for name in &message.channels {
        let Some(channel) = Channel::parse(name) else {
            let known: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
            return Err(StreamError::new(format!("unknown channel '{name}': {}", known.join(", "))));
        };
        channels.push(channel);
    }
    if let Some(unlisted) = message.product_ids.iter().find(|p| !is_listed(**p)) {
        return Err(StreamError::new(format!("product {unlisted} is not listed")));
    }
    let mut entries = Vec::new();
    for channel in channels {
        if !channel.per_product() {
            entries.push((channel, None));
        } else if message.product_ids.is_empty() {
            return Err(StreamError::new(format!("channel '{}' needs product_ids", channel.as_str())));
        } else {
            entries.extend(message.product_ids.iter().map(|p| (channel, Some(*p))));
        }
        if channel == Channel::Fills && subscribe && message.api_key.is_none() {
            return Err(StreamError::new("the fills channel needs api_key"));
        }
    }
    Ok(SubscriptionRequest { subscribe, entries, api_key: message.api_key })
}

/// What one connection is subscribed to, sorted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionSet {
    pub entries: Vec<Entry>,
}

impl SubscriptionSet {
    /// Adds or removes the request's entries.
    pub fn apply(&mut self, request: &SubscriptionRequest) {
        for entry in &request.entries {
            if request.subscribe && !self.entries.contains(entry) {
                self.entries.push(*entry);
            } else if !request.subscribe {
                self.entries.retain(|e| e != entry);
            }
        }
        self.entries.sort();
    }

    pub fn wants(&self, channel: Channel, product: Option<ProductId>) -> bool {
        self.entries.iter().any(|&(c, p)| c == channel && p == product)
    }

    /// The `subscriptions` message answering a change (`*` for channels of no product).
    pub fn listed(&self) -> Subscriptions {
        let listed = self
            .entries
            .iter()
            .map(|(c, p)| Subscription {
                channel: c.as_str(),
                product_id: p.map_or("*".to_string(), |p| p.to_string()),
            })
            .collect();
        Subscriptions::new(listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn btc() -> ProductId {
        "BTC-USD".parse().unwrap()
    }

    #[test]
    fn a_subscribe_names_listed_products_for_per_product_channels_and_a_key_for_fills() {
        let listed = |p: ProductId| p == btc();
        let ok = parse(r#"{"type":"subscribe","channels":["ticker","heartbeats"],"product_ids":["BTC-USD"]}"#, listed)
            .unwrap();
        assert_eq!(ok.entries, [(Channel::Ticker, Some(btc())), (Channel::Heartbeats, None)]);
        let refused = |text: &str| parse(text, listed).unwrap_err().message;
        assert!(refused(r#"{"type":"subscribe","channels":["ticker"]}"#).contains("needs product_ids"));
        assert!(refused(r#"{"type":"subscribe","channels":["fills"]}"#).contains("needs api_key"));
        assert!(refused(r#"{"type":"subscribe","channels":["x"]}"#).contains("unknown channel"));
        assert!(refused(r#"{"type":"sub","channels":[]}"#).contains("unknown type"));
        assert!(refused(r#"{"type":"subscribe","channels":["ticker"],"product_ids":["ETH-USD"]}"#).contains("listed"));
    }

    #[test]
    fn unsubscribing_removes_what_subscribing_added() {
        let mut set = SubscriptionSet::default();
        let listed = |_| true;
        set.apply(&parse(r#"{"type":"subscribe","channels":["ticker"],"product_ids":["BTC-USD"]}"#, listed).unwrap());
        assert!(set.wants(Channel::Ticker, Some(btc())));
        set.apply(&parse(r#"{"type":"unsubscribe","channels":["ticker"],"product_ids":["BTC-USD"]}"#, listed).unwrap());
        assert!(set.entries.is_empty());
    }
}
