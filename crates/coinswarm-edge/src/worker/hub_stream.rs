//! `/stream` at the edge, on the WebSocket hibernation API: the hub accepts each socket
//! (`accept_web_socket`), keeps its subscriptions in the socket's attachment (which survives
//! the object hibernating), and answers subscribe messages with `coinswarm_api`'s checks and
//! messages, as `coinswarm up` does. Subscriptions change after a socket is accepted, and a
//! socket's tags cannot, so the channels and products live in the attachment, not in tags.

use super::auth;
use super::http::{self, Answer};
use coinswarm_api::access::Scope;
use coinswarm_api::edge::EdgeBatch;
use coinswarm_api::stream::Channel;
use coinswarm_api::stream::{ChannelMessage, StreamError};
use coinswarm_api::subscription::{self, SubscriptionSet};
use coinswarm_core::market::ProductId;
use coinswarm_core::order::Fill;
use coinswarm_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use worker::{Env, Response, State, WebSocket, WebSocketIncomingMessage, WebSocketPair};

/// What one socket is subscribed to, stored in its attachment.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Socket {
    set: SubscriptionSet,
    /// The account whose fills it receives (the key that opened `fills`).
    fills_account: Option<String>,
}

/// Accepts a WebSocket upgrade into the hub.
pub fn accept(state: &State) -> Answer {
    let pair = WebSocketPair::new().map_err(http::unavailable)?;
    state.accept_web_socket(&pair.server);
    pair.server.serialize_attachment(Socket::default()).map_err(http::unavailable)?;
    Response::from_websocket(pair.client).map_err(http::unavailable)
}

/// A client's message: subscribe or unsubscribe, answered with the subscription list or an
/// error message.
pub async fn on_message(env: &Env, ws: &WebSocket, message: WebSocketIncomingMessage, listed: &[ProductId]) {
    let reply = match message {
        WebSocketIncomingMessage::String(text) => match change(env, ws, &text, listed).await {
            Ok(listed) => serde_json::to_value(listed),
            Err(refused) => serde_json::to_value(refused),
        },
        WebSocketIncomingMessage::Binary(_) => serde_json::to_value(StreamError::new("send JSON text messages")),
    };
    if let Ok(reply) = reply {
        let _ = ws.send_with_str(reply.to_string());
    }
}

async fn change(
    env: &Env,
    ws: &WebSocket,
    text: &str,
    listed: &[ProductId],
) -> Result<coinswarm_api::stream::Subscriptions, StreamError> {
    let request = subscription::parse(text, |p| listed.contains(&p))?;
    let mut socket: Socket = ws.deserialize_attachment().ok().flatten().unwrap_or_default();
    if request.opens_fills() {
        let secret = request.api_key.clone().unwrap_or_default();
        match auth::key_of(env, &super::meter::Meter::default(), &secret).await {
            Ok(Some(key)) if key.allows(Scope::Read) => socket.fills_account = Some(key.account_id),
            Ok(_) => return Err(StreamError::new("unknown or revoked API key")),
            Err(failure) => return Err(StreamError::new(failure.message).with_code(failure.code)),
        }
    }
    if request.closes_fills() {
        socket.fills_account = None;
    }
    socket.set.apply(&request);
    let answer = socket.set.listed();
    ws.serialize_attachment(&socket).map_err(|e| StreamError::new(format!("the subscription was not kept: {e}")))?;
    Ok(answer)
}

/// One message for the sockets that want it.
struct Message {
    channel: Channel,
    product_id: Option<ProductId>,
    /// For `fills`: the account whose fill it is.
    account_id: Option<String>,
    text: String,
}

/// The messages of one change, ready to send.
#[derive(Default)]
pub struct Outgoing {
    messages: Vec<Message>,
}

impl Outgoing {
    /// A batch's messages: each product's latest quote (coalesced, as `up` sends one tick per
    /// product per batch), its bars, and a heartbeat when one is due.
    pub fn market(batch: &EdgeBatch, heartbeat: Option<Option<Timestamp>>, now_ms: i64) -> Self {
        let mut out = Outgoing::default();
        let mut latest = BTreeMap::new();
        for quote in &batch.quotes {
            latest.insert(quote.product_id, *quote);
        }
        for quote in latest.values() {
            out.push(Channel::Ticker, Some(quote.product_id), None, &ChannelMessage::ticker(quote, now_ms));
        }
        for bar in &batch.candles {
            out.push(
                Channel::Candles,
                Some(bar.product_id),
                None,
                &ChannelMessage::candle(bar.product_id, &bar.candle),
            );
        }
        if let Some(market_time) = heartbeat {
            out.push(Channel::Heartbeats, None, None, &ChannelMessage::heartbeat(market_time, now_ms));
        }
        out
    }

    /// The swarm's decisions, as the hub applied them from their stream.
    pub fn decisions<'a>(decisions: impl IntoIterator<Item = &'a serde_json::Value>) -> Self {
        let mut out = Outgoing::default();
        for decision in decisions {
            if let Some(product_id) = decision["product_id"].as_str().and_then(|p| p.parse().ok()) {
                out.push(Channel::Decisions, Some(product_id), None, &ChannelMessage::decision(product_id, decision));
            }
        }
        out
    }

    /// An account's fills.
    pub fn fills(account_id: &str, fills: &[Fill]) -> Self {
        let mut out = Outgoing::default();
        for fill in fills {
            out.push(Channel::Fills, None, Some(account_id.to_string()), &ChannelMessage::fill(fill));
        }
        out
    }

    fn push<T: Serialize>(
        &mut self,
        channel: Channel,
        product_id: Option<ProductId>,
        account_id: Option<String>,
        message: &T,
    ) {
        // Written through a `Value`, so its keys are sorted as `coinswarm up` writes them.
        if let Ok(value) = serde_json::to_value(message) {
            self.messages.push(Message { channel, product_id, account_id, text: value.to_string() });
        }
    }
}

/// Sends each message to every socket subscribed to it.
pub fn broadcast(state: &State, outgoing: &Outgoing) {
    if outgoing.messages.is_empty() {
        return;
    }
    for ws in state.get_websockets() {
        let Ok(Some(socket)) = ws.deserialize_attachment::<Socket>() else { continue };
        for message in &outgoing.messages {
            let product = if message.channel == Channel::Fills { None } else { message.product_id };
            let wanted = socket.set.wants(message.channel, product)
                && (message.channel != Channel::Fills || socket.fills_account == message.account_id);
            if wanted {
                let _ = ws.send_with_str(&message.text);
            }
        }
    }
}
