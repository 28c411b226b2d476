//! `GET /stream`: a WebSocket of channels per product — `ticker` (latest quote, coalesced),
//! `candles` (each closed bar), `decisions` (the swarm's), `heartbeats` (every second) and
//! `fills` (the caller's own; the subscribe message carries an API key). Market updates come
//! in the hub's batches, at most one per coalescing window (default 50 ms); each batch is
//! filtered by the connection's subscriptions and written with one flush. Ticker and
//! heartbeat messages carry `published_ms`, the server's wall clock at publication, so
//! clients can measure delivery lag.
//!
//! A client that cannot keep up is closed with a reason (close code 1008): when a write
//! waits longer than `stream.send_timeout_ms` or it falls `stream.max_batches_behind`
//! batches behind. Each connection is its own task, so a slow one never delays the others.
//!
//! Subscribe: `{"type":"subscribe","channels":["ticker","fills"],"product_ids":["BTC-USD"],"api_key":"csk_…"}`;
//! `unsubscribe` takes the same shape. Messages: `{"channel","product_id","data"}`.

use super::AppState;
use crate::hub::{Batch, Channel};
use crate::keys::{self, Scope};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use coinswarm_core::exchange::Fill;
use coinswarm_core::market::ProductId;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc};

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

/// What one connection is subscribed to.
#[derive(Debug, Default)]
struct Subscriptions {
    /// (channel, product); `None` for channels that are not per product.
    entries: Vec<(Channel, Option<ProductId>)>,
    fills: Option<broadcast::Receiver<Fill>>,
}

impl Subscriptions {
    fn wants(&self, channel: Channel, product: Option<ProductId>) -> bool {
        self.entries.iter().any(|&(c, p)| c == channel && p == product)
    }
}

type Sink = SplitSink<WebSocket, Message>;

/// Aborts the connection's reader when the writer ends.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn serve(state: AppState, socket: WebSocket) {
    let mut batches = state.hub.subscribe();
    let (mut sink, stream) = socket.split();
    // Client messages are rare: a reader task forwards them, so the writer's loop is woken
    // by market batches without polling the socket for input each time.
    let (client_tx, mut client_rx) = mpsc::channel(16);
    let _reader = AbortOnDrop(tokio::spawn(read_client(stream, client_tx)).abort_handle());
    let send_timeout = Duration::from_millis(state.config.stream.send_timeout_ms);
    let mut subscriptions = Subscriptions::default();
    let mut outgoing: Vec<Utf8Bytes> = Vec::new();
    loop {
        tokio::select! {
            biased;
            batch = batches.recv() => match batch {
                Ok(batch) if batch.closing => return close(sink, batches, "server shutting down").await,
                Ok(batch) => {
                    select_updates(&subscriptions, &batch, &mut outgoing);
                    // Batches that queued while this connection was busy go in the same write.
                    loop {
                        match batches.try_recv() {
                            Ok(batch) if batch.closing => return close(sink, batches, "server shutting down").await,
                            Ok(batch) => select_updates(&subscriptions, &batch, &mut outgoing),
                            Err(TryRecvError::Lagged(_)) => {
                                return close(sink, batches, "slow consumer: fell behind the market stream").await;
                            }
                            Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => return close(sink, batches, "slow consumer: fell behind the market stream").await,
                Err(RecvError::Closed) => return close(sink, batches, "server shutting down").await,
            },
            message = client_rx.recv() => match message {
                Some(ClientInput::Text(text)) => {
                    let reply = on_client_message(&state, &mut subscriptions, &text).await;
                    outgoing.push(reply.to_string().into());
                }
                Some(ClientInput::Binary) => {
                    outgoing.push(json!({"type": "error", "message": "send JSON text messages"}).to_string().into());
                }
                // The client closed (or its connection ended): answer its close frame.
                None => {
                    let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
                    return;
                }
            },
            fill = next_fill(&mut subscriptions.fills) => match fill {
                Ok(fill) => outgoing.push(
                    json!({"channel": "fills", "product_id": fill.product_id, "data": fill}).to_string().into(),
                ),
                Err(RecvError::Lagged(_)) => return close(sink, batches, "slow consumer: fell behind its fills").await,
                Err(RecvError::Closed) => subscriptions.fills = None,
            },
        }
        if outgoing.is_empty() {
            continue;
        }
        // Most writes complete at once; only one that waits gets a timer.
        let sent = {
            let send = send_all(&mut sink, &mut outgoing);
            tokio::pin!(send);
            match (&mut send).now_or_never() {
                Some(sent) => Ok(sent),
                None => tokio::time::timeout(send_timeout, send).await,
            }
        };
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return,
            Err(_) => return close(sink, batches, "slow consumer: not reading").await,
        }
    }
}

/// Queues every message, then one flush: one write for many messages.
async fn send_all(sink: &mut Sink, outgoing: &mut Vec<Utf8Bytes>) -> Result<(), axum::Error> {
    for message in outgoing.drain(..) {
        sink.feed(Message::Text(message)).await?;
    }
    sink.flush().await
}

/// The batch's messages this connection subscribed to.
fn select_updates(subscriptions: &Subscriptions, batch: &Batch, outgoing: &mut Vec<Utf8Bytes>) {
    for event in &batch.events {
        if subscriptions.wants(event.channel, event.product_id) {
            outgoing.push(event.message.clone());
        }
    }
}

enum ClientInput {
    Text(Utf8Bytes),
    Binary,
}

async fn read_client(mut stream: SplitStream<WebSocket>, to_writer: mpsc::Sender<ClientInput>) {
    while let Some(Ok(message)) = stream.next().await {
        let input = match message {
            Message::Text(text) => ClientInput::Text(text),
            Message::Binary(_) => ClientInput::Binary,
            Message::Close(_) => return,
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        if to_writer.send(input).await.is_err() {
            return;
        }
    }
}

async fn next_fill(fills: &mut Option<broadcast::Receiver<Fill>>) -> Result<Fill, RecvError> {
    match fills {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// How long a closed connection keeps trying to hand its close frame (with the reason) to
/// a client that is not reading, before the socket is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// Leaves the stream at once (the connection no longer counts as a client or holds
/// batches), then sends the close frame with its reason, waiting at most `CLOSE_GRACE`.
async fn close(mut sink: Sink, batches: broadcast::Receiver<Arc<Batch>>, reason: &str) {
    drop(batches);
    let frame = CloseFrame { code: 1008, reason: Utf8Bytes::from(reason.to_string()) };
    let _ = tokio::time::timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await;
}

async fn on_client_message(state: &AppState, subscriptions: &mut Subscriptions, text: &str) -> Value {
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
    let mut channels = Vec::new();
    for name in &message.channels {
        match Channel::parse(name) {
            Some(channel) => channels.push(channel),
            None => {
                let known: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
                return json!({"type": "error", "message": format!("unknown channel '{name}': {}", known.join(", "))});
            }
        }
    }
    if let Some(unlisted) =
        message.product_ids.iter().find(|p| !state.board.products().iter().any(|l| l.product_id == **p))
    {
        return json!({"type": "error", "message": format!("product {unlisted} is not listed")});
    }
    for channel in channels {
        let products: Vec<Option<ProductId>> = if !channel.per_product() {
            vec![None]
        } else if message.product_ids.is_empty() {
            return json!({"type": "error", "message": format!("channel '{}' needs product_ids", channel.as_str())});
        } else {
            message.product_ids.iter().copied().map(Some).collect()
        };
        if channel == Channel::Fills && subscribe {
            let Some(secret) = &message.api_key else {
                return json!({"type": "error", "message": "the fills channel needs api_key"});
            };
            let key = match keys::verify(&state.store, secret).await {
                Ok(Some(key)) if key.allows(Scope::Read) => key,
                _ => return json!({"type": "error", "message": "unknown or revoked API key"}),
            };
            match state.session(&key.account_id).await {
                Ok(Some(session)) => subscriptions.fills = Some(session.subscribe_fills()),
                _ => return json!({"type": "error", "message": "the key's account is not available"}),
            }
        }
        if channel == Channel::Fills && !subscribe {
            subscriptions.fills = None;
        }
        for product in products {
            let entry = (channel, product);
            if subscribe && !subscriptions.entries.contains(&entry) {
                subscriptions.entries.push(entry);
            } else if !subscribe {
                subscriptions.entries.retain(|e| *e != entry);
            }
        }
    }
    subscriptions.entries.sort();
    let listed: Vec<Value> = subscriptions
        .entries
        .iter()
        .map(|(c, p)| json!({"channel": c.as_str(), "product_id": p.map_or("*".to_string(), |p| p.to_string())}))
        .collect();
    json!({"type": "subscriptions", "channels": listed})
}
