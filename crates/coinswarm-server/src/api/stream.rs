//! `GET /stream`: a WebSocket of channels per product — `ticker` (latest quote, coalesced),
//! `candles` (each closed bar), `decisions` (the swarm's), `heartbeats` (every second) and
//! `fills` (the caller's own; the subscribe message carries an API key). Updates go out at
//! most every 50 ms per connection (sent at once when the last send is older; within the
//! window the ticker coalesces to the latest quote); a client that cannot keep up is closed
//! with a reason. Ticker messages carry `published_ms`, the server's wall clock when the
//! quote was published, so clients can measure delivery lag.
//!
//! Subscribe: `{"type":"subscribe","channels":["ticker","fills"],"product_ids":["BTC-USD"],"api_key":"csk_…"}`;
//! `unsubscribe` takes the same shape. Messages: `{"channel","product_id","data"}`.

use super::AppState;
use crate::hub::{Channel, StreamEvent};
use crate::keys::{self, Scope};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use coinswarm_core::exchange::Fill;
use coinswarm_core::market::ProductId;
use futures_util::SinkExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// How often pending updates are sent.
const FLUSH_EVERY: Duration = Duration::from_millis(50);
/// How long one flush may take before the client counts as too slow.
const SEND_TIMEOUT: Duration = Duration::from_secs(2);
/// Messages waiting for one client before it counts as too slow.
const MAX_PENDING: usize = 10_000;

const CHANNELS: [&str; 5] = ["ticker", "candles", "decisions", "heartbeats", "fills"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientMessage {
    #[serde(rename = "type")]
    kind: String,
    channels: Vec<String>,
    #[serde(default)]
    product_ids: Vec<ProductId>,
    #[serde(default)]
    api_key: Option<String>,
}

pub async fn upgrade(State(state): State<AppState>, ws: WebSocketUpgrade) -> Response {
    // Small buffers: thousands of connections each hold their own (the 128 KiB read buffer
    // by default would cost 640 MB for 5,000 clients); client messages are small.
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .on_upgrade(move |socket| serve(state, socket))
}

struct Connection {
    /// (channel, product) pairs subscribed; `heartbeats` and `fills` use product "*".
    subscribed: BTreeSet<(String, String)>,
    tickers: BTreeMap<ProductId, Utf8Bytes>,
    pending: Vec<Utf8Bytes>,
    fills: Option<broadcast::Receiver<Fill>>,
}

impl Connection {
    fn wants(&self, channel: &str, product: &str) -> bool {
        self.subscribed.contains(&(channel.to_string(), product.to_string()))
    }
}

async fn serve(state: AppState, mut socket: WebSocket) {
    let mut events = state.hub.subscribe();
    let mut connection =
        Connection { subscribed: BTreeSet::new(), tickers: BTreeMap::new(), pending: Vec::new(), fills: None };
    let mut last_flush = tokio::time::Instant::now() - FLUSH_EVERY;
    let mut heartbeat = tokio::time::interval(Duration::from_secs(1));
    let mut shutdown = state.shutdown.clone();
    loop {
        tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    let reply = on_client_message(&state, &mut connection, &text).await;
                    connection.pending.push(reply.to_string().into());
                }
                Some(Ok(Message::Binary(_))) => {
                    connection.pending.push(json!({"type": "error", "message": "send JSON text messages"}).to_string().into());
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
            event = events.recv() => match event {
                Ok(event) => on_event(&mut connection, event),
                Err(RecvError::Lagged(_)) => return close(socket, "slow consumer: fell behind the market stream").await,
                Err(RecvError::Closed) => return close(socket, "server shutting down").await,
            },
            fill = next_fill(&mut connection.fills) => match fill {
                Ok(fill) => connection.pending.push(json!({"channel": "fills", "product_id": fill.product_id, "data": fill}).to_string().into()),
                Err(RecvError::Lagged(_)) => return close(socket, "slow consumer: fell behind its fills").await,
                Err(RecvError::Closed) => connection.fills = None,
            },
            _ = heartbeat.tick() => {
                if connection.wants("heartbeats", "*") {
                    let time = state.board.last_quotes().first().map(|q| q.time);
                    connection.pending.push(json!({"channel": "heartbeats", "data": {"market_time": time}}).to_string().into());
                }
            }
            _ = tokio::time::sleep_until(last_flush + FLUSH_EVERY), if !connection.pending.is_empty() || !connection.tickers.is_empty() => {
                last_flush = tokio::time::Instant::now();
                if connection.pending.len() + connection.tickers.len() > MAX_PENDING {
                    return close(socket, "slow consumer: too many updates waiting").await;
                }
                let mut batch: Vec<Utf8Bytes> = std::mem::take(&mut connection.pending);
                batch.extend(std::mem::take(&mut connection.tickers).into_values());
                // Queue the whole batch, then one flush: one write for many messages.
                let send = async {
                    for message in batch {
                        socket.feed(Message::Text(message)).await?;
                    }
                    socket.flush().await
                };
                match tokio::time::timeout(SEND_TIMEOUT, send).await {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return,
                    Err(_) => return close(socket, "slow consumer: not reading").await,
                }
            }
            _ = shutdown.changed() => return close(socket, "server shutting down").await,
        }
    }
}

async fn next_fill(fills: &mut Option<broadcast::Receiver<Fill>>) -> Result<Fill, RecvError> {
    match fills {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

async fn close(mut socket: WebSocket, reason: &str) {
    let frame = CloseFrame { code: 1008, reason: Utf8Bytes::from(reason.to_string()) };
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(Message::Close(Some(frame)))).await;
}

fn on_event(connection: &mut Connection, event: StreamEvent) {
    let channel = match event.channel {
        Channel::Ticker => "ticker",
        Channel::Candles => "candles",
        Channel::Decisions => "decisions",
    };
    if !connection.wants(channel, &event.product_id.to_string()) {
        return;
    }
    match event.channel {
        Channel::Ticker => {
            connection.tickers.insert(event.product_id, event.message);
        }
        _ => connection.pending.push(event.message),
    }
}

async fn on_client_message(state: &AppState, connection: &mut Connection, text: &str) -> Value {
    let message: ClientMessage = match serde_json::from_str(text) {
        Ok(message) => message,
        Err(e) => return json!({"type": "error", "message": format!("not a subscription message: {e}")}),
    };
    let subscribe = match message.kind.as_str() {
        "subscribe" => true,
        "unsubscribe" => false,
        other => {
            return json!({"type": "error", "message": format!("unknown type '{other}': subscribe or unsubscribe")});
        }
    };
    if let Some(unknown) = message.channels.iter().find(|c| !CHANNELS.contains(&c.as_str())) {
        return json!({"type": "error", "message": format!("unknown channel '{unknown}': {}", CHANNELS.join(", "))});
    }
    if let Some(unlisted) =
        message.product_ids.iter().find(|p| !state.board.products().iter().any(|l| l.product_id == **p))
    {
        return json!({"type": "error", "message": format!("product {unlisted} is not listed")});
    }
    for channel in &message.channels {
        let products: Vec<String> = if channel == "heartbeats" || channel == "fills" {
            vec!["*".into()]
        } else if message.product_ids.is_empty() {
            return json!({"type": "error", "message": format!("channel '{channel}' needs product_ids")});
        } else {
            message.product_ids.iter().map(ToString::to_string).collect()
        };
        if channel == "fills" && subscribe {
            let Some(secret) = &message.api_key else {
                return json!({"type": "error", "message": "the fills channel needs api_key"});
            };
            let key = match keys::verify(&state.store, secret).await {
                Ok(Some(key)) if key.allows(Scope::Read) => key,
                _ => return json!({"type": "error", "message": "unknown or revoked API key"}),
            };
            match state.session(&key.account_id).await {
                Ok(Some(session)) => connection.fills = Some(session.subscribe_fills()),
                _ => return json!({"type": "error", "message": "the key's account is not available"}),
            }
        }
        if channel == "fills" && !subscribe {
            connection.fills = None;
        }
        for product in products {
            if subscribe {
                connection.subscribed.insert((channel.clone(), product));
            } else {
                connection.subscribed.remove(&(channel.clone(), product));
            }
        }
    }
    let channels: Vec<Value> =
        connection.subscribed.iter().map(|(c, p)| json!({"channel": c, "product_id": p})).collect();
    json!({"type": "subscriptions", "channels": channels})
}
